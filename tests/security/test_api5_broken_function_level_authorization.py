"""OWASP API5:2023 Broken Function Level Authorization.

Functions meant for a role stay with that role: the admin needs staff status
*and* the model permission of each page and action; creating games needs
`games.add_game`; moderation needs the game's ownership or
`scores.delete_score`; operators change and archive others' games through
`games.change_game` and `games.delete_game` (CONTRACT §4, §5, §8).
"""

import pytest
from django.test import Client, TestCase

from games.models import Game
from scores.models import Score
from tests.conftest import CommittingAPIClient, bearer_client
from tests.factories import GameFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def game(db):
    return GameFactory(name="Guarded", slug="guarded")


@pytest.fixture
def score(game):
    response = bearer_client(UserFactory()).post("/api/v1/games/guarded/scores/", {"value": 10})
    return Score.objects.get(pk=response.json()["data"]["score"]["id"])


def signed_in_browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- The admin ---------------------------------------------------------------------------------------

NON_STAFF = {
    "player": {},
    "studio member": {"studio": True},
    "player granted every game permission": {
        "permissions": ["games.view_game", "games.change_game", "games.delete_game", "scores.delete_score"]
    },
}


def admin_pages(game, score, victim) -> list[str]:
    return [
        "/admin/",
        "/admin/games/game/",
        "/admin/games/game/add/",
        f"/admin/games/game/{game.pk}/change/",
        "/admin/scores/score/",
        f"/admin/scores/score/{score.pk}/change/",
        f"/admin/scores/score/{score.pk}/delete/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{victim.pk}/change/",
        f"/admin/accounts/user/{victim.pk}/password/",
        "/admin/auth/group/",
    ]


@pytest.mark.parametrize("role", NON_STAFF)
def test_a_non_staff_user_is_sent_to_the_admin_login_from_every_page(game, score, role):
    client = signed_in_browser(UserFactory(**NON_STAFF[role]))
    victim = UserFactory()

    for page in admin_pages(game, score, victim):
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith("/admin/login/"), page


@pytest.mark.parametrize("role", NON_STAFF)
def test_a_non_staff_user_cannot_run_admin_actions(game, role):
    client = signed_in_browser(UserFactory(**NON_STAFF[role]))

    response = client.post("/admin/games/game/", {"action": "archive", "_selected_action": [game.pk]})

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert Game.objects.get(pk=game.pk).archived_at is None


def test_staff_without_permissions_see_an_empty_index_and_403s_everywhere_else(game, score):
    staff = UserFactory(is_staff=True)
    client = signed_in_browser(staff)
    victim = UserFactory()

    index = client.get("/admin/")
    assert index.status_code == 200
    assert b"/admin/games/game/" not in index.content
    for page in admin_pages(game, score, victim)[1:]:
        assert client.get(page).status_code == 403, page


def test_staff_without_permissions_cannot_archive_or_deactivate_games(game):
    client = signed_in_browser(UserFactory(is_staff=True))

    for action in ("archive", "deactivate", "restore", "rebuild_leaderboards"):
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = client.post("/admin/games/game/", {"action": action, "_selected_action": [game.pk]})
        assert response.status_code == 403, action

    game.refresh_from_db()
    assert game.archived_at is None
    assert game.is_active


def test_staff_who_may_only_view_games_cannot_run_actions(game):
    client = signed_in_browser(UserFactory(is_staff=True, permissions=["games.view_game"]))
    assert client.get("/admin/games/game/").status_code == 200

    for action in ("archive", "deactivate"):
        with TestCase.captureOnCommitCallbacks(execute=True):
            client.post("/admin/games/game/", {"action": action, "_selected_action": [game.pk]})

    game.refresh_from_db()
    assert game.archived_at is None
    assert game.is_active


def test_staff_who_may_only_view_games_cannot_save_the_change_form(game):
    client = signed_in_browser(UserFactory(is_staff=True, permissions=["games.view_game"]))

    response = client.post(
        f"/admin/games/game/{game.pk}/change/",
        {"name": "Defaced", "description": "", "score_order": "desc", "metadata": "{}", "owner": game.owner_id},
    )

    assert response.status_code == 403
    game.refresh_from_db()
    assert game.name == "Guarded"


def test_archiving_in_the_admin_needs_the_delete_permission(game):
    editor = signed_in_browser(UserFactory(is_staff=True, permissions=["games.view_game", "games.change_game"]))

    with TestCase.captureOnCommitCallbacks(execute=True):
        editor.post("/admin/games/game/", {"action": "archive", "_selected_action": [game.pk]})
        editor.post("/admin/games/game/", {"action": "deactivate", "_selected_action": [game.pk]})

    game.refresh_from_db()
    assert game.archived_at is None  # not allowed
    assert not game.is_active  # allowed: the permissions do work


def test_staff_who_may_only_view_scores_cannot_delete_one(score):
    client = signed_in_browser(UserFactory(is_staff=True, permissions=["scores.view_score"]))
    assert client.get("/admin/scores/score/").status_code == 200

    page = client.get(f"/admin/scores/score/{score.pk}/delete/")
    with TestCase.captureOnCommitCallbacks(execute=True):
        confirm = client.post(f"/admin/scores/score/{score.pk}/delete/", {"post": "yes"})
        bulk = client.post(
            "/admin/scores/score/", {"action": "delete_selected", "_selected_action": [score.pk], "post": "yes"}
        )

    assert (page.status_code, confirm.status_code) == (403, 403)
    assert bulk.status_code in (200, 302, 403)
    assert Score.objects.filter(pk=score.pk).exists()


