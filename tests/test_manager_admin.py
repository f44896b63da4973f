"""Internal managers configure engagements, calendars, the matrix and absences in the admin
(SPEC 3, configuration); they do not administer organizations or people."""

import pytest

from cogest.models import Absence, AuditEvent


@pytest.mark.parametrize(
    "url",
    [
        "/admin/cogest/engagement/",
        "/admin/cogest/engagement/add/",
        "/admin/cogest/responsibilityrule/",
        "/admin/cogest/absence/add/",
        "/admin/cogest/businesscalendar/",
        "/admin/cogest/auditevent/",
    ],
)
def test_internal_manager_reaches_configuration_pages(client, users, url):
    client.force_login(users["marta"])
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "url", ["/admin/cogest/organization/add/", "/admin/auth/user/add/", "/admin/cogest/team/add/"]
)
def test_internal_manager_does_not_administer_organizations_people_or_teams(client, users, url):
    client.force_login(users["marta"])
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("username", ["ana", "pablo", "lucia", "rita"])
def test_others_are_kept_out_of_the_admin(client, users, username):
    client.force_login(users[username])
    response = client.get("/admin/cogest/engagement/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_manager_records_an_absence_and_it_is_audited(client, users, demo):
    client.force_login(users["marta"])
    response = client.post(
        "/admin/cogest/absence/add/",
        {
            "team": demo.teams["service-desk"].pk,
            "user": "",
            "starts_at_0": "2026-12-01",
            "starts_at_1": "08:00",
            "ends_at_0": "2026-12-05",
            "ends_at_1": "18:00",
            "reason": "vacation",
            "note": "Christmas rota",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    absence = Absence.objects.get()
    assert absence.created_by == users["marta"]
    event = AuditEvent.objects.get(action="absence.created")
    assert event.actor_id == users["marta"].pk


def test_absence_with_both_team_and_person_is_refused_in_the_admin(client, users, demo):
    client.force_login(users["marta"])
    response = client.post(
        "/admin/cogest/absence/add/",
        {
            "team": demo.teams["service-desk"].pk,
            "user": users["ana"].pk,
            "starts_at_0": "2026-12-01",
            "starts_at_1": "08:00",
            "ends_at_0": "2026-11-05",
            "ends_at_1": "18:00",
            "reason": "vacation",
        },
    )
    assert response.status_code == 200
    assert Absence.objects.count() == 0
    assert not AuditEvent.objects.filter(action="absence.created").exists()
