"""Signing in on the web and with an API token: redirects, throttling (django-axes), audit."""

from __future__ import annotations

import pytest
from django.conf import settings
from rest_framework.authtoken.models import Token

from cogest.models import AuditEvent
from cogest.services import audit_verify

PASSWORD = "cogest-demo"
TOKEN_URL = "/api/v1/auth/token/"


def events(action: str):
    return AuditEvent.objects.filter(action=action).order_by("id")


def login(client, username, password, **extra):
    return client.post("/login/", {"username": username, "password": password}, **extra)


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- Web sign-in -----------------------------------------------------------------------------


def test_the_login_page_opens_for_anonymous_visitors(client, db):
    response = client.get("/login/")
    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()


def test_pages_send_anonymous_visitors_to_the_login_page(client, db):
    for path in ("/", "/partner/", "/teams/", "/engagements/", "/matrix/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/login/?next="), path


def test_an_internal_user_signs_in_to_the_internal_home(client, users):
    # when
    response = login(client, "ana", PASSWORD, REMOTE_ADDR="10.1.2.3")
    # then
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert is_signed_in(client)
    event = events("auth.login").get()
    assert event.actor_id == users["ana"].pk
    assert event.after == {"via": "web"}
    assert event.ip_address == "10.1.2.3"
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("username", ["pablo", "lucia", "sam"])
def test_a_provider_user_signs_in_to_the_partner_portal(client, users, username):
    response = login(client, username, PASSWORD, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/partner/"
    assert response.request["PATH_INFO"] == "/partner/"
    assert events("auth.login").get().actor_id == users[username].pk


def test_a_wrong_password_shows_an_error_and_is_audited(client, users):
    # when
    response = login(client, "ana", "not-the-password")
    # then
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert 'role="alert"' in response.content.decode()
    assert not is_signed_in(client)
    assert not events("auth.login").exists()
    failed = events("auth.login_failed").get()
    assert failed.actor_id is None
    assert failed.actor_label == "anonymous:ana"
    assert failed.object_id == str(users["ana"].pk)
    assert failed.ip_address == "127.0.0.1"


def test_a_failed_login_for_an_unknown_user_is_audited_too(client, db):
    response = login(client, "mallory", "guess")
    assert response.status_code == 200
    failed = events("auth.login_failed").get()
    assert failed.actor_label == "anonymous:mallory"
    assert failed.object_id == ""


def test_an_inactive_user_cannot_sign_in(client, users):
    users["ana"].is_active = False
    users["ana"].save(update_fields=["is_active"])
    response = login(client, "ana", PASSWORD)
    assert response.status_code == 200
    assert not is_signed_in(client)
    assert not events("auth.login").exists()


def test_five_failures_lock_the_username_out_even_with_the_right_password(client, users):
    # given
    assert settings.AXES_FAILURE_LIMIT == 5
    # when: four failures are answered normally...
    for _ in range(4):
        assert login(client, "ana", "wrong").status_code == 200
    assert not events("auth.locked_out").exists()
    # ...and the fifth locks the account for this address
    locked = login(client, "ana", "wrong")
    assert locked.status_code == 429
    assert events("auth.login_failed").count() == 5
    lockout = events("auth.locked_out").get()
    assert lockout.actor_label == "anonymous:ana"
    assert lockout.object_id == str(users["ana"].pk)
    assert lockout.after == {"ip_address": "127.0.0.1"}
    # then even the right password is refused, and nobody is signed in
    response = login(client, "ana", PASSWORD)
    assert response.status_code == 429
    assert not is_signed_in(client)
    assert not events("auth.login").exists()
    assert audit_verify().ok


def test_a_lockout_holds_for_one_username_from_one_address(client, users):
    # given ana locked out from 127.0.0.1
    for _ in range(5):
        login(client, "ana", "wrong")
    assert login(client, "ana", PASSWORD).status_code == 429
    # then another person from the same address still signs in
    assert login(client, "ivan", PASSWORD).status_code == 302
    client.post("/logout/")
    # and so does ana from another address
    assert login(client, "ana", PASSWORD, REMOTE_ADDR="192.0.2.7").status_code == 302


def test_a_success_resets_the_failure_count(client, users):
    for _ in range(4):
        login(client, "ana", "wrong")
    assert login(client, "ana", PASSWORD).status_code == 302
    client.post("/logout/")
    for _ in range(4):
        assert login(client, "ana", "wrong").status_code == 200
    assert not events("auth.locked_out").exists()


def test_logout_is_a_post_and_is_audited(client, users):
    # given
    login(client, "ana", PASSWORD)
    assert is_signed_in(client)
    # when a GET is tried
    assert client.get("/logout/").status_code == 405
    assert is_signed_in(client)
    # when
    response = client.post("/logout/")
    # then
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert not is_signed_in(client)
    assert events("auth.logout").get().actor_id == users["ana"].pk
    assert client.get("/").status_code == 302


# --- API tokens ------------------------------------------------------------------------------


def test_a_token_is_issued_for_good_credentials_and_opens_the_api(api, users):
    # when
    response = api().post(TOKEN_URL, {"username": "pablo", "password": PASSWORD}, format="json")
    # then
    assert response.status_code == 200
    token = response.json()["token"]
    assert token == Token.objects.get(user=users["pablo"]).key
    event = events("auth.token_issued").get()
    assert event.actor_id == users["pablo"].pk
    assert event.after == {"new_token": True}
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/users/me/")
    assert me.status_code == 200
    assert me.json()["username"] == "pablo"


def test_asking_again_returns_the_same_token(api, users):
    first = api().post(TOKEN_URL, {"username": "ana", "password": PASSWORD}, format="json")
    second = api().post(TOKEN_URL, {"username": "ana", "password": PASSWORD}, format="json")
    assert first.json()["token"] == second.json()["token"]
    assert [e.after for e in events("auth.token_issued")] == [
        {"new_token": True},
        {"new_token": False},
    ]


def test_a_form_encoded_token_request_works_too(api, users):
    response = api().post(TOKEN_URL, {"username": "ana", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["token"]


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "ana", "password": "wrong"},
        {"username": "nobody", "password": PASSWORD},
        {"username": "ana", "password": PASSWORD.upper()},
    ],
    ids=["bad-password", "unknown-user", "case-matters"],
)
def test_bad_credentials_get_a_400_json_answer_and_no_token(api, users, credentials):
    response = api().post(TOKEN_URL, credentials, format="json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()
    assert not Token.objects.exists()
    assert events("auth.login_failed").count() == 1


def test_missing_fields_get_a_400_with_field_errors(api, users):
    response = api().post(TOKEN_URL, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}
    response = api().post(TOKEN_URL, {"username": "ana"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"password"}
    assert not Token.objects.exists()


GARBAGE = {
    "broken-json": ("{not json", "application/json"),
    "json-list": ('["ana", "cogest-demo"]', "application/json"),
    "wrong-types": ('{"username": ["ana"], "password": {"x": 1}}', "application/json"),
    "binary": ("\x00\xff garbage", "application/octet-stream"),
    "text": ("username=ana", "text/plain"),
    "broken-multipart": ("--x\r\nbroken multipart", "multipart/form-data; boundary=x"),
}


def test_garbage_gets_a_4xx_json_answer_never_a_5xx(api, db):
    for case, (body, content_type) in GARBAGE.items():
        response = api().post(TOKEN_URL, data=body, content_type=content_type)
        assert 400 <= response.status_code < 500, case
        assert response["Content-Type"].startswith("application/json"), case
    assert not Token.objects.exists()


def test_the_token_endpoint_only_accepts_post(api, db):
    client = api()
    assert client.get(TOKEN_URL).status_code == 405
    assert client.put(TOKEN_URL, {}, format="json").status_code == 405
    assert client.delete(TOKEN_URL).status_code == 405


def test_the_token_endpoint_locks_out_after_five_failures(api, users):
    client = api()
    for _ in range(4):
        bad = {"username": "lucia", "password": "wrong"}
        assert client.post(TOKEN_URL, bad, format="json").status_code == 400
    locked = client.post(TOKEN_URL, {"username": "lucia", "password": "x"}, format="json")
    assert locked.status_code == 429
    assert events("auth.locked_out").count() == 1
    response = client.post(TOKEN_URL, {"username": "lucia", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()
    assert not Token.objects.exists()


def test_a_web_lockout_also_closes_the_token_endpoint(client, api, users):
    for _ in range(5):
        login(client, "marta", "wrong")
    response = api().post(TOKEN_URL, {"username": "marta", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert response.json()["detail"]
    assert not Token.objects.filter(user=users["marta"]).exists()


def test_a_bad_token_is_refused(api, db):
    client = api()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert client.get("/api/v1/users/me/").status_code == 401


# --- Password hashing ------------------------------------------------------------------------


def test_the_product_hashes_passwords_with_argon2():
    # The shared conftest swaps the hasher for speed in django.conf.settings only.
    from django.contrib.auth.hashers import Argon2PasswordHasher

    import cogest.settings as product

    assert product.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    hasher = Argon2PasswordHasher()
    encoded = hasher.encode("s3cret-pass", hasher.salt())  # argon2-cffi is installed
    assert encoded.startswith("argon2$")
    assert hasher.verify("s3cret-pass", encoded)
    assert not hasher.verify("other", encoded)
