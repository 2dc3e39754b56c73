"""Reads of accounts: case-insensitive lookups through the LOWER() indexes.

Users, usernames and the user behind a token are cached only when the cache
is shared by every process (Redis), where the signals in accounts.signals
drop them on every change, whichever process makes it. The embedded
default's in-process cache could not hear of a change made elsewhere (a
password changed in `manage.py shell`), so there they are read each time.
"""

import unicodedata
from contextlib import suppress

from django.conf import settings
from django.db import connection
from django.db.models.functions import Lower
from redis.exceptions import RedisError

from accounts.models import User
from config import memo, rows


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


USERNAME_SECONDS = 86_400


def user_caching() -> bool:
    """Whether user data may be cached (see the module's docstring)."""
    return bool(settings.REDIS_URL)


# Names kept in Redis, as plain text, for USERNAME_SECONDS: the leaderboard
# scripts read them in the same round trip as the entries. `uname:<id>` is
# a user's name; `uref:<name, lowered>` is `<id>:<name>`, whom a name names.


def username_key_prefix() -> str:
    return f"{settings.REDIS_KEY_PREFIX}:uname:"


def username_ref_key(username: str) -> str:
    return f"{settings.REDIS_KEY_PREFIX}:uref:{username.lower()}"


def _redis():
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def usernames_by_id(user_ids: list[int]) -> dict[int, str]:
    """Usernames for leaderboard rows: from Redis, one query for the misses."""
    wanted = list(set(user_ids))
    if not wanted:
        return {}
    if not user_caching():
        return dict(User.objects.filter(pk__in=wanted).values_list("pk", "username"))
    prefix = username_key_prefix()
    try:
        values = _redis().mget([f"{prefix}{user_id}" for user_id in wanted])
    except (RedisError, OSError):
        values = [None] * len(wanted)
    found = {user_id: value.decode() for user_id, value in zip(wanted, values, strict=True) if value is not None}
    missing = [user_id for user_id in wanted if user_id not in found]
    if missing:
        fetched = dict(User.objects.filter(pk__in=missing).values_list("pk", "username"))
        remember_usernames(fetched)
        found.update(fetched)
    return found


# KEYS: none (the keys are made of ARGV[1] and ARGV[2], prefixes; Podium's
# Redis is one server). ARGV[3]: seconds; then (id, name, name lowered)...
_REMEMBER = """
for i = 4, #ARGV, 3 do
  redis.call('SET', ARGV[1] .. ARGV[i], ARGV[i + 1], 'EX', ARGV[3])
  redis.call('SET', ARGV[2] .. ARGV[i + 2], ARGV[i] .. ':' .. ARGV[i + 1], 'EX', ARGV[3])
end
return 1
"""


# Names per round trip: each must stay well inside REDIS_TIMEOUT (40 ms) on a busy machine.
_REMEMBER_BATCH = 250


def remember_usernames(names: dict[int, str]) -> None:
    """Keep these users' names (and whom each name names) in Redis for the
    leaderboard scripts, 250 to a round trip."""
    if not names or not user_caching():
        return
    items = list(names.items())
    for start in range(0, len(items), _REMEMBER_BATCH):
        arguments: list = [username_key_prefix(), username_ref_key(""), USERNAME_SECONDS]
        for user_id, name in items[start : start + _REMEMBER_BATCH]:
            arguments += [user_id, name, name.lower()]
        with suppress(RedisError, OSError):
            _redis().eval(_REMEMBER, 0, *arguments)


def forget_usernames(user_id: int, usernames: list[str]) -> None:
    """The user's kept name, and whom each of `usernames` names: gone."""
    if user_caching():
        with suppress(RedisError, OSError):
            _redis().delete(f"{username_key_prefix()}{user_id}", *(username_ref_key(name) for name in usernames))


def user_ids_by_usernames(usernames: list[str]) -> dict[int, str]:
    """{id: username} of the users named (any case), in one query; unknown
    names are left out."""
    lowered = {name.lower() for name in usernames}
    return dict(
        User.objects.annotate(name_lower=Lower("username")).filter(name_lower__in=lowered).values_list("pk", "username")
    )


def user_by_username(username: str) -> User | None:
    return User.objects.annotate(name_lower=Lower("username")).filter(name_lower=username.lower()).first()


def user_ref_for_username(username: str) -> tuple[int, str] | None:
    """(id, username as registered) of the user with this username in any
    case, from PostgreSQL; kept in Redis for the rank-lookup script."""
    user = user_by_username(username)
    if user is None:
        return None
    remember_usernames({user.pk: user.username})
    return user.pk, user.username


_USER_BY_ID = f'SELECT {rows.columns(User, "u")} FROM "{User._meta.db_table}" u WHERE u."id" = %s'  # noqa: S608 - our table


# The user behind a token, by id, in each process (config.memo), when user
# data may be cached; forget_user is the one way to say it changed.
_users = memo.Memo("user", size=20_000)


def token_user(user_id, *, shared: bool = False) -> User | None:
    """The user a token names (None if there is none), remembered while the
    account does not change; `shared`: the process's one copy of it, which
    the caller only reads (config.memo)."""

    def load() -> User | None:
        if connection.vendor != "postgresql":
            return User.objects.filter(pk=user_id).first()
        try:
            pk = int(user_id)  # a claim of our own signing: an id, as text or a number
        except (TypeError, ValueError):
            return None
        with connection.cursor() as cursor:  # the ORM would cost twice the query (config.rows)
            cursor.execute(_USER_BY_ID, [pk])
            row = cursor.fetchone()
        return rows.from_row(User, row) if row else None

    if not user_caching():
        return load()
    return _users.shared(user_id, load) if shared else _users.get(user_id, load)


def forget_user(user_id) -> None:
    """The account changed (in the current transaction, if any): every
    process reads it again before trusting a token of it."""
    _users.changed(user_id)
