"""A socket that arrives while Redis cannot take it (down, or the circuit
breaker open) is closed with 1013 "try again later", which the live pages
retry, and leaves nothing behind: once Redis answers, counts are exact."""

import pytest

from config.circuit import redis_breaker
from realtime.consumers import CLOSE_TRY_AGAIN_LATER
from tests.factories import GameFactory
from tests.realtime.conftest import open_socket, watch

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def game(db):
    return GameFactory(slug="arena")


@pytest.fixture
def breaker_open():
    redis_breaker.failure(at_once=True)
    yield
    redis_breaker.reset()


@pytest.mark.parametrize("path", ["/ws/games/arena/", "/ws/lobby/"])
async def test_a_socket_is_told_to_try_again_later(game, breaker_open, path):
    connected, socket = await open_socket(path)

    assert connected  # accepted, then closed with the reason
    assert await socket.closed_with() == CLOSE_TRY_AGAIN_LATER


async def test_a_refused_socket_is_not_counted_once_redis_answers(game, breaker_open):
    _, refused = await open_socket("/ws/games/arena/")
    assert await refused.closed_with() == CLOSE_TRY_AGAIN_LATER
    redis_breaker.reset()

    watcher, snapshot = await watch(game)

    assert (snapshot["players"], snapshot["connections"]) == (0, 1)
    await watcher.close()
