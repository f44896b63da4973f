"""Per-integration service accounts: a role and an organization, a token, revocable, audited."""

import pytest
from django.core.management import CommandError, call_command

from cogest.models import AuditEvent


def test_service_account_token_carries_its_role_and_organization(api, demo, capsys):
    call_command("service_account", "create", "acme-monitor", "--organization", "acme")
    token = capsys.readouterr().out.strip()
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/users/me/").json()
    assert me["organization"]["slug"] == "acme" and me["role"] == "agent"
    orgs = {o["slug"] for o in client.get("/api/v1/organizations/").json()["results"]}
    assert orgs == {"acme", "internal"}  # sees what an Acme agent sees, no more
    assert AuditEvent.objects.filter(action="service_account.created").count() == 1


def test_revoked_service_account_is_refused_and_audited(api, demo, capsys):
    call_command("service_account", "create", "zabbix", "--organization", "internal")
    token = capsys.readouterr().out.strip()
    call_command("service_account", "revoke", "zabbix")
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/users/me/").status_code == 401
    assert AuditEvent.objects.filter(action="service_account.revoked").count() == 1


def test_bad_service_account_commands_fail_clearly(demo):
    with pytest.raises(CommandError):
        call_command("service_account", "create", "x", "--organization", "nowhere")
    with pytest.raises(CommandError):
        call_command("service_account", "revoke", "ana")  # a person, not an integration
    with pytest.raises(CommandError):
        call_command("service_account", "revoke", "ghost")


def test_admin_revokes_from_the_user_list(client, demo, users, capsys):
    call_command("service_account", "create", "nagios", "--organization", "internal")
    capsys.readouterr()
    from django.contrib.auth import get_user_model

    nagios = get_user_model().objects.get(username="nagios")
    client.force_login(users["admin"])
    response = client.post(
        "/admin/auth/user/", {"action": "revoke_service_accounts", "_selected_action": [nagios.pk]}
    )
    assert response.status_code == 302
    nagios.refresh_from_db()
    assert not nagios.is_active
