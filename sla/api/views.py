"""``GET /api/v1/sla/report/`` (SPEC 5) and the KPI reviews, read-only. Thin: parse the query,
call the scoping selector and the metrics, render."""

from __future__ import annotations

import django_filters
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from cogest.api.base import RestrictedReadOnlyViewSet
from cogest.models import Organization
from sla import metrics, reviews
from sla.models import KpiReview

from .serializers import (
    KpiReviewSerializer,
    ReportQuerySerializer,
    ReportSerializer,
    breach_data,
)

ERROR = OpenApiResponse(description='JSON error: {"detail": ...} or {"field": ["message"]}')


class SlaReportView(APIView):
    """The KPI report of one engagement over a period: its figures against its targets, the
    breaches with who held the ticket for how long, and the work logged per organization.

    Computed over what the caller's SLA scope covers (SPEC 3): an internal or provider manager
    gets the whole engagement; a technician or an agent their own work within it."""

    @extend_schema(
        summary="KPI report of an engagement over a period",
        parameters=[
            OpenApiParameter(
                "engagement", OpenApiTypes.INT, required=True, description="Engagement id."
            ),
            OpenApiParameter(
                "from",
                OpenApiTypes.DATE,
                description="First day (ISO date), with `to`. Neither: the engagement's last "
                "finished review period.",
            ),
            OpenApiParameter(
                "to",
                OpenApiTypes.DATE,
                description="Last day, included (ISO date); at most 366 days after `from`.",
            ),
        ],
        responses={
            200: ReportSerializer,
            400: ERROR,
            401: ERROR,
            403: OpenApiResponse(description="Requesters have no SLA figures."),
            404: OpenApiResponse(description="No such engagement visible to the caller."),
        },
    )
    def get(self, request):
        query = ReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        scope = metrics.sla_scope_for(request.user)
        engagement = scope.engagements.filter(pk=query.validated_data["engagement"]).first()
        if engagement is None:
            raise Http404
        first, last = query.validated_data.get("from"), query.validated_data.get("to")
        if first is None:
            period = reviews.last_finished_period(engagement)
            if period is None:
                return Response(
                    {"from": ["This engagement has not finished a review period: give dates."]},
                    status=400,
                )
            first, last = period
        period = reviews.review_period(first, last)
        figures = metrics.engagement_figures(
            clocks=scope.clocks, tickets=scope.tickets, engagement=engagement, period=period
        )
        organizations = dict(Organization.objects.restrict(request.user).values_list("pk", "name"))
        breaches = metrics.breach_list(
            clocks=metrics.engagement_clocks(scope.clocks, engagement),
            period=period,
            visible_organizations=organizations,
            limit=metrics.BREACH_LIST_LIMIT + 1,
        )
        truncated = len(breaches) > metrics.BREACH_LIST_LIMIT
        worklogs = metrics.worklog_totals(
            worklogs=scope.worklogs, engagement=engagement, period=period
        )
        body = {
            "engagement": {
                "id": engagement.pk,
                "name": engagement.name,
                "provider": engagement.provider_id,
            },
            "from": first,
            "to": last,
            "kpis": metrics.kpi_scorecard(engagement.kpi_targets, figures),
            "figures": figures,
            "breaches": [breach_data(b) for b in breaches[: metrics.BREACH_LIST_LIMIT]],
            "breaches_truncated": truncated,
            "worklogs": worklogs,
        }
        return Response(ReportSerializer(body).data)


class KpiReviewFilter(django_filters.FilterSet):
    class Meta:
        model = KpiReview
        fields = ["engagement", "status"]


class KpiReviewViewSet(RestrictedReadOnlyViewSet):
    """KPI reviews: internal staff read all, a provider's managers their engagements'."""

    queryset = KpiReview.objects.select_related("meeting").prefetch_related(
        "actions", "meeting__attendees"
    )
    serializer_class = KpiReviewSerializer
    filterset_class = KpiReviewFilter
    ordering_fields = ["period_start", "id"]
    ordering = ["-period_start", "id"]
