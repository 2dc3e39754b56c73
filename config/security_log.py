"""Security events, logged on their own logger so operators can route them.

Each event is one JSON log line with `event` naming what happened (for
example `login_failed`, `rate_limited`, `permission_denied`,
`token_rejected`) and the client address, never a password or a token.
"""

import logging

from django.conf import settings
from django.http import HttpRequest

logger = logging.getLogger("podium.security")


def client_ip(request: HttpRequest) -> str:
    """The client's address: the socket's peer, or, when that peer is a
    trusted reverse proxy (TRUSTED_PROXIES), the address it names."""
    peer = request.META.get("REMOTE_ADDR") or "-"
    if peer in settings.TRUSTED_PROXIES:
        return request.META.get("HTTP_X_REAL_IP") or peer
    return peer


def log_security_event(event: str, request: HttpRequest | None = None, **fields: object) -> None:
    extra: dict[str, object] = {"event": event, **fields}
    if request is not None:
        extra.setdefault("ip", client_ip(request))
        extra.setdefault("path", request.path)
        extra.setdefault("method", request.method)
    logger.warning(event, extra=extra)
