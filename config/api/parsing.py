"""Request bodies: one JSON object, camelCase keys re-cased to snake_case."""

import json
import math
import re

from django.conf import settings
from djangorestframework_camel_case.settings import api_settings as camel_settings
from djangorestframework_camel_case.util import underscoreize
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

# A \uD800-\uDFFF escape: a surrogate, valid only as half of a pair.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is too large a number")
    return number


def _refuse_lone_surrogates(text: str, data) -> None:
    """Unpaired surrogates decode into strings no database can store."""
    if _SURROGATE_ESCAPE.search(text):
        try:
            json.dumps(data, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            raise ValueError("unpaired surrogate in a string") from None


class CamelCaseObjectParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
            data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
            _refuse_lone_surrogates(text, data)
            if not isinstance(data, dict):
                raise ParseError("The request body must be a JSON object.")
            return underscoreize(data, **camel_settings.JSON_UNDERSCOREIZE)
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError included
            raise ParseError(f"The request body is not valid JSON: {exc}") from None
        except RecursionError:
            raise ParseError("The request body is nested too deeply.") from None
