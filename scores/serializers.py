from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from accounts.serializers import UserRefSerializer
from config.api.fields import JSONObjectField, StrictIntegerField
from config.api.rendering import format_datetime
from scores.models import Score


def score_wire(score) -> dict:
    """A score on the wire, `{id, game, user: {id, username}, value, metadata,
    createdAt}` (`game` is the slug), built without a serializer for the
    submission path; ScoreSerializer gives lists the same shape."""
    return {
        "id": score.pk,
        "game": score.game.slug,
        "user": {"id": score.user.pk, "username": score.user.username},
        "value": score.value,
        "metadata": score.metadata,
        "createdAt": format_datetime(score.created_at),
    }


@extend_schema_serializer(description="A score a player submitted to a game.")
class ScoreSerializer(serializers.ModelSerializer):
    """`{id, game, user: {id, username}, value, metadata, createdAt}`; `game` is the slug."""

    game = serializers.SlugRelatedField(slug_field="slug", read_only=True, help_text="The game's slug.")
    user = UserRefSerializer(read_only=True, help_text="Who submitted it.")
    value = StrictIntegerField()
    metadata = JSONObjectField(help_text="The object sent with the score, exactly as sent.")

    class Meta:
        model = Score
        fields = ["id", "game", "user", "value", "metadata", "created_at"]
        read_only_fields = fields


@extend_schema_serializer(component_name="SubmitScore", description="A score to submit for the signed-in player.")
class SubmitScoreInput(serializers.Serializer):
    value = StrictIntegerField(help_text="An integer within the game's minScore and maxScore, when it has them.")
    metadata = JSONObjectField(
        required=False,
        default=dict,
        max_bytes=4096,
        max_depth=8,
        help_text="Any JSON object of at most 4 KiB and 8 levels, kept verbatim.",
    )


def submission_wire(*, score, rank: int, personal_best: bool, previous_best: int | None) -> dict:
    """The 201 of a submission, in wire form (camelCase)."""
    return {
        "score": score_wire(score),
        "rank": rank,
        "personalBest": personal_best,
        "previousBest": previous_best,
    }


@extend_schema_serializer(
    description="An accepted score, and where it leaves the player on the game's all-time leaderboard."
)
class SubmissionSerializer(serializers.Serializer):
    """The 201 of a submission: the score, the player's all-time rank after it,
    whether it improved their best, and their best before it. (For the schema;
    the body is submission_wire's.)"""

    score = ScoreSerializer()
    rank = serializers.IntegerField(min_value=1, help_text="The player's all-time rank after this score.")
    personal_best = serializers.BooleanField(help_text="Whether this score improved the player's best.")
    previous_best = StrictIntegerField(
        allow_null=True, help_text="The player's best before this score; null for their first score in the game."
    )


def entry_wire(entry) -> dict:
    """A leaderboard entry on the wire, `{rank, user: {id, username}, value,
    achievedAt}`, built without a serializer: hot paths make hundreds."""
    return {
        "rank": entry.rank,
        "user": {"id": entry.user_id, "username": entry.username},
        "value": entry.value,
        "achievedAt": format_datetime(entry.achieved_at),
    }


@extend_schema_serializer(
    description=(
        "One player's place on a leaderboard: their best value in the period by the game's score order, "
        "and when they first reached it. Ranks run 1, 2, 3… without gaps; a tie goes to whoever got there first."
    )
)
class EntrySerializer(serializers.Serializer):
    """`{rank, user: {id, username}, value, achievedAt}` (fields for the schema;
    the representation is entry_wire's)."""

    rank = serializers.IntegerField(min_value=1)
    user = UserRefSerializer(read_only=True)
    value = StrictIntegerField(help_text="The player's best value.")
    achieved_at = serializers.DateTimeField(help_text="When the player first reached this value.")

    def to_representation(self, instance):
        return entry_wire(instance)


@extend_schema_serializer(
    # Not "Around": a class with a property of its own name breaks generated clients.
    component_name="Standing",
    description="The signed-in player's entry and the entries around it.",
)
class AroundSerializer(serializers.Serializer):
    """`{entry, around}` of leaderboard/me/ (for the schema; the view builds the body)."""

    entry = EntrySerializer(allow_null=True, help_text="Your entry; null when you have none in the period.")
    around = EntrySerializer(
        many=True, help_text="The entries from your rank minus radius to your rank plus radius, yours included."
    )
