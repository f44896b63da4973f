"""KPI reviews (SPEC 2.4, 2.6): services that prepare a review and record its meeting and
follow-up actions, and the selectors that read them for one person.

A review freezes the engagement's figures for one period when it is prepared (the monthly job, or
an internal manager), so both sides discuss the same numbers. Periods follow the engagement's
review cadence from its start date, on the installation's timezone, so the review, the report API
and the job agree whoever asks.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cogest import outbox
from cogest.choices import OrganizationKind, Role
from cogest.models import Engagement, Organization, UserProfile
from cogest.models.engagements import CADENCE_MONTHS
from cogest.querysets import viewer_for
from cogest.services import audit_record
from sla import metrics
from sla.models import Clock, FollowUpAction, KpiReview, ReviewMeeting
from sla.models.reviews import REVIEW_TRANSITIONS, ReviewStatus
from tickets.models import Ticket, WorkLog

log = logging.getLogger(__name__)

NOTIFY_TASK = "sla.tasks.kpi_review_notify"
SYSTEM_ACTOR = "system:kpi_reviews"
SNAPSHOT_VERSION = 1
MINUTES_MAX_CHARS = 50_000


# --- Periods ----------------------------------------------------------------------------------


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def last_finished_period(
    engagement: Engagement, today: dt.date | None = None
) -> tuple[dt.date, dt.date] | None:
    """The latest whole cadence period after the engagement's start that ended before today:
    ``(first day, last day)``, or ``None`` when no period has ended yet."""
    today = today or timezone.localdate()
    step = CADENCE_MONTHS[engagement.review_cadence]
    periods = 0
    while _add_months(engagement.starts_on, step * (periods + 1)) <= today:
        periods += 1
    if periods == 0:
        return None
    first = _add_months(engagement.starts_on, step * (periods - 1))
    last = _add_months(engagement.starts_on, step * periods) - dt.timedelta(days=1)
    if engagement.ends_on and first > engagement.ends_on:
        return None
    return first, last


def review_period(first: dt.date, last: dt.date) -> metrics.Period:
    """A review's period on the installation's timezone (the same for both sides)."""
    return metrics.Period.from_dates(first, last, timezone.get_default_timezone())


# --- Computing a review's figures --------------------------------------------------------------


def kpi_review_compute(
    *, engagement: Engagement, period_start: dt.date, period_end: dt.date
) -> dict:
    """The snapshot a review keeps: the engagement's figures over the period, the targets it
    was held to then, and the work logged per organization (computed for the system: every
    clock, ticket and work log of the engagement)."""
    period = review_period(period_start, period_end)
    figures = metrics.engagement_figures(
        clocks=Clock.objects.all(),
        tickets=Ticket.objects.all(),
        engagement=engagement,
        period=period,
    )
    return {
        "version": SNAPSHOT_VERSION,
        "computed_at": timezone.now().isoformat(),
        "timezone": settings.TIME_ZONE,
        "targets": dict(engagement.kpi_targets or {}),
        "figures": figures,
        "worklogs": metrics.worklog_totals(
            worklogs=WorkLog.objects.all(), engagement=engagement, period=period
        ),
    }


def _audit_actor(by) -> dict:
    return {"actor": by} if by is not None else {"actor": None, "actor_label": SYSTEM_ACTOR}


def kpi_review_prepare(
    *,
    engagement: Engagement,
    period_start: dt.date,
    period_end: dt.date,
    by=None,
) -> tuple[KpiReview, bool]:
    """Prepare the review of one engagement and period, once: ``(review, created)``. A review
    that exists already is returned untouched (the unique constraint settles a race). The two
    owners are told by email after commit."""
    if by is not None and not (
        Engagement.objects.restrict(by, "change").filter(pk=engagement.pk).exists()
    ):
        raise ValidationError(_("Only internal managers prepare reviews."))
    if period_end < period_start:
        raise ValidationError({"period_end": [_("The period cannot end before it starts.")]})
    existing = KpiReview.objects.filter(engagement=engagement, period_start=period_start).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            review = KpiReview.objects.create(
                engagement=engagement,
                period_start=period_start,
                period_end=period_end,
                figures=kpi_review_compute(
                    engagement=engagement, period_start=period_start, period_end=period_end
                ),
            )
            audit_record(
                **_audit_actor(by),
                action="sla.review_prepared",
                obj=review,
                after={
                    "engagement": engagement.pk,
                    "period_start": period_start,
                    "period_end": period_end,
                },
            )
            outbox.enqueue(NOTIFY_TASK, review.pk)
    except IntegrityError:  # prepared meanwhile by a concurrent run
        return KpiReview.objects.get(engagement=engagement, period_start=period_start), False
    return review, True


def kpi_reviews_prepare_due(*, today: dt.date | None = None) -> list[int]:
    """For every active engagement, the review of its last finished period, if missing (the
    monthly job). Safe to run twice: returns the ids of the reviews it created."""
    created = []
    for engagement in Engagement.objects.active().order_by("pk"):
        period = last_finished_period(engagement, today)
        if period is None:
            continue
        review, was_created = kpi_review_prepare(
            engagement=engagement, period_start=period[0], period_end=period[1]
        )
        if was_created:
            created.append(review.pk)
    return created


@transaction.atomic
def kpi_review_refresh(*, review: KpiReview, by) -> KpiReview:
    """Compute a draft review's figures again (late resolutions, corrected work logs); a held
    review keeps the figures the meeting discussed."""
    review = KpiReview.objects.lock_for_change(by, review.pk)
    if review.status != ReviewStatus.DRAFT:
        raise ValidationError(_("The meeting was held: its figures are kept as discussed."))
    if not viewer_for(by).is_internal:
        raise ValidationError(_("Only internal managers recompute a review."))
    before = review.figures.get("figures", {})
    review.figures = kpi_review_compute(
        engagement=review.engagement,
        period_start=review.period_start,
        period_end=review.period_end,
    )
    review.prepared_at = timezone.now()
    review.save(update_fields=["figures", "prepared_at"])
    audit_record(
        actor=by,
        action="sla.review_recomputed",
        obj=review,
        before=before,
        after=review.figures["figures"],
    )
    return review


# --- Meeting record and follow-up actions ----------------------------------------------------


def review_people(*, review: KpiReview, user=None) -> QuerySet:
    """Who can attend a review: active people of the internal organization and of the
    engagement's provider (not requesters, not service accounts) — as far as ``user`` sees."""
    profiles = UserProfile.objects.all() if user is None else UserProfile.objects.restrict(user)
    profiles = profiles.filter(
        Q(organization__kind=OrganizationKind.INTERNAL)
        | Q(organization_id=review.engagement.provider_id),
        user__is_active=True,
        is_service_account=False,
    ).exclude(role=Role.REQUESTER)
    return (
        get_user_model()
        .objects.filter(pk__in=profiles.values("user_id"))
        .select_related("profile__organization")
        .order_by("profile__organization__kind", "first_name", "username")
    )


