"""POST /api/v1/games/{slug}/scores/: signed-in players submit scores (CONTRACT §5)."""

import pytest
from django.utils import timezone

from scores.models import Score
from tests.conftest import bearer_client
from tests.factories import GameFactory, UserFactory

pytestmark = pytest.mark.django_db

MAX_SAFE = 2**53 - 1
SCORE_KEYS = {"id", "game", "board", "user", "value", "subscore", "metadata", "createdAt"}


def scores_url(slug: str = "pong") -> str:
    return f"/api/v1/games/{slug}/scores/"


@pytest.fixture
def game(db):
    return GameFactory(slug="pong")


def submit(client, value, slug: str = "pong", **body):
    return client.post(scores_url(slug), {"value": value, **body})


def submitted(client, value, slug: str = "pong", **body) -> dict:
    response = submit(client, value, slug, **body)
    assert response.status_code == 201, response.content
    return response.json()["data"]


def refused_fields(response) -> set[str]:
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    return {detail["field"] for detail in response.json()["error"]["details"]}


def test_a_first_submission_is_a_201_with_score_rank_and_bests(signed_in, user, game):
    response = submit(signed_in, 42)

    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True
    data = body["data"]
    assert set(data) == {"score", "rank", "personalBest", "previousBest"}
    assert set(data["score"]) == SCORE_KEYS
    assert data["score"]["game"] == "pong"
    assert data["score"]["user"] == {"id": user.pk, "username": user.username}
    assert data["score"]["value"] == 42
    assert data["score"]["metadata"] == {}
    assert data["score"]["createdAt"].endswith("Z")
    assert isinstance(data["score"]["id"], int)
    assert data["rank"] == 1
    assert data["personalBest"] is True
    assert data["previousBest"] is None


def test_the_submitted_score_is_stored_once(signed_in, user, game):
    score_id = submitted(signed_in, 42)["score"]["id"]

    assert list(Score.objects.values_list("id", "user_id", "value")) == [(score_id, user.pk, 42)]


def test_a_better_score_is_a_personal_best_and_reports_the_previous_one(signed_in, game):
    submitted(signed_in, 10)

    data = submitted(signed_in, 25)

    assert (data["personalBest"], data["previousBest"]) == (True, 10)


def test_a_worse_score_is_not_a_personal_best(signed_in, game):
    submitted(signed_in, 25)

    data = submitted(signed_in, 10)

    assert (data["personalBest"], data["previousBest"]) == (False, 25)


def test_equalling_your_best_is_not_a_personal_best(signed_in, game):
    submitted(signed_in, 25)

    data = submitted(signed_in, 25)

    assert (data["personalBest"], data["previousBest"]) == (False, 25)


def test_previous_best_is_the_best_so_far_not_the_last_score(signed_in, game):
    for value in (30, 10, 20):
        submitted(signed_in, value)

    assert submitted(signed_in, 5)["previousBest"] == 30


def test_lower_is_better_in_an_ascending_game(signed_in):
    GameFactory(slug="golf", score_order="asc")
    submitted(signed_in, 80, "golf")

    better, worse = submitted(signed_in, 72, "golf"), submitted(signed_in, 90, "golf")

    assert (better["personalBest"], better["previousBest"]) == (True, 80)
    assert (worse["personalBest"], worse["previousBest"]) == (False, 72)


def test_the_rank_is_the_all_time_rank_among_players(game):
    for value in (100, 50):
        submitted(bearer_client(UserFactory()), value)
    me = bearer_client(UserFactory())

    assert submitted(me, 70)["rank"] == 2
    assert submitted(me, 150)["rank"] == 1


def test_a_worse_score_reports_the_rank_of_your_standing_best(game):
    for value in (100, 50):
        submitted(bearer_client(UserFactory()), value)
    me = bearer_client(UserFactory())
    submitted(me, 70)

    data = submitted(me, 1)

    assert (data["rank"], data["personalBest"], data["previousBest"]) == (2, False, 70)


def test_a_tie_ranks_behind_whoever_reached_the_value_first(game):
    submitted(bearer_client(UserFactory()), 100)

    assert submitted(bearer_client(UserFactory()), 100)["rank"] == 2


def test_ranks_follow_the_order_of_an_ascending_game(db):
    GameFactory(slug="golf", score_order="asc")
    submitted(bearer_client(UserFactory()), 72, "golf")

    assert submitted(bearer_client(UserFactory()), 68, "golf")["rank"] == 1
    assert submitted(bearer_client(UserFactory()), 90, "golf")["rank"] == 3


