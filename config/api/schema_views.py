"""The views that serve the OpenAPI document (config.api.schema describes it)."""

from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.views import SpectacularAPIView

from config.api.negotiation import JsonFirstNegotiation
from config.api.rendering import EnvelopeRenderer
from config.errors import ValidationFailed

SCHEMA_FORMATS = ("json", "yaml")


class SchemaNegotiation(JsonFirstNegotiation):
    """An explicit format (`?format=json`, or the `.json` URL) wins over
    `Accept`, which browsers always send; without one, `Accept` chooses, and
    YAML is the default."""

    def select_renderer(self, request, renderers, format_suffix=None):
        requested = format_suffix or request.query_params.get("format")
        if requested is None:
            return super().select_renderer(request, renderers)
        if requested not in SCHEMA_FORMATS:
            raise ValidationFailed.for_field("format", "format must be json or yaml.")
        # Filtered here rather than by DRF, so that an `Accept` this format
        # cannot honour falls back to the format asked for, not to YAML.
        return super().select_renderer(request, [r for r in renderers if r.format == requested])


class SchemaView(SpectacularAPIView):
    """The OpenAPI document. Its errors (a 405, a 400 for too many
    parameters or an unknown format) are the API's envelope in JSON, not an
    OpenAPI renderer's."""

    # `application/json` before the OpenAPI media type, so that a browser
    # asking for JSON (`*/*`) gets a type it shows rather than downloads.
    renderer_classes = [OpenApiYamlRenderer, OpenApiYamlRenderer2, OpenApiJsonRenderer2, OpenApiJsonRenderer]
    content_negotiation_class = SchemaNegotiation

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = EnvelopeRenderer()
        self.request.accepted_media_type = EnvelopeRenderer.media_type
        return response
