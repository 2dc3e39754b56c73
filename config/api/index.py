"""`/api/` and `/api/v1/`: where everything in the API is, for someone who
types the base URL into a browser."""

from django.http import HttpResponse
from django.views.decorators.http import require_GET

from config.api.rendering import envelope_bytes

V1 = "/api/v1/"
INDEX = {
    "name": "Podium API",
    "version": "v1",
    "base": V1,
    "docs": "/api/docs/",
    "schema": "/api/schema/",
    "resources": {
        "games": f"{V1}games/",
        "game": f"{V1}games/{{slug}}/",
        "scores": f"{V1}games/{{slug}}/scores/",
        "leaderboard": f"{V1}games/{{slug}}/leaderboard/",
        "myEntry": f"{V1}games/{{slug}}/leaderboard/me/",
        "playerEntry": f"{V1}games/{{slug}}/leaderboard/users/{{username}}/",
        "boards": f"{V1}games/{{slug}}/boards/",
        "board": f"{V1}games/{{slug}}/boards/{{key}}/",
        "boardScores": f"{V1}games/{{slug}}/boards/{{key}}/scores/",
        "boardLeaderboard": f"{V1}games/{{slug}}/boards/{{key}}/leaderboard/",
        "register": f"{V1}auth/register/",
        "login": f"{V1}auth/login/",
        "refresh": f"{V1}auth/refresh/",
        "logout": f"{V1}auth/logout/",
        "me": f"{V1}auth/me/",
        "csrf": f"{V1}auth/csrf/",
    },
    "live": {"gameSocket": "/ws/games/{slug}/", "livePage": "/games/{slug}/live/"},
}
_BODY = envelope_bytes(INDEX)


@require_GET
def api_index(request):
    return HttpResponse(_BODY, content_type="application/json")
