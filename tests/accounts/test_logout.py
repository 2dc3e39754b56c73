import pytest
from rest_framework.test import APIClient

from tests.factories import PASSWORD

URL = "/api/v1/auth/logout/"
pytestmark = pytest.mark.django_db


def login(client, user):
    return client.post("/api/v1/auth/login/", {"username": user.username, "password": PASSWORD}).json()["data"]


def test_logout_revokes_the_refresh_token_and_clears_cookies(api, user):
    tokens = login(api, user)

    response = APIClient().post(URL, {"refresh": tokens["refresh"]})

    assert response.status_code == 204
    assert response.content == b""
    assert response.cookies["podium_access"].value == ""
    assert response.cookies["podium_refresh"].value == ""
    assert api.post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}).status_code == 401


def test_logout_needs_no_access_token(user):
    tokens = login(APIClient(), user)

    assert APIClient().post(URL, {"refresh": tokens["refresh"]}).status_code == 204


def test_logout_with_the_refresh_cookie_needs_the_csrf_token(user):
    client = APIClient(enforce_csrf_checks=True)
    login(client, user)

    assert client.post(URL, {}).status_code == 403
    assert client.post(URL, {}, HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value).status_code == 204


def test_logout_without_any_refresh_token_is_a_401(api):
    response = api.post(URL, {})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"
