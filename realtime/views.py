"""The live pages: rendered on the server (readable without JavaScript),
kept live by a small script over the websocket."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from config.errors import NotFound
from games.selectors import game_by_slug, listed_games
from games.units import score_unit
from realtime.presence import player_counts
from realtime.selectors import top_ten
from scores.boards import board_by_key, boards_of_games, listed_boards
from scores.models import DEFAULT_BOARD

# Pages run only our own script and styles; sockets go back to this host.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _page(request, template: str, context: dict):
    response = render(request, template, context)
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def game_live(request, slug: str):
    try:
        game = game_by_slug(slug)
    except NotFound:
        raise Http404("No such game.") from None
    key = request.GET.get("board", DEFAULT_BOARD)
    try:
        board = board_by_key(game, key)
    except NotFound:
        raise Http404("No such board.") from None
    count = player_counts([game.pk])[game.pk]
    context = {
        "game": game,
        "board": board,
        "boards": list(listed_boards(game=game)),
        "count": count,
        "leaderboard": top_ten(board),
        "unit": score_unit(game.metadata, board.key),
    }
    return _page(request, "realtime/live.html", context)


@require_GET
def lobby(request):
    games = list(listed_games().order_by("-created_at", "-pk"))
    counts = player_counts([game.pk for game in games])
    boards = boards_of_games([game.pk for game in games])
    rows = [{"game": game, "count": counts[game.pk], "boards": boards.get(game.pk, [])} for game in games]
    return _page(request, "realtime/lobby.html", {"rows": rows})
