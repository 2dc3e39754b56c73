"""config.memo's rules, against the suite's Redis (whose invalidations
config.watch reads), with a fake clock."""

import pytest
import redis
from django.conf import settings

from config import memo
from config.watch import watch

pytestmark = [pytest.mark.redis, pytest.mark.django_db]


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Loads:
    """A row loader that counts its calls and hands out a new dict each time."""

    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return {"name": f"row {self.calls}"}


@pytest.fixture
def rows():
    return memo.Memo("test", size=10, clock=Clock())


def another_process_bumps(key: str) -> None:
    """What another process's change does: a new stamp, over a connection of its own."""
    with redis.Redis.from_url(settings.REDIS_URL) as client:
        client.incr(key)


def test_a_row_is_remembered_while_its_stamp_holds(rows):
    load = Loads()

    first, second = rows.get(1, load), rows.get(1, load)

    assert load.calls == 1
    assert first == second == {"name": "row 1"}


def test_each_lookup_gets_a_copy_of_its_own(rows):
    load = Loads()
    rows.get(1, load)
    rows.get(1, load)["name"] = "changed by a request"

    assert rows.get(1, load) == {"name": "row 1"}


def test_a_shared_row_is_one_copy_while_remembered_and_a_new_one_after_a_change(rows):
    load = Loads()
    rows.get(1, load)
    first = rows.shared(1, load)

    assert rows.shared(1, load) is first
    assert rows.get(1, load) is not first  # get() still hands out copies of its own

    rows.changed(1)

    assert rows.shared(1, load) == {"name": "row 2"}
    assert rows.shared(1, load) is rows.shared(1, load)
    assert first == {"name": "row 1"}


def test_lookups_at_one_snapshot_see_every_change_made_before_it(rows):
    load = Loads()
    rows.shared(1, load)
    rows.shared(1, load)
    another_process_bumps(rows.stamp_key(1))

    at = rows.snapshot()

    assert rows.shared(1, load, at=at) == {"name": "row 2"}
    assert rows.derived(1, load, lambda row: row["name"], at=at) == "row 2"


def test_a_change_sets_a_new_stamp_and_the_row_is_read_again(rows):
    load = Loads()
    rows.get(1, load)
    rows.get(1, load)

    rows.changed(1)

    assert rows.get(1, load) == {"name": "row 2"}
    assert rows.get(1, load) == {"name": "row 2"}


def test_a_derived_value_is_made_once_while_its_row_is_remembered_and_again_after_a_change(rows):
    load, made = Loads(), []

    def shout(row):
        made.append(row["name"])
        return row["name"].upper()

    assert [rows.derived(1, load, shout) for _ in range(3)] == ["ROW 1"] * 3
    rows.changed(1)
    assert [rows.derived(1, load, shout) for _ in range(2)] == ["ROW 2"] * 2
    assert made == ["row 1", "row 1", "row 2", "row 2"]  # as loaded, then once from memory; per row
    assert rows.derived(2, lambda: None, shout) is None


def test_a_stamp_changed_by_another_process_is_seen_by_the_next_lookup(rows):
    load = Loads()
    rows.get(1, load)
    rows.get(1, load)

    another_process_bumps(rows.stamp_key(1))

    assert rows.get(1, load) == {"name": "row 2"}


def test_a_stamp_that_goes_from_redis_counts_as_a_change(rows):
    load = Loads()
    rows.get(1, load)
    another_process_bumps(rows.stamp_key(1))
    rows.get(1, load)

    with redis.Redis.from_url(settings.REDIS_URL) as client:
        client.delete(rows.stamp_key(1))

    assert rows.get(1, load) == {"name": "row 3"}


def test_a_row_read_while_its_stamp_changes_is_not_remembered(rows):
    changing = Loads()

    def load_while_another_process_changes_it():
        another_process_bumps(rows.stamp_key(1))
        return changing()

    rows.get(1, load_while_another_process_changes_it)

    assert rows.get(1, Loads()) == {"name": "row 1"}  # read again, not the row loaded during the change


def test_nothing_is_remembered_while_the_breaker_is_open(rows):
    from config.circuit import redis_breaker

    load = Loads()
    rows.get(1, load)
    redis_breaker.failure(at_once=True)
    try:
        rows.get(1, load)
    finally:
        redis_breaker.reset()

    assert load.calls == 2


def test_nothing_is_trusted_past_memo_seconds(rows):
    load = Loads()
    rows.get(1, load)
    rows.get(1, load)

    rows.clock.now += memo.MEMO_SECONDS

    assert rows.get(1, load) == {"name": "row 2"}


def test_no_row_means_nothing_remembered(rows):
    rows.get(1, lambda: None)

    assert rows.get(1, lambda: None) is None
    assert rows.get(1, Loads()) == {"name": "row 1"}


def test_it_keeps_at_most_its_size(rows):
    load = Loads()
    for key in range(12):
        rows.get(key, load)
        rows.get(key, load)

    assert len(rows._rows) == rows.size


def test_memory_is_forgotten_when_the_tracking_connection_is_lost(rows):
    load = Loads()
    rows.get(1, load)
    watching = watch()

    with watching._lock:
        watching._lost("the test cut it")
    assert rows.get(1, load) == {"name": "row 2"}  # nothing trusted until it is back
    assert watching._connect()  # what the watch's thread does next

    assert rows.get(1, load) == {"name": "row 3"}  # what was remembered before is gone
    assert rows.get(1, load) == {"name": "row 3"}
