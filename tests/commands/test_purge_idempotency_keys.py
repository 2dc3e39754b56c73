from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command

from scores.models import IdempotencyRecord
from tests.conftest import bearer_client
from tests.factories import GameFactory, UserFactory

pytestmark = pytest.mark.django_db


def submit(client, game, key, value=1):
    return client.post(f"/api/v1/games/{game.slug}/scores/", {"value": value}, HTTP_IDEMPOTENCY_KEY=key)


def test_records_older_than_a_day_are_purged_and_younger_ones_kept():
    game, player = GameFactory(), UserFactory()
    with time_machine.travel(timedelta(hours=-25)):
        submit(bearer_client(player), game, "old")
    submit(bearer_client(player), game, "fresh")

    call_command("purge_idempotency_keys")

    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]


def test_a_key_reused_after_its_window_makes_a_new_score():
    game, player = GameFactory(), UserFactory()
    with time_machine.travel(timedelta(hours=-25)):
        first = submit(bearer_client(player), game, "again", value=1).json()["data"]

    second = submit(bearer_client(player), game, "again", value=1)

    assert second.status_code == 201
    assert second.json()["data"]["score"]["id"] != first["score"]["id"]


def test_the_window_must_be_positive():
    with pytest.raises(CommandError):
        call_command("purge_idempotency_keys", "--hours", "0")
