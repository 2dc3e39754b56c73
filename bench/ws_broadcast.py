"""Websocket benchmark for Podium's live game sockets (CONTRACT §7).

Runs against an ALREADY RUNNING Podium server (PostgreSQL + Redis) and talks
to it only over HTTP and websockets (no Django import):

1. Broadcast latency: opens N sockets to ws://host/ws/games/<slug>/ (100 at a
   time), waits for every `snapshot`, then for R rounds POSTs a score over
   REST and times, for every socket, the arrival of the `score` message for
   that submission (matched on `score.id`), from just before the POST was
   sent. Reported: the per-round "every socket has it" time (max over
   sockets; p50/p99/max over rounds), every single delivery (p50/p99/max
   over all sockets and rounds), the POST round trip, and the fan-out spread
   (last delivery minus first delivery in a round).
2. Join burst: one signed-in observer socket counts `player_count`
   messages while N more sockets connect all at once (every 10th signed in
   as a bench user, the rest anonymous). Reported: player_count messages
   seen by the observer, all messages the N+1 sockets got besides their
   snapshot (against N², what one broadcast per join would cost), whether
   the final counts are exact, and how long until they were seen. Then every
   socket closes and the counts must return to the baseline (REST
   `playerCount` and a fresh socket's `snapshot`).

Server environment. The bench registers its own users (one registration and
one login each, default one user) and submits R+1 scores per run, so with the
defaults (REGISTER_RATE=5/m, LOGIN_RATE=10/m, SCORE_RATE=30/m per user and
game) a run with --rounds up to 29 passes once a minute. For more rounds or
repeated runs, either pass --users K (rounds are spread over K users) or
start the server with e.g.

    SCORE_RATE=100000/m REGISTER_RATE=1000/m LOGIN_RATE=1000/m

A refused request (429) stops the bench with an explanation. The game must
be active and have room for the bench's values (seed_demo's `space-race`
does). The client needs one file descriptor per socket: the bench raises its
own RLIMIT_NOFILE to the hard limit; the server needs the same (`ulimit -n`).

Usage:
    .venv/bin/python bench/ws_broadcast.py [--sockets 1000] [--url http://127.0.0.1:8000]
        [--game space-race] [--rounds 20] [--json out.json]

Exit status: 0 when every check passed, 1 when a check failed (lost or late
messages, wrong counts), 2 when the bench could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import math
import platform
import resource
import secrets
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import websockets
from websockets.asyncio.client import ClientConnection, connect


class BenchError(Exception):
    """The bench cannot go on (server unreachable, refused, misconfigured)."""


# --- REST -----------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str]

    @property
    def data(self) -> Any:
        return self.body.get("data") if isinstance(self.body, dict) else None

    def describe(self) -> str:
        error = self.body.get("error") if isinstance(self.body, dict) else None
        if isinstance(error, dict):
            return f"{self.status} {error.get('code')}: {error.get('message')} {error.get('details') or ''}".strip()
        return f"{self.status}: {str(self.body)[:300]}"


class Api:
    """Blocking JSON client over http.client, one kept-alive connection per
    thread (call it through asyncio.to_thread)."""

    def __init__(self, base_url: str, timeout: float):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BenchError(f"--url must be http(s)://host[:port], not {base_url!r}")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self._local = threading.local()

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}{self.prefix}"

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return conn, True
        kind = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        conn = self._local.conn = kind(self.host, self.port, timeout=self.timeout)
        return conn, False

    def request(self, method: str, path: str, body: Any = None, token: str | None = None) -> Response:
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        while True:
            conn, reused = self._connection()
            try:
                conn.request(method, self.prefix + path, body=data, headers=headers)
                reply = conn.getresponse()
                raw = reply.read()
                break
            except (http.client.HTTPException, OSError) as exc:
                conn.close()
                self._local.conn = None
                # A kept-alive connection the server had closed: the request
                # never reached it, so one retry on a new connection is safe.
                if not reused:
                    raise BenchError(f"{method} {self.origin}{path} failed: {exc!r} (is the server running?)") from exc
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw[:300].decode(errors="replace")
        return Response(reply.status, payload, {name.lower(): value for name, value in reply.getheaders()})


def refuse_429(response: Response, what: str) -> None:
    if response.status == 429:
        retry = response.headers.get("retry-after", "?")
        raise BenchError(
            f"{what} was rate limited (429, Retry-After {retry} s). Wait, use --users to spread scores over more "
            "users, or start the server with SCORE_RATE=100000/m REGISTER_RATE=1000/m LOGIN_RATE=1000/m."
        )


@dataclass
class BenchUser:
    id: int
    username: str
    token: str
    submissions: int = 0


def sign_in(api: Api, run_id: str, index: int) -> BenchUser:
    username = f"bench-{run_id}-{index}"
    password = secrets.token_urlsafe(24)
    registered = api.request(
        "POST",
        "/api/v1/auth/register/",
        {"email": f"{username}@bench.example.com", "username": username, "password": password},
    )
    refuse_429(registered, "Registration (REGISTER_RATE, per IP)")
    if registered.status != 201:
        raise BenchError(f"registering {username} failed: {registered.describe()}")
    login = api.request("POST", "/api/v1/auth/login/", {"username": username, "password": password})
    refuse_429(login, "Login (LOGIN_RATE, per IP)")
    if login.status != 200 or not login.data or "access" not in login.data:
        raise BenchError(f"login of {username} failed: {login.describe()}")
    return BenchUser(id=login.data["user"]["id"], username=username, token=login.data["access"])


def game_detail(api: Api, slug: str) -> dict:
    response = api.request("GET", f"/api/v1/games/{quote(slug)}/")
    if response.status != 200:
        raise BenchError(f"GET /api/v1/games/{slug}/ answered {response.describe()}")
    return response.data


# --- Sockets ----------------------------------------------------------------------------


@dataclass
class CountSeen:
    at: float
    players: int
    connections: int


class Recorder:
    """What every socket received, timestamped on arrival."""

    def __init__(self):
        # score id -> {socket index: arrival time}
        self.scores: dict[int, dict[int, float]] = {}
        self.duplicates = 0
        self.waiting: dict[int, tuple[int, asyncio.Event]] = {}
        self.last_count_at = 0.0
        self.bad_messages: list[str] = []

    def score(self, index: int, at: float, message: dict) -> None:
        try:
            score_id = int(message["score"]["id"])
        except (KeyError, TypeError, ValueError):
            self.bad_messages.append(f"score message without score.id: {str(message)[:200]}")
            return
        arrivals = self.scores.setdefault(score_id, {})
        if index in arrivals:
            self.duplicates += 1
            return
        arrivals[index] = at
        waiter = self.waiting.get(score_id)
        if waiter and len(arrivals) >= waiter[0]:
            waiter[1].set()

    async def wait_score(self, score_id: int, sockets: int, timeout: float) -> bool:
        if len(self.scores.get(score_id, {})) >= sockets:
            return True
        event = asyncio.Event()
        self.waiting[score_id] = (sockets, event)
        try:
            await asyncio.wait_for(event.wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            del self.waiting[score_id]

    async def quiet(self, seconds: float = 0.5, limit: float = 10.0) -> None:
        """Wait until no player_count has arrived for `seconds` (at most `limit`)."""
        started = time.perf_counter()
        deadline = started + limit
        while time.perf_counter() < deadline and time.perf_counter() - max(started, self.last_count_at) < seconds:
            await asyncio.sleep(0.05)


class Watcher:
    """One socket to the game, read by its own task."""

    def __init__(self, index: int, url: str, recorder: Recorder, keep_counts: bool = False):
        self.index = index
        self.url = url
        self.recorder = recorder
        self.keep_counts = keep_counts
        self.ws: ClientConnection | None = None
        self.task: asyncio.Task | None = None
        self.snapshot: dict | None = None
        self.snapshot_at = 0.0
        self.got_snapshot = asyncio.Event()
        self.received: Counter[str] = Counter()  # every message but the first snapshot
        self.before_snapshot: Counter[str] = Counter()  # messages that came before the snapshot
        self.latest: tuple[int, int] | None = None  # (players, connections), snapshot or player_count
        self.counts: list[CountSeen] = []  # player_count messages, when keep_counts
        self.close_code: int | None = None

    async def open(self, *, compression: str | None, open_timeout: float, snapshot_timeout: float) -> Watcher:
        self.ws = await connect(
            self.url,
            compression=compression,
            open_timeout=open_timeout,
            ping_interval=None,
            close_timeout=10,
            max_size=2**20,
            max_queue=None,
            proxy=None,
        )
        self.task = asyncio.get_running_loop().create_task(self._read())
        try:
            await asyncio.wait_for(self.got_snapshot.wait(), snapshot_timeout)
        except TimeoutError:
            raise BenchError(f"socket {self.index}: no snapshot within {snapshot_timeout} s") from None
        if self.snapshot is None:
            raise BenchError(f"socket {self.index}: closed with code {self.close_code} before its snapshot")
        return self

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for raw in self.ws:
                at = time.perf_counter()
                try:
                    message = json.loads(raw)
                    kind = message["type"]
                except (ValueError, KeyError, TypeError):
                    self.recorder.bad_messages.append(f"socket {self.index}: not a typed JSON message: {raw[:200]!r}")
                    continue
                if kind == "snapshot" and self.snapshot is None:
                    self.snapshot, self.snapshot_at = message, at
                    self.latest = (message["players"], message["connections"])
                    self.got_snapshot.set()
                    continue
                self.received[kind] += 1
                if self.snapshot is None:
                    self.before_snapshot[kind] += 1
                if kind == "score":
                    self.recorder.score(self.index, at, message)
                elif kind == "player_count":
                    self.latest = (message["players"], message["connections"])
                    self.recorder.last_count_at = at
                    if self.keep_counts:
                        self.counts.append(CountSeen(at, message["players"], message["connections"]))
                elif kind == "error":
                    self.recorder.bad_messages.append(f"socket {self.index}: error message {raw[:200]!r}")
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code
            self.got_snapshot.set()

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        if self.task is not None:
            with contextlib.suppress(Exception):
                await self.task


def socket_url(api: Api, slug: str, token: str | None = None) -> str:
    scheme = "wss" if api.scheme == "https" else "ws"
    url = f"{scheme}://{api.host}:{api.port}{api.prefix}/ws/games/{quote(slug)}/"
    return f"{url}?token={quote(token)}" if token else url


async def open_many(watchers: list[Watcher], concurrency: int | None, **options) -> list[BaseException]:
    """Open every watcher (each until its snapshot); returns the failures."""
    limit = asyncio.Semaphore(concurrency) if concurrency else None

    async def one(watcher: Watcher) -> None:
        if limit is None:
            await watcher.open(**options)
            return
        async with limit:
            await watcher.open(**options)

    results = await asyncio.gather(*(one(watcher) for watcher in watchers), return_exceptions=True)
    return [result for result in results if isinstance(result, BaseException)]


async def close_many(watchers: list[Watcher], concurrency: int | None = None) -> None:
    limit = asyncio.Semaphore(concurrency) if concurrency else None

    async def one(watcher: Watcher) -> None:
        if limit is None:
            await watcher.close()
            return
        async with limit:
            await watcher.close()

    await asyncio.gather(*(one(watcher) for watcher in watchers))


def summarize_failures(failures: list[BaseException]) -> str:
    kinds = Counter(f"{type(failure).__name__}: {str(failure)[:120]}" for failure in failures)
    return "; ".join(f"{count}x {text}" for text, count in kinds.most_common(5))


# --- Numbers and tables ---------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (with 20 rounds, p99 is the maximum)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def spread(values: list[float]) -> dict[str, float | None]:
    return {
        "p50": percentile(values, 50),
        "p99": percentile(values, 99),
        "max": max(values) if values else None,
        "mean": sum(values) / len(values) if values else None,
    }


def fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def table(title: str, headers: list[str], rows: list[list[Any]]) -> str:
    cells = [headers] + [[fmt(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row))

    rule = "-" * len(line(cells[0]))
    return "\n".join([title, rule, line(cells[0]), rule, *(line(row) for row in cells[1:]), rule])


def ms(seconds: float) -> float:
    return seconds * 1000


# --- Baseline -------------------------------------------------------------------------------


async def observe_counts(api: Api, slug: str, recorder: Recorder, options: dict) -> dict:
    """Players from REST, and players/connections from a fresh anonymous
    socket's snapshot (minus the socket itself)."""
    detail = await asyncio.to_thread(game_detail, api, slug)
    probe = Watcher(-1, socket_url(api, slug), recorder)
    try:
        await probe.open(**options)
        snapshot = probe.snapshot or {}
    finally:
        await probe.close()
    return {
        "rest_players": detail.get("playerCount"),
        "players": snapshot.get("players"),
        "connections": snapshot.get("connections", 1) - 1,
    }


