"""Security events, logged on their own logger so operators can route them.

Each event is one JSON log line with `event` naming what happened (for
example `login_failed`, `rate_limited`, `permission_denied`,
`token_rejected`) and the client address, never a password or a token.
"""

import ipaddress
import logging

from django.conf import settings
from django.http import HttpRequest

logger = logging.getLogger("podium.security")


def client_address(peer: str | None, named_by_proxy: str | None) -> str:
    """The client's address: the socket's peer, or, when that peer is a
    trusted reverse proxy (TRUSTED_PROXIES), the address it names in
    X-Real-IP. Nothing else a client sends (X-Forwarded-For, Forwarded) is
    believed: the servers are started without proxy-header handling, so the
    peer is the real one. The same rule for HTTP and websockets."""
    peer = peer or "-"
    if peer in settings.TRUSTED_PROXIES and named_by_proxy:
        return named_by_proxy.strip()[:64]
    return peer


def client_network(address: str) -> str:
    """What limits count per client address: the address itself for IPv4,
    its /64 for IPv6 (one subscriber's whole allocation, which a client can
    otherwise walk through one address at a time)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def client_ip(request: HttpRequest) -> str:
    return client_address(request.META.get("REMOTE_ADDR"), request.META.get("HTTP_X_REAL_IP"))


def client_limit_key(request: HttpRequest) -> str:
    """The key the per-address rate limits count a request under."""
    return client_network(client_ip(request))


def socket_client_address(scope) -> str:
    """client_address for a websocket's ASGI scope."""
    peer = (scope.get("client") or ("-", 0))[0]
    named = next((value.decode("latin-1") for name, value in scope.get("headers", ()) if name == b"x-real-ip"), None)
    return client_address(peer, named)


def log_security_event(event: str, request: HttpRequest | None = None, **fields: object) -> None:
    extra: dict[str, object] = {"event": event, **fields}
    if request is not None:
        extra.setdefault("ip", client_ip(request))
        extra.setdefault("path", request.path)
        extra.setdefault("method", request.method)
    logger.warning(event, extra=extra)


def log_socket_event(event: str, scope, **fields: object) -> None:
    """log_security_event for a websocket, from its ASGI scope."""
    logger.warning(event, extra={"event": event, "ip": socket_client_address(scope), "path": scope["path"], **fields})
