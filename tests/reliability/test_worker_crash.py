"""A server process killed under load (issue 6, fault 3): the other keeps
serving, clients that retry with their Idempotency-Key never create a
duplicate, and presence converges. Then the same in the production layout
itself (issue 10): a granian worker or the live uvicorn worker SIGKILLed
under deploy/serve, which must keep answering and start what died again."""

import asyncio
import itertools
import json
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from accounts.services import issue_tokens
from scores.models import IdempotencyRecord, Score
from tests.e2e.live_servers import call, http, watching
from tests.factories import GameFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

TTL_SECONDS = 3
PLAYERS, SUBMISSIONS_EACH = 10, 20


@pytest.mark.fault("One of two servers SIGKILLed under load; clients retry")
def test_retries_after_a_worker_dies_make_no_duplicate_and_lose_nothing(servers, settings, record):
    first, second = servers.start(2, presence_ttl_seconds=TTL_SECONDS)
    game = GameFactory(slug="arena")
    tokens = [issue_tokens(user=user).access for user in UserFactory.create_batch(PLAYERS)]
    killed = threading.Event()
    statuses: list[int] = []
    attempts = 0
    lock = threading.Lock()

    def player(index: int) -> None:
        nonlocal attempts
        for n in range(SUBMISSIONS_EACH):
            key, body = f"p{index}-s{n}", {"value": index * 1000 + n}
            # Half the players are on the server that dies; a client whose
            # server fails retries the same request, same key, on the other.
            targets = [first, second] if index % 2 == 0 else [second]
            for target in targets * 3:
                if target is first and killed.is_set():
                    continue
                try:
                    status, _ = call_with_key(target.url, token=tokens[index], key=key, body=body)
                except OSError:
                    with lock:
                        attempts += 1
                    continue  # connection refused or reset: the server is gone
                with lock:
                    attempts += 1
                    statuses.append(status)
                if status == 201:
                    break
            if index == 0 and n == SUBMISSIONS_EACH // 2:
                first.kill()
                killed.set()

    with ThreadPoolExecutor(max_workers=PLAYERS) as pool:
        list(pool.map(player, range(PLAYERS)))

    keys = IdempotencyRecord.objects.values_list("key", flat=True)
    record.requests = attempts
    record.server_errors = sum(status >= 500 for status in statuses)
    record.scores_lost = PLAYERS * SUBMISSIONS_EACH - Score.objects.filter(game=game).count()
    assert Score.objects.filter(game=game).count() == PLAYERS * SUBMISSIONS_EACH  # none lost, none twice
    assert len(keys) == len(set(keys)) == PLAYERS * SUBMISSIONS_EACH
    assert record.server_errors == 0
    assert call("GET", f"{second.url}/api/v1/games/arena/")[0] == 200


@pytest.mark.fault("Server SIGKILLed with open sockets: presence converges")
def test_the_sockets_of_a_killed_server_stop_counting_on_the_survivor(servers, record):
    first, second = servers.start(2, presence_ttl_seconds=TTL_SECONDS)
    GameFactory(slug="arena")

    async def scenario() -> float:
        async with watching(second.ws_url("/ws/games/arena/")) as survivor:
            await survivor.expect("snapshot", within=10)
            doomed = [await _open(first.ws_url("/ws/games/arena/")) for _ in range(3)]
            await survivor.expect("player_count", within=10, connections=4)
            first.kill()
            killed_at = time.perf_counter()
            await survivor.expect("player_count", within=TTL_SECONDS * 3, connections=1)
            for socket in doomed:
                socket.close()
            return time.perf_counter() - killed_at

    record.recovery_seconds = asyncio.run(scenario())
    record.requests = 4
    assert record.recovery_seconds <= TTL_SECONDS + TTL_SECONDS / 3 + 1.5
    assert call("GET", f"{second.url}/api/v1/games/arena/")[1]["data"]["playerCount"] == 0


async def _open(url: str):
    """A socket left open (its server will die under it)."""
    from websockets.asyncio.client import connect

    socket = await connect(url, open_timeout=10, close_timeout=1)
    await socket.recv()  # the snapshot
    return _Abandoned(socket)


class _Abandoned:
    def __init__(self, socket):
        self.socket = socket

    def close(self) -> None:
        self.socket.transport.abort()


