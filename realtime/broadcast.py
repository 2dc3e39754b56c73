"""Broadcasts of accepted scores and top-10 changes, sent by the score
service after its transaction commits (never for a rolled-back score)."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings

from config.api.rendering import HOLE, around_hole
from games.models import Game
from realtime import messages
from realtime.groups import game_group
from realtime.hub import BROADCAST
from realtime.selectors import top_ten
from scores.models import Board

logger = logging.getLogger(__name__)


def score_accepted(
    *, board: Board, score: dict, rank: int, personal_best: bool, previous_best: int | None, top_ten_changed: bool
) -> None:
    """Tell every socket watching the board's game about a new score (`score`
    in wire form, as in the 201) and, when it changed, the board's new top
    10, in that order."""
    game = board.game
    texts = [(messages.score(game.slug, score, rank, personal_best=personal_best, previous_best=previous_best), None)]
    if top_ten_changed:
        texts.append(_top_ten_message(board))
    _send(game, texts)


@dataclass(frozen=True)
class Publication:
    """A score's broadcast for a Lua script that knows its rank: PUBLISH
    to `channel` the channel layer's message (`group`, and the text
    `head` + rank + `tail`), as group_send would."""

    channel: str
    group: str
    head: str
    tail: str


def score_publication(
    *, board: Board, score: dict, personal_best: bool, previous_best: int | None
) -> Publication | None:
    """The `score` broadcast with its rank left open, for the submission's
    own Redis round trip (scores.committed); None when the channel layer is
    not Redis pub/sub (the embedded default), which score_accepted serves."""
    layer = get_channel_layer()
    if not isinstance(layer, RedisPubSubChannelLayer):
        return None
    text = messages.score(board.game.slug, score, HOLE, personal_best=personal_best, previous_best=previous_best)
    head, tail = around_hole(text)
    group = game_group(board.game_id)
    # channels_redis.pubsub names a group's Redis channel so (its
    # _get_group_channel_name); a test sends through it and sees the socket get it.
    channel = f"{settings.CHANNEL_LAYERS['default']['CONFIG']['prefix']}__group__{group}"
    return Publication(channel=channel, group=group, head=head, tail=tail)


def leaderboard_changed(*, board: Board) -> None:
    _send(board.game, [_top_ten_message(board)])


def _top_ten_message(board: Board) -> tuple[str, str]:
    """A board's top 10, for the sockets that watch that board."""
    return messages.leaderboard(board.game.slug, board.key, top_ten(board)), board.key


def _send(game: Game, texts: list[tuple[str, str | None]]) -> None:
    """Send each text to the game's sockets, in order: all of them, or only
    those watching the board named beside it."""
    group = game_group(game.pk)
    layer = get_channel_layer()

    async def send_in_order():
        for text, board_key in texts:
            event = {"type": BROADCAST, "group": group, "text": text}
            if board_key is not None:
                event["board"] = board_key
            await layer.group_send(group, event)

    try:
        if isinstance(layer, InMemoryChannelLayer):
            # Embedded default: one ASGI process, whose own loop holds the layer.
            async_to_sync(send_in_order)()
        else:
            _sender.submit(send_in_order(), game_id=game.pk)
    except Exception:  # a lost broadcast must not fail the request that caused it
        logger.exception("broadcast not sent", extra={"game_id": game.pk})


class _BackgroundLoop:
    """One event loop thread per process for sending to the Redis layer.

    Request threads (WSGI workers, or ASGI's sync threads) hand it their
    broadcasts and go on: the response does not wait for the fan-out, and
    the layer's connections are kept by one loop instead of a new loop and
    connection per broadcast. Broadcasts run one after another, in the order
    they were handed over."""

    def __init__(self):
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue | None = None
        self._pid: int | None = None

    def submit(self, coroutine, *, game_id: int) -> None:
        loop = self._running_loop()
        loop.call_soon_threadsafe(self._queue.put_nowait, (coroutine, game_id))

    async def _send_forever(self) -> None:
        while True:
            coroutine, game_id = await self._queue.get()
            try:
                await coroutine
            except Exception:
                logger.exception("broadcast not sent", extra={"game_id": game_id})

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():  # a forked worker starts its own
                self._loop, self._pid = asyncio.new_event_loop(), os.getpid()
                self._queue = asyncio.Queue()
                self._loop.create_task(self._send_forever())
                threading.Thread(target=self._loop.run_forever, name="podium-broadcast", daemon=True).start()
            return self._loop


_sender = _BackgroundLoop()
