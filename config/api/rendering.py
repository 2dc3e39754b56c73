"""The success and error envelopes, camelCase on the way out."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from django.http import HttpResponse, JsonResponse
from djangorestframework_camel_case.settings import api_settings as camel_settings
from djangorestframework_camel_case.util import camelize
from rest_framework.renderers import JSONRenderer

from config.errors import AppError

_CAMELIZE_OPTIONS = camel_settings.JSON_UNDERSCOREIZE


class Envelope(dict):
    """A body that is already the final envelope; the renderer sends it as is."""


def to_camel_case(data: Any) -> Any:
    """Re-case keys to camelCase, leaving `metadata` objects exactly as sent."""
    return camelize(data, **_CAMELIZE_OPTIONS)


def success_envelope(data: Any, meta: dict[str, Any] | None = None) -> Envelope:
    body = Envelope(success=True, data=to_camel_case(data))
    if meta is not None:
        body["meta"] = meta
    return body


def error_envelope(error: AppError) -> Envelope:
    return Envelope(
        success=False,
        error={
            "code": error.code,
            "message": error.message,
            "details": [detail.as_dict() for detail in error.details],
        },
    )


def error_response(error: AppError) -> JsonResponse:
    """The envelope as a plain Django response, for code outside DRF (middleware)."""
    response = JsonResponse(error_envelope(error), status=error.status, json_dumps_params={"separators": (",", ":")})
    for name, value in error.headers().items():
        response[name] = value
    response.podium_envelope = True
    return response


def format_datetime(moment) -> str:
    """ISO 8601 in UTC with microseconds and `Z`, as every timestamp on the wire."""
    # isoformat, not strftime: "%Y" does not pad years before 1000 to four digits.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def wire_json(data: Any) -> str:
    """JSON text as every response spells it: compact, UTF-8 as is."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def envelope_bytes(data: Any, meta: dict[str, Any] | None = None) -> bytes:
    """The success envelope, encoded, for data already in wire form (camelCase).
    Hot read paths build these once and cache the bytes."""
    body = {"success": True, "data": data}
    if meta is not None:
        body["meta"] = meta
    return wire_json(body).encode()


# Stands for a number not known yet where a text is encoded: NUL is in no
# string a response carries (bodies and names refuse it), so its one
# appearance is the hole.
HOLE = "\x00"
_HOLE_JSON = '"\\u0000"'


def around_hole(text: str) -> tuple[str, str]:
    """The JSON text before and after its one HOLE, to be filled later with a number."""
    head, tail = text.split(_HOLE_JSON)
    return head, tail


def envelope_around(data_json: str, meta: dict[str, Any] | None = None) -> bytes:
    """envelope_bytes for data that is already JSON text (Redis wrote it)."""
    tail = "}" if meta is None else ',"meta":' + wire_json(meta) + "}"
    return ('{"success":true,"data":' + data_json + tail).encode()


class EnvelopeRenderer(JSONRenderer):
    """Wraps whatever a view returns in `{"success": true, "data": ...}`."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if not isinstance(data, Envelope):
            data = success_envelope(data)
        return json.dumps(data, cls=self.encoder_class, ensure_ascii=False, separators=(",", ":")).encode()


def json_response(body: bytes, status: int = 200) -> HttpResponse:
    """A response of bytes already encoded (envelope_bytes, or cached ones)."""
    return HttpResponse(body, status=status, content_type="application/json")
