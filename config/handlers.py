"""Django's WSGI and ASGI handlers, with requests that take UTF-8 only.

Django adopts any charset a Content-Type names that `codecs.lookup()`
knows, and decodes the query string and form bodies in it. That includes
codecs that are not text at all (`rot13`, `base64`, `zlib`, `bz2`): under
WSGI, merely building the request from such a header raises LookupError, a
500 before any middleware runs. Podium's requests adopt no charset, so they
are always read as UTF-8 (settings.DEFAULT_CHARSET); the charset a client
named stays in `content_params`, where config.middleware.ContentTypeMiddleware
refuses a body in any other charset with a 415.
"""

from django.core.handlers.asgi import ASGIHandler, ASGIRequest
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.utils.http import parse_header_parameters


class Utf8Request:
    # A Content-Type header that cannot be parsed at all (an RFC 2231
    # parameter in an unknown encoding: `x*=nope''x`). Django would raise
    # while building the request; here the request has no content type, and
    # a body sent with it is refused with a 415.
    content_type_unreadable = False

    def _set_content_type_params(self, meta):
        try:
            self.content_type, self.content_params = parse_header_parameters(meta.get("CONTENT_TYPE", ""))
        except (ValueError, LookupError):
            self.content_type, self.content_params = "", {}
            self.content_type_unreadable = True


class PodiumWSGIRequest(Utf8Request, WSGIRequest):
    pass


class PodiumASGIRequest(Utf8Request, ASGIRequest):
    pass


class PodiumWSGIHandler(WSGIHandler):
    request_class = PodiumWSGIRequest


class PodiumASGIHandler(ASGIHandler):
    request_class = PodiumASGIRequest
