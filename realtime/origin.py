"""Refuses cross-site websocket handshakes (CSWSH).

A browser always sends `Origin`; a handshake whose Origin is neither this
server's own host nor one of CORS_ALLOWED_ORIGINS is refused, so no other
site can open a socket that rides the user's cookie. Game clients that send
no Origin are allowed (they authenticate with `?token=`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

from config.security_log import logger as security_logger


def origin_allowed(origin: str, host: str) -> bool:
    parts = urlsplit(origin)
    if not parts.scheme or not parts.netloc:
        return False
    if parts.netloc.lower() == host.lower():
        return True
    return f"{parts.scheme}://{parts.netloc}".lower() in {allowed.lower() for allowed in settings.CORS_ALLOWED_ORIGINS}


class OriginCheck:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        headers = dict(scope.get("headers", []))
        origin = headers.get(b"origin")
        if origin is not None:
            host = headers.get(b"host", b"").decode("latin-1")
            if not origin_allowed(origin.decode("latin-1"), host):
                security_logger.warning(
                    "origin_refused",
                    extra={"event": "origin_refused", "origin": origin.decode("latin-1")[:200], "path": scope["path"]},
                )
                return await refuse_handshake(receive, send)
        return await self.app(scope, receive, send)


async def refuse_handshake(receive, send) -> None:
    """Answer the handshake with HTTP 403 (a close before accepting). Unlike
    Channels' WebsocketDenier, this opens no channel-layer channel."""
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close"})
