"""Operators moderate scores in the admin; deleting one recomputes the bests."""

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from scores.models import Score
from tests.conftest import bearer_client
from tests.factories import GameFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/scores/score/"


@pytest.fixture
def admin_client(client, operator):
    client.force_login(operator)
    return client


def submit(game, user, value):
    response = bearer_client(user).post(f"/api/v1/games/{game.slug}/scores/", {"value": value})
    assert response.status_code == 201
    return response.json()["data"]["score"]["id"]


def test_the_scores_changelist_runs_a_bounded_number_of_queries(admin_client, settings):
    settings.SCORE_RATE = "1000/m"
    game = GameFactory()
    players = UserFactory.create_batch(3)
    for player in players:
        submit(game, player, 10)
    admin_client.get(CHANGELIST)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(CHANGELIST)
    for value in range(20):
        submit(game, players[value % 3], value)

    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    assert len(many) == len(few)


def test_scores_are_filtered_by_game_and_by_player(admin_client, settings):
    settings.SCORE_RATE = "1000/m"
    first, second = GameFactory(name="First"), GameFactory(name="Second")
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    kept = submit(first, alice, 111)
    submit(first, bob, 222)
    submit(second, alice, 333)

    by_game = admin_client.get(CHANGELIST, {"game__id__exact": first.pk}).content.decode()
    by_player = admin_client.get(CHANGELIST, {"game__id__exact": first.pk, "player": alice.pk}).content.decode()
    by_search = admin_client.get(CHANGELIST, {"q": "ALICE"}).content.decode()

    assert "222" in by_game
    assert "333" not in by_game
    assert f"/admin/scores/score/{kept}/change/" in by_player
    assert "222" not in by_player
    assert "333" in by_search
    assert "222" not in by_search


def test_the_player_filter_offers_the_games_top_players(admin_client):
    game = GameFactory()
    submit(game, UserFactory(username="champion"), 50)

    html = admin_client.get(CHANGELIST, {"game__id__exact": game.pk}).content.decode()

    assert "champion" in html


def test_deleting_a_score_in_the_admin_recomputes_the_players_best(admin_client, api, settings):
    settings.SCORE_RATE = "1000/m"
    game = GameFactory()
    player = UserFactory(username="cheater")
    submit(game, player, 10)
    top = submit(game, player, 999_999)

    with TestCase.captureOnCommitCallbacks(execute=True):
        admin_client.post(
            CHANGELIST, {"action": "delete_selected", "_selected_action": [top], "post": "yes"}, follow=True
        )

    assert not Score.objects.filter(pk=top).exists()
    entry = api.get(f"/api/v1/games/{game.slug}/leaderboard/users/cheater/").json()["data"]
    assert entry["value"] == 10


def test_deleting_from_the_score_page_recomputes_too(admin_client, api):
    game = GameFactory()
    only = submit(game, UserFactory(username="solo"), 42)

    with TestCase.captureOnCommitCallbacks(execute=True):
        admin_client.post(f"/admin/scores/score/{only}/delete/", {"post": "yes"})

    assert api.get(f"/api/v1/games/{game.slug}/leaderboard/users/solo/").status_code == 404


def test_scores_cannot_be_added_or_edited_in_the_admin(admin_client):
    game = GameFactory()
    score = submit(game, UserFactory(), 5)

    assert admin_client.get("/admin/scores/score/add/").status_code == 403
    page = admin_client.get(f"/admin/scores/score/{score}/change/")
    assert page.status_code == 200
    assert 'name="value"' not in page.content.decode()  # read-only


def test_a_moderator_with_only_the_delete_permission_can_moderate(client):
    moderator = UserFactory(is_staff=True, permissions=["scores.view_score", "scores.delete_score"])
    client.force_login(moderator)
    game = GameFactory()
    score = submit(game, UserFactory(), 5)

    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(f"/admin/scores/score/{score}/delete/", {"post": "yes"})

    assert not Score.objects.filter(pk=score).exists()


def test_staff_without_the_delete_permission_cannot_delete(client):
    viewer = UserFactory(is_staff=True, permissions=["scores.view_score"])
    client.force_login(viewer)
    score = submit(GameFactory(), UserFactory(), 5)

    assert client.post(f"/admin/scores/score/{score}/delete/", {"post": "yes"}).status_code == 403
    assert Score.objects.filter(pk=score).exists()


def test_scores_are_shown_by_their_games_unit(admin_client):
    run = GameFactory(name="Speed Run", score_order="asc", metadata={"unit": "ms"})
    arcade = GameFactory(name="Arcade", metadata={"unit": "points"})
    plain = GameFactory(name="Plain")
    player = UserFactory()
    timed = submit(run, player, 68772)
    submit(arcade, player, 1250000)
    submit(plain, player, 1234)

    listing = admin_client.get(CHANGELIST).content.decode()
    detail = admin_client.get(f"{CHANGELIST}{timed}/change/").content.decode()

    assert "1:08.772 (68772)" in listing
    assert "1,250,000 points (1250000)" in listing
    assert "1,234 (1234)" in listing
    assert "1:08.772 (68772)" in detail
