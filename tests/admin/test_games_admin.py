"""Operators run games in the admin, in a browser session of the test client."""

import re
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from games.admin import GameAdmin
from games.models import Game
from realtime.presence import PlayerCount
from tests.conftest import bearer_client
from tests.factories import GameFactory, UserFactory
from tests.leaderboards.playing import redis_key

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/games/game/"


@pytest.fixture
def admin_client(client, operator):
    client.force_login(operator)
    return client


def run_action(client, action, games):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(CHANGELIST, {"action": action, "_selected_action": [game.pk for game in games]}, follow=True)


def test_the_games_changelist_runs_a_bounded_number_of_queries(admin_client):
    GameFactory.create_batch(3)
    admin_client.get(CHANGELIST)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(CHANGELIST).status_code == 200
    GameFactory.create_batch(15)

    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    assert len(many) == len(few)


def test_the_changelist_shows_live_players_and_score_counts(admin_client, api):
    game = GameFactory(name="Counted")
    player = UserFactory()
    for value in (1, 2, 3):
        bearer_client(player).post(f"/api/v1/games/{game.slug}/scores/", {"value": value})

    html = admin_client.get(CHANGELIST).content.decode()

    assert 'class="field-score_count">3<' in html
    assert 'class="field-live_players">0<' in html


def test_the_changelist_says_each_games_status_and_which_end_wins_in_one_word(admin_client):
    GameFactory(slug="racing", score_order="desc")
    GameFactory(slug="paused", score_order="asc", is_active=False)
    run_action(admin_client, "archive", [GameFactory(slug="gone")])

    html = admin_client.get(CHANGELIST).content.decode()

    rows = re.findall(r'field-slug">([\w-]+)</td>.*?field-best_is">(\w+)</td><td class="field-status">(\w+)<', html)
    assert {slug: (best, status) for slug, best, status in rows} == {
        "racing": ("highest", "active"),
        "paused": ("lowest", "inactive"),
        "gone": ("highest", "archived"),
    }


def test_the_changelists_headers_are_short_enough_for_a_laptop_screen(admin_client):
    GameFactory()

    html = admin_client.get(CHANGELIST).content.decode()

    header = r'<th scope="col" class="[^"]*column-\w+[^"]*">\s*.*?<div class="text">(?:<a [^>]*>|<span>)([^<]+)<'
    headers = re.findall(header, html, re.S)
    assert headers == ["Name", "Slug", "Owner", "Best", "Status", "Live", "Scores"]


def test_the_changelist_writes_large_counts_with_thousands_separators():
    games = GameAdmin(Game, admin.site)

    assert games.score_count(SimpleNamespace(score_total=1_234_567)) == "1,234,567"
    assert games.live_players(SimpleNamespace(live_count=PlayerCount(players=12_345, connections=20_000))) == "12,345"


def test_an_operator_creates_a_game_with_a_slug_from_the_form(admin_client, operator):
    response = admin_client.post(
        "/admin/games/game/add/",
        {
            "name": "Moon Lander",
            "slug": "moon-lander",
            "description": "",
            "score_order": "asc",
            "min_score": "",
            "max_score": "",
            "metadata": "{}",
            "is_active": "on",
            "owner": operator.pk,
        },
        follow=True,
    )

    assert response.status_code == 200
    game = Game.objects.get(slug="moon-lander")
    assert game.owner == operator
    assert game.score_order == "asc"


def test_the_add_form_prepopulates_the_slug_from_the_name(admin_client):
    html = admin_client.get("/admin/games/game/add/").content.decode()

    assert 'data-prepopulated-fields="[{&quot;id&quot;: &quot;#id_slug&quot;' in html


def test_an_operator_edits_a_game_and_the_api_sees_it_at_once(admin_client, api):
    game = GameFactory(name="Old name")
    api.get(f"/api/v1/games/{game.slug}/")  # cached now

    with TestCase.captureOnCommitCallbacks(execute=True):
        admin_client.post(
            f"/admin/games/game/{game.pk}/change/",
            {
                "name": "New name",
                "description": "",
                "score_order": "desc",
                "min_score": "",
                "max_score": "",
                "metadata": "{}",
                "is_active": "on",
                "owner": game.owner.pk,
            },
        )

    assert api.get(f"/api/v1/games/{game.slug}/").json()["data"]["name"] == "New name"


