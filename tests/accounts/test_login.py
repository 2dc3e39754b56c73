import logging

import pytest

from tests.factories import PASSWORD, UserFactory

URL = "/api/v1/auth/login/"

pytestmark = pytest.mark.django_db


def test_login_with_username_returns_tokens_and_user(api, user):
    response = api.post(URL, {"username": user.username, "password": PASSWORD})

    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == {"access", "refresh", "user"}
    assert data["user"] == {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "createdAt": data["user"]["createdAt"],
    }


@pytest.mark.parametrize("login", ["username", "USERNAME", "email", "EMAIL"])
def test_login_matches_username_or_email_in_any_case(api, login):
    user = UserFactory(username="Grace", email="grace@example.com")
    value = {"username": "Grace", "USERNAME": "gRACE", "email": "grace@example.com", "EMAIL": "GRACE@EXAMPLE.COM"}

    response = api.post(URL, {"username": value[login], "password": PASSWORD})

    assert response.status_code == 200
    assert response.json()["data"]["user"]["id"] == user.id


def test_login_sets_httponly_token_cookies_and_the_csrf_cookie(api, user, settings):
    response = api.post(URL, {"username": user.username, "password": PASSWORD})

    access = response.cookies[settings.ACCESS_COOKIE_NAME]
    refresh = response.cookies[settings.REFRESH_COOKIE_NAME]
    for cookie in (access, refresh):
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"
        assert cookie["secure"] is True  # DEBUG is off
    assert access.value == response.json()["data"]["access"]
    assert refresh.value == response.json()["data"]["refresh"]
    assert "csrftoken" in response.cookies


def test_an_unknown_user_and_a_wrong_password_get_the_same_401(api, user):
    wrong_password = api.post(URL, {"username": user.username, "password": "not-the-password"})
    unknown_user = api.post(URL, {"username": "nobody-here", "password": "not-the-password"})

    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.json() == unknown_user.json()
    assert wrong_password.json()["error"]["code"] == "UNAUTHORIZED"


def test_an_inactive_user_cannot_sign_in(api):
    user = UserFactory(is_active=False)

    assert api.post(URL, {"username": user.username, "password": PASSWORD}).status_code == 401


def test_failed_logins_are_logged_as_security_events(api, user, caplog):
    with caplog.at_level(logging.WARNING, logger="podium.security"):
        api.post(URL, {"username": user.username, "password": "wrong-password"})

    events = [record for record in caplog.records if record.name == "podium.security"]
    assert [record.event for record in events] == ["login_failed"]
    assert "wrong-password" not in caplog.text


def test_login_is_rate_limited_per_ip_counting_refused_attempts(api, user, settings):
    settings.LOGIN_RATE = "3/m"
    for n in range(3):
        api.post(URL, {"username": f"someone-{n}", "password": "wrong"})

    response = api.post(URL, {"username": user.username, "password": PASSWORD})

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "RATE_LIMITED"
    assert int(response["Retry-After"]) >= 1


def test_login_is_rate_limited_per_username_across_ips(user, settings):
    from rest_framework.test import APIClient

    settings.LOGIN_RATE = "3/m"
    for n in range(3):
        APIClient(REMOTE_ADDR=f"10.0.0.{n}").post(URL, {"username": user.username.upper(), "password": "wrong"})

    response = APIClient(REMOTE_ADDR="10.0.0.99").post(URL, {"username": user.username, "password": PASSWORD})

    assert response.status_code == 429


def test_rate_limit_hits_are_logged(api, user, settings, caplog):
    settings.LOGIN_RATE = "1/m"
    api.post(URL, {"username": user.username, "password": "wrong"})
    with caplog.at_level(logging.WARNING, logger="podium.security"):
        api.post(URL, {"username": user.username, "password": "wrong"})

    assert "rate_limited" in [getattr(record, "event", None) for record in caplog.records]
