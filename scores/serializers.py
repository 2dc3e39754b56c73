from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from accounts.serializers import UserRefSerializer
from config.api.fields import JSONObjectField, StrictIntegerField
from config.api.rendering import HOLE, around_hole, envelope_bytes, format_datetime
from games.models import ScoreOrder
from games.serializers import SLUG_RULE
from scores.models import BOARD_KEY_MAX, Board, Operator, Score


def score_wire(score, board) -> dict:
    """A score on the wire, `{id, game, board, user: {id, username}, value,
    subscore, metadata, createdAt}` (`game` is the slug, `board` the key),
    built without a serializer for the submission path; ScoreSerializer
    gives lists the same shape."""
    return {
        "id": score.pk,
        "game": board.game.slug,
        "board": board.key,
        "user": {"id": score.user.pk, "username": score.user.username},
        "value": score.value,
        "subscore": score.subscore,
        "metadata": score.metadata,
        "createdAt": format_datetime(score.created_at),
    }


@extend_schema_serializer(description="A score a player submitted to one of a game's boards.")
class ScoreSerializer(serializers.ModelSerializer):
    """A score (fields for the schema; the representation is score_wire's,
    with the board the view lists, `context["board"]`)."""

    game = serializers.SlugRelatedField(slug_field="slug", read_only=True, help_text="The game's slug.")
    board = serializers.SlugRelatedField(slug_field="key", read_only=True, help_text="The board's key.")
    user = UserRefSerializer(read_only=True, help_text="Who submitted it.")
    value = StrictIntegerField()
    subscore = StrictIntegerField(allow_null=True, help_text="The tie-breaking subscore; null on boards without one.")
    metadata = JSONObjectField(help_text="The object sent with the score, exactly as sent.")

    class Meta:
        model = Score
        fields = ["id", "game", "board", "user", "value", "subscore", "metadata", "created_at"]
        read_only_fields = fields

    def to_representation(self, score):
        return score_wire(score, self.context["board"])


@extend_schema_serializer(component_name="SubmitScore", description="A score to submit for the signed-in player.")
class SubmitScoreInput(serializers.Serializer):
    value = StrictIntegerField(help_text="An integer within the board's minScore and maxScore, when it has them.")
    subscore = StrictIntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Required on a board with a subscoreOrder (it breaks ties), refused on others.",
    )
    metadata = JSONObjectField(
        required=False,
        default=dict,
        max_bytes=4096,
        max_depth=8,
        help_text="Any JSON object of at most 4 KiB and 8 levels, kept verbatim.",
    )


def submission_wire(*, score, board, rank, personal_best: bool, previous_best: int | None) -> dict:
    """The 201 of a submission, in wire form (camelCase)."""
    return {
        "score": score_wire(score, board),
        "rank": rank,
        "personalBest": personal_best,
        "previousBest": previous_best,
    }


def submission_envelope(**fields) -> bytes:
    """submission_wire's envelope, encoded: the 201's body."""
    return envelope_bytes(submission_wire(**fields))


def submission_halves(**fields) -> tuple[str, str]:
    """The 201's body before and after its rank, for the Redis round trip
    that tells the rank to write it in (scores.committed)."""
    return around_hole(envelope_bytes(submission_wire(rank=HOLE, **fields)).decode())


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


def period_meta(window, now) -> dict:
    """What a leaderboard list's `meta` says of its period: `period`, and
    `periodStart`, `periodEnd` and `nextResetAt` (the current period's end;
    null for a past one), all null for all time."""
    start, end = window.starts_at, window.ends_at
    return {
        "period": window.period,
        "periodStart": format_datetime(start) if start else None,
        "periodEnd": format_datetime(end) if end else None,
        "nextResetAt": format_datetime(end) if end and not window.is_over(now) else None,
    }


def entry_wire(entry) -> dict:
    """A leaderboard entry on the wire, `{rank, user: {id, username}, value,
    subscore, achievedAt}`, built without a serializer: hot paths make hundreds."""
    return {
        "rank": entry.rank,
        "user": {"id": entry.user_id, "username": entry.username},
        "value": entry.value,
        "subscore": entry.subscore,
        "achievedAt": format_datetime(entry.achieved_at),
    }


@extend_schema_serializer(
    description=(
        "One player's place on a leaderboard: their best value in the period by the game's score order, "
        "and when they first reached it. Ranks run 1, 2, 3… without gaps; a tie goes to whoever got there first."
    )
)
class EntrySerializer(serializers.Serializer):
    """`{rank, user: {id, username}, value, subscore, achievedAt}` (fields for
    the schema; the representation is entry_wire's)."""

    rank = serializers.IntegerField(min_value=1)
    user = UserRefSerializer(read_only=True)
    value = StrictIntegerField(
        help_text="The player's entry by the board's operator: their best, their latest value, or their total."
    )
    subscore = StrictIntegerField(allow_null=True, help_text="The entry's subscore; null on boards without one.")
    achieved_at = serializers.DateTimeField(help_text="When the entry last changed to this value.")

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


