"""Keep the user caches honest: a rename, a password change, a deactivation
or a deletion is seen by the next request.

Each one is forgotten at once and again when the change commits: a request
that reads the user between the two (the change not yet visible to it)
could otherwise cache the old row or name for the cache's lifetime."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from accounts.models import User
from accounts.selectors import forget_user, forget_usernames


@receiver(pre_save, sender=User, dispatch_uid="accounts.forget_renamed_user")
def forget_renamed_user(sender, instance: User, update_fields=None, **kwargs) -> None:
    if instance.pk is None or (update_fields is not None and "username" not in update_fields):
        return
    previous = User.objects.filter(pk=instance.pk).values_list("username", flat=True).first()
    if previous is not None and previous != instance.username:
        _forget_names(instance.pk, [previous, instance.username])


@receiver(post_save, sender=User, dispatch_uid="accounts.forget_cached_user")
def forget_cached_user(sender, instance: User, created: bool, update_fields=None, **kwargs) -> None:
    if not created and update_fields != frozenset({"last_login"}):
        forget_user(instance.pk)


@receiver(post_delete, sender=User, dispatch_uid="accounts.forget_deleted_user")
def forget_deleted_user(sender, instance: User, **kwargs) -> None:
    forget_user(instance.pk)
    _forget_names(instance.pk, [instance.username])


def _forget_names(user_id: int, usernames: list[str]) -> None:
    """The user's name kept for leaderboards, and whom each of these names names."""

    def forget() -> None:
        forget_usernames(user_id, usernames)

    forget()
    transaction.on_commit(forget, robust=True)
