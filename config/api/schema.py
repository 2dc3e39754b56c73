"""OpenAPI that tells the truth about the envelope.

drf-spectacular describes serializers; this schema class wraps each success
body in `{success, data}` (lists add `meta`) and lists, per operation, the
error statuses that operation can answer with, each as the error envelope.
`finish_schema` (a postprocessing hook) then applies the rules that hold for
the whole document: one name for the game's path parameter, and a format on
every integer.

Everything here ends up in front of client authors: descriptions say what a
client sees, never how Podium does it.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.permissions import SAFE_METHODS

from config.api.pagination import META_SCHEMA
from games.serializers import SLUG_MAX_LENGTH, SLUG_RULE

# The security of an operation anyone may call: a bearer token or the access
# cookie when one is sent (and then it must be valid), else anonymous.
SIGNED_IN_OR_ANONYMOUS = [{"jwtAuth": []}, {"accessCookie": []}, {}]
# An operation that reads no credentials at all.
NO_CREDENTIALS = [{}]

# The game's slug in paths: the URL patterns call it `slug` on /games/{slug}/
# and `game_slug` under it; the schema calls it `slug` everywhere, as the
# contract does. The URL pattern cannot say how long a slug may be, so the
# schema does.
GAME_SLUG = "slug"
GAME_SLUG_URL_KWARGS = ("slug", "game_slug")
GAME_SLUG_PATH_SCHEMA = {"type": "string", "pattern": "^" + SLUG_RULE[1:-2] + "$", "maxLength": SLUG_MAX_LENGTH}
# A board's key: `board_key` in the URL patterns, `key` in the schema (§9).
BOARD_KEY, BOARD_KEY_URL_KWARG = "key", "board_key"
BOARD_KEY_PATH_SCHEMA = {"type": "string", "pattern": "^" + SLUG_RULE[1:-2] + "$", "maxLength": 64}
# What the schema calls each path parameter that the URL patterns name otherwise.
PATH_NAMES = {"game_slug": GAME_SLUG, BOARD_KEY_URL_KWARG: BOARD_KEY}

# `success` as literals, so that typed clients can narrow on it. No `type`
# beside `const`: some generators (openapi-python-client) would then make it
# a plain boolean.
SUCCESS_TRUE = {"const": True, "description": "Always true."}
SUCCESS_FALSE = {"const": False, "description": "Always false."}

ERROR_CODES = [
    "VALIDATION_ERROR",
    "BAD_REQUEST",
    "UNAUTHORIZED",
    "FORBIDDEN",
    "NOT_FOUND",
    "METHOD_NOT_ALLOWED",
    "CONFLICT",
    "PAYLOAD_TOO_LARGE",
    "UNSUPPORTED_MEDIA_TYPE",
    "RATE_LIMITED",
    "INTERNAL_ERROR",
    "SERVICE_UNAVAILABLE",
]


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


# Components of the envelope: every operation uses some, so they are
# registered with the first one.
ENVELOPE_COMPONENTS: dict[str, dict] = {
    "ErrorEnvelope": {
        "type": "object",
        "description": "The body of every error answer.",
        "required": ["success", "error"],
        "properties": {"success": SUCCESS_FALSE, "error": _ref("Error")},
    },
    "Error": {
        "type": "object",
        "description": (
            "What went wrong: a stable `code` to branch on, a `message` for people, and the invalid fields "
            "in `details` (nested fields as dotted paths such as `metadata.level`; the list may be empty)."
        ),
        "required": ["code", "message", "details"],
        "properties": {
            "code": _ref("ErrorCode"),
            "message": {"type": "string"},
            "details": {"type": "array", "items": _ref("FieldError")},
        },
    },
    "ErrorCode": {
        "type": "string",
        "enum": ERROR_CODES,
        "description": "A stable code for the kind of error; each status answers with the codes its description names.",
    },
    "FieldError": {
        "type": "object",
        "description": "One invalid field, parameter or header, and what is wrong with it.",
        "required": ["field", "message"],
        "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
    },
    "PageMeta": {**META_SCHEMA, "description": "Where a page stands in its list."},
    "LeaderboardMeta": {
        **META_SCHEMA,
        "description": "Where a page stands in its leaderboard, and the period it ranks.",
        "required": [*META_SCHEMA["required"], "period", "periodStart", "periodEnd", "nextResetAt"],
        "properties": {
            **META_SCHEMA["properties"],
            "period": {"$ref": "#/components/schemas/Period"},
            **{
                name: {"type": ["string", "null"], "format": "date-time", "description": description}
                for name, description in [
                    ("periodStart", "The period's first moment (UTC); null for all time."),
                    ("periodEnd", "The moment the period ends (UTC); null for all time."),
                    ("nextResetAt", "When the current period resets; null for all time and for past periods."),
                ]
            },
        },
    },
}

ERROR_DESCRIPTIONS = {
    "400": (
        "An invalid field, parameter or header (VALIDATION_ERROR), or a body that is not a JSON object (BAD_REQUEST)."
    ),
    "401": "Missing, wrong, expired or revoked credentials (UNAUTHORIZED).",
    "403": ("Signed in but not allowed, or a cookie-authenticated write without the X-CSRFToken header (FORBIDDEN)."),
    "404": "No such resource, or an archived game (NOT_FOUND).",
    "409": "A conflict: a duplicate, a reused idempotency key, or a game that accepts no scores (CONFLICT).",
    "413": "A body over 64 KiB (PAYLOAD_TOO_LARGE).",
    "415": "A body that is not application/json in UTF-8 (UNSUPPORTED_MEDIA_TYPE).",
    "429": "Too many requests (RATE_LIMITED); retry after Retry-After seconds.",
    "500": "An error on Podium's side (INTERNAL_ERROR).",
    "503": "A service Podium depends on is down (SERVICE_UNAVAILABLE); retry shortly.",
}
SUCCESS_DESCRIPTIONS = {"200": "Success.", "201": "Created.", "204": "Done; no body."}
RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer", "format": "int64", "minimum": 1},
        "description": "Seconds to wait before retrying.",
        "required": True,
    }
}


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """Error answers an operation declares itself, for `extend_schema(responses=...)`:
    the ones its view alone knows of (a 409, a 429), or all of them for a view
    that reads no credentials. The others are derived (EnvelopeAutoSchema)."""
    return {
        status: OpenApiResponse(response=_ref("ErrorEnvelope"), description=ERROR_DESCRIPTIONS[str(status)])
        for status in statuses
    }


# Enums of query parameters, as components (drf-spectacular names only those
# of serializer fields); registered with every operation, like the envelope's.
NAMED_ENUMS: dict[str, dict] = {}


def named_enum(name: str, values: list[str], *, varnames: list[str], description: str) -> dict:
    """A string enum as a schema component (`x-enum-varnames` names its members
    in generated clients); returns the `$ref` to use in a parameter."""
    NAMED_ENUMS[name] = {"type": "string", "enum": values, "x-enum-varnames": varnames, "description": description}
    return _ref(name)


def sort_enum(resource: str, fields: list[str], default: str) -> dict:
    """`?sort=` of a list: each field ascending, and descending with `-`."""
    values, varnames = [], []
    for field in sorted(fields):
        constant = "".join(f"_{c}" if c.isupper() else c.upper() for c in field)
        values += [field, f"-{field}"]
        varnames += [constant, f"{constant}_DESC"]
    return named_enum(
        f"{resource}Sort",
        values,
        varnames=varnames,
        description=f"How to order {resource.lower()}s: a field, `-` before it for descending. Default `{default}`.",
    )


def _success_envelope(schema: dict) -> dict:
    return {"type": "object", "required": ["success", "data"], "properties": {"success": SUCCESS_TRUE, "data": schema}}


class EnvelopeAutoSchema(AutoSchema):
    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        for name in GAME_SLUG_URL_KWARGS:
            if f"{{{name}}}" in self.path:
                parameters.append(
                    OpenApiParameter(
                        name, GAME_SLUG_PATH_SCHEMA, location=OpenApiParameter.PATH, description="The game's slug."
                    )
                )
        if f"{{{BOARD_KEY_URL_KWARG}}}" in self.path:
            parameters.append(
                OpenApiParameter(
                    BOARD_KEY_URL_KWARG,
                    BOARD_KEY_PATH_SCHEMA,
                    location=OpenApiParameter.PATH,
                    description="The board's key (`default` is the game's own board).",
                )
            )
        return parameters

    def _get_filter_parameters(self):
        parameters = super()._get_filter_parameters()
        for parameter in parameters:
            if parameter["name"] == "sort":
                resource = self.view.serializer_class.Meta.model.__name__
                parameter["schema"] = sort_enum(resource, list(self.view.sort_fields), self.view.default_sort)
                parameter["description"] = f"The order of the list. Default `{self.view.default_sort}`."
        return parameters

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is not None:
            for name, schema in {**ENVELOPE_COMPONENTS, **NAMED_ENUMS}.items():
                self.registry.register_on_missing(
                    ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema)
                )
        return operation

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        if not ("200" <= status_code < "300"):
            return response
        if not response.get("description"):
            response["description"] = SUCCESS_DESCRIPTIONS.get(status_code, "Success.")
        if "content" not in response:
            return response
        for media in response["content"].values():
            name = media.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
            if name.startswith("Paginated"):
                self._finish_page_component(name)
            else:
                media["schema"] = _success_envelope(media["schema"])
        return response

    def _finish_page_component(self, name: str) -> None:
        """A page of a list: the envelope with `meta` as its own component."""
        component = self.registry[(name, ResolvedComponent.SCHEMA)]
        items = component.schema["properties"]["data"]
        component.schema = {
            "type": "object",
            "description": "One page of a list, and where it stands.",
            "required": ["success", "data", "meta"],
            "properties": {
                "success": SUCCESS_TRUE,
                "data": items,
                "meta": _ref(getattr(self.view, "page_meta_component", "PageMeta")),
            },
        }

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        derived = errors(*self._derived_error_statuses())
        for status, response in derived.items():
            responses.setdefault(str(status), self._get_response_for_code(response, str(status), direction=direction))
        if "429" in responses:
            responses["429"].setdefault("headers", RETRY_AFTER)
        return dict(sorted(responses.items()))

    def _derived_error_statuses(self) -> set[int]:
        """What the request's own shape and the view's authentication make
        possible; the rest (409, 429) is declared with `errors()`."""
        statuses = {400, 500}
        if "{" in self.path:
            statuses.add(404)  # the path names something that may not exist
        if self.method not in SAFE_METHODS and self.method != "DELETE" and self.get_request_serializer():
            statuses |= {413, 415}
        if self.view.get_authenticators():
            # A token that is sent must be valid (401) and its user is read from
            # the database (503); a write may be refused (403: a permission, or
            # the cookie without a CSRF token).
            statuses |= {401, 503}
            if self.method not in SAFE_METHODS:
                statuses.add(403)
        return statuses


def finish_schema(result: dict, generator: Any, request: Any, public: bool) -> dict:
    """Postprocessing hook: the game's path parameter is `slug` and a board's
    `key` everywhere, as in the contract; the `null` member of nullable
    enums is described; and every integer has a format (int64: ids, values,
    ranks and pages may pass 2³¹; the schema's minimum and maximum keep them
    within ±(2⁵³-1))."""
    paths = {}
    for path, item in result["paths"].items():
        for name, public in PATH_NAMES.items():
            if f"{{{name}}}" in path:
                path = path.replace(f"{{{name}}}", f"{{{public}}}")
                for operation in item.values():
                    for parameter in operation.get("parameters", []):
                        if parameter["in"] == "path" and parameter["name"] == name:
                            parameter["name"] = public
        paths[path] = item
    result["paths"] = dict(sorted(paths.items()))
    null_enum = result.get("components", {}).get("schemas", {}).get("NullEnum")
    if null_enum is not None:
        null_enum.setdefault("description", "No value: null.")
    _add_integer_formats(result)
    return result


def _add_integer_formats(node: Any) -> None:
    if isinstance(node, dict):
        kind = node.get("type")
        if (kind == "integer" or (isinstance(kind, list) and "integer" in kind)) and "format" not in node:
            node["format"] = "int64"
        for value in node.values():
            _add_integer_formats(value)
    elif isinstance(node, list):
        for value in node:
            _add_integer_formats(value)
