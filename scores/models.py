from django.conf import settings
from django.db import models

from games.models import Game


class Score(models.Model):
    """One accepted submission. Only `scores.services.submit_score` creates them."""

    game = models.ForeignKey(Game, on_delete=models.PROTECT, related_name="scores", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scores")
    value = models.BigIntegerField()
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            # The game's list, newest first (also every lookup by game).
            models.Index(fields=["game", "-created_at", "-id"], name="scores_by_game_created"),
            # The game's list sorted by value.
            models.Index(fields=["game", "value", "id"], name="scores_by_game_value"),
            # `?user=` on a game's list, and recomputing one player's bests.
            models.Index(fields=["game", "user", "-created_at"], name="scores_by_game_user"),
        ]

    def __str__(self) -> str:
        return f"{self.value} by {self.user_id} in {self.game_id}"


class Period(models.TextChoices):
    ALL = "all", "All time"
    DAY = "day", "Day (UTC)"
    WEEK = "week", "ISO week (UTC)"
    MONTH = "month", "Month (UTC)"


class Best(models.Model):
    """A player's best score in one game and period: one leaderboard entry.

    `rank_key` is the value turned so that smaller is always better (the value
    for lower-is-better games, its negation otherwise), so one index orders
    every board: (rank_key, achieved_at, user) ascending is the ranking, ties
    going to whoever reached the value first. Kept by an upsert that only
    ever improves a row (scores.services).
    """

    game = models.ForeignKey(Game, on_delete=models.PROTECT, related_name="+", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=5, choices=Period.choices)
    period_start = models.DateField()
    value = models.BigIntegerField()
    rank_key = models.BigIntegerField()
    achieved_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["game", "period", "period_start", "user"], name="scores_best_one_per_player_and_board"
            ),
        ]
        indexes = [
            # Top-N and "how many are ahead of me" as index-only scans.
            models.Index(
                fields=["game", "period", "period_start", "rank_key", "achieved_at", "user"],
                name="scores_best_ranking",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.value} by {self.user_id} in {self.game_id} ({self.period} {self.period_start})"


class IdempotencyRecord(models.Model):
    """The first response to a score submission made with an `Idempotency-Key`.

    Kept 24 hours (`manage.py purge_idempotency_keys`); a repeat of the key by
    the same user gets this response again instead of a new score.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="scores_idempotency_one_per_user_and_key"),
        ]
        indexes = [models.Index(fields=["created_at"], name="scores_idempotency_by_age")]

    def __str__(self) -> str:
        return f"{self.key} ({self.user_id})"


class StaleBoard(models.Model):
    """A board whose Redis copy missed a write (Redis did not answer).

    Every process checks these (at most once a second) before it reads a
    board from Redis, and rebuilds a stale one first; the rebuild deletes
    the mark. PostgreSQL holds the mark so that no process misses it."""

    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="+", db_index=False)
    period = models.CharField(max_length=5, choices=Period.choices)
    period_start = models.DateField()
    marked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["game", "period", "period_start"], name="scores_staleboard_one_per_board")
        ]

    def __str__(self) -> str:
        return f"{self.game_id} {self.period} {self.period_start}"
