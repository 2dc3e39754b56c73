"""The served schema passes Redocly's recommended lint, less the rules
redocly.yaml turns off (the README says why). Redocly CLI runs through npx,
from the npm registry, at a pinned version."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

REDOCLY_CLI = "@redocly/cli@2.77.0"
CONFIG = Path(__file__).resolve().parents[2] / "redocly.yaml"


def test_the_schema_passes_redoclys_recommended_lint(api, tmp_path):
    npx = shutil.which("npx")
    if npx is None:
        pytest.skip("needs npx (Node.js) to run Redocly CLI; the README says how to lint by hand")
    (tmp_path / "schema.json").write_bytes(api.get("/api/schema.json").content)

    linted = subprocess.run(  # noqa: S603 - npx from PATH, fixed arguments
        [npx, "--yes", REDOCLY_CLI, "lint", "--extends=recommended", f"--config={CONFIG}", "schema.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"},
    )

    output = linted.stdout + linted.stderr
    assert linted.returncode == 0, output
    assert "Your API description is valid" in output, output
    # Warnings pass the lint but count here ("You have 1 warning."); Node's own
    # deprecation notice does not.
    assert not re.search(r"\b\d+ warnings?\b", output), output
