"""Score moderation for operators. Scores are only ever created by players
(scores.services.submit_score); here they are read and deleted, and every
delete recomputes the player's bests."""

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connection
from django.utils.functional import cached_property

from games.units import format_score, score_unit
from scores import services
from scores.models import DEFAULT_BOARD, Best, Period, Score
from scores.selectors import RANKING


class EstimatedCountPaginator(Paginator):
    """Counts an unfiltered score table from PostgreSQL's statistics instead of
    a full COUNT(*), which takes seconds at millions of rows."""

    @cached_property
    def count(self):
        query = self.object_list.query
        if connection.vendor == "postgresql" and not query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [Score._meta.db_table]
                )
                estimate = cursor.fetchone()[0]
            if estimate >= 100_000:
                return estimate
        return super().count


class UsernameFilter(admin.SimpleListFilter):
    """Narrow the list to one player: once a game is chosen, the top 50
    players of its default board are offered (anyone else: type the username in the search box)."""

    title = "player"
    parameter_name = "player"

    def lookups(self, request, model_admin):
        game = request.GET.get("game__id__exact")
        if not game or not game.isdigit():
            return []
        players = (
            Best.objects.filter(game_id=int(game), board__key=DEFAULT_BOARD, period=Period.ALL)
            .order_by(*RANKING)
            .values_list("user_id", "user__username")[:50]
        )
        return [(str(user_id), username) for user_id, username in players]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(user_id=int(self.value()))
        return queryset


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
    list_display = ["id", "game", "board", "user", "score", "created_at"]
    list_filter = ["game", UsernameFilter]
    list_select_related = ["game", "board", "user"]
    search_fields = ["=user__username"]
    search_help_text = "Exact username (any case)."
    autocomplete_fields = ["user", "game"]
    ordering = ["-created_at", "-id"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    readonly_fields = ["game", "board", "user", "score", "subscore", "metadata", "created_at"]

    @admin.display(description="score", ordering="value")
    def score(self, score):
        """By the board's unit (`1:08.772`), the stored value beside it when
        the two differ."""
        shown = format_score(score.value, score_unit(score.game.metadata, score.board.key))
        return shown if shown == str(score.value) else f"{shown} ({score.value})"

    def has_add_permission(self, request):
        return False  # scores come from players, through the API

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        services.delete_score(score=obj)

    def delete_queryset(self, request, queryset):
        for score in queryset.select_related("game", "board", "user"):
            services.delete_score(score=score)
