"""KPI reviews (SPEC 2.4, 2.6): per engagement and period, the scorecard frozen when it was
prepared, the record of the review meeting and the follow-up actions it decided."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cogest.querysets import RestrictedQuerySet, Viewer


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", _("Prepared, meeting not held yet")
    HELD = "held", _("Meeting held")


# The one table of allowed moves: recording the meeting holds the review; a held review stays held
# (its record can still be corrected, audited).
REVIEW_TRANSITIONS: dict[str, frozenset[str]] = {
    ReviewStatus.DRAFT: frozenset({ReviewStatus.HELD}),
    ReviewStatus.HELD: frozenset({ReviewStatus.HELD}),
}


def _review_rule(viewer: Viewer, action: str, prefix: str = "") -> Q | None:
    """Internal staff read every review and internal managers work on them; a provider's managers
    read and work on the reviews of their own organization's engagements. Technicians and
    requesters see none (SPEC 3: a provider manager sees their own engagement's KPIs)."""
    if viewer.is_requester:
        return None
    if viewer.is_internal:
        if action == "view" or viewer.is_manager:
            return Q()
        return None
    if viewer.is_provider and viewer.is_manager:
        return Q(**{f"{prefix}engagement__provider_id": viewer.organization_id})
    return None


class KpiReviewQuerySet(RestrictedQuerySet):
    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        return _review_rule(viewer, action)


class KpiReview(models.Model):
    """The periodic review of one engagement: its KPIs against the targets over one period, as
    computed when the review was prepared, and whether the review meeting has been held."""

    engagement = models.ForeignKey(
        "cogest.Engagement",
        on_delete=models.PROTECT,
        related_name="kpi_reviews",
        verbose_name=_("engagement"),
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to (inclusive)"))
    figures = models.JSONField(
        _("figures"),
        default=dict,
        help_text=_("The KPI figures, targets and work-log totals when the review was prepared."),
    )
    prepared_at = models.DateTimeField(_("prepared"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=8, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT
    )
    notified_at = models.DateTimeField(_("owners notified"), null=True, blank=True)

    objects = KpiReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-period_start", "engagement__name"]
        verbose_name = _("KPI review")
        verbose_name_plural = _("KPI reviews")
        constraints = [
            # One review per engagement and period: the monthly job can run twice.
            models.UniqueConstraint(
                fields=["engagement", "period_start"], name="kpi_review_once_per_period"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="kpi_review_period_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.engagement} {self.period_start:%Y-%m-%d} → {self.period_end:%Y-%m-%d}"

    @property
    def is_held(self) -> bool:
        return self.status == ReviewStatus.HELD


class ReviewMeetingQuerySet(RestrictedQuerySet):
    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        return _review_rule(viewer, action, prefix="review__")


class ReviewMeeting(models.Model):
    """The record of a review meeting: when, who attended from both sides, the minutes and the
    decisions taken."""

    review = models.OneToOneField(
        KpiReview, on_delete=models.CASCADE, related_name="meeting", verbose_name=_("review")
    )
    held_on = models.DateField(_("held on"))
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="review_meetings",
        blank=True,
        verbose_name=_("attendees"),
    )
    minutes = models.TextField(
        pgettext_lazy("record of a meeting", "minutes"), blank=True, help_text=_("Markdown.")
    )
    decisions = models.TextField(_("decisions"), blank=True, help_text=_("Markdown."))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ReviewMeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("review meeting")
        verbose_name_plural = _("review meetings")

    def __str__(self) -> str:
        return f"{self.review} ({self.held_on:%Y-%m-%d})"


class FollowUpActionQuerySet(RestrictedQuerySet):
    def visibility_filter(self, viewer: Viewer, action: str) -> Q | None:
        """As the review; the owner of an action may also mark it done."""
        rule = _review_rule(viewer, action, prefix="review__")
        if action == "change" and viewer.is_authenticated and viewer.user is not None:
            own = Q(owner_id=viewer.user.pk)
            return own if rule is None else rule | own
        return rule


class FollowUpAction(models.Model):
    """Something a review decided to do: what, who owns it, by when, and when it was done."""

    review = models.ForeignKey(
        KpiReview, on_delete=models.CASCADE, related_name="actions", verbose_name=_("review")
    )
    description = models.CharField(_("action"), max_length=500)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="review_actions",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(_("due"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = FollowUpActionQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("follow-up action")
        verbose_name_plural = _("follow-up actions")
        indexes = [models.Index(fields=["owner", "done_at"], name="review_action_owner_idx")]

    def __str__(self) -> str:
        return self.description[:80]

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    def is_overdue(self, today=None) -> bool:
        return not self.is_done and self.due_on < (today or timezone.localdate())
