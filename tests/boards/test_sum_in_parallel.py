"""A `sum` board under load (CONTRACT §9): 400 additions from 50 players,
sent in parallel to two server processes, are all accepted and leave every
total equal to the sum recomputed from them, in PostgreSQL, in Redis and in
each period. PostgreSQL only: SQLite serialises writers."""

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from accounts.services import issue_tokens
from scores.boards import create_board
from scores.models import Best, Operator, Score
from tests.e2e.live_servers import call
from tests.factories import GameFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

PLAYERS = 50
SUBMISSIONS = 400
THREADS = 16


def test_parallel_additions_from_two_processes_lose_nothing(servers):
    first, second = servers.start(2, env={"SCORE_RATE": "1000/m"})
    game = GameFactory(slug="kills")
    board = create_board(game=game, key="total", name="Total", operator=Operator.SUM)
    players = UserFactory.create_batch(PLAYERS)
    tokens = {player.pk: issue_tokens(user=player).access for player in players}
    chance = random.Random(20311201)
    plan = [(players[index % PLAYERS], chance.randint(-50, 100)) for index in range(SUBMISSIONS)]
    chance.shuffle(plan)

    def post(numbered):
        index, (player, value) = numbered
        server = (first, second)[index % 2]
        url = f"{server.url}/api/v1/games/kills/boards/total/scores/"
        return call("POST", url, token=tokens[player.pk], body={"value": value})

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        answers = list(pool.map(post, enumerate(plan)))

    assert Counter(status for status, _body in answers) == {201: SUBMISSIONS}
    assert Score.objects.filter(board=board).count() == SUBMISSIONS
    totals = Counter()
    for player, value in plan:
        totals[player.username] += value
    # Unless the run crossed midnight (UTC), every period holds every addition.
    days = {moment.date() for moment in Score.objects.filter(board=board).values_list("created_at", flat=True)}
    for period in ("all", "day", "week", "month") if len(days) == 1 else ("all",):
        stored = dict(Best.objects.filter(board=board, period=period).values_list("user__username", "value"))
        assert stored == dict(totals), period
        for server in (first, second):
            url = f"{server.url}/api/v1/games/kills/boards/total/leaderboard/?limit=100&period={period}"
            status, body = call("GET", url)
            assert status == 200, body
            assert {entry["user"]["username"]: entry["value"] for entry in body["data"]} == dict(totals), period
            ranks = [entry["rank"] for entry in body["data"]]
            assert ranks == list(range(1, PLAYERS + 1))
            values = [entry["value"] for entry in body["data"]]
            assert values == sorted(values, reverse=True)
    # Every 201 said the total after its own addition: each player's last one
    # (by the order PostgreSQL applied them) is the player's whole total.
    previous_and_value = Counter()
    for (player, value), (_status, body) in zip(plan, answers, strict=True):
        previous = body["data"]["previousBest"]
        previous_and_value[(player.username, (previous or 0) + value)] += 1
    for username, total in totals.items():
        assert previous_and_value[(username, total)] >= 1, username
