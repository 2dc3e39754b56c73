"""The live page and the games page, as the server renders them (CONTRACT §8).
What the script does with them in a browser is tests/e2e's."""

import pytest

from accounts.models import User
from games.services import archive_game
from tests.conftest import bearer_client
from tests.factories import GameFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_live_page_renders_the_count_and_top_ten_without_javascript(client):
    game = GameFactory(slug="arena", name="Arena")
    for value, player in enumerate(UserFactory.create_batch(12), start=1):
        bearer_client(player).post("/api/v1/games/arena/scores/", {"value": value})

    response = client.get("/games/arena/live/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="players">0<' in html
    assert html.count("<tr><td>") == 10  # the top 10 only
    assert "<td>1</td><td>player" in html.replace("\n", "")
    assert game.name in html


def test_untrusted_text_is_escaped_on_the_live_page(client):
    game = GameFactory(slug="xss", name="<script>alert(1)</script>")
    sneaky = User.objects.create(username="<img src=x onerror=alert(1)>", email="sneaky@example.com")
    bearer_client(sneaky).post("/api/v1/games/xss/scores/", {"value": 5})

    html = client.get(f"/games/{game.slug}/live/").content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_live_page_runs_only_our_own_script(client):
    GameFactory(slug="arena")

    response = client.get("/games/arena/live/")

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in response.content.decode()  # no inline script at all


def test_the_live_page_of_an_archived_or_unknown_game_is_a_404(client):
    archive_game(game=GameFactory(slug="gone"))

    assert client.get("/games/gone/live/").status_code == 404
    assert client.get("/games/nothing/live/").status_code == 404


def test_the_games_page_lists_every_listed_game_with_its_count(client):
    GameFactory(slug="open-game", name="Open game")
    GameFactory(slug="closed-game", name="Closed game", is_active=False)
    archive_game(game=GameFactory(slug="archived-game", name="Archived game"))

    html = client.get("/games/").content.decode()

    assert 'data-game="open-game"' in html
    assert 'data-game="closed-game"' in html
    assert "archived-game" not in html
    assert '<a href="/games/open-game/live/">Open game</a>' in html


def test_the_pages_scripts_are_served(client):
    for name in ("socket", "live", "lobby"):
        assert client.get(f"/static/realtime/{name}.js").status_code == 200


def test_the_live_page_shows_values_by_the_games_unit(client):
    """Issue 11, item 5: the Speed Run board showed `68772` although its metadata says "unit": "ms"."""
    GameFactory(slug="speed-run", score_order="asc", metadata={"unit": "ms"})
    GameFactory(slug="space-race", metadata={"unit": "points"})
    bearer_client(UserFactory()).post("/api/v1/games/speed-run/scores/", {"value": 68772})
    bearer_client(UserFactory()).post("/api/v1/games/space-race/scores/", {"value": 250000})

    timed = client.get("/games/speed-run/live/").content.decode()
    counted = client.get("/games/space-race/live/").content.decode()

    assert '<td class="value">1:08.772</td>' in timed
    assert 'data-unit="ms"' in timed  # for the script, which formats what arrives live the same way
    assert '<td class="value">250,000 points</td>' in counted


def _board(game, **fields) -> str:
    response = bearer_client(game.owner).post(f"/api/v1/games/{game.slug}/boards/", fields)
    assert response.status_code == 201, response.content
    return response.json()["data"]["key"]


def test_the_live_page_shows_a_board_by_its_key(client):
    game = GameFactory(slug="arena", name="Arena", metadata={"units": {"laps": "ms"}})
    key = _board(game, key="laps", name="Lap times", score_order="asc")
    player = UserFactory(username="ann")
    bearer_client(player).post(f"/api/v1/games/arena/boards/{key}/scores/", {"value": 68772})
    bearer_client(player).post("/api/v1/games/arena/scores/", {"value": 5})

    html = client.get("/games/arena/live/", {"board": key}).content.decode()

    assert 'data-board="laps"' in html
    assert "Lap times · Top 10" in html
    assert "1:08.772" in html  # the board's own unit
    assert '<td class="value">5</td>' not in html  # not the default board's entry
    assert 'href="?board=default"' in html  # the other boards, one click away
    default = client.get("/games/arena/live/").content.decode()
    assert '<td class="value">5</td>' in default
    assert 'href="?board=laps"' in default


def test_the_live_page_of_an_unknown_or_archived_board_is_a_404(client):
    game = GameFactory(slug="arena")
    key = _board(game, name="Old")
    assert bearer_client(game.owner).delete(f"/api/v1/games/arena/boards/{key}/").status_code == 204

    assert client.get("/games/arena/live/", {"board": key}).status_code == 404
    assert client.get("/games/arena/live/", {"board": "nothing"}).status_code == 404
    assert client.get("/games/arena/live/", {"board": "Not a key!"}).status_code == 404


def test_the_games_page_lists_each_games_boards(client):
    game = GameFactory(slug="arena", name="Arena")
    _board(game, key="laps", name="Lap times")
    archived = _board(game, key="old", name="Old")
    bearer_client(game.owner).delete(f"/api/v1/games/arena/boards/{archived}/")
    GameFactory(slug="solo", name="Solo")  # only its default board: no list

    html = client.get("/games/").content.decode()

    assert 'href="/games/arena/live/?board=laps">Lap times</a>' in html
    assert 'href="/games/arena/live/?board=default">' in html
    assert "?board=old" not in html
    assert "/games/solo/live/?board=" not in html
