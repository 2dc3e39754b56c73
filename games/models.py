from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q


class ScoreOrder(models.TextChoices):
    DESC = "desc", "Higher is better"
    ASC = "asc", "Lower is better"


class Game(models.Model):
    """A game whose scores Podium ranks. Archiving (`archived_at`) is the only
    delete: an archived game disappears from the API but keeps its scores."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, default="", max_length=2000)
    score_order = models.CharField(max_length=4, choices=ScoreOrder.choices, default=ScoreOrder.DESC)
    min_score = models.BigIntegerField(null=True, blank=True)
    max_score = models.BigIntegerField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="games")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_score__isnull=True)
                | Q(max_score__isnull=True)
                | Q(min_score__lte=models.F("max_score")),
                name="games_game_min_score_not_above_max",
            ),
        ]
        indexes = [
            models.Index(
                fields=["-created_at", "-id"], name="games_listed_by_created", condition=Q(archived_at__isnull=True)
            ),
            GinIndex(fields=["metadata"], name="games_game_metadata_gin"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def higher_is_better(self) -> bool:
        return self.score_order == ScoreOrder.DESC
