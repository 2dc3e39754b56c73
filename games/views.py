"""Games over HTTP: a thin viewset over games.services and games.selectors."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from accounts.authentication import signed_in_user
from config.api.parsing import validated_data
from config.api.plain import hot_path
from config.api.query import parse_bool
from config.api.rendering import envelope_bytes, json_response
from config.api.schema import SIGNED_IN_OR_ANONYMOUS, errors
from config.errors import ValidationFailed
from games import selectors, services
from games.permissions import GamePermission
from games.serializers import SLUG_RULE, GameCreateInput, GameSerializer, GameUpdateInput, game_wire
from realtime.presence import player_counts

SEARCH_MAX = 100


@extend_schema_view(
    list=extend_schema(
        summary="List games",
        description=(
            "Every game that is not archived, inactive ones included, newest first unless `sort` says otherwise."
        ),
        auth=SIGNED_IN_OR_ANONYMOUS,
        parameters=[
            OpenApiParameter(
                "search",
                {"type": "string", "maxLength": SEARCH_MAX},
                description="Only games whose name contains this (any case).",
            ),
            OpenApiParameter("isActive", bool, description="Only active (`true`) or inactive (`false`) games."),
        ],
    ),
    retrieve=extend_schema(
        summary="Get a game",
        description="One game, with the live number of players who have it open.",
        auth=SIGNED_IN_OR_ANONYMOUS,
    ),
    create=extend_schema(
        summary="Create a game",
        description=(
            "Needs the games.add_game permission, which operators grant; the creator becomes the game's owner."
        ),
        request=GameCreateInput,
        responses={201: GameSerializer, **errors(409)},
    ),
    partial_update=extend_schema(
        summary="Change a game",
        description=(
            "For the game's owner, or with the games.change_game permission. Only the fields sent change; "
            "the slug never does, and `scoreOrder` cannot once the game has scores (409)."
        ),
        request=GameUpdateInput,
        responses={200: GameSerializer, **errors(409)},
    ),
    destroy=extend_schema(
        summary="Archive a game",
        description=(
            "For the game's owner, or with the games.delete_game permission. The game leaves every list and "
            "everything under it answers 404; its scores are kept, and operators can restore it."
        ),
        responses={204: None},
    ),
)
class GameViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = GameSerializer
    permission_classes = [GamePermission]
    lookup_field = "slug"
    lookup_value_regex = SLUG_RULE[1:-2]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    sort_fields = {"name": "name", "createdAt": "created_at", "playerCount": None}
    default_sort = "-createdAt"

    def get_queryset(self):
        params = self.request.query_params
        search = params.get("search")
        if search is not None and (len(search) > SEARCH_MAX or "\x00" in search):
            raise ValidationFailed.for_field("search", f"search must be at most {SEARCH_MAX} characters.")
        return selectors.listed_games(search=search, is_active=parse_bool(params, "isActive"))

    def get_object(self):
        game = selectors.game_by_slug(self.kwargs["slug"])
        self.check_object_permissions(self.request, game)
        return game

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "player_counts": getattr(self, "_counts", {})}

    def list(self, request, *args, **kwargs):
        games = self.filter_queryset(self.get_queryset())
        if self.sort_order.field == "playerCount":
            # Live counts are not in the database: order every listed game here.
            games = list(games)
            counts = player_counts([game.pk for game in games])
            games.sort(key=lambda game: (counts[game.pk].players, game.pk), reverse=self.sort_order.descending)
        page = self.paginate_queryset(games)
        self._counts = player_counts([game.pk for game in page])
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        return json_response(read_game(self.get_object()))

    def create(self, request, *args, **kwargs):
        self.check_permissions(request)
        fields = validated_data(GameCreateInput(data=request.data))
        game = services.create_game(owner=request.user, **fields)
        return Response(self.get_serializer(game).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        game = self.get_object()
        changes = validated_data(GameUpdateInput(data=request.data, partial=True))
        game = services.update_game(game=game, changes=changes)
        self._counts = player_counts([game.pk])
        return Response(self.get_serializer(game).data)

    def destroy(self, request, *args, **kwargs):
        services.archive_game(game=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def read_game(game) -> bytes:
    """A game with its live player count (one Redis round trip), as response bytes."""
    return envelope_bytes(game_wire(game, player_counts([game.pk])[game.pk].players))


@hot_path("GET", GameViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}))
def game_detail(request, slug: str):
    """GET /games/{slug}/ without DRF: credentials, when sent, are checked
    first (a bad token is a 401), though a game reads the same for everyone."""
    signed_in_user(request)
    head, tail, game_id = selectors.game_detail_parts(slug)
    return json_response(head + str(player_counts([game_id])[game_id].players).encode() + tail)