def review_owners(*, review: KpiReview, user=None) -> QuerySet:
    """Who can own a follow-up action: people who can read the review (internal staff, the
    provider's managers)."""
    return review_people(review=review, user=user).filter(
        Q(profile__organization__kind=OrganizationKind.INTERNAL)
        | Q(profile__role__in=[Role.MANAGER, Role.ADMIN])
    )


@transaction.atomic
def review_meeting_record(
    *,
    review: KpiReview,
    by,
    held_on: dt.date,
    attendees: list,
    minutes: str = "",
    decisions: str = "",
) -> ReviewMeeting:
    """Record (or correct) the review meeting: it holds the review. Attendees come from both
    sides; the minutes and decisions are Markdown, rendered sanitized."""
    review = KpiReview.objects.lock_for_change(by, review.pk)
    if ReviewStatus.HELD not in REVIEW_TRANSITIONS[review.status]:
        raise ValidationError(_("This review cannot be held now."))
    errors: dict[str, list] = {}
    today = timezone.localdate()
    if held_on > today:
        errors.setdefault("held_on", []).append(_("Record a meeting once it has taken place."))
    if held_on < review.period_start:
        errors.setdefault("held_on", []).append(
            _("The meeting cannot come before the period it reviews.")
        )
    eligible = set(review_people(review=review).values_list("pk", flat=True))
    chosen = {getattr(person, "pk", person) for person in attendees}
    if chosen - eligible:
        errors.setdefault("attendees", []).append(
            _("Attendees must be people of Internal IT or of the provider.")
        )
    sides = set(
        UserProfile.objects.filter(user_id__in=chosen).values_list("organization__kind", flat=True)
    )
    if sides != {OrganizationKind.INTERNAL, OrganizationKind.PROVIDER}:
        errors.setdefault("attendees", []).append(
            _("A review meeting has attendees from both sides: Internal IT and the provider.")
        )
    for name, text in (("minutes", minutes), ("decisions", decisions)):
        if len(text or "") > MINUTES_MAX_CHARS:
            errors.setdefault(name, []).append(
                _("At most %(n)s characters.") % {"n": MINUTES_MAX_CHARS}
            )
    if errors:
        raise ValidationError(errors)
    meeting = ReviewMeeting.objects.filter(review=review).first()
    before = (
        {
            "held_on": meeting.held_on,
            "attendees": sorted(meeting.attendees.values_list("pk", flat=True)),
            "minutes": meeting.minutes,
            "decisions": meeting.decisions,
        }
        if meeting
        else {"status": review.status}
    )
    if meeting is None:
        meeting = ReviewMeeting(review=review, recorded_by=by)
    meeting.held_on = held_on
    meeting.minutes = (minutes or "").strip()
    meeting.decisions = (decisions or "").strip()
    meeting.save()
    meeting.attendees.set(sorted(chosen))
    review.status = ReviewStatus.HELD
    review.save(update_fields=["status"])
    audit_record(
        actor=by,
        action="sla.review_meeting_recorded",
        obj=review,
        before=before,
        after={
            "held_on": held_on,
            "attendees": sorted(chosen),
            "minutes": meeting.minutes,
            "decisions": meeting.decisions,
            "status": review.status,
        },
    )
    return meeting


