"""KPI reviews (SPEC 2.4, 2.6): periods, the monthly job (idempotent, owners emailed once), the
frozen figures, the review page for both sides with its meeting record and follow-up actions,
refusals that change nothing, and the CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from cogest.models import AuditEvent, Engagement, OutboxMessage
from sla import reviews
from sla.models import FollowUpAction, KpiReview, ReviewMeeting
from sla.tasks_reviews import kpi_review_notify_task, prepare_kpi_reviews
from tickets.models import WorkLog

from .test_metrics import SlaWorld

MADRID = ZoneInfo("Europe/Madrid")
TODAY = dt.date(2026, 11, 25)


def madrid(month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=MADRID)


@pytest.mark.parametrize(
    ("starts", "cadence", "today", "expected"),
    [
        (dt.date(2026, 1, 1), "monthly", dt.date(2026, 11, 25), ("2026-10-01", "2026-10-31")),
        (dt.date(2026, 1, 1), "monthly", dt.date(2026, 11, 1), ("2026-10-01", "2026-10-31")),
        (dt.date(2026, 1, 1), "monthly", dt.date(2026, 10, 31), ("2026-09-01", "2026-09-30")),
        (dt.date(2026, 1, 1), "quarterly", dt.date(2026, 11, 25), ("2026-07-01", "2026-09-30")),
        (dt.date(2026, 1, 31), "monthly", dt.date(2026, 3, 5), ("2026-01-31", "2026-02-27")),
        (dt.date(2026, 1, 1), "annual", dt.date(2027, 1, 1), ("2026-01-01", "2026-12-31")),
        (dt.date(2026, 1, 15), "monthly", dt.date(2026, 2, 1), None),
    ],
)
def test_the_last_finished_period_follows_the_cadence_from_the_start(
    starts, cadence, today, expected
):
    engagement = Engagement(starts_on=starts, review_cadence=cadence)
    period = reviews.last_finished_period(engagement, today)
    assert (None if period is None else tuple(d.isoformat() for d in period)) == expected


def build_acme_october(demo, users) -> SlaWorld:
    """Acme's October 2026 on the Madrid calendar day: clocks and work logs inside and outside."""
    w = SlaWorld(demo)
    acme = {"kind": "uc", "party": "acme", "team": "acme-networks"}
    held = {"team": "acme-networks", "engagement": "acme", "held_by": ("service-desk",)}
    first = w.ticket(title="Core switch flaps", status="in_progress", **held)
    second = w.ticket(title="VPN drops", **held)
    w.clock(first, target="accept", stopped=madrid(10, 7), reason="accepted", elapsed=900, **acme)
    w.clock(second, target="accept", stopped=madrid(10, 8), reason="accepted", elapsed=2700, **acme)
    w.clock(second, stopped=madrid(10, 9), reason="resolved", elapsed=5 * 3600)
    w.clock(first, breached=madrid(10, 20), due_at=madrid(10, 20))
    # 1 October 00:30 in Madrid is still 30 September in UTC: October's, on the review's clock.
    w.clock(second, target="response", stopped=madrid(10, 1, 0), reason="responded", elapsed=600)
    # Outside: 31 October 23:30 UTC is 1 November in Madrid.
    w.clock(
        w.ticket(**held),
        stopped=dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.UTC),
        reason="resolved",
        elapsed=60,
    )
    for who, minutes, billable, when in (
        ("pablo", 90, True, madrid(10, 3)),
        ("pablo", 30, False, madrid(10, 4)),
        ("ana", 45, False, madrid(10, 5)),
        ("pablo", 120, True, madrid(11, 2)),
    ):
        user = users[who]
        WorkLog.objects.create(
            ticket=first,
            author=user,
            author_organization=user.profile.organization,
            performed_at=when,
            minutes=minutes,
            description="Checked the switch",
            billable=billable,
        )
    return w


@pytest.fixture
def october(demo, users) -> SlaWorld:
    return build_acme_october(demo, users)


def prepare_all() -> list[int]:
    return reviews.kpi_reviews_prepare_due(today=TODAY)


def acme_review(demo) -> KpiReview:
    return KpiReview.objects.get(engagement=demo.engagements["acme"])


