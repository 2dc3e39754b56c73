"""A game's boards over HTTP (CONTRACT §9): list, read, create, change, archive."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from config.api.parsing import validated_data
from config.api.rendering import envelope_bytes, json_response
from config.api.schema import SIGNED_IN_OR_ANONYMOUS, errors
from games.serializers import SLUG_RULE
from scores import boards
from scores.serializers import BoardCreateInput, BoardSerializer, BoardUpdateInput, board_wire
from scores.views.common import GameScopedMixin


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
