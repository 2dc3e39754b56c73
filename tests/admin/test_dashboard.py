"""Issue #11, the operator's view: a dashboard per game in the admin, with
players now, the last hours' submissions and players, the all-time board's
score distribution and its top 10; and the admin index's players now."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
import time_machine
from asgiref.sync import async_to_sync
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from games.dashboard import HISTOGRAM_BUCKETS, Bucket
from realtime.presence import async_presence, socket_slot
from scores.boards import default_board
from scores.services import submit_score
from tests.factories import GameFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2031, 3, 5, 12, 30, tzinfo=UTC)  # half past noon: the current hour is 12:00
HOUR = timedelta(hours=1)
LARGEST = 2**53 - 1


@pytest.fixture
def clock(time_machine):
    """The present is NOW for the whole test (sessions included)."""
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def admin_client(client, operator, clock):
    client.force_login(operator)
    return client


def dashboard_url(game) -> str:
    return f"/admin/games/game/{game.pk}/dashboard/"


def play(game, user, value: int, at: datetime = NOW - HOUR) -> None:
    """`user` scores `value` in `game` at `at`, through the one service that
    accepts scores, with its after-commit work (Redis) done."""
    with time_machine.travel(at, tick=False), TestCase.captureOnCommitCallbacks(execute=True):
        submit_score(board=default_board(game), user=user, value=value, metadata={})


def open_dashboard(client, game):
    response = client.get(dashboard_url(game))
    assert response.status_code == 200, response.content[:500]
    return response


def hour_at(response, start: datetime):
    (hour,) = [hour for hour in response.context["dashboard"].hours if hour.start == start]
    return hour


def watch(game, *, players: int, anonymous: int = 0) -> None:
    """Open presence as a server process does for `players` signed-in and
    `anonymous` sockets on `game`."""

    async def join():
        for n in range(players + anonymous):
            user_id = 5_000 + n if n < players else None
            slot = socket_slot(user_id=user_id, address="10.0.0.7", game_id=game.pk)
            await async_presence().join(game.pk, f"dashboard-{game.pk}-{n}", user_id, slot)

    async_to_sync(join)()


def expected_buckets(values: list[int]) -> list[Bucket]:
    """Bests of one score per player in at most HISTOGRAM_BUCKETS equal
    integer ranges over [min, max], recomputed in plain Python."""
    lowest, highest = min(values), max(values)
    span = highest - lowest + 1
    count = min(HISTOGRAM_BUCKETS, span)
    edges = [lowest + -(-index * span // count) for index in range(count + 1)]
    return [
        Bucket(low=low, high=next_low - 1, players=sum(low <= value < next_low for value in values))
        for low, next_low in pairwise(edges)
    ]


def one_score_each(game, values: list[int]) -> None:
    for value in values:
        play(game, UserFactory(), value)


# --- Hours ------------------------------------------------------------------------------------------------


def test_the_dashboard_counts_submissions_and_distinct_players_in_each_hour(admin_client):
    game = GameFactory()
    alice, bob, carol = UserFactory.create_batch(3)
    play(game, alice, 10, at=NOW.replace(hour=11, minute=5))
    play(game, alice, 20, at=NOW.replace(hour=11, minute=50))
    play(game, bob, 30, at=NOW.replace(hour=11, minute=59, second=59))
    play(game, carol, 40, at=NOW.replace(hour=9, minute=0))
    play(game, carol, 50, at=NOW.replace(minute=1))  # the current hour

    response = open_dashboard(admin_client, game)

    eleven = hour_at(response, NOW.replace(hour=11, minute=0))
    assert (eleven.submissions, eleven.players) == (3, 2)
    nine = hour_at(response, NOW.replace(hour=9, minute=0))
    assert (nine.submissions, nine.players) == (1, 1)
    current = hour_at(response, NOW.replace(minute=0))
    assert (current.submissions, current.players) == (1, 1)
    assert response.context["dashboard"].recent_submissions == 5


def test_every_one_of_the_last_48_hours_is_present_quiet_ones_as_zero(admin_client):
    game = GameFactory()
    play(game, UserFactory(), 10, at=NOW.replace(hour=3, minute=30))

    hours = open_dashboard(admin_client, game).context["dashboard"].hours

    assert len(hours) == 48
    assert [hour.start for hour in hours] == [NOW.replace(minute=0) - (47 - index) * HOUR for index in range(48)]
    busy = [(hour.start.hour, hour.submissions) for hour in hours if hour.submissions]
    assert busy == [(3, 1)]
    assert sum(hour.players for hour in hours) == 1


def test_the_submissions_chart_covers_48_hours_and_the_players_chart_24(admin_client):
    game = GameFactory()
    first_hour = NOW.replace(minute=0) - 47 * HOUR
    play(game, UserFactory(), 1, at=first_hour)  # the oldest hour shown
    play(game, UserFactory(), 2, at=first_hour - timedelta(seconds=1))  # just before it: not shown
    play(game, UserFactory(), 3, at=NOW - 30 * HOUR)  # in the 48 hours, not in the 24

    response = open_dashboard(admin_client, game)

    dashboard = response.context["dashboard"]
    assert dashboard.hours[0].start == first_hour
    assert dashboard.hours[0].submissions == 1
    assert dashboard.recent_submissions == 2
    assert len(dashboard.player_hours) == 24
    assert sum(hour.players for hour in dashboard.player_hours) == 0
    charts = {chart.slug: chart for chart in response.context["charts"]}
    assert len(charts["submissions"].bars) == 48
    assert [bar.count for bar in charts["submissions"].bars].count(0) == 46
    assert len(charts["players"].bars) == 24


def test_the_hours_show_as_numbers_in_the_page(admin_client):
    game = GameFactory()
    for player in UserFactory.create_batch(2):
        play(game, player, 5, at=NOW.replace(hour=10, minute=15))

    html = open_dashboard(admin_client, game).content.decode()

    assert '<td>2031-03-05 10:00 UTC</td><td class="number">2</td>' in html
    assert '<td>2031-03-05 09:00 UTC</td><td class="number">0</td>' in html
    assert "<title>2031-03-05 10:00 UTC: 2</title>" in html


# --- Distribution ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize(
    "values",
    [
        [0, 4, 5, 99],  # 100 values: 20 ranges of 5
        [10, 11, 12, 30, 31, 54, 54],  # 45 values: ranges of 2 and 3
        [-7, -3, -1],  # fewer values than ranges: one range per value
        [-LARGEST, 0, LARGEST],  # the widest board the API allows
    ],
)
def test_the_distribution_counts_each_best_in_its_range(admin_client, order, values):
    game = GameFactory(score_order=order)
    one_score_each(game, values)

    buckets = open_dashboard(admin_client, game).context["dashboard"].buckets

    assert buckets == expected_buckets(values)
    assert buckets[0].low == min(values)
    assert buckets[-1].high == max(values)
    assert all(left.high + 1 == right.low for left, right in pairwise(buckets))


def test_the_distribution_counts_each_players_best_only(admin_client):
    game = GameFactory(score_order="desc")
    player, other = UserFactory.create_batch(2)
    for value in (1, 2, 100):
        play(game, player, value)
    play(game, other, 1)

    buckets = open_dashboard(admin_client, game).context["dashboard"].buckets

    assert [(bucket.low, bucket.high, bucket.players) for bucket in (buckets[0], buckets[-1])] == [
        (1, 5, 1),
        (96, 100, 1),
    ]
    assert sum(bucket.players for bucket in buckets) == 2


def test_a_board_where_everyone_has_the_same_best_is_one_range(admin_client):
    game = GameFactory()
    one_score_each(game, [42, 42, 42])

    response = open_dashboard(admin_client, game)

    assert response.context["dashboard"].buckets == [Bucket(low=42, high=42, players=3)]
    assert '<td>42</td><td class="number">3</td>' in response.content.decode()


def test_an_empty_board_has_no_ranges_and_says_nobody_scored(admin_client):
    game = GameFactory()

    response = open_dashboard(admin_client, game)

    dashboard = response.context["dashboard"]
    assert dashboard.buckets == []
    assert dashboard.board_size == 0
    assert dashboard.top == []
    html = response.content.decode()
    assert "Nobody has a score yet." in html
    assert html.count('class="chart"') == 3
    assert 'id="board-size">0<' in html


# --- Top 10 ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_the_top_10_is_the_public_boards_first_page(admin_client, api, order):
    game = GameFactory(score_order=order)
    players = UserFactory.create_batch(13)
    values = [50, 70, 50, 90, 10, 70, 70, 30, 20, 60, 80, 50, 40]  # ties go to whoever was first
    for index, (player, value) in enumerate(zip(players, values, strict=True)):
        play(game, player, value, at=NOW - HOUR + index * timedelta(minutes=1))

    top = open_dashboard(admin_client, game).context["dashboard"].top

    public = api.get(f"/api/v1/games/{game.slug}/leaderboard/", {"limit": 10}).json()["data"]
    assert [(entry.rank, entry.username, entry.value) for entry in top] == [
        (entry["rank"], entry["user"]["username"], entry["value"]) for entry in public
    ]
    assert len(top) == 10


def test_the_top_10_shows_each_value_in_the_games_unit(admin_client):
    game = GameFactory(score_order="asc", metadata={"unit": "ms"})
    play(game, UserFactory(username="quick"), 68_772)
    play(game, UserFactory(username="slow"), 3_723_004)

    html = open_dashboard(admin_client, game).content.decode()

    rows = re.findall(r"<tr><td class=\"number\">(\d+)</td><td>(\w+)</td><td class=\"number\">([^<]+)</td>", html)
    assert rows == [("1", "quick", "1:08.772"), ("2", "slow", "1:02:03.004")]


def test_the_distribution_labels_its_ranges_in_the_games_unit(admin_client):
    game = GameFactory(metadata={"unit": "points"})
    one_score_each(game, [1_000, 2_999])

    html = open_dashboard(admin_client, game).content.decode()

    assert "<td>1,000 points to 1,099 points</td>" in html
    assert "<td>2,900 points to 2,999 points</td>" in html
    assert ">1,000 points</text>" in html  # the axis' first tick
    assert ">2,999 points</text>" in html  # and its last


# --- Players now ----------------------------------------------------------------------------------------


def test_the_dashboard_shows_the_players_watching_now(admin_client):
    game = GameFactory()
    watch(game, players=3, anonymous=2)

    html = open_dashboard(admin_client, game).content.decode()

    assert 'id="players-now">3<' in html
    assert 'id="connections-now">5<' in html


def test_the_admin_index_shows_each_games_players_now(admin_client):
    busy, quiet = GameFactory(name="Busy"), GameFactory(name="Quiet")
    archived = GameFactory(name="Gone", archived_at=NOW)
    watch(busy, players=4)

    html = admin_client.get("/admin/").content.decode()

    module = html[html.index('id="players-now-module"') :]
    assert re.search(rf'data-slug="{busy.slug}">.*?Busy</a></th>\s*<td[^>]*>4</td>', module, re.S)
    assert re.search(rf'data-slug="{quiet.slug}">.*?Quiet</a></th>\s*<td[^>]*>0</td>', module, re.S)
    assert archived.slug not in module
    assert f'href="/admin/games/game/{busy.pk}/dashboard/"' in module


def test_the_admin_index_shows_no_games_to_staff_who_may_not_view_them(client, clock):
    client.force_login(UserFactory(is_staff=True, permissions=["scores.view_score"]))
    GameFactory(name="Hidden")

    html = client.get("/admin/").content.decode()

    assert 'id="players-now-module"' not in html


# --- Access and links ------------------------------------------------------------------------------------


def test_the_change_page_links_to_the_dashboard(admin_client):
    game = GameFactory()

    html = admin_client.get(f"/admin/games/game/{game.pk}/change/").content.decode()

    assert f'<a href="/admin/games/game/{game.pk}/dashboard/" class="dashboardlink">Dashboard</a>' in html


def test_the_dashboard_links_back_to_the_game(admin_client):
    game = GameFactory(name="Moon Lander")

    html = open_dashboard(admin_client, game).content.decode()

    assert f'<a href="/admin/games/game/{game.pk}/change/">Moon Lander</a>' in html
    assert f'href="/games/{game.slug}/live/"' in html


def test_someone_signed_out_is_sent_to_the_admin_sign_in(client):
    game = GameFactory()

    response = client.get(dashboard_url(game))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=")


def test_a_player_who_is_not_staff_is_sent_to_the_admin_sign_in(client, user):
    game = GameFactory()
    client.force_login(user)

    response = client.get(dashboard_url(game))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_without_the_view_permission_are_refused(client):
    game = GameFactory()
    client.force_login(UserFactory(is_staff=True, permissions=["scores.view_score"]))

    assert client.get(dashboard_url(game)).status_code == 403


def test_staff_with_the_view_permission_see_the_dashboard(client, clock):
    game = GameFactory()
    client.force_login(UserFactory(is_staff=True, permissions=["games.view_game"]))

    html = open_dashboard(client, game).content.decode()

    assert 'class="viewlink">View game</a>' in html


def test_an_unknown_game_goes_back_to_the_admin_with_a_message(admin_client):
    response = admin_client.get("/admin/games/game/999999/dashboard/", follow=True)

    assert response.redirect_chain[0][1] == 302
    assert "Perhaps it was deleted?" in response.content.decode()


def test_an_archived_games_dashboard_still_opens(admin_client):
    game = GameFactory(archived_at=NOW - HOUR)

    html = open_dashboard(admin_client, game).content.decode()

    assert "This game is archived." in html
    assert "/live/" not in html


# --- Bounded work --------------------------------------------------------------------------------------------


def queries_of_the_dashboard(client, game) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        open_dashboard(client, game)
    return [query["sql"] for query in queries]


def test_the_dashboard_runs_as_many_queries_for_50_scores_as_for_5(admin_client):
    game = GameFactory()
    players = UserFactory.create_batch(5)
    for index in range(5):
        play(game, players[index], index, at=NOW - index * HOUR)
    open_dashboard(admin_client, game)  # warm the session and permission caches
    few = queries_of_the_dashboard(admin_client, game)
    for index in range(45):
        play(game, players[index % 5], 100 + index, at=NOW - (index % 48) * HOUR)

    many = queries_of_the_dashboard(admin_client, game)

    assert len(many) == len(few)
    assert len(many) <= 6  # session, user, game, hours, distribution, top 10


def test_the_hourly_query_reads_only_the_last_48_hours(admin_client):
    game = GameFactory()
    play(game, UserFactory(), 1)
    open_dashboard(admin_client, game)

    (hourly,) = [sql for sql in queries_of_the_dashboard(admin_client, game) if "COUNT(DISTINCT" in sql.upper()]

    assert re.search(r'"created_at" >= ', hourly)
    assert re.search(r'"created_at" < ', hourly)
