"""Scores and leaderboards over HTTP, nested under a game."""

import re

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response

from accounts.models import USERNAME_RULE
from accounts.selectors import user_by_username
from config.api.query import parse_int_in_range, parse_page_request
from config.api.rendering import success_envelope
from config.errors import NotFound, ValidationFailed
from config.ratelimit import enforce_rate_limit
from games.selectors import game_by_slug
from scores import selectors, services
from scores.models import Period, Score
from scores.serializers import (
    AroundSerializer,
    EntrySerializer,
    ScoreSerializer,
    SubmissionSerializer,
    SubmitScoreInput,
)

IDEMPOTENCY_KEY_MAX = 100
_IDEMPOTENCY_KEY = re.compile(rf"[\x21-\x7e]{{1,{IDEMPOTENCY_KEY_MAX}}}")
_USERNAME = re.compile(USERNAME_RULE)

PERIOD_PARAMETER = OpenApiParameter(
    "period", str, enum=Period.values, description="Board period (UTC calendar): all (default), day, week, month."
)


class GameScopedMixin:
    """Views under /games/{slug}/: the game, or a 404 for unknown and archived ones."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.game = game_by_slug(self.kwargs["game_slug"])


class ScorePermission(BasePermission):
    """Anyone reads; signed-in players submit; the game's owner or a moderator
    with `scores.delete_score` deletes."""

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or request.user.is_authenticated

    def has_object_permission(self, request, view, score):
        if request.method in SAFE_METHODS:
            return True
        return view.game.owner_id == request.user.pk or request.user.has_perm("scores.delete_score")


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("user", str, description="Only this player's scores (username, any case).")]
    ),
    create=extend_schema(
        request=SubmitScoreInput,
        responses={201: SubmissionSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_MAX, "pattern": "^[!-~]+$"},
                location=OpenApiParameter.HEADER,
                description="Repeat within 24 h to get the first response again instead of a second score.",
            )
        ],
    ),
    destroy=extend_schema(responses={204: None}, description="Moderation: removes the score, recomputes bests."),
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
            return selectors.game_scores(game=self.game)
        if not _USERNAME.match(username):
            raise ValidationFailed.for_field("user", "user must be a username.")
        player = user_by_username(username)
        if player is None:
            return Score.objects.none()
        return selectors.game_scores(game=self.game, user_id=player.pk)

    def get_object(self):
        score = selectors.game_scores(game=self.game).filter(pk=self.kwargs["pk"]).first()
        if score is None:
            raise NotFound("No such score.")
        self.check_object_permissions(self.request, score)
        return score

    def create(self, request, *args, **kwargs):
        key = _idempotency_key(request)
        enforce_rate_limit(request, scope=f"score:{self.game.pk}", key=str(request.user.pk), rate=settings.SCORE_RATE)
        serializer = SubmitScoreInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.submit_score(
            game=self.game,
            user=request.user,
            value=serializer.validated_data["value"],
            metadata=serializer.validated_data["metadata"],
            idempotency_key=key,
        )
        response = Response(result.body, status=result.status)
        if result.replayed:
            response["Idempotency-Replayed"] = "true"
        return response

    def destroy(self, request, *args, **kwargs):
        services.delete_score(score=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def _idempotency_key(request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise ValidationFailed.for_field(
            "Idempotency-Key", f"Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX} printable ASCII characters."
        )
    return key


def _period(request) -> str:
    period = request.query_params.get("period", Period.ALL)
    if period not in Period.values:
        raise ValidationFailed.for_field("period", "period must be one of all, day, week, month.")
    return period


@extend_schema_view(
    list=extend_schema(parameters=[PERIOD_PARAMETER], responses={200: EntrySerializer(many=True)}),
)
class LeaderboardViewSet(GameScopedMixin, viewsets.GenericViewSet):
    """One entry per player (their best), ranked 1..N; ties to whoever got there first."""

    serializer_class = EntrySerializer
    filter_backends = []

    def list(self, request, *args, **kwargs):
        period, page = _period(request), parse_page_request(request.query_params)
        board = selectors.leaderboard_page(game=self.game, period=period, page=page)
        data = EntrySerializer(board.entries, many=True).data
        return Response(success_envelope(data, page.meta(board.total)))

    @extend_schema(
        parameters=[
            PERIOD_PARAMETER,
            OpenApiParameter("radius", int, description="Entries on each side, 0 to 50 (default 5)."),
        ],
        responses={200: AroundSerializer},
    )
    @action(detail=False, methods=["get"], permission_classes=[IsAuthenticated])
    def me(self, request, *args, **kwargs):
        radius = parse_int_in_range(request.query_params, "radius", default=5, low=0, high=50)
        own, around = selectors.leaderboard_around(
            game=self.game, period=_period(request), user_id=request.user.pk, radius=radius
        )
        return Response(AroundSerializer({"entry": own, "around": around}).data)

    @extend_schema(parameters=[PERIOD_PARAMETER], responses={200: EntrySerializer})
    @action(detail=False, methods=["get"], url_path=r"users/(?P<username>[A-Za-z0-9_-]{1,30})")
    def user(self, request, username=None, *args, **kwargs):
        period = _period(request)
        player = user_by_username(username)
        entry = None
        if player is not None:
            entry = selectors.leaderboard_entry(game=self.game, period=period, user_id=player.pk)
        if entry is None:
            raise NotFound("This player has no entry on this leaderboard.")
        return Response(EntrySerializer(entry).data)