@transaction.atomic
def followup_add(
    *, review: KpiReview, by, description: str, owner, due_on: dt.date
) -> FollowUpAction:
    """A follow-up action decided in a review: what, who owns it, by when."""
    review = KpiReview.objects.lock_for_change(by, review.pk)
    errors: dict[str, list] = {}
    description = (description or "").strip()
    if not description:
        errors["description"] = [_("Say what has to be done.")]
    owner_id = getattr(owner, "pk", owner)
    if not review_owners(review=review).filter(pk=owner_id).exists():
        errors["owner"] = [_("The owner must be someone who can read this review.")]
    if due_on < timezone.localdate():
        errors["due_on"] = [_("The due date cannot be in the past.")]
    if errors:
        raise ValidationError(errors)
    action = FollowUpAction.objects.create(
        review=review, description=description, owner_id=owner_id, due_on=due_on, created_by=by
    )
    audit_record(
        actor=by,
        action="sla.review_action_added",
        obj=action,
        after={"review": review.pk, "owner": owner_id, "due_on": due_on},
    )
    return action


@transaction.atomic
def followup_set_done(*, action: FollowUpAction, by, done: bool = True) -> FollowUpAction:
    """Mark a follow-up action done (or open again): its owner or the review's managers."""
    action = FollowUpAction.objects.lock_for_change(by, action.pk)
    before = action.done_at
    if done and action.done_at is None:
        action.done_at = timezone.now()
    elif not done:
        action.done_at = None
    if action.done_at != before:
        action.save(update_fields=["done_at"])
        audit_record(
            actor=by,
            action="sla.review_action_done" if done else "sla.review_action_reopened",
            obj=action,
            before={"done_at": before},
            after={"done_at": action.done_at},
        )
    return action


# --- Notification -----------------------------------------------------------------------------


