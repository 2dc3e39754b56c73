"""CONTRACT §5 and §6 under load: 200 submissions from 50 players, sent in
parallel, are every one accepted and stored, and leave the board equal to the
ranking recomputed from them. PostgreSQL only: SQLite serialises writers."""

import random
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.services import issue_tokens
from scores.models import Score
from tests.conftest import clear_redis_state
from tests.factories import GameFactory, UserFactory
from tests.leaderboards.playing import Accepted, as_read, board, expected_entries, scores_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PLAYERS = 50
SUBMISSIONS = 200
WORKERS = 16


@pytest.fixture
def stampede(settings):
    """Send the 200 submissions from 16 threads, each request on its own
    client and each thread on its own database connection; returns the game
    and the (status, body) of every response."""
    settings.SCORE_RATE = "1000/m"
    game = GameFactory(score_order="desc")
    players = UserFactory.create_batch(PLAYERS)
    tokens = {player.pk: issue_tokens(user=player).access for player in players}
    chance = random.Random(20310305)
    plan = [(players[index % PLAYERS], chance.randint(0, 60)) for index in range(SUBMISSIONS)]
    chance.shuffle(plan)
    # One request handler for every thread, as a threaded WSGI server has:
    # each handler loads the middleware (WhiteNoise scans every static file)
    # once, which would otherwise cost more than the requests themselves.
    handler = APIClient().handler
    handler.load_middleware()

    def post(item):
        player, value = item
        try:
            client = APIClient()
            client.handler = handler
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens[player.pk]}")
            response = client.post(scores_url(game), {"value": value}, format="json")
            return response.status_code, response.json()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        responses = list(pool.map(post, plan))
    return game, responses


def test_every_parallel_submission_is_accepted(stampede):
    _game, responses = stampede

    assert [status for status, _body in responses] == [201] * SUBMISSIONS


def test_every_parallel_submission_is_stored(stampede):
    game, _responses = stampede

    assert Score.objects.filter(game=game).count() == SUBMISSIONS


def test_parallel_submissions_leave_the_board_equal_to_the_recomputed_ranking(stampede):
    game, responses = stampede
    accepted = [Accepted.from_201(body["data"]) for _status, body in responses]

    assert as_read(board(game)) == expected_entries(accepted, order="desc")


def test_the_board_rebuilt_from_the_database_after_parallel_submissions_equals_the_recomputed_ranking(stampede):
    game, responses = stampede
    accepted = [Accepted.from_201(body["data"]) for _status, body in responses]

    clear_redis_state()  # every board and cached page: the next read starts from PostgreSQL

    assert as_read(board(game)) == expected_entries(accepted, order="desc")
