"""Live player counts (CONTRACT §7 `player_count`, and `playerCount` in §4)."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from realtime.hub import get_hub
from realtime.presence import async_presence, socket_slot
from tests.conftest import CommittingAPIClient
from tests.factories import GameFactory, UserFactory
from tests.realtime.conftest import open_socket, watch

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def game(db):
    return GameFactory(slug="arena")


@sync_to_async
def rest(path):
    return CommittingAPIClient().get(path).json()["data"]


def counts(message):
    return message["players"], message["connections"]


async def test_watchers_are_told_when_someone_joins_and_leaves(game):
    watcher, _ = await watch(game)
    user = await sync_to_async(UserFactory)()

    player, _ = await watch(game, user=user)
    joined = await watcher.receive_type("player_count", where=lambda m: m["connections"] == 2)
    await player.close()
    left = await watcher.receive_type("player_count", where=lambda m: m["connections"] == 1)

    assert joined == {"type": "player_count", "game": "arena", "players": 1, "connections": 2}
    assert counts(left) == (0, 1)
    await watcher.close()


async def test_the_rest_game_resource_reads_the_same_numbers(game):
    user = await sync_to_async(UserFactory)()
    sockets = [(await watch(game, user=user))[0] for _ in range(2)]
    sockets.append((await watch(game))[0])

    data = await rest("/api/v1/games/arena/")

    assert data["playerCount"] == 1
    for socket in sockets:
        await socket.close()
    assert (await rest("/api/v1/games/arena/"))["playerCount"] == 0


async def test_the_games_list_sorts_by_live_player_count(game):
    busy = await sync_to_async(GameFactory)(slug="busy")
    users = await sync_to_async(UserFactory.create_batch)(2)
    sockets = [(await watch(busy, user=user))[0] for user in users]
    sockets.append((await watch(game, user=users[0]))[0])

    listed = await rest("/api/v1/games/?sort=-playerCount")

    assert [(entry["slug"], entry["playerCount"]) for entry in listed] == [("busy", 2), ("arena", 1)]
    for socket in sockets:
        await socket.close()


async def test_a_burst_of_joins_is_announced_in_a_few_messages_ending_with_the_exact_count(game):
    watcher, _ = await watch(game)
    users = await sync_to_async(UserFactory.create_batch)(5)

    burst = await asyncio.gather(*(watch(game, user=users[n % 5]) for n in range(30)))
    final = await watcher.receive_type("player_count", where=lambda m: m["connections"] == 31, timeout=10)
    extra = await watcher.drain()

    announced = 1 + sum(message["type"] == "player_count" for message in extra)
    assert counts(final) == (5, 31)
    assert all(counts(message) == (5, 31) for message in extra if message["type"] == "player_count")
    assert announced <= 3  # coalesced: not one message per join
    for socket, _snapshot in burst:
        await socket.close()
    await watcher.close()


async def test_every_socket_of_a_burst_ends_with_the_final_count(game):
    burst = await asyncio.gather(*(watch(game) for _ in range(20)))

    async def last_count(socket, snapshot):
        counts = [snapshot, *(message for message in await socket.drain() if message["type"] == "player_count")]
        return counts[-1]["connections"]

    assert await asyncio.gather(*(last_count(socket, snapshot) for socket, snapshot in burst)) == [20] * 20
    for socket, _ in burst:
        await socket.close()


async def test_a_socket_whose_process_died_stops_counting_after_its_ttl(game, settings):
    settings.PRESENCE_TTL_SECONDS = 0.6  # heartbeat every 0.2 s
    watcher, _ = await watch(game)
    # Another server process counted a socket in, then died: it never
    # refreshes it, and never says goodbye.
    slot = socket_slot(user_id=999_999, address="10.0.0.9", game_id=game.pk)
    await async_presence().join(game.pk, "socket-of-a-killed-process", 999_999, slot)
    assert counts(await watcher.receive_type("player_count", where=lambda m: m["connections"] == 2)) == (1, 2)

    expired = await watcher.receive_type("player_count", where=lambda m: m["connections"] == 1, timeout=5)

    assert counts(expired) == (0, 1)
    assert (await rest("/api/v1/games/arena/"))["playerCount"] == 0
    await watcher.close()


@pytest.mark.redis
async def test_a_rest_count_remembered_by_a_process_is_not_kept_past_a_connections_expiry(game, settings):
    # Each process remembers a game's counts until Redis says they changed
    # or one of its connections reaches its expiry. Here nobody sweeps: no
    # hub runs in this process, and the socket's own process died; the
    # count must still drop once the socket's TTL is over.
    settings.PRESENCE_TTL_SECONDS = 0.5
    slot = socket_slot(user_id=999_999, address="10.0.0.9", game_id=game.pk)
    await async_presence().join(game.pk, "socket-of-a-killed-process", 999_999, slot)
    assert (await rest("/api/v1/games/arena/"))["playerCount"] == 1  # remembered now

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while (await rest("/api/v1/games/arena/"))["playerCount"] == 1 and loop.time() < deadline:
        await asyncio.sleep(0.05)

    assert (await rest("/api/v1/games/arena/"))["playerCount"] == 0


async def test_live_sockets_do_not_expire_while_their_process_lives(game, settings):
    settings.PRESENCE_TTL_SECONDS = 0.6
    user = await sync_to_async(UserFactory)()
    watcher, _ = await watch(game, user=user)

    heard = await watcher.drain(quiet=1.5)  # over two TTLs: refreshed, never gone

    assert all(counts(message) == (1, 1) for message in heard)
    assert (await rest("/api/v1/games/arena/"))["playerCount"] == 1
    await watcher.close()


async def test_the_lobby_shows_every_games_count_and_counts_nowhere(game):
    other = await sync_to_async(GameFactory)(slug="other")
    user = await sync_to_async(UserFactory)()
    player, _ = await watch(other, user=user)
    connected, lobby = await open_socket("/ws/lobby/")
    assert connected

    snapshot = await lobby.receive_type("lobby")
    watcher, _ = await watch(game)
    update = await lobby.receive_type("player_count", where=lambda m: m["game"] == "arena")

    assert {entry["game"]: (entry["players"], entry["connections"]) for entry in snapshot["games"]} == {
        "arena": (0, 0),
        "other": (1, 1),
    }
    assert counts(update) == (0, 1)
    assert (await rest("/api/v1/games/other/"))["playerCount"] == 1
    for socket in (player, watcher, lobby):
        await socket.close()


async def test_a_process_that_stalled_past_the_ttl_counts_its_open_sockets_in_again(game):
    user = await sync_to_async(UserFactory)()
    socket, _ = await watch(game, user=user)
    hub = get_hub()
    # Other processes swept this one's socket while it was stalled.
    ((connection, (_socket, _user, slot)),) = hub.sockets[game.pk].items()
    await async_presence().leave(game.pk, connection, slot)
    assert (await rest("/api/v1/games/arena/"))["playerCount"] == 0

    await hub.heartbeat()

    assert (await rest("/api/v1/games/arena/"))["playerCount"] == 1
    await socket.close()


async def test_a_heartbeat_never_brings_back_a_socket_that_left(game):
    user = await sync_to_async(UserFactory)()
    socket, _ = await watch(game, user=user)
    (connection,) = get_hub().sockets[game.pk]
    await socket.close()

    update = await async_presence().refresh(game.pk, [connection])

    assert update.missing == (connection,)
    assert (update.count.players, update.count.connections) == (0, 0)
