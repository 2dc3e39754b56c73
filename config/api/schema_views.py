"""The views that serve the OpenAPI document (config.api.schema describes it)."""

from drf_spectacular.views import SpectacularAPIView

from config.api.rendering import EnvelopeRenderer


class SchemaView(SpectacularAPIView):
    """The OpenAPI document. Its errors (a 405, a 400 for too many
    parameters) are the API's envelope in JSON, not an OpenAPI renderer's."""

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = EnvelopeRenderer()
        self.request.accepted_media_type = EnvelopeRenderer.media_type
        return response
