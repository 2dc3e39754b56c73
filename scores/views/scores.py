"""A game's (or board's) scores over HTTP (CONTRACT §5): list, read, submit,
moderate. Submissions, the hottest write, are answered by `scores` without
DRF; the viewset defines the API and answers the rest."""

import re

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from accounts.authentication import signed_in_user
from accounts.selectors import user_by_username
from config.api.parsing import parse_json_object, validated_fields
from config.api.plain import hot_path
from config.api.rendering import json_response
from config.api.schema import SIGNED_IN_OR_ANONYMOUS, errors
from config.errors import NotFound, Unauthorized, ValidationFailed
from config.ratelimit import enforce_rate_limit
from scores import selectors, services
from scores.models import Score
from scores.serializers import ScoreSerializer, SubmissionSerializer, SubmitScoreInput
from scores.views.common import _USERNAME, USERNAME_SCHEMA, GameScopedMixin, game_board, scope

IDEMPOTENCY_KEY_MAX = 100
_IDEMPOTENCY_KEY = re.compile(rf"[\x21-\x7e]{{1,{IDEMPOTENCY_KEY_MAX}}}")
# Score ids are positive 64-bit integers of at most 18 digits (the URL's rule).
SCORE_ID_PARAMETER = OpenApiParameter(
    "id",
    {"type": "integer", "format": "int64", "minimum": 1, "maximum": 10**18 - 1},
    location=OpenApiParameter.PATH,
    description="The score's id.",
)


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
        return submit(request._request, self.board, request.user, lambda: request.data)

    def destroy(self, request, *args, **kwargs):
        services.delete_score(score=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def submit(request, board, user, body) -> HttpResponse:
    """A submission's 201, shared by the plain view and the viewset: the
    key, the rate limit (refusals count too), then the body (`body()`
    parses it) and the service."""
    key = _idempotency_key(request)
    enforce_rate_limit(request, scope=f"score:{board.pk}", key=str(user.pk), rate=settings.SCORE_RATE)
    fields = validated_fields(SubmitScoreInput, body())
    result = services.submit_score(board=board, user=user, idempotency_key=key, **fields)
    response = json_response(result.body, status=status.HTTP_201_CREATED)
    if result.replayed:
        response["Idempotency-Replayed"] = "true"
    return response


@hot_path("POST", GameScoreViewSet.as_view({"get": "list", "post": "create"}))
def scores(request, **kwargs):
    """POST scores/, the hottest write, without DRF's dispatch: signed in
    only, then the game and the board (404) as the viewset orders them."""
    user = signed_in_user(request)
    if user is None:
        raise Unauthorized("Authentication credentials were not provided.")
    return submit(request, game_board(*scope(kwargs)), user, lambda: parse_json_object(request.body))


def _idempotency_key(request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise ValidationFailed.for_field(
            "Idempotency-Key", f"Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX} printable ASCII characters."
        )
    return key
