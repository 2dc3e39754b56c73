"""ASGI entry point: HTTP to Django, websockets to Channels."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django must be set up before anything imports models (consumers do).
django.setup(set_prefix=False)  # as django.core.asgi.get_asgi_application does

from config.handlers import PodiumASGIHandler  # noqa: E402

django_http = PodiumASGIHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from config.middleware import BODY_TOO_LARGE_SCOPE_KEY  # noqa: E402
from realtime.auth import JWTAuthMiddleware  # noqa: E402
from realtime.handshake import HandshakeCheck  # noqa: E402
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


application = BodyLimit(
    ProtocolTypeRouter(
        {
            "http": django_http,
            "websocket": HandshakeCheck(JWTAuthMiddleware(URLRouter(websocket_urlpatterns))),
        }
    ),
    limit=settings.MAX_BODY_BYTES,
)
