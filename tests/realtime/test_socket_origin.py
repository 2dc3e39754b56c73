"""CONTRACT §7: no cross-site socket can ride a cookie."""

import pytest

from tests.factories import GameFactory
from tests.realtime.conftest import open_socket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def game(db):
    return GameFactory(slug="arena")


async def test_a_handshake_from_another_site_is_refused(game):
    connected, _ = await open_socket("/ws/games/arena/", headers=[(b"origin", b"https://evil.example")])

    assert not connected


async def test_a_handshake_from_the_sites_own_host_is_accepted(game):
    connected, socket = await open_socket("/ws/games/arena/", headers=[(b"origin", b"https://testserver")])

    assert connected
    await socket.close()


async def test_a_whitelisted_origin_is_accepted(game, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://game.example"]

    connected, socket = await open_socket("/ws/games/arena/", headers=[(b"origin", b"https://game.example")])

    assert connected
    await socket.close()


async def test_a_game_client_without_an_origin_is_accepted(game):
    connected, socket = await open_socket("/ws/games/arena/")

    assert connected
    await socket.close()


@pytest.mark.parametrize("origin", [b"null", b"https://testserver.evil.example", b"file://"])
async def test_odd_origins_are_refused(game, origin):
    connected, _ = await open_socket("/ws/games/arena/", headers=[(b"origin", origin)])

    assert not connected
