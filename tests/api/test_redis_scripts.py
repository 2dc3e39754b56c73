"""config.redis_scripts.run against the suite's Redis: a script runs on a
connection kept between calls, and survives Redis losing its scripts and
closing the connection (as a restart does), without ever running twice."""

import pytest
from django_redis import get_redis_connection
from redis.exceptions import ResponseError

from config import redis_scripts

pytestmark = [pytest.mark.redis]

COUNT = "return redis.call('INCRBY', KEYS[1], ARGV[1])"
KEY = "podium-test:scripts:count"


@pytest.fixture
def client():
    client = get_redis_connection("default")
    client.delete(KEY)
    yield client
    client.delete(KEY)


def run(script) -> int:
    return redis_scripts.run(script, keys=[KEY], args=[2])


def script_connections(client) -> set[int]:
    """The ids of the connections whose last command was a script's."""
    return {each["id"] for each in client.client_list() if each["cmd"] == "evalsha"}


def test_a_script_runs_once_per_call_on_the_same_connection(client):
    script = client.register_script(COUNT)
    run(script)
    before = script_connections(client)

    assert run(script) == 4
    assert script_connections(client) == before


def test_a_script_redis_lost_is_loaded_and_run_once(client):
    script = client.register_script(COUNT)
    run(script)

    client.script_flush()

    assert run(script) == 4


def test_after_a_restart_the_connection_is_opened_again_and_the_script_loaded_and_run_once(client):
    script = client.register_script(COUNT)
    run(script)
    closed = script_connections(client)
    assert closed

    for each in closed:  # what a restart does: every connection closed, every script gone
        client.client_kill_filter(_id=each)
    client.script_flush()

    assert run(script) == 4
    assert not script_connections(client) & closed


def test_a_script_error_is_raised_and_the_connection_kept(client):
    broken = client.register_script("return redis.call('NO-SUCH-COMMAND')")
    script = client.register_script(COUNT)
    run(script)
    before = script_connections(client)

    with pytest.raises(ResponseError):
        redis_scripts.run(broken, keys=[], args=[])

    assert run(script) == 4
    assert script_connections(client) == before
