"""The audit trail: hash-chained, verified by ``verify_audit``, append-only down to the database."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from cogest.models import AuditEvent
from cogest.models.audit import GENESIS_HASH
from cogest.services import audit_record, audit_verify


def _record(n: int) -> list[AuditEvent]:
    return [
        audit_record(actor=None, actor_label="system:test", action="test.step", note=f"step {i}")
        for i in range(n)
    ]


def _stored(event: AuditEvent) -> dict:
    return AuditEvent.objects.filter(pk=event.pk).values().get()


def test_each_event_is_chained_to_the_hash_of_the_previous_one(db):
    # given an empty trail
    assert not AuditEvent.objects.exists()
    # when
    events = _record(4)
    # then
    assert events[0].prev_hash == GENESIS_HASH == "0" * 64
    for previous, event in zip(events, events[1:], strict=False):
        assert event.prev_hash == previous.hash
    stored = list(AuditEvent.objects.order_by("id"))
    assert [e.pk for e in stored] == [e.pk for e in events]
    for event in stored:
        assert re.fullmatch(r"[0-9a-f]{64}", event.hash)
        assert event.hash == event.compute_hash()
    assert len({e.hash for e in stored}) == 4


def test_the_chain_continues_after_existing_events(demo):
    # given the trail the demo seeding wrote
    last = AuditEvent.objects.order_by("-id").first()
    # when
    event = audit_record(actor=demo.users["ana"], action="test.next")
    # then
    assert event.prev_hash == last.hash
    assert event.actor_id == demo.users["ana"].pk
    assert event.actor_organization_id == demo.organizations["internal"].pk
    assert event.actor_label == "ana"


def test_verify_accepts_an_intact_chain(demo):
    _record(3)
    report = audit_verify()
    assert report.ok
    assert report.broken_at is None
    assert report.checked == AuditEvent.objects.count() > 3


def test_verify_accepts_an_empty_trail(db):
    report = audit_verify()
    assert report.ok and report.checked == 0


def test_verify_finds_an_event_whose_content_was_changed(db, tamper):
    # given
    events = _record(5)
    target = events[2]
    # when someone rewrites a row behind the application's back
    tamper("UPDATE cogest_auditevent SET note = %s WHERE id = %s", ["x", target.pk])
    # then
    assert _stored(target)["note"] == "x"
    report = audit_verify()
    assert not report.ok
    assert report.broken_at == target.pk
    assert report.checked == 2
    assert "content" in report.reason


def test_verify_finds_a_rewritten_event_even_when_its_hash_was_recomputed(db, tamper):
    # given
    events = _record(4)
    target = events[1]
    forged = AuditEvent.objects.get(pk=target.pk)
    forged.note = "nothing to see"
    new_hash = forged.compute_hash()
    # when the forger also fixes the row's own hash
    tamper(
        "UPDATE cogest_auditevent SET note = %s, hash = %s WHERE id = %s",
        ["nothing to see", new_hash, target.pk],
    )
    # then the next event's link gives it away
    report = audit_verify()
    assert report.broken_at == events[2].pk
    assert "link" in report.reason


def test_verify_finds_a_deleted_event(db, tamper):
    # given
    events = _record(5)
    # when a middle row disappears
    tamper("DELETE FROM cogest_auditevent WHERE id = %s", [events[2].pk])
    # then the event after the gap no longer links
    assert AuditEvent.objects.count() == 4
    report = audit_verify()
    assert report.broken_at == events[3].pk
    assert report.checked == 2
    assert "link" in report.reason


def test_verify_audit_command_reports_an_intact_chain(demo):
    out = StringIO()
    call_command("verify_audit", stdout=out)
    count = AuditEvent.objects.count()
    assert f"Audit chain OK: {count} events verified." in out.getvalue()


def test_verify_audit_command_fails_on_a_broken_chain(db, tamper):
    # given
    events = _record(3)
    tamper("UPDATE cogest_auditevent SET action = %s WHERE id = %s", ["x.y", events[1].pk])
    # when / then: CommandError, which manage.py turns into a non-zero exit status
    with pytest.raises(CommandError, match=rf"BROKEN at event {events[1].pk}\b"):
        call_command("verify_audit", stdout=StringIO())


def test_postgresql_refuses_raw_update_and_delete_of_audit_events(postgresql_only):
    # given
    events = _record(3)
    target = events[1]
    before = _stored(target)
    # when / then
    for sql in (
        "UPDATE cogest_auditevent SET note = 'x' WHERE id = %s",
        "DELETE FROM cogest_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [target.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=target.pk).update(note="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()
    # and nothing changed
    assert _stored(target) == before
    assert AuditEvent.objects.count() == 3
    assert audit_verify().ok


def test_postgresql_still_appends_with_the_trigger_in_place(postgresql_only):
    # The trigger fires on UPDATE and DELETE only: inserts go on.
    _record(2)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgname = 'cogest_audit_append_only' "
            "AND tgrelid = 'cogest_auditevent'::regclass"
        )
        assert cursor.fetchone()[0] == 1
    assert AuditEvent.objects.count() == 2


def test_saving_an_existing_event_again_is_refused(db):
    # given
    event = _record(1)[0]
    before = _stored(event)
    # when / then
    event.note = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    assert _stored(event) == before


def test_deleting_an_event_is_refused(db):
    event = _record(1)[0]
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_a_request_records_its_request_id_and_client_address(client, users):
    # given
    ana = users["ana"]
    assert ana.profile.language == "es"
    client.force_login(ana)
    # when
    response = client.post(
        "/preferences/", {"language": "en", "next": "/teams/"}, HTTP_X_REQUEST_ID="abc-123"
    )
    # then
    assert response.status_code == 302
    assert response["X-Request-ID"] == "abc-123"
    event = AuditEvent.objects.filter(action="user.preferences_changed").get()
    assert event.request_id == "abc-123"
    assert event.ip_address == "127.0.0.1"
    assert event.actor_id == ana.pk
    assert event.before["language"] == "es"
    assert event.after["language"] == "en"
    assert audit_verify().ok


def test_an_unsafe_request_id_is_replaced_by_a_generated_one(client, users):
    client.force_login(users["ana"])
    response = client.post(
        "/preferences/", {"language": "en"}, HTTP_X_REQUEST_ID="bad id; DROP TABLE x"
    )
    generated = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    event = AuditEvent.objects.filter(action="user.preferences_changed").get()
    assert event.request_id == generated


def test_a_request_that_changes_nothing_writes_no_event(client, users):
    client.force_login(users["ana"])
    count = AuditEvent.objects.count()
    client.post("/preferences/", {"language": "es"}, HTTP_X_REQUEST_ID="abc-124")
    assert AuditEvent.objects.count() == count
