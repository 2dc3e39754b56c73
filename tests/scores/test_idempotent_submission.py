"""`Idempotency-Key` on score submissions: a retry never makes a second score (CONTRACT §5)."""

import threading

import pytest
from django.db import connection

from scores.models import Score
from tests.conftest import bearer_client
from tests.factories import GameFactory, UserFactory

URL = "/api/v1/games/pong/scores/"


@pytest.fixture
def game(db):
    return GameFactory(slug="pong")


def submit(client, body: dict, key: str | None):
    headers = {} if key is None else {"Idempotency-Key": key}
    return client.post(URL, body, headers=headers)


@pytest.mark.django_db
def test_a_retried_submission_with_the_same_key_creates_one_score(signed_in, game):
    first = submit(signed_in, {"value": 10}, "attempt-1")
    again = submit(signed_in, {"value": 10}, "attempt-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Score.objects.count() == 1


@pytest.mark.django_db
def test_every_repeat_of_a_key_replays_the_first_response(signed_in, game):
    first = submit(signed_in, {"value": 10, "metadata": {"level_name": {"bossKey": 3}}}, "k")

    repeats = [submit(signed_in, {"value": 10, "metadata": {"level_name": {"bossKey": 3}}}, "k") for _ in range(3)]

    assert [r.status_code for r in repeats] == [201, 201, 201]
    assert all(r.json() == first.json() for r in repeats)
    assert repeats[0].json()["data"]["score"]["metadata"] == {"level_name": {"bossKey": 3}}
    assert Score.objects.count() == 1


@pytest.mark.django_db
def test_the_replay_is_the_first_response_even_after_the_board_moved_on(signed_in, game):
    first = submit(signed_in, {"value": 10}, "k").json()
    submit(bearer_client(UserFactory()), {"value": 99}, None)  # now ahead of us
    submit(signed_in, {"value": 50}, None)  # and a better score of our own

    replay = submit(signed_in, {"value": 10}, "k").json()

    assert replay == first
    assert (replay["data"]["rank"], replay["data"]["personalBest"]) == (1, True)


@pytest.mark.django_db
def test_a_replay_does_not_count_as_a_new_score_on_the_leaderboard(api, signed_in, user, game):
    submit(signed_in, {"value": 10}, "k")
    submit(signed_in, {"value": 10}, "k")

    assert api.get(URL, {"user": user.username}).json()["meta"]["total"] == 1
    assert len(api.get("/api/v1/games/pong/leaderboard/").json()["data"]) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "second",
    [{"value": 11}, {"value": 10, "metadata": {"level": 2}}, {"value": 10, "metadata": {"Level": 1}}],
)
def test_the_same_key_with_a_different_body_is_a_409(signed_in, game, second):
    submit(signed_in, {"value": 10, "metadata": {"level": 1}}, "k")

    response = submit(signed_in, second, "k")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONFLICT"
    assert Score.objects.count() == 1


@pytest.mark.django_db
def test_a_conflicting_reuse_does_not_spoil_the_original_replay(signed_in, game):
    first = submit(signed_in, {"value": 10}, "k")
    submit(signed_in, {"value": 11}, "k")

    assert submit(signed_in, {"value": 10}, "k").json() == first.json()


@pytest.mark.django_db
def test_metadata_key_order_does_not_make_a_body_different(signed_in, game):
    first = submit(signed_in, {"value": 10, "metadata": {"a": 1, "b": 2}}, "k")

    again = submit(signed_in, {"value": 10, "metadata": {"b": 2, "a": 1}}, "k")

    assert again.status_code == 201
    assert again.json() == first.json()
    assert Score.objects.count() == 1


@pytest.mark.django_db
def test_another_users_identical_key_is_unrelated(game):
    ada, bob = bearer_client(UserFactory()), bearer_client(UserFactory())

    first = submit(ada, {"value": 10}, "shared-key")
    other = submit(bob, {"value": 10}, "shared-key")
    different = submit(bearer_client(UserFactory()), {"value": 77}, "shared-key")

    assert first.status_code == other.status_code == different.status_code == 201
    assert other.json()["data"]["score"]["id"] != first.json()["data"]["score"]["id"]
    assert other.json()["data"]["score"]["user"] != first.json()["data"]["score"]["user"]
    assert Score.objects.count() == 3


@pytest.mark.django_db
def test_submissions_without_a_key_are_never_deduplicated(signed_in, game):
    submit(signed_in, {"value": 10}, None)
    submit(signed_in, {"value": 10}, None)

    assert Score.objects.count() == 2


@pytest.mark.django_db
def test_different_keys_make_different_scores(signed_in, game):
    submit(signed_in, {"value": 10}, "k-1")
    submit(signed_in, {"value": 10}, "k-2")

    assert Score.objects.count() == 2


@pytest.mark.django_db
def test_a_key_of_100_characters_is_accepted(signed_in, game):
    assert submit(signed_in, {"value": 10}, "k" * 100).status_code == 201


@pytest.mark.django_db
def test_a_key_longer_than_100_characters_is_a_400(signed_in, game):
    response = submit(signed_in, {"value": 10}, "k" * 101)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert [detail["field"] for detail in error["details"]] == ["Idempotency-Key"]
    assert not Score.objects.exists()


@pytest.mark.django_db
def test_an_empty_key_is_a_400(signed_in, game):
    assert submit(signed_in, {"value": 10}, "").status_code == 400
    assert not Score.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("change", [{"isActive": False}, {"maxScore": 5}], ids=["game-closed", "bounds-narrowed"])
def test_a_replay_returns_the_first_response_after_the_game_changed(signed_in, operator, game, change):
    first = submit(signed_in, {"value": 10}, "k")
    assert bearer_client(operator).patch("/api/v1/games/pong/", change).status_code == 200

    again = submit(signed_in, {"value": 10}, "k")

    assert again.status_code == 201, again.content
    assert again.json() == first.json()
    assert Score.objects.count() == 1


@pytest.mark.django_db
def test_a_repeat_23_hours_later_still_replays_the_first_response(user, game, time_machine):
    time_machine.move_to("2025-06-01T12:00:00Z", tick=False)
    first = submit(bearer_client(user), {"value": 10}, "k")

    time_machine.move_to("2025-06-02T11:00:00Z", tick=False)
    again = submit(bearer_client(user), {"value": 10}, "k")  # a fresh token: the first one has expired

    assert again.status_code == 201
    assert again.json() == first.json()
    assert Score.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_parallel_retries_with_one_key_make_exactly_one_score():
    GameFactory(slug="pong")
    player = UserFactory()
    clients = [bearer_client(player) for _ in range(10)]  # one client, one connection, per thread
    connection.close()  # give the main thread's pooled connection back for the threads
    start = threading.Barrier(len(clients), timeout=30)
    responses: list = [None] * len(clients)

    def retry(index: int) -> None:
        try:
            start.wait()
            responses[index] = submit(clients[index], {"value": 10}, "parallel-key")
        finally:
            connection.close()

    threads = [threading.Thread(target=retry, args=(n,)) for n in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert None not in responses
    assert Score.objects.count() == 1
    statuses = [response.status_code for response in responses]
    # A duplicate in flight waits and replays the first response, or gets a 409; never a second score.
    assert set(statuses) <= {201, 409}, statuses
    accepted = [response.json() for response in responses if response.status_code == 201]
    assert accepted
    assert all(body == accepted[0] for body in accepted)
    assert accepted[0]["data"]["score"]["id"] == Score.objects.get().pk
    assert all(r.json()["error"]["code"] == "CONFLICT" for r in responses if r.status_code == 409)