def test_a_moderator_deletes_a_score_in_the_admin(score):
    client = signed_in_browser(UserFactory(is_staff=True, permissions=["scores.view_score", "scores.delete_score"]))

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(f"/admin/scores/score/{score.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Score.objects.filter(pk=score.pk).exists()


def test_staff_who_may_only_view_users_cannot_make_anyone_a_superuser():
    staff = UserFactory(is_staff=True, permissions=["accounts.view_user"])
    client = signed_in_browser(staff)

    response = client.post(
        f"/admin/accounts/user/{staff.pk}/change/",
        {"username": staff.username, "email": staff.email, "is_staff": "on", "is_superuser": "on", "is_active": "on"},
    )

    assert response.status_code == 403
    staff.refresh_from_db()
    assert not staff.is_superuser


# --- Creating games -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "user_kwargs",
    [{}, {"is_staff": True}, {"permissions": ["games.change_game", "games.delete_game"]}],
    ids=["player", "staff", "change-and-delete-only"],
)
def test_creating_a_game_without_games_add_game_is_a_403(user_kwargs):
    response = bearer_client(UserFactory(**user_kwargs)).post("/api/v1/games/", {"name": "Uninvited"})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"
    assert not Game.objects.filter(name="Uninvited").exists()


def test_creating_a_game_anonymously_is_a_401():
    response = CommittingAPIClient().post("/api/v1/games/", {"name": "Uninvited"})

    assert response.status_code == 401
    assert not Game.objects.exists()


@pytest.mark.parametrize(
    "user_kwargs",
    [{"studio": True}, {"permissions": ["games.add_game"]}, {"is_staff": True, "is_superuser": True}],
    ids=["studio", "granted", "superuser"],
)
def test_creating_a_game_with_games_add_game_is_allowed(user_kwargs):
    response = bearer_client(UserFactory(**user_kwargs)).post("/api/v1/games/", {"name": "Invited"})

    assert response.status_code == 201


# --- Moderation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "user_kwargs",
    [
        {},
        {"studio": True},
        {"is_staff": True},
        {"permissions": ["scores.change_score", "scores.view_score", "games.delete_game"]},
    ],
    ids=["player", "studio", "staff", "other-permissions"],
)
def test_deleting_a_score_without_ownership_or_scores_delete_score_is_a_403(score, user_kwargs):
    response = bearer_client(UserFactory(**user_kwargs)).delete(f"/api/v1/games/guarded/scores/{score.pk}/")

    assert response.status_code == 403
    assert Score.objects.filter(pk=score.pk).exists()


@pytest.mark.parametrize("who", ["game owner", "moderator"])
def test_the_games_owner_or_a_moderator_deletes_a_score(game, score, who):
    moderator = game.owner if who == "game owner" else UserFactory(permissions=["scores.delete_score"])

    response = bearer_client(moderator).delete(f"/api/v1/games/guarded/scores/{score.pk}/")

    assert response.status_code == 204
    assert not Score.objects.filter(pk=score.pk).exists()


# --- Operators' changes to games -----------------------------------------------------------------------


def test_an_operator_with_games_change_game_patches_someone_elses_game(game):
    operator = UserFactory(permissions=["games.change_game"])

    response = bearer_client(operator).patch("/api/v1/games/guarded/", {"name": "Moderated"})

    assert response.status_code == 200
    game.refresh_from_db()
    assert game.name == "Moderated"


@pytest.mark.parametrize("permission", ["games.delete_game", "games.view_game", "games.add_game"])
def test_patching_someone_elses_game_needs_games_change_game(game, permission):
    response = bearer_client(UserFactory(permissions=[permission])).patch("/api/v1/games/guarded/", {"name": "No"})

    assert response.status_code == 403
    game.refresh_from_db()
    assert game.name == "Guarded"


@pytest.mark.parametrize("permission", ["games.change_game", "games.view_game", "games.add_game"])
def test_archiving_someone_elses_game_needs_games_delete_game(game, permission):
    response = bearer_client(UserFactory(permissions=[permission])).delete("/api/v1/games/guarded/")

    assert response.status_code == 403
    assert Game.objects.get(pk=game.pk).archived_at is None


def test_an_operator_with_games_delete_game_archives_someone_elses_game(game):
    response = bearer_client(UserFactory(permissions=["games.delete_game"])).delete("/api/v1/games/guarded/")

    assert response.status_code == 204
    assert Game.objects.get(pk=game.pk).archived_at is not None


# --- Methods -----------------------------------------------------------------------------------------


def test_a_method_override_header_does_not_turn_a_post_into_a_delete(game):
    client = bearer_client(UserFactory())

    response = client.post("/api/v1/games/guarded/", {}, HTTP_X_HTTP_METHOD_OVERRIDE="DELETE")

    assert response.status_code == 405
    assert Game.objects.get(pk=game.pk).archived_at is None


@pytest.mark.parametrize("method", ["put", "post"])
def test_a_game_cannot_be_replaced_or_posted_to_by_its_url(game, method):
    response = getattr(bearer_client(game.owner), method)("/api/v1/games/guarded/", {"name": "Replaced"})

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
