"""Which format the OpenAPI document comes in: an explicit one (`?format=`,
or the `.json` URL) wins over `Accept`, which browsers always send."""

import json

import pytest
import yaml

pytestmark = pytest.mark.django_db

# What Firefox and Chromium send when the address bar opens a URL.
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


def test_format_json_wins_over_a_browsers_accept(api):
    response = api.get("/api/schema/?format=json", HTTP_ACCEPT=BROWSER_ACCEPT)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["openapi"] == "3.1.0"


def test_format_json_wins_over_an_accept_that_names_no_json(api):
    response = api.get("/api/schema/?format=json", HTTP_ACCEPT="text/plain")

    assert response.status_code == 200
    assert json.loads(response.content)["openapi"] == "3.1.0"


def test_format_yaml_wins_over_an_accept_for_json(api):
    response = api.get("/api/schema/?format=yaml", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert yaml.safe_load(response.content)["openapi"] == "3.1.0"


def test_schema_json_is_the_document_in_json_whatever_the_accept(api):
    response = api.get("/api/schema.json", HTTP_ACCEPT=BROWSER_ACCEPT)
    as_yaml = yaml.safe_load(api.get("/api/schema/").content)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == as_yaml


def test_an_unknown_format_is_a_400_naming_the_parameter(api):
    response = api.get("/api/schema/?format=xml", HTTP_ACCEPT=BROWSER_ACCEPT)

    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False
    assert body["error"]["details"] == [{"field": "format", "message": "format must be json or yaml."}]


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        (BROWSER_ACCEPT, "application/vnd.oai.openapi; charset=utf-8"),
        ("application/json", "application/json"),
        ("application/vnd.oai.openapi+json", "application/vnd.oai.openapi+json"),
    ],
)
def test_without_a_format_accept_chooses_and_yaml_is_the_default(api, accept, content_type):
    response = api.get("/api/schema/", HTTP_ACCEPT=accept)

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
