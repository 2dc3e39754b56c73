"""A large data set for benchmarks, loaded fast (PostgreSQL only).

Players and scores go in with COPY, bests with one INSERT … SELECT DISTINCT
ON per period (with the rank-histogram trigger off, the buckets counted
after in one GROUP BY), then `VACUUM (FREEZE, ANALYZE)` so that rank counts are
index-only scans (a plain VACUUM ANALYZE after a bulk load left bitmap heap
scans at nearly twice the cost), then the Redis boards are rebuilt.
Re-running replaces the previous bench games; bench players are reused.
"""

import random
import time
from contextlib import contextmanager
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from accounts.models import User
from games.models import Game, ScoreOrder
from scores import ranking
from scores.models import DEFAULT_BOARD, Best, Board, IdempotencyRecord, Operator, RankBucket, Score
from scores.rebuild import rebuild_boards

BENCH_PREFIX = "bench"
SUM_BOARD = "kills"
PERIOD_STARTS = {
    "all": "DATE '1970-01-01'",
    "day": "(s.created_at AT TIME ZONE 'UTC')::date",
    "week": "date_trunc('week', s.created_at AT TIME ZONE 'UTC')::date",
    "month": "date_trunc('month', s.created_at AT TIME ZONE 'UTC')::date",
}


def bench_username(index: int) -> str:
    return f"{BENCH_PREFIX}-p{index:07d}"


