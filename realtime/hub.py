"""One hub per server process: the only member of the channel-layer groups.

A broadcast reaches each process once through the Redis channel layer, as
text encoded once by its sender, and the hub hands that same text to every
local socket of the game. Consumers therefore need no channel of their own,
and a burst of connects costs the layer nothing but the first `group_add`.

The hub also owns the process's presence duties: it joins and leaves
sockets, refreshes all of them in one call per game on a heartbeat (so a
killed process's sockets expire everywhere), and announces player counts,
coalesced: at most one announcement per game and process every
PLAYER_COUNT_COALESCE_SECONDS, always with the latest numbers.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import weakref
from typing import Protocol

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from redis.exceptions import RedisError

from realtime import messages
from realtime.groups import LOBBY_GROUP, game_group
from realtime.presence import NO_LIMIT, PlayerCount, Slot, Update, async_presence
from realtime.selectors import lobby_games

logger = logging.getLogger(__name__)

BROADCAST = "podium.broadcast"
# Sent by a hub to its own channel to end its receiving loop: cancelling a
# channels_redis receive can leave it waiting forever (and the event loop
# with it, at shutdown).
STOP = "podium.stop"
_REDIS_FAILURES = (RedisError, OSError)
STOP_TIMEOUT_SECONDS = 5


class RealtimeUnavailable(Exception):
    """Redis, which holds presence and the channel layer, cannot take a new
    socket now (down, or the circuit breaker is open)."""


class Recipient(Protocol):
    connection_id: str
    board_key: str  # the board whose top 10 the socket is sent

    async def deliver(self, text: str) -> None: ...


class Hub:
    def __init__(self):
        self.layer = get_channel_layer()
        self.channel: str | None = None
        self.sockets: dict[int, dict[str, tuple[Recipient, int | None, Slot]]] = {}
        self.lobby: dict[str, tuple[Recipient, Slot]] = {}
        self.slugs: dict[int, str] = {}
        self.last_count: dict[str, str] = {}
        self.pending: set[int] = set()
        self.inbox: asyncio.Queue[dict] = asyncio.Queue()
        self.tasks: list[asyncio.Task] = []
        self._start_lock = asyncio.Lock()
        self.stopping = False

    # --- sockets ---------------------------------------------------------------

    async def attach(self, socket: Recipient, *, game_id: int, slug: str, user_id: int | None, slot: Slot) -> Update:
        """Count a socket in and route its game's broadcasts to it. Raises
        TooManySockets when its slot's owner is at the cap (nothing counted)."""
        await self._start()
        self.slugs[game_id] = slug
        local = self.sockets.setdefault(game_id, {})
        local[socket.connection_id] = (socket, user_id, slot)
        # The new socket's snapshot may show other numbers than the last
        # announcement: the next one must go out even if it repeats it.
        self.last_count.pop(f"{game_group(game_id)}:{slug}", None)
        try:
            if len(local) == 1:
                await self.layer.group_add(game_group(game_id), self.channel)
            update = await async_presence().join(game_id, socket.connection_id, user_id, slot)
        except BaseException as exc:
            # (The group membership may stay: a process that hears a game's
            # broadcasts with no socket to hand them to drops them.)
            del local[socket.connection_id]
            if not local:
                del self.sockets[game_id]
            if isinstance(exc, _REDIS_FAILURES):
                raise RealtimeUnavailable from exc
            raise
        self.announce_count(game_id)
        return update

    async def detach(self, socket: Recipient, *, game_id: int) -> None:
        local = self.sockets.get(game_id, {})
        held = local.pop(socket.connection_id, None)
        if held is None:
            return
        if not local:
            del self.sockets[game_id]
            await self._quietly(self.layer.group_discard(game_group(game_id), self.channel))
        await self._quietly(async_presence().leave(game_id, socket.connection_id, held[2]))
        self.announce_count(game_id)

    async def attach_lobby(self, socket: Recipient, *, slot: Slot) -> None:
        """Route the lobby's counts to a socket. Raises TooManySockets at the cap."""
        await self._start()
        self.lobby[socket.connection_id] = (socket, slot)  # first: detach_lobby() then undoes the claim
        try:
            await async_presence().claim(slot, socket.connection_id)
        except BaseException as exc:
            del self.lobby[socket.connection_id]
            if isinstance(exc, _REDIS_FAILURES):
                raise RealtimeUnavailable from exc
            raise
        self.last_count = {key: text for key, text in self.last_count.items() if not key.startswith(LOBBY_GROUP)}
        if len(self.lobby) == 1:
            try:
                await self.layer.group_add(LOBBY_GROUP, self.channel)
            except _REDIS_FAILURES as exc:
                await self.detach_lobby(socket)
                raise RealtimeUnavailable from exc

    async def detach_lobby(self, socket: Recipient) -> None:
        held = self.lobby.pop(socket.connection_id, None)
        if held is None:
            return
        if not self.lobby:
            await self._quietly(self.layer.group_discard(LOBBY_GROUP, self.channel))
        await self._quietly(async_presence().release(held[1], socket.connection_id))

    # --- player counts, coalesced --------------------------------------------

    def announce_count(self, game_id: int) -> None:
        """Announce the game's counts soon; a burst of calls makes one announcement."""
        if game_id in self.pending:
            return
        self.pending.add(game_id)
        asyncio.get_running_loop().call_later(
            settings.PLAYER_COUNT_COALESCE_SECONDS, lambda: self._spawn(self._announce(game_id))
        )

    async def _announce(self, game_id: int) -> None:
        self.pending.discard(game_id)
        try:
            count = await async_presence().count(game_id)
            text = messages.player_count(self.slugs[game_id], count)
            for group in (game_group(game_id), LOBBY_GROUP):
                event = {"type": BROADCAST, "group": group, "text": text, "latest_of": f"{group}:{self.slugs[game_id]}"}
                await self.layer.group_send(group, event)
        except Exception:
            logger.exception("player count not announced", extra={"game_id": game_id})

    # --- the process's loops ----------------------------------------------------

    async def _start(self) -> None:
        if self.channel is not None:
            return
        async with self._start_lock:
            if self.channel is None:
                self.channel = await self.layer.new_channel()
                self.tasks = [
                    self._spawn(self._receive_forever()),
                    self._spawn(self._deliver_forever()),
                    self._spawn(self._heartbeat_forever()),
                ]

    def _spawn(self, coroutine) -> asyncio.Task:
        return asyncio.get_running_loop().create_task(coroutine)

    async def _receive_forever(self) -> None:
        failing = False
        while not self.stopping:
            try:
                event = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                # Logged once per outage (the breaker logs Redis' comings
                # and goings); retried every second until it answers.
                if not failing:
                    logger.exception("channel layer receive failed; retrying every second")
                failing = True
                await asyncio.sleep(1)
                continue
            if failing:
                logger.warning("channel layer receiving again")
                failing = False
            if event.get("type") == STOP:
                return
            if event.get("type") == BROADCAST:
                # Hand over at once: a slow fan-out must not leave the
                # layer's channel to fill up (it drops messages when full).
                self.inbox.put_nowait(event)

    async def _deliver_forever(self) -> None:
        while True:
            event = await self.inbox.get()
            try:
                await self._deliver(event)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("broadcast not delivered")

    async def _deliver(self, event: dict) -> None:
        group, text = event["group"], event["text"]
        if latest_of := event.get("latest_of"):
            # Several processes may announce the same numbers: send changes only.
            if self.last_count.get(latest_of) == text:
                return
            self.last_count[latest_of] = text
        if group == LOBBY_GROUP:
            recipients = [socket for socket, _slot in self.lobby.values()]
        else:
            game_id = int(group.rsplit(".", 1)[1])
            recipients = [socket for socket, _user, _slot in self.sockets.get(game_id, {}).values()]
            if (board_key := event.get("board")) is not None:  # one board's top 10: its watchers only
                recipients = [socket for socket in recipients if socket.board_key == board_key]
        for socket in recipients:
            await socket.deliver(text)

    async def _heartbeat_forever(self) -> None:
        interval = settings.PRESENCE_TTL_SECONDS / 3
        while True:
            await asyncio.sleep(interval)
            try:
                await self.heartbeat()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("presence heartbeat failed")

    async def heartbeat(self) -> None:
        """Keep this process's sockets counted, and notice everyone else's that expired."""
        presence = async_presence()
        held: dict[Slot, list[str]] = {}
        for connection, (_socket, slot) in self.lobby.items():
            held.setdefault(slot, []).append(connection)
        for local in self.sockets.values():
            for connection, (_socket, _user, slot) in local.items():
                held.setdefault(slot, []).append(connection)
        # Slots swept while this process stalled (or lost with Redis) are
        # taken again for the sockets still open here, whatever the cap.
        for slot, connections in (await presence.refresh_slots(held)).items():
            for connection in connections:
                if self._holds(connection):
                    await presence.claim(slot, connection, limit=NO_LIMIT)
        for game_id, local in list(self.sockets.items()):
            update = await presence.refresh(game_id, list(local))
            # Swept while this process stalled past the TTL, yet still open here:
            # count them in again (those that left meanwhile are gone from
            # `local`), whatever the cap: they were let in once.
            for connection in update.missing:
                if connection in local:
                    _socket, user_id, slot = local[connection]
                    await presence.join(game_id, connection, user_id, slot, limit=NO_LIMIT)
            await self.layer.group_add(game_group(game_id), self.channel)  # keeps the membership fresh
            if update.swept or update.missing:
                self.announce_count(game_id)
        if self.lobby:
            # Games nobody here watches: their counts change as sockets elsewhere expire.
            await self.layer.group_add(LOBBY_GROUP, self.channel)
            for slug, count in await lobby_counts():
                text = messages.player_count(slug, count)
                await self._deliver({"group": LOBBY_GROUP, "text": text, "latest_of": f"{LOBBY_GROUP}:{slug}"})

    def _holds(self, connection: str) -> bool:
        return connection in self.lobby or any(connection in local for local in self.sockets.values())

    async def stop(self) -> None:
        """End the loops and wait for them, but never forever: a loop stuck
        in a library call must not keep the process from shutting down. The
        receiving loop is asked to end by a message on its own channel
        (cancelled only if that does not reach it); the others are cancelled."""
        receiving, others = self.tasks[:1], self.tasks[1:]
        self.stopping = True
        for task in others:
            task.cancel()
        if receiving:
            try:
                await asyncio.wait_for(self.layer.send(self.channel, {"type": STOP}), timeout=STOP_TIMEOUT_SECONDS)
            except Exception:  # Redis is away: cancelling is all that is left
                receiving[0].cancel()
            _, stuck = await asyncio.wait(receiving, timeout=STOP_TIMEOUT_SECONDS)
            if stuck:
                receiving[0].cancel()
            if hasattr(self.layer, "wait_received"):  # the layer's clean-ups of what was received
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.layer.wait_received(), timeout=STOP_TIMEOUT_SECONDS)
        if self.tasks:
            _, stuck = await asyncio.wait(self.tasks, timeout=STOP_TIMEOUT_SECONDS)
            for task in stuck:
                where = io.StringIO()
                task.print_stack(file=where)
                logger.warning("realtime loop did not stop when cancelled", extra={"stack": where.getvalue()})
        self.tasks = []

    @staticmethod
    async def _quietly(awaitable) -> None:
        try:
            await awaitable
        except Exception:
            logger.exception("realtime cleanup failed")


_hubs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def get_hub() -> Hub:
    """The hub of the running event loop (one per server process)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = Hub()
    return hub


async def stop_hub() -> None:
    hub = _hubs.pop(asyncio.get_running_loop(), None)
    if hub is not None:
        await hub.stop()


async def lobby_counts() -> list[tuple[str, PlayerCount]]:
    presence = async_presence()
    games = await database_sync_to_async(lobby_games)()
    try:
        return [(slug, await presence.count(game_id)) for game_id, slug in games]
    except _REDIS_FAILURES as exc:
        raise RealtimeUnavailable from exc
