"""Keep the user caches honest: a rename, a password change, a deactivation
or a deletion is seen by the next request.

Each key is dropped at once and again when the change commits: a request
that reads the user between the two (the change not yet visible to it)
could otherwise cache the old row for the key's lifetime."""

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from accounts.models import User
from accounts.selectors import forget_user, username_cache_key, username_lookup_key


@receiver(pre_save, sender=User, dispatch_uid="accounts.forget_renamed_user")
def forget_renamed_user(sender, instance: User, update_fields=None, **kwargs) -> None:
    if instance.pk is None or (update_fields is not None and "username" not in update_fields):
        return
    previous = User.objects.filter(pk=instance.pk).values_list("username", flat=True).first()
    if previous is not None and previous != instance.username:
        _forget([username_cache_key(instance.pk), username_lookup_key(previous)])


@receiver(post_save, sender=User, dispatch_uid="accounts.forget_cached_user")
def forget_cached_user(sender, instance: User, created: bool, update_fields=None, **kwargs) -> None:
    if not created and update_fields != frozenset({"last_login"}):
        forget_user(instance.pk)


@receiver(post_delete, sender=User, dispatch_uid="accounts.forget_deleted_user")
def forget_deleted_user(sender, instance: User, **kwargs) -> None:
    forget_user(instance.pk)
    _forget([username_cache_key(instance.pk), username_lookup_key(instance.username)])


def _forget(keys: list[str]) -> None:
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys), robust=True)
