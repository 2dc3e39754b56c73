"""Reads of accounts: case-insensitive lookups through the LOWER() indexes.

Users, usernames and the user behind a token are cached only when the cache
is shared by every process (Redis), where the signals in accounts.signals
drop them on every change, whichever process makes it. The embedded
default's in-process cache could not hear of a change made elsewhere (a
password changed in `manage.py shell`), so there they are read each time.
"""

import unicodedata

from django.conf import settings
from django.core.cache import cache
from django.db.models.functions import Lower

from accounts.models import User
from config import memo


def user_by_login(login: str) -> User | None:
    """The active or inactive user whose username or email is `login`, any case."""
    field = "email" if "@" in login else "username"
    return User.objects.annotate(login_lower=Lower(field)).filter(login_lower=login.lower()).first()


def sign_in_rate_key(login: str) -> str:
    """What the per-account sign-in limit counts: the account a login names,
    so that its username and its email, in any case, share one budget; for
    a login that names nobody, the login itself, case-folded. The login is
    first normalised as the admin's sign-in form does (NFKC, stripped), so
    that no spelling the form would sign in with has a budget of its own."""
    login = unicodedata.normalize("NFKC", login).strip()
    user = user_by_login(login) if login and "\x00" not in login else None
    return f"account:{user.pk}" if user is not None else f"login:{login.casefold()}"


def taken_identity_fields(*, email: str, username: str) -> list[str]:
    """Which of `email` and `username` another account already holds, any case."""
    taken = []
    if User.objects.annotate(email_lower=Lower("email")).filter(email_lower=email.lower()).exists():
        taken.append("email")
    if User.objects.annotate(name_lower=Lower("username")).filter(name_lower=username.lower()).exists():
        taken.append("username")
    return taken


USERNAME_CACHE_SECONDS = 3600


def user_caching() -> bool:
    """Whether user data may be cached (see the module's docstring)."""
    return bool(settings.REDIS_URL)


def username_cache_key(user_id: int) -> str:
    return f"username:{user_id}"


def usernames_by_id(user_ids: list[int]) -> dict[int, str]:
    """Usernames for leaderboard rows: from the cache, one query for the misses."""
    if not user_ids:
        return {}
    keys = {username_cache_key(user_id): user_id for user_id in set(user_ids)}
    if not user_caching():
        return dict(User.objects.filter(pk__in=list(keys.values())).values_list("pk", "username"))
    cached = cache.get_many(list(keys))
    found = {keys[key]: name for key, name in cached.items()}
    missing = [user_id for user_id in keys.values() if user_id not in found]
    if missing:
        fetched = dict(User.objects.filter(pk__in=missing).values_list("pk", "username"))
        cache.set_many({username_cache_key(pk): name for pk, name in fetched.items()}, USERNAME_CACHE_SECONDS)
        found.update(fetched)
    return found


def user_ids_by_usernames(usernames: list[str]) -> dict[int, str]:
    """{id: username} of the users named (any case), in one query; unknown
    names are left out."""
    lowered = {name.lower() for name in usernames}
    return dict(
        User.objects.annotate(name_lower=Lower("username")).filter(name_lower__in=lowered).values_list("pk", "username")
    )


def user_by_username(username: str) -> User | None:
    return User.objects.annotate(name_lower=Lower("username")).filter(name_lower=username.lower()).first()


USER_ID_CACHE_SECONDS = 3600


def username_lookup_key(username: str) -> str:
    return f"userref:{username.lower()}"


def user_ref_for_username(username: str) -> tuple[int, str] | None:
    """(id, username as registered) of the user with this username in any
    case, cached: a rank lookup by name needs no database query."""
    key = username_lookup_key(username)
    ref = cache.get(key) if user_caching() else None
    if ref is None:
        user = user_by_username(username)
        if user is None:
            return None
        ref = (user.pk, user.username)
        if user_caching():
            cache.set(key, ref, USER_ID_CACHE_SECONDS)
    return ref


# The user behind a token, by id, in each process (config.memo), when user
# data may be cached; forget_user is the one way to say it changed.
_users = memo.Memo("user", size=20_000)


def token_user(user_id) -> User | None:
    """The user a token names (None if there is none), remembered while the
    account does not change."""

    def load() -> User | None:
        return User.objects.filter(pk=user_id).first()

    return _users.get(user_id, load) if user_caching() else load()


def forget_user(user_id) -> None:
    """The account changed (in the current transaction, if any): every
    process reads it again before trusting a token of it."""
    _users.changed(user_id)
