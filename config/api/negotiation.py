"""Content negotiation that never refuses: the API only speaks JSON."""

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class JsonFirstNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            # An `Accept` we cannot honour still gets our one format rather
            # than a 406 the contract does not know.
            return renderers[0], renderers[0].media_type
