"""API views of the core. Thin: parse, call a service or a restricted selector, render."""

from __future__ import annotations

import django_filters
from django.contrib.auth import authenticate
from django.http import JsonResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from cogest.models import AuditEvent, Engagement, Organization, Team
from cogest.services import audit_record

from .base import RestrictedReadOnlyViewSet
from .serializers import (
    AuditEventSerializer,
    EngagementSerializer,
    MeSerializer,
    OrganizationSerializer,
    TeamSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
)


class TokenView(APIView):
    """Exchange a username and password for an API token (SPEC 5)."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenResponseSerializer,
            400: OpenApiResponse(description="Missing fields or bad credentials"),
            429: OpenApiResponse(description="Too many failed attempts: locked for a while"),
        },
        auth=[],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        http_request = request._request  # django-axes marks lockouts on the Django request
        user = authenticate(
            request=http_request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if getattr(http_request, "axes_locked_out", False):
            return Response(
                {"detail": _("Too many failed login attempts; try again later.")},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        if user is None or not user.is_active:
            return Response(
                {"detail": _("Unable to log in with the provided credentials.")},
                status=status.HTTP_400_BAD_REQUEST,
            )
        token, created = Token.objects.get_or_create(user=user)
        audit_record(actor=user, action="auth.token_issued", obj=user, after={"new_token": created})
        return Response({"token": token.key})


def lockout_response(request, original_response=None, credentials=None, *args, **kwargs):
    """django-axes lockout answer: JSON for the API, the branded page for people."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": _("Too many failed login attempts; try again later.")}, status=429
        )
    from django.shortcuts import render

    return render(request, "registration/locked_out.html", status=429)


class OrganizationFilter(django_filters.FilterSet):
    class Meta:
        model = Organization
        fields = ["kind", "slug"]


class OrganizationViewSet(RestrictedReadOnlyViewSet):
    """Organizations the caller can see: their own, the internal one; all for internal staff."""

    queryset = Organization.objects.all()
    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilter
    ordering_fields = ["name", "id"]


class TeamFilter(django_filters.FilterSet):
    organization = django_filters.NumberFilter()
    functional_area = django_filters.CharFilter(method="filter_area")

    class Meta:
        model = Team
        fields = ["organization", "is_active"]

    def filter_area(self, queryset, name, value):
        # JSON list membership that works on SQLite and PostgreSQL alike (few teams: in Python).
        # ``values_list``: ``only()`` clashes with the viewset's select_related (a 500).
        ids = [pk for pk, areas in queryset.values_list("pk", "functional_areas") if value in areas]
        return queryset.filter(pk__in=ids)


class TeamViewSet(RestrictedReadOnlyViewSet):
    """Support teams the caller can see."""

    queryset = Team.objects.select_related("organization").prefetch_related("members")
    serializer_class = TeamSerializer
    filterset_class = TeamFilter
    ordering_fields = ["name", "id"]


class EngagementViewSet(RestrictedReadOnlyViewSet):
    """Engagements: all for internal staff, their own for a provider."""

    queryset = Engagement.objects.select_related("provider").prefetch_related("teams")
    serializer_class = EngagementSerializer
    filterset_fields = ["provider", "model", "is_active"]
    ordering_fields = ["name", "id"]


class MeView(generics.RetrieveAPIView):
    """The caller: who they are, their organization, role, language and teams."""

    serializer_class = MeSerializer

    def get_object(self):
        return self.request.user


class AuditFilter(django_filters.FilterSet):
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["action", "object_type", "object_id", "actor", "request_id"]


class AuditEventViewSet(RestrictedReadOnlyViewSet):
    """The audit trail as far as the caller may read it."""

    queryset = AuditEvent.objects.all()
    serializer_class = AuditEventSerializer
    filterset_class = AuditFilter
    ordering_fields = ["id", "created_at"]
