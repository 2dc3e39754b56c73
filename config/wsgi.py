"""WSGI entry point (REST only; websockets need config.asgi)."""

import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)  # as django.core.wsgi.get_wsgi_application does

from django.urls import get_resolver  # noqa: E402

from config.handlers import PodiumWSGIHandler  # noqa: E402
from config.startup import warn_if_development_key  # noqa: E402

application = PodiumWSGIHandler()
warn_if_development_key()

# Everything set up by now (Django, the models, the URLs and every view,
# imported here rather than by the first request) lives as long as the
# process: leave it out of every garbage collection from now on, which then
# only scans what requests make (measured: a tenth off a request's CPU).
get_resolver().url_patterns  # noqa: B018 - imports the URLconf
gc.freeze()
