"""Request bodies: one JSON object in UTF-8, camelCase keys re-cased to snake_case.

Every refusal says what was wrong in the client's terms (where the JSON
broke, which byte was not UTF-8), never in Python's.
"""

import json
import math

from djangorestframework_camel_case.settings import api_settings as camel_settings
from djangorestframework_camel_case.util import underscoreize
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.fields import SkipField
from rest_framework.parsers import BaseParser

from config.errors import BadRequest

# Python refuses to convert integers longer than this (sys.int_info); no
# client value comes close (values and subscores are within ±2^53).
MAX_NUMBER_DIGITS = 4300


class _Refused(ValueError):
    """A body that is JSON to Python but not to the contract."""


def _refuse_constant(name: str):
    raise _Refused(f"{name} is not a JSON number.")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _Refused(f"the number {text[:20]} is too large.")
    return number


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise _Refused(f"a number has more than {MAX_NUMBER_DIGITS} digits.")
    return int(text)


def _refuse_lone_surrogates(data) -> None:
    """Strings are text: an unpaired surrogate (say `\\uD800` alone) is not,
    and no database stores it. Checked on the decoded strings, however the
    body spelt them."""
    try:
        json.dumps(data, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise _Refused("a string holds an unpaired surrogate (\\uD800 to \\uDFFF), which is not text.") from None


def parse_json_object(raw: bytes) -> dict:
    """A request body: one JSON object in UTF-8, its keys re-cased to
    snake_case (`metadata` left as sent); an empty body is an empty object.
    Raises BadRequest saying what was wrong."""
    if not raw:
        return {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"The request body is not valid UTF-8 (byte {exc.start}).") from None
    text = text.removeprefix("\ufeff")  # a byte order mark, which RFC 8259 lets a reader ignore
    try:
        data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_bounded_int)
        _refuse_lone_surrogates(data)
        if not isinstance(data, dict):
            raise BadRequest("The request body must be a JSON object.")
        return underscoreize(data, **camel_settings.JSON_UNDERSCOREIZE)
    except json.JSONDecodeError as exc:
        raise BadRequest(
            f"The request body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        ) from None
    except _Refused as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc}") from None
    except RecursionError:  # in decoding, the surrogate check or re-casing: all recurse
        raise BadRequest("The request body is nested too deeply.") from None


class CamelCaseObjectParser(BaseParser):
    """JSON in UTF-8 only: config.middleware.ContentTypeMiddleware has already
    refused bodies in any other charset with a 415."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return parse_json_object(stream.read())
        except BadRequest as exc:
            raise ParseError(exc.message) from None


_bound_fields: dict[type, dict] = {}


def validated_fields(serializer_class, data: dict) -> dict:
    """What `validated_data(serializer_class(data=data))` gives, for an input
    serializer whose every rule is in its fields, without making a
    serializer per request (DRF deep-copies its declared fields for each,
    which costs a hot path more than the validation itself): its fields,
    bound once, check `data` one by one, as Serializer.to_internal_value
    does, and every refusal is the same ValidationError."""
    fields = _bound_fields.get(serializer_class)
    if fields is None:
        fields = _bound_fields[serializer_class] = dict(serializer_class().fields)
    found, refused = {}, {}
    for name, field in fields.items():
        try:
            found[field.source] = field.run_validation(field.get_value(data))
        except ValidationError as exc:
            refused[name] = exc.detail
        except SkipField:
            pass
    if refused:
        raise ValidationError(refused)
    return found


def validated_data(serializer) -> dict:
    """The input serializer's validated fields, or its ValidationError (the
    contract's 400, one detail per field)."""
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
