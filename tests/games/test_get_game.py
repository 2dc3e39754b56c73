"""GET /api/v1/games/{slug}/: anyone reads a game; archived and unknown ones are 404 (CONTRACT §4)."""

import pytest
from django.utils import timezone

from tests.factories import GameFactory

pytestmark = pytest.mark.django_db


def url(slug: str) -> str:
    return f"/api/v1/games/{slug}/"


def test_anyone_reads_a_game_by_its_slug(api):
    game = GameFactory(
        name="Golf",
        slug="golf",
        description="Fewest strokes wins.",
        score_order="asc",
        min_score=18,
        max_score=200,
        metadata={"holes": 18, "course_name": {"shortName": "St A"}},
    )

    response = api.get(url("golf"))

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    data = body["data"]
    assert data == {
        "slug": "golf",
        "name": "Golf",
        "description": "Fewest strokes wins.",
        "scoreOrder": "asc",
        "minScore": 18,
        "maxScore": 200,
        "metadata": {"holes": 18, "course_name": {"shortName": "St A"}},
        "isActive": True,
        "playerCount": 0,
        "owner": {"id": game.owner.pk, "username": game.owner.username},
        "createdAt": data["createdAt"],
        "updatedAt": data["updatedAt"],
    }
    assert data["createdAt"].endswith("Z")
    assert data["updatedAt"].endswith("Z")


def test_a_signed_in_player_reads_a_game_too(signed_in):
    GameFactory(slug="golf")

    assert signed_in.get(url("golf")).status_code == 200


def test_an_inactive_game_is_readable(api):
    GameFactory(slug="closed", is_active=False)

    response = api.get(url("closed"))

    assert response.status_code == 200
    assert response.json()["data"]["isActive"] is False


def test_an_archived_game_is_a_404(api):
    GameFactory(slug="gone", archived_at=timezone.now())

    response = api.get(url("gone"))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("slug", ["no-such-game", "GOLF", "golf_2"])
def test_an_unknown_slug_is_a_404_envelope(api, slug):
    GameFactory(slug="golf")

    response = api.get(url(slug))

    assert response.status_code == 404
    assert response.json()["success"] is False
    assert response.json()["error"]["code"] == "NOT_FOUND"
