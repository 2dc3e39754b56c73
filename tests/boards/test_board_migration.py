"""The boards migration on a populated database (issue #12): a database at
the schema before boards (scores 0002), holding games, players, scores and
their bests as that schema stored them, is migrated forward; a server on it
then answers every old URL with the same games, scores and rankings, and
the default board's paths with the same again. PostgreSQL only: the
migration's locking-free path is PostgreSQL's."""

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from scores.periods import period_start
from tests.e2e.live_servers import ROOT, call, database_url_of_this_test

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

PASSWORD = "an-old-password-2026"
PERIODS = ("all", "day", "week", "month")


@pytest.fixture
def scratch_database():
    """A database of its own (the test database stays at the newest schema);
    its DATABASE_URL."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    name = f"{connection.settings_dict['NAME']}_migration"
    admin = {key: value for key, value in params.items() if key in {"host", "port", "user", "password"}}
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.execute(f'CREATE DATABASE "{name}"')
    yield database_url_of_this_test().rsplit("/", 1)[0] + f"/{name}", {"dbname": name, **admin}
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(url: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "PODIUM_DEV_SECRET": "1"}
    subprocess.run(  # noqa: S603 - our own manage.py, fixed arguments
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True
    )


def _hashed(password: str) -> str:
    """As the server checks it (the tests' own hasher is a fast one)."""
    hasher = PBKDF2PasswordHasher()
    return hasher.encode(password, hasher.salt())


def fill_the_old_schema(db: dict) -> dict:
    """Games, players, scores and bests as the schema before boards held
    them; what their leaderboards must show, per game and period."""
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    games = {"racer": "desc", "sprint": "asc"}
    players = ["ann", "bob", "cid", "dee"]
    plan = [
        ("racer", "ann", 50, 40),
        ("racer", "bob", 70, 39),
        ("racer", "ann", 90, 38),
        ("racer", "cid", 70, 37),
        ("racer", "dee", 10, 60 * 24 * 40),  # forty days ago: all time only
        ("sprint", "bob", 3000, 30),
        ("sprint", "ann", 2500, 29),
        ("sprint", "bob", 2400, 28),
    ]
    with psycopg.connect(autocommit=True, **db) as conn:
        user_ids = {}
        for name in players:
            user_ids[name] = conn.execute(
                "INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email, "
                "is_staff, is_active, date_joined) VALUES (%s, false, %s, '', '', %s, false, true, %s) RETURNING id",
                [_hashed(PASSWORD), name, f"{name}@old.podium", now],
            ).fetchone()[0]
        game_ids = {}
        for slug, order in games.items():
            game_ids[slug] = conn.execute(
                "INSERT INTO games_game (slug, name, description, score_order, min_score, max_score, metadata, "
                "is_active, owner_id, created_at, updated_at) "
                "VALUES (%s, %s, '', %s, 1, 100000, '{}', true, %s, %s, %s) RETURNING id",
                [slug, slug.title(), order, user_ids["ann"], now - timedelta(days=60), now - timedelta(days=60)],
            ).fetchone()[0]
        best: dict[tuple, tuple[int, datetime]] = {}
        for slug, name, value, minutes_ago in plan:
            at = now - timedelta(minutes=minutes_ago)
            conn.execute(
                "INSERT INTO scores_score (game_id, user_id, value, metadata, created_at) VALUES (%s, %s, %s, %s, %s)",
                [game_ids[slug], user_ids[name], value, json.dumps({"old": True}), at],
            )
            for period in PERIODS:
                key = (slug, name, period, period_start(period, at))
                better = (lambda a, b: a > b) if games[slug] == "desc" else (lambda a, b: a < b)
                if key not in best or better(value, best[key][0]):
                    best[key] = (value, at)
        for (slug, name, period, start), (value, at) in best.items():
            rank_key = -value if games[slug] == "desc" else value
            conn.execute(
                "INSERT INTO scores_best (game_id, user_id, period, period_start, value, rank_key, achieved_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [game_ids[slug], user_ids[name], period, start, value, rank_key, at],
            )
    today = datetime.now(UTC)
    expected = {}
    for slug, order in games.items():
        for period in PERIODS:
            current = period_start(period, today)
            rows = [
                (name, value, at)
                for (game, name, kind, start), (value, at) in best.items()
                if game == slug and kind == period and start == current
            ]
            rows.sort(key=lambda row: (-row[1] if order == "desc" else row[1], row[2]))
            expected[(slug, period)] = [(rank, name, value) for rank, (name, value, _at) in enumerate(rows, start=1)]
    return expected


def standings(body) -> list[tuple[int, str, int]]:
    return [(entry["rank"], entry["user"]["username"], entry["value"]) for entry in body["data"]]


def test_the_boards_migration_keeps_every_old_url_answering_the_same(scratch_database, servers):
    url, db = scratch_database
    manage(url, "migrate", "scores", "0002", "--noinput")
    expected = fill_the_old_schema(db)

    manage(url, "migrate", "--noinput")
    (server,) = servers.start(env={"DATABASE_URL": url, "REDIS_KEY_PREFIX": f"mig-{uuid.uuid4().hex[:8]}"})
    api = f"{server.url}/api/v1"

    status, games = call("GET", f"{api}/games/?sort=name")
    assert status == 200
    assert [(game["slug"], game["scoreOrder"], game["minScore"]) for game in games["data"]] == [
        ("racer", "desc", 1),
        ("sprint", "asc", 1),
    ]
    status, scores = call("GET", f"{api}/games/racer/scores/?sort=createdAt")
    shown = [(score["user"]["username"], score["value"], score["board"], score["subscore"]) for score in scores["data"]]
    assert shown == [
        ("dee", 10, "default", None),
        ("ann", 50, "default", None),
        ("bob", 70, "default", None),
        ("ann", 90, "default", None),
        ("cid", 70, "default", None),
    ]
    assert all(score["metadata"] == {"old": True} for score in scores["data"])
    for slug in ("racer", "sprint"):
        for period in PERIODS:
            status, body = call("GET", f"{api}/games/{slug}/leaderboard/?period={period}")
            assert status == 200, body
            assert standings(body) == expected[(slug, period)], (slug, period)
            status, again = call("GET", f"{api}/games/{slug}/boards/default/leaderboard/?period={period}")
            assert again == body
        status, boards = call("GET", f"{api}/games/{slug}/boards/")
        assert [(board["key"], board["scoreOrder"], board["maxScore"]) for board in boards["data"]] == [
            ("default", "asc" if slug == "sprint" else "desc", 100000)
        ]
    status, entry = call("GET", f"{api}/games/racer/leaderboard/users/BOB/")
    assert (status, entry["data"]["rank"], entry["data"]["value"]) == (200, 2, 70)

    # And the old accounts sign in and submit as before.
    status, tokens = call("POST", f"{api}/auth/login/", body={"username": "bob", "password": PASSWORD})
    assert status == 200, tokens
    token = tokens["data"]["access"]
    status, submitted = call("POST", f"{api}/games/racer/scores/", token=token, body={"value": 95})
    assert status == 201, submitted
    assert (submitted["data"]["rank"], submitted["data"]["previousBest"]) == (1, 70)
    status, me = call("GET", f"{api}/games/racer/leaderboard/me/?radius=1", token=token)
    assert [(e["rank"], e["user"]["username"]) for e in me["data"]["around"]] == [(1, "bob"), (2, "ann")]
    assert settings.REDIS_URL  # the server read and wrote Redis boards of its own
