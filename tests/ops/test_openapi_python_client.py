"""A Python client generated from the served schema (openapi-python-client,
pinned in requirements-dev.txt) type-checks under `mypy --strict` and reads
Podium's real answers."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import bearer_client, unavailable
from tests.factories import GameFactory, UserFactory

pytestmark = pytest.mark.django_db

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
PACKAGE = "podium_client"
# No post-generation hooks: they would run whatever ruff configuration the
# machine has over the code, and the test is about the code as generated.
GENERATOR_CONFIG = "post_hooks: []\n"


@pytest.fixture
def client_package(api, tmp_path):
    """The client generated from /api/schema.json, in tmp_path/podium_client."""
    if not GENERATOR.exists():
        unavailable("needs openapi-python-client (make test installs requirements-dev.txt)")
    (tmp_path / "schema.json").write_bytes(api.get("/api/schema.json").content)
    (tmp_path / "generator.yaml").write_text(GENERATOR_CONFIG)
    generated = subprocess.run(  # noqa: S603 - the venv's generator, fixed arguments
        [
            str(GENERATOR),
            "generate",
            "--path=schema.json",
            "--config=generator.yaml",
            "--meta=none",
            f"--output-path={PACKAGE}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # The generator reports each part of the schema it could not use as a warning.
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "Warning" not in generated.stdout + generated.stderr, generated.stdout + generated.stderr
    return tmp_path


def test_the_generated_python_client_passes_mypy_strict(client_package):
    checked = subprocess.run(  # noqa: S603 - the venv's mypy, fixed arguments
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir=.mypy_cache", "-p", PACKAGE],
        cwd=client_package,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Success: no issues found" in checked.stdout


def _parse(client_package, model: str, body: dict) -> str:
    """`repr()` of `model.from_dict(body)` in the generated client, or its error."""
    script = (
        "import json, sys\n"
        f"from {PACKAGE}.models import {model}\n"
        f"print(repr({model}.from_dict(json.loads(sys.stdin.read()))))\n"
    )
    parsed = subprocess.run(  # noqa: S603 - the venv's Python, our own script
        [sys.executable, "-c", script],
        cwd=client_package,
        input=json.dumps(body),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert parsed.returncode == 0, parsed.stderr
    return parsed.stdout


def test_the_generated_client_reads_a_standing_without_an_entry_and_an_error(client_package):
    game, player = GameFactory(), UserFactory()
    client = bearer_client(player)
    standing = client.get(f"/api/v1/games/{game.slug}/leaderboard/me/").json()["data"]
    error = client.post(f"/api/v1/games/{game.slug}/scores/", {"value": 1.5}, format="json").json()

    assert "entry=None" in _parse(client_package, "Standing", standing)
    assert "success=False" in _parse(client_package, "ErrorEnvelope", error)
