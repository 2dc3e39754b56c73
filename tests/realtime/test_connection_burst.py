"""A burst of simultaneous connects: every socket gets its snapshot (no pool
exhaustion in the channel layer or presence) and the counts end exact."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from tests.conftest import CommittingAPIClient
from tests.factories import GameFactory
from tests.realtime.conftest import watch

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_hundred_simultaneous_connects_all_get_their_snapshot_and_exact_counts(settings):
    # Every socket of this test comes from one client address: above the default cap.
    settings.WS_MAX_PER_ADDRESS = 200
    game = await sync_to_async(GameFactory)(slug="arena")

    burst = await asyncio.gather(*(watch(game) for _ in range(100)))

    assert all(snapshot["type"] == "snapshot" for _, snapshot in burst)
    data = await sync_to_async(lambda: CommittingAPIClient().get("/api/v1/games/arena/").json()["data"])()
    assert data["playerCount"] == 0
    socket, snapshot = await watch(game)
    assert snapshot["connections"] == 101
    await asyncio.gather(*(each.close() for each, _ in [*burst, (socket, None)]))
    _, after = await watch(game)
    assert after["connections"] == 1
