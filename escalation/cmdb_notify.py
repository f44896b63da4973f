"""Notifications about the CMDB: a runbook version to acknowledge, a runbook review that is due,
a provider's CI change waiting for review. The CMDB publishes the events; this app, to its right,
tells the people concerned (in-app, and by email through the outbox), each in their language and
with a link on their side (internal UI or partner portal)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from cmdb.events import CIChangeProposed, RunbookPublished, RunbookReviewDue
from cmdb.models import CIChangeProposal, Runbook
from cogest.models import UserProfile
from escalation.notify import notify_people


def _people(ids) -> list:
    wanted = [pk for pk in dict.fromkeys(ids) if pk]
    users = get_user_model().objects.filter(pk__in=wanted, is_active=True)
    return list(users.select_related("profile__organization"))


def _is_provider(user) -> bool:
    profile = getattr(user, "profile", None)
    return profile is not None and not profile.organization.is_internal


def _tell(user, *, kind: str, title, body, url: str, occasion: str) -> None:
    """One notification for one person, written in their language."""
    profile = getattr(user, "profile", None)
    with translation.override((profile.language if profile else "") or settings.LANGUAGE_CODE):
        notify_people(
            [user], kind=kind, title=title(), body=body(), url=url, occasion=occasion,
            urgent=False,
        )  # fmt: skip


def on_runbook_published(event: RunbookPublished) -> None:
    """Each side's owner (not the author) is asked to read and acknowledge the new version."""
    runbook = Runbook.objects.filter(pk=event.runbook_id).first()
    if runbook is None:
        return
    for user in _people([runbook.internal_owner_id, runbook.provider_owner_id]):
        if user.pk == event.actor_id:
            continue
        side = "partner-cmdb" if _is_provider(user) else "cmdb"
        _tell(
            user,
            kind="runbook.published",
            title=lambda: (
                _("Runbook to acknowledge: %(title)s (version %(n)s)")
                % {"title": runbook.title, "n": event.number}
            ),
            body=lambda: _(
                "You own this runbook on your side: read the new version and acknowledge it."
            ),  # fmt: skip
            url=reverse(f"{side}:runbook-detail", kwargs={"pk": runbook.pk}),
            occasion=f"runbook:{runbook.pk}:v{event.number}",
        )


def on_runbook_review_due(event: RunbookReviewDue) -> None:
    """The owner of a runbook whose review date passed is told a review task waits."""
    runbook = Runbook.objects.filter(pk=event.runbook_id).first()
    if runbook is None:
        return
    for user in _people([event.owner_id]):
        _tell(
            user,
            kind="runbook.review_due",
            title=lambda: _("Runbook review due: %(title)s") % {"title": runbook.title},
            body=lambda: _(
                "Its review date has passed: check it is still right, then mark the review done."
            ),  # fmt: skip
            url=reverse("cmdb:runbook-detail", kwargs={"pk": runbook.pk}),
            occasion=f"runbook-review:{event.task_id}",
        )


def on_ci_change_proposed(event: CIChangeProposed) -> None:
    """The CI's internal owner — or, without one, the internal managers — is asked to review a
    provider's proposal."""
    proposal = (
        CIChangeProposal.objects.select_related("ci", "organization")
        .filter(pk=event.proposal_id)
        .first()
    )
    if proposal is None:
        return
    owner_id = proposal.ci.internal_owner_id
    if owner_id:
        ids = [owner_id]
    else:
        ids = UserProfile.objects.filter(organization__kind="internal", role="manager").values_list(
            "user_id", flat=True
        )
    for user in _people(ids):
        _tell(
            user,
            kind="ci.change_proposed",
            title=lambda: (
                _("%(org)s proposes a change to %(ci)s")
                % {"org": proposal.organization.name, "ci": proposal.ci.name}
            ),
            body=lambda: proposal.reason,
            url=reverse("cmdb:proposal-detail", kwargs={"pk": proposal.pk}),
            occasion=f"ci-proposal:{proposal.pk}",
        )


def connect() -> None:
    from cogest.events import subscribe

    subscribe(RunbookPublished, on_runbook_published)
    subscribe(RunbookReviewDue, on_runbook_review_due)
    subscribe(CIChangeProposed, on_ci_change_proposed)