def call_with_key(base: str, *, token: str, key: str, body: dict) -> tuple[int, dict | None]:
    """POST a score with its Idempotency-Key; the body is None when it is not
    Podium's JSON (nginx's own 502 page while a worker dies under it)."""
    answer = http(
        "POST",
        f"{base}/api/v1/games/arena/scores/",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}", "Idempotency-Key": key},
        data=json.dumps(body).encode(),
    )
    try:
        return answer.status, answer.json()
    except ValueError:
        return answer.status, None


# --- In the production layout itself (deploy/serve) ---------------------------------------------------

CLIENTS, LOAD_SECONDS = 16, 6.0


@pytest.mark.fault("A REST worker SIGKILLed under load in deploy/serve; clients retry")
def test_a_rest_worker_killed_in_the_production_layout_leaves_the_service_answering(production_layout, record):
    layout = production_layout(SCORE_RATE="100000/m")
    game = GameFactory(slug="arena")
    tokens = [issue_tokens(user=user).access for user in UserFactory.create_batch(CLIENTS)]
    master, workers = layout.pids(server="granian")
    assert len(workers) == 2
    answered: list[float] = []
    statuses: list[int] = []
    acknowledged: set[str] = set()
    attempts = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + LOAD_SECONDS

    def client(index: int) -> None:
        nonlocal attempts
        n = 0
        while time.monotonic() < stop_at:
            key, body = f"c{index}-s{n}", {"value": index * 10_000 + n}
            for _retry in range(20):  # the same request, same key, until it is answered
                with lock:
                    attempts += 1
                try:
                    status, _ = call_with_key(layout.url, token=tokens[index], key=key, body=body)
                except OSError:
                    continue
                with lock:
                    statuses.append(status)
                    if status == 201:
                        answered.append(time.monotonic())
                        acknowledged.add(key)
                if status == 201:
                    break
            n += 1

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        futures = [pool.submit(client, index) for index in range(CLIENTS)]
        time.sleep(LOAD_SECONDS / 3)  # load is running: now kill a worker
        killed_at = time.monotonic()
        os.kill(workers[0], signal.SIGKILL)
        for future in futures:
            future.result()

    answered.sort()
    gaps = [later - earlier for earlier, later in itertools.pairwise(answered)]
    keys = list(IdempotencyRecord.objects.values_list("key", flat=True))
    record.requests = attempts
    record.server_errors = sum(status >= 500 for status in statuses)
    record.scores_lost = len(acknowledged) - Score.objects.filter(game=game).count()
    record.recovery_seconds = max(gaps)
    record.notes.append(f"{len(acknowledged)} acknowledged; longest gap between answers {max(gaps):.2f} s")
    assert any(moment > killed_at + 1 for moment in answered)  # it went on serving after the kill
    assert max(gaps) <= 1.0
    assert Score.objects.filter(game=game).count() == len(acknowledged)  # none lost, none twice
    assert sorted(keys) == sorted(acknowledged)
    assert layout.pids(server="granian")[0] == master  # the master stayed up…
    assert _eventually(lambda: len(layout.pids(server="granian")[1]) == 2)  # …and respawned the worker


@pytest.mark.fault("The live worker SIGKILLed in deploy/serve: sockets reconnect")
def test_a_live_worker_killed_in_the_production_layout_is_restarted_and_sockets_reconnect(production_layout, record):
    layout = production_layout()
    GameFactory(slug="arena")
    url = layout.ws_url("/ws/games/arena/")

    async def scenario() -> float:
        async with watching(url) as inbox:
            await inbox.expect("snapshot", within=10)
            _main, (worker,) = layout.pids(server="uvicorn")
            os.kill(worker, signal.SIGKILL)
            killed_at = time.perf_counter()
            with pytest.raises(AssertionError, match="socket closed"):
                await inbox.expect("snapshot", within=10)
        assert http("GET", f"{layout.url}/api/v1/games/arena/").status == 200  # HTTP never noticed
        while True:  # a client reconnecting with backoff, as the live page does
            try:
                async with watching(url, within=2) as inbox:
                    await inbox.expect("snapshot", within=5)
                    return time.perf_counter() - killed_at
            except Exception:
                await asyncio.sleep(0.2)
                if time.perf_counter() - killed_at > 30:
                    raise

    record.recovery_seconds = asyncio.run(scenario())
    record.requests = 3
    assert "live exited" in layout.log_text()


def _eventually(check, within: float = 15.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)  # polling another process's state
    return False
