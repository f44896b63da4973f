"""API of the CMDB: providers' CI change proposals (SPEC 2.3).

``GET /api/v1/ci-proposals/`` (filters ``status``, ``ci``), ``GET .../{id}/``, and one action per
decision: ``POST .../{id}/approve/`` ``{"note"}``, ``POST .../{id}/reject/`` ``{"note"}`` (the
note is required), ``POST .../{id}/withdraw/``. Internal staff see every proposal; a provider its
own organization's (any other answers 404). The services decide who may approve or reject (403
otherwise) and refuse a second decision (400).
"""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from cmdb.choices import ProposalStatus
from cmdb.models import CIChangeProposal
from cmdb.services import proposal_approve, proposal_reject, proposal_withdraw
from cogest.api.base import RestrictedQuerysetMixin, StrictSerializerMixin
from cogest.api.filters import FilterBackend
from cogest.filters import MAX_ID

NOTE_MAX = 2000
ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


class ProposalSerializer(serializers.ModelSerializer):
    """A proposal: the proposed values (``changes``), the same fields' values when it was made
    (``before``), the CI version it was made on and the CI's version now."""

    ci_name = serializers.CharField(source="ci.name", read_only=True)
    ci_version = serializers.IntegerField(source="ci.version", read_only=True)
    stale = serializers.SerializerMethodField(
        help_text=_("The CI changed since the proposal was made.")
    )

    class Meta:
        model = CIChangeProposal
        fields = [
            "id",
            "ci",
            "ci_name",
            "organization",
            "proposed_by",
            "changes",
            "before",
            "base_version",
            "ci_version",
            "stale",
            "reason",
            "status",
            "created_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields

    def get_stale(self, proposal) -> bool:
        return proposal.ci.version != proposal.base_version


class DecisionInput(StrictSerializerMixin, serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=NOTE_MAX, trim_whitespace=True
    )


class EmptyInput(StrictSerializerMixin, serializers.Serializer):
    pass


class _IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class ProposalFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=ProposalStatus.choices, help_text=_("One or more statuses.")
    )
    ci = _IdFilter(field_name="ci_id", min_value=1, max_value=MAX_ID, help_text=_("A CI id."))

    class Meta:
        model = CIChangeProposal
        fields = ["status", "ci"]


def _parse(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@extend_schema_view(
    list=extend_schema(summary="CI change proposals the caller may see"),
    retrieve=extend_schema(summary="One CI change proposal", parameters=[ID]),
)
class ProposalViewSet(
    RestrictedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Providers' proposed CI changes and their review."""

    queryset = CIChangeProposal.objects.select_related("ci")
    serializer_class = ProposalSerializer
    filter_backends = [FilterBackend]
    filterset_class = ProposalFilterSet
    parser_classes = [JSONParser]
    lookup_value_regex = "[0-9]{1,18}"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # An invisible proposal is a 404 before its input is even read.
        if "pk" in kwargs and not self.get_queryset().filter(pk=kwargs["pk"]).exists():
            raise exceptions.NotFound()

    def _answer(self, proposal) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=proposal.pk)).data)

    @extend_schema(
        summary="Approve: the proposed values apply to the CI (internal owner or manager)",
        parameters=[ID],
        request=DecisionInput,
        responses=ProposalSerializer,
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        data = _parse(DecisionInput, request)
        proposal = proposal_approve(proposal=int(pk), by=request.user, note=data.get("note", ""))
        return self._answer(proposal)

    @extend_schema(
        summary="Reject, saying why: the CI stays as it is (internal owner or manager)",
        parameters=[ID],
        request=DecisionInput,
        responses=ProposalSerializer,
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        data = _parse(DecisionInput, request)
        proposal = proposal_reject(proposal=int(pk), by=request.user, note=data.get("note", ""))
        return self._answer(proposal)

    @extend_schema(
        summary="Withdraw a pending proposal (the proposing organization)",
        parameters=[ID],
        request=EmptyInput,
        responses=ProposalSerializer,
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        _parse(EmptyInput, request)
        proposal = proposal_withdraw(proposal=int(pk), by=request.user)
        return self._answer(proposal)


#: (prefix, viewset, basename) registered on the CMDB router; urlpatterns for other views.
routes: list = [("ci-proposals", ProposalViewSet, "ci-proposal")]
urlpatterns: list = []
