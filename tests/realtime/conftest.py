"""Websocket tests talk to the real ASGI application (config.asgi) with
Channels' WebsocketCommunicator; with REDIS_URL set, through the real Redis
channel layer and presence."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.db import connections

from accounts.services import issue_tokens
from config.asgi import application
from realtime.hub import stop_hub

TIMEOUT = 5


@pytest.fixture(autouse=True)
async def _fresh_realtime_state():
    # Each test runs on its own event loop: give it its own layer and hub.
    channel_layers.backends.clear()
    yield
    await stop_hub()
    channel_layers.backends.clear()
    # The thread that ran this test's sync work keeps its connection checked out.
    await sync_to_async(connections.close_all)()


class Socket:
    """A websocket client of the test, with the reads tests need."""

    def __init__(self, communicator: WebsocketCommunicator):
        self.communicator = communicator

    async def receive(self, timeout: float = TIMEOUT) -> dict:
        return json.loads(await self.communicator.receive_from(timeout=timeout))

    async def receive_type(self, kind: str, timeout: float = TIMEOUT, where=lambda message: True) -> dict:
        """The next message of `kind` that satisfies `where`, skipping others."""
        while True:
            message = await self.receive(timeout)
            if message["type"] == kind and where(message):
                return message

    async def send(self, text: str) -> None:
        await self.communicator.send_to(text_data=text)

    async def closed_with(self, timeout: float = TIMEOUT) -> int:
        output = await self.communicator.receive_output(timeout=timeout)
        assert output["type"] == "websocket.close", output
        return output.get("code")

    async def nothing_more(self, timeout: float = 0.6) -> bool:
        return await self.communicator.receive_nothing(timeout=timeout)

    async def drain(self, quiet: float = 0.6) -> list[dict]:
        """Every message until none has come for `quiet` seconds."""
        messages = []
        while not await self.nothing_more(timeout=quiet):
            messages.append(await self.receive())
        return messages

    async def close(self) -> None:
        await self.communicator.disconnect()


# The client address of the test's sockets, unless a test names another.
CLIENT = ("127.0.0.1", 50000)


async def open_socket(
    path: str, *, user=None, token: str | None = None, headers=None, client=CLIENT
) -> tuple[bool, Socket]:
    if user is not None:
        token = (await sync_to_async(issue_tokens)(user=user)).access
    if token is not None:
        path = f"{path}{'&' if '?' in path else '?'}token={token}"
    headers = list(headers or [])
    if not any(name == b"host" for name, _value in headers):
        headers.insert(0, (b"host", b"testserver"))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    communicator.scope["client"] = client
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    return connected, Socket(communicator)


async def watch(game, board: str | None = None, **kwargs) -> tuple[Socket, dict]:
    """A socket on the game's channel (watching `board`'s top 10) and its snapshot."""
    query = f"?board={board}" if board is not None else ""
    connected, socket = await open_socket(f"/ws/games/{game.slug}/{query}", **kwargs)
    assert connected
    return socket, await socket.receive_type("snapshot")
