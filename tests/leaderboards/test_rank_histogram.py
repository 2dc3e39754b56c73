"""PostgreSQL's rank histogram (scores.ranking_sql): what answers ranks,
deep pages and board sizes when Redis cannot, without counting every entry
ahead. Its counts must equal the entries whatever writes them, and every
answer it gives must equal the plain ranking."""

import itertools
import random
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from django.db import connection, connections
from hypothesis import given, settings
from hypothesis import strategies as st

from scores import ranking_sql, writes
from scores.boards import default_board
from scores.models import Best, RankBucket, Score
from tests.factories import GameFactory, UserFactory
from tests.leaderboards.playing import board, delete, me_url, player_url, post_score, read, submit

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

SAFE = 2**53 - 1


def buckets(keys: list[int]) -> list[tuple[int, int, int]]:
    """(key, its bucket, that bucket's lowest key) for each key, from PostgreSQL."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT k, podium_rank_bucket(k), podium_rank_bucket_low(podium_rank_bucket(k)) "
            "FROM unnest(%s::bigint[]) AS k ORDER BY k",
            [keys],
        )
        return cursor.fetchall()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-SAFE, SAFE), min_size=1, max_size=50))
def test_buckets_follow_the_rank_order_and_hold_the_keys_from_their_low_on(keys):
    found = buckets([*keys, -SAFE, -1, 0, 1, 255, 256, SAFE])

    for (key, bucket, low), (next_key, next_bucket, next_low) in itertools.pairwise(found):
        assert low <= key
        assert bucket <= next_bucket  # never out of rank order
        if next_bucket != bucket:
            assert key < next_low <= next_key  # the next bucket starts after every key of this one


def test_keys_of_nine_digits_spread_over_many_small_buckets():
    rng = random.Random(7)
    keys = [rng.randrange(1, 10**9) for _ in range(10_000)]

    sizes: dict[int, int] = {}
    for _key, bucket, _low in buckets(keys):
        sizes[bucket] = sizes.get(bucket, 0) + 1

    assert max(sizes.values()) <= 10_000 * 0.01  # no bucket holds more than a hundredth


def counted() -> dict[tuple, int]:
    """The histogram, without buckets that are empty again."""
    return {
        (row.board_id, row.period, row.period_start, row.bucket): row.entries
        for row in RankBucket.objects.exclude(entries=0)
    }


def recounted() -> dict[tuple, int]:
    """The same counts, from the entries themselves."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT board_id, period, period_start, podium_rank_bucket(rank_key), COUNT(*) "
            "FROM scores_best GROUP BY 1, 2, 3, 4"
        )
        return {tuple(row[:4]): row[4] for row in cursor.fetchall()}


@pytest.mark.parametrize("operator", ["best", "latest", "sum"])
def test_the_counts_follow_every_write_of_the_entries(operator, settings):
    settings.SCORE_RATE = "1000/m"
    game = GameFactory()
    board_ = default_board(game)
    board_.operator = operator
    board_.save(update_fields=["operator"])
    players = UserFactory.create_batch(6)
    rng = random.Random(operator)
    for _ in range(40):
        submit(game, rng.choice(players), rng.randrange(-(10**9), 10**9) // (1 if operator != "sum" else 10**3))
    assert counted() == recounted()

    owner_delete = Score.objects.filter(board=board_).order_by("?").first()
    assert delete(f"/api/v1/games/{game.slug}/scores/{owner_delete.pk}/", game.owner).status_code == 204
    assert counted() == recounted()  # moderation

    players[0].delete()
    assert counted() == recounted()  # an account's entries go with it

    Best.objects.filter(board=board_, period="day").delete()
    assert counted() == recounted()  # a purge


@pytest.fixture
def deep(settings, embedded_defaults, monkeypatch):
    """Every page and rank read through the histogram (no Redis), however
    shallow: a board of 60 entries spread over many buckets, with ties."""
    monkeypatch.setattr(ranking_sql, "SHALLOW", 0)
    settings.SCORE_RATE = "1000/m"
    game = GameFactory()
    players = UserFactory.create_batch(60)
    rng = random.Random(3)
    for player in players:
        submit(game, player, rng.choice([rng.randrange(-(10**12), 10**12), 42, 10**9, -7]))
    return game, players


def test_every_page_read_through_the_histogram_is_the_ranking(deep):
    game, _players = deep
    whole = board(game, limit=100)

    for limit in (1, 7, 25):
        for page in range(1, 60 // limit + 3):
            response = read(f"/api/v1/games/{game.slug}/leaderboard/", page=page, limit=limit)
            assert response.status_code == 200
            body = response.json()
            assert body["data"] == whole[(page - 1) * limit : page * limit]
            assert body["meta"]["total"] == 60


def test_every_rank_read_through_the_histogram_is_the_ranking(deep):
    game, players = deep
    whole = {entry["user"]["id"]: entry for entry in board(game, limit=100)}

    for player in players:
        assert read(player_url(game, player.username)).json()["data"] == whole[player.pk]
        around = read(me_url(game), player, radius=3).json()["data"]
        rank = whole[player.pk]["rank"]
        assert around["entry"] == whole[player.pk]
        assert around["around"] == [entry for entry in whole.values() if abs(entry["rank"] - rank) <= 3]


@pytest.mark.django_db(transaction=True)
def test_a_submission_that_loses_a_deadlock_over_a_bucket_is_written_on_its_retry(settings):
    """A bulk write holding a bucket's count while it waits for the
    submitting player (moderation deleting many entries, say) deadlocks
    with the submission; PostgreSQL rolls the submission back, and it runs
    again rather than answer 500."""
    settings.SCORE_RATE = "1000/m"
    game = GameFactory()
    player = UserFactory()
    submit(game, player, 10)
    board_ = default_board(game)
    held = RankBucket.objects.get(board=board_, period="all", entries=1)
    other = psycopg.connect(**connections.create_connection("default").get_connection_params())
    try:
        with other.cursor() as cursor:
            # The submission's backend finds the deadlock first (1 s by default).
            cursor.execute("SET deadlock_timeout = '30s'")
            cursor.execute("SELECT entries FROM scores_rankbucket WHERE id = %s FOR UPDATE", [held.pk])
            with ThreadPoolExecutor(1) as pool:
                answer = pool.submit(_post_and_close, game, player, 1_000)  # leaves the held bucket
                _wait_for_a_backend_waiting_on_a_lock()
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", list(writes._lock(board_, player)[1]))
                other.commit()
                response = answer.result()
    finally:
        other.close()

    assert response.status_code == 201, response.content
    assert response.json()["data"]["score"]["value"] == 1_000
    assert counted() == recounted()


def _post_and_close(game, user, value):
    try:
        return post_score(game, user, value)
    finally:
        connection.close()


def _wait_for_a_backend_waiting_on_a_lock():
    with connections.create_connection("default").cursor() as cursor:
        for _ in range(500):
            cursor.execute("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            if cursor.fetchone():
                cursor.connection.close()
                return
            time.sleep(0.01)
    raise AssertionError("the submission never waited for the held bucket")
