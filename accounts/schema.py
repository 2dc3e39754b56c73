"""How our authentication looks in the OpenAPI schema."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerOrCookieScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.JWTBearerOrCookieAuthentication"
    name = ["jwtAuth", "accessCookie"]

    def get_security_requirement(self, auto_schema):
        # The bearer header *or* the cookie, not both.
        return [{"jwtAuth": []}, {"accessCookie": []}]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            {
                "type": "apiKey",
                "in": "cookie",
                "name": settings.ACCESS_COOKIE_NAME,
                "description": "Set by login. Unsafe methods also need the X-CSRFToken header.",
            },
        ]
