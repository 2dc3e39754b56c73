"""Broadcasts of accepted scores and top-10 changes, sent by the score
service after its transaction commits (never for a rolled-back score)."""

from __future__ import annotations

import asyncio
import logging
import os
import threading

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

from games.models import Game
from realtime import messages
from realtime.groups import game_group
from realtime.hub import BROADCAST
from realtime.selectors import top_ten

logger = logging.getLogger(__name__)


def score_accepted(*, game: Game, score: dict, rank: int, top_ten_changed: bool) -> None:
    """Tell every socket watching `game` about a new score (`score` in wire
    form, as in the 201) and, when it changed, the new top 10."""
    _send(game, messages.score(game.slug, score, rank))
    if top_ten_changed:
        leaderboard_changed(game=game)


def leaderboard_changed(*, game: Game) -> None:
    _send(game, messages.leaderboard(game.slug, top_ten(game)))


def _send(game: Game, text: str) -> None:
    group = game_group(game.pk)
    event = {"type": BROADCAST, "group": group, "text": text}
    layer = get_channel_layer()
    try:
        if isinstance(layer, InMemoryChannelLayer):
            # Embedded default: one ASGI process, whose own loop holds the layer.
            async_to_sync(layer.group_send)(group, event)
        else:
            _sender.send(layer.group_send(group, event))
    except Exception:  # a lost broadcast must not fail the request that caused it
        logger.exception("broadcast not sent", extra={"game_id": game.pk})


class _BackgroundLoop:
    """One event loop thread per process for sending to the Redis layer.

    Request threads (WSGI workers, or ASGI's sync threads) hand it their
    group_send and wait for it: one Redis round trip on a connection the loop
    keeps, instead of a new event loop and connection per broadcast."""

    SEND_TIMEOUT = 2.0

    def __init__(self):
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid: int | None = None

    def send(self, coroutine) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._running_loop()).result(timeout=self.SEND_TIMEOUT)

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():  # a forked worker starts its own
                self._loop, self._pid = asyncio.new_event_loop(), os.getpid()
                threading.Thread(target=self._loop.run_forever, name="podium-broadcast", daemon=True).start()
            return self._loop


_sender = _BackgroundLoop()
