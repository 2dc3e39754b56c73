"""The project's URLs plus views that crash, to prove what a 500 looks like."""

from django.urls import path
from rest_framework.views import APIView

from config.urls import urlpatterns as project_urlpatterns


class CrashingApiView(APIView):
    def get(self, request):
        raise RuntimeError("secret detail: DATABASE_PASSWORD=hunter2")


def crashing_django_view(request):
    raise RuntimeError("secret detail: DATABASE_PASSWORD=hunter2")


urlpatterns = [
    path("api/v1/crash/drf/", CrashingApiView.as_view()),
    path("api/v1/crash/django/", crashing_django_view),
    *project_urlpatterns,
]
