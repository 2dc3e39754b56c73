"""DRF's exception handler: every error leaves as the contract's envelope."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import BadRequest as DjangoBadRequest
from django.core.exceptions import (
    DisallowedHost,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django_ratelimit.exceptions import Ratelimited
from djangorestframework_camel_case.util import camelize_re, underscore_to_camel
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.settings import api_settings

from config import errors
from config.api.rendering import error_envelope
from config.security_log import log_security_event

logger = logging.getLogger(__name__)

# Keys below these fields are the client's own and keep their case.
_VERBATIM_FIELDS = {"metadata"}


def _camel(segment: str) -> str:
    return camelize_re.sub(underscore_to_camel, segment) if "_" in segment else segment


def _join(path: list[str]) -> str:
    cased: list[str] = []
    verbatim = False
    for segment in path:
        cased.append(segment if verbatim else _camel(segment))
        verbatim = verbatim or segment in _VERBATIM_FIELDS
    return ".".join(cased)


def field_errors(detail, path: list[str] | None = None) -> list[errors.FieldError]:
    """Flatten DRF's nested error detail into dotted `{field, message}` pairs."""
    path = path or []
    if isinstance(detail, dict):
        found: list[errors.FieldError] = []
        for key, value in detail.items():
            segment = "body" if key == api_settings.NON_FIELD_ERRORS_KEY else str(key)
            found.extend(field_errors(value, [*path, segment]))
        return found
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [errors.FieldError(_join(path) or "body", str(item)) for item in detail]
        found = []
        for index, item in enumerate(detail):
            if item:  # DRF reports list items without errors as empty dicts
                found.extend(field_errors(item, [*path, str(index)]))
        return found
    return [errors.FieldError(_join(path) or "body", str(detail))]


def to_app_error(exc: Exception, request=None) -> errors.AppError | None:
    """The AppError an exception stands for, or None for a real crash."""
    if isinstance(exc, errors.AppError):
        return exc
    if isinstance(exc, Ratelimited):  # a PermissionDenied subclass: first
        return errors.RateLimited(retry_after=60)
    if isinstance(exc, (SuspiciousOperation, DjangoBadRequest)):
        return _malformed(exc)
    if isinstance(exc, drf.ValidationError):
        details = field_errors(exc.detail)
        message = details[0].message if len(details) == 1 else errors.ValidationFailed.message
        return errors.ValidationFailed(message, details=details)
    if isinstance(exc, drf.ParseError):
        return errors.BadRequest(str(exc.detail))
    if isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        return errors.Unauthorized(_auth_message(exc))
    if isinstance(exc, (drf.PermissionDenied, DjangoPermissionDenied)):
        if request is not None:
            log_security_event("permission_denied", request, reason=str(exc))
        return errors.Forbidden(str(getattr(exc, "detail", "")) or None)
    if isinstance(exc, (drf.NotFound, Http404)):
        return errors.NotFound()
    if isinstance(exc, drf.MethodNotAllowed):
        return errors.MethodNotAllowed(str(exc.detail))
    if isinstance(exc, drf.UnsupportedMediaType):
        return errors.UnsupportedMediaType()
    if isinstance(exc, drf.Throttled):
        return errors.RateLimited(retry_after=exc.wait or 60)
    if isinstance(exc, drf.APIException):
        return errors.error_for_status(exc.status_code)
    return None


def _malformed(exc: Exception) -> errors.AppError:
    """Django's refusals of a request it will not read, in the client's terms.
    (Its own messages name settings and internals.)"""
    if isinstance(exc, RequestDataTooBig):
        return errors.PayloadTooLarge()
    if isinstance(exc, TooManyFieldsSent):
        return errors.BadRequest(f"Too many parameters: at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} are read.")
    if isinstance(exc, TooManyFilesSent):
        return errors.BadRequest("Too many files in one request.")
    if isinstance(exc, DisallowedHost):
        return errors.BadRequest("The Host header names a host this server does not serve.")
    return errors.BadRequest()


def _auth_message(exc: drf.APIException) -> str:
    if isinstance(exc, drf.NotAuthenticated):
        return "Authentication credentials were not provided."
    return errors.Unauthorized.message


def handle_exception(exc, context):
    request = context.get("request")
    error = to_app_error(exc, request)
    if error is None:
        return None  # re-raised by DRF, answered by ApiErrorMiddleware as a 500
    response = Response(error_envelope(error), status=error.status, headers=error.headers())
    if auth_header := getattr(exc, "auth_header", None):  # set by APIView for 401s
        response["WWW-Authenticate"] = auth_header
    return response
