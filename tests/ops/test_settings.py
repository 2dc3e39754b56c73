"""Settings fail loudly on what would be unsafe or wrong, at start-up."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def manage_check(**env_overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "PODIUM_DEV_SECRET", "DEBUG")}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_without_a_secret_key_and_with_debug_off_podium_refuses_to_start():
    result = manage_check()

    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_a_short_secret_key_is_refused():
    result = manage_check(SECRET_KEY="too-short")

    assert result.returncode != 0
    assert "at least 32 characters" in result.stderr


@pytest.mark.parametrize(("name", "value"), [("SCORE_RATE", "lots"), ("JWT_ACCESS_MINUTES", "0"), ("DEBUG", "maybe")])
def test_bad_values_are_refused(name, value):
    result = manage_check(SECRET_KEY="k" * 40, **{name: value})

    assert result.returncode != 0


def test_a_real_secret_key_with_debug_off_starts():
    result = manage_check(SECRET_KEY="k" * 40)

    assert result.returncode == 0, result.stderr
