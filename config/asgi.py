"""ASGI entry point: HTTP to Django, websockets to Channels."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django must be set up before anything imports models (consumers do).
django.setup(set_prefix=False)  # as django.core.asgi.get_asgi_application does

from config.handlers import PodiumASGIHandler  # noqa: E402
from config.startup import warn_if_development_key, welcome_text  # noqa: E402

django_http = PodiumASGIHandler()
warn_if_development_key()

from asgiref.sync import sync_to_async  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from config.middleware import BODY_TOO_LARGE_SCOPE_KEY  # noqa: E402
from realtime.auth import JWTAuthMiddleware  # noqa: E402
from realtime.handshake import HandshakeCheck  # noqa: E402
from realtime.hub import stop_hub  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402


class BodyLimit:
    """Caps request bodies that arrive without a Content-Length (chunked).

    Django's ASGI handler would read such a body whole, whatever its size,
    and DRF would then ignore it for want of a Content-Length. This reads at
    most one byte past the limit: a body within it is handed on whole with
    its length declared; a larger one is flagged so that Django's
    BodyLimitMiddleware answers 413 like every other response. Bodies with
    a Content-Length go straight through to that middleware.
    """

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or any(name == b"content-length" for name, _ in scope["headers"]):
            return await self.app(scope, receive, send)
        chunks, size, more = [], 0, True
        while more and size <= self.limit:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
        if size > self.limit:
            scope = {**scope, BODY_TOO_LARGE_SCOPE_KEY: True}
            chunks = []
        else:
            scope = {**scope, "headers": [*scope["headers"], (b"content-length", str(size).encode())]}
        replay = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replayed_receive():
            if replay:
                return replay.pop()
            while True:  # after the body only a disconnect may reach Django
                message = await receive()
                if message["type"] != "http.request":
                    return message

        return await self.app(scope, replayed_receive, send)


async def lifespan(scope, receive, send):
    """The server's start and stop (ASGI lifespan): the welcome block of
    `make run` once it starts, and the realtime hub of the server's event
    loop stopped cleanly when it stops."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if settings.PODIUM_WELCOME:  # plain text for a person, not a log line
                print(await sync_to_async(welcome_text)(settings.PODIUM_BASE_URL), flush=True)
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await stop_hub()
            await send({"type": "lifespan.shutdown.complete"})
            return


application = BodyLimit(
    ProtocolTypeRouter(
        {
            "lifespan": lifespan,
            "http": django_http,
            "websocket": HandshakeCheck(JWTAuthMiddleware(URLRouter(websocket_urlpatterns))),
        }
    ),
    limit=settings.MAX_BODY_BYTES,
)