def test_the_admin_refuses_a_score_order_change_once_scores_exist(admin_client):
    game = GameFactory()
    bearer_client(UserFactory()).post(f"/api/v1/games/{game.slug}/scores/", {"value": 5})

    response = admin_client.post(
        f"/admin/games/game/{game.pk}/change/",
        {
            "name": game.name,
            "description": "",
            "score_order": "asc",
            "min_score": "",
            "max_score": "",
            "metadata": "{}",
            "is_active": "on",
            "owner": game.owner.pk,
        },
    )

    assert response.status_code == 200  # the form again, with the error
    assert "cannot change once the game has scores" in response.content.decode()
    game.refresh_from_db()
    assert game.score_order == "desc"


@pytest.mark.parametrize(("action", "field", "expected"), [("deactivate", "is_active", False)])
def test_deactivating_games_makes_them_refuse_scores(admin_client, api, action, field, expected):
    game = GameFactory()

    run_action(admin_client, action, [game])

    game.refresh_from_db()
    assert getattr(game, field) is expected
    assert bearer_client(UserFactory()).post(f"/api/v1/games/{game.slug}/scores/", {"value": 1}).status_code == 409


def test_activating_games_makes_them_accept_scores_again(admin_client):
    game = GameFactory(is_active=False)

    run_action(admin_client, "activate", [game])

    game.refresh_from_db()
    assert game.is_active is True


def test_archiving_hides_a_game_and_restoring_brings_it_back(admin_client, api):
    game = GameFactory()
    api.get(f"/api/v1/games/{game.slug}/")

    run_action(admin_client, "archive", [game])
    assert api.get(f"/api/v1/games/{game.slug}/").status_code == 404

    run_action(admin_client, "restore", [game])
    assert api.get(f"/api/v1/games/{game.slug}/").status_code == 200


def test_games_cannot_be_deleted_only_archived(admin_client):
    game = GameFactory()

    response = admin_client.get(CHANGELIST)

    assert "delete_selected" not in response.content.decode()
    assert admin_client.get(f"/admin/games/game/{game.pk}/delete/").status_code == 403


def test_the_archived_filter_lists_archived_games(admin_client):
    GameFactory(name="Visible game")
    archived = GameFactory(name="Hidden game")
    run_action(admin_client, "archive", [archived])

    html = admin_client.get(CHANGELIST + "?archived=yes").content.decode()

    assert "Hidden game" in html
    assert "Visible game" not in html


def test_rebuilding_leaderboards_without_redis_explains_itself(admin_client, settings):
    settings.REDIS_URL = ""
    game = GameFactory()

    response = run_action(admin_client, "rebuild_leaderboards", [game])

    assert "read from the database" in response.content.decode()


@pytest.mark.redis
def test_rebuilding_leaderboards_restores_a_lost_board(admin_client, private_redis):
    game = GameFactory()
    bearer_client(UserFactory()).post(f"/api/v1/games/{game.slug}/scores/", {"value": 7})
    private_redis.client().flushall()

    response = run_action(admin_client, "rebuild_leaderboards", [game])

    assert "Rebuilt 4 leaderboard(s)" in response.content.decode()
    assert private_redis.client().zcard(redis_key(game)) == 1


def test_a_studio_member_is_not_an_operator(client):
    member = UserFactory(studio=True)
    client.force_login(member)

    assert client.get(CHANGELIST).status_code == 302


def test_the_studio_group_exists_and_may_create_games():
    studio = Group.objects.get(name="Studio")

    assert list(studio.permissions.values_list("codename", flat=True)) == ["add_game"]


def test_the_change_page_lists_the_games_boards_with_their_entry_counts(admin_client):
    game = GameFactory(slug="arena")
    owner = bearer_client(game.owner)
    assert owner.post("/api/v1/games/arena/boards/", {"key": "laps", "name": "Lap <b>times</b>"}).status_code == 201
    assert owner.post("/api/v1/games/arena/boards/", {"key": "old", "name": "Old"}).status_code == 201
    owner.delete("/api/v1/games/arena/boards/old/")
    for player in UserFactory.create_batch(3):
        bearer_client(player).post("/api/v1/games/arena/boards/laps/scores/", {"value": 5})
        bearer_client(player).post("/api/v1/games/arena/boards/laps/scores/", {"value": 9})

    html = admin_client.get(f"/admin/games/game/{game.pk}/change/").content.decode()
    rows = re.findall(r"<tr><td>([a-z-]+)</td><td>(.*?)</td>.*?<td>([0-9,]+)</td><td>(\w+)</td></tr>", html)

    assert rows == [
        ("default", "Default", "0", "listed"),
        ("laps", "Lap &lt;b&gt;times&lt;/b&gt;", "3", "listed"),
        ("old", "Old", "0", "archived"),
    ]
