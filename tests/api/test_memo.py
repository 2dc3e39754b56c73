"""config.memo's rules, against the suite's Redis, with a fake clock."""

import pytest

from config import memo

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


def test_a_change_sets_a_new_stamp_and_the_row_is_read_again(rows):
    load = Loads()
    rows.get(1, load)
    rows.get(1, load)

    rows.changed(1)

    assert rows.get(1, load) == {"name": "row 2"}
    assert rows.get(1, load) == {"name": "row 2"}


def test_a_stamp_changed_by_another_process_is_seen(rows):
    load = Loads()
    rows.get(1, load)
    rows.get(1, load)

    other_process = memo.Memo("test", size=10)  # shares only the Redis stamp
    other_process.changed(1)

    assert rows.get(1, load) == {"name": "row 2"}


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
