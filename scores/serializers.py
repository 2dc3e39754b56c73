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


class ScoreSerializer(serializers.ModelSerializer):
    """`{id, game, user: {id, username}, value, metadata, createdAt}`; `game` is the slug."""

    game = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    user = UserRefSerializer(read_only=True)
    value = StrictIntegerField()
    metadata = JSONObjectField()

    class Meta:
        model = Score
        fields = ["id", "game", "user", "value", "metadata", "created_at"]
        read_only_fields = fields


class SubmitScoreInput(serializers.Serializer):
    value = StrictIntegerField()
    metadata = JSONObjectField(required=False, default=dict, max_bytes=4096, max_depth=8)


def submission_wire(*, score, rank: int, personal_best: bool, previous_best: int | None) -> dict:
    """The 201 of a submission, in wire form (camelCase)."""
    return {
        "score": score_wire(score),
        "rank": rank,
        "personalBest": personal_best,
        "previousBest": previous_best,
    }


class SubmissionSerializer(serializers.Serializer):
    """The 201 of a submission: the score, the player's all-time rank after it,
    whether it improved their best, and their best before it. (For the schema;
    the body is submission_wire's.)"""

    score = ScoreSerializer()
    rank = serializers.IntegerField(min_value=1)
    personal_best = serializers.BooleanField()
    previous_best = StrictIntegerField(allow_null=True)


class UserEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user_id")
    username = serializers.CharField()


def entry_wire(entry) -> dict:
    """A leaderboard entry on the wire, `{rank, user: {id, username}, value,
    achievedAt}`, built without a serializer: hot paths make hundreds."""
    return {
        "rank": entry.rank,
        "user": {"id": entry.user_id, "username": entry.username},
        "value": entry.value,
        "achievedAt": format_datetime(entry.achieved_at),
    }


class EntrySerializer(serializers.Serializer):
    """`{rank, user: {id, username}, value, achievedAt}` (fields for the schema;
    the representation is entry_wire's)."""

    rank = serializers.IntegerField(min_value=1)
    user = UserEntrySerializer(source="*")
    value = StrictIntegerField()
    achieved_at = serializers.DateTimeField()

    def to_representation(self, instance):
        return entry_wire(instance)


class AroundSerializer(serializers.Serializer):
    entry = EntrySerializer(allow_null=True)
    around = EntrySerializer(many=True)
