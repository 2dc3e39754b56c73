"""What the bench asks of Podium: one Scenario per measured request mix,
each with the wrk script that sends it, a few requests like it for probes,
and a check of their answers; and the requests of the open-loop runs."""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from loadgen import Answer, Request

TOKEN_USERS = 50
SUBMIT_GAME = "bench-08"
SUM_BOARD = "kills"  # seed_bench.SUM_BOARD (this file runs outside Django): every bench game's `sum` board
SUBSCORE_BOARD = "time-trial"  # in_process.SUBSCORE_BOARD: made by the bench on SUBMIT_GAME
READ_GAME = "bench-00"
LARGEST_VALUE = 10**9 - 1


@dataclass
class Scenario:
    key: str
    title: str
    url_path: str  # what wrk is pointed at; a script may build other paths
    script: str = "report.lua"
    script_args: list[str] = field(default_factory=list)
    sample: Callable[[int], list[Request]] | None = None  # requests like the load's (default: GET url_path)
    check: Callable[[Answer], str | None] | None = None  # a problem with an answer, or None

    def requests(self, count: int) -> list[Request]:
        return self.sample(count) if self.sample else [Request("GET", self.url_path) for _ in range(count)]

    def wrk_args(self) -> list[str]:
        """The script's arguments, `{nonce}` made unique for each wrk run (Idempotency-Keys)."""
        return [arg.replace("{nonce}", secrets.token_hex(6)) for arg in self.script_args]


@dataclass
class Players:
    """The signed-in bench players: their access tokens, also in a file for wrk."""

    token_file: Path
    run_id: str
    tokens: list[str] = field(default_factory=list)

    def bearer(self, index: int) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[index % len(self.tokens)]}"}


def healthz() -> Scenario:
    return Scenario(
        "healthz",
        "Ceiling: minimal Django view GET /healthz via deploy/serve",
        "/healthz",
        check=lambda a: None if a.data == {"status": "ok"} else f"unexpected body {a.data}",
    )


def me_path(slug: str) -> str:
    return f"/api/v1/games/{slug}/leaderboard/me/?radius=5"


def read_scenarios(*, big: int, slug: str, players: Players) -> list[Scenario]:
    """The reads: a cached top page, a page deep in the big board, rank
    lookups by name, `me`, and a game's detail."""
    depth_page = big // 2 // 100 + 1
    depth_offset = (depth_page - 1) * 100
    rng = random.Random(11)

    def names(count):
        return [f"bench-p{rng.randrange(big):07d}" for _ in range(count)]

    def entries_check(count, first_rank):
        def check(answer):
            rows = (answer.data or {}).get("data") if isinstance(answer.data, dict) else None
            if answer.status != 200 or not isinstance(rows, list):
                return f"answered {answer.status}: {str(answer.data)[:200]}"
            if len(rows) != count or rows[0].get("rank") != first_rank:
                return f"{len(rows)} entries from rank {rows[0].get('rank') if rows else None}, expected {count}"
            return None

        return check

    def me_check(answer):
        data = (answer.data or {}).get("data") if isinstance(answer.data, dict) else None
        if answer.status != 200 or not data or not data.get("entry"):
            return f"answered {answer.status}: {str(answer.data)[:200]}"
        return None if len(data.get("around", [])) >= 6 else f"only {len(data.get('around', []))} entries around"

    return [
        Scenario(
            "top100",
            f"Top-100 leaderboard of {READ_GAME}",
            f"/api/v1/games/{READ_GAME}/leaderboard/?limit=100",
            check=entries_check(100, 1),
        ),
        Scenario(
            "depth",
            f"Page at depth {depth_offset:,} of the {big:,}-entry board (limit 100)",
            f"/api/v1/games/{slug}/leaderboard/?page={depth_page}&limit=100",
            check=entries_check(100, depth_offset + 1),
        ),
        Scenario(
            "user_rank",
            f"users/{{username}} rank lookup, random players of the {big:,}-entry board",
            "/",
            script="user_rank.lua",
            script_args=[slug, str(big)],
            sample=lambda n: [Request("GET", f"/api/v1/games/{slug}/leaderboard/users/{u}/") for u in names(n)],
        ),
        Scenario(
            "me",
            f"me with radius 5, {TOKEN_USERS} signed-in players of the {big:,}-entry board",
            "/",
            script="bearer_get.lua",
            script_args=[me_path(slug), str(players.token_file)],
            sample=lambda n: [Request("GET", me_path(slug), players.bearer(i)) for i in range(n)],
            check=me_check,
        ),
        Scenario(
            "game_detail",
            f"Game detail (with playerCount) of {READ_GAME}",
            f"/api/v1/games/{READ_GAME}/",
            check=lambda a: None if "playerCount" in ((a.data or {}).get("data") or {}) else "no playerCount",
        ),
    ]


def board_path(board: str | None) -> str:
    return f"games/{SUBMIT_GAME}" + (f"/boards/{board}" if board else "")


def submission_body(rng: random.Random, *, largest: int, subscore: bool) -> dict:
    body = {"value": rng.randrange(1, largest + 1), "metadata": {"bench": "probe"}}
    if subscore:
        body["subscore"] = rng.randrange(1, 1001)
    return body


def submit_scenario(
    players: Players,
    key: str = "submit",
    board: str | None = None,
    largest: int = LARGEST_VALUE,
    subscore: bool = False,
) -> Scenario:
    """Submissions to SUBMIT_GAME's default board or to one of its others
    (values 1 to `largest`, and a subscore when the board ranks by one)."""
    path = f"/api/v1/{board_path(board)}/scores/"
    where = f"the {board} board of {SUBMIT_GAME}" if board else SUBMIT_GAME
    rng = random.Random()

    def sample(count):
        return [
            Request(
                "POST",
                path,
                {**players.bearer(i), "Idempotency-Key": f"{players.run_id}-probe-{secrets.token_hex(6)}"},
                submission_body(rng, largest=largest, subscore=subscore),
            )
            for i in range(count)
        ]

    args = [board_path(board), str(players.token_file), f"{players.run_id}-{key}-{{nonce}}", str(largest)]
    return Scenario(
        key,
        f"Score submission to {where} by {TOKEN_USERS} signed-in players, unique Idempotency-Keys",
        "/",
        script="submit.lua",
        script_args=[*args, "subscore"] if subscore else args,
        sample=sample,
        check=lambda a: None if a.status == 201 else f"answered {a.status}: {str(a.data)[:200]}",
    )


# --- Open-loop requests: (method, path, headers, body) for request i ------------------------


def open_loop_submissions(players: Players, *, nonce: str):
    path = f"/api/v1/{board_path(None)}/scores/"
    rng = random.Random()

    def make(index: int):
        headers = {
            **players.bearer(index),
            "Content-Type": "application/json",
            "Idempotency-Key": f"{players.run_id}-open-{nonce}-{index}",
        }
        body = json.dumps(submission_body(rng, largest=LARGEST_VALUE, subscore=False)).encode()
        return "POST", path, headers, body

    return make


def open_loop_me(players: Players, *, slug: str):
    path = me_path(slug)

    def make(index: int):
        return "GET", path, players.bearer(index), None

    return make
