"""Podium's OpenAPI schema as schemathesis sees it: fetched from /api/schema/
through the WSGI application, in-process (no server, the test's database)."""

from __future__ import annotations

import schemathesis
from werkzeug.test import Client, TestResponse

from config.wsgi import application

SCHEMA_URL = "/api/schema/"
# drf-spectacular serves YAML unless asked for JSON this way (no ?format=json).
SCHEMA_AS_JSON = {"Accept": "application/vnd.oai.openapi+json"}


def load_schema(config: schemathesis.Config | None = None):
    return schemathesis.openapi.from_wsgi(SCHEMA_URL, application, config=config, headers=SCHEMA_AS_JSON)


def call(method: str, path: str, *, token: str | None = None, **kwargs) -> TestResponse:
    """One request to the WSGI application, as schemathesis sends them
    (a werkzeug response, which its validators take as is)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Client(application).open(path, method=method, headers=headers, **kwargs)
