"""Games in the admin: every change goes through games.services, so the API's
caches and rules hold for operators too."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html, format_html_join

from config.errors import AppError
from games import charts, services
from games.dashboard import PLAYER_HOURS, SUBMISSION_HOURS, TOP_ENTRIES, game_dashboard
from games.models import Game
from realtime.presence import player_counts
from scores import ranking
from scores.models import Best, Board, Period, Score
from scores.rebuild import rebuild_boards


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
    # Short headers and one status column: the list fits a 1280-pixel screen
    # beside the admin's navigation and the filters (issue #11, item 12).
    list_display = ["name", "slug", "owner", "best_is", "status", "live_players", "score_count"]
    list_filter = ["is_active", ArchivedFilter, "score_order"]
    list_select_related = ["owner"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["owner"]
    readonly_fields = ["boards", "archived_at", "created_at", "updated_at"]
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

    @admin.display(description="live")
    def live_players(self, game):
        count = getattr(game, "live_count", None)
        return f"{count.players if count else 0:,}"

    @admin.display(description="scores", ordering="score_total")
    def score_count(self, game):
        return f"{game.score_total:,}"

    @admin.display(description="boards")
    def boards(self, game):
        """The game's boards, with how many players each ranks (all time), in
        one query. Boards are made and changed through the API (§9), whose
        services keep the default board and the game in step."""
        if game.pk is None:
            return "The default board is made with the game."
        entries = (
            Best.objects.filter(board=OuterRef("pk"), period=Period.ALL)
            .order_by()
            .values("board")
            .annotate(n=Count("*"))
            .values("n")
        )
        rows = Board.objects.filter(game=game).annotate(
            entry_total=Coalesce(Subquery(entries, output_field=IntegerField()), 0)
        )
        return format_html(
            '<table class="podium-boards"><thead><tr><th>key</th><th>name</th><th>operator</th><th>best is</th>'
            "<th>subscore</th><th>entries</th><th>status</th></tr></thead><tbody>{}</tbody></table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        board.key,
                        board.name,
                        board.operator,
                        "lowest" if board.score_order == "asc" else "highest",
                        {"asc": "lower first", "desc": "higher first"}.get(board.subscore_order, "none"),
                        f"{board.entry_total:,}",
                        "archived" if board.is_archived else "listed",
                    )
                    for board in rows.order_by("key")
                ),
            ),
        )

    @admin.display(description="best", ordering="score_order")
    def best_is(self, game):
        return "highest" if game.higher_is_better else "lowest"

    @admin.display(description="status", ordering="is_active")
    def status(self, game):
        if game.is_archived:
            return "archived"
        return "active" if game.is_active else "inactive"

    def get_urls(self):
        dashboard = self.admin_site.admin_view(self.dashboard_view)
        name = f"{self.opts.app_label}_{self.opts.model_name}_dashboard"
        # Before the default URLs: their catch-all `<object_id>/` would take it.
        return [path("<path:object_id>/dashboard/", dashboard, name=name), *super().get_urls()]

    def dashboard_view(self, request, object_id):
        """The operator's view of one game: who plays it now, its last hours,
        how its all-time board spreads, and the board's top 10."""
        game = self._game_alone(object_id)
        if game is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, game):
            raise PermissionDenied
        dashboard = game_dashboard(game=game)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": game,
            "title": f"Dashboard: {game.name}",
            "subtitle": None,
            "dashboard": dashboard,
            "charts": _dashboard_charts(dashboard),
            "submission_hours": SUBMISSION_HOURS,
            "top_size": TOP_ENTRIES,
            "has_view_permission": True,
            "has_change_permission": self.has_change_permission(request, game),
        }
        return TemplateResponse(request, "admin/games/game/dashboard.html", context)

    def _game_alone(self, object_id: str) -> Game | None:
        """The game without the changelist's score count (a count over every
        score of the game, which the dashboard does not show)."""
        try:
            return Game.objects.filter(pk=unquote(object_id)).first()
        except (ValueError, ValidationError):
            return None

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
            rebuilt = rebuild_boards(list(Board.objects.filter(game__in=queryset, archived_at__isnull=True)))
        except ranking.RankingUnavailable:
            self.message_user(request, "Redis is not answering; try again later.", messages.ERROR)
            return
        self.message_user(request, f"Rebuilt {rebuilt} leaderboard(s).")

    def _each(self, request, queryset, change, verb: str) -> None:
        games = list(queryset)
        for game in games:
            change(game)
        self.message_user(request, f"{len(games)} game(s) {verb}.")


def _dashboard_charts(dashboard) -> list[charts.BarChart]:
    return [
        charts.hours_chart(
            hours=dashboard.player_hours,
            slug="players",
            title=f"Players per hour, last {PLAYER_HOURS} hours",
            description=f"Distinct players who submitted a score in each of the last {PLAYER_HOURS} UTC hours, "
            "the current hour last.",
            field="players",
            y_label="Players",
        ),
        charts.hours_chart(
            hours=dashboard.hours,
            slug="submissions",
            title=f"Submissions per hour, last {SUBMISSION_HOURS} hours",
            description=f"Scores accepted in each of the last {SUBMISSION_HOURS} UTC hours, the current hour last.",
            field="submissions",
            y_label="Submissions",
        ),
        charts.distribution_chart(buckets=dashboard.buckets, unit=dashboard.unit, slug="distribution"),
    ]
