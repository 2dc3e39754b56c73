"""`SCORE_RATE`: at most so many submissions per player and game (CONTRACT §1, §5)."""

import pytest

from scores.models import Score
from tests.conftest import bearer_client
from tests.factories import GameFactory, UserFactory

pytestmark = pytest.mark.django_db


def scores_url(slug: str) -> str:
    return f"/api/v1/games/{slug}/scores/"


@pytest.fixture(autouse=True)
def three_a_minute(settings):
    settings.SCORE_RATE = "3/m"


@pytest.fixture
def games(db):
    return GameFactory(slug="pong"), GameFactory(slug="tetris")


def submit_three(client, slug: str = "pong") -> None:
    for value in (1, 2, 3):
        assert client.post(scores_url(slug), {"value": value}).status_code == 201


def test_a_submission_over_the_rate_is_a_429_with_retry_after(signed_in, games):
    submit_three(signed_in)

    response = signed_in.post(scores_url("pong"), {"value": 4})

    assert response.status_code == 429
    assert response.json()["success"] is False
    assert response.json()["error"]["code"] == "RATE_LIMITED"
    assert 1 <= int(response["Retry-After"]) <= 60
    assert Score.objects.count() == 3


def test_a_limited_player_stays_limited_for_the_window(signed_in, games):
    submit_three(signed_in)

    statuses = [signed_in.post(scores_url("pong"), {"value": 4}).status_code for _ in range(3)]

    assert statuses == [429, 429, 429]
    assert Score.objects.count() == 3


def test_another_game_is_counted_separately(signed_in, games):
    submit_three(signed_in, "pong")

    assert signed_in.post(scores_url("tetris"), {"value": 4}).status_code == 201


def test_another_player_is_counted_separately(signed_in, games):
    submit_three(signed_in)

    assert bearer_client(UserFactory()).post(scores_url("pong"), {"value": 4}).status_code == 201


def test_refused_submissions_count_too(signed_in, games):
    for _ in range(3):
        assert signed_in.post(scores_url("pong"), {"value": "not a number"}).status_code == 400

    response = signed_in.post(scores_url("pong"), {"value": 4})

    assert response.status_code == 429
    assert not Score.objects.exists()
