import pytest
from django.core.management import call_command

from games.models import Game
from scores.models import Score

pytestmark = pytest.mark.django_db


def test_seed_demo_loads_games_with_players_and_scores(api):
    call_command("seed_demo")

    games = api.get("/api/v1/games/").json()["data"]
    assert {game["slug"] for game in games} >= {"space-race", "speed-run"}
    board = api.get("/api/v1/games/space-race/leaderboard/").json()
    assert board["meta"]["total"] >= 5
    assert [entry["rank"] for entry in board["data"]] == list(range(1, len(board["data"]) + 1))


def test_seed_demo_runs_once(capsys):
    call_command("seed_demo")
    scores = Score.objects.count()

    call_command("seed_demo")

    assert Score.objects.count() == scores
    assert Game.objects.filter(slug="space-race").count() == 1
    assert "already loaded" in capsys.readouterr().out
