import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import PASSWORD

URL = "/api/v1/auth/refresh/"
LOGIN = "/api/v1/auth/login/"

pytestmark = pytest.mark.django_db


def login(client, user):
    return client.post(LOGIN, {"username": user.username, "password": PASSWORD}).json()["data"]


def test_refreshing_returns_a_new_pair(api, user):
    tokens = login(api, user)

    response = api.post(URL, {"refresh": tokens["refresh"]})

    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == {"access", "refresh"}
    assert data["refresh"] != tokens["refresh"]
    me = APIClient().get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Bearer {data['access']}")
    assert me.status_code == 200


def test_a_refresh_token_works_once(api, user):
    tokens = login(api, user)
    api.post(URL, {"refresh": tokens["refresh"]})

    response = api.post(URL, {"refresh": tokens["refresh"]})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"


def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(api, user):
    tokens = login(api, user)
    rotated = api.post(URL, {"refresh": tokens["refresh"]}).json()["data"]

    api.post(URL, {"refresh": tokens["refresh"]})  # a replay of the old token

    assert api.post(URL, {"refresh": rotated["refresh"]}).status_code == 401


def test_the_refresh_cookie_works_with_the_csrf_token(user):
    client = APIClient(enforce_csrf_checks=True)
    login(client, user)
    csrf = client.cookies["csrftoken"].value

    response = client.post(URL, {}, HTTP_X_CSRFTOKEN=csrf)

    assert response.status_code == 200
    assert response.cookies["podium_refresh"].value == response.json()["data"]["refresh"]


def test_the_refresh_cookie_without_the_csrf_token_is_a_403(user):
    client = APIClient(enforce_csrf_checks=True)
    login(client, user)

    response = client.post(URL, {})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCIsInVzZXJfaWQiOiIxIn0.",
    ],
)
def test_forged_refresh_tokens_are_a_401(api, token):
    response = api.post(URL, {"refresh": token})

    assert response.status_code == 401


def test_a_blank_refresh_field_is_a_400_naming_it(api):
    response = api.post(URL, {"refresh": ""})

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "refresh"


def test_an_access_token_is_not_a_refresh_token(api, user):
    tokens = login(api, user)

    assert api.post(URL, {"refresh": tokens["access"]}).status_code == 401


def test_changing_the_password_revokes_refresh_tokens(api, user):
    tokens = login(api, user)
    user.set_password("a-brand-new-password-42")
    user.save()

    assert api.post(URL, {"refresh": tokens["refresh"]}).status_code == 401


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_with_one_token_succeed_once(user):
    tokens = login(APIClient(), user)
    statuses: list[int] = []
    barrier = threading.Barrier(5)

    def refresh():
        barrier.wait()
        try:
            statuses.append(APIClient().post(URL, {"refresh": tokens["refresh"]}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200, 401, 401, 401, 401]
