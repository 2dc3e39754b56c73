"""The project's URLs plus views that crash, to prove what a 500 shows (an
error envelope under /api/, a plain page elsewhere) and that it never reveals
the exception."""

from django.urls import path
from rest_framework.views import APIView

from config.urls import handler404, handler500  # noqa: F401 - the project's error pages here too
from config.urls import urlpatterns as project_urlpatterns

SECRET_IN_THE_CRASH = "secret detail: DATABASE_PASSWORD=hunter2"


class CrashingApiView(APIView):
    def get(self, request):
        raise RuntimeError(SECRET_IN_THE_CRASH)


def crashing_django_view(request):
    raise RuntimeError(SECRET_IN_THE_CRASH)


urlpatterns = [
    path("api/v1/crash/drf/", CrashingApiView.as_view()),
    path("api/v1/crash/django/", crashing_django_view),
    path("crash/page/", crashing_django_view),
    *project_urlpatterns,
]
