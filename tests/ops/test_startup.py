"""What `make run` says when it starts (issue 11, items 1, 10 and 11): one
plain block with every URL, the demo accounts and the command for an
operator account; the development-key warning once; every other line JSON;
the ASGI lifespan handled, so that the server also stops its hub cleanly."""

import asyncio
import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from games.management.commands.seed_demo import DEMO_PASSWORD, PLAYERS, STUDIO_OWNER
from tests.e2e.live_servers import ROOT, watching
from tests.factories import UserFactory


def on_a_server(test):
    """A test that starts make run's server, which shares the test's database and Redis."""
    for mark in (pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)):
        test = mark(test)
    return test


@pytest.fixture
def welcomed(servers):
    for username in [STUDIO_OWNER, *PLAYERS]:
        UserFactory(username=username)
    (server,) = servers.start(env={"PODIUM_WELCOME": "1"})
    return server


@on_a_server
def test_make_runs_server_prints_where_everything_is_once_it_starts(welcomed):
    log = welcomed.log_path.read_text()

    base = welcomed.url
    for url in (f"{base}/", f"{base}/games/", f"{base}/api/docs/", f"{base}/admin/", f"{base}/healthz"):
        assert url in log
    assert DEMO_PASSWORD in log
    assert all(name in log for name in [STUDIO_OWNER, *PLAYERS])
    assert "make superuser" in log


@on_a_server
def test_every_line_but_the_welcome_block_is_json_and_the_development_key_is_named_once(welcomed):
    assert asyncio.run(snapshot_of(welcomed.ws_url("/ws/games/none/")))  # a socket too: the server is busy
    lines = welcomed.log_path.read_text().splitlines()
    start, end = lines.index("Podium is running."), max(i for i, line in enumerate(lines) if "make superuser" in line)

    outside = [line for index, line in enumerate(lines) if not start - 1 <= index <= end + 3 and line.strip()]
    records = [json.loads(line) for line in outside]  # every one of them JSON
    assert sum("development key" in record["message"] for record in records) == 1
    assert not any("lifespan" in record["message"] and "unsupported" in record["message"] for record in records)


@on_a_server
def test_the_server_stops_its_realtime_hub_cleanly_on_sigterm(welcomed):
    async def open_then_stop():
        async with watching(welcomed.ws_url("/ws/lobby/")) as inbox:
            await inbox.expect("lobby", within=10)
            return welcomed.stop()

    status = asyncio.run(open_then_stop())

    log = welcomed.log_path.read_text()
    assert status in (0, -15)  # uvicorn ends with the signal it was stopped by, once it has shut down
    assert "Application shutdown complete" in log
    assert "did not stop" not in log


async def snapshot_of(url: str) -> bool:
    from websockets.asyncio.client import connect

    async with connect(url, open_timeout=10) as socket:
        await socket.wait_closed()  # an unknown game: 4404
    return True


def test_the_readmes_operator_command_creates_an_operator_without_any_configuration(tmp_path):
    """`make superuser`: no SECRET_KEY, no PODIUM_DEV_SECRET in the caller's environment."""
    database = tmp_path / "db.sqlite3"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_SUPERUSER_USERNAME": "boss",
        "DJANGO_SUPERUSER_EMAIL": "boss@example.com",
        "DJANGO_SUPERUSER_PASSWORD": "Sturdy-operator-pass-42",
    }

    result = subprocess.run(
        ["make", "-s", "superuser", "SUPERUSER_ARGS=--noinput"],  # noqa: S607 - make from PATH
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT is_superuser FROM accounts_user WHERE username = 'boss'").fetchone() == (1,)


def test_installs_show_pips_own_progress():
    """The first `make run` spent about 50 silent seconds installing."""
    makefile = Path(ROOT / "Makefile").read_text()
    installs = [line for line in makefile.splitlines() if "pip install" in line]

    assert installs
    assert not [line for line in installs if "--quiet" in line or " -q" in line]
