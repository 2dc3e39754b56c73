import re

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_schema_is_served_as_openapi_3_1(api):
    response = api.get("/api/schema/")

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    # 3.1: its schemas are JSON Schema 2020-12, so `null` validates where allowed.
    assert schema["openapi"] == "3.1.0"
    assert "/api/v1/auth/login/" in schema["paths"]


def test_the_schema_is_valid_and_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_the_schema_describes_the_envelope_and_the_errors(api):
    schema = yaml.safe_load(api.get("/api/schema/").content)
    login = schema["paths"]["/api/v1/auth/login/"]["post"]

    success = login["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(success["properties"]) == {"success", "data"}
    assert login["responses"]["429"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorEnvelope")
    user = schema["components"]["schemas"]["User"]
    assert "createdAt" in user["properties"]


def test_the_docs_page_loads_its_assets_from_podium_not_a_cdn(api):
    response = api.get("/api/docs/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    # Not a word search: the page embeds a random CSRF token.
    assert not re.findall(r'(?:src|href)\s*=\s*["\']?(?:https?:)?//', html, re.IGNORECASE)


def test_the_docs_assets_are_served(api):
    html = api.get("/api/docs/").content.decode()
    bundle = next(part.split('"')[0] for part in html.split('src="')[1:] if "swagger-ui-bundle" in part)

    assert api.get(bundle).status_code == 200
