"""What each server process remembers (the user behind a token, the game and
the board behind a URL: config.memo) is dropped by a change made anywhere
else, by the next request that starts after the change: two servers, a
change made in one of them or in this process, the other asked at once."""

import pytest

from accounts.services import issue_tokens
from scores.boards import create_board
from tests.e2e.live_servers import call
from tests.factories import GameFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two(servers):
    return servers.start(2, env={"SCORE_RATE": "1000/m"})


def submit(server, slug: str, token: str, path: str = "") -> int:
    return call("POST", f"{server.url}/api/v1/games/{slug}/{path}scores/", token=token, body={"value": 5})[0]


@pytest.mark.parametrize("change", ["password", "deactivation"])
def test_a_token_remembered_by_one_server_is_refused_there_once_the_account_changes(two, change):
    first, _ = two
    game, player = GameFactory(slug="arena"), UserFactory()
    token = issue_tokens(user=player).access
    assert submit(first, "arena", token) == 201  # `first` remembers the player now
    assert call("GET", f"{first.url}/api/v1/games/arena/leaderboard/me/", token=token)[0] == 200

    if change == "password":
        player.set_password("another long passphrase")
    else:
        player.is_active = False
    player.save()  # here, in another process than either server

    assert submit(first, game.slug, token) == 401
    assert call("GET", f"{first.url}/api/v1/games/arena/leaderboard/me/", token=token)[0] == 401


def test_a_game_archived_through_one_server_is_gone_from_the_other(two):
    first, second = two
    owner, player = UserFactory(), UserFactory()
    GameFactory(slug="arena", owner=owner)
    token, owners = issue_tokens(user=player).access, issue_tokens(user=owner).access
    assert submit(second, "arena", token) == 201
    assert call("GET", f"{second.url}/api/v1/games/arena/")[0] == 200

    assert call("DELETE", f"{first.url}/api/v1/games/arena/", token=owners)[0] == 204

    assert submit(second, "arena", token) == 404
    assert call("GET", f"{second.url}/api/v1/games/arena/")[0] == 404
    assert call("GET", f"{second.url}/api/v1/games/arena/leaderboard/")[0] == 404
    assert call("GET", f"{second.url}/api/v1/games/arena/leaderboard/", token=token)[0] == 404


def test_a_board_changed_through_one_server_is_read_anew_by_the_other(two):
    first, second = two
    owner, player = UserFactory(), UserFactory()
    game = GameFactory(slug="arena", owner=owner)
    create_board(game=game, key="laps", name="Laps", max_score=10)
    token, owners = issue_tokens(user=player).access, issue_tokens(user=owner).access
    assert submit(second, "arena", token, "boards/laps/") == 201  # 5 is within the bounds

    status, _ = call("PATCH", f"{first.url}/api/v1/games/arena/boards/laps/", token=owners, body={"maxScore": 4})
    assert status == 200
    assert submit(second, "arena", token, "boards/laps/") == 400  # the new bound, at once

    assert call("DELETE", f"{first.url}/api/v1/games/arena/boards/laps/", token=owners)[0] == 204
    assert submit(second, "arena", token, "boards/laps/") == 404
    assert call("GET", f"{second.url}/api/v1/games/arena/boards/laps/leaderboard/")[0] == 404