async def wait_for_baseline(api: Api, slug: str, baseline: dict, recorder: Recorder, options: dict, limit: float):
    """Poll until REST and a fresh socket show the baseline again; returns
    (counts last seen, seconds taken, matched)."""
    started = time.perf_counter()
    while True:
        seen = await observe_counts(api, slug, recorder, options)
        matched = (
            seen["rest_players"] == baseline["rest_players"]
            and seen["players"] == baseline["players"]
            and seen["connections"] == baseline["connections"]
        )
        taken = time.perf_counter() - started
        if matched or taken > limit:
            return seen, taken, matched
        await asyncio.sleep(0.25)


# --- Scenario 1: broadcast latency ----------------------------------------------------------


def score_values(game: dict, total: int, mode: str) -> list[int]:
    """`improve`: every submission beats the last (each is a personal best, so
    it also reshapes the top 10 and sends a `leaderboard` message).
    `same`: the worst legal value every time (after the first, no top-10 change)."""
    low, high = game.get("minScore"), game.get("maxScore")
    descending = game.get("scoreOrder", "desc") == "desc"
    if mode == "same":
        worst_descending = low if low is not None else 0
        worst_ascending = high if high is not None else max(low or 0, 10**9)
        return [worst_descending if descending else worst_ascending] * total
    if descending:
        top = high if high is not None else 10**12
        values = [top - total + 1 + i for i in range(total)]
    else:
        bottom = low if low is not None else -(10**12)
        values = [bottom + total - 1 - i for i in range(total)]
    if (low is not None and min(values) < low) or (high is not None and max(values) > high):
        raise BenchError(f"the game's bounds [{low}, {high}] leave no room for {total} improving values")
    return values


