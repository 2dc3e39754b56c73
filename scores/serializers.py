from rest_framework import serializers

from accounts.serializers import UserRefSerializer
from config.api.fields import JSONObjectField, StrictIntegerField
from scores.models import Score


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


class SubmissionSerializer(serializers.Serializer):
    """The 201 of a submission: the score, the player's all-time rank after it,
    whether it improved their best, and their best before it."""

    score = ScoreSerializer()
    rank = serializers.IntegerField(min_value=1)
    personal_best = serializers.BooleanField()
    previous_best = StrictIntegerField(allow_null=True)


class UserEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user_id")
    username = serializers.CharField()


class EntrySerializer(serializers.Serializer):
    """`{rank, user: {id, username}, value, achievedAt}`."""

    rank = serializers.IntegerField(min_value=1)
    user = UserEntrySerializer(source="*")
    value = StrictIntegerField()
    achieved_at = serializers.DateTimeField()


class AroundSerializer(serializers.Serializer):
    entry = EntrySerializer(allow_null=True)
    around = EntrySerializer(many=True)
