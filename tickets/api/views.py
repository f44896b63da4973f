"""The tickets API (SPEC 5). Thin: parse the input, call a service or a restricted read, render.

Every queryset is ``restrict(user, "view")``; a ticket the caller may not see answers 404 on
its own URL and on every URL under it. Writes go through the services, which check ``change``.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from cogest.api.base import IF_MATCH_HEADER, RestrictedQuerysetMixin, expected_version
from cogest.api.filters import FilterBackend
from cogest.querysets import viewer_for
from tickets.choices import Source, Visibility
from tickets.filters import TicketFilterSet
from tickets.models import Attachment, Comment, Handoff, Ticket, TicketLink, WorkLog
from tickets.selectors import (
    attachment_get_for_user,
    ticket_detail_rows,
    ticket_history,
    ticket_list_rows,
)
from tickets.services import (
    attachment_add,
    comment_add,
    handoff_accept,
    handoff_reject,
    ticket_create,
    ticket_edit,
    ticket_handoff,
    ticket_link,
    ticket_unlink,
    ticket_watch,
    worklog_add,
)

from .serializers import (
    TICKET_LIST_COLUMNS,
    AttachmentCreateSerializer,
    AttachmentSerializer,
    CommentCreateSerializer,
    CommentSerializer,
    EmptyInputSerializer,
    HandoffCreateSerializer,
    HandoffRejectSerializer,
    HandoffSerializer,
    HistoryEventSerializer,
    TicketCreateSerializer,
    TicketDetailSerializer,
    TicketLinkCreateSerializer,
    TicketLinkSerializer,
    TicketSerializer,
    TicketUpdateSerializer,
    WorkLogCreateSerializer,
    WorkLogSerializer,
    ticket_detail_data,
    ticket_list_data,
)

# Ids in URLs: digits, and no more than a database key holds (a longer one is simply a 404).
ID_PATTERN = r"[0-9]{1,18}"

TICKET_ID = OpenApiParameter("ticket_pk", OpenApiTypes.INT, OpenApiParameter.PATH)
ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
ATTACHMENT_ID = OpenApiParameter("att_id", OpenApiTypes.INT, OpenApiParameter.PATH)


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


def parse(serializer_class, request, **context):
    """Validated input of ``serializer_class`` (400 on any shape error)."""
    serializer = serializer_class(data=request.data, context={"request": request, **context})
    serializer.is_valid(raise_exception=True)
    return serializer


def default_visibility(user) -> str:
    """What a comment or file is when nobody says: public for requesters (all they may
    write), internal for technicians (the side that cannot leak)."""
    return Visibility.PUBLIC if viewer_for(user).is_requester else Visibility.INTERNAL


@extend_schema_view(
    list=extend_schema(summary="List the tickets the caller may see"),
    retrieve=extend_schema(
        summary="One ticket",
        parameters=[ID],
        responses={
            200: OpenApiResponse(
                TicketDetailSerializer,
                description="The ticket; the ETag header carries its version.",
            )
        },
    ),
)
class TicketViewSet(
    RestrictedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Tickets (SPEC 5): list, open, read, change through the workflow, hand off."""

    queryset = Ticket.objects.all()
    serializer_class = TicketSerializer
    filter_backends = [FilterBackend]
    filterset_class = TicketFilterSet
    parser_classes = [JSONParser]
    lookup_value_regex = ID_PATTERN
    http_method_names = ["get", "post", "patch", "head", "options"]

    def list(self, request, *args, **kwargs):
        """Filtered, restricted, paginated: rows straight from one query (``ticket_list_rows``)
        rendered as ``TicketSerializer`` would render them."""
        tickets = self.filter_queryset(self.get_queryset())
        rows = ticket_list_rows(tickets, TICKET_LIST_COLUMNS, user=request.user)
        return self.get_paginated_response(ticket_list_data(self.paginate_queryset(rows)))

    def get_serializer_class(self):
        return TicketSerializer if self.action == "list" else TicketDetailSerializer

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Everything under an invisible ticket is a 404, before its input is even read.
        if "pk" in kwargs and self.action != "retrieve" and not self._visible(kwargs["pk"]):
            raise exceptions.NotFound()

    def _visible(self, pk) -> bool:
        return Ticket.objects.restrict(self.request.user, "view").filter(pk=pk).exists()

    def _ticket_response(self, tickets, code=status.HTTP_200_OK) -> Response:
        """The one ticket of ``tickets`` as ``TicketDetailSerializer`` renders it (one query:
        ``ticket_detail_rows``); 404 when there is none."""
        row = ticket_detail_rows(tickets, TICKET_LIST_COLUMNS, user=self.request.user).first()
        if row is None:
            raise exceptions.NotFound()
        body = ticket_detail_data(row, request=self.request)
        return Response(body, status=code, headers={"ETag": f'"{body["version"]}"'})

    def _written(self, ticket: Ticket):
        # A ticket the caller has just changed through a service, which checked the right to.
        return Ticket.objects.filter(pk=ticket.pk)

    def retrieve(self, request, *args, **kwargs):
        return self._ticket_response(self.get_queryset().filter(pk=kwargs["pk"]))

    @extend_schema(
        summary="Open a ticket",
        request=TicketCreateSerializer,
        responses={
            201: OpenApiResponse(
                TicketDetailSerializer,
                description="The ticket; the ETag header carries its version.",
            )
        },
    )
    def create(self, request, *args, **kwargs):
        data = parse(TicketCreateSerializer, request).validated_data
        ticket = ticket_create(by=request.user, source=Source.API, **data)
        response = self._ticket_response(self._written(ticket), status.HTTP_201_CREATED)
        response["Location"] = response.data["url"]
        return response

    @extend_schema(
        summary="Change a ticket: fields, assignment and status, all or nothing",
        request=TicketUpdateSerializer,
        parameters=[ID, IF_MATCH_HEADER],
        responses={
            200: TicketDetailSerializer,
            400: OpenApiResponse(description="Invalid input or a move the workflow refuses"),
            403: OpenApiResponse(description="Visible, but not yours to change"),
            412: OpenApiResponse(description="Stale If-Match version"),
        },
    )
    def partial_update(self, request, *args, **kwargs):
        version = expected_version(request)
        arguments = parse(TicketUpdateSerializer, request).service_arguments()
        ticket = ticket_edit(
            ticket=int(kwargs["pk"]), by=request.user, expected_version=version, **arguments
        )
        return self._ticket_response(self._written(ticket))

    @extend_schema(
        summary="Hand the ticket to another organization's team",
        parameters=[ID],
        request=HandoffCreateSerializer,
        responses={201: HandoffSerializer},
    )
    @action(detail=True, methods=["post"])
    def handoff(self, request, pk=None):
        data = parse(HandoffCreateSerializer, request).validated_data
        handoff = ticket_handoff(ticket=int(pk), by=request.user, **data)
        return Response(HandoffSerializer(handoff).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Accept the handoff waiting for the caller's organization",
        parameters=[ID],
        request=EmptyInputSerializer,
        responses={200: HandoffSerializer},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        parse(EmptyInputSerializer, request)
        handoff = handoff_accept(ticket=int(pk), by=request.user)
        return Response(HandoffSerializer(handoff).data)

    @extend_schema(
        summary="Reject the waiting handoff, with a reason: the ticket goes back",
        parameters=[ID],
        request=HandoffRejectSerializer,
        responses={200: HandoffSerializer},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        data = parse(HandoffRejectSerializer, request).validated_data
        handoff = handoff_reject(ticket=int(pk), by=request.user, reason=data["reason"])
        return Response(HandoffSerializer(handoff).data)

    @extend_schema(
        summary="The ticket's history, as far as the caller may know it",
        parameters=[ID],
        responses=HistoryEventSerializer(many=True),
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request, pk=None):
        ticket = Ticket.objects.restrict(request.user, "view").get(pk=pk)
        page = self.paginate_queryset(ticket_history(ticket=ticket, user=request.user))
        return self.get_paginated_response(HistoryEventSerializer(page, many=True).data)

    @extend_schema(
        summary="Follow the ticket", parameters=[ID], request=None, responses=TicketDetailSerializer
    )
    @action(detail=True, methods=["post"])
    def watch(self, request, pk=None):
        return self._watch(request, pk, watching=True)

    @extend_schema(
        summary="Stop following the ticket",
        parameters=[ID],
        request=None,
        responses=TicketDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def unwatch(self, request, pk=None):
        return self._watch(request, pk, watching=False)

    def _watch(self, request, pk, *, watching: bool) -> Response:
        parse(EmptyInputSerializer, request)
        ticket_watch(ticket=int(pk), by=request.user, watching=watching)
        return self._ticket_response(self.get_queryset().filter(pk=pk))


class TicketChildViewSet(RestrictedQuerysetMixin, viewsets.GenericViewSet):
    """Something under ``/tickets/{ticket_pk}/``: 404 unless the caller sees the ticket."""

    parser_classes = [JSONParser]
    filter_backends: list = []
    lookup_value_regex = ID_PATTERN
    ticket: Ticket

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        visible = Ticket.objects.restrict(request.user, "view")
        self.ticket = visible.filter(pk=kwargs["ticket_pk"]).first()
        if self.ticket is None:
            raise exceptions.NotFound()

    def get_queryset(self):
        rows = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):
            return rows
        return rows.filter(ticket_id=self.kwargs["ticket_pk"])


@extend_schema_view(
    list=extend_schema(summary="The ticket's comments the caller may read", parameters=[TICKET_ID]),
    create=extend_schema(
        summary="Comment on the ticket",
        parameters=[TICKET_ID],
        request=CommentCreateSerializer,
        responses={201: CommentSerializer},
    ),
)
class CommentViewSet(mixins.ListModelMixin, TicketChildViewSet):
    """Comments: public (the requester reads them), shared (every organization on the ticket),
    internal (the author's organization). Markdown in ``body``, sanitized HTML in ``body_html``."""

    queryset = Comment.objects.select_related("author")
    serializer_class = CommentSerializer

    def create(self, request, *args, **kwargs):
        data = parse(CommentCreateSerializer, request).validated_data
        comment = comment_add(
            ticket=self.ticket,
            by=request.user,
            body=data["body"],
            visibility=data.get("visibility") or default_visibility(request.user),
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="The ticket's files the caller may read", parameters=[TICKET_ID]),
    retrieve=extend_schema(summary="One file's description", parameters=[TICKET_ID, ATTACHMENT_ID]),
    create=extend_schema(
        summary="Attach a file (multipart: file, visibility, comment)",
        parameters=[TICKET_ID],
        request={"multipart/form-data": AttachmentCreateSerializer},
        responses={
            201: AttachmentSerializer,
            413: OpenApiResponse(description="Larger than the attachment limit"),
        },
    ),
    download=extend_schema(
        summary="Download the file",
        parameters=[TICKET_ID, ATTACHMENT_ID],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    ),
)
class AttachmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TicketChildViewSet):
    """Files on the ticket, with the same visibility as comments; downloaded only here."""

    queryset = Attachment.objects.all()
    serializer_class = AttachmentSerializer
    lookup_url_kwarg = "att_id"
    parser_classes = [MultiPartParser, FormParser]
    # Multipart overhead around the file: anything far above the limit is refused unread.
    ENVELOPE_BYTES = 64 * 1024

    def create(self, request, *args, **kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.ATTACHMENT_MAX_BYTES + self.ENVELOPE_BYTES:
            raise RequestTooLarge(
                _("Files are limited to %(mb)s MB.")
                % {"mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)}
            )
        data = parse(AttachmentCreateSerializer, request).validated_data
        attachment = attachment_add(
            ticket=self.ticket,
            by=request.user,
            upload=data["file"],
            visibility=data.get("visibility") or default_visibility(request.user),
            comment=data.get("comment"),
        )
        body = AttachmentSerializer(attachment, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_content_negotiation(self, request, force=False):
        # A download is a file whatever the client accepts; errors are still JSON.
        return super().perform_content_negotiation(request, force=True)

    @action(detail=True, methods=["get"])
    def download(self, request, ticket_pk=None, att_id=None):
        attachment = attachment_get_for_user(user=request.user, pk=att_id, ticket=self.ticket)
        try:
            handle = attachment.file.open("rb")
        except (FileNotFoundError, ValueError):
            raise exceptions.NotFound(_("The file is missing from storage.")) from None
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=attachment.filename,
            content_type=attachment.content_type or "application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, no-store"
        return response


@extend_schema_view(
    list=extend_schema(summary="Work logged on the ticket", parameters=[TICKET_ID]),
    create=extend_schema(
        summary="Log work on the ticket",
        parameters=[TICKET_ID],
        request=WorkLogCreateSerializer,
        responses={201: WorkLogSerializer},
    ),
)
class WorkLogViewSet(mixins.ListModelMixin, TicketChildViewSet):
    """Interventions: who worked how long on what, billable or not. A provider reads its own."""

    queryset = WorkLog.objects.all()
    serializer_class = WorkLogSerializer

    def create(self, request, *args, **kwargs):
        data = parse(WorkLogCreateSerializer, request).validated_data
        log = worklog_add(ticket=self.ticket, by=request.user, **data)
        return Response(WorkLogSerializer(log).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="Handoffs of the ticket", parameters=[TICKET_ID]),
)
class HandoffViewSet(mixins.ListModelMixin, TicketChildViewSet):
    """Handoffs of the ticket the caller may see (to start one: ``POST /tickets/{id}/handoff/``)."""

    queryset = Handoff.objects.all()
    serializer_class = HandoffSerializer


@extend_schema_view(
    list=extend_schema(summary="Links from and to the ticket", parameters=[TICKET_ID]),
    create=extend_schema(
        summary="Link the ticket to another one",
        parameters=[TICKET_ID],
        request=TicketLinkCreateSerializer,
        responses={201: TicketLinkSerializer},
    ),
    destroy=extend_schema(summary="Remove a link", parameters=[TICKET_ID, ID]),
)
class TicketLinkViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, TicketChildViewSet):
    """Typed links between tickets (duplicate of, caused by, parent of, relates to)."""

    queryset = TicketLink.objects.all()
    serializer_class = TicketLinkSerializer
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self):
        links = super(TicketChildViewSet, self).get_queryset()
        if getattr(self, "swagger_fake_view", False):
            return links
        pk = self.kwargs["ticket_pk"]
        return links.filter(Q(source_id=pk) | Q(target_id=pk)).order_by("id")

    def create(self, request, *args, **kwargs):
        data = parse(TicketLinkCreateSerializer, request).validated_data
        link = ticket_link(
            source=self.ticket, target=data["target"], kind=data["kind"], by=request.user
        )
        return Response(TicketLinkSerializer(link).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        ticket_unlink(link=instance, by=self.request.user)
