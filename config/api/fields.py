"""Serializer fields with the contract's strict rules, shared by every app."""

from __future__ import annotations

import json

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# Every client, JavaScript included, holds integers up to 2^53 - 1 exactly.
MAX_SAFE_INTEGER = 2**53 - 1


@extend_schema_field({"type": "integer", "format": "int64", "minimum": -MAX_SAFE_INTEGER, "maximum": MAX_SAFE_INTEGER})
class StrictIntegerField(serializers.Field):
    """A JSON integer: no fraction or exponent (`10.0` too), no string, boolean or null."""

    default_error_messages = {
        "invalid": "Must be an integer (no fraction, exponent or quotes).",
        "range": f"Must be between -{MAX_SAFE_INTEGER} and {MAX_SAFE_INTEGER}.",
    }

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        if not -MAX_SAFE_INTEGER <= data <= MAX_SAFE_INTEGER:
            self.fail("range")
        return data

    def to_representation(self, value):
        return int(value)


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": True,
        "description": "Any JSON object, kept verbatim, within a size and nesting limit; no NUL in its strings.",
    }
)
class JSONObjectField(serializers.Field):
    """A JSON object stored verbatim, within size and nesting limits.

    Strings may not contain NUL, which PostgreSQL's JSONB cannot store."""

    default_error_messages = {
        "not_object": "Must be a JSON object.",
        "too_large": "Must be at most {max_bytes} bytes of JSON.",
        "too_deep": "Must be nested at most {max_depth} levels deep.",
        "nul": "Must not contain NUL characters.",
    }

    def __init__(self, *, max_bytes: int = 4096, max_depth: int = 8, **kwargs):
        self.max_bytes = max_bytes
        self.max_depth = max_depth
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("not_object")
        self._check_depth_and_text(data)
        if len(json.dumps(data, ensure_ascii=False).encode()) > self.max_bytes:
            self.fail("too_large", max_bytes=self.max_bytes)
        return data

    def _check_depth_and_text(self, data) -> None:
        pending = [(data, 1)]
        while pending:
            node, depth = pending.pop()
            if isinstance(node, (dict, list)) and depth > self.max_depth:
                self.fail("too_deep", max_depth=self.max_depth)
            if isinstance(node, dict):
                for key, value in node.items():
                    if "\x00" in key:
                        self.fail("nul")
                    pending.append((value, depth + 1))
            elif isinstance(node, list):
                pending.extend((item, depth + 1) for item in node)
            elif isinstance(node, str) and "\x00" in node:
                self.fail("nul")

    def to_representation(self, value):
        return value


@extend_schema_field({"type": "boolean"})
class StrictBooleanField(serializers.Field):
    """A JSON `true` or `false`; not "true", 1 or "yes"."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return bool(value)


@extend_schema_field(OpenApiTypes.IDN_EMAIL)
class EmailAddressField(serializers.EmailField):
    """Django's email validation, which takes internationalized domains
    (`ana@exämple.com`): the schema's format is `idn-email`, since `email`
    would call those addresses invalid."""
