"""WSGI entry point (REST only; websockets need config.asgi)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)  # as django.core.wsgi.get_wsgi_application does

from config.handlers import PodiumWSGIHandler  # noqa: E402
from config.startup import warn_if_development_key  # noqa: E402

application = PodiumWSGIHandler()
warn_if_development_key()