def test_another_players_scores_do_not_count_as_your_previous_best(game):
    submitted(bearer_client(UserFactory()), 500)

    data = submitted(bearer_client(UserFactory()), 10)

    assert (data["personalBest"], data["previousBest"]) == (True, None)


def test_your_scores_in_another_game_do_not_count_as_your_previous_best(signed_in, game):
    GameFactory(slug="tetris")
    submitted(signed_in, 500, "tetris")

    data = submitted(signed_in, 10)

    assert (data["rank"], data["personalBest"], data["previousBest"]) == (1, True, None)


def test_a_submitted_score_is_on_the_leaderboard_at_once(api, signed_in, user, game):
    assert api.get("/api/v1/games/pong/leaderboard/").json()["data"] == []  # the empty board is now cached

    submitted(signed_in, 42)

    [entry] = api.get("/api/v1/games/pong/leaderboard/").json()["data"]
    assert (entry["rank"], entry["user"]["username"], entry["value"]) == (1, user.username, 42)
    assert api.get(f"/api/v1/games/pong/leaderboard/users/{user.username}/").json()["data"]["value"] == 42


@pytest.mark.parametrize("period", ["all", "day", "week", "month"])
def test_a_submitted_score_is_on_every_current_board_at_once(api, signed_in, user, game, period):
    board = "/api/v1/games/pong/leaderboard/"
    submitted(signed_in, 10)
    assert [e["value"] for e in api.get(board, {"period": period}).json()["data"]] == [10]

    submitted(signed_in, 42)

    assert [e["value"] for e in api.get(board, {"period": period}).json()["data"]] == [42]
    own = signed_in.get(board + "me/", {"period": period}).json()["data"]["entry"]
    assert (own["rank"], own["value"], own["user"]["id"]) == (1, 42, user.pk)


@pytest.mark.parametrize("value", [0, -1, 1, MAX_SAFE, -MAX_SAFE])
def test_any_safe_integer_is_accepted_when_the_game_has_no_bounds(signed_in, game, value):
    assert submitted(signed_in, value)["score"]["value"] == value


@pytest.mark.parametrize("value", [MAX_SAFE, -MAX_SAFE])
def test_the_extreme_safe_integers_are_ranked_exactly(api, signed_in, user, game, value):
    submitted(signed_in, value)

    entry = api.get(f"/api/v1/games/pong/leaderboard/users/{user.username}/").json()["data"]
    assert entry["value"] == value


@pytest.mark.parametrize("value", [10.0, 1e3, 1.5, "10", "ten", True, False, None, [1], {"n": 1}])
def test_a_value_that_is_not_a_json_integer_is_a_400_on_value(signed_in, game, value):
    assert refused_fields(submit(signed_in, value)) == {"value"}
    assert not Score.objects.exists()


@pytest.mark.parametrize("value", [2**53, -(2**53), 2**63, 10**30])
def test_a_value_beyond_the_safe_integer_range_is_a_400_on_value(signed_in, game, value):
    assert refused_fields(submit(signed_in, value)) == {"value"}
    assert not Score.objects.exists()


@pytest.mark.parametrize("raw", ["1E3", "10.0", "-0.0", "1e-3"])
def test_a_json_number_with_a_fraction_or_exponent_is_refused(signed_in, game, raw):
    response = signed_in.generic("POST", scores_url(), f'{{"value": {raw}}}', content_type="application/json")

    assert refused_fields(response) == {"value"}


def test_a_missing_value_is_a_400_on_value(signed_in, game):
    assert refused_fields(signed_in.post(scores_url(), {"metadata": {}})) == {"value"}


@pytest.mark.parametrize("value", [-1, 101])
def test_a_value_outside_the_games_bounds_is_a_400_on_value(signed_in, value):
    GameFactory(slug="pong", min_score=0, max_score=100)

    assert refused_fields(submit(signed_in, value)) == {"value"}
    assert not Score.objects.exists()


@pytest.mark.parametrize("value", [0, 100])
def test_a_value_on_the_games_bounds_is_accepted(signed_in, value):
    GameFactory(slug="pong", min_score=0, max_score=100)

    assert submit(signed_in, value).status_code == 201


def test_an_inactive_game_refuses_scores_with_a_409(signed_in):
    GameFactory(slug="pong", is_active=False)

    response = submit(signed_in, 10)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONFLICT"
    assert not Score.objects.exists()


