"""CONTRACT §5's read-your-writes across processes: each server keeps the
top pages it served in its own memory (scores.page_cache), and a score
accepted by another server must still be in the very next page it serves,
anonymous or signed in, once the 201 is sent."""

import pytest

from accounts.services import issue_tokens
from tests.e2e.live_servers import call
from tests.factories import GameFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ROUNDS = 25


@pytest.fixture
def two(servers):
    return servers.start(2, env={"SCORE_RATE": "1000/m"})


def top_page(server, slug: str, token: str | None = None, query: str = "limit=10") -> list[tuple[str, int]]:
    status, body = call("GET", f"{server.url}/api/v1/games/{slug}/leaderboard/?{query}", token=token)
    assert status == 200
    return [(entry["user"]["username"], entry["value"]) for entry in body["data"]]


def test_a_score_accepted_by_one_server_is_on_the_next_top_page_the_other_serves(two):
    writer, reader = two
    GameFactory(slug="arena")
    players = [UserFactory(username=f"racer-{index}") for index in range(3)]
    tokens = [issue_tokens(user=player).access for player in players]
    watcher = issue_tokens(user=UserFactory(username="watcher")).access

    for value in range(1, ROUNDS + 1):
        # The reader has the page in memory from the round before (both ways in).
        top_page(reader, "arena")
        top_page(reader, "arena", token=watcher)
        player = value % len(players)

        status, body = call(
            "POST", f"{writer.url}/api/v1/games/arena/scores/", token=tokens[player], body={"value": value * 10}
        )

        assert status == 201, body
        assert top_page(reader, "arena")[0] == (f"racer-{player}", value * 10)
        assert top_page(reader, "arena", token=watcher)[0] == (f"racer-{player}", value * 10)


def test_a_day_page_and_a_deeper_top_page_follow_too(two):
    writer, reader = two
    GameFactory(slug="arena")
    token = issue_tokens(user=UserFactory(username="racer")).access
    call("POST", f"{writer.url}/api/v1/games/arena/scores/", token=token, body={"value": 1})
    queries = ["period=day&limit=5", "page=2&limit=50", "period=week", "period=month&limit=100"]
    before = {query: top_page(reader, "arena", query=query) for query in queries}

    assert call("POST", f"{writer.url}/api/v1/games/arena/scores/", token=token, body={"value": 7})[0] == 201

    assert top_page(reader, "arena", query="period=day&limit=5") == [("racer", 7)]
    assert top_page(reader, "arena", query="period=week") == [("racer", 7)]
    assert top_page(reader, "arena", query="period=month&limit=100") == [("racer", 7)]
    assert before["period=day&limit=5"] == [("racer", 1)]
