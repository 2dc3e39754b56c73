"""Broadcasts of accepted scores and top-10 changes, sent by the score
service after its transaction commits (never for a rolled-back score)."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from config.api.rendering import to_camel_case
from games.models import Game
from realtime import messages
from realtime.groups import game_group
from realtime.hub import BROADCAST
from realtime.selectors import top_ten

logger = logging.getLogger(__name__)


def score_accepted(*, game: Game, score: dict, rank: int, top_ten_changed: bool) -> None:
    """Tell every socket watching `game` about a new score (and the new top 10)."""
    _send(game, messages.score(game.slug, to_camel_case(score), rank))
    if top_ten_changed:
        leaderboard_changed(game=game)


def leaderboard_changed(*, game: Game) -> None:
    _send(game, messages.leaderboard(game.slug, top_ten(game)))


def _send(game: Game, text: str) -> None:
    group = game_group(game.pk)
    try:
        async_to_sync(get_channel_layer().group_send)(group, {"type": BROADCAST, "group": group, "text": text})
    except Exception:  # a lost broadcast must not fail the request that caused it
        logger.exception("broadcast not sent", extra={"game_id": game.pk})
