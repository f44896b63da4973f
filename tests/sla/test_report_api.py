"""``GET /api/v1/sla/report/?engagement=&from=&to=`` (SPEC 5) and ``/api/v1/sla/reviews/``:
figures against targets, breaches and work logged; 400 for bad input, 404 for an engagement the
caller may not see, 403 for requesters; documented in the OpenAPI schema."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from sla import reviews
from sla.models import KpiReview

from .test_reviews import build_acme_october

URL = "/api/v1/sla/report/"


@pytest.fixture
def october(demo, users):
    """Acme's October 2026: clocks and work logs inside and outside the month."""
    return build_acme_october(demo, users)


def report(api, user, **params):
    return api(user).get(URL, params)


def acme_october(demo) -> dict:
    return {"engagement": demo.engagements["acme"].pk, "from": "2026-10-01", "to": "2026-10-31"}


def test_the_report_gives_kpis_against_targets_breaches_and_work_logged(api, users, demo, october):
    response = report(api, users["marta"], **acme_october(demo))
    assert response.status_code == 200
    body = response.json()
    assert body["engagement"] == {
        "id": demo.engagements["acme"].pk,
        "name": demo.engagements["acme"].name,
        "provider": demo.organizations["acme"].pk,
    }
    assert (body["from"], body["to"]) == ("2026-10-01", "2026-10-31")
    kpis = {row["metric"]: row for row in body["kpis"]}
    assert kpis["handoff_accept_minutes"] | {"label": ""} == {
        "metric": "handoff_accept_minutes",
        "label": "",
        "target": 30.0,
        "value": 30.0,
        "higher_is_better": False,
        "passed": True,
    }
    assert (kpis["sla_compliance_pct"]["value"], kpis["sla_compliance_pct"]["passed"]) == (
        50.0,
        False,
    )
    assert body["figures"]["mttr_hours"] == 5.0
    assert body["figures"]["breaches"] == 1
    [breach] = body["breaches"]
    assert breach["kind"] == "sla" and breach["target"] == "resolution"
    assert breach["holder_at_breach"] == demo.organizations["acme"].pk
    assert {share["organization"] for share in breach["held_by"]} == {
        demo.organizations["internal"].pk,
        demo.organizations["acme"].pk,
    }
    assert body["breaches_truncated"] is False
    worklogs = {row["organization"]: row for row in body["worklogs"]}
    acme = worklogs[demo.organizations["acme"].pk]
    assert (acme["minutes"], acme["billable_minutes"], acme["entries"]) == (120, 90, 2)
    assert worklogs[demo.organizations["internal"].pk]["minutes"] == 45


def test_a_provider_manager_gets_its_engagement_with_its_own_work_logged(api, users, demo, october):
    body = report(api, users["lucia"], **acme_october(demo)).json()
    assert body["figures"]["handoff_accept_minutes"] == 30.0
    assert [row["organization"] for row in body["worklogs"]] == [demo.organizations["acme"].pk]


def test_without_dates_the_report_covers_the_last_finished_review_period(api, users, demo):
    engagement = demo.engagements["acme"]
    first, last = reviews.last_finished_period(engagement)
    body = report(api, users["marta"], engagement=engagement.pk).json()
    assert (body["from"], body["to"]) == (first.isoformat(), last.isoformat())


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "engagement"),
        ({"engagement": "acme"}, "engagement"),
        ({"engagement": "-1"}, "engagement"),
        ({"from": "2026-13-01", "to": "2026-12-31"}, "from"),
        ({"from": "2026-10-01", "to": "yesterday"}, "to"),
        ({"from": "2026-10-31", "to": "2026-10-01"}, "to"),
        ({"from": "2026-10-01"}, "to"),
        ({"to": "2026-10-31"}, "from"),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "to"),
    ],
)
def test_bad_input_is_a_json_400(api, users, demo, params, field):
    if "engagement" not in params and field != "engagement":
        params = {"engagement": demo.engagements["acme"].pk, **params}
    response = report(api, users["marta"], **params)
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize(
    ("username", "engagement"), [("lucia", "shadow"), ("pablo", "shadow"), ("sam", "acme")]
)
def test_another_providers_engagement_is_not_found(api, users, demo, username, engagement):
    response = report(api, users[username], engagement=demo.engagements[engagement].pk)
    assert response.status_code == 404
    assert response.json() == {"detail": response.json()["detail"]}


def test_an_unknown_engagement_is_not_found(api, users):
    assert report(api, users["marta"], engagement=999_999).status_code == 404


def test_requesters_and_strangers_get_no_report(api, users, demo):
    params = acme_october(demo)
    assert report(api, users["rita"], **params).status_code == 403
    assert report(api, None, **params).status_code in (401, 403)


def test_a_technician_gets_his_own_work_within_the_engagement(api, users, demo, october):
    body = report(api, users["pablo"], **acme_october(demo)).json()
    # Pablo is in Acme Networks, which holds both tickets: the same clocks as his manager's.
    assert body["figures"]["handoff_accept_minutes"] == 30.0
    ana = report(api, users["ana"], **acme_october(demo)).json()
    # Ana's Service Desk holds none of them now: nothing of Acme's work is hers.
    assert ana["figures"]["handoff_accept_minutes"] is None
    assert ana["breaches"] == []


def test_the_report_and_reviews_are_in_the_schema(api, users):
    response = api(users["marta"]).get("/api/schema/")
    schema = yaml.safe_load(response.content)
    operation = schema["paths"][URL]["get"]
    names = {p["name"]: p for p in operation["parameters"]}
    assert names["engagement"]["required"] is True
    assert {"from", "to"} <= set(names)
    assert {"200", "400", "404"} <= set(operation["responses"])
    assert "/api/v1/sla/reviews/" in schema["paths"]
    assert "/api/v1/sla/reviews/{id}/" in schema["paths"]


def test_reviews_api_lists_what_each_reader_may_see(api, users, demo, october):
    reviews.kpi_reviews_prepare_due(today=dt.date(2026, 11, 25))
    acme = KpiReview.objects.get(engagement=demo.engagements["acme"])
    shadow = KpiReview.objects.get(engagement=demo.engagements["shadow"])
    ids = {r["id"] for r in api(users["lucia"]).get("/api/v1/sla/reviews/").json()["results"]}
    assert ids == {acme.pk}
    body = api(users["lucia"]).get(f"/api/v1/sla/reviews/{acme.pk}/").json()
    assert body["figures"]["handoff_accept_minutes"] == 30.0
    assert [row["organization"] for row in body["worklogs"]] == [demo.organizations["acme"].pk]
    assert api(users["lucia"]).get(f"/api/v1/sla/reviews/{shadow.pk}/").status_code == 404
    assert api(users["pablo"]).get("/api/v1/sla/reviews/").json()["results"] == []
    all_ids = {r["id"] for r in api(users["marta"]).get("/api/v1/sla/reviews/").json()["results"]}
    assert all_ids == {acme.pk, shadow.pk}
