"""The tickets part of the demo world (SPEC 6): ~200 tickets in every state with a history played
through the services, a minimal CMDB, and ``seed_bulk`` filler for benchmarks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from cmdb import demo as cmdb_demo
from cmdb.models import CIClass, ConfigurationItem
from cogest.models import AuditEvent
from cogest.services import audit_verify
from tickets import demo as tickets_demo
from tickets.choices import HandoffStatus, LinkKind, PendingReason, Status, Visibility
from tickets.models import (
    Comment,
    DecisionRecord,
    Handoff,
    Ticket,
    TicketHolding,
    TicketLink,
    WorkLog,
)


def counts() -> dict[str, int]:
    return {
        "tickets": Ticket.objects.count(),
        "comments": Comment.objects.count(),
        "worklogs": WorkLog.objects.count(),
        "handoffs": Handoff.objects.count(),
        "holdings": TicketHolding.objects.count(),
        "links": TicketLink.objects.count(),
        "decisions": DecisionRecord.objects.count(),
        "cis": ConfigurationItem.objects.count(),
        "ci_classes": CIClass.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


@pytest.fixture(scope="class")
def seeded(django_db_setup, django_db_blocker):
    """The whole demo world, seeded once for the tests of a class (seeding takes seconds), inside
    a transaction rolled back when the class is done; each test runs in a savepoint within it."""
    from cogest.demo import seed as seed_core

    with django_db_blocker.unblock(), transaction.atomic():
        yield tickets_demo.seed(seed_core())
        transaction.set_rollback(True)


SPANISH_MARKERS = ("No ", "Solicitud", "Cambio:", "Problema:", "Caída", "Correo", "Atasco", "Falló",
                   "Cuenta", "Permisos", "Alta ", "Baja ", "Crear", "Recuperar", "Instalar",
                   "Segundo", "Disco", "Pantallazo", "Puerto", "Alerta", "Wi-Fi muy", "La VPN",
                   "El ", "SAP va", "Outlook no", "Teams no")  # fmt: skip


@pytest.mark.usefixtures("seeded")
class TestTheSeededDemo:
    """Seeded once (it takes seconds); every test reads the same world."""

    def test_seeding_twice_adds_nothing_the_second_time(self, db, seeded):
        before = counts()
        tickets_demo.seed(seeded)
        assert counts() == before
        assert before["tickets"] == tickets_demo.DEMO_TICKETS

    def test_every_status_and_every_pending_reason_is_present(self, db, seeded):
        statuses = dict(Ticket.objects.values_list("status").annotate(n=Count("id")))
        assert set(statuses) == set(Status.values)
        reasons = set(
            Ticket.objects.filter(status=Status.PENDING).values_list("pending_reason", flat=True)
        )
        assert reasons == set(PendingReason.values)
        types = set(Ticket.objects.values_list("type", flat=True))
        assert types == {"incident", "service_request", "problem", "change"}
        assert set(Ticket.objects.values_list("priority", flat=True)) == {1, 2, 3, 4}
        areas = set(Ticket.objects.values_list("functional_area", flat=True))
        assert len(areas) == 7

    def test_every_visibility_is_written_by_both_sides(self, db, seeded):
        written = set(Comment.objects.values_list("visibility", "author_organization__slug"))
        for visibility in Visibility.values:
            assert (visibility, "internal") in written, visibility
        assert ("shared", "acme") in written
        assert ("internal", "acme") in written  # Acme's own notes, which Northwind never reads

    def test_handoffs_are_accepted_rejected_pending_and_handed_back(self, db, seeded):
        to_acme = Handoff.objects.filter(to_organization__slug="acme")
        assert to_acme.filter(status=HandoffStatus.ACCEPTED).exists()
        rejected = to_acme.filter(status=HandoffStatus.REJECTED)
        assert rejected.exists()
        assert all(h.reject_reason for h in rejected)
        assert to_acme.filter(status=HandoffStatus.PENDING).exists()
        assert Handoff.objects.filter(
            from_organization__slug="acme", to_organization__slug="internal"
        ).exists()  # handed back
        assert WorkLog.objects.filter(author_organization__slug="acme", billable=True).exists()
        assert WorkLog.objects.filter(author_organization__slug="internal", billable=False).exists()

    def test_links_and_decisions_are_recorded(self, db, seeded):
        kinds = set(TicketLink.objects.values_list("kind", flat=True))
        assert {LinkKind.DUPLICATE_OF, LinkKind.CAUSED_BY, LinkKind.PARENT_OF} <= kinds
        assert DecisionRecord.objects.count() >= 3
        assert DecisionRecord.objects.filter(party__slug="acme").exists()

    def test_tickets_are_spread_over_the_past_months_and_closed_later(self, db, seeded):
        now = timezone.now()
        created = list(Ticket.objects.values_list("created_at", flat=True))
        assert max(created) <= now
        assert min(created) < now - dt.timedelta(days=60)
        months = {(c.year, c.month) for c in created}
        assert len(months) >= 3
        for ticket in Ticket.objects.filter(status=Status.CLOSED):
            assert ticket.created_at < ticket.resolved_at < ticket.closed_at <= now
        # The trail is chronological: each ticket event happened at its moment, not at seeding.
        events = AuditEvent.objects.filter(object_type="tickets.ticket").order_by("id")
        moments = list(events.values_list("created_at", flat=True))
        assert moments == sorted(moments)

    def test_the_cmdb_has_the_spec_classes_and_tickets_point_at_cis(self, db, seeded):
        assert set(CIClass.objects.values_list("slug", flat=True)) >= set(cmdb_demo.CI_CLASSES)
        assert ConfigurationItem.objects.filter(
            name="MAD-CORE-01", managed_by__slug="acme"
        ).exists()
        assert set(ConfigurationItem.objects.values_list("site", flat=True)) >= {
            "Madrid",
            "Barcelona",
        }
        assert Ticket.objects.filter(cis__isnull=False).distinct().count() >= 50

    def test_the_audit_chain_verifies_after_seeding(self, db, seeded):
        report = audit_verify()
        assert report.ok
        assert report.checked == AuditEvent.objects.count()
        assert AuditEvent.objects.filter(action="ticket.created").count() == Ticket.objects.count()

    def test_the_texts_are_mostly_spanish_with_english_too(self, db, seeded):
        titles = list(Ticket.objects.values_list("title", flat=True))
        spanish = [t for t in titles if any(word in t for word in SPANISH_MARKERS)]
        assert 0.4 * len(titles) < len(spanish) < 0.85 * len(titles)


def test_the_demo_recognizes_itself_by_its_own_titles_not_by_any_ticket(demo, new_ticket):
    # given someone's own ticket before the demo is seeded
    new_ticket(title="VPN drops every 10 minutes")
    # then it is not taken for the demo
    titles = tickets_demo.demo_titles(demo)
    assert len(titles) > 60
    assert not Ticket.objects.filter(title__in=titles).exists()


def test_bulk_adds_exactly_n_numbered_tickets_with_holdings(demo):
    cmdb_demo.seed(demo)
    audit_before = AuditEvent.objects.count()
    # when
    added = tickets_demo.seed_bulk(500, demo, batch_size=200)
    # then
    assert added == 500 == Ticket.objects.count()
    numbers = list(Ticket.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 500
    assert not Ticket.objects.filter(holdings__isnull=True).exists()
    current = TicketHolding.objects.filter(ended_at__isnull=True).values_list("ticket", flat=True)
    assert len(current) == len(set(current))
    assert Comment.objects.exists()
    assert AuditEvent.objects.count() == audit_before  # filler: no history
    assert len(set(Ticket.objects.values_list("status", flat=True))) == len(Status.values)
    oldest = Ticket.objects.order_by("created_at").first().created_at
    assert oldest < timezone.now() - dt.timedelta(days=200)


def test_a_provider_sees_some_but_not_all_bulk_tickets(demo, users):
    cmdb_demo.seed(demo)
    tickets_demo.seed_bulk(500, demo)
    # when
    visible = Ticket.objects.restrict(users["pablo"], "view")
    # then
    assert 0 < visible.count() < 500
    assert not visible.exclude(holdings__organization__slug="acme").exists()
    assert Ticket.objects.restrict(users["ana"], "view").count() == 500
