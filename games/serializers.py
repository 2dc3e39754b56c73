from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from accounts.serializers import UserRefSerializer
from config.api.fields import JSONObjectField, StrictBooleanField, StrictIntegerField
from config.api.rendering import format_datetime
from games.models import Game, ScoreOrder

SLUG_RULE = r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z"
SLUG_MAX_LENGTH = 64  # Game.slug


def game_wire(game: Game, player_count: int) -> dict:
    """A game on the wire (CONTRACT §4), built without a serializer."""
    return {
        "slug": game.slug,
        "name": game.name,
        "description": game.description,
        "scoreOrder": game.score_order,
        "minScore": game.min_score,
        "maxScore": game.max_score,
        "metadata": game.metadata,
        "isActive": game.is_active,
        "playerCount": player_count,
        "owner": {"id": game.owner.pk, "username": game.owner.username},
        "createdAt": format_datetime(game.created_at),
        "updatedAt": format_datetime(game.updated_at),
    }


@extend_schema_serializer(
    description=(
        "A game with its leaderboards. `scoreOrder` says whether higher or lower values are better; "
        "scores outside `minScore` and `maxScore` (when set) are refused."
    )
)
class GameSerializer(serializers.ModelSerializer):
    """A game as clients see it, `playerCount` live from presence. (Fields for
    the schema; the representation is game_wire's.)"""

    owner = UserRefSerializer(read_only=True, help_text="Who made the game.")
    min_score = StrictIntegerField(allow_null=True, help_text="The lowest value accepted; null for no bound.")
    max_score = StrictIntegerField(allow_null=True, help_text="The highest value accepted; null for no bound.")
    metadata = JSONObjectField(help_text="The game's own JSON object, exactly as its owner sent it.")
    player_count = serializers.SerializerMethodField(
        help_text="Signed-in players with the game open right now, the number its live socket shows."
    )

    class Meta:
        model = Game
        fields = [
            "slug",
            "name",
            "description",
            "score_order",
            "min_score",
            "max_score",
            "metadata",
            "is_active",
            "player_count",
            "owner",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "slug": {"help_text": "The game's name in URLs; it never changes."},
            "is_active": {"help_text": "Whether the game accepts scores: an inactive one refuses them with a 409."},
        }

    @extend_schema_field(serializers.IntegerField(min_value=0))
    def get_player_count(self, game: Game) -> int:
        count = self.context.get("player_counts", {}).get(game.pk)
        return count.players if count else 0

    def to_representation(self, game: Game) -> dict:
        return game_wire(game, self.get_player_count(game))


@extend_schema_serializer(
    component_name="GameUpdate",
    description="Changes to a game: only the fields sent change. `scoreOrder` cannot change once it has scores.",
)
class GameUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=2000, allow_blank=True)
    score_order = serializers.ChoiceField(choices=ScoreOrder.choices)
    min_score = StrictIntegerField(allow_null=True)
    max_score = StrictIntegerField(allow_null=True)
    metadata = JSONObjectField(max_bytes=16 * 1024, max_depth=8)
    is_active = StrictBooleanField()


@extend_schema_serializer(
    component_name="GameCreate",
    description=(
        "A new game. Without a `slug`, one is made from the name (with -2, -3… added when it is taken); "
        "a `slug` sent that is taken is a 409."
    ),
)
class GameCreateInput(GameUpdateInput):
    slug = serializers.RegexField(
        SLUG_RULE,
        max_length=SLUG_MAX_LENGTH,
        required=False,
        error_messages={"invalid": "Slugs are lowercase letters and digits separated by single hyphens."},
    )
    description = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")
    score_order = serializers.ChoiceField(choices=ScoreOrder.choices, required=False, default=ScoreOrder.DESC)
    min_score = StrictIntegerField(allow_null=True, required=False, default=None)
    max_score = StrictIntegerField(allow_null=True, required=False, default=None)
    metadata = JSONObjectField(max_bytes=16 * 1024, max_depth=8, required=False, default=dict)
    is_active = StrictBooleanField(required=False, default=True)
