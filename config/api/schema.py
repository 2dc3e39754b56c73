"""OpenAPI that tells the truth about the envelope.

drf-spectacular describes serializers; this schema class wraps each success
body in `{success, data}` (pagination adds `meta` itself) and lists the
error envelope for every status the API can answer with.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiParameter

from games.serializers import SLUG_MAX_LENGTH, SLUG_RULE

# The security of an operation anyone may call: a bearer token or the access
# cookie when one is sent (and then it must be valid), else anonymous.
SIGNED_IN_OR_ANONYMOUS = [{"jwtAuth": []}, {"accessCookie": []}, {}]

# Path parameters naming a game: the URL pattern cannot say how long a slug
# may be, so the schema does.
GAME_SLUG_PATH_SCHEMA = {"type": "string", "pattern": "^" + SLUG_RULE[1:-2] + "$", "maxLength": SLUG_MAX_LENGTH}
GAME_SLUG_PATH_PARAMETERS = ("slug", "game_slug")

ERROR_ENVELOPE_SCHEMA = {
    "type": "object",
    "required": ["success", "error"],
    "properties": {
        "success": {"type": "boolean", "description": "Always false."},
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {
                    "type": "string",
                    "enum": [
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
                    ],
                },
                "message": {"type": "string"},
                "details": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["field", "message"],
                        "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                    },
                },
            },
        },
    },
}

ERROR_STATUSES = {
    "400": "Invalid field, parameter or header (VALIDATION_ERROR), or a body that is not a JSON object (BAD_REQUEST).",
    "401": "Missing, invalid, expired or revoked credentials.",
    "403": "Signed in but not allowed, or a cookie-authenticated write without a CSRF token.",
    "404": "No such resource.",
    "405": "Method not allowed.",
    "409": "Conflict: duplicate, reused idempotency key, or inactive game.",
    "413": "Body over 64 KiB.",
    "415": "Body that is not application/json.",
    "429": "Rate limited; see Retry-After.",
    "500": "Internal error.",
    "503": "A dependency is down.",
}


def _success_envelope(schema: dict) -> dict:
    return {
        "type": "object",
        "required": ["success", "data"],
        "properties": {"success": {"type": "boolean", "description": "Always true."}, "data": schema},
    }


class EnvelopeAutoSchema(AutoSchema):
    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        for name in GAME_SLUG_PATH_PARAMETERS:
            if f"{{{name}}}" in self.path:
                parameters.append(
                    OpenApiParameter(
                        name, GAME_SLUG_PATH_SCHEMA, location=OpenApiParameter.PATH, description="A game's slug."
                    )
                )
        return parameters

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        if not ("200" <= status_code < "300") or "content" not in response:
            return response
        for media in response["content"].values():
            schema = media.get("schema", {})
            if schema.get("$ref", "").rsplit("/", 1)[-1].startswith("Paginated"):
                continue  # EnvelopePagination already describes the envelope
            media["schema"] = _success_envelope(schema)
        return response

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        component = ResolvedComponent(
            name="ErrorEnvelope", type=ResolvedComponent.SCHEMA, object="ErrorEnvelope", schema=ERROR_ENVELOPE_SCHEMA
        )
        self.registry.register_on_missing(component)
        for status, description in ERROR_STATUSES.items():
            responses.setdefault(
                status, {"description": description, "content": {"application/json": {"schema": component.ref}}}
            )
        if "429" in responses:
            responses["429"].setdefault(
                "headers", {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}
            )
        return responses
