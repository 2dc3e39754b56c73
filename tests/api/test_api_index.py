"""`/api/` and `/api/v1/` say where everything is, and a path that misses
only its trailing slash says so (still a 404, as the README decided)
(issue 11, item 3)."""

import pytest

from tests.factories import GameFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/", "/api/v1/"])
def test_the_api_index_lists_the_resources_and_the_docs(api, path):
    response = api.get(path)

    body = response.json()
    assert response.status_code == 200
    assert body["success"] is True
    assert body["data"]["docs"] == "/api/docs/"
    assert body["data"]["schema"] == "/api/schema/"
    assert body["data"]["resources"]["games"] == "/api/v1/games/"


def test_every_link_of_the_api_index_answers(api):
    GameFactory(slug="arena")
    data = api.get("/api/v1/").json()["data"]
    links = [data["docs"], data["schema"], *data["resources"].values()]

    for link in links:
        path = link.replace("{slug}", "arena").replace("{username}", "nobody").replace("{key}", "default")
        status = api.get(path).status_code
        assert status in (200, 401, 404, 405), (path, status)  # 401: signed in only; 405: POST only; 404: nobody
        assert status != 404 or path.endswith("/users/nobody/"), path


@pytest.mark.parametrize(
    ("method", "path"), [("get", "/api/v1/games"), ("post", "/api/v1/auth/login"), ("get", "/api/v1/games/arena")]
)
def test_a_path_missing_its_trailing_slash_is_a_404_that_says_so(api, method, path):
    GameFactory(slug="arena")

    response = getattr(api, method)(path)

    assert response.status_code == 404
    assert response.json()["error"]["message"] == f"No such resource. Did you mean {path}/ (with the trailing slash)?"


def test_an_unknown_path_is_a_plain_404(api):
    response = api.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No such resource."
