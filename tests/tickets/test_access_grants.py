"""Sharing and time-boxed access grants (SPEC 2.6, 3): what a provider reaches beyond its
engagement, for how long, decided by whom, and audited on both sides."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cogest.grants import (
    grant_approve,
    grant_expire_due,
    grant_refuse,
    grant_request,
    grant_revoke,
    grant_share,
)
from cogest.models import AccessGrant, AuditEvent
from tickets.models import Comment, Ticket
from tickets.services import comment_add


@pytest.fixture
def nw_ticket(new_ticket):
    """A ticket only Northwind's Service Desk holds."""
    return new_ticket(functional_area="systems", title="ERP slow at month end")


def _sees(user, ticket) -> bool:
    return Ticket.objects.restrict(user).filter(pk=ticket.pk).exists()


def test_internal_agent_shares_read_only_and_revokes(nw_ticket, users, demo):
    acme = demo.organizations["acme"]
    assert not _sees(users["pablo"], nw_ticket)
    grant = grant_share(obj=nw_ticket, organization=acme, by=users["ana"], reason="advice")
    assert _sees(users["pablo"], nw_ticket) and _sees(users["lucia"], nw_ticket)
    assert not _sees(users["sam"], nw_ticket)
    with pytest.raises(PermissionDenied):
        comment_add(ticket=nw_ticket, by=users["pablo"], body="hi", visibility="shared")
    assert not Comment.objects.filter(ticket=nw_ticket).exists()
    grant_revoke(grant=grant, by=users["ana"])
    assert not _sees(users["pablo"], nw_ticket)
    actions = list(
        AuditEvent.objects.filter(action__startswith="grant.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["grant.shared", "grant.revoked"]


def test_read_and_comment_share_lets_the_provider_comment(nw_ticket, users, demo):
    grant_share(
        obj=nw_ticket, organization=demo.organizations["acme"], by=users["ana"], level="comment"
    )
    comment = comment_add(
        ticket=nw_ticket, by=users["pablo"], body="Check the DB locks", visibility="shared"
    )
    assert comment.author_organization == demo.organizations["acme"]


def test_sharing_is_for_internal_staff_and_with_providers_only(nw_ticket, users, demo):
    with pytest.raises(PermissionDenied):
        grant_share(obj=nw_ticket, organization=demo.organizations["acme"], by=users["rita"])
    with pytest.raises(ValidationError):
        grant_share(obj=nw_ticket, organization=demo.organizations["internal"], by=users["ana"])
    grant_share(obj=nw_ticket, organization=demo.organizations["acme"], by=users["ana"])
    with pytest.raises(ValidationError):
        grant_share(obj=nw_ticket, organization=demo.organizations["acme"], by=users["marta"])
    assert AccessGrant.objects.count() == 1


def test_provider_requests_access_manager_approves_and_it_expires_by_itself(nw_ticket, users):
    until = timezone.now() + dt.timedelta(days=2)
    grant = grant_request(
        obj=nw_ticket, by=users["pablo"], reason="Router logs needed", expires_at=until
    )
    assert grant.status == "requested" and not _sees(users["pablo"], nw_ticket)
    with pytest.raises(PermissionDenied):
        grant_approve(grant=grant, by=users["ana"])  # agents do not decide requests
    with pytest.raises(AccessGrant.DoesNotExist):
        grant_approve(grant=grant, by=users["sam"])  # another provider does not even see it
    grant_approve(grant=grant, by=users["marta"])
    assert _sees(users["pablo"], nw_ticket)
    assert not _sees(users["lucia"], nw_ticket)  # granted to the person who asked
    with time_machine.travel(until + dt.timedelta(minutes=1)):
        # the check itself ignores the expired grant, before the job runs
        assert not _sees(users["pablo"], nw_ticket)
        assert grant_expire_due() == 1
        assert grant_expire_due() == 0
    grant.refresh_from_db()
    assert grant.status == "expired"
    assert AuditEvent.objects.filter(action="grant.expired").count() == 1


def test_refusal_needs_a_reason_and_gives_nothing(nw_ticket, users):
    grant = grant_request(
        obj=nw_ticket,
        by=users["pablo"],
        reason="curious",
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    with pytest.raises(ValidationError):
        grant_refuse(grant=grant, by=users["marta"], note="")
    grant_refuse(grant=grant, by=users["marta"], note="Out of Acme's scope")
    assert not _sees(users["pablo"], nw_ticket)
    with pytest.raises(ValidationError):
        grant_approve(grant=grant, by=users["marta"])


@pytest.mark.parametrize(
    ("reason", "days", "field"),
    [
        ("", 1, "reason"),
        ("x", None, "expires_at"),
        ("x", -1, "expires_at"),
        ("x", 45, "expires_at"),
    ],
)
def test_bad_requests_are_refused(nw_ticket, users, reason, days, field):
    until = None if days is None else timezone.now() + dt.timedelta(days=days)
    with pytest.raises(ValidationError) as error:
        grant_request(obj=nw_ticket, by=users["pablo"], reason=reason, expires_at=until)
    assert field in error.value.message_dict
    assert not AccessGrant.objects.exists()


def test_only_providers_request_access(nw_ticket, users):
    with pytest.raises(PermissionDenied):
        grant_request(
            obj=nw_ticket,
            by=users["ana"],
            reason="x",
            expires_at=timezone.now() + dt.timedelta(days=1),
        )


def test_a_team_queue_grant_shows_the_teams_tickets(nw_ticket, users, demo):
    service_desk = demo.teams["service-desk"]
    grant = grant_request(
        obj=service_desk,
        by=users["sam"],
        reason="Covering the desk",
        expires_at=timezone.now() + dt.timedelta(hours=8),
    )
    grant_approve(grant=grant, by=users["marta"])
    assert _sees(users["sam"], nw_ticket)
    assert not _sees(users["pablo"], nw_ticket)


def test_both_sides_see_the_grant(nw_ticket, users):
    grant = grant_request(
        obj=nw_ticket,
        by=users["pablo"],
        reason="logs",
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    for name in ("pablo", "lucia", "ana", "marta"):
        assert AccessGrant.objects.restrict(users[name]).filter(pk=grant.pk).exists(), name
    assert not AccessGrant.objects.restrict(users["sam"]).filter(pk=grant.pk).exists()
