"""Keep the username cache honest when an operator renames someone."""

from django.core.cache import cache
from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import User
from accounts.selectors import username_cache_key


@receiver(post_save, sender=User, dispatch_uid="accounts.forget_cached_username")
def forget_cached_username(sender, instance: User, created: bool, update_fields=None, **kwargs) -> None:
    if not created and (update_fields is None or "username" in update_fields):
        cache.delete(username_cache_key(instance.pk))
