"""Request id, the user's language and timezone, and the Content-Security-Policy header."""

from __future__ import annotations

import re
import zoneinfo

from django.conf import settings
from django.http import JsonResponse
from django.utils import timezone, translation

from cogest.context import client_ip_var, new_request_id, request_id_var

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class HealthCheckMiddleware:
    """``/healthz/`` answers before host validation and HTTPS redirects, for load balancers and
    container healthchecks: 200 when the database answers, 503 otherwise."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path != "/healthz/":
            return self.get_response(request)
        from django.db import connection

        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception:  # noqa: BLE001 - any database failure means unhealthy
            return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
        return JsonResponse({"status": "ok", "database": "ok"})


class RequestIdMiddleware:
    """Tag each request with an id (the caller's ``X-Request-ID`` if sane) for the audit trail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _REQUEST_ID.match(incoming) else new_request_id()
        token_id = request_id_var.set(request.request_id)
        token_ip = client_ip_var.set(request.META.get("REMOTE_ADDR") or None)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token_id)
            client_ip_var.reset(token_ip)
        response["X-Request-ID"] = request.request_id
        return response


class UserPreferencesMiddleware:
    """Speak the signed-in user's language and show times in their timezone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        profile = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            profile = getattr(user, "profile", None)
        if profile is None:
            return self.get_response(request)
        try:
            tz = zoneinfo.ZoneInfo(profile.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            tz = None
        # override(): the previous language comes back after the request (threads are reused).
        with translation.override(profile.language), timezone.override(tz):
            request.LANGUAGE_CODE = translation.get_language()
            response = self.get_response(request)
            response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


class ContentSecurityPolicyMiddleware:
    """No inline scripts, no third-party origins: every asset is served by cogest itself."""

    POLICY = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
        "form-action 'self'; object-src 'none'"
    )
    # The interactive API docs (Swagger UI, from drf-spectacular-sidecar) set inline styles.
    DOCS_POLICY = POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            docs = request.path.startswith("/api/docs") or request.path.startswith(
                f"/{settings.STATIC_URL.strip('/')}/drf_spectacular_sidecar"
            )
            response["Content-Security-Policy"] = self.DOCS_POLICY if docs else self.POLICY
        return response