def test_the_monthly_job_prepares_each_engagement_once(demo, october):
    created = prepare_all()
    assert len(created) == 2
    periods = {
        r.engagement.name: (r.period_start.isoformat(), r.period_end.isoformat())
        for r in KpiReview.objects.select_related("engagement")
    }
    assert periods == {
        demo.engagements["acme"].name: ("2026-10-01", "2026-10-31"),
        demo.engagements["shadow"].name: ("2026-07-01", "2026-09-30"),
    }
    # Run again (a rerun, a duplicated delivery): nothing new, no second email queued.
    assert prepare_all() == []
    assert KpiReview.objects.count() == 2
    notify = OutboxMessage.objects.filter(task_name=reviews.NOTIFY_TASK)
    assert sorted(m.args[0] for m in notify) == sorted(created)
    assert AuditEvent.objects.filter(action="sla.review_prepared").count() == 2


def test_the_celery_job_is_the_same_service(demo, october):
    with time_machine.travel(dt.datetime(2026, 11, 25, 9, tzinfo=MADRID), tick=False):
        assert len(prepare_kpi_reviews.apply().get()) == 2
        assert prepare_kpi_reviews.apply().get() == []


def test_a_review_freezes_the_figures_of_its_period_on_the_installation_clock(demo, october):
    prepare_all()
    snapshot = acme_review(demo).figures
    figures = snapshot["figures"]
    assert figures["handoff_accept_minutes"] == 30.0
    assert (figures["resolution_met"], figures["resolution_breached"]) == (1, 1)
    assert figures["sla_compliance_pct"] == 50.0
    assert figures["mttr_hours"] == 5.0
    assert figures["mtta_minutes"] == 10.0
    assert snapshot["targets"] == demo.engagements["acme"].kpi_targets
    worklogs = {row["organization_name"]: row for row in snapshot["worklogs"]}
    assert worklogs["Acme MSP"] | {"organization": 0} == {
        "organization": 0,
        "organization_name": "Acme MSP",
        "minutes": 120,
        "billable_minutes": 90,
        "entries": 2,
    }
    assert worklogs["Northwind IT"]["minutes"] == 45


def test_both_owners_are_emailed_once_in_their_language(demo, october, users):
    prepare_all()
    review = acme_review(demo)
    assert kpi_review_notify_task.apply(args=[review.pk]).get() == 2
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted([users["marta"].email, users["lucia"].email])
    assert all(
        f"/kpis/reviews/{review.pk}/" in m.body or f"/sla/reviews/{review.pk}/" in m.body
        for m in mail.outbox
    )
    assert kpi_review_notify_task.apply(args=[review.pk]).get() == 0
    assert len(mail.outbox) == 2
    review.refresh_from_db()
    assert review.notified_at is not None


@pytest.fixture
def review(demo, october) -> KpiReview:
    prepare_all()
    return acme_review(demo)


def view(client, user, url):
    client.force_login(user)
    return client.get(url)


@pytest.mark.parametrize(
    ("username", "url", "status"),
    [
        ("marta", "/sla/reviews/{pk}/", 200),
        ("ana", "/sla/reviews/{pk}/", 200),
        ("lucia", "/partner/kpis/reviews/{pk}/", 200),
        ("pablo", "/partner/kpis/reviews/{pk}/", 404),
        ("sam", "/partner/kpis/reviews/{pk}/", 404),
        ("rita", "/sla/reviews/{pk}/", 404),
    ],
)
def test_who_reads_a_review(client, users, review, username, url, status):
    response = view(client, users[username], url.format(pk=review.pk))
    assert response.status_code == status
    if status == 200:
        assert "Core switch flaps" in response.content.decode()  # the breach and its ticket


def test_lists_show_each_reader_their_reviews(client, users, review, demo):
    shadow = KpiReview.objects.get(engagement=demo.engagements["shadow"])
    body = view(client, users["lucia"], "/partner/kpis/reviews/").content.decode()
    assert f'data-review="{review.pk}"' in body and f'data-review="{shadow.pk}"' not in body
    body = view(client, users["marta"], "/sla/reviews/").content.decode()
    assert f'data-review="{review.pk}"' in body and f'data-review="{shadow.pk}"' in body
    body = view(client, users["pablo"], "/partner/kpis/reviews/").content.decode()
    assert "data-review=" not in body