async def broadcast_latency(api: Api, args, users: list[BenchUser], game: dict, options: dict) -> dict:
    slug = game["slug"]
    recorder = Recorder()
    watchers = [Watcher(i, socket_url(api, slug), recorder) for i in range(args.sockets)]
    print(f"[1] opening {args.sockets} sockets, {args.open_concurrency} at a time...", flush=True)
    started = time.perf_counter()
    failures = await open_many(watchers, args.open_concurrency, **options)
    open_seconds = time.perf_counter() - started
    if failures:
        await close_many(watchers, args.open_concurrency)
        raise BenchError(f"{len(failures)} of {args.sockets} sockets did not open: {summarize_failures(failures)}")
    await recorder.quiet()
    counts_during_open = sum(w.received["player_count"] for w in watchers)
    last_counts = Counter(w.latest for w in watchers)

    total = args.rounds + 1  # one warm-up submission
    values = score_values(game, total, args.values)
    rounds: list[dict] = []
    print(f"[1] all snapshots in after {open_seconds:.2f} s; {args.rounds} rounds (+1 warm-up)...", flush=True)
    for number in range(total):
        user = users[number % len(users)]
        before = {w.index: Counter(w.received) for w in watchers}
        sent = time.perf_counter()
        response = await asyncio.to_thread(
            api.request,
            "POST",
            f"/api/v1/games/{quote(slug)}/scores/",
            {"value": values[number], "metadata": {"bench": "ws_broadcast", "round": number}},
            user.token,
        )
        answered = time.perf_counter()
        refuse_429(response, f"Score submission {number} by {user.username} (SCORE_RATE, per user and game)")
        if response.status != 201:
            raise BenchError(f"POST score failed: {response.describe()}")
        user.submissions += 1
        score_id = int(response.data["score"]["id"])
        complete = await recorder.wait_score(score_id, len(watchers), args.timeout)
        arrivals = recorder.scores.pop(score_id, {})
        await asyncio.sleep(args.pause)  # let the round's other messages (leaderboard) land
        if number == 0:
            continue
        latencies = [ms(at - sent) for at in arrivals.values()]
        others = Counter()
        for w in watchers:
            others.update(w.received - before[w.index])
        others.pop("score", None)
        rounds.append(
            {
                "round": number,
                "user": user.username,
                "value": values[number],
                "scoreId": score_id,
                "rank": response.data.get("rank"),
                "postMs": ms(answered - sent),
                "firstMs": min(latencies) if latencies else None,
                "allMs": max(latencies) if complete else None,
                "fanOutMs": (max(latencies) - min(latencies)) if latencies else None,
                "afterPostMs": max(0.0, max(latencies) - ms(answered - sent)) if latencies else None,
                "delivered": len(arrivals),
                "missing": len(watchers) - len(arrivals),
                "otherMessages": dict(others),
                "deliveries": latencies,
            }
        )
    await close_many(watchers, args.open_concurrency)

    every = [r["allMs"] for r in rounds if r["allMs"] is not None]
    deliveries = [lat for r in rounds for lat in r["deliveries"]]
    result = {
        "sockets": len(watchers),
        "openSeconds": open_seconds,
        "openConcurrency": args.open_concurrency,
        "playerCountMessagesFromOpening": counts_during_open,
        "countsAfterOpening": {f"{p}/{c}": n for (p, c), n in last_counts.items()},
        "rounds": rounds,
        "incompleteRounds": sum(1 for r in rounds if r["missing"]),
        "lostDeliveries": sum(r["missing"] for r in rounds),
        "duplicateDeliveries": recorder.duplicates,
        "badMessages": recorder.bad_messages[:20],
        "everySocketMs": spread(every),
        "deliveryMs": spread(deliveries),
        "firstMs": spread([r["firstMs"] for r in rounds if r["firstMs"] is not None]),
        "fanOutMs": spread([r["fanOutMs"] for r in rounds if r["fanOutMs"] is not None]),
        "postMs": spread([r["postMs"] for r in rounds]),
    }
    for r in rounds:
        del r["deliveries"]
    return result


