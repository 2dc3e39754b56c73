"""Checks a websocket handshake passes before any consumer runs.

- **Host**: it must be one of ALLOWED_HOSTS, exactly as Django requires of
  HTTP requests (a 400 there); a socket for another host is refused.
- **Origin** (cross-site websocket hijacking): a browser always sends
  `Origin`; a handshake whose Origin is neither this server's own host nor
  one of CORS_ALLOWED_ORIGINS is refused, so no other site can open a socket
  that rides the user's cookie. Game clients that send no Origin are allowed
  (they authenticate with `?token=`).

A refused handshake is answered with HTTP 403 and logged as a security event.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host

from config.security_log import log_socket_event


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def handshake_host(scope) -> str:
    """The host a handshake is for: its Host header, else the server's address (as Django does)."""
    host = _header(scope, b"host")
    if host is None and scope.get("server"):
        server_host, server_port = scope["server"][:2]
        host = f"{server_host}:{server_port}" if server_port else server_host
    return host or ""


def host_allowed(host: str) -> bool:
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:  # Django's own default for development
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    domain, _port = split_domain_port(host)
    return bool(domain) and validate_host(domain, allowed)


def origin_allowed(origin: str, host: str) -> bool:
    parts = urlsplit(origin)
    if not parts.scheme or not parts.netloc:
        return False
    if parts.netloc.lower() == host.lower():
        return True
    return f"{parts.scheme}://{parts.netloc}".lower() in {allowed.lower() for allowed in settings.CORS_ALLOWED_ORIGINS}


class HandshakeCheck:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        host = handshake_host(scope)
        if not host_allowed(host):
            log_socket_event("host_refused", scope, host=host[:200])
            return await refuse_handshake(receive, send)
        origin = _header(scope, b"origin")
        if origin is not None and not origin_allowed(origin, host):
            log_socket_event("origin_refused", scope, origin=origin[:200])
            return await refuse_handshake(receive, send)
        return await self.app(scope, receive, send)


async def refuse_handshake(receive, send) -> None:
    """Answer the handshake with HTTP 403 (a close before accepting). Unlike
    Channels' WebsocketDenier, this opens no channel-layer channel."""
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close"})
