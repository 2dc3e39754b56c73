"""The site's own HTML pages: the front page, and the 404 and 500 pages of
the HTML side (everything under /api/ answers in the JSON envelope instead)."""

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.views.decorators.http import require_GET

from games.selectors import listed_games
from realtime.presence import player_counts

# The pages run only our own styles; no script at all on these.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
FRONT_PAGE_GAMES = 10


def _page(request, template: str, context: dict, *, status: int = 200):
    response = render(request, template, context, status=status)
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


@require_GET
def front_page(request):
    """What Podium is, and the way to everything a newcomer looks for."""
    games = list(listed_games().order_by("-created_at", "-pk")[:FRONT_PAGE_GAMES])
    counts = player_counts([game.pk for game in games])
    rows = [{"game": game, "count": counts[game.pk]} for game in games]
    return _page(request, "front.html", {"rows": rows})


def not_found(request, exception=None):
    return _page(request, "404.html", {"path": request.path}, status=404)


def server_error(request):
    # Rendered without the request: no context processor, no session and no
    # database is touched, since whatever broke may be among them.
    response = HttpResponseServerError(loader.get_template("500.html").render())
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response
