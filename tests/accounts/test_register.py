import pytest

from accounts.models import User

URL = "/api/v1/auth/register/"
GOOD = {"email": "ada@example.com", "username": "ada_l", "password": "analytical-engine-1843"}

pytestmark = pytest.mark.django_db


def test_registering_returns_the_new_user_with_201(api):
    response = api.post(URL, GOOD)

    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True
    assert set(body["data"]) == {"id", "username", "email", "createdAt"}
    assert body["data"]["username"] == "ada_l"
    assert body["data"]["email"] == "ada@example.com"
    assert body["data"]["createdAt"].endswith("Z")


def test_passwords_are_stored_with_argon2id(api, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]

    api.post(URL, GOOD)

    assert User.objects.get(username="ada_l").password.startswith("argon2$argon2id$")


@pytest.mark.parametrize(
    ("field", "variant"),
    [("username", {"username": "ADA_L", "email": "other@example.com"}), ("email", {"email": "ADA@Example.COM"})],
)
def test_a_case_variant_duplicate_is_a_409_naming_the_field(api, field, variant):
    api.post(URL, GOOD)

    response = api.post(URL, {**GOOD, **variant})

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "CONFLICT"
    assert field in [detail["field"] for detail in error["details"]]
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    "username", ["ab", "a" * 31, "has space", "dots.not.allowed", "emoji🙂", "at@sign", "<script>", ""]
)
def test_usernames_outside_the_rules_are_refused(api, username):
    response = api.post(URL, {**GOOD, "username": username})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert [detail["field"] for detail in error["details"]] == ["username"]


@pytest.mark.parametrize("username", ["abc", "A" * 30, "under_score", "hy-phen", "Mixed123"])
def test_usernames_within_the_rules_are_accepted(api, username):
    assert api.post(URL, {**GOOD, "username": username}).status_code == 201


@pytest.mark.parametrize("password", ["short", "password123", "12345678901", "ada@example.com"])
def test_weak_passwords_are_refused_by_djangos_validators(api, password):
    response = api.post(URL, {**GOOD, "password": password})

    assert response.status_code == 400
    assert {detail["field"] for detail in response.json()["error"]["details"]} == {"password"}


def test_missing_and_malformed_fields_are_each_named(api):
    response = api.post(URL, {"email": "not-an-email"})

    assert response.status_code == 400
    fields = {detail["field"] for detail in response.json()["error"]["details"]}
    assert fields == {"email", "username", "password"}


def test_registration_is_rate_limited_per_client_ip(api, settings):
    settings.REGISTER_RATE = "2/m"
    for n in range(2):
        assert api.post(URL, {**GOOD, "username": f"user{n}", "email": f"u{n}@example.com"}).status_code == 201

    response = api.post(URL, {**GOOD, "username": "user9", "email": "u9@example.com"})

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "RATE_LIMITED"
    assert 1 <= int(response["Retry-After"]) <= 60
