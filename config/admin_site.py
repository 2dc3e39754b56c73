"""The admin site, with the same sign-in protections as the API: login
attempts are rate limited per client address and per username (LOGIN_RATE)
and failures are security events."""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpResponse

from config.errors import RateLimited
from config.ratelimit import enforce_rate_limit
from config.security_log import client_limit_key, log_security_event


class PodiumAdminSite(admin.AdminSite):
    site_header = "Podium operations"
    site_title = "Podium admin"
    index_title = "Games, scores and accounts"

    def login(self, request, extra_context=None):
        if request.method == "POST":
            from accounts.selectors import sign_in_rate_key  # this module loads before the apps do

            try:
                enforce_rate_limit(
                    request, scope="admin-login:ip", key=client_limit_key(request), rate=settings.LOGIN_RATE
                )
                login = (request.POST.get("username") or "")[:254]
                enforce_rate_limit(
                    request, scope="admin-login:account", key=sign_in_rate_key(login), rate=settings.LOGIN_RATE
                )
            except RateLimited as limited:
                response = HttpResponse(
                    "Too many sign-in attempts; try again later.", status=429, content_type="text/plain"
                )
                response["Retry-After"] = str(limited.retry_after)
                return response
        response = super().login(request, extra_context)
        if request.method == "POST" and not request.user.is_authenticated:
            log_security_event("login_failed", request, site="admin")
        return response


class PodiumAdminConfig(AdminConfig):
    default_site = "config.admin_site.PodiumAdminSite"
