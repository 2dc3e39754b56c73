from django.conf import settings
from django.db import models
from django.db.models import Q

from games.models import Game, ScoreOrder

DEFAULT_BOARD = "default"
BOARD_KEY_MAX = 64


class Operator(models.TextChoices):
    """How a submission changes a player's entry, in each period on its own."""

    BEST = "best", "Best (keep the better one)"
    LATEST = "latest", "Latest (the newest replaces it)"
    SUM = "sum", "Sum (values add up)"


class Review(models.TextChoices):
    OFF = "off", "Off"
    FLAG = "flag", "Flag suspect scores"
    HOLD = "hold", "Hold suspect scores"


class BoardKind(models.TextChoices):
    BOARD = "board", "Board"
    TOURNAMENT = "tournament", "Tournament"


class Board(models.Model):
    """One of a game's leaderboards (a track, a level, a mode, a stat).

    Every game has the board `default`, made with it, whose score order and
    bounds are the game's own (games.services keeps them in step). Archiving
    (`archived_at`) is the only delete, as for games. The fields after
    `subscore_order` are the trust and tournament settings; they keep their
    defaults until those features exist."""

    game = models.ForeignKey(Game, on_delete=models.PROTECT, related_name="boards", db_index=False)
    key = models.SlugField(max_length=BOARD_KEY_MAX)
    name = models.CharField(max_length=100)
    score_order = models.CharField(max_length=4, choices=ScoreOrder.choices, default=ScoreOrder.DESC)
    operator = models.CharField(max_length=6, choices=Operator.choices, default=Operator.BEST)
    subscore_order = models.CharField(  # noqa: DJ001 - null is the contract's "no subscore", not an empty order
        max_length=4, choices=ScoreOrder.choices, null=True, blank=True
    )
    min_score = models.BigIntegerField(null=True, blank=True)
    max_score = models.BigIntegerField(null=True, blank=True)
    authoritative = models.BooleanField(default=False)
    review = models.CharField(max_length=4, choices=Review.choices, default=Review.OFF)
    kind = models.CharField(max_length=10, choices=BoardKind.choices, default=BoardKind.BOARD)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    max_entrants = models.PositiveIntegerField(null=True, blank=True)
    max_attempts = models.PositiveIntegerField(null=True, blank=True)
    join_required = models.BooleanField(default=False)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["game", "key"], name="scores_board_one_key_per_game"),
            models.CheckConstraint(
                condition=Q(min_score__isnull=True)
                | Q(max_score__isnull=True)
                | Q(min_score__lte=models.F("max_score")),
                name="scores_board_min_score_not_above_max",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def is_default(self) -> bool:
        return self.key == DEFAULT_BOARD

    @property
    def has_subscore(self) -> bool:
        return self.subscore_order is not None

    # The rank-key rule: a value and a subscore turned so that smaller is
    # always better, whatever the board's orders. One index on
    # (rank_key, subrank_key, achieved_at, user) then orders every board.

    def rank_key(self, value: int) -> int:
        return -value if self.score_order == ScoreOrder.DESC else value

    def value_of(self, rank_key: int) -> int:
        return -rank_key if self.score_order == ScoreOrder.DESC else rank_key

    def subrank_key(self, subscore: int | None) -> int:
        if subscore is None or self.subscore_order is None:
            return 0
        return -subscore if self.subscore_order == ScoreOrder.DESC else subscore

    def subscore_of(self, subrank_key: int) -> int | None:
        if self.subscore_order is None:
            return None
        return -subrank_key if self.subscore_order == ScoreOrder.DESC else subrank_key


class Score(models.Model):
    """One accepted submission to one board. Only `scores.services.submit_score`
    creates them. `game` is the board's game, kept for listing and moderation
    across a game's boards."""

    game = models.ForeignKey(Game, on_delete=models.PROTECT, related_name="scores", db_index=False)
    board = models.ForeignKey(Board, on_delete=models.PROTECT, related_name="scores", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scores")
    value = models.BigIntegerField()
    subscore = models.BigIntegerField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            # Every score of a game, newest first (the dashboard, the admin).
            models.Index(fields=["game", "-created_at", "-id"], name="scores_by_game_created"),
            # A board's list, newest first or by value.
            models.Index(fields=["board", "-created_at", "-id"], name="scores_by_board_created"),
            models.Index(fields=["board", "value", "id"], name="scores_by_board_value"),
            # `?user=` on a board's list, and recomputing one player's entries.
            models.Index(fields=["board", "user", "-created_at"], name="scores_by_board_user"),
        ]

    def __str__(self) -> str:
        return f"{self.value} by {self.user_id} on {self.board_id}"


class Period(models.TextChoices):
    ALL = "all", "All time"
    DAY = "day", "Day (UTC)"
    WEEK = "week", "ISO week (UTC)"
    MONTH = "month", "Month (UTC)"


class Best(models.Model):
    """A player's entry on one board and period (a best, a latest value or a
    total, by the board's operator).

    `rank_key` and `subrank_key` are the value and subscore turned so that
    smaller is always better (Board.rank_key), so one index orders every
    board: (rank_key, subrank_key, achieved_at, user) ascending is the
    ranking, ties going to whoever got there first. `version` counts the
    row's changes, so that Redis applies them in order. Kept by one upsert
    per submission (scores.services)."""

    game = models.ForeignKey(Game, on_delete=models.PROTECT, related_name="+", db_index=False)
    board = models.ForeignKey(Board, on_delete=models.PROTECT, related_name="+", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=5, choices=Period.choices)
    period_start = models.DateField()
    value = models.BigIntegerField()
    subscore = models.BigIntegerField(null=True, blank=True)
    rank_key = models.BigIntegerField()
    subrank_key = models.BigIntegerField(db_default=0)
    achieved_at = models.DateTimeField()
    version = models.BigIntegerField(db_default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["board", "period", "period_start", "user"], name="scores_best_one_per_player_and_period"
            ),
        ]
        indexes = [
            # Top-N and "how many are ahead of me" as index-only scans.
            models.Index(
                fields=["board", "period", "period_start", "rank_key", "subrank_key", "achieved_at", "user"],
                name="scores_best_board_ranking",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.value} by {self.user_id} on {self.board_id} ({self.period} {self.period_start})"


class RankBucket(models.Model):
    """How many entries of a board's period have their rank key in one
    bucket: PostgreSQL's rank histogram, so that a rank or a deep page needs
    no count of every entry ahead when Redis cannot answer (a sum over the
    buckets ahead, then a count inside one bucket; scores.selectors).

    Buckets split rank keys by magnitude (`podium_rank_bucket`, migration
    0008): each of the 256 smallest magnitudes alone, then 128 buckets per
    power of two, so a bucket holds a small share of any spread of values.
    A trigger on `scores_best` keeps the counts exact, whatever writes the
    entries (submissions, moderation, account deletion, purges). PostgreSQL
    only: SQLite, one laptop's data, counts entries."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="+", db_index=False)
    period = models.CharField(max_length=5, choices=Period.choices)
    period_start = models.DateField()
    bucket = models.BigIntegerField()
    entries = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["board", "period", "period_start", "bucket"], name="scores_rankbucket_one_per_bucket"
            )
        ]

    def __str__(self) -> str:
        return f"{self.board_id} {self.period} {self.period_start} bucket {self.bucket}: {self.entries}"


class IdempotencyRecord(models.Model):
    """An `Idempotency-Key` claimed by a score submission, in the submission's
    own transaction: a repeat of the key by the same user gets the first
    response again instead of a new score.

    `written` keeps what the submission's statement told it (the score's id,
    the all-time entry before and after: scores.writes.Written.facts); the
    first response itself, rank included, is kept in Redis beside it
    (scores.idempotency). Records of the previous release hold the whole
    response in `response_body`. Kept 24 hours (`manage.py
    purge_idempotency_keys`).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)
    response_body = models.JSONField(null=True, blank=True)
    written = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="scores_idempotency_one_per_user_and_key"),
        ]
        indexes = [models.Index(fields=["created_at"], name="scores_idempotency_by_age")]

    def __str__(self) -> str:
        return f"{self.key} ({self.user_id})"


class StaleBoard(models.Model):
    """A board period whose Redis copy missed a write (Redis did not answer).

    Every process checks these (at most once a second) before it reads a
    board from Redis, and rebuilds a stale one first; the rebuild deletes
    the mark. PostgreSQL holds the mark so that no process misses it."""

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="+", db_index=False)
    period = models.CharField(max_length=5, choices=Period.choices)
    period_start = models.DateField()
    marked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["board", "period", "period_start"], name="scores_staleboard_one_per_board_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.board_id} {self.period} {self.period_start}"
