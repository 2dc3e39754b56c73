"""What every view under /games/{slug}/ shares: the game and board it is
scoped to, the leaderboard query parameters, and the plain views that
answer the hottest requests without DRF."""

import re
from datetime import UTC, date, datetime
from functools import cached_property

from drf_spectacular.utils import OpenApiParameter

from accounts.models import USERNAME_RULE
from config.api.schema import named_enum
from config.errors import ValidationFailed
from games.selectors import game_by_slug
from scores import boards
from scores.models import DEFAULT_BOARD, Period

_USERNAME = re.compile(USERNAME_RULE)
USERNAME_SCHEMA = {"type": "string", "pattern": "^" + USERNAME_RULE[1:-2] + "$"}

PERIOD_PARAMETER = OpenApiParameter(
    "period",
    named_enum(
        "Period",
        Period.values,
        varnames=list(Period.names),
        description="A leaderboard's period: all time, or the current UTC day, ISO week or month.",
    ),
    description="all (default), day, week or month: the current calendar period in UTC.",
)
AT_PARAMETER = OpenApiParameter(
    "at",
    {"type": "string", "format": "date"},
    description=(
        "With period=day, week or month: the UTC date (YYYY-MM-DD, today or before) whose period to read, "
        "past or current. Past periods stay readable for PAST_PERIODS_DAYS after they end."
    ),
)
USERS_PARAMETER = OpenApiParameter(
    "users",
    {"type": "string", "pattern": "^" + USERNAME_RULE[1:-2] + "(," + USERNAME_RULE[1:-2] + "){0,99}$"},
    description=(
        "A friends board: 1 to 100 usernames (any case), comma-separated. Only their entries, each with its "
        "rank on the whole board; unknown names and players without an entry are left out."
    ),
)


class GameScopedMixin:
    """Views under /games/{slug}/ and /games/{slug}/boards/{key}/: the game and
    the board (`default` on the game's own paths), or a 404 for unknown and
    archived ones, looked up before anything else unless the view asks for
    them lazily."""

    game_first = True

    @cached_property
    def game(self):
        return game_by_slug(self.kwargs["game_slug"])

    @cached_property
    def board(self):
        return boards.board_by_key(self.game, self.kwargs.get("board_key", DEFAULT_BOARD))

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.game_first:
            self.board  # noqa: B018 - resolves the game and the board, or raises the 404


def scope(kwargs) -> tuple[str, str]:
    """(game slug, board key) of a path under /games/{slug}/[boards/{key}/]."""
    return kwargs["game_slug"], kwargs.get("board_key", DEFAULT_BOARD)


def game_board(game_slug: str, board_key: str):
    """The listed board of a listed game, or NotFound."""
    return boards.game_board(game_slug, board_key)


PERIODS = frozenset(Period.values)


def period_of(params) -> str:
    period = params.get("period", Period.ALL)
    if period not in PERIODS:
        raise ValidationFailed.for_field("period", "period must be one of all, day, week, month.")
    return period


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def at_of(params, period: str, now: datetime) -> date | None:
    """`at`: a UTC date, today or before, naming the day, week or month that contains it."""
    raw = params.get("at")
    if raw is None:
        return None
    if period == Period.ALL:
        raise ValidationFailed.for_field("at", "at needs period=day, week or month.")
    try:
        day = date.fromisoformat(raw) if _DATE.fullmatch(raw) else None
    except ValueError:
        day = None
    if day is None:
        raise ValidationFailed.for_field("at", "at must be a date, YYYY-MM-DD (UTC).")
    if day > now.astimezone(UTC).date():
        raise ValidationFailed.for_field("at", "at cannot be a date in the future.")
    return day


USERS_MAX = 100


def users_of(params) -> list[str] | None:
    """`users`: 1 to 100 usernames, comma-separated, any case (lowered, once each)."""
    raw = params.get("users")
    if raw is None:
        return None
    names = raw.split(",")
    if len(names) > USERS_MAX:
        raise ValidationFailed.for_field("users", f"users takes at most {USERS_MAX} usernames.")
    if not all(_USERNAME.match(name) for name in names):
        raise ValidationFailed.for_field("users", "users must be usernames separated by commas.")
    return list(dict.fromkeys(name.lower() for name in names))
