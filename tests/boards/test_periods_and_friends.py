"""Past periods, reset times and friends boards (CONTRACT §9, "Periods past
and present, and who is on the board"), through HTTP, on Redis and on the
PostgreSQL path, anonymously and signed in."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from scores import ranking
from scores.models import Best, RankBucket
from tests.boards.boards import board_url, make_board, submit_to
from tests.factories import GameFactory, UserFactory
from tests.leaderboards.playing import _credentials, _shared_client, refused_field

pytestmark = pytest.mark.django_db

TUESDAY = "2031-03-04T12:00:00Z"  # in the week of Monday March 3rd
NEXT_TUESDAY = "2031-03-11T12:00:00Z"
APRIL = "2031-04-02T08:00:00Z"


@pytest.fixture
def game(db):
    return GameFactory(slug="racer")


@pytest.fixture
def players(db):
    return {name: UserFactory(username=name) for name in ("ann", "bob", "cid", "dee")}


def read(game, key="default", as_user=None, path="leaderboard/", **params):
    return _shared_client().get(board_url(game, key, path), params, **_credentials(as_user))


def ok(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()


def ranked(body) -> list[tuple[int, str, int]]:
    return [(entry["rank"], entry["user"]["username"], entry["value"]) for entry in body["data"]]


def refused(response) -> tuple[str, str]:
    """The field and message of a 400."""
    refused_field(response)
    detail = response.json()["error"]["details"][0]
    return detail["field"], detail["message"]


@pytest.fixture(params=[pytest.param("redis", marks=pytest.mark.redis), "postgresql"])
def read_path(request, monkeypatch):
    """Each test on both read paths: Redis, and PostgreSQL alone."""
    if request.param == "postgresql":
        monkeypatch.setattr(ranking, "enabled", lambda: False)
    return request.param


@pytest.mark.parametrize("signed_in", [False, True])
def test_a_past_week_is_read_with_at_and_the_current_one_without(game, players, time_machine, read_path, signed_in):
    reader = players["dee"] if signed_in else None
    time_machine.move_to(TUESDAY, tick=False)
    submit_to(game, "default", players["ann"], 50)
    submit_to(game, "default", players["bob"], 70)
    time_machine.move_to(NEXT_TUESDAY, tick=False)
    submit_to(game, "default", players["cid"], 10)

    current = ok(read(game, as_user=reader, period="week"))
    assert ranked(current) == [(1, "cid", 10)]
    past = ok(read(game, as_user=reader, period="week", at="2031-03-05"))
    assert ranked(past) == [(1, "bob", 70), (2, "ann", 50)]
    # A date in the current period reads the current period.
    assert ranked(ok(read(game, as_user=reader, period="week", at="2031-03-11"))) == [(1, "cid", 10)]
    # The game's own paths and the board's answer the same.
    assert ok(read(game, as_user=reader, period="week", at="2031-03-05")) == ok(
        _shared_client().get(
            f"/api/v1/games/{game.slug}/leaderboard/", {"period": "week", "at": "2031-03-05"}, **_credentials(reader)
        )
    )


def test_meta_names_the_period_and_when_it_resets(game, players, time_machine, read_path):
    time_machine.move_to(TUESDAY, tick=False)
    submit_to(game, "default", players["ann"], 50)
    meta = ok(read(game, period="month"))["meta"]
    assert meta["period"] == "month"
    assert meta["periodStart"] == "2031-03-01T00:00:00.000000Z"
    assert meta["periodEnd"] == "2031-04-01T00:00:00.000000Z"
    assert meta["nextResetAt"] == "2031-04-01T00:00:00.000000Z"
    assert meta["total"] == 1

    day = ok(read(game, period="day"))["meta"]
    assert (day["periodStart"], day["periodEnd"], day["nextResetAt"]) == (
        "2031-03-04T00:00:00.000000Z",
        "2031-03-05T00:00:00.000000Z",
        "2031-03-05T00:00:00.000000Z",
    )
    week = ok(read(game, period="week"))["meta"]
    assert (week["periodStart"], week["periodEnd"]) == ("2031-03-03T00:00:00.000000Z", "2031-03-10T00:00:00.000000Z")

    everything = ok(read(game))["meta"]
    assert everything["period"] == "all"
    assert (everything["periodStart"], everything["periodEnd"], everything["nextResetAt"]) == (None, None, None)

    time_machine.move_to(APRIL, tick=False)
    past = ok(read(game, period="month", at="2031-03-31"))
    assert ranked(past) == [(1, "ann", 50)]
    assert past["meta"]["periodEnd"] == "2031-04-01T00:00:00.000000Z"
    assert past["meta"]["nextResetAt"] is None  # a past period never resets again


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period": "all", "at": "2031-03-01"}, "at needs period=day, week or month."),
        ({"at": "2031-03-01"}, "at needs period=day, week or month."),
        ({"period": "day", "at": "2031-3-1"}, "at must be a date, YYYY-MM-DD (UTC)."),
        ({"period": "day", "at": "2031-02-30"}, "at must be a date, YYYY-MM-DD (UTC)."),
        ({"period": "day", "at": "yesterday"}, "at must be a date, YYYY-MM-DD (UTC)."),
        ({"period": "day", "at": ""}, "at must be a date, YYYY-MM-DD (UTC)."),
        ({"period": "day", "at": "2031-03-05"}, "at cannot be a date in the future."),
    ],
)
@pytest.mark.parametrize("signed_in", [False, True])
def test_a_bad_at_is_a_400_on_at(game, players, time_machine, params, message, signed_in):
    time_machine.move_to(TUESDAY, tick=False)
    for tail in ("leaderboard/", "leaderboard/users/ann/"):
        response = read(game, path=tail, as_user=players["bob"] if signed_in else None, **params)
        assert refused(response) == ("at", message), tail
    response = read(game, path="leaderboard/me/", as_user=players["bob"], **params)
    assert refused(response) == ("at", message)


def test_me_and_a_players_entry_read_past_periods_too(game, players, time_machine, read_path):
    time_machine.move_to(TUESDAY, tick=False)
    submit_to(game, "default", players["ann"], 50)
    submit_to(game, "default", players["bob"], 70)
    time_machine.move_to(NEXT_TUESDAY, tick=False)
    submit_to(game, "default", players["ann"], 5)

    entry = ok(read(game, path="leaderboard/users/ann/", period="day", at="2031-03-04"))["data"]
    assert (entry["rank"], entry["value"]) == (2, 50)
    today = ok(read(game, path="leaderboard/users/ann/", period="day"))["data"]
    assert (today["rank"], today["value"]) == (1, 5)
    me = ok(read(game, path="leaderboard/me/", as_user=players["ann"], period="week", at="2031-03-06", radius=1))
    assert me["data"]["entry"]["rank"] == 2
    assert [entry["user"]["username"] for entry in me["data"]["around"]] == ["bob", "ann"]
    assert read(game, path="leaderboard/users/bob/", period="day").status_code == 404  # no entry today


@pytest.mark.parametrize("signed_in", [False, True])
def test_friends_get_their_global_ranks_best_first(game, players, time_machine, read_path, signed_in):
    reader = players["dee"] if signed_in else None
    time_machine.move_to(TUESDAY, tick=False)
    for name, value in [("ann", 40), ("bob", 90), ("cid", 60), ("dee", 10)]:
        submit_to(game, "default", players[name], value)
    UserFactory(username="eve")  # known, but without an entry

    body = ok(read(game, as_user=reader, users="ANN,dee,nobody,eve,Ann,bob"))
    assert ranked(body) == [(1, "bob", 90), (3, "ann", 40), (4, "dee", 10)]
    assert body["meta"]["total"] == 3
    assert body["meta"]["page"] == 1
    assert ranked(ok(read(game, as_user=reader, users="nobody"))) == []
    # With a period, past ones too.
    time_machine.move_to(NEXT_TUESDAY, tick=False)
    submit_to(game, "default", players["dee"], 100)
    assert ranked(ok(read(game, as_user=reader, users="ann,dee", period="week"))) == [(1, "dee", 100)]
    assert ranked(ok(read(game, as_user=reader, users="ann,dee", period="week", at="2031-03-04"))) == [
        (3, "ann", 40),
        (4, "dee", 10),
    ]


def test_friends_of_another_board_rank_there(game, players, time_machine, read_path):
    key = make_board(game, name="Laps", score_order="asc", subscore_order="desc")
    submit_to(game, key, players["ann"], 30, subscore=1)
    submit_to(game, key, players["bob"], 30, subscore=5)
    submit_to(game, "default", players["ann"], 1)
    body = ok(read(game, key, users="ann,bob"))
    assert [(e["rank"], e["user"]["username"], e["subscore"]) for e in body["data"]] == [(1, "bob", 5), (2, "ann", 1)]


@pytest.mark.parametrize(
    ("users", "message"),
    [
        ("", "users must be usernames separated by commas."),
        ("ann,,bob", "users must be usernames separated by commas."),
        ("ann,b", "users must be usernames separated by commas."),
        ("ann bob", "users must be usernames separated by commas."),
        ("x" * 31, "users must be usernames separated by commas."),
        (",".join(f"player{n}" for n in range(101)), "users takes at most 100 usernames."),
    ],
)
@pytest.mark.parametrize("signed_in", [False, True])
def test_a_bad_users_is_a_400_on_users(game, players, users, message, signed_in):
    response = read(game, as_user=players["ann"] if signed_in else None, users=users)
    assert refused(response) == ("users", message)


def test_a_hundred_friends_are_allowed(game, players):
    names = ["ann", *(f"player{n}" for n in range(99))]
    submit_to(game, "default", players["ann"], 5)
    assert ranked(ok(read(game, users=",".join(names)))) == [(1, "ann", 5)]


@pytest.mark.redis
def test_friends_take_one_redis_round_trip_and_one_query(game, players, django_assert_max_num_queries):
    from django_redis import get_redis_connection

    for name, value in [("ann", 40), ("bob", 90), ("cid", 60)]:
        submit_to(game, "default", players[name], value)
    ok(read(game, users="ann,bob,cid"))  # resolves the game and board once
    client = get_redis_connection("default")
    before = client.info("commandstats")
    with django_assert_max_num_queries(1):
        ok(read(game, users="ann,bob,cid"))
    after = client.info("commandstats")
    scripts = after.get("cmdstat_evalsha", {}).get("calls", 0) - before.get("cmdstat_evalsha", {}).get("calls", 0)
    assert scripts == 1


@override_settings(PAST_PERIODS_DAYS=30)
def test_purge_past_periods_keeps_what_is_recent_enough(game, players, time_machine):
    time_machine.move_to("2031-01-15T12:00:00Z", tick=False)
    submit_to(game, "default", players["ann"], 10)
    time_machine.move_to("2031-02-20T12:00:00Z", tick=False)
    submit_to(game, "default", players["ann"], 20)

    # On March 3rd, thirty days back is February 1st: January's day, week and
    # month ended before it; February's have not ended at all.
    time_machine.move_to("2031-03-03T06:00:00Z", tick=False)
    call_command("purge_past_periods")
    left = set(Best.objects.filter(game=game).values_list("period", "period_start"))
    assert {(period, str(start)) for period, start in left} == {
        ("all", "1970-01-01"),
        ("day", "2031-02-20"),
        ("week", "2031-02-17"),
        ("month", "2031-02-01"),
    }
    if connection.vendor == "postgresql":  # the rank histogram goes with the periods it counted
        counted = set(RankBucket.objects.filter(board__game=game).values_list("period", "period_start"))
        assert counted == left
    assert ranked(ok(read(game, period="day", at="2031-01-15"))) == []
    assert ranked(ok(read(game, period="day", at="2031-02-20"))) == [(1, "ann", 20)]
    assert ranked(ok(read(game))) == [(1, "ann", 20)]


def test_friends_without_redis_take_one_query(game, players, monkeypatch, django_assert_max_num_queries):
    for name, value in [("ann", 40), ("bob", 90), ("cid", 60)]:
        submit_to(game, "default", players[name], value)
    monkeypatch.setattr(ranking, "enabled", lambda: False)
    ok(read(game, users="ann,bob,cid"))  # resolves the game and board once
    with django_assert_max_num_queries(1):
        assert ranked(ok(read(game, users="ann,bob,cid"))) == [(1, "bob", 90), (2, "cid", 60), (3, "ann", 40)]


def test_a_date_before_the_year_1000_is_written_with_four_digits(game, players):
    # Found by schema fuzzing: strftime's %Y wrote "348-02-25T…".
    meta = ok(read(game, period="day", at="0348-02-25"))["meta"]
    assert (meta["periodStart"], meta["periodEnd"]) == ("0348-02-25T00:00:00.000000Z", "0348-02-26T00:00:00.000000Z")
    assert ok(read(game, period="week", at="0001-01-03"))["meta"]["periodStart"] == "0001-01-01T00:00:00.000000Z"
