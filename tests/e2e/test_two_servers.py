"""CONTRACT §7 across real server processes: counts are global over every
process, scores reach sockets on every process, and a socket whose process
died stops counting within the presence TTL."""

import asyncio
import contextlib
from dataclasses import dataclass

import pytest

from accounts.services import issue_tokens
from tests.e2e.live_servers import game_details, submit_score, watching
from tests.factories import GameFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

TTL_SECONDS = 3
HEARTBEAT_SECONDS = TTL_SECONDS / 3
# Messages between processes cross Redis and a 0.25 s coalescing window.
PROMPTLY = 5.0
SCORE_KEYS = {"id", "game", "board", "user", "value", "subscore", "metadata", "createdAt"}


@pytest.fixture
def two_servers(servers):
    return servers.start(2, presence_ttl_seconds=TTL_SECONDS)


@pytest.fixture
def game(transactional_db):
    return GameFactory()


@dataclass(frozen=True)
class Player:
    id: int
    username: str
    token: str


def signed_up(username: str) -> Player:
    """A player and an access token (issued here: async tests may not use the ORM)."""
    user = UserFactory(username=username)
    return Player(id=user.pk, username=username, token=issue_tokens(user=user).access)


@pytest.fixture
def alice(transactional_db):
    return signed_up("alice")


@pytest.fixture
def bob(transactional_db):
    return signed_up("bob")


def counts(players: int, connections: int) -> dict:
    return {"players": players, "connections": connections}


async def test_a_server_announces_the_sockets_that_join_another_server(two_servers, game, alice, bob):
    a, b = two_servers
    path = f"/ws/games/{game.slug}/"

    async with contextlib.AsyncExitStack() as sockets:
        watcher = await sockets.enter_async_context(watching(a.ws_url(path)))
        await watcher.expect("snapshot", within=PROMPTLY, game=game.slug, **counts(0, 1))
        alice_on_b = await sockets.enter_async_context(watching(b.ws_url(path, token=alice.token)))
        await alice_on_b.expect("snapshot", within=PROMPTLY, **counts(1, 2))
        bob_on_b = await sockets.enter_async_context(watching(b.ws_url(path, token=bob.token)))
        await bob_on_b.expect("snapshot", within=PROMPTLY, **counts(2, 3))

        announced = await watcher.expect("player_count", within=PROMPTLY, **counts(2, 3))

    assert announced == {"type": "player_count", "game": game.slug, **counts(2, 3)}


async def test_two_tabs_of_one_player_on_two_servers_count_as_one_player(two_servers, game, alice):
    a, b = two_servers
    path = f"/ws/games/{game.slug}/"

    async with contextlib.AsyncExitStack() as sockets:
        first_tab = await sockets.enter_async_context(watching(a.ws_url(path, token=alice.token)))
        await first_tab.expect("snapshot", within=PROMPTLY, **counts(1, 1))
        second_tab = await sockets.enter_async_context(watching(b.ws_url(path, token=alice.token)))
        second_snapshot = await second_tab.expect("snapshot", within=PROMPTLY)
        await first_tab.expect("player_count", within=PROMPTLY, **counts(1, 2))
        details = await asyncio.to_thread(game_details, a, game.slug)

    assert (second_snapshot["players"], second_snapshot["connections"]) == (1, 2)
    assert details["playerCount"] == 1


async def test_a_score_posted_to_one_server_reaches_a_socket_on_the_other(two_servers, game, alice, bob):
    a, b = two_servers

    async with watching(b.ws_url(f"/ws/games/{game.slug}/", token=bob.token)) as bob_on_b:
        await bob_on_b.expect("snapshot", within=PROMPTLY, leaderboard=[])
        accepted = await asyncio.to_thread(submit_score, a, game.slug, token=alice.token, value=4200)

        scored = await bob_on_b.expect("score", within=PROMPTLY)
        board = await bob_on_b.expect("leaderboard", within=PROMPTLY)

    assert set(scored["score"]) == SCORE_KEYS
    assert scored == {
        "type": "score",
        "game": game.slug,
        "board": "default",
        "score": accepted["score"],
        "rank": 1,
        "personalBest": True,
        "previousBest": None,
    }
    assert board["game"] == game.slug
    assert [(entry["rank"], entry["user"], entry["value"]) for entry in board["leaderboard"]] == [
        (1, {"id": alice.id, "username": "alice"}, 4200)
    ]


async def test_the_sockets_of_a_killed_server_stop_counting_within_the_ttl(two_servers, game, alice, bob):
    a, b = two_servers
    path = f"/ws/games/{game.slug}/"

    async with contextlib.AsyncExitStack() as sockets:
        watcher = await sockets.enter_async_context(watching(a.ws_url(path)))
        await sockets.enter_async_context(watching(a.ws_url(path, token=alice.token)))
        await sockets.enter_async_context(watching(b.ws_url(path, token=alice.token)))
        await sockets.enter_async_context(watching(b.ws_url(path, token=bob.token)))
        await watcher.expect("player_count", within=PROMPTLY, **counts(2, 4))
        assert (await asyncio.to_thread(game_details, a, game.slug))["playerCount"] == 2
        watcher.forget()

        loop = asyncio.get_running_loop()
        killed_at = loop.time()
        b.kill()
        # Expired at most one TTL after B's last refresh, noticed at A's next heartbeat.
        await watcher.expect("player_count", within=TTL_SECONDS + HEARTBEAT_SECONDS + PROMPTLY, **counts(1, 2))
        took = loop.time() - killed_at
        details = await asyncio.to_thread(game_details, a, game.slug)

    assert took <= TTL_SECONDS + HEARTBEAT_SECONDS + 1.5, f"survivors announced {took:.1f} s after the kill"
    assert details["playerCount"] == 1
