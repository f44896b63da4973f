"""The forms of the ticket page, one service call each, and the checked attachment download."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic.detail import SingleObjectMixin

from cogest.form_errors import add_service_errors
from cogest.models import Organization
from cogest.querysets import viewer_for
from cogest.views import RestrictedViewMixin
from tickets import selectors
from tickets.choices import Status
from tickets.forms import (
    AssignForm,
    CommentForm,
    DecisionForm,
    FieldsForm,
    HandoffForm,
    LinkForm,
    RejectForm,
    TransitionForm,
    WorkLogForm,
)
from tickets.models import (
    Attachment,
    Comment,
    Handoff,
    Ticket,
)
from tickets.presentation import person_name
from tickets.services import (
    StaleVersion,
    attachment_add,
    comment_add,
    decision_record_create,
    handoff_accept,
    handoff_reject,
    ticket_assign,
    ticket_handoff,
    ticket_link,
    ticket_transition,
    ticket_update,
    ticket_watch,
    worklog_add,
)

from .common import STALE_MESSAGE, is_htmx
from .ticket_page import TicketObjectMixin, composer_context, ticket_page_context


class TicketActionView(TicketObjectMixin, View):
    """A form on the ticket page: validate, call one service, show the page again.

    htmx swaps the ticket page region in place (200 on success, 400 with the form's errors);
    without JavaScript a success redirects to the page and an error renders it with the form.
    """

    form_class = None
    prefix = ""

    def get(self, request, *args, **kwargs):
        return redirect(self.url("detail", kwargs["number"]))

    def get_form(self, ticket):
        return self.form_class(self.request.POST, self.request.FILES, prefix=self.prefix)

    def post(self, request, number):
        self.object = ticket = self.get_object()
        form = self.get_form(ticket)
        if form.is_valid():
            try:
                message = self.perform(ticket, form)
            except StaleVersion:
                form.add_error(None, STALE_MESSAGE)
            except ValidationError as exc:
                add_service_errors(form, exc, field_map=getattr(self, "field_map", None))
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or _("You may not do this."))
            else:
                return self.success(ticket, message)
        return self.failure(ticket, form)

    def perform(self, ticket, form) -> str:
        raise NotImplementedError

    def success(self, ticket, message: str):
        if is_htmx(self.request):
            fresh = self.get_queryset().filter(pk=ticket.pk).first()
            if fresh is None:
                response = HttpResponseRedirect(self.url("list"))
                response["HX-Redirect"] = self.url("list")
                return response
            context = ticket_page_context(self, fresh)
            context["flash"] = message
            return render(self.request, "tickets/detail.html", context)
        messages.success(self.request, message)
        return redirect(self.next_url() or self.url("detail", ticket.number))

    def failure(self, ticket, form):
        ticket = self.get_queryset().get(pk=ticket.pk)
        context = ticket_page_context(self, ticket, {self.prefix: form})
        return render(self.request, "tickets/detail.html", context, status=400)

    def next_url(self) -> str | None:
        url = self.request.POST.get("next")
        if url and url_has_allowed_host_and_scheme(url, allowed_hosts={self.request.get_host()}):
            return url
        return None


def _version(form) -> int | None:
    return form.cleaned_data.get("version")


class CommentView(TicketActionView):
    """The composer: a comment (and optionally a file) with a chosen audience. htmx appends the
    new entry to the timeline and answers with a fresh composer."""

    prefix = "comment"

    def get_form(self, ticket):
        requester = viewer_for(self.request.user).is_requester
        return CommentForm(
            self.request.POST, self.request.FILES, prefix=self.prefix, requester=requester
        )

    def perform(self, ticket, form) -> str:
        data = form.cleaned_data
        with transaction.atomic():  # a comment and its file, or neither
            self.comment = comment_add(
                ticket=ticket,
                by=self.request.user,
                body=data["body"],
                visibility=data["visibility"],
            )
            if data.get("file"):
                attachment_add(
                    ticket=ticket,
                    by=self.request.user,
                    upload=data["file"],
                    visibility=data["visibility"],
                    comment=self.comment,
                )
        return _("Comment added.")

    def composer_response(self, ticket, form, *, status=200, entry=None):
        """Only the composer (and the new entry, out of band): not the whole page."""
        viewer = viewer_for(self.request.user)
        organizations = {o.pk: o for o in Organization.objects.restrict(self.request.user)}
        context = {
            **self.side_context(),
            **composer_context(ticket, viewer, organizations, form),
            "ticket": ticket,
            "new_entry": entry,
        }
        return render(self.request, "tickets/_composer_response.html", context, status=status)

    def success(self, ticket, message):
        if not is_htmx(self.request):
            messages.success(self.request, message)
            return redirect(f"{self.url('detail', ticket.number)}#comment-{self.comment.pk}")
        user = self.request.user
        comment = (
            Comment.objects.restrict(user, "view")
            .select_related("author", "author_organization")
            .prefetch_related(
                Prefetch("attachments", queryset=Attachment.objects.restrict(user, "view"))
            )
            .get(pk=self.comment.pk)
        )
        entry = selectors.TimelineEntry("comment", comment.created_at, comment)
        return self.composer_response(self.get_object(), None, entry=entry)

    def failure(self, ticket, form):
        if is_htmx(self.request):
            return self.composer_response(ticket, form, status=400)
        return super().failure(ticket, form)


class TransitionView(TicketActionView):
    form_class = TransitionForm
    prefix = "transition"

    def perform(self, ticket, form) -> str:
        data = form.cleaned_data
        ticket_transition(
            ticket=ticket,
            by=self.request.user,
            to=data["to"],
            pending_reason=data.get("pending_reason") or "",
            resolution=data.get("resolution") or "",
            resolution_code=data.get("resolution_code") or "",
            expected_version=_version(form),
        )
        return _("%(number)s is now %(status)s.") % {
            "number": ticket.number,
            "status": Status(data["to"]).label.lower(),
        }


class AssignView(TicketActionView):
    prefix = "assign"

    def teams(self, ticket):
        return selectors.teams_for_ticket(ticket=ticket, user=self.request.user)[0]

    def get_form(self, ticket):
        return AssignForm(self.request.POST, prefix=self.prefix, teams=self.teams(ticket))

    def perform(self, ticket, form) -> str:
        data = form.cleaned_data
        user = self.request.user
        if data.get("me"):
            updated = ticket_assign(
                ticket=ticket, by=user, assignee=user, expected_version=_version(form)
            )
        else:
            updated = ticket_assign(
                ticket=ticket,
                by=user,
                team=form.teams.get(data.get("team") or "", ticket.team),
                assignee=form.members.get(data.get("assignee") or ""),
                expected_version=_version(form),
            )
        if updated.assignee:
            return _("Assigned to %(person)s.") % {"person": person_name(updated.assignee)}
        return _("Assigned to %(team)s.") % {"team": updated.team.name if updated.team else "—"}


class FieldsView(TicketActionView):
    form_class = FieldsForm
    prefix = "fields"

    def perform(self, ticket, form) -> str:
        data = form.cleaned_data
        updated = ticket_update(
            ticket=ticket,
            by=self.request.user,
            expected_version=_version(form),
            impact=data["impact"],
            urgency=data["urgency"],
        )
        return _("Saved. Priority is P%(p)s.") % {"p": updated.priority}


class HandoffView(TicketActionView):
    prefix = "handoff"
    field_map = {"checklist": "steps_tried"}

    def get_form(self, ticket):
        teams = selectors.teams_for_ticket(ticket=ticket, user=self.request.user)[1]
        return HandoffForm(self.request.POST, prefix=self.prefix, teams=teams)

    def perform(self, ticket, form) -> str:
        handoff = ticket_handoff(
            ticket=ticket,
            by=self.request.user,
            expected_version=_version(form),
            **form.service_kwargs(),
        )
        return _("Handed off to %(team)s; waiting for them to accept.") % {
            "team": handoff.to_team.name
        }


class HandoffAnswerMixin:
    """Accept and reject also answer from the partner's handoff cards (``card=1``)."""

    def card_response(self, ticket, form=None, status=200):
        handoff = (
            Handoff.objects.restrict(self.request.user, "view")
            .filter(ticket=ticket)
            .select_related("ticket", "to_team", "from_team", "created_by", "from_organization")
            .order_by("-created_at")
            .first()
        )
        context = {
            **self.side_context(),
            "handoff": handoff,
            "reject_form": form or RejectForm(prefix="reject"),
            "reject_open": form is not None,
        }
        return render(self.request, "tickets/_handoff_card.html", context, status=status)

    def success(self, ticket, message):
        if is_htmx(self.request) and self.request.POST.get("card"):
            return self.card_response(ticket)
        return super().success(ticket, message)

    def failure(self, ticket, form):
        if is_htmx(self.request) and self.request.POST.get("card"):
            return self.card_response(ticket, form, status=400)
        return super().failure(ticket, form)


class _NoFields(RejectForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.clear()


class AcceptView(HandoffAnswerMixin, TicketActionView):
    prefix = "reject"  # errors show in the handoff box

    def get_form(self, ticket):
        return _NoFields(self.request.POST, prefix=self.prefix)

    def perform(self, ticket, form) -> str:
        handoff_accept(ticket=ticket, by=self.request.user)
        return _("Handoff of %(number)s accepted.") % {"number": ticket.number}


class RejectView(HandoffAnswerMixin, TicketActionView):
    form_class = RejectForm
    prefix = "reject"

    def perform(self, ticket, form) -> str:
        handoff_reject(ticket=ticket, by=self.request.user, reason=form.cleaned_data["reason"])
        return _("Handoff of %(number)s rejected; it went back.") % {"number": ticket.number}


class WorkLogView(TicketActionView):
    form_class = WorkLogForm
    prefix = "worklog"

    def perform(self, ticket, form) -> str:
        data = form.cleaned_data
        worklog_add(
            ticket=ticket,
            by=self.request.user,
            minutes=data["minutes"],
            description=data["description"],
            billable=data["billable"],
        )
        return _("%(n)d min logged.") % {"n": data["minutes"]}


class WatchView(TicketActionView):
    form_class = _NoFields
    prefix = "watch"

    def perform(self, ticket, form) -> str:
        watching = self.request.POST.get("watching") == "1"
        ticket_watch(ticket=ticket, by=self.request.user, watching=watching)
        return _("You are watching this ticket.") if watching else _("You stopped watching.")


class LinkView(TicketActionView):
    form_class = LinkForm
    prefix = "link"

    def perform(self, ticket, form) -> str:
        number = form.cleaned_data["target"]
        target = Ticket.objects.restrict(self.request.user, "view").filter(number=number).first()
        if target is None:
            raise ValidationError(
                {"target": [_("No ticket %(n)s that you can see.") % {"n": number}]}
            )
        ticket_link(
            source=ticket, target=target, kind=form.cleaned_data["kind"], by=self.request.user
        )
        return _("Linked to %(number)s.") % {"number": number}


class DecisionView(TicketActionView):
    prefix = "decision"

    def get_form(self, ticket):
        organizations = Organization.objects.restrict(self.request.user, "view")
        return DecisionForm(self.request.POST, prefix=self.prefix, organizations=organizations)

    def perform(self, ticket, form) -> str:
        data = form.cleaned_data
        record = decision_record_create(
            by=self.request.user,
            title=data["title"],
            context=data["context"],
            options=data["options"],
            decision=data["decision"],
            party=form.organizations[data["party"]],
            tickets=[ticket],
            engagement=ticket.engagement,
        )
        return _("Decision “%(title)s” recorded.") % {"title": record.title}


class AttachmentDownloadView(RestrictedViewMixin, SingleObjectMixin, View):
    """A file, only for those who may read it: the attachment's own visibility rule decides."""

    queryset = Attachment.objects.all()
    pk_url_kwarg = "attachment_id"

    def get_queryset(self):
        return super().get_queryset().filter(ticket__number=self.kwargs["number"])

    def get(self, request, number, attachment_id):
        attachment = self.get_object()
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError:
            raise Http404(_("The file is missing from storage.")) from None
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=attachment.filename,
            content_type=attachment.content_type or "application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
