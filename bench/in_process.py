"""What the bench does inside Django, run through `manage.py shell`.

    BENCH_TASK='{"task": "rank_timing", ...}' .venv/bin/python manage.py shell --no-imports \
        -c "import runpy; runpy.run_path('bench/in_process.py', run_name='__main__')"

Tasks (the JSON in BENCH_TASK names one; the answer is printed as one line
starting with `BENCH_JSON `):

- `status`: whether the bench data set is loaded with the expected sizes.
- `passwords`: gives the first K bench players a known password (seed_bench
  makes them unusable), so that the bench can sign in as players who have an
  entry on every board.
- `ws_game`: a fresh, empty game `bench-ws` for the websocket scenarios, so
  that every run starts from the same board.
- `subscore_board`: the submission game's board with a subscore (made
  when missing; seed_bench's data set does not need it), for submissions
  that carry one.
- `rank_timing`: the selectors' own time (no HTTP) for a rank lookup and a
  page in the middle of each scale board, from Redis and, for comparison,
  from PostgreSQL.
- `dashboard_timing`: the admin's dashboard of one game (issue #11) through
  Django's test client, signed in as a staff account `bench-operator`, one
  request at a time; and each of its aggregates alone. Its clock is set
  to the newest seeded score of the game, so that the last 48 hours hold a
  day and a half of the bench's scores however long ago the data set was
  loaded.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from unittest import mock

from django.contrib.auth.hashers import make_password
from django.db.models import Max
from django.test import Client
from django.utils import timezone

from accounts.models import User
from config.api.query import PageRequest
from games import dashboard
from games.models import Game
from scores import ranking, selectors
from scores.boards import default_board
from scores.management.commands.seed_bench import SUM_BOARD
from scores.models import Best, Board, Operator, Score

PLAYER_NAME = "bench-p{:07d}"
WS_GAME = "bench-ws"
OPERATOR_NAME = "bench-operator"


def status(*, scores: int, players: int, games: int, scale_boards: list[int]) -> dict:
    slugs = [f"bench-{index:02d}" for index in range(games)]
    found_games = set(Game.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    scale_found = sorted(
        int(slug.removeprefix("bench-scale-"))
        for slug in Game.objects.filter(slug__startswith="bench-scale-").values_list("slug", flat=True)
    )
    # seed_bench writes `{}` metadata; the bench's own submissions carry some.
    seeded_scores = Score.objects.filter(game__slug__in=slugs, metadata={}).count() if found_games else 0
    bench_players = User.objects.filter(username__regex=r"^bench-p[0-9]{7}$").count()
    boards = {
        str(size): Best.objects.filter(game__slug=f"bench-scale-{size}", period="all").count()
        for size in scale_boards
        if size in scale_found
    }
    sum_boards = Board.objects.filter(game__slug__in=slugs, key=SUM_BOARD, operator=Operator.SUM).count()
    expected_players = max([players, *scale_boards])
    ready = (
        found_games == set(slugs)
        and sum_boards == len(slugs)
        and scale_found == sorted(scale_boards)
        and seeded_scores == scores
        and bench_players >= expected_players
        and all(boards.get(str(size)) == size for size in scale_boards)
    )
    return {
        "ready": ready,
        "games": len(found_games),
        "scaleBoards": scale_found,
        "seededScores": seeded_scores,
        "benchPlayers": bench_players,
        "boardEntries": boards,
        "sumBoards": sum_boards,
    }


def passwords(*, count: int, password: str) -> dict:
    """The first `count` bench players, with `password` set where it is not yet."""
    names = [PLAYER_NAME.format(index) for index in range(count)]
    changed = 0
    hashed = None
    for user in User.objects.filter(username__in=names):
        if user.has_usable_password() and user.check_password(password):
            continue
        hashed = hashed or make_password(password)
        user.password = hashed
        user.save(update_fields=["password"])
        changed += 1
    found = list(User.objects.filter(username__in=names).order_by("username").values_list("username", flat=True))
    return {"usernames": found, "changed": changed}


def ws_game() -> dict:
    owner = User.objects.get(username="bench-owner")
    old = list(Game.objects.filter(slug=WS_GAME).values_list("pk", flat=True))
    for model in (Best, Score, Board):
        model.objects.filter(game_id__in=old).delete()
    Game.objects.filter(pk__in=old).delete()
    game = Game.objects.create(slug=WS_GAME, name="Bench websockets", owner=owner)
    return {"slug": game.slug, "id": game.pk}


SUBSCORE_BOARD = "time-trial"


def subscore_board(*, slug: str) -> dict:
    """A lower-is-better board of `slug` whose ties go to the higher subscore."""
    game = Game.objects.get(slug=slug)
    board, created = Board.objects.get_or_create(
        game=game,
        key=SUBSCORE_BOARD,
        defaults={"name": "Time trial", "score_order": "asc", "subscore_order": "desc"},
    )
    return {"key": board.key, "created": created}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def _spread(samples: list[float]) -> dict:
    return {
        "n": len(samples),
        "p50Ms": _percentile(samples, 50),
        "p99Ms": _percentile(samples, 99),
        "maxMs": max(samples),
        "meanMs": sum(samples) / len(samples),
    }


def _timed(call) -> tuple[float, object]:
    started = time.perf_counter_ns()
    result = call()
    return (time.perf_counter_ns() - started) / 1e6, result


def _time_board(board: Board, user_ids: list[int], middle: PageRequest, warmup: int) -> dict:
    """Rank lookups and the middle page, timed warm.

    One untimed pass looks up every sampled player first: a lookup reads the
    player's row, and on the 1,000,000-player board those rows start cold in
    PostgreSQL's buffers while the 10,000-player board's are all hot, so
    timing the first reads would measure the page cache, not the board.
    """
    for user_id in user_ids:
        selectors.leaderboard_entry(board=board, period="all", user_id=user_id)
    for _ in range(warmup):
        selectors.leaderboard_page(board=board, period="all", page=middle)
    lookups, pages, missing, short_pages = [], [], 0, 0
    for user_id in user_ids:
        elapsed, entry = _timed(lambda uid=user_id: selectors.leaderboard_entry(board=board, period="all", user_id=uid))
        lookups.append(elapsed)
        missing += entry is None
    for _ in user_ids:
        elapsed, page = _timed(lambda: selectors.leaderboard_page(board=board, period="all", page=middle))
        pages.append(elapsed)
        short_pages += len(page.entries) != middle.limit
    return {
        "rankLookup": _spread(lookups),
        "middlePage": _spread(pages),
        "lookupsWithoutEntry": missing,
        "pagesNotFull": short_pages,
    }


def rank_timing(*, scale_boards: list[int], samples: int, warmup: int, seed: int) -> dict:
    rng = random.Random(seed)
    results = {}
    for size in scale_boards:
        game = Game.objects.get(slug=f"bench-scale-{size}")
        names = [PLAYER_NAME.format(rng.randrange(size)) for _ in range(samples)]
        ids = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
        user_ids = [ids[name] for name in names]
        middle = PageRequest(page=size // 2 // 100 + 1, limit=100)
        board = default_board(game)
        redis = _time_board(board, user_ids, middle, warmup)
        # The same selectors with Redis ignored: the PostgreSQL fallback.
        with mock.patch.object(ranking, "enabled", return_value=False):
            database = _time_board(board, user_ids, middle, min(warmup, 5))
        results[str(size)] = {
            "entries": size,
            "middlePage": middle.page,
            "middleOffset": middle.offset,
            "redis": redis,
            "postgresql": database,
        }
    return {"samples": samples, "boards": results}


def dashboard_timing(*, slug: str, samples: int, warmup: int) -> dict:
    """The dashboard page of `slug`, `samples` requests one after another,
    and each aggregate alone as many times."""
    game = Game.objects.get(slug=slug)
    operator, _ = User.objects.get_or_create(
        username=OPERATOR_NAME,
        defaults={"email": "operator@bench.podium", "is_staff": True, "is_superuser": True, "password": "!"},
    )
    newest = Score.objects.filter(game=game).aggregate(newest=Max("created_at"))["newest"] or timezone.now()
    client = Client(HTTP_HOST="localhost")
    client.force_login(operator)
    url = f"/admin/games/game/{game.pk}/dashboard/"
    with mock.patch.object(timezone, "now", return_value=newest):
        for _ in range(warmup):
            client.get(url)
        pages, statuses = [], {}
        for _ in range(samples):
            elapsed, response = _timed(lambda: client.get(url))
            pages.append(elapsed)
            statuses[str(response.status_code)] = statuses.get(str(response.status_code), 0) + 1
        parts = {
            "hourlyActivity": lambda: dashboard.hourly_activity(game=game, now=newest),
            "scoreDistribution": lambda: dashboard.score_distribution(game=game),
            "topEntries": lambda: dashboard.top_entries(game=game),
        }
        timings = {name: _spread([_timed(part)[0] for _ in range(samples)]) for name, part in parts.items()}
        shown = dashboard.game_dashboard(game=game, now=newest)
    return {
        "slug": slug,
        "url": url,
        "asOf": newest.isoformat(),
        "samples": samples,
        "statuses": statuses,
        "boardEntries": shown.board_size,
        "scoresInLast48Hours": shown.recent_submissions,
        "page": _spread(pages),
        "parts": timings,
    }


TASKS = {
    "status": status,
    "passwords": passwords,
    "ws_game": ws_game,
    "subscore_board": subscore_board,
    "rank_timing": rank_timing,
    "dashboard_timing": dashboard_timing,
}


def main() -> None:
    request = json.loads(os.environ["BENCH_TASK"])
    task = TASKS[request.pop("task")]
    print("BENCH_JSON " + json.dumps(task(**request)), flush=True)


if __name__ == "__main__":
    main()
