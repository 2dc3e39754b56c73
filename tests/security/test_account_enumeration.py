"""Account enumeration: sign-in tells nobody whether an account exists
(CONTRACT §3: a wrong password and an unknown user get the same 401).

Same status and body, and the same work: an unknown login still runs the
password hasher once, like a known one, so the answer takes as long.
"""

import statistics
import time

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from rest_framework.test import APIClient

from tests.factories import PASSWORD, UserFactory

LOGIN = "/api/v1/auth/login/"

pytestmark = pytest.mark.django_db


class CountingMD5PasswordHasher(MD5PasswordHasher):
    """MD5, counting every hash it computes (`verify` computes through `encode`)."""

    computed = 0

    def encode(self, password, salt):
        CountingMD5PasswordHasher.computed += 1
        return super().encode(password, salt)


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingMD5PasswordHasher"]
    CountingMD5PasswordHasher.computed = 0
    return CountingMD5PasswordHasher


@pytest.fixture
def known(db):
    return UserFactory(username="known-player", email="known@example.com")


def sign_in(login: str, password: str = "not-the-password"):  # noqa: S107 - a wrong password on purpose
    return APIClient().post(LOGIN, {"username": login, "password": password})


def comparable(response) -> tuple:
    """Everything a client sees, less what differs per request (its id, and
    `Expires`, the moment it was answered, which moves on at each second)."""
    headers = {name: value for name, value in response.items() if name not in {"X-Request-ID", "Expires"}}
    return response.status_code, response.content, headers


# --- The answer ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unknown", "wrong"),
    [("nobody-here", "known-player"), ("nobody@example.com", "known@example.com"), ("NOBODY", "KNOWN-PLAYER")],
    ids=["username", "email", "any-case"],
)
def test_an_unknown_login_and_a_wrong_password_get_the_same_answer(known, unknown, wrong):
    unknown_user = sign_in(unknown)
    wrong_password = sign_in(wrong)

    assert unknown_user.status_code == 401
    assert comparable(unknown_user) == comparable(wrong_password)
    assert unknown_user.json()["error"]["code"] == "UNAUTHORIZED"


def test_an_inactive_account_gets_the_same_answer_as_an_unknown_one(known):
    UserFactory(username="retired", is_active=False)

    assert comparable(sign_in("retired", PASSWORD)) == comparable(sign_in("nobody-here", PASSWORD))


def test_the_answer_names_neither_the_account_nor_which_part_was_wrong(known):
    message = sign_in("known-player").json()["error"]["message"].lower()

    assert "known-player" not in message
    assert "not found" not in message
    assert "no such" not in message
    assert "does not exist" not in message


def test_a_refused_sign_in_sets_no_cookie_for_either(known):
    assert not sign_in("known-player").cookies
    assert not sign_in("nobody-here").cookies


# --- The work -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "login",
    ["nobody-here", "nobody@example.com", "known-player", "known@example.com", "retired"],
    ids=["unknown-username", "unknown-email", "wrong-password", "wrong-password-by-email", "inactive"],
)
def test_every_refused_sign_in_runs_the_password_hasher_exactly_once(known, counting_hasher, login):
    UserFactory(username="retired", is_active=False)
    counting_hasher.computed = 0

    response = sign_in(login)

    assert response.status_code == 401
    assert counting_hasher.computed == 1


def test_a_successful_sign_in_runs_the_hasher_once_too(counting_hasher):
    UserFactory(username="rightful")
    counting_hasher.computed = 0

    assert sign_in("rightful", PASSWORD).status_code == 200
    assert counting_hasher.computed == 1


def test_an_unknown_user_costs_the_production_hash_like_a_known_one(settings):
    """With the real Argon2id hasher, the median time of unknown-user sign-ins
    is within 0.5 to 2 times that of wrong-password sign-ins (a coarse bound that only a
    skipped hash could break: an Argon2 hash is tens of milliseconds, a
    database miss well under one)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    settings.LOGIN_RATE = "10000/m"
    UserFactory(username="argon-player")  # hashed with Argon2 now
    sign_in("argon-player")  # warm-up: imports and first-use costs
    sign_in("nobody-at-all")

    unknown, wrong = [], []
    for n in range(15):
        for login, timings in ((f"nobody-{n}", unknown), ("argon-player", wrong)):
            started = time.perf_counter()
            response = sign_in(login)
            timings.append(time.perf_counter() - started)
            assert response.status_code == 401

    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 0.5 <= ratio <= 2, f"unknown {statistics.median(unknown):.4f}s vs known {statistics.median(wrong):.4f}s"
