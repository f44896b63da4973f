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


def test_managers_see_engagement_governance_and_agents_do_not(client, users):
    for username, url in (("marta", "/"), ("lucia", "/partner/")):
        client.force_login(users[username])
        page = client.get(url).content.decode()
        assert 'data-testid="governance"' in page, username
    client.force_login(users["lucia"])
    page = client.get("/partner/").content.decode()
    assert "Acme MSP — networks and security" in page
    assert "Shadow Partners — backup desk" not in page
    for username, url in (("ana", "/"), ("pablo", "/partner/")):
        client.force_login(users[username])
        assert 'data-testid="governance"' not in client.get(url).content.decode(), username


def test_every_demo_user_gets_a_home_page_for_their_role(client, users):
    expected = {
        "admin": "/",
        "ana": "/",
        "ivan": "/",
        "marta": "/",
        "rita": "/",
        "pablo": "/partner/",
        "lucia": "/partner/",
        "sam": "/partner/",
    }
    for username, home in expected.items():
        client.force_login(users[username])
        response = client.get("/", follow=True)
        assert response.status_code == 200, username
        assert response.redirect_chain[-1][0] == home if response.redirect_chain else home == "/"
        assert 'data-testid="role-line"' in response.content.decode(), username
