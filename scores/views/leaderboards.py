"""Leaderboards over HTTP (CONTRACT §6 and §9): a page, your place, a
player's entry. These are the hottest reads: GET is answered by plain views
(`leaderboard`, `leaderboard_me`, `leaderboard_user`) without DRF's
dispatch, each from memory or one Redis round trip; the viewset defines
the API (its schema) and answers the other methods with the same code."""

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated

from accounts.authentication import signed_in_user
from config.api.plain import hot_path, query
from config.api.query import PageRequest, parse_int_in_range, parse_page_request
from config.api.rendering import envelope_around, json_response, wire_json
from config.api.schema import SIGNED_IN_OR_ANONYMOUS
from config.errors import NotFound, Unauthorized
from games.selectors import known_game_id
from scores import boards, page_cache, selectors
from scores.periods import BoardPeriod
from scores.rebuild import stale_boards
from scores.serializers import AroundSerializer, EntrySerializer, entry_wire, period_meta
from scores.views.common import (
    AT_PARAMETER,
    PERIOD_PARAMETER,
    USERS_PARAMETER,
    GameScopedMixin,
    at_of,
    game_board,
    period_of,
    scope,
    users_of,
)

# Leaderboard pages wholly within this many top entries are kept in memory.
CACHED_DEPTH = 100
RADIUS_DEFAULT, RADIUS_MAX = 5, 50


# --- The reads, shared by the plain views and the viewset ---------------------------


@dataclass(frozen=True)
class _PageLookup:
    period: str
    at: date | None
    users: list[str] | None
    page: PageRequest
    now: datetime
    window: BoardPeriod
    token: int | None  # None: not a page that may be remembered now
    body: bytes | None


def _remembered_page(params, game_id: int, board_id: int) -> _PageLookup:
    """Parse a leaderboard page request and find its bytes in memory, if
    any. Raises ValidationFailed for bad parameters."""
    now = timezone.now()
    period = period_of(params)
    at, users, page = at_of(params, period, now), users_of(params), parse_page_request(params)
    window = selectors.leaderboard_window(board_id=board_id, period=period, at=at, now=now)
    token, body = None, None
    # Only top pages of current periods are kept. A board that missed a
    # write while Redis was away is rebuilt (by the selector) before any
    # page of it is served again, remembered ones included.
    if (
        page.offset + page.limit <= CACHED_DEPTH
        and users is None
        and not window.is_over(now)
        and window not in stale_boards()
    ):
        token, body = page_cache.lookup(game_id, window, page)  # taken before the board is read
    return _PageLookup(period, at, users, page, now, window, token, body)


def read_page(params, game_slug: str, board_key: str) -> bytes:
    """A page of the board, as response bytes: top pages from memory, the
    others (and misses) from one Redis round trip, or PostgreSQL."""
    # The page memory's token is taken before the game and the board are
    # read: a change to either that commits in between bumps the game's
    # pages, so a page built from the old game or board is never kept.
    # (Ids never change; a process that has not met the board yet looks it
    # up first, and does not keep the page.)
    game_id = known_game_id(game_slug)
    board_id = boards.known_board_id(game_id, board_key) if game_id is not None else None
    storable = board_id is not None
    lookup = _remembered_page(params, game_id, board_id) if storable else None
    if lookup is not None and lookup.body is not None:
        return lookup.body
    board = game_board(game_slug, board_key)
    if lookup is None:
        lookup = _remembered_page(params, board.game_id, board.pk)
    page, read = lookup.page, {"board": board, "period": lookup.period, "at": lookup.at, "now": lookup.now}
    if lookup.users is None:
        found = selectors.leaderboard_page_json(page=page, **read)
        entries, total = found.entries, found.total
    else:
        friends = selectors.leaderboard_friends(usernames=lookup.users, **read)
        entries = wire_json([entry_wire(entry) for entry in friends[page.offset : page.offset + page.limit]])
        total = len(friends)
    body = envelope_around(entries, {**page.meta(total), **period_meta(lookup.window, lookup.now)})
    if lookup.token is not None and storable:
        page_cache.store(game_id, lookup.window, page, lookup.token, body)
    return body


