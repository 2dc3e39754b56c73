"""The one error hierarchy of Podium.

Services raise these; `config.api.exceptions.handle_exception` (inside DRF)
and `config.middleware.ApiErrorMiddleware` (outside it) turn each into the
contract's error envelope, `{"success": false, "error": {code, message,
details}}`, with the status code the class names. No view builds an error
body by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One entry of `error.details`: a dotted field path and what is wrong."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class AppError(Exception):
    status: int = 500
    code: str = "INTERNAL_ERROR"
    message: str = "Something went wrong on our side."

    def __init__(self, message: str | None = None, *, details: Iterable[FieldError] = ()):
        self.message = message or self.message
        self.details = list(details)
        super().__init__(self.message)

    @classmethod
    def for_field(cls, field: str, message: str) -> AppError:
        """An error about one field, its message repeated in `details`."""
        return cls(message, details=[FieldError(field, message)])

    def headers(self) -> dict[str, str]:
        return {}


class ValidationFailed(AppError):
    status = 400
    code = "VALIDATION_ERROR"
    message = "The request has invalid fields."


class BadRequest(AppError):
    status = 400
    code = "BAD_REQUEST"
    message = "The request is malformed."


class Unauthorized(AppError):
    status = 401
    code = "UNAUTHORIZED"
    message = "Authentication credentials were missing, invalid or expired."

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="api"'}  # the scheme to sign in with (RFC 9110)


class Forbidden(AppError):
    status = 403
    code = "FORBIDDEN"
    message = "You are not allowed to do this."


class NotFound(AppError):
    status = 404
    code = "NOT_FOUND"
    message = "No such resource."


class MethodNotAllowed(AppError):
    status = 405
    code = "METHOD_NOT_ALLOWED"
    message = "This method is not allowed here."


class Conflict(AppError):
    status = 409
    code = "CONFLICT"
    message = "The request conflicts with the current state."


class PayloadTooLarge(AppError):
    status = 413
    code = "PAYLOAD_TOO_LARGE"
    message = "The request body is larger than 64 KiB."


class UnsupportedMediaType(AppError):
    status = 415
    code = "UNSUPPORTED_MEDIA_TYPE"
    message = "Request bodies must be application/json."


class RateLimited(AppError):
    status = 429
    code = "RATE_LIMITED"
    message = "Too many requests; retry later."

    def __init__(self, message: str | None = None, *, retry_after: int):
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class ServiceUnavailable(AppError):
    status = 503
    code = "SERVICE_UNAVAILABLE"
    message = "A service Podium depends on is unavailable; retry shortly."


# Errors Podium answers for a status code it did not raise itself (Django's
# own 404s and 405s, a crash), so every path under /api/ speaks the envelope.
ERROR_FOR_STATUS: dict[int, type[AppError]] = {
    cls.status: cls
    for cls in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        Conflict,
        PayloadTooLarge,
        UnsupportedMediaType,
        ServiceUnavailable,
        AppError,
    )
}


def error_for_status(status: int) -> AppError:
    if status == 429:
        return RateLimited(retry_after=60)
    return ERROR_FOR_STATUS.get(status, AppError)()