def test_the_review_page_shows_kpis_breaches_and_work_logged(client, users, review):
    response = view(client, users["marta"], f"/sla/reviews/{review.pk}/")
    body = response.content.decode()
    page = response.context["page"]
    verdicts = {row["metric"]: row["passed"] for row in page.scorecard}
    assert verdicts["handoff_accept_minutes"] is True  # 30 min against "≤ 30"
    assert verdicts["sla_compliance_pct"] is False  # 50 % against "≥ 95"
    assert verdicts["mttr_hours"] is True  # 5 h against "≤ 6"
    assert 'data-metric="sla_compliance_pct" data-passed="fail"' in body
    [breach] = page.breaches
    assert breach.ticket.title == "Core switch flaps"
    assert breach.holder_at_breach["name"] == "Acme MSP"
    assert 'data-minutes="120" data-billable="90"' in body  # Acme's row
    assert 'data-minutes="45"' in body  # Northwind's row
    assert "cogest/sla.css" in body  # the print stylesheet (A4)


def test_a_provider_reads_its_own_work_logged_only(client, users, review):
    body = view(client, users["lucia"], f"/partner/kpis/reviews/{review.pk}/").content.decode()
    assert 'data-minutes="120"' in body
    assert 'data-minutes="45"' not in body


def meeting_data(users, **overrides) -> dict:
    data = {
        "held_on": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
        "attendees": [users["marta"].pk, users["lucia"].pk, users["pablo"].pk],
        "minutes": "Reviewed **October**.\n\n<script>alert('x')</script>",
        "decisions": "- Raise the switch firmware",
    }
    return data | overrides


@pytest.mark.parametrize(("username", "base"), [("marta", "/sla"), ("lucia", "/partner/kpis")])
def test_managers_of_both_sides_record_the_meeting(client, users, review, username, base):
    client.force_login(users[username])
    response = client.post(f"{base}/reviews/{review.pk}/meeting/", meeting_data(users))
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == "held"
    meeting = review.meeting
    assert set(meeting.attendees.values_list("username", flat=True)) == {"marta", "lucia", "pablo"}
    assert AuditEvent.objects.filter(action="sla.review_meeting_recorded").count() == 1
    body = client.get(f"{base}/reviews/{review.pk}/").content.decode()
    assert "<strong>October</strong>" in body
    assert "<script>alert" not in body  # the minutes are rendered sanitized


@pytest.mark.parametrize(
    ("username", "base", "status"),
    [("ana", "/sla", 403), ("pablo", "/partner/kpis", 404), ("sam", "/partner/kpis", 404)],
)
def test_others_cannot_record_the_meeting_and_nothing_changes(
    client, users, review, username, base, status
):
    client.force_login(users[username])
    response = client.post(f"{base}/reviews/{review.pk}/meeting/", meeting_data(users))
    assert response.status_code == status
    review.refresh_from_db()
    assert review.status == "draft"
    assert not ReviewMeeting.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"held_on": (timezone.localdate() + dt.timedelta(days=2)).isoformat()}, "held_on"),
        ({"held_on": "2026-09-01"}, "held_on"),
        ({"held_on": "yesterday"}, "held_on"),
        ({"attendees": []}, "attendees"),
        ({"attendees": "internal only"}, "attendees"),
        ({"minutes": "x" * 50_001}, "minutes"),
    ],
)
def test_a_bad_meeting_record_is_a_form_error_and_saves_nothing(
    client, users, review, overrides, field
):
    if overrides.get("attendees") == "internal only":
        overrides = {"attendees": [users["marta"].pk, users["ana"].pk]}
    client.force_login(users["marta"])
    response = client.post(f"/sla/reviews/{review.pk}/meeting/", meeting_data(users, **overrides))
    assert response.status_code == 400
    assert field in response.context["meeting_form"].errors
    assert 'aria-invalid="true"' in response.content.decode()
    review.refresh_from_db()
    assert review.status == "draft" and not ReviewMeeting.objects.exists()


