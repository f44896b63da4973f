"""The audit trail page: restricted like every read, filterable, refreshed in place by htmx."""

from cogest.services import audit_record


def test_internal_manager_reads_and_filters_the_trail(client, users, demo):
    audit_record(
        actor=users["pablo"], action="team.members_changed", obj=demo.teams["acme-networks"]
    )
    client.force_login(users["marta"])
    page = client.get("/audit/").content.decode()
    assert "team.members_changed" in page and "demo.seeded" in page
    filtered = client.get("/audit/", {"action": "team."}).content.decode()
    assert "team.members_changed" in filtered and "demo.seeded" not in filtered


def test_htmx_filter_returns_the_page_and_bad_dates_do_not_fail(client, users, demo):
    client.force_login(users["marta"])
    response = client.get("/audit/", {"since": "not-a-date"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="audit-results"' in response.content.decode()


def test_provider_is_sent_to_the_portal_and_requester_sees_only_her_own(client, users, demo):
    audit_record(actor=users["ana"], action="probe.ana", obj=demo.teams["service-desk"])
    client.force_login(users["pablo"])
    assert client.get("/audit/")["Location"] == "/partner/"
    client.force_login(users["rita"])
    page = client.get("/audit/").content.decode()
    assert "probe.ana" not in page
