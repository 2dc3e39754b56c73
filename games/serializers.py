from drf_spectacular.utils import extend_schema_field
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


class GameSerializer(serializers.ModelSerializer):
    """A game as clients see it, `playerCount` live from presence. (Fields for
    the schema; the representation is game_wire's.)"""

    owner = UserRefSerializer(read_only=True)
    min_score = StrictIntegerField(allow_null=True)
    max_score = StrictIntegerField(allow_null=True)
    metadata = JSONObjectField()
    player_count = serializers.SerializerMethodField()

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

    @extend_schema_field(serializers.IntegerField(min_value=0))
    def get_player_count(self, game: Game) -> int:
        count = self.context.get("player_counts", {}).get(game.pk)
        return count.players if count else 0

    def to_representation(self, game: Game) -> dict:
        return game_wire(game, self.get_player_count(game))


class GameUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=2000, allow_blank=True)
    score_order = serializers.ChoiceField(choices=ScoreOrder.choices)
    min_score = StrictIntegerField(allow_null=True)
    max_score = StrictIntegerField(allow_null=True)
    metadata = JSONObjectField(max_bytes=16 * 1024, max_depth=8)
    is_active = StrictBooleanField()


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