def print_broadcast(result: dict, args) -> None:
    print()
    print(
        table(
            f"Scenario 1 - score broadcast to {result['sockets']} sockets, {len(result['rounds'])} rounds "
            f"(ms, from just before the POST is sent)",
            ["measure", "p50", "p99", "max", "mean"],
            [
                [label, stats["p50"], stats["p99"], stats["max"], stats["mean"]]
                for label, stats in (
                    ("every socket has it (per round)", result["everySocketMs"]),
                    ("single delivery (all sockets)", result["deliveryMs"]),
                    ("first socket has it (per round)", result["firstMs"]),
                    ("fan-out: last - first delivery", result["fanOutMs"]),
                    ("POST round trip", result["postMs"]),
                )
            ],
        )
    )
    print(
        f"opened {result['sockets']} sockets ({result['openConcurrency']} at a time) in {result['openSeconds']:.2f} s; "
        f"player_count messages from opening (all sockets): {result['playerCountMessagesFromOpening']}; "
        f"lost deliveries: {result['lostDeliveries']} in {result['incompleteRounds']} rounds; "
        f"duplicates: {result['duplicateDeliveries']}"
    )
    if not args.no_rounds_table:
        print()
        print(
            table(
                "Per round (ms)",
                ["round", "POST", "first", "every", "fan-out", "after POST", "delivered", "other messages"],
                [
                    [
                        r["round"],
                        r["postMs"],
                        r["firstMs"],
                        r["allMs"],
                        r["fanOutMs"],
                        r["afterPostMs"],
                        r["delivered"],
                        " ".join(f"{k}={v}" for k, v in sorted(r["otherMessages"].items())) or "-",
                    ]
                    for r in result["rounds"]
                ],
            )
        )


