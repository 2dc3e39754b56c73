"""OWASP API3:2023 Broken Object Property Level Authorization.

Mass assignment: a body may carry any key, but only the fields a caller may
write are written. Non-owners are refused outright (403); owners' and
creators' bodies have their read-only fields ignored. Excessive data
exposure: another user's email never leaves the server (CONTRACT §3).
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.models import User
from games.models import Game
from scores.models import Score
from tests.conftest import CommittingAPIClient, bearer_client
from tests.factories import GameFactory, UserFactory

pytestmark = pytest.mark.django_db

LONG_AGO = "2000-01-01T00:00:00Z"
PROPERTIES_NOBODY_WRITES = {
    "owner": None,  # filled with another user's id in the tests
    "playerCount": 999_999,
    "slug": "renamed-slug",
    "createdAt": LONG_AGO,
    "updatedAt": LONG_AGO,
    "archivedAt": LONG_AGO,
    "id": 424242,
}


@pytest.fixture
def owner(db):
    return UserFactory(studio=True)


@pytest.fixture
def game(owner):
    return GameFactory(owner=owner, name="Owned", slug="owned")


@pytest.fixture
def intruder(db):
    return UserFactory(studio=True)


def recent(timestamp: str) -> bool:
    moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return abs(datetime.now(UTC) - moment) < timedelta(minutes=5)


# --- Non-owners ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"owner": "INTRUDER"},
        {"owner": {"id": "INTRUDER"}},
        {"ownerId": "INTRUDER"},
        {"playerCount": 999_999},
        {"isActive": False},
        {"slug": "stolen"},
        {"createdAt": LONG_AGO},
    ],
    ids=["owner", "owner-object", "ownerId", "playerCount", "isActive", "slug", "createdAt"],
)
def test_a_non_owner_setting_a_protected_property_is_a_403_and_nothing_changes(game, intruder, body):
    body = {key: _fill(value, intruder) for key, value in body.items()}
    before = Game.objects.values().get(pk=game.pk)

    response = bearer_client(intruder).patch("/api/v1/games/owned/", body)

    assert response.status_code == 403, response.content
    assert Game.objects.values().get(pk=game.pk) == before


def _fill(value, intruder):
    if value == "INTRUDER":
        return intruder.pk
    if isinstance(value, dict):
        return {key: _fill(item, intruder) for key, item in value.items()}
    return value


# --- Owners: read-only properties are ignored ---------------------------------------------------------


def test_an_owner_cannot_hand_their_game_to_someone_else_or_forge_its_read_only_fields(game, owner, intruder):
    body = {**PROPERTIES_NOBODY_WRITES, "owner": {"id": intruder.pk}, "ownerId": intruder.pk, "name": "Renamed"}

    response = bearer_client(owner).patch("/api/v1/games/owned/", body)

    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert (data["name"], data["owner"]["id"], data["slug"], data["playerCount"]) == ("Renamed", owner.pk, "owned", 0)
    assert recent(data["createdAt"])
    assert "archivedAt" not in data
    game.refresh_from_db()
    assert (game.owner_id, game.slug, game.archived_at) == (owner.pk, "owned", None)
    assert recent(game.created_at.isoformat())


@pytest.mark.parametrize(
    ("field", "value"),
    [("owner", "INTRUDER"), ("playerCount", 999_999), ("slug", "new-slug"), ("createdAt", LONG_AGO)],
)
def test_an_owners_read_only_field_alone_is_ignored(game, owner, intruder, field, value):
    response = bearer_client(owner).patch("/api/v1/games/owned/", {field: _fill(value, intruder)})

    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert (data["owner"]["id"], data["slug"], data["playerCount"]) == (owner.pk, "owned", 0)
    assert recent(data["createdAt"])
    assert bearer_client(owner).get("/api/v1/games/owned/").status_code == 200
    assert not Game.objects.filter(slug="new-slug").exists()


def test_a_creator_becomes_the_owner_whatever_the_body_says(intruder, owner):
    body = {**PROPERTIES_NOBODY_WRITES, "owner": {"id": owner.pk}, "ownerId": owner.pk, "name": "Fresh"}
    del body["slug"]  # a creator may choose the slug; that is not a forgery

    response = bearer_client(intruder).post("/api/v1/games/", body)

    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["owner"]["id"] == intruder.pk
    assert data["playerCount"] == 0
    assert recent(data["createdAt"])
    created = Game.objects.get(slug=data["slug"])
    assert created.owner_id == intruder.pk
    assert created.archived_at is None
    assert created.pk != 424242


# --- Accounts -------------------------------------------------------------------------------------------


def test_registration_cannot_grant_staff_status_permissions_or_groups():
    studio = Group.objects.get_or_create(name="Studio")[0]
    add_game = Permission.objects.get(codename="add_game")
    body = {
        "email": "climber@example.com",
        "username": "climber",
        "password": "Sturdy-pass-9876",
        "isStaff": True,
        "isSuperuser": True,
        "is_staff": True,
        "isActive": True,
        "groups": [studio.pk],
        "userPermissions": [add_game.pk],
        "id": 424242,
        "dateJoined": LONG_AGO,
        "createdAt": LONG_AGO,
    }

    response = CommittingAPIClient().post("/api/v1/auth/register/", body)

    assert response.status_code == 201, response.content
    assert set(response.json()["data"]) == {"id", "username", "email", "createdAt"}
    assert recent(response.json()["data"]["createdAt"])
    climber = User.objects.get(username="climber")
    assert not climber.is_staff
    assert not climber.is_superuser
    assert not climber.groups.exists()
    assert not climber.user_permissions.exists()
    assert climber.pk != 424242
    assert not climber.has_perm("games.add_game")


def test_me_is_read_only(user):
    response = bearer_client(user).patch("/api/v1/auth/me/", {"isStaff": True, "username": "renamed"})

    assert response.status_code == 405
    user.refresh_from_db()
    assert not user.is_staff
    assert user.username != "renamed"


# --- Scores ---------------------------------------------------------------------------------------


def test_a_score_submission_cannot_choose_its_player_time_id_or_game(game):
    player, victim = UserFactory(), UserFactory()
    other = GameFactory(slug="other")
    body = {
        "value": 50,
        "user": {"id": victim.pk, "username": victim.username},
        "userId": victim.pk,
        "createdAt": LONG_AGO,
        "id": 424242,
        "game": other.slug,
        "rank": 1,
        "personalBest": True,
    }

    response = bearer_client(player).post("/api/v1/games/owned/scores/", body)

    assert response.status_code == 201, response.content
    score = response.json()["data"]["score"]
    assert score["user"] == {"id": player.pk, "username": player.username}
    assert score["game"] == "owned"
    assert recent(score["createdAt"])
    stored = Score.objects.get(pk=score["id"])
    assert (stored.user_id, stored.game_id) == (player.pk, game.pk)
    assert not Score.objects.filter(user=victim).exists()
    assert not Score.objects.filter(game=other).exists()


def test_a_score_id_chosen_by_the_client_is_not_used(game):
    response = bearer_client(UserFactory()).post("/api/v1/games/owned/scores/", {"value": 1, "id": 424242})

    assert response.status_code == 201
    assert response.json()["data"]["score"]["id"] != 424242
    assert not Score.objects.filter(pk=424242).exists()


def test_a_forged_time_does_not_move_a_score_into_an_old_period(game, api):
    player = UserFactory()
    bearer_client(player).post("/api/v1/games/owned/scores/", {"value": 7, "createdAt": LONG_AGO})

    today = api.get("/api/v1/games/owned/leaderboard/?period=day").json()["data"]

    assert [(entry["user"]["id"], entry["value"]) for entry in today] == [(player.pk, 7)]


# --- Excessive data exposure: emails ------------------------------------------------------------------


@pytest.fixture
def public_world(game, owner):
    """A game with scores by a player whose email must stay private."""
    player = UserFactory(username="hidden-email", email="private.person@secret.example")
    owner.email = "private.owner@secret.example"
    owner.save()
    bearer_client(player).post("/api/v1/games/owned/scores/", {"value": 10})
    return player


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/games/",
        "/api/v1/games/owned/",
        "/api/v1/games/owned/scores/",
        "/api/v1/games/owned/scores/?user=hidden-email",
        "/api/v1/games/owned/leaderboard/",
        "/api/v1/games/owned/leaderboard/?period=day",
        "/api/v1/games/owned/leaderboard/users/hidden-email/",
        "/api/v1/games/owned/leaderboard/me/?radius=50",
        "/games/",
        "/games/owned/live/",
    ],
)
def test_no_read_shows_another_users_email(public_world, path):
    viewer = UserFactory()
    bearer_client(viewer).post("/api/v1/games/owned/scores/", {"value": 5})

    clients = [bearer_client(viewer)] + ([] if "/me/" in path else [CommittingAPIClient()])

    for client in clients:
        response = client.get(path)
        assert response.status_code == 200, (path, response.content)
        assert b"secret.example" not in response.content
        assert b'"email"' not in response.content


def test_a_submission_response_shows_no_email(public_world):
    response = bearer_client(public_world).post("/api/v1/games/owned/scores/", {"value": 11})

    assert b"secret.example" not in response.content
    assert "email" not in response.json()["data"]["score"]["user"]


def test_a_user_sees_their_own_email_and_nobody_elses(public_world):
    response = bearer_client(public_world).get("/api/v1/auth/me/")

    assert response.json()["data"]["email"] == "private.person@secret.example"
    assert b"private.owner" not in response.content


@pytest.mark.parametrize("path", ["/api/v1/games/owned/", "/api/v1/games/owned/scores/", "/api/v1/auth/me/"])
def test_no_response_carries_a_password_hash(public_world, path):
    response = bearer_client(public_world).get(path)

    assert b"md5$" not in response.content
    assert b"argon2" not in response.content
    assert b"password" not in response.content.lower()
