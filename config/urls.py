from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from config import health, pages
from config.api.index import api_index
from config.api.schema_views import SchemaView
from games.serializers import SLUG_RULE
from games.views import GameViewSet, game_detail
from realtime import views as live_views
from scores.views import (
    BoardViewSet,
    GameScoreViewSet,
    LeaderboardViewSet,
    leaderboard,
    leaderboard_me,
    leaderboard_user,
    scores,
)

GAME = rf"games/(?P<game_slug>{SLUG_RULE[1:-2]})"
USERNAME_PATH = r"[A-Za-z0-9_-]{1,30}"
BOARD = rf"{GAME}/boards/(?P<board_key>{SLUG_RULE[1:-2]})"

router = SimpleRouter()
router.register("games", GameViewSet, basename="game")
router.register(rf"{GAME}/scores", GameScoreViewSet, basename="game-score")
router.register(rf"{GAME}/leaderboard", LeaderboardViewSet, basename="game-leaderboard")
# Every board's paths; the two above are the `default` board's.
router.register(rf"{GAME}/boards", BoardViewSet, basename="game-board")
router.register(rf"{BOARD}/scores", GameScoreViewSet, basename="board-score")
router.register(rf"{BOARD}/leaderboard", LeaderboardViewSet, basename="board-leaderboard")

# The hottest requests, answered without DRF's dispatch; the router's routes
# below describe the same URLs (the schema) and answer their other methods.
HOT_PATHS = [
    (r"leaderboard/", leaderboard),
    (r"leaderboard/me/", leaderboard_me),
    (rf"leaderboard/users/(?P<username>{USERNAME_PATH})/", leaderboard_user),
    (r"scores/", scores),
]

api_v1 = [
    re_path(rf"^games/(?P<slug>{SLUG_RULE[1:-2]})/$", game_detail),
    *(re_path(rf"^{scope}/{path}$", view) for scope in (GAME, BOARD) for path, view in HOT_PATHS),
    path("auth/", include("accounts.urls")),
    *router.urls,
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
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
    path("readyz", health.readyz, name="readyz"),
]

# The HTML side's error pages (under /api/ both become the JSON envelope).
handler404 = "config.pages.not_found"
handler500 = "config.pages.server_error"
