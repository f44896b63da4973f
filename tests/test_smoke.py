def test_home_redirects_anonymous_visitors_to_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_internal_agent_sees_home_and_provider_is_sent_to_partner_portal(client, users):
    client.force_login(users["ana"])
    assert client.get("/").status_code == 200
    assert client.get("/partner/")["Location"] == "/"
    client.force_login(users["pablo"])
    assert client.get("/")["Location"] == "/partner/"
    page = client.get("/partner/").content.decode()
    assert "Acme Networks" in page
    assert "Shadow Desk" not in page
