import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from tests.conftest import bearer_client
from tests.factories import GameFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/accounts/user/"


@pytest.fixture
def admin_client(client, operator):
    client.force_login(operator)
    return client


def test_the_users_changelist_runs_a_bounded_number_of_queries(admin_client):
    UserFactory.create_batch(3)
    admin_client.get(CHANGELIST)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(CHANGELIST)
    UserFactory.create_batch(20, studio=True)

    with CaptureQueriesContext(connection) as many:
        assert admin_client.get(CHANGELIST).status_code == 200

    assert len(many) == len(few)


def test_an_operator_grants_the_studio_group_in_the_admin(admin_client):
    player = UserFactory()
    studio = Group.objects.get(name="Studio")

    response = admin_client.post(
        f"/admin/accounts/user/{player.pk}/change/",
        {
            "username": player.username,
            "email": player.email,
            "first_name": "",
            "last_name": "",
            "is_active": "on",
            "groups": [studio.pk],
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(pk=player.pk).has_perm("games.add_game")


def test_an_operator_creates_a_user_in_the_admin(admin_client):
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "newcomer",
            "email": "newcomer@example.com",
            "usable_password": "true",
            "password1": "a-long-enough-password-1",
            "password2": "a-long-enough-password-1",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(username="newcomer").check_password("a-long-enough-password-1")


def test_the_admin_refuses_a_case_variant_duplicate_username(admin_client):
    UserFactory(username="Taken")

    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "taken",
            "email": "other@example.com",
            "usable_password": "true",
            "password1": "a-long-enough-password-1",
            "password2": "a-long-enough-password-1",
        },
    )

    assert response.status_code == 200
    assert User.objects.filter(username__iexact="taken").count() == 1


def test_deleting_a_player_removes_them_from_the_leaderboards(admin_client, api):
    game = GameFactory()
    leaver, stayer = UserFactory(username="leaver"), UserFactory(username="stayer")
    bearer_client(leaver).post(f"/api/v1/games/{game.slug}/scores/", {"value": 100})
    bearer_client(stayer).post(f"/api/v1/games/{game.slug}/scores/", {"value": 50})
    api.get(f"/api/v1/games/{game.slug}/leaderboard/")  # cached

    with TestCase.captureOnCommitCallbacks(execute=True):
        admin_client.post(f"/admin/accounts/user/{leaver.pk}/delete/", {"post": "yes"})

    board = api.get(f"/api/v1/games/{game.slug}/leaderboard/").json()
    assert [(entry["rank"], entry["user"]["username"]) for entry in board["data"]] == [(1, "stayer")]
    assert board["meta"]["total"] == 1
