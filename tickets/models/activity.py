"""What happens on a ticket: comments, attachments, work logs, handoffs, links, decisions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.choices import HandoffStatus, LinkKind, Visibility
from tickets.querysets import (
    AttachmentQuerySet,
    CommentQuerySet,
    DecisionRecordQuerySet,
    HandoffQuerySet,
    TicketLinkQuerySet,
    WorkLogQuerySet,
)


class Comment(models.Model):
    """A message on a ticket; never edited in place (corrections are new comments)."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The author's organization when writing: decides who reads an ``internal`` comment.
    author_organization = models.ForeignKey(
        "cogest.Organization", on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(_("comment"))
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [models.Index(fields=["ticket", "created_at"], name="comment_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.get_visibility_display()} comment on {self.ticket_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{timezone.now():%Y/%m}/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    """A file on a ticket (or one of its comments); downloaded only through a checked view."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="attachments"
    )
    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploader_organization = models.ForeignKey(
        "cogest.Organization", on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(upload_to=attachment_path, max_length=300)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class WorkLog(models.Model):
    """An intervention: who worked how long on what, billable or not (reviews and invoices)."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="worklogs")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_organization = models.ForeignKey(
        "cogest.Organization", on_delete=models.PROTECT, related_name="+"
    )
    performed_at = models.DateTimeField(_("performed"), default=timezone.now)
    minutes = models.PositiveIntegerField(_("minutes"))
    description = models.TextField(_("what was done"))
    billable = models.BooleanField(_("billable"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkLogQuerySet.as_manager()

    class Meta:
        ordering = ["performed_at", "id"]
        verbose_name = _("work log")
        verbose_name_plural = _("work logs")
        indexes = [models.Index(fields=["ticket", "performed_at"], name="worklog_ticket_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1, minutes__lte=24 * 60), name="worklog_minutes_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.minutes} min on {self.ticket_id}"


class Handoff(models.Model):
    """Moving a ticket to another organization's team, with the checklist and summary the
    receiving team needs; it accepts, or rejects with a reason (which sends it back)."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="handoffs")
    from_team = models.ForeignKey(
        "cogest.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_team = models.ForeignKey("cogest.Team", on_delete=models.PROTECT, related_name="+")
    from_organization = models.ForeignKey(
        "cogest.Organization", on_delete=models.PROTECT, related_name="+"
    )
    to_organization = models.ForeignKey(
        "cogest.Organization", on_delete=models.PROTECT, related_name="+"
    )
    summary = models.TextField(_("summary"))
    checklist = models.JSONField(_("checklist"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=HandoffStatus.choices, default=HandoffStatus.PENDING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("handed off"), default=timezone.now)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    responded_at = models.DateTimeField(_("answered"), null=True, blank=True)
    reject_reason = models.TextField(_("reason for rejecting"), blank=True)

    objects = HandoffQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("handoff")
        verbose_name_plural = _("handoffs")
        indexes = [
            models.Index(fields=["to_organization", "status"], name="handoff_inbox_idx"),
            # Timed escalation ("handoff not accepted within"): pending ones by age.
            models.Index(
                fields=["created_at"],
                name="handoff_pending_age_idx",
                condition=Q(status="pending"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(status="pending"), name="one_pending_handoff"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.to_team_id} ({self.status})"


class TicketLink(models.Model):
    """A typed link between two tickets (duplicate of, caused by, parent of, relates to)."""

    source = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="links_out")
    kind = models.CharField(_("link"), max_length=16, choices=LinkKind.choices)
    target = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="links_in")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TicketLinkQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket link")
        verbose_name_plural = _("ticket links")
        constraints = [
            models.UniqueConstraint(fields=["source", "kind", "target"], name="unique_ticket_link"),
            models.CheckConstraint(condition=~Q(source=F("target")), name="ticket_link_no_self"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"


class DecisionRecord(models.Model):
    """A technical decision (context, options, decision, who, for which party), kept apart from
    the comment stream and linked to tickets, changes and CIs."""

    title = models.CharField(_("title"), max_length=200)
    context = models.TextField(_("context"))
    options = models.TextField(_("options considered"), blank=True)
    decision = models.TextField(_("decision"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    party = models.ForeignKey(
        "cogest.Organization",
        on_delete=models.PROTECT,
        related_name="decisions",
        verbose_name=_("for"),
    )
    engagement = models.ForeignKey(
        "cogest.Engagement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decisions",
    )
    decided_on = models.DateField(_("date"), default=timezone.localdate)
    tickets = models.ManyToManyField("tickets.Ticket", related_name="decisions", blank=True)
    cis = models.ManyToManyField("cmdb.ConfigurationItem", related_name="decisions", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DecisionRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_on", "-id"]
        verbose_name = _("decision record")
        verbose_name_plural = _("decision records")

    def __str__(self) -> str:
        return self.title
