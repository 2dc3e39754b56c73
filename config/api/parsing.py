"""Request bodies: one JSON object, camelCase keys re-cased to snake_case."""

import json

from django.conf import settings
from djangorestframework_camel_case.settings import api_settings as camel_settings
from djangorestframework_camel_case.util import underscoreize
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


class CamelCaseObjectParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(stream.read().decode(encoding), parse_constant=_refuse_constant)
            if not isinstance(data, dict):
                raise ParseError("The request body must be a JSON object.")
            return underscoreize(data, **camel_settings.JSON_UNDERSCOREIZE)
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError included
            raise ParseError(f"The request body is not valid JSON: {exc}") from None
        except RecursionError:
            raise ParseError("The request body is nested too deeply.") from None