def test_follow_up_actions_are_added_and_done_by_their_owner(client, users, review):
    client.force_login(users["marta"])
    due = (timezone.localdate() + dt.timedelta(days=14)).isoformat()
    response = client.post(
        f"/sla/reviews/{review.pk}/actions/",
        {"description": "Upgrade the core switch", "owner": users["ana"].pk, "due_on": due},
    )
    assert response.status_code == 302
    action = FollowUpAction.objects.get()
    assert (action.owner, action.created_by) == (users["ana"], users["marta"])
    # Ana reads but does not manage the review; as the action's owner she closes it.
    client.force_login(users["ana"])
    assert client.post(f"/sla/reviews/actions/{action.pk}/done/").status_code == 302
    action.refresh_from_db()
    assert action.done_at is not None
    # Pablo cannot see the review, nor its actions.
    client.force_login(users["pablo"])
    response = client.post(f"/partner/kpis/reviews/actions/{action.pk}/done/", {"done": "0"})
    assert response.status_code == 404
    action.refresh_from_db()
    assert action.done_at is not None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("due_on", "2020-01-01"),
        ("owner", "pablo"),  # a technician cannot read the review: not a possible owner
        ("description", "   "),
    ],
)
def test_a_bad_follow_up_is_a_form_error_and_saves_nothing(client, users, review, field, value):
    data = {
        "description": "Upgrade the core switch",
        "owner": users["ana"].pk,
        "due_on": (timezone.localdate() + dt.timedelta(days=7)).isoformat(),
    }
    data[field] = users[value].pk if field == "owner" else value
    client.force_login(users["marta"])
    response = client.post(f"/sla/reviews/{review.pk}/actions/", data)
    assert response.status_code == 400
    assert field in response.context["action_form"].errors
    assert not FollowUpAction.objects.exists()


def test_an_agent_cannot_add_follow_ups(client, users, review):
    client.force_login(users["ana"])
    data = {"description": "x", "owner": users["ana"].pk, "due_on": "2099-01-01"}
    assert client.post(f"/sla/reviews/{review.pk}/actions/", data).status_code == 403
    assert not FollowUpAction.objects.exists()


def test_an_internal_manager_prepares_a_review_by_hand_once(client, users, demo, october):
    client.force_login(users["marta"])
    engagement = demo.engagements["acme"]
    response = client.post("/sla/reviews/prepare/", {"engagement": engagement.pk})
    assert response.status_code == 302
    review = KpiReview.objects.get(engagement=engagement)
    assert response["Location"] == f"/sla/reviews/{review.pk}/"
    assert client.post("/sla/reviews/prepare/", {"engagement": engagement.pk}).status_code == 302
    assert KpiReview.objects.count() == 1
    client.force_login(users["ana"])
    client.post("/sla/reviews/prepare/", {"engagement": demo.engagements["shadow"].pk})
    assert KpiReview.objects.count() == 1


def test_a_draft_is_recomputed_and_a_held_review_keeps_its_figures(client, users, review, october):
    october.clock(
        october.ticket(team="acme-networks", engagement="acme"),
        target="accept",
        kind="uc",
        party="acme",
        team="acme-networks",
        stopped=madrid(10, 30),
        reason="accepted",
        elapsed=5400,
    )
    client.force_login(users["marta"])
    assert client.post(f"/sla/reviews/{review.pk}/refresh/").status_code == 302
    review.refresh_from_db()
    assert review.figures["figures"]["handoff_accept_minutes"] == 50.0  # (15 + 45 + 90) / 3
    reviews.review_meeting_record(
        review=review,
        by=users["marta"],
        held_on=timezone.localdate(),
        attendees=[users["marta"], users["lucia"]],
    )
    before = dict(review.figures)
    client.post(f"/sla/reviews/{review.pk}/refresh/")
    review.refresh_from_db()
    assert review.figures == before


def test_the_review_exports_as_a_safe_csv(client, users, review):
    FollowUpAction.objects.create(
        review=review,
        description="=cmd|' /C calc'!A0",
        owner=users["ana"],
        due_on=dt.date(2099, 1, 1),
        created_by=users["marta"],
    )
    response = view(client, users["lucia"], f"/partner/kpis/reviews/{review.pk}/export/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert "'=cmd|' /C calc'!A0" in cells
    assert "Core switch flaps" in cells
    assert (
        view(client, users["sam"], f"/partner/kpis/reviews/{review.pk}/export/").status_code == 404
    )