def board_wire(board) -> dict:
    """A board on the wire (CONTRACT §9), built without a serializer."""
    return {
        "key": board.key,
        "name": board.name,
        "scoreOrder": board.score_order,
        "operator": board.operator,
        "subscoreOrder": board.subscore_order,
        "minScore": board.min_score,
        "maxScore": board.max_score,
        "authoritative": board.authoritative,
        "review": board.review,
        "kind": board.kind,
        "startsAt": format_datetime(board.starts_at) if board.starts_at else None,
        "endsAt": format_datetime(board.ends_at) if board.ends_at else None,
        "maxEntrants": board.max_entrants,
        "maxAttempts": board.max_attempts,
        "joinRequired": board.join_required,
        "createdAt": format_datetime(board.created_at),
        "updatedAt": format_datetime(board.updated_at),
    }


@extend_schema_serializer(
    description=(
        "One of a game's leaderboards (a track, a level, a mode, a stat). `operator` says how a submission "
        "changes a player's entry; `subscoreOrder`, when set, breaks ties among equal values. Every game has "
        "the board `default`, whose score order and bounds are the game's."
    )
)
class BoardSerializer(serializers.ModelSerializer):
    """A board (fields for the schema; the representation is board_wire's)."""

    min_score = StrictIntegerField(allow_null=True, help_text="The lowest value accepted; null for no bound.")
    max_score = StrictIntegerField(allow_null=True, help_text="The highest value accepted; null for no bound.")

    class Meta:
        model = Board
        fields = [
            "key",
            "name",
            "score_order",
            "operator",
            "subscore_order",
            "min_score",
            "max_score",
            "authoritative",
            "review",
            "kind",
            "starts_at",
            "ends_at",
            "max_entrants",
            "max_attempts",
            "join_required",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "key": {"help_text": "The board's name in URLs, unique within the game; it never changes."},
            "subscore_order": {"help_text": "asc or desc when submissions carry a tie-breaking subscore; else null."},
            "authoritative": {"help_text": "Whether only the studio's servers may submit (false for now)."},
            "review": {"help_text": "How suspect scores are reviewed (off for now)."},
            "kind": {"help_text": "board, or tournament for a board with a start, an end and entrants."},
            "starts_at": {"help_text": "A tournament's start; null on plain boards."},
            "ends_at": {"help_text": "A tournament's end; null on plain boards."},
            "max_entrants": {"help_text": "A tournament's limit of entrants; null on plain boards."},
            "max_attempts": {"help_text": "A tournament's limit of submissions per entrant; null on plain boards."},
            "join_required": {"help_text": "Whether players must join before submitting (false on plain boards)."},
        }

    def to_representation(self, board):
        return board_wire(board)


@extend_schema_serializer(
    component_name="BoardUpdate",
    description=(
        "Changes to a board: only the fields sent change. `scoreOrder`, `operator` and `subscoreOrder` cannot "
        "change once the board has scores; on `default` the score order and bounds are the game's."
    ),
)
class BoardUpdateInput(serializers.Serializer):
    name = serializers.CharField(min_length=1, max_length=100)
    score_order = serializers.ChoiceField(choices=ScoreOrder.choices)
    operator = serializers.ChoiceField(choices=Operator.choices)
    subscore_order = serializers.ChoiceField(choices=ScoreOrder.choices, allow_null=True)
    min_score = StrictIntegerField(allow_null=True)
    max_score = StrictIntegerField(allow_null=True)


@extend_schema_serializer(
    component_name="BoardCreate",
    description=(
        "A new board. Without a `key`, one is made from the name (with -2, -3… added when it is taken); "
        "a `key` sent that is taken is a 409."
    ),
)
class BoardCreateInput(BoardUpdateInput):
    key = serializers.RegexField(
        SLUG_RULE,
        max_length=BOARD_KEY_MAX,
        required=False,
        error_messages={"invalid": "Keys are lowercase letters and digits separated by single hyphens."},
    )
    score_order = serializers.ChoiceField(choices=ScoreOrder.choices, required=False, default=ScoreOrder.DESC)
    operator = serializers.ChoiceField(choices=Operator.choices, required=False, default=Operator.BEST)
    subscore_order = serializers.ChoiceField(choices=ScoreOrder.choices, allow_null=True, required=False, default=None)
    min_score = StrictIntegerField(allow_null=True, required=False, default=None)
    max_score = StrictIntegerField(allow_null=True, required=False, default=None)
