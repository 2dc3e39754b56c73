import pytest
from django.core.management import call_command

from games.models import Game
from scores.models import Best, Period, Score

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.postgres
def test_seed_bench_loads_scores_and_consistent_bests(api):
    call_command("seed_bench", "--scores", "3000", "--players", "200", "--games", "2", "--no-progress")

    assert Score.objects.filter(game__slug__startswith="bench-").count() == 3000
    game = Game.objects.get(slug="bench-00")
    players = Score.objects.filter(game=game).values("user").distinct().count()
    assert Best.objects.filter(game=game, period=Period.ALL).count() == players
    board = api.get("/api/v1/games/bench-00/leaderboard/?limit=5").json()
    top = Score.objects.filter(game=game).order_by("-value").first()
    assert board["data"][0]["value"] == top.value
    assert board["meta"]["total"] == players


@pytest.mark.postgres
def test_seed_bench_replaces_its_previous_games():
    call_command("seed_bench", "--scores", "100", "--players", "20", "--games", "2", "--no-progress")
    call_command("seed_bench", "--scores", "50", "--players", "20", "--games", "1", "--no-progress")

    assert list(Game.objects.filter(slug__startswith="bench-").values_list("slug", flat=True)) == ["bench-00"]
    assert Score.objects.filter(game__slug__startswith="bench-").count() == 50


@pytest.mark.postgres
def test_seed_bench_makes_scale_boards_of_exact_sizes(api):
    call_command(
        "seed_bench", "--scores", "100", "--players", "20", "--games", "1", "--scale-boards", "30,120", "--no-progress"
    )

    for size in (30, 120):
        board = api.get(f"/api/v1/games/bench-scale-{size}/leaderboard/?limit=1").json()
        assert board["meta"]["total"] == size
