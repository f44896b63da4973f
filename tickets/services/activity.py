"""Comments, attachments and work logs on a ticket."""

from __future__ import annotations

import datetime as dt
import hashlib
import mimetypes
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cogest.events import publish
from cogest.querysets import viewer_for
from cogest.services import audit_record
from tickets import events
from tickets.choices import Visibility
from tickets.models import Attachment, Comment, Ticket, WorkLog

from .common import organization_id_of


def _visible_ticket(*, ticket: Ticket | int, by) -> Ticket:
    pk = ticket.pk if isinstance(ticket, Ticket) else ticket
    return Ticket.objects.restrict(by, "view").get(pk=pk)


def _check_visibility(viewer, visibility: str) -> None:
    if visibility not in Visibility.values:
        raise ValidationError(
            {
                "visibility": [
                    _("Visibility is one of: %(choices)s.")
                    % {"choices": ", ".join(Visibility.values)}
                ]
            }
        )
    if viewer.is_requester and visibility != Visibility.PUBLIC:
        raise ValidationError({"visibility": [_("Requesters write public comments.")]})


@transaction.atomic
def comment_add(*, ticket: Ticket | int, by, body: str, visibility: str) -> Comment:
    """Add a comment; ``internal`` stays within the author's organization (SPEC 2.2)."""
    viewer = viewer_for(by)
    ticket = _visible_ticket(ticket=ticket, by=by)
    _check_visibility(viewer, visibility)
    if not can_comment(viewer, ticket):
        raise PermissionDenied(_("This ticket was shared with you read-only."))
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("Write something.")]})
    if len(body) > settings.COMMENT_MAX_CHARS:
        raise ValidationError(
            {
                "body": [
                    _("A comment holds at most %(n)s characters.")
                    % {"n": settings.COMMENT_MAX_CHARS}
                ]
            }
        )
    if ticket.status in ("closed", "cancelled") and not viewer.is_internal:
        raise ValidationError({"body": [_("This ticket is closed.")]})
    comment = Comment.objects.create(
        ticket=ticket,
        author=by,
        author_organization_id=viewer.organization_id,
        body=body,
        visibility=visibility,
        created_at=timezone.now(),
    )
    # The first answer the requester can read is the first response (SLA).
    first_response = (
        visibility == Visibility.PUBLIC
        and not viewer.is_requester
        and by.pk != ticket.requester_id
        and Ticket.objects.filter(pk=ticket.pk, first_response_at__isnull=True).update(
            first_response_at=comment.created_at
        )
        == 1
    )
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=comment.created_at)
    audit_record(
        actor=by,
        action="comment.added",
        obj=ticket,
        after={"comment": comment.pk, "visibility": visibility},
    )
    publish(
        events.CommentAdded(
            ticket_id=ticket.pk,
            actor_id=by.pk,
            comment_id=comment.pk,
            visibility=visibility,
            author_organization_id=comment.author_organization_id,
            first_response=first_response,
        )
    )
    return comment


def can_comment(viewer, ticket: Ticket) -> bool:
    """Who may write on a visible ticket: internal staff and the requester always; a provider
    whose teams hold or held it, or that has a read-and-comment grant in force."""
    if viewer.is_admin or viewer.is_internal:
        return True
    from cogest.models import AccessGrant, GrantLevel, Team
    from tickets.models import TicketHolding

    org = viewer.organization_id
    if TicketHolding.objects.filter(ticket=ticket, organization_id=org).exists():
        return True
    comment_grants = AccessGrant.objects.for_viewer
    return comment_grants(viewer, Ticket, level=GrantLevel.COMMENT).filter(
        object_id=ticket.pk
    ).exists() or (
        ticket.team_id is not None
        and comment_grants(viewer, Team, level=GrantLevel.COMMENT)
        .filter(object_id=ticket.team_id)
        .exists()
    )


def _check_upload(upload) -> tuple[str, str]:
    name = PurePath(upload.name or "").name.strip()
    if not name:
        raise ValidationError({"file": [_("The file has no name.")]})
    extension = PurePath(name).suffix.lower().lstrip(".")
    if extension not in settings.ATTACHMENT_ALLOWED_EXTENSIONS:
        raise ValidationError(
            {
                "file": [
                    _("Files of type “.%(ext)s” are not accepted. Allowed: %(allowed)s.")
                    % {
                        "ext": extension or "?",
                        "allowed": ", ".join(settings.ATTACHMENT_ALLOWED_EXTENSIONS),
                    }
                ]
            }
        )
    if upload.size is None or upload.size == 0:
        raise ValidationError({"file": [_("The file is empty.")]})
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            {
                "file": [
                    _("The file is larger than %(mb)s MB.")
                    % {"mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)}
                ]
            }
        )
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return name[:255], content_type


@transaction.atomic
def attachment_add(
    *, ticket: Ticket | int, by, upload, visibility: str = Visibility.INTERNAL, comment=None
) -> Attachment:
    """Attach a file (type and size limits), with the same visibility rules as comments."""
    viewer = viewer_for(by)
    ticket = _visible_ticket(ticket=ticket, by=by)
    _check_visibility(viewer, visibility)
    name, content_type = _check_upload(upload)
    if comment is not None and comment.ticket_id != ticket.pk:
        raise ValidationError({"comment": [_("That comment belongs to another ticket.")]})
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(
        ticket=ticket,
        comment=comment,
        uploaded_by=by,
        uploader_organization_id=viewer.organization_id,
        filename=name,
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        visibility=visibility,
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now())
    audit_record(
        actor=by,
        action="attachment.added",
        obj=ticket,
        after={
            "attachment": attachment.pk,
            "file": name,
            "size": attachment.size,
            "visibility": visibility,
        },
    )
    publish(
        events.AttachmentAdded(
            ticket_id=ticket.pk, actor_id=by.pk, attachment_id=attachment.pk, visibility=visibility
        )
    )
    return attachment


@transaction.atomic
def worklog_add(
    *,
    ticket: Ticket | int,
    by,
    minutes: int,
    description: str,
    billable: bool = False,
    performed_at=None,
) -> WorkLog:
    """Record an intervention on a ticket the actor's organization works (or worked) on."""
    viewer = viewer_for(by)
    if viewer.is_requester:
        raise PermissionDenied(_("Only technicians log work."))
    ticket = _visible_ticket(ticket=ticket, by=by)
    try:
        minutes = int(minutes)
    except (TypeError, ValueError):
        raise ValidationError({"minutes": [_("Minutes must be a whole number.")]}) from None
    if not 1 <= minutes <= 24 * 60:
        raise ValidationError({"minutes": [_("Between 1 and 1440 minutes.")]})
    description = (description or "").strip()
    if not description:
        raise ValidationError({"description": [_("Say what was done.")]})
    performed_at = performed_at or timezone.now()
    if performed_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"performed_at": [_("Work cannot be logged in the future.")]})
    log = WorkLog.objects.create(
        ticket=ticket,
        author=by,
        author_organization_id=organization_id_of(by),
        performed_at=performed_at,
        minutes=minutes,
        description=description,
        billable=bool(billable),
    )
    audit_record(
        actor=by,
        action="worklog.added",
        obj=ticket,
        after={"worklog": log.pk, "minutes": minutes, "billable": log.billable},
    )
    publish(
        events.WorkLogged(ticket_id=ticket.pk, actor_id=by.pk, worklog_id=log.pk, minutes=minutes)
    )
    return log
