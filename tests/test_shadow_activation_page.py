"""A manager switches shadow support on by hand from the engagement page (SPEC 2.1)."""

import datetime as dt

import pytest
from django.utils import timezone

from cogest.models import AuditEvent, Engagement


def _local_input(when: dt.datetime) -> str:
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def shadow(demo):
    return demo.engagements["shadow"]


def test_manager_activates_shadow_support_in_place_with_htmx(client, users, shadow):
    # given
    client.force_login(users["marta"])
    until = timezone.now() + dt.timedelta(hours=4)
    # when
    response = client.post(
        f"/engagements/{shadow.pk}/shadow/",
        {"until": _local_input(until), "reason": "Service Desk offsite training"},
        HTTP_HX_REQUEST="true",
    )
    # then
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="shadow-panel"' in body and "<html" not in body
    assert "Service Desk offsite training" in body
    shadow.refresh_from_db()
    assert shadow.manual_activation_active()
    event = AuditEvent.objects.filter(action="engagement.shadow_activated").get()
    assert event.actor_id == users["marta"].pk and event.object_id == str(shadow.pk)
    # and the home page of every internal user shows the banner
    client.force_login(users["ana"])
    assert 'data-testid="shadow-banner"' in client.get("/").content.decode()


def test_manager_ends_a_manual_activation(client, users, shadow):
    client.force_login(users["marta"])
    until = timezone.now() + dt.timedelta(hours=2)
    client.post(f"/engagements/{shadow.pk}/shadow/", {"until": _local_input(until), "reason": "x"})
    response = client.post(f"/engagements/{shadow.pk}/shadow/", {"op": "end"})
    assert response.status_code == 302
    shadow.refresh_from_db()
    assert shadow.shadow_manual_until is None
    assert AuditEvent.objects.filter(action="engagement.shadow_deactivated").count() == 1


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({"until": "", "reason": "x"}, "until"),
        ({"until": "2020-01-01T10:00", "reason": "x"}, "until"),
        ({"until": "not a date", "reason": "x"}, "until"),
        ({"until": "2099-01-01T10:00", "reason": "   "}, "reason"),
    ],
)
def test_bad_activation_input_is_a_form_error_and_changes_nothing(
    client, users, shadow, data, field_error
):
    client.force_login(users["marta"])
    response = client.post(f"/engagements/{shadow.pk}/shadow/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert f'name="{field_error}"' in response.content.decode()
    assert "is-invalid" in response.content.decode()
    shadow.refresh_from_db()
    assert shadow.shadow_manual_until is None
    assert not AuditEvent.objects.filter(action="engagement.shadow_activated").exists()


def test_agent_sees_the_engagement_but_may_not_activate_it(client, users, shadow):
    client.force_login(users["ana"])
    page = client.get(f"/engagements/{shadow.pk}/").content.decode()
    assert 'data-testid="shadow-panel"' in page and "Activate now" not in page
    response = client.post(
        f"/engagements/{shadow.pk}/shadow/", {"until": "2099-01-01T10:00", "reason": "x"}
    )
    assert response.status_code == 403
    shadow.refresh_from_db()
    assert shadow.shadow_manual_until is None


def test_other_provider_cannot_even_see_the_shadow_engagement(client, users, shadow):
    client.force_login(users["pablo"])
    assert client.get(f"/partner/engagements/{shadow.pk}/").status_code == 404
    client.force_login(users["sam"])
    assert client.get(f"/partner/engagements/{shadow.pk}/").status_code == 200


def test_co_managed_engagement_has_no_shadow_panel(client, users, demo):
    client.force_login(users["marta"])
    acme = demo.engagements["acme"]
    assert (
        'data-testid="shadow-panel"' not in client.get(f"/engagements/{acme.pk}/").content.decode()
    )
    response = client.post(
        f"/engagements/{acme.pk}/shadow/", {"until": "2099-01-01T10:00", "reason": "x"}
    )
    assert response.status_code == 400
    assert Engagement.objects.get(pk=acme.pk).shadow_manual_until is None