def read_place(params, board, user_id: int) -> bytes:
    """`me`: a player's entry and the entries around it."""
    radius = parse_int_in_range(params, "radius", default=RADIUS_DEFAULT, low=0, high=RADIUS_MAX)
    now, period = timezone.now(), period_of(params)
    place = selectors.leaderboard_place_json(
        board=board, period=period, at=at_of(params, period, now), now=now, user_id=user_id, radius=radius
    )
    return envelope_around('{"entry":' + place.entry + ',"around":' + place.around + "}")


def read_entry(params, board, username: str) -> bytes:
    """A player's entry, by username; NotFound when they have none."""
    now, period = timezone.now(), period_of(params)
    at = at_of(params, period, now)
    entry = selectors.leaderboard_entry_json(board=board, period=period, username=username, at=at, now=now)
    if entry is None:
        raise NotFound("This player has no entry on this leaderboard.")
    return envelope_around(entry)


# --- The viewset: the API's definition, and every method but GET ----------------------


@extend_schema_view(
    list=extend_schema(
        summary="Read a leaderboard",
        description=(
            "A page of the game's leaderboard for the period: one entry per player, their best by the game's "
            "score order."
        ),
        tags=["leaderboards"],
        auth=SIGNED_IN_OR_ANONYMOUS,
        parameters=[PERIOD_PARAMETER, AT_PARAMETER, USERS_PARAMETER],
        responses={200: EntrySerializer(many=True)},
    ),
)
class LeaderboardViewSet(GameScopedMixin, viewsets.GenericViewSet):
    """One entry per player (their best), ranked 1..N; ties to whoever got there first."""

    serializer_class = EntrySerializer
    filter_backends = []
    page_meta_component = "LeaderboardMeta"
    game_first = False  # the top pages are served from memory without it

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.action != "list":
            self.board  # noqa: B018 - resolves the game and the board, or raises the 404

    def list(self, request, *args, **kwargs):
        return json_response(read_page(request.query_params, *scope(self.kwargs)))

    @extend_schema(
        summary="Read your place on a leaderboard",
        description=(
            "Your entry for the period and the entries around it; `{entry: null, around: []}` when you have none."
        ),
        tags=["leaderboards"],
        parameters=[
            PERIOD_PARAMETER,
            AT_PARAMETER,
            OpenApiParameter(
                "radius",
                {"type": "integer", "minimum": 0, "maximum": RADIUS_MAX, "default": RADIUS_DEFAULT},
                description=f"Entries on each side, 0 to {RADIUS_MAX} (default {RADIUS_DEFAULT}).",
            ),
        ],
        responses={200: AroundSerializer},
    )
    @action(detail=False, methods=["get"], permission_classes=[IsAuthenticated])
    def me(self, request, *args, **kwargs):
        return json_response(read_place(request.query_params, self.board, request.user.pk))

    @extend_schema(
        summary="Read a player's leaderboard entry",
        description="The player's entry for the period; 404 when they have none.",
        tags=["leaderboards"],
        auth=SIGNED_IN_OR_ANONYMOUS,
        parameters=[PERIOD_PARAMETER, AT_PARAMETER],
        responses={200: EntrySerializer},
    )
    @action(detail=False, methods=["get"], url_path=r"users/(?P<username>[A-Za-z0-9_-]{1,30})")
    def user(self, request, username=None, *args, **kwargs):
        return json_response(read_entry(request.query_params, self.board, username))


# --- The plain views: GET without DRF ---------------------------------------------------


@hot_path("GET", LeaderboardViewSet.as_view({"get": "list"}))
def leaderboard(request, **kwargs):
    """GET leaderboard/. Credentials, when sent, are checked first (a bad
    token is a 401 here as everywhere), though a page reads the same for
    everyone."""
    signed_in_user(request)
    return json_response(read_page(query(request), *scope(kwargs)))


@hot_path("GET", LeaderboardViewSet.as_view({"get": "me"}, detail=False, **LeaderboardViewSet.me.kwargs))
def leaderboard_me(request, **kwargs):
    """GET leaderboard/me/: signed in only."""
    user = signed_in_user(request)
    if user is None:
        raise Unauthorized("Authentication credentials were not provided.")
    return json_response(read_place(query(request), game_board(*scope(kwargs)), user.pk))


@hot_path("GET", LeaderboardViewSet.as_view({"get": "user"}, detail=False, **LeaderboardViewSet.user.kwargs))
def leaderboard_user(request, username: str, **kwargs):
    """GET leaderboard/users/{username}/."""
    signed_in_user(request)
    return json_response(read_entry(query(request), game_board(*scope(kwargs)), username))
