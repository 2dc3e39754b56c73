from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import UserRefSerializer
from config.api.fields import JSONObjectField, StrictBooleanField, StrictIntegerField
from games.models import Game, ScoreOrder

SLUG_RULE = r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z"


class GameSerializer(serializers.ModelSerializer):
    """A game as clients see it, `playerCount` live from presence."""

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
        counts = self.context.get("player_counts", {})
        count = counts.get(game.pk)
        return count.players if count else 0


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
        max_length=64,
        required=False,
        error_messages={"invalid": "Slugs are lowercase letters and digits separated by single hyphens."},
    )
    description = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")
    score_order = serializers.ChoiceField(choices=ScoreOrder.choices, required=False, default=ScoreOrder.DESC)
    min_score = StrictIntegerField(allow_null=True, required=False, default=None)
    max_score = StrictIntegerField(allow_null=True, required=False, default=None)
    metadata = JSONObjectField(max_bytes=16 * 1024, max_depth=8, required=False, default=dict)
    is_active = StrictBooleanField(required=False, default=True)
