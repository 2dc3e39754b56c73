"""Websocket consumers: thin, like views. Presence and broadcasts are the
hub's; ORM reads go through selectors in database_sync_to_async."""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from config.errors import NotFound
from config.security_log import log_socket_event, socket_client_address
from games.selectors import game_by_slug
from realtime import messages
from realtime.hub import RealtimeUnavailable, get_hub, lobby_counts
from realtime.presence import TooManySockets, socket_slot
from realtime.selectors import top_ten
from scores.boards import board_by_key
from scores.models import DEFAULT_BOARD

CLOSE_UNAUTHORIZED = 4401
CLOSE_NOT_FOUND = 4404
# The client already holds as many sockets as WS_MAX_PER_USER / WS_MAX_PER_ADDRESS allow.
CLOSE_TOO_MANY = 4429
CLOSE_POLICY = 1008
# Redis (presence, channel layer) cannot take the socket now; clients retry.
CLOSE_TRY_AGAIN_LATER = 1013

MAX_MESSAGE_CHARS = 4096
# Client messages: a burst of 20, then 10 a second; past that each is refused
# with an error, and a client that keeps going is disconnected.
RATE_BURST, RATE_PER_SECOND, REFUSALS_BEFORE_CLOSE = 20, 10, 50


class ClientMessages:
    """Token bucket over one socket's incoming messages."""

    def __init__(self):
        self.tokens = float(RATE_BURST)
        self.checked = time.monotonic()
        self.refused = 0

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(RATE_BURST, self.tokens + (now - self.checked) * RATE_PER_SECOND)
        self.checked = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        self.refused += 1
        return False


class PodiumConsumer(AsyncWebsocketConsumer):
    # The per-process hub holds the channel-layer membership; a socket needs
    # no channel of its own (see realtime.hub).
    channel_layer_alias = None
    board_key = DEFAULT_BOARD

    async def __call__(self, scope, receive, send):
        self.connection_id = uuid.uuid4().hex
        self.budget = ClientMessages()
        self.backlog: list[str] = []
        try:
            await super().__call__(scope, receive, send)
        finally:
            # However the socket ended (even without a disconnect event),
            # it stops counting. Leaving twice is harmless.
            await self.leave()

    async def leave(self) -> None:
        """Undo what connect() joined."""

    # A client that went away makes sends fail (uvicorn's ClientDisconnected);
    # that must not end the consumer before its clean-up runs.
    async def send(self, text_data=None, bytes_data=None, close=False):
        with contextlib.suppress(OSError):
            await super().send(text_data=text_data, bytes_data=bytes_data, close=close)

    async def close(self, code=None, reason=None):
        with contextlib.suppress(OSError):
            await super().close(code=code, reason=reason)

    async def disconnect(self, code):
        await self.leave()

    def slot(self, game_id: int | None):
        user = self.scope["user"]
        return socket_slot(
            user_id=user.pk if user.is_authenticated else None,
            address=socket_client_address(self.scope),
            game_id=game_id,
        )

    async def refuse_too_many(self) -> None:
        log_socket_event("socket_cap_reached", self.scope)
        await self.close(CLOSE_TOO_MANY)

    ready = False
    BACKLOG_MAX = 200

    async def deliver(self, text: str) -> None:
        """Called by the hub for each broadcast to this socket. Until the
        socket's snapshot is out, broadcasts wait: nothing overtakes it."""
        if self.ready:
            await self.send(text_data=text)
        elif len(self.backlog) < self.BACKLOG_MAX:
            self.backlog.append(text)

    async def start_deliveries(self) -> None:
        self.ready = True
        backlog, self.backlog = self.backlog, []
        for text in backlog:
            await self.send(text_data=text)

    async def receive(self, text_data=None, bytes_data=None):
        if not self.budget.allow():
            if self.budget.refused > REFUSALS_BEFORE_CLOSE:
                await self.close(CLOSE_POLICY)
                return
            await self.send(text_data=messages.error("RATE_LIMITED", "Too many messages; slow down."))
            return
        if text_data is None or len(text_data) > MAX_MESSAGE_CHARS:
            await self.send(
                text_data=messages.error(
                    "BAD_MESSAGE", f"Messages are JSON text of at most {MAX_MESSAGE_CHARS} characters."
                )
            )
            return
        try:
            message = json.loads(text_data)
        except (ValueError, RecursionError):
            await self.send(text_data=messages.error("BAD_MESSAGE", "Messages must be JSON objects."))
            return
        if not isinstance(message, dict):
            await self.send(text_data=messages.error("BAD_MESSAGE", "Messages must be JSON objects."))
        elif message.get("type") == "ping":
            await self.send(text_data=messages.PONG)
        else:
            await self.send(text_data=messages.error("UNKNOWN_TYPE", 'The only client message is {"type": "ping"}.'))


class GameConsumer(PodiumConsumer):
    """`ws/games/{slug}/`: the game's live counts, scores and top 10."""

    game = None

    async def connect(self):
        await self.accept()
        if self.scope.get("auth_failed"):
            await self.close(CLOSE_UNAUTHORIZED)
            return
        try:
            game, board = await database_sync_to_async(_game_and_board)(
                self.scope["url_route"]["kwargs"]["slug"], _board_key(self.scope)
            )
        except NotFound:
            await self.close(CLOSE_NOT_FOUND)
            return
        self.board_key = board.key
        user = self.scope["user"]
        self.game = game  # from here on, leave() undoes whatever attach() did
        try:
            update = await get_hub().attach(
                self,
                game_id=game.pk,
                slug=game.slug,
                user_id=user.pk if user.is_authenticated else None,
                slot=self.slot(game.pk),
            )
        except TooManySockets:
            await self.refuse_too_many()
            return
        except RealtimeUnavailable:
            await self.close(CLOSE_TRY_AGAIN_LATER)
            return
        leaderboard = await database_sync_to_async(top_ten)(board)
        await self.send(text_data=messages.snapshot(game.slug, update.count, leaderboard))
        await self.start_deliveries()
        # Counts announced while the snapshot was being made may be newer
        # than it: make sure one more announcement follows it.
        get_hub().announce_count(game.pk)

    async def leave(self) -> None:
        if self.game is not None:
            await get_hub().detach(self, game_id=self.game.pk)


def _board_key(scope) -> str:
    """`?board=KEY`: the board whose top 10 the socket is sent (`default`)."""
    keys = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("board")
    return keys[-1] if keys else DEFAULT_BOARD


def _game_and_board(slug: str, key: str):
    """The game and its board, or NotFound for unknown and archived ones."""
    game = game_by_slug(slug)
    return game, board_by_key(game, key)


class LobbyConsumer(PodiumConsumer):
    """`ws/lobby/`: every listed game's player count, for the games page.
    A lobby socket watches no game, so it counts nowhere."""

    attached = False

    async def connect(self):
        await self.accept()
        self.attached = True  # from here on, leave() undoes whatever attach_lobby() did
        try:
            await get_hub().attach_lobby(self, slot=self.slot(None))
            counts = await lobby_counts()
        except TooManySockets:
            await self.refuse_too_many()
            return
        except RealtimeUnavailable:
            await self.close(CLOSE_TRY_AGAIN_LATER)
            return
        await self.send(text_data=messages.lobby_snapshot(counts))
        await self.start_deliveries()

    async def leave(self) -> None:
        if self.attached:
            await get_hub().detach_lobby(self)


class NoSuchPathConsumer(PodiumConsumer):
    async def connect(self):
        await self.accept()
        await self.close(CLOSE_NOT_FOUND)
