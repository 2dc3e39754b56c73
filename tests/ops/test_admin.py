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


def test_admin_sign_in_is_rate_limited_per_address(client, settings):
    settings.LOGIN_RATE = "2/m"
    for n in range(2):
        client.post("/admin/login/", {"username": f"someone{n}", "password": "wrong"})

    response = client.post("/admin/login/", {"username": "someone-else", "password": "wrong"})

    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1


def test_admin_sign_in_is_rate_limited_per_username_across_addresses(settings):
    from django.test import Client

    settings.LOGIN_RATE = "2/m"
    for n in range(2):
        Client(REMOTE_ADDR=f"10.1.0.{n}").post("/admin/login/", {"username": "Root", "password": "wrong"})

    response = Client(REMOTE_ADDR="10.1.0.9").post("/admin/login/", {"username": "root", "password": "wrong"})

    assert response.status_code == 429


def test_failed_admin_sign_ins_are_security_events(client, caplog):
    import logging

    with caplog.at_level(logging.WARNING, logger="podium.security"):
        client.post("/admin/login/", {"username": "nobody", "password": "wrong"})

    assert [(record.event, record.site) for record in caplog.records if record.name == "podium.security"] == [
        ("login_failed", "admin")
    ]
