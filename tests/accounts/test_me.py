import base64
import json
from datetime import timedelta

import jwt
import pytest
import time_machine
from django.conf import settings
from rest_framework.test import APIClient

from accounts.services import issue_tokens
from tests.factories import PASSWORD

URL = "/api/v1/auth/me/"
pytestmark = pytest.mark.django_db


def bearer(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_me_returns_the_signed_in_user(signed_in, user):
    response = signed_in.get(URL)

    assert response.status_code == 200
    assert response.json()["data"]["username"] == user.username
    assert response.json()["data"]["email"] == user.email


def test_me_without_credentials_is_a_401_in_the_envelope(api):
    response = api.get(URL)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_tampered_token_is_a_401(api, user):
    access = issue_tokens(user=user).access
    header, payload, signature = access.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged = f"{header}.{b64({**claims, 'user_id': '999'})}.{signature}"

    assert api.get(URL, **bearer(forged)).status_code == 401


def test_an_alg_none_token_is_a_401(api, user):
    claims = jwt.decode(issue_tokens(user=user).access, options={"verify_signature": False})
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."

    assert api.get(URL, **bearer(unsigned)).status_code == 401


def test_a_token_signed_with_another_algorithm_is_a_401(api, user):
    claims = jwt.decode(issue_tokens(user=user).access, options={"verify_signature": False})
    other_alg = jwt.encode(claims, settings.SECRET_KEY * 2, algorithm="HS512")

    assert api.get(URL, **bearer(other_alg)).status_code == 401


def test_a_token_signed_with_another_key_is_a_401(api, user):
    claims = jwt.decode(issue_tokens(user=user).access, options={"verify_signature": False})

    assert api.get(URL, **bearer(jwt.encode(claims, "x" * 64, algorithm="HS256"))).status_code == 401


def test_an_expired_access_token_is_a_401(api, user):
    access = issue_tokens(user=user).access

    with time_machine.travel(timedelta(minutes=settings.JWT_ACCESS_MINUTES, seconds=1)):
        response = api.get(URL, **bearer(access))

    assert response.status_code == 401


def test_an_access_token_still_in_its_lifetime_works(api, user):
    access = issue_tokens(user=user).access

    with time_machine.travel(timedelta(minutes=settings.JWT_ACCESS_MINUTES - 1)):
        assert api.get(URL, **bearer(access)).status_code == 200


def test_a_refresh_token_is_not_an_access_token(api, user):
    assert api.get(URL, **bearer(issue_tokens(user=user).refresh)).status_code == 401


def test_a_password_change_revokes_access_tokens(api, user):
    access = issue_tokens(user=user).access
    user.set_password("a-brand-new-password-42")
    user.save()

    assert api.get(URL, **bearer(access)).status_code == 401


def test_the_access_cookie_signs_in_safe_requests_without_csrf(user):
    client = APIClient(enforce_csrf_checks=True)
    client.post("/api/v1/auth/login/", {"username": user.username, "password": PASSWORD})

    assert client.get(URL).status_code == 200


def test_an_unsafe_request_signed_in_by_cookie_needs_the_csrf_token(user):
    client = APIClient(enforce_csrf_checks=True)
    client.post("/api/v1/auth/login/", {"username": user.username, "password": PASSWORD})

    refused = client.post(URL, {})
    allowed_past_csrf = client.post(URL, {}, HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "FORBIDDEN"
    assert allowed_past_csrf.status_code == 405  # past CSRF, then refused for the method


def test_bearer_requests_need_no_csrf_token(user):
    client = APIClient(enforce_csrf_checks=True)

    response = client.post(URL, {}, **bearer(issue_tokens(user=user).access))

    assert response.status_code == 405


def test_the_csrf_endpoint_sets_the_csrf_cookie(api):
    response = api.get("/api/v1/auth/csrf/")

    assert response.status_code == 200
    assert "csrftoken" in response.cookies
    assert response.json()["data"]["csrfToken"]
