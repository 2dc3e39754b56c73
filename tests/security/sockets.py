"""Websocket tests of the security suite talk to the real ASGI application
through tests/realtime's helpers. That package's autouse fixture does not
reach here, so each module that opens sockets wraps its tests in
`isolated_realtime()`, which does the same set-up and tear-down."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from django.db import connections

from realtime.hub import stop_hub


@asynccontextmanager
async def isolated_realtime() -> AsyncIterator[None]:
    # Each test runs on its own event loop: give it its own layer and hub.
    channel_layers.backends.clear()
    try:
        yield
    finally:
        await stop_hub()
        channel_layers.backends.clear()
        # The thread that ran the test's sync work keeps its connection checked out.
        await sync_to_async(connections.close_all)()
