from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from config import health, pages
from config.api.index import api_index
from config.api.schema_views import SchemaView
from games.serializers import SLUG_RULE
from games.views import GameViewSet
from realtime import views as live_views
from scores.views import BoardViewSet, GameScoreViewSet, LeaderboardViewSet, leaderboard

GAME = rf"games/(?P<game_slug>{SLUG_RULE[1:-2]})"
BOARD = rf"{GAME}/boards/(?P<board_key>{SLUG_RULE[1:-2]})"

router = SimpleRouter()
router.register("games", GameViewSet, basename="game")
router.register(rf"{GAME}/scores", GameScoreViewSet, basename="game-score")
router.register(rf"{GAME}/leaderboard", LeaderboardViewSet, basename="game-leaderboard")
# Every board's paths; the two above are the `default` board's.
router.register(rf"{GAME}/boards", BoardViewSet, basename="game-board")
router.register(rf"{BOARD}/scores", GameScoreViewSet, basename="board-score")
router.register(rf"{BOARD}/leaderboard", LeaderboardViewSet, basename="board-leaderboard")

api_v1 = [
    path("auth/", include("accounts.urls")),
    # The cached fast path of the hottest read; the router's route below
    # describes the same URL (schema) and serves whatever this hands over.
    re_path(rf"^{GAME}/leaderboard/$", leaderboard),
    re_path(rf"^{BOARD}/leaderboard/$", leaderboard),
    *router.urls,
]

urlpatterns = [
    path("", pages.front_page, name="front"),
    path("api/", api_index, name="api-index"),
    path("api/v1/", api_index, name="api-v1-index"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/schema.json", SchemaView.as_view(), {"format": "json"}, name="schema-json"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("games/", live_views.lobby, name="lobby"),
    path("games/<slug:slug>/live/", live_views.game_live, name="game-live"),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]

# The HTML side's error pages (under /api/ both become the JSON envelope).
handler404 = "config.pages.not_found"
handler500 = "config.pages.server_error"