class Command(BaseCommand):
    help = "Load N scores from M players over G games for benchmarks (PostgreSQL only)."

    def add_arguments(self, parser):
        parser.add_argument("--scores", type=int, default=1_000_000)
        parser.add_argument("--players", type=int, default=100_000)
        parser.add_argument("--games", type=int, default=10)
        parser.add_argument("--days", type=int, default=45, help="Spread scores over this many past days.")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--scale-boards",
            default="",
            metavar="N,N,…",
            help="Also make one game per size N whose all-time board has exactly N players (e.g. 10000,1000000).",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, scores, players, games, days, seed, scale_boards, no_progress, **options):
        if connection.vendor != "postgresql":
            raise CommandError("seed_bench needs PostgreSQL (DATABASE_URL): it loads with COPY.")
        if scores < 0 or players < 1 or not 1 <= games <= 100 or days < 1:
            raise CommandError("--scores ≥ 0, --players ≥ 1, 1 ≤ --games ≤ 100, --days ≥ 1.")
        try:
            sizes = sorted({int(size) for size in scale_boards.split(",") if size.strip()})
        except ValueError:
            raise CommandError("--scale-boards takes sizes like 10000,100000,1000000.") from None
        self.quiet = no_progress
        rng = random.Random(seed)  # noqa: S311 - benchmark data, not security
        started = time.perf_counter()

        bench_games = self._fresh_games(games, scale_sizes=sizes)
        scale_games = [game for game in bench_games if game.slug.startswith(f"{BENCH_PREFIX}-scale-")]
        bench_games = [game for game in bench_games if game not in scale_games]
        player_ids = self._players(max([players, *sizes]))
        self._copy_scores(scores, bench_games, player_ids[:players], days, rng)
        for game, size in zip(scale_games, sizes, strict=True):
            self._copy_one_score_each(game, player_ids[:size], days, rng)
        self._fill_bests(bench_games)
        self._fill_bests(scale_games, periods=["all"])
        self._vacuum()
        rebuilt = self._rebuild(bench_games + scale_games)
        self.stdout.write(
            f"Loaded {scores:,} scores from {players:,} players over {games} games "
            f"({rebuilt} Redis boards) in {time.perf_counter() - started:.1f} s."
        )

    def _progress(self, total: int, description: str):
        return tqdm(total=total, desc=description, unit="row", unit_scale=True, disable=self.quiet, file=self.stderr)

    def _fresh_games(self, count: int, *, scale_sizes: list[int]) -> list[Game]:
        owner, _ = User.objects.get_or_create(
            username=f"{BENCH_PREFIX}-owner", defaults={"email": "owner@bench.podium", "password": make_password(None)}
        )
        old = list(Game.objects.filter(slug__startswith=f"{BENCH_PREFIX}-").values_list("pk", flat=True))
        with transaction.atomic(), _uncounted():
            RankBucket.objects.filter(board__game_id__in=old).delete()
            for model in (Best, Score, Board):
                model.objects.filter(game_id__in=old).delete()
            Game.objects.filter(pk__in=old).delete()
            IdempotencyRecord.objects.filter(user__username__startswith=f"{BENCH_PREFIX}-p").delete()
            games = [
                Game.objects.create(
                    slug=f"{BENCH_PREFIX}-{index:02d}",
                    name=f"Bench {index:02d}",
                    # One lower-is-better game in ten, like a time trial.
                    score_order=ScoreOrder.ASC if index % 10 == 9 else ScoreOrder.DESC,
                    owner=owner,
                )
                for index in range(count)
            ]
            # And a running total on each, empty until the bench adds to it.
            Board.objects.bulk_create(
                Board(game=game, key=SUM_BOARD, name="Kills", operator=Operator.SUM) for game in games
            )
            return games + [
                Game.objects.create(slug=f"{BENCH_PREFIX}-scale-{size}", name=f"Bench scale {size:,}", owner=owner)
                for size in scale_sizes
            ]

    def _players(self, count: int) -> list[int]:
        existing = set(User.objects.filter(username__startswith=f"{BENCH_PREFIX}-p").values_list("username", flat=True))
        missing = [bench_username(index) for index in range(count) if bench_username(index) not in existing]
        unusable = make_password(None)
        now = timezone.now()
        with self._progress(len(missing), "players") as bar, connection.cursor() as cursor:
            columns = "password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined"
            with cursor.copy(f"COPY {User._meta.db_table} ({columns}) FROM STDIN") as copy:
                for username in missing:
                    copy.write_row([unusable, False, username, "", "", f"{username}@bench.podium", False, True, now])
                    bar.update()
        names = [bench_username(index) for index in range(count)]
        ids = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
        return [ids[name] for name in names]

    def _copy_scores(self, count, games, player_ids, days, rng) -> None:
        now = timezone.now()
        span = int(timedelta(days=days).total_seconds() * 1_000_000)
        with self._progress(count, "scores") as bar, connection.cursor() as cursor:
            columns = "game_id, board_id, user_id, value, metadata, created_at"
            boards = _default_board_ids(games)
            with cursor.copy(f"COPY {Score._meta.db_table} ({columns}) FROM STDIN") as copy:
                for index in range(count):
                    game = games[rng.randrange(len(games))]
                    value = rng.randrange(1, 1_000_000_000)
                    created = now - timedelta(microseconds=rng.randrange(span))
                    copy.write_row([game.pk, boards[game.pk], rng.choice(player_ids), value, "{}", created])
                    if index % 10_000 == 0:
                        bar.update(min(10_000, count - index))

    def _copy_one_score_each(self, game, player_ids, days, rng) -> None:
        """A board of exactly len(player_ids) entries: one score per player."""
        now = timezone.now()
        span = int(timedelta(days=days).total_seconds() * 1_000_000)
        with self._progress(len(player_ids), game.slug) as bar, connection.cursor() as cursor:
            columns = "game_id, board_id, user_id, value, metadata, created_at"
            board_id = _default_board_ids([game])[game.pk]
            with cursor.copy(f"COPY {Score._meta.db_table} ({columns}) FROM STDIN") as copy:
                for index, player_id in enumerate(player_ids):
                    created = now - timedelta(microseconds=rng.randrange(span))
                    copy.write_row([game.pk, board_id, player_id, rng.randrange(1, 1_000_000_000), "{}", created])
                    if index % 10_000 == 0:
                        bar.update(min(10_000, len(player_ids) - index))

    def _fill_bests(self, games, periods=tuple(PERIOD_STARTS)) -> None:
        game_ids = [game.pk for game in games]
        if not game_ids:
            return
        with (
            self._progress(len(periods), "bests") as bar,
            transaction.atomic(),
            _uncounted(),
            connection.cursor() as cursor,
        ):
            cursor.execute("SET LOCAL work_mem = '256MB'")  # sort in memory, not on disk
            for period in periods:
                start = PERIOD_STARTS[period]
                cursor.execute(
                    f"""
                    INSERT INTO {Best._meta.db_table}
                        (game_id, board_id, user_id, period, period_start, value, rank_key, achieved_at)
                    SELECT DISTINCT ON (s.board_id, s.user_id, {start})
                        s.game_id, s.board_id, s.user_id, %s, {start}, s.value,
                        CASE WHEN b.score_order = 'desc' THEN -s.value ELSE s.value END,
                        s.created_at
                    FROM {Score._meta.db_table} s JOIN {Board._meta.db_table} b ON b.id = s.board_id
                    WHERE s.game_id = ANY(%s)
                    ORDER BY s.board_id, s.user_id, {start},
                        CASE WHEN b.score_order = 'desc' THEN -s.value ELSE s.value END, s.created_at
                    """,  # noqa: S608 - fixed SQL fragments of ours; values are parameters
                    [period, game_ids],
                )
                bar.update()
            cursor.execute(
                f"""
                INSERT INTO {RankBucket._meta.db_table} (board_id, period, period_start, bucket, entries)
                SELECT board_id, period, period_start, podium_rank_bucket(rank_key), COUNT(*)
                FROM {Best._meta.db_table} WHERE game_id = ANY(%s) AND period = ANY(%s)
                GROUP BY 1, 2, 3, 4
                """,  # noqa: S608 - our table names; values are parameters
                [game_ids, list(periods)],
            )

    def _vacuum(self) -> None:
        with connection.cursor() as cursor:
            for model in (User, Score, Best):
                cursor.execute(f"VACUUM (FREEZE, ANALYZE) {model._meta.db_table}")

    def _rebuild(self, games) -> int:
        if not ranking.enabled():
            return 0
        with self._progress(len(games), "redis") as bar:
            rebuilt = 0
            for game in games:
                rebuilt += rebuild_boards(list(Board.objects.filter(game=game)))
                bar.update()
        return rebuilt


@contextmanager
def _uncounted():
    """Within the caller's transaction, write scores_best without its
    rank-histogram trigger (one count per row would double a bulk load's
    time); the caller counts the buckets itself. ALTER TABLE is
    transactional: the trigger is back on at commit or rollback alike.
    (The deferred foreign-key checks run first: PostgreSQL alters no table
    with trigger events pending.)"""
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {Best._meta.db_table} DISABLE TRIGGER USER")
        yield
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {Best._meta.db_table} ENABLE TRIGGER USER")


def _default_board_ids(games) -> dict[int, int]:
    return dict(Board.objects.filter(game__in=games, key=DEFAULT_BOARD).values_list("game_id", "pk"))
