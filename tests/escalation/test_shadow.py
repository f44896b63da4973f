"""Shadow support (SPEC 1, 2.5): each activation cause sends new tickets in scope to the shadow
provider's team, and they come back to the internal team when it ends; each switch is logged and
told to both owners."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cogest.models import AuditEvent, Engagement
from cogest.services import engagement_activate_shadow
from escalation.models import Notification
from escalation.shadow import record_transitions
from tickets.services import ticket_create

MADRID = ZoneInfo("Europe/Madrid")
MONDAY_10 = dt.datetime(2026, 11, 30, 10, 0, tzinfo=MADRID)  # Service Desk at work


@pytest.fixture
def shadow(demo):
    return Engagement.objects.get(model="shadow")


def new_ticket(users, area="systems"):
    return ticket_create(
        by=users["ana"], type="incident", title="Laptop will not boot", functional_area=area
    )


def team_of(users, when, area="systems") -> str:
    with time_machine.travel(when, tick=False):
        return new_ticket(users, area).team.name


def test_without_a_cause_the_matrix_decides(shadow, users):
    assert team_of(users, MONDAY_10) == "Service Desk"


def test_manual_activation_routes_to_the_shadow_desk_until_it_ends(shadow, users):
    with time_machine.travel(MONDAY_10, tick=False):
        engagement_activate_shadow(
            engagement=shadow,
            until=MONDAY_10 + dt.timedelta(hours=2),
            reason="Team offsite",
            by=users["marta"],
        )
        ticket = new_ticket(users)
    assert ticket.team.name == "Shadow Desk"
    assert ticket.engagement_id == shadow.pk
    assert team_of(users, MONDAY_10 + dt.timedelta(hours=3)) == "Service Desk"


def test_an_absence_of_the_covered_team_routes_to_the_shadow_desk(shadow, users):
    from cogest.models import Absence

    shadow.shadow_on_absence = True
    shadow.save()
    Absence.objects.create(
        team=shadow.shadow_for_team,
        starts_at=MONDAY_10 - dt.timedelta(hours=1),
        ends_at=MONDAY_10 + dt.timedelta(hours=1),
        reason="training",
    )
    assert team_of(users, MONDAY_10) == "Shadow Desk"
    assert team_of(users, MONDAY_10 + dt.timedelta(hours=2)) == "Service Desk"


def test_out_of_hours_routes_to_the_shadow_desk(shadow, users):
    shadow.shadow_out_of_hours = True
    shadow.save()
    assert shadow.shadow_for_team.calendar_id, "the Service Desk works office hours"
    assert team_of(users, dt.datetime(2026, 11, 30, 22, 0, tzinfo=MADRID)) == "Shadow Desk"
    assert team_of(users, MONDAY_10) == "Service Desk"


def test_a_backlog_over_the_threshold_routes_to_the_shadow_desk(shadow, users):
    shadow.shadow_backlog_threshold = 3
    shadow.save()
    with time_machine.travel(MONDAY_10, tick=False):
        teams = [new_ticket(users).team.name for _ in range(5)]
    assert teams == ["Service Desk"] * 4 + ["Shadow Desk"]


def test_a_ticket_outside_the_engagements_scope_stays(shadow, users):
    shadow.shadow_out_of_hours = True
    shadow.scope_areas = ["devices"]
    shadow.save()
    night = dt.datetime(2026, 11, 30, 22, 0, tzinfo=MADRID)
    assert team_of(users, night, area="systems") == "Service Desk"
    assert team_of(users, night, area="devices") == "Shadow Desk"


def test_each_switch_is_logged_and_told_to_both_owners(shadow, users):
    shadow.shadow_out_of_hours = True
    shadow.save()
    night = dt.datetime(2026, 11, 30, 22, 0, tzinfo=MADRID)
    [(engagement, active, reasons)] = record_transitions(night)
    assert active and reasons
    assert record_transitions(night + dt.timedelta(minutes=1)) == []  # no change, no noise
    [(_, active, _)] = record_transitions(dt.datetime(2026, 12, 1, 9, 0, tzinfo=MADRID))
    assert not active
    actions = AuditEvent.objects.filter(object_id=str(shadow.pk), action__startswith="engagement.")
    assert list(actions.order_by("id").values_list("action", flat=True)) == [
        "engagement.shadow_on",
        "engagement.shadow_off",
    ]
    told = Notification.objects.filter(kind__startswith="engagement.shadow")
    assert {n.recipient.username for n in told} == {"marta", "sam"}
    assert told.count() == 4


def test_the_home_banner_shows_a_backlog_activation(shadow, users):
    from cogest.selectors import shadow_status

    shadow.shadow_backlog_threshold = 2
    shadow.save()
    with time_machine.travel(MONDAY_10, tick=False):
        for _ in range(3):
            new_ticket(users)
        assert not shadow_status(engagement=shadow, now=MONDAY_10).active
        record_transitions(MONDAY_10)
    shadow.refresh_from_db()
    status = shadow_status(engagement=shadow, now=MONDAY_10)
    assert status.active and "backlog" in status.reasons[0]
