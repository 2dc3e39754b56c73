"""config.redis_scripts.run against the suite's Redis: a script runs on the
thread's own connection, and survives Redis losing its scripts or closing
the connection (as a restart does)."""

import pytest
from django_redis import get_redis_connection
from redis.exceptions import ResponseError

from config import redis_scripts

pytestmark = [pytest.mark.redis]

COUNT = "return redis.call('INCRBY', KEYS[1], ARGV[1])"


@pytest.fixture
def client():
    client = get_redis_connection("default")
    client.delete("podium-test:scripts:count")
    yield client
    client.delete("podium-test:scripts:count")


def run(script) -> int:
    return redis_scripts.run(script, keys=["podium-test:scripts:count"], args=[2])


def test_a_script_runs_once_per_call(client):
    script = client.register_script(COUNT)

    assert [run(script), run(script)] == [2, 4]


def test_a_script_redis_lost_is_loaded_and_run_once(client):
    script = client.register_script(COUNT)
    run(script)

    client.script_flush()

    assert run(script) == 4


def test_a_connection_redis_closed_is_opened_again_and_the_script_run_once(client):
    script = client.register_script(COUNT)
    run(script)
    scripts = [each["id"] for each in client.client_list() if each["cmd"] == "evalsha"]
    assert scripts  # this thread's connection for scripts, the last to run one

    for each in scripts:
        client.client_kill_filter(_id=each)

    assert run(script) == 4


def test_a_script_error_is_raised_and_the_connection_kept(client):
    broken = client.register_script("return redis.call('NO-SUCH-COMMAND')")
    script = client.register_script(COUNT)

    with pytest.raises(ResponseError):
        redis_scripts.run(broken, keys=[], args=[])

    assert run(script) == 2
