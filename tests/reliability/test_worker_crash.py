"""A server process killed under load (issue 6, fault 3): the other keeps
serving, clients that retry with their Idempotency-Key never create a
duplicate, and presence converges."""

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from accounts.services import issue_tokens
from scores.models import IdempotencyRecord, Score
from tests.e2e.live_servers import call, watching
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


def call_with_key(base: str, *, token: str, key: str, body: dict) -> tuple[int, dict]:
    import json
    import urllib.error
    import urllib.request

    request = urllib.request.Request(  # noqa: S310 - http to 127.0.0.1
        f"{base}/api/v1/games/arena/scores/",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}", "Idempotency-Key": key},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read() or b"null")