def kpi_review_notify(*, review_id: int) -> int:
    """Email both owners that a review is ready, each in their language, once (the review keeps
    when it was sent; a retry after a failure sends again). Returns the emails sent."""
    with transaction.atomic():
        review = (
            KpiReview.objects.select_for_update()
            .filter(pk=review_id, notified_at__isnull=True)
            .first()
        )
        if review is None:
            return 0
        engagement = Engagement.objects.select_related(
            "internal_owner__profile", "provider_owner__profile"
        ).get(pk=review.engagement_id)
        sent = 0
        for owner, url_name in (
            (engagement.internal_owner, "sla:review"),
            (engagement.provider_owner, "partner-kpis:review"),
        ):
            if not owner.email or not owner.is_active:
                continue
            profile = getattr(owner, "profile", None)
            language = getattr(profile, "language", None) or settings.LANGUAGE_CODE
            with translation.override(language):
                link = settings.PUBLIC_URL + reverse(url_name, args=[review.pk])
                period = f"{review.period_start:%Y-%m-%d} – {review.period_end:%Y-%m-%d}"
                subject = gettext("KPI review ready: %(engagement)s, %(period)s") % {
                    "engagement": engagement.name,
                    "period": period,
                }
                body = gettext(
                    "The KPI review of %(engagement)s for %(period)s is ready: the figures "
                    "against the targets, the breaches and the work logged.\n\n%(link)s\n"
                ) % {"engagement": engagement.name, "period": period, "link": link}
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [owner.email])
            sent += 1
        review.notified_at = timezone.now()
        review.save(update_fields=["notified_at"])
        audit_record(
            actor=None,
            actor_label=SYSTEM_ACTOR,
            action="sla.review_notified",
            obj=review,
            after={"emails": sent},
        )
    return sent


# --- Selectors --------------------------------------------------------------------------------


def kpi_review_list_for_user(*, user) -> QuerySet:
    """Reviews the person may read, newest period first, with what the list shows."""
    return (
        KpiReview.objects.restrict(user, "view")
        .select_related("engagement__provider", "meeting")
        .order_by("-period_start", "engagement__name", "pk")
    )


@dataclass
class ReviewPage:
    """Everything the review page, its CSV and its print show, for one reader."""

    review: KpiReview
    period: metrics.Period
    scorecard: list[dict]
    figures: dict
    breaches: list[metrics.Breach]
    worklogs: list[dict]
    meeting: ReviewMeeting | None
    actions: list[FollowUpAction]
    can_change: bool
    changeable_actions: set[int]


def kpi_review_page(*, review: KpiReview, user) -> ReviewPage:
    """A review as ``user`` reads it: the frozen scorecard and work-log totals (a provider sees
    its own organization's), the breaches of the period among the clocks the user may see, with
    their attribution, the meeting and the follow-ups."""
    viewer = viewer_for(user)
    snapshot = review.figures or {}
    figures = snapshot.get("figures", {})
    period = review_period(review.period_start, review.period_end)
    organizations = dict(Organization.objects.restrict(user).values_list("pk", "name"))
    clocks = metrics.engagement_clocks(Clock.objects.restrict(user, "view"), review.engagement)
    worklogs = [
        {
            **row,
            "hours": round(row["minutes"] / 60, 1),
            "billable_hours": round(row["billable_minutes"] / 60, 1),
        }
        for row in snapshot.get("worklogs", [])
        # A provider reads its own organization's work logs only (as WorkLog.restrict says).
        if not viewer.is_provider or row["organization"] == viewer.organization_id
    ]
    actions = list(review.actions.select_related("owner__profile__organization"))
    changeable = set(
        FollowUpAction.objects.restrict(user, "change")
        .filter(review=review)
        .values_list("pk", flat=True)
    )
    meeting = (
        ReviewMeeting.objects.filter(review=review)
        .prefetch_related("attendees__profile__organization")
        .first()
    )
    return ReviewPage(
        review=review,
        period=period,
        scorecard=metrics.kpi_scorecard(snapshot.get("targets", {}), figures),
        figures=figures,
        breaches=metrics.breach_list(
            clocks=clocks, period=period, visible_organizations=organizations
        ),
        worklogs=worklogs,
        meeting=meeting,
        actions=actions,
        can_change=KpiReview.objects.restrict(user, "change").filter(pk=review.pk).exists(),
        changeable_actions=changeable,
    )
