"""Scores and leaderboards over HTTP, nested under a game."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cached_property

from django.conf import settings
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response

from accounts.models import USERNAME_RULE
from accounts.selectors import user_by_username, user_ref_for_username
from config.api.parsing import validated_data
from config.api.query import PageRequest, parse_int_in_range, parse_page_request
from config.api.rendering import envelope_bytes, json_response
from config.api.schema import SIGNED_IN_OR_ANONYMOUS, errors, named_enum
from config.errors import AppError, NotFound, ValidationFailed
from config.ratelimit import enforce_rate_limit
from games.selectors import game_by_slug, known_game_id
from games.serializers import SLUG_RULE
from scores import boards, page_cache, selectors, services
from scores.models import DEFAULT_BOARD, Period, Score
from scores.periods import BoardPeriod
from scores.rebuild import stale_boards
from scores.serializers import (
    AroundSerializer,
    BoardCreateInput,
    BoardSerializer,
    BoardUpdateInput,
    EntrySerializer,
    ScoreSerializer,
    SubmissionSerializer,
    SubmitScoreInput,
    board_wire,
    entry_wire,
    period_meta,
)

IDEMPOTENCY_KEY_MAX = 100
# Leaderboard pages wholly within this many top entries are cached.
CACHED_DEPTH = 100
_IDEMPOTENCY_KEY = re.compile(rf"[\x21-\x7e]{{1,{IDEMPOTENCY_KEY_MAX}}}")
_USERNAME = re.compile(USERNAME_RULE)
USERNAME_SCHEMA = {"type": "string", "pattern": "^" + USERNAME_RULE[1:-2] + "$"}
RADIUS_DEFAULT, RADIUS_MAX = 5, 50

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
# Score ids are positive 64-bit integers of at most 18 digits (the URL's rule).
SCORE_ID_PARAMETER = OpenApiParameter(
    "id",
    {"type": "integer", "format": "int64", "minimum": 1, "maximum": 10**18 - 1},
    location=OpenApiParameter.PATH,
    description="The score's id.",
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


class BoardPermission(BasePermission):
    """Anyone reads; the game's owner, or an operator with `games.change_game`,
    creates, changes and archives its boards. A refusal names the permission."""

    message = "Only the game's owner, or an operator with the games.change_game permission, may change its boards."

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        if not request.user.is_authenticated:
            return False
        return view.game.owner_id == request.user.pk or request.user.has_perm("games.change_game")


@extend_schema_view(
    list=extend_schema(
        summary="List a game's boards",
        description=(
            "Every board of the game that is not archived, `default` included, by key unless `sort` says otherwise."
        ),
        tags=["boards"],
        auth=SIGNED_IN_OR_ANONYMOUS,
    ),
    retrieve=extend_schema(
        summary="Get a board", description="One board of the game.", tags=["boards"], auth=SIGNED_IN_OR_ANONYMOUS
    ),
    create=extend_schema(
        summary="Create a board",
        description=(
            "For the game's owner, or with the games.change_game permission. Without a `key` one is made from "
            "the name; a `key` that is taken is a 409."
        ),
        tags=["boards"],
        request=BoardCreateInput,
        responses={201: BoardSerializer, **errors(409)},
    ),
    partial_update=extend_schema(
        summary="Change a board",
        description=(
            "For the game's owner, or with the games.change_game permission. Only the fields sent change; the "
            "key never does, and `scoreOrder`, `operator` and `subscoreOrder` cannot once the board has scores "
            "(409). On `default` the score order and bounds are the game's: changing them changes the game."
        ),
        tags=["boards"],
        request=BoardUpdateInput,
        responses={200: BoardSerializer, **errors(409)},
    ),
    destroy=extend_schema(
        summary="Archive a board",
        description=(
            "For the game's owner, or with the games.change_game permission. The board leaves the list and "
            "everything under it answers 404; its scores are kept. `default` cannot be archived (409)."
        ),
        tags=["boards"],
        responses={204: None, **errors(409)},
    ),
)
class BoardViewSet(GameScopedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = BoardSerializer
    permission_classes = [BoardPermission]
    lookup_field = "key"
    lookup_url_kwarg = "board_key"
    lookup_value_regex = rf"{SLUG_RULE[1:-2]}"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    sort_fields = {"key": "key", "name": "name", "createdAt": "created_at"}
    default_sort = "key"
    game_first = False

    def initial(self, request, *args, **kwargs):
        # The game and, on a board's own path, the board (a 404 for unknown
        # and archived ones) before credentials and permissions are asked:
        # an archived board is a 404 to everyone.
        self.game  # noqa: B018
        if "board_key" in self.kwargs:
            self.board  # noqa: B018
        super().initial(request, *args, **kwargs)

    def get_queryset(self):
        return boards.listed_boards(game=self.game)

    def retrieve(self, request, *args, **kwargs):
        return json_response(envelope_bytes(board_wire(self.board)))

    def create(self, request, *args, **kwargs):
        fields = validated_data(BoardCreateInput(data=request.data))
        board = boards.create_board(game=self.game, **fields)
        return json_response(envelope_bytes(board_wire(board)), status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        changes = validated_data(BoardUpdateInput(data=request.data, partial=True))
        board = boards.update_board(board=self.board, changes=changes)
        return json_response(envelope_bytes(board_wire(board)))

    def destroy(self, request, *args, **kwargs):
        boards.archive_board(board=self.board)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ScorePermission(BasePermission):
    """Anyone reads; signed-in players submit; the game's owner or a moderator
    with `scores.delete_score` deletes."""

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or request.user.is_authenticated

    message = "Only the game's owner, or a moderator with the scores.delete_score permission, may delete a score."

    def has_object_permission(self, request, view, score):
        if request.method in SAFE_METHODS:
            return True
        return view.game.owner_id == request.user.pk or request.user.has_perm("scores.delete_score")


@extend_schema_view(
    list=extend_schema(
        summary="List a game's scores",
        description="Every score of the game, newest first unless `sort` says otherwise.",
        tags=["scores"],
        auth=SIGNED_IN_OR_ANONYMOUS,
        parameters=[
            OpenApiParameter("user", USERNAME_SCHEMA, description="Only this player's scores (username, any case).")
        ],
    ),
    retrieve=extend_schema(
        summary="Get a score",
        description="One score of the game.",
        tags=["scores"],
        auth=SIGNED_IN_OR_ANONYMOUS,
        parameters=[SCORE_ID_PARAMETER],
    ),
    create=extend_schema(
        summary="Submit a score",
        description=(
            "Records a score for the signed-in player. The answer says their all-time rank after it, "
            "whether it is a personal best and what their best was before. Refused: a value outside the game's "
            "bounds (400), a game that is not active (409), too many submissions per player and game (429). "
            "Every leaderboard read after the answer includes the score."
        ),
        tags=["scores"],
        request=SubmitScoreInput,
        responses={201: SubmissionSerializer, **errors(409, 429)},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_MAX, "pattern": "^[!-~]+$"},
                location=OpenApiParameter.HEADER,
                description=(
                    "Makes a retry safe: the same key from the same player within 24 h gets the first answer "
                    "again instead of a second score; the same key with another body is a 409."
                ),
            ),
            OpenApiParameter(
                "Idempotency-Replayed",
                {"type": "string", "enum": ["true"]},
                location=OpenApiParameter.HEADER,
                response=[201],
                description="`true` when this is the first answer to the same Idempotency-Key, sent again.",
            ),
        ],
    ),
    destroy=extend_schema(
        summary="Delete a score",
        description=(
            "Moderation, for the game's owner or with the scores.delete_score permission: the score is removed "
            "and the leaderboards are recomputed without it."
        ),
        tags=["scores"],
        responses={204: None},
        parameters=[SCORE_ID_PARAMETER],
    ),
)
class GameScoreViewSet(
    GameScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ScoreSerializer
    permission_classes = [ScorePermission]
    sort_fields = {"value": "value", "createdAt": "created_at"}
    default_sort = "-createdAt"
    lookup_value_regex = r"[0-9]{1,18}"
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self):
        username = self.request.query_params.get("user")
        if username is None:
            return selectors.board_scores(board=self.board)
        if not _USERNAME.match(username):
            raise ValidationFailed.for_field("user", "user must be a username.")
        player = user_by_username(username)
        if player is None:
            return Score.objects.none()
        return selectors.board_scores(board=self.board, user_id=player.pk)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "board": self.board}

    def get_object(self):
        score = selectors.board_scores(board=self.board).filter(pk=self.kwargs["pk"]).first()
        if score is None:
            raise NotFound("No such score.")
        self.check_object_permissions(self.request, score)
        return score

    def create(self, request, *args, **kwargs):
        key = _idempotency_key(request)
        enforce_rate_limit(request, scope=f"score:{self.board.pk}", key=str(request.user.pk), rate=settings.SCORE_RATE)
        serializer = SubmitScoreInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.submit_score(
            board=self.board,
            user=request.user,
            value=serializer.validated_data["value"],
            subscore=serializer.validated_data["subscore"],
            metadata=serializer.validated_data["metadata"],
            idempotency_key=key,
        )
        response = json_response(envelope_bytes(result.body), status=status.HTTP_201_CREATED)
        if result.replayed:
            response["Idempotency-Replayed"] = "true"
        return response

    def destroy(self, request, *args, **kwargs):
        services.delete_score(score=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


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


def _cached_page(request, game_id: int, board_id: int) -> _PageLookup:
    """Parse a leaderboard page request and read its cached bytes, if any.
    Raises ValidationFailed for bad parameters."""
    now = timezone.now()
    period = _period(request)
    at, users, page = _at(request, period, now), _users(request), parse_page_request(request.query_params)
    window = selectors.leaderboard_window(board_id=board_id, period=period, at=at, now=now)
    token, body = None, None
    # Only top pages of current periods are cached. A board that missed a
    # write while Redis was away is rebuilt (by the selector) before any page
    # of it is served again, cached ones included.
    if (
        page.offset + page.limit <= CACHED_DEPTH
        and users is None
        and not window.is_over(now)
        and window not in stale_boards()
    ):
        token, body = page_cache.lookup(game_id, window, page)  # taken before the board is read
    return _PageLookup(period, at, users, page, now, window, token, body)


@csrf_exempt  # DRF, which answers everything but the fast path, does its own CSRF checks
def leaderboard(request, game_slug: str, board_key: str = DEFAULT_BOARD):
    """GET leaderboard/, the hottest read: an anonymous request for a cached
    top page of a board this process knows is answered here, from the cached
    bytes, without DRF. Anything else goes to LeaderboardViewSet.list, which
    is the same read done in full (and fills the cache)."""
    game_id = known_game_id(game_slug)
    board_id = boards.known_board_id(game_id, board_key) if game_id is not None else None
    if request.method == "GET" and board_id is not None and not _carries_credentials(request):
        request.query_params = request.GET  # what the parsers read
        try:
            lookup = _cached_page(request, game_id, board_id)
        except AppError:
            lookup = None  # DRF answers the error in full
        if lookup is not None and lookup.body is not None:
            return json_response(lookup.body)
    return _leaderboard_in_full(request, game_slug=game_slug, board_key=board_key)


def _carries_credentials(request) -> bool:
    # Credentials are checked (and a bad token refused) only by the full path.
    return "HTTP_AUTHORIZATION" in request.META or settings.ACCESS_COOKIE_NAME in request.COOKIES


def _idempotency_key(request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise ValidationFailed.for_field(
            "Idempotency-Key", f"Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX} printable ASCII characters."
        )
    return key


_PERIODS = frozenset(Period.values)


def _period(request) -> str:
    period = request.query_params.get("period", Period.ALL)
    if period not in _PERIODS:
        raise ValidationFailed.for_field("period", "period must be one of all, day, week, month.")
    return period


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _at(request, period: str, now: datetime) -> date | None:
    """`at`: a UTC date, today or before, naming the day, week or month that contains it."""
    raw = request.query_params.get("at")
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


def _users(request) -> list[str] | None:
    """`users`: 1 to 100 usernames, comma-separated, any case (lowered, once each)."""
    raw = request.query_params.get("users")
    if raw is None:
        return None
    names = raw.split(",")
    if len(names) > USERS_MAX:
        raise ValidationFailed.for_field("users", f"users takes at most {USERS_MAX} usernames.")
    if not all(_USERNAME.match(name) for name in names):
        raise ValidationFailed.for_field("users", "users must be usernames separated by commas.")
    return list(dict.fromkeys(name.lower() for name in names))


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
    game_first = False  # the top pages are served from cache without it

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.action != "list":
            self.board  # noqa: B018 - resolves the game and the board, or raises the 404

    def list(self, request, *args, **kwargs):
        """A page of the board. Pages within the top 100 are cached as bytes;
        entries are built without serializers (hot paths make hundreds)."""
        # The page memory's token is taken before the game and the board are
        # read: a change to either that commits in between bumps the game's
        # pages, so a page built from the old game or board is never kept.
        # (Ids never change; a process that has not met the board yet looks
        # it up first, and does not keep the page.)
        game_id = known_game_id(self.kwargs["game_slug"])
        board_id = boards.known_board_id(game_id, self.kwargs.get("board_key", DEFAULT_BOARD)) if game_id else None
        storable = board_id is not None
        lookup = _cached_page(request, game_id, board_id) if storable else None
        board = self.board  # the game and the board, or their 404
        if lookup is None:
            lookup = _cached_page(request, self.game.pk, board.pk)
        if lookup.body is not None:
            return json_response(lookup.body)
        page, read = lookup.page, {"board": board, "period": lookup.period, "at": lookup.at, "now": lookup.now}
        if lookup.users is None:
            found = selectors.leaderboard_page(page=page, **read)
            entries, total = found.entries, found.total
        else:
            friends = selectors.leaderboard_friends(usernames=lookup.users, **read)
            entries, total = friends[page.offset : page.offset + page.limit], len(friends)
        meta = {**page.meta(total), **period_meta(lookup.window, lookup.now)}
        body = envelope_bytes([entry_wire(entry) for entry in entries], meta)
        if lookup.token is not None and storable:
            page_cache.store(game_id, lookup.window, page, lookup.token, body)
        return json_response(body)

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
        radius = parse_int_in_range(request.query_params, "radius", default=RADIUS_DEFAULT, low=0, high=RADIUS_MAX)
        now, period = timezone.now(), _period(request)
        own, around = selectors.leaderboard_around(
            board=self.board,
            period=period,
            at=_at(request, period, now),
            now=now,
            user_id=request.user.pk,
            radius=radius,
        )
        data = {"entry": entry_wire(own) if own else None, "around": [entry_wire(entry) for entry in around]}
        return json_response(envelope_bytes(data))

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
        now, period = timezone.now(), _period(request)
        at = _at(request, period, now)
        player = user_ref_for_username(username)
        entry = None
        if player is not None:
            entry = selectors.leaderboard_entry(
                board=self.board, period=period, at=at, now=now, user_id=player[0], username=player[1]
            )
        if entry is None:
            raise NotFound("This player has no entry on this leaderboard.")
        return json_response(envelope_bytes(entry_wire(entry)))


_leaderboard_in_full = LeaderboardViewSet.as_view({"get": "list"})
