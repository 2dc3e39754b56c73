"""Every path of §5 and §6 exists for every board under
/games/{slug}/boards/{key}/, and `default` answers both ways (CONTRACT §9)."""

import pytest

from tests.boards.boards import board_url, entries_of, make_board, submit_to
from tests.conftest import bearer_client
from tests.factories import GameFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def game(db):
    return GameFactory(slug="racer")


@pytest.fixture
def ann(db):
    return UserFactory(username="ann")


@pytest.mark.parametrize(
    "tail",
    ["scores/", "leaderboard/", "leaderboard/?period=week", "leaderboard/users/ann/", "leaderboard/me/"],
)
def test_default_answers_the_same_both_ways(game, ann, tail):
    submit_to(game, "default", ann, 42)
    client = bearer_client(ann)

    on_game = client.get(f"/api/v1/games/racer/{tail}")
    on_board = client.get(board_url(game, "default", tail))

    assert on_game.status_code == on_board.status_code == 200, on_board.content
    assert on_game.json() == on_board.json()


def test_a_score_names_its_board_and_subscore(game, ann):
    key = make_board(game, name="Monaco", subscoreOrder="desc")
    submitted = submit_to(game, key, ann, 80, 3)["score"]

    [listed] = bearer_client(ann).get(board_url(game, key, "scores/")).json()["data"]
    got = bearer_client(ann).get(board_url(game, key, f"scores/{submitted['id']}/")).json()["data"]

    assert submitted == listed == got
    assert (submitted["game"], submitted["board"], submitted["value"], submitted["subscore"]) == ("racer", key, 80, 3)
    default_score = submit_to(game, "default", ann, 1)["score"]
    assert (default_score["board"], default_score["subscore"]) == ("default", None)


def test_each_board_keeps_its_own_scores_and_entries(game, ann):
    bob = UserFactory(username="bob")
    monaco, spa = make_board(game, name="Monaco"), make_board(game, name="Spa")
    submit_to(game, monaco, ann, 10)
    submit_to(game, spa, bob, 20)
    submit_to(game, "default", ann, 30)

    assert entries_of(game, monaco) == [(1, "ann", 10, None)]
    assert entries_of(game, spa) == [(1, "bob", 20, None)]
    assert entries_of(game, "default") == [(1, "ann", 30, None)]
    scores = bearer_client(ann).get(board_url(game, spa, "scores/")).json()
    assert [score["value"] for score in scores["data"]] == [20]
    assert scores["meta"]["total"] == 1
    assert bearer_client(ann).get(board_url(game, spa, "leaderboard/users/ann/")).status_code == 404
    me = bearer_client(bob).get(board_url(game, spa, "leaderboard/me/")).json()["data"]
    assert me["entry"]["value"] == 20


def test_a_score_of_one_board_is_not_found_under_another(game, ann):
    monaco, spa = make_board(game, name="Monaco"), make_board(game, name="Spa")
    score = submit_to(game, monaco, ann, 10)["score"]

    assert bearer_client(ann).get(board_url(game, spa, f"scores/{score['id']}/")).status_code == 404
    assert bearer_client(ann).get(f"/api/v1/games/racer/scores/{score['id']}/").status_code == 404


def test_the_owner_deletes_a_score_of_a_board_and_its_entry_goes(game, ann):
    monaco = make_board(game, name="Monaco", operator="sum")
    first = submit_to(game, monaco, ann, 10)["score"]
    submit_to(game, monaco, ann, 5)

    response = bearer_client(game.owner).delete(board_url(game, monaco, f"scores/{first['id']}/"))

    assert response.status_code == 204, response.content
    assert entries_of(game, monaco) == [(1, "ann", 5, None)]
    assert entries_of(game, monaco, period="day") == [(1, "ann", 5, None)]


def test_submissions_are_rate_limited_per_board(game, ann, settings):
    settings.SCORE_RATE = "2/m"
    monaco, spa = make_board(game, name="Monaco"), make_board(game, name="Spa")
    client = bearer_client(ann)
    for _ in range(2):
        assert client.post(board_url(game, monaco, "scores/"), {"value": 1}, format="json").status_code == 201

    assert client.post(board_url(game, monaco, "scores/"), {"value": 1}, format="json").status_code == 429
    assert client.post(board_url(game, spa, "scores/"), {"value": 1}, format="json").status_code == 201
