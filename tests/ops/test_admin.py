import pytest

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_the_admin_login_page_renders(client):
    assert client.get("/admin/login/").status_code == 200


def test_an_operator_signs_in_to_the_admin_and_lists_users(client):
    operator = UserFactory(is_staff=True, is_superuser=True)
    UserFactory.create_batch(3)

    response = client.post(
        "/admin/login/?next=/admin/accounts/user/",
        {"username": operator.username.upper(), "password": PASSWORD},
        follow=True,
    )

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/admin/accounts/user/"
    assert operator.username.encode() in response.content


def test_a_player_cannot_enter_the_admin(client, user):
    client.force_login(user)

    response = client.get("/admin/accounts/user/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