def test_an_anonymous_visitor_cannot_submit(api, game):
    response = submit(api, 10)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"
    assert not Score.objects.exists()


def test_submitting_to_an_archived_game_is_a_404(signed_in):
    GameFactory(slug="pong", archived_at=timezone.now())

    response = submit(signed_in, 10)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
    assert not Score.objects.exists()


def test_submitting_to_an_unknown_game_is_a_404(signed_in, db):
    assert submit(signed_in, 10, "no-such-game").status_code == 404


def test_metadata_is_stored_and_returned_verbatim(api, signed_in, game):
    metadata = {"snake_key": {"camelKey": 1}, "level_name": "Ünïcode 🙂", "list": [1, "two", None, 3.5]}

    score = submitted(signed_in, 10, metadata=metadata)["score"]

    assert score["metadata"] == metadata
    [listed] = api.get(scores_url()).json()["data"]
    assert listed["metadata"] == metadata


@pytest.mark.parametrize("metadata", [[1, 2], "text", 3, True, None])
def test_metadata_must_be_an_object(signed_in, game, metadata):
    assert refused_fields(submit(signed_in, 10, metadata=metadata)) == {"metadata"}
    assert not Score.objects.exists()


@pytest.mark.parametrize("size", [10_000, 60_000])
def test_oversized_metadata_is_a_400_on_metadata(signed_in, game, size):
    assert refused_fields(submit(signed_in, 10, metadata={"blob": "x" * size})) == {"metadata"}


def nested(depth: int) -> dict:
    node: dict = {}
    for _ in range(depth - 1):
        node = {"a": node}
    return node


def test_metadata_nested_a_little_too_deep_is_a_400_on_metadata(signed_in, game):
    assert refused_fields(submit(signed_in, 10, metadata=nested(20))) == {"metadata"}


@pytest.mark.parametrize("depth", [500, 990, 2_000, 9_000])
def test_metadata_nested_very_deep_is_a_400_never_a_crash(signed_in, game, depth):
    body = '{"value": 1, "metadata": ' + '{"a": ' * (depth - 1) + "{}" + "}" * (depth - 1) + "}"

    response = signed_in.generic("POST", scores_url(), body, content_type="application/json")

    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] in {"VALIDATION_ERROR", "BAD_REQUEST"}
    assert not Score.objects.exists()


@pytest.mark.parametrize("depth", [500, 2_000])
def test_metadata_with_deeply_nested_lists_is_a_400_never_a_crash(signed_in, game, depth):
    body = '{"value": 1, "metadata": {"a": ' + "[" * depth + "]" * depth + "}}"

    response = signed_in.generic("POST", scores_url(), body, content_type="application/json")

    assert response.status_code == 400, response.content
    assert not Score.objects.exists()


@pytest.mark.parametrize("metadata", [{"note": "a\x00b"}, {"a\x00b": 1}, {"deep": [{"x": "\x00"}]}])
def test_metadata_containing_nul_is_a_400_on_metadata(signed_in, game, metadata):
    assert refused_fields(submit(signed_in, 10, metadata=metadata)) == {"metadata"}
    assert not Score.objects.exists()


@pytest.mark.parametrize("raw", ['{"note": "\\ud800"}', '{"\\udfff": 1}'])
def test_metadata_with_a_lone_surrogate_is_a_400_not_a_crash(signed_in, game, raw):
    body = '{"value": 1, "metadata": ' + raw + "}"

    response = signed_in.generic("POST", scores_url(), body, content_type="application/json")

    assert response.status_code == 400, response.content
    assert not Score.objects.exists()


@pytest.mark.parametrize("raw", ["1e400", "-1e400"])
def test_metadata_with_a_number_no_client_can_hold_is_a_400_not_a_crash(signed_in, game, raw):
    body = '{"value": 1, "metadata": {"time": ' + raw + "}}"

    response = signed_in.generic("POST", scores_url(), body, content_type="application/json")

    assert response.status_code == 400, response.content
    assert not Score.objects.exists()


def test_unknown_fields_cannot_choose_the_player_or_the_time(signed_in, user, game):
    other = UserFactory()

    score = submitted(signed_in, 10, user={"id": other.pk}, userId=other.pk, createdAt="2000-01-01T00:00:00Z")["score"]

    assert score["user"]["id"] == user.pk
    assert not score["createdAt"].startswith("2000")
