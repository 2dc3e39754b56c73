import pytest
from django.core.management import CommandError, call_command

from scores import ranking
from scores.boards import default_board
from scores.periods import ALL_TIME_START, BoardPeriod
from tests.conftest import bearer_client
from tests.factories import GameFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_without_redis_there_is_nothing_to_rebuild(settings):
    settings.REDIS_URL = ""

    with pytest.raises(CommandError, match="REDIS_URL is not set"):
        call_command("rebuild_leaderboards")


@pytest.mark.redis
def test_rebuild_restores_every_board_after_redis_lost_its_data(private_redis, capsys):
    game = GameFactory()
    for value, player in zip((5, 9, 7), UserFactory.create_batch(3), strict=True):
        bearer_client(player).post(f"/api/v1/games/{game.slug}/scores/", {"value": value})
    private_redis.client().flushall()

    call_command("rebuild_leaderboards", "--game", game.slug)

    board = ranking.page(BoardPeriod(default_board(game).pk, "all", ALL_TIME_START), offset=0, limit=10)
    assert [entry.rank_key for entry in board.entries] == [-9, -7, -5]
    assert f"{game.slug}: 4 board period(s) rebuilt" in capsys.readouterr().out


@pytest.mark.redis
def test_rebuild_of_an_unknown_game_is_an_error(private_redis):
    with pytest.raises(CommandError, match="No game"):
        call_command("rebuild_leaderboards", "--game", "no-such-game")


@pytest.mark.redis
def test_rebuild_while_redis_is_down_is_an_error(private_redis):
    GameFactory()
    private_redis.stop()

    with pytest.raises(CommandError, match="not answering"):
        call_command("rebuild_leaderboards")
