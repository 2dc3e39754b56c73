"""Project-wide HTTP middleware: request ids, access log, body limits, and the
error envelope for everything under /api/ that DRF does not answer itself."""

from __future__ import annotations

import codecs
import logging
import re
import time
import uuid

from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse
from django.middleware.common import CommonMiddleware as DjangoCommonMiddleware
from django.urls import Resolver404, resolve
from rest_framework.response import Response as DrfResponse

from config import errors
from config.api.exceptions import to_app_error
from config.api.rendering import error_response
from config.logging import current_request_id

API_PREFIX = "/api/"
HEALTH_PATHS = frozenset({"/healthz", "/readyz"})
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
# Set on the ASGI scope by config.asgi.BodyLimit when a body without a
# Content-Length ran past the limit.
BODY_TOO_LARGE_SCOPE_KEY = "podium.body_too_large"

access_logger = logging.getLogger("podium.access")
error_logger = logging.getLogger("podium.errors")


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIX)


def is_site_path(path: str) -> bool:
    """The admin and the HTML pages, which sign in with sessions. The API
    (tokens, or nobody) and the health checks need no session, no messages
    and no Django user: the middleware for those skips them (SiteOnly),
    which is a third of the cost of every API request."""
    return not (path.startswith(API_PREFIX) or path in HEALTH_PATHS)


class RequestIdMiddleware:
    """Echoes a well-formed `X-Request-ID`, or makes one, on every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        request.request_id = request_id
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


class AccessLogMiddleware:
    """One JSON line per request: method, path, status, duration."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        access_logger.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
        return response


class BodyLimitMiddleware:
    """Refuses bodies over 64 KiB, on every path, before anything reads them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if not declared.isdigit():
            return error_response(errors.BadRequest("Content-Length must be a number of bytes."))
        too_large = int(declared) > settings.MAX_BODY_BYTES
        if too_large or getattr(request, "scope", {}).get(BODY_TOO_LARGE_SCOPE_KEY):
            return error_response(errors.PayloadTooLarge())
        return self.get_response(request)


class ContentTypeMiddleware:
    """What a request's Content-Type may say.

    Under /api/ a body must be `application/json` (415 otherwise). Every body
    is UTF-8 (RFC 8259 for JSON; browsers send forms so): Podium's requests
    (config.handlers) are read as UTF-8 whatever charset a client names, and
    a body in any other charset (`rot13` or `zlib`, which are not text, UTF-7,
    which yields code points no database stores, Latin-1…) is a 415 here. A
    request without a body has nothing to decode: a charset it names is ignored.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _has_body(request):
            return self.get_response(request)
        api = is_api_path(request.path)
        if getattr(request, "content_type_unreadable", False):
            return _unsupported("The Content-Type header cannot be read.", api=api)
        if api and request.content_type != "application/json":
            return error_response(errors.UnsupportedMediaType())
        charset = request.content_params.get("charset")
        if charset is not None and canonical_charset(charset) != "utf-8":
            return _unsupported(
                f'Bodies are read as UTF-8 only, not "{charset[:40]}"; send UTF-8 (or no charset).', api=api
            )
        return self.get_response(request)


def _unsupported(message: str, *, api: bool):
    if api:
        return error_response(errors.UnsupportedMediaType(message))
    return HttpResponse(message, status=415, content_type="text/plain; charset=utf-8")


def canonical_charset(name: str) -> str | None:
    """Python's name for a charset (`UTF8` → `utf-8`), or None for no codec at all."""
    try:
        return codecs.lookup(name).name
    except (LookupError, TypeError, ValueError):
        return None


def _has_body(request) -> bool:
    length = request.META.get("CONTENT_LENGTH") or "0"
    return (length.isdigit() and int(length) > 0) or "chunked" in request.headers.get("Transfer-Encoding", "")


class ApiErrorMiddleware:
    """Makes every error under /api/ speak the envelope, whoever raised it.

    DRF views answer their own errors through `handle_exception`; this catches
    the rest: Django's 404 for unknown URLs, 405s, a database outage (503)
    and crashes (500, logged with the stack, never shown to the client).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            is_api_path(request.path)
            and response.status_code >= 400
            and not getattr(response, "podium_envelope", False)
            and not isinstance(response, DrfResponse)
        ):
            replacement = error_response(_api_error_for(request, response.status_code))
            if allow := response.get("Allow"):
                replacement["Allow"] = allow
            return replacement
        return response

    def process_exception(self, request, exception):
        if not is_api_path(request.path):
            return None
        if isinstance(exception, (OperationalError, InterfaceError)) or _is_pool_timeout(exception):
            error_logger.error("database unavailable", exc_info=exception)
            return error_response(errors.ServiceUnavailable())
        error = to_app_error(exception, request)
        if error is None or isinstance(exception, DatabaseError):
            error_logger.error("unhandled exception", exc_info=exception)
            error = errors.AppError()
        return error_response(error)


def _api_error_for(request, status: int) -> errors.AppError:
    """The envelope's error for a status Django answered; a 404 whose path
    would exist with a trailing slash says so (still a 404: a redirect would
    turn a POST into a GET)."""
    if status == 404 and not request.path_info.endswith("/"):
        try:
            resolve(request.path_info + "/")
        except Resolver404:
            pass
        else:
            return errors.NotFound(f"No such resource. Did you mean {request.path}/ (with the trailing slash)?")
    return errors.error_for_status(status)


def _is_pool_timeout(exception: BaseException) -> bool:
    try:
        from psycopg_pool import PoolTimeout
    except ImportError:  # pragma: no cover - psycopg is in requirements
        return False
    return isinstance(exception, PoolTimeout)


class CommonMiddleware(DjangoCommonMiddleware):
    """Django's, without the APPEND_SLASH redirect under /api/: a redirect
    would turn a POST into a GET, so a missing slash there is a plain 404."""

    def should_redirect_with_slash(self, request):
        return not is_api_path(request.path_info) and super().should_redirect_with_slash(request)


class SiteOnly:
    """Runs a middleware for the site's paths only (is_site_path)."""

    def __call__(self, request):
        if not is_site_path(request.path_info):
            return self.get_response(request)
        return super().__call__(request)


class SessionMiddleware(SiteOnly, DjangoSessionMiddleware):
    pass


class AuthenticationMiddleware(SiteOnly, DjangoAuthenticationMiddleware):
    pass


class MessageMiddleware(SiteOnly, DjangoMessageMiddleware):
    pass
