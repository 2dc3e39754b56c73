"""Games in the admin: every change goes through games.services, so the API's
caches and rules hold for operators too."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from config.errors import AppError
from games import services
from games.models import Game
from realtime.presence import player_counts
from scores import ranking
from scores.models import Score
from scores.rebuild import rebuild_game


class ArchivedFilter(admin.SimpleListFilter):
    title = "archived"
    parameter_name = "archived"

    def lookups(self, request, model_admin):
        return [("no", "Not archived"), ("yes", "Archived")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(archived_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(archived_at__isnull=False)
        return queryset


class GameForm(forms.ModelForm):
    class Meta:
        model = Game
        fields = [
            "name",
            "slug",
            "description",
            "score_order",
            "min_score",
            "max_score",
            "metadata",
            "is_active",
            "owner",
        ]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and not self.errors:
            changes = {name: cleaned[name] for name in self.changed_data if name in services.OPERATOR_FIELDS}
            try:
                services.check_game_changes(game=self.instance, changes=changes)
            except AppError as exc:
                raise forms.ValidationError(exc.message) from None
        return cleaned


@admin.register(Game)
class GameAdmin(admin.ModelAdmin):
    form = GameForm
    list_display = ["name", "slug", "owner", "score_order", "is_active", "is_archived", "live_players", "score_count"]
    list_filter = ["is_active", ArchivedFilter, "score_order"]
    list_select_related = ["owner"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["owner"]
    readonly_fields = ["archived_at", "created_at", "updated_at"]
    actions = ["activate", "deactivate", "archive", "restore", "rebuild_leaderboards"]
    ordering = ["-created_at", "-id"]

    def get_readonly_fields(self, request, obj=None):
        # The slug is a public URL: fixed once the game exists.
        return [*self.readonly_fields, "slug"] if obj else self.readonly_fields

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj else self.prepopulated_fields

    def get_queryset(self, request):
        scores = Score.objects.filter(game=OuterRef("pk")).order_by().values("game").annotate(n=Count("*")).values("n")
        return (
            super()
            .get_queryset(request)
            .annotate(score_total=Coalesce(Subquery(scores, output_field=IntegerField()), 0))
        )

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        # One presence read for the whole page, not one per row.
        counts = player_counts([game.pk for game in changelist.result_list])
        for game in changelist.result_list:
            game.live_count = counts[game.pk]
        return changelist

    @admin.display(description="live players")
    def live_players(self, game):
        count = getattr(game, "live_count", None)
        return count.players if count else 0

    @admin.display(description="scores", ordering="score_total")
    def score_count(self, game):
        return game.score_total

    @admin.display(description="archived", boolean=True)
    def is_archived(self, game):
        return game.is_archived

    def save_model(self, request, obj, form, change):
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data if name in services.OPERATOR_FIELDS}
            services.update_game(game=obj, changes=changes)
        else:
            fields = {name: form.cleaned_data[name] for name in GameForm.Meta.fields if name not in ("owner", "name")}
            created = services.create_game(owner=form.cleaned_data["owner"], name=form.cleaned_data["name"], **fields)
            obj.pk, obj.slug = created.pk, created.slug

    @admin.action(description="Activate (accept scores)", permissions=["change"])
    def activate(self, request, queryset):
        self._each(request, queryset, lambda game: services.set_game_active(game=game, active=True), "activated")

    @admin.action(description="Deactivate (refuse new scores)", permissions=["change"])
    def deactivate(self, request, queryset):
        self._each(request, queryset, lambda game: services.set_game_active(game=game, active=False), "deactivated")

    def has_delete_permission(self, request, obj=None):
        return False  # archiving is the only delete: scores are kept

    def has_archive_permission(self, request):
        return request.user.has_perm("games.delete_game")

    @admin.action(description="Archive (hide everywhere, keep scores)", permissions=["archive"])
    def archive(self, request, queryset):
        self._each(request, queryset, lambda game: services.archive_game(game=game), "archived")

    @admin.action(description="Restore from the archive", permissions=["change"])
    def restore(self, request, queryset):
        self._each(request, queryset, lambda game: services.restore_game(game=game), "restored")

    @admin.action(description="Rebuild leaderboards in Redis", permissions=["change"])
    def rebuild_leaderboards(self, request, queryset):
        if not ranking.enabled():
            self.message_user(request, "Redis is not configured: leaderboards are read from the database.")
            return
        try:
            rebuilt = sum(rebuild_game(game) for game in queryset)
        except ranking.RankingUnavailable:
            self.message_user(request, "Redis is not answering; try again later.", messages.ERROR)
            return
        self.message_user(request, f"Rebuilt {rebuilt} leaderboard(s).")

    def _each(self, request, queryset, change, verb: str) -> None:
        games = list(queryset)
        for game in games:
            change(game)
        self.message_user(request, f"{len(games)} game(s) {verb}.")