# --- Scenario 2: join burst -----------------------------------------------------------------


async def join_burst(api: Api, args, users: list[BenchUser], game: dict, baseline: dict, options: dict) -> dict:
    slug = game["slug"]
    recorder = Recorder()
    observer = Watcher(0, socket_url(api, slug, users[0].token), recorder, keep_counts=True)
    await observer.open(**options)
    observer_snapshot = dict(observer.snapshot or {})
    await recorder.quiet()
    observer.counts.clear()

    signed: list[str | None] = []
    for i in range(args.sockets):
        signed_in = args.signed_every and i % args.signed_every == 0
        signed.append(users[(i // args.signed_every) % len(users)].token if signed_in else None)
    burst = [Watcher(i + 1, socket_url(api, slug, token), recorder) for i, token in enumerate(signed)]
    distinct_users = {users[0].username} | {
        users[(i // args.signed_every) % len(users)].username for i, token in enumerate(signed) if token
    }

    print(
        f"[2] observer in (counts {observer_snapshot.get('players')}/{observer_snapshot.get('connections')}); "
        f"{args.sockets} sockets connecting at once...",
        flush=True,
    )
    started = time.perf_counter()
    failures = await open_many(burst, None, **options)
    all_open = time.perf_counter() - started
    opened = [w for w in burst if w.snapshot is not None]
    target_connections = baseline["connections"] + 1 + len(opened)
    target_players = baseline["players"] + len(distinct_users)

    deadline = started + args.burst_deadline
    final_seen_at = None
    while time.perf_counter() < deadline:
        hit = next((c for c in observer.counts if c.connections == target_connections), None)
        if hit is not None:
            final_seen_at = hit.at
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(args.listen)
    listened = time.perf_counter() - started

    everyone = [observer, *opened]
    received = Counter()
    for w in everyone:
        received.update(w.received)
    last = observer.counts[-1] if observer.counts else None
    exact_sockets = sum(1 for w in everyone if w.latest == (target_players, target_connections))
    stale = [w for w in everyone if w.latest != (target_players, target_connections)]
    early = Counter()
    for w in everyone:
        early.update(w.before_snapshot)
    n = len(opened)
    result = {
        "sockets": args.sockets,
        "opened": n,
        "openFailures": len(failures),
        "openFailureKinds": summarize_failures(failures) if failures else "",
        "signedInSockets": 1 + sum(1 for token in signed if token),
        "distinctUsers": len(distinct_users),
        "allSnapshotsSeconds": all_open,
        "listenedSeconds": listened,
        "observerPlayerCounts": len(observer.counts),
        "observerCountsSeen": [[c.players, c.connections, round(ms(c.at - started), 1)] for c in observer.counts],
        "messagesBesidesSnapshot": sum(received.values()),
        "messagesByType": dict(received),
        "naiveNSquared": n * n,
        "expected": {"players": target_players, "connections": target_connections},
        "finalSeen": {"players": last.players, "connections": last.connections} if last else None,
        "finalSeenSeconds": (final_seen_at - started) if final_seen_at else None,
        "connectionsExact": bool(last and last.connections == target_connections),
        "playersExact": bool(last and last.players == target_players),
        "socketsEndingExact": exact_sockets,
        "socketsWithMessagesBeforeSnapshot": sum(1 for w in everyone if w.before_snapshot),
        "messagesBeforeSnapshot": dict(early),
        "staleSocketsLastCounts": dict(Counter(f"{w.latest[0]}/{w.latest[1]}" for w in stale)),
        "badMessages": recorder.bad_messages[:20],
    }

    started_close = time.perf_counter()
    await close_many([observer, *burst])
    result["closeSeconds"] = time.perf_counter() - started_close
    seen, taken, matched = await wait_for_baseline(api, slug, baseline, Recorder(), options, args.burst_deadline)
    result["afterClose"] = {"seen": seen, "seconds": taken, "backToBaseline": matched}
    return result


def print_burst(result: dict, baseline: dict) -> None:
    expected, final = result["expected"], result["finalSeen"] or {}
    after = result["afterClose"]
    n = result["opened"]
    rows = [
        ["sockets opened at once (+1 observer)", f"{n} of {result['sockets']}"],
        ["signed-in sockets / distinct users", f"{result['signedInSockets']} / {result['distinctUsers']}"],
        ["all burst snapshots received after", f"{result['allSnapshotsSeconds']:.2f} s"],
        ["final count first seen by observer after", fmt_seconds(result["finalSeenSeconds"])],
        ["player_count messages to the observer", result["observerPlayerCounts"]],
        [f"messages to all {n + 1} sockets besides snapshot", result["messagesBesidesSnapshot"]],
        ["  by type", " ".join(f"{k}={v}" for k, v in sorted(result["messagesByType"].items())) or "-"],
        ["  naive per-join broadcasts (N^2)", result["naiveNSquared"]],
        [
            "final count (players/connections)",
            f"{final.get('players')}/{final.get('connections')} "
            f"(expected {expected['players']}/{expected['connections']})",
        ],
        ["connections exact", result["connectionsExact"]],
        ["players exact", result["playersExact"]],
        ["sockets whose last count is exact", f"{result['socketsEndingExact']} of {n + 1}"],
        [
            "sockets sent messages before their snapshot",
            f"{result['socketsWithMessagesBeforeSnapshot']} "
            f"({' '.join(f'{k}={v}' for k, v in sorted(result['messagesBeforeSnapshot'].items())) or '-'})",
        ],
        ["closing all sockets took", f"{result['closeSeconds']:.2f} s"],
        [
            "after close: REST playerCount / socket players / connections",
            f"{after['seen']['rest_players']}/{after['seen']['players']}/{after['seen']['connections']} "
            f"(baseline {baseline['rest_players']}/{baseline['players']}/{baseline['connections']})",
        ],
        ["back to baseline", after["backToBaseline"]],
        ["  after", f"{after['seconds']:.2f} s"],
    ]
    print()
    print(table(f"Scenario 2 - join burst of {result['sockets']} sockets", ["measure", "value"], rows))
    if result["openFailures"]:
        print(f"open failures: {result['openFailures']}: {result['openFailureKinds']}")


def fmt_seconds(value: float | None) -> str:
    return "not within the deadline" if value is None else f"{value:.2f} s"


# --- Main -----------------------------------------------------------------------------------


def raise_file_limit(needed: int) -> tuple[int, int]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard and (hard == resource.RLIM_INFINITY or soft < hard):
        target = hard if hard != resource.RLIM_INFINITY else max(soft, needed)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        print(f"warning: open-file limit {soft} is below the ~{needed} this run needs", file=sys.stderr)
    return soft, hard


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=1000, help="sockets per scenario (default 1000)")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="server base URL")
    parser.add_argument("--game", default="space-race", help="game slug (default space-race)")
    parser.add_argument("--rounds", type=int, default=20, help="measured score rounds (default 20)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--users", type=int, default=1, help="bench users to register; rounds rotate over them")
    parser.add_argument("--values", choices=["improve", "same"], default="improve", help="score values (see code)")
    parser.add_argument("--open-concurrency", type=int, default=100, help="scenario 1 sockets opening at once")
    parser.add_argument("--signed-every", type=int, default=10, help="scenario 2: every Nth socket signs in (0: none)")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for a round's deliveries")
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between rounds")
    parser.add_argument("--burst-deadline", type=float, default=30.0, help="seconds to wait for final counts")
    parser.add_argument("--listen", type=float, default=1.0, help="seconds to keep listening after the final count")
    parser.add_argument("--no-compression", action="store_true", help="do not offer permessage-deflate")
    parser.add_argument("--only", choices=["broadcast", "burst"], help="run one scenario")
    parser.add_argument("--no-rounds-table", action="store_true", help="do not print the per-round table")
    args = parser.parse_args(argv)
    if args.sockets < 1 or args.rounds < 1 or args.users < 1 or args.open_concurrency < 1 or args.signed_every < 0:
        parser.error("--sockets, --rounds, --users and --open-concurrency must be positive")
    return args


async def run(args: argparse.Namespace) -> dict:
    api = Api(args.url, timeout=30)
    options = {
        "compression": None if args.no_compression else "deflate",
        "open_timeout": 30.0,
        "snapshot_timeout": 30.0,
    }
    game = await asyncio.to_thread(game_detail, api, args.game)
    if not game.get("isActive", True):
        raise BenchError(f"game {args.game!r} is not active: it accepts no scores")
    run_id = secrets.token_hex(4)
    users = [await asyncio.to_thread(sign_in, api, run_id, i) for i in range(args.users)]
    per_user = math.ceil((args.rounds + 1) / len(users))
    if per_user > 30:
        print(
            f"note: {per_user} scores per user; the server's SCORE_RATE must allow that (default 30/m)",
            file=sys.stderr,
        )
    baseline = await observe_counts(api, args.game, Recorder(), options)
    print(
        f"server {api.origin}, game {args.game}, baseline players {baseline['players']} "
        f"(REST {baseline['rest_players']}), connections {baseline['connections']}",
        flush=True,
    )
    results: dict[str, Any] = {
        "config": {
            "url": api.origin,
            "game": args.game,
            "sockets": args.sockets,
            "rounds": args.rounds,
            "users": [user.username for user in users],
            "values": args.values,
            "compression": options["compression"],
            "openConcurrency": args.open_concurrency,
            "signedEvery": args.signed_every,
            "client": f"Python {platform.python_version()}, websockets {websockets.__version__}",
            "startedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
        "baseline": baseline,
    }
    if args.only in (None, "broadcast"):
        results["broadcast"] = await broadcast_latency(api, args, users, game, options)
        print_broadcast(results["broadcast"], args)
        seen, taken, matched = await wait_for_baseline(api, args.game, baseline, Recorder(), options, 30)
        results["afterBroadcast"] = {"seen": seen, "seconds": taken, "backToBaseline": matched}
        if not matched:
            print(f"counts did not return to the baseline after scenario 1: {seen} (baseline {baseline})")
    if args.only in (None, "burst"):
        results["burst"] = await join_burst(api, args, users, game, baseline, options)
        print_burst(results["burst"], baseline)
    results["passed"] = checks_passed(results)
    return results


def checks_passed(results: dict) -> bool:
    ok = True
    if "broadcast" in results:
        b = results["broadcast"]
        ok &= not b["lostDeliveries"] and not b["duplicateDeliveries"] and not b["badMessages"]
        ok &= results["afterBroadcast"]["backToBaseline"]
    if "burst" in results:
        j = results["burst"]
        ok &= j["connectionsExact"] and j["playersExact"] and not j["openFailures"] and not j["badMessages"]
        ok &= j["socketsEndingExact"] == j["opened"] + 1 and j["afterClose"]["backToBaseline"]
    return bool(ok)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    raise_file_limit(args.sockets + 200)
    try:
        results = asyncio.run(run(args))
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)
            out.write("\n")
        print(f"\nresults written to {args.json}")
    print("\nall checks passed" if results["passed"] else "\nSOME CHECKS FAILED (see above)")
    return 0 if results["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
