"""Notifications in the UI (issue 7): the bell with the unread count in both layouts (one query
at most, whatever the number of notifications), the notifications pages, marking read with
htmx, and the per-person email preference that ``notify_people`` respects."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cogest.models import OutboxMessage, UserProfile
from escalation.models import Notification, NotificationPreference
from escalation.notify import notify_people
from escalation.tasks import notification_email_task

HTMX = {"HTTP_HX_REQUEST": "true"}
EMAIL_TASK = "escalation.tasks.notification_email_task"


def notify(user, n=1, *, urgent=False, prefix="Note"):
    made = []
    for i in range(n):
        made += notify_people(
            [user],
            kind="test",
            title=f"{prefix} {i}",
            body="body",
            url="/tickets/",
            occasion=f"{prefix}-{user.pk}-{i}",
            urgent=urgent,
        )
    return made


@pytest.fixture
def signed_in(client, users):
    def sign(name):
        UserProfile.objects.filter(user=users[name]).update(language="en")
        client.force_login(users[name])
        return client

    return sign


def bell(html: str) -> str:
    start = html.index('data-testid="notification-count"')
    return html[html.index(">", start) + 1 : html.index("</span>", start)]


def notification_queries(captured) -> int:
    return sum('"escalation_notification"' in q["sql"] for q in captured.captured_queries)


# --- The bell --------------------------------------------------------------------------------


def test_the_bell_shows_the_unread_count_in_both_layouts(signed_in, users):
    notify(users["marta"], 3)
    notify(users["pablo"], 2)
    assert bell(signed_in("marta").get("/").content.decode()) == "3"
    page = signed_in("pablo").get("/partner/").content.decode()
    assert bell(page) == "2" and 'href="/partner/notifications/"' in page


def test_the_bell_costs_at_most_one_query_whatever_the_number_of_notifications(signed_in, users):
    client = signed_in("ana")
    client.get("/")  # warm the process-wide caches
    notify(users["ana"], 1)  # a new notification: the cached count is forgotten
    with CaptureQueriesContext(connection) as few:
        client.get("/")
    notify(users["ana"], 40, prefix="More")
    with CaptureQueriesContext(connection) as many:
        page = client.get("/").content.decode()
    assert bell(page) == "41"
    assert len(few.captured_queries) == len(many.captured_queries)
    assert notification_queries(many) == 1  # the count changed: counted once, then cached
    with CaptureQueriesContext(connection) as cached:
        client.get("/")
    assert notification_queries(cached) == 0
    assert len(cached.captured_queries) == len(many.captured_queries) - 1


def test_htmx_partials_do_not_count_notifications(signed_in, users, demo):
    from tickets.services import ticket_create

    ticket_create(by=users["ana"], type="incident", title="x", functional_area="networks")
    notify(users["ana"], 2)
    with CaptureQueriesContext(connection) as captured:
        signed_in("ana").get("/tickets/?q=x", **HTMX)
    assert notification_queries(captured) == 0


def test_anonymous_pages_have_no_bell(client, demo):
    page = client.get("/login/").content.decode()
    assert 'data-testid="notification-bell"' not in page


# --- The notifications page --------------------------------------------------------------------


def test_the_page_lists_my_notifications_newest_first_with_links(signed_in, users):
    notify(users["marta"], 3)
    notify(users["ana"], 1, prefix="Ana's")
    response = signed_in("marta").get("/notifications/")
    assert response.status_code == 200
    titles = [n.title for n in response.context["notifications"]]
    assert titles == ["Note 2", "Note 1", "Note 0"]
    page = response.content.decode()
    assert "Ana&#x27;s" not in page and 'href="/tickets/"' in page
    assert 'aria-live="polite"' in page


def test_the_partner_page_lists_pablos_own_notifications(signed_in, users):
    notify(users["pablo"], 1, prefix="Acme")
    notify(users["lucia"], 1, prefix="Lucia")
    client = signed_in("pablo")
    assert client.get("/notifications/").status_code == 302  # the internal page sends him home
    response = client.get("/partner/notifications/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Acme 0" in page and "Lucia 0" not in page
    assert 'action="/partner/notifications/' in page  # the forms post on his side
    assert "partner/base.html" in [t.name for t in response.templates]


def test_marking_one_read_with_htmx_swaps_the_row_and_the_bell(signed_in, users):
    first, second = notify(users["marta"], 2)
    client = signed_in("marta")
    client.get("/")  # the count is cached now
    response = client.post(f"/notifications/{first.pk}/read/", **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="notification-{first.pk}"' in body and 'data-read="true"' in body
    assert 'hx-swap-oob="true"' in body and bell(body) == "1"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None
    assert bell(client.get("/").content.decode()) == "1"  # the cached count was forgotten


def test_marking_all_read(signed_in, users):
    notify(users["marta"], 3)
    notify(users["ana"], 1)
    client = signed_in("marta")
    response = client.post("/notifications/read-all/", **HTMX)
    assert response.status_code == 200 and bell(response.content.decode()) == "0"
    assert not Notification.objects.filter(recipient=users["marta"], read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=users["ana"], read_at__isnull=True).count() == 1
    response = client.post("/notifications/read-all/")
    assert response.status_code == 302 and response["Location"] == "/notifications/"


def test_nobody_marks_someone_elses_notification(signed_in, users):
    [martas] = notify(users["marta"])
    assert signed_in("ana").post(f"/notifications/{martas.pk}/read/", **HTMX).status_code == 404
    assert signed_in("pablo").post(f"/partner/notifications/{martas.pk}/read/").status_code == 404
    martas.refresh_from_db()
    assert martas.read_at is None


# --- Preferences -------------------------------------------------------------------------------


def emails_queued() -> int:
    return OutboxMessage.objects.filter(task_name=EMAIL_TASK).count()


def test_by_default_normal_notifications_are_emailed(users, db):
    notify(users["marta"])
    assert emails_queued() == 1


def test_email_off_keeps_normal_notifications_in_the_app_but_urgent_ones_are_emailed(
    signed_in, users
):
    client = signed_in("marta")
    response = client.post("/notifications/preferences/", {})  # the box unticked
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=users["marta"]).email_normal is False
    notify(users["marta"], prefix="Normal")
    assert emails_queued() == 0
    assert Notification.objects.filter(recipient=users["marta"]).count() == 1
    notify(users["marta"], urgent=True, prefix="Urgent")
    assert emails_queued() == 1
    page = client.get("/notifications/").content.decode()
    assert (
        'name="email_normal"' in page and "checked" not in page.split('name="email_normal"')[1][:80]
    )
    client.post("/notifications/preferences/", {"email_normal": "on"})
    assert NotificationPreference.objects.get(user=users["marta"]).email_normal is True


def test_a_queued_email_is_not_sent_after_the_person_turned_email_off(users, db, mailoutbox):
    [normal] = notify(users["marta"])
    [urgent] = notify(users["marta"], urgent=True, prefix="Urgent")
    NotificationPreference.objects.create(user=users["marta"], email_normal=False)
    assert notification_email_task.apply(args=[normal.pk]).get() == "email off"
    assert notification_email_task.apply(args=[urgent.pk]).get() == "sent"
    assert [m.subject for m in mailoutbox] == ["[cogest] Urgent 0"]


def test_each_person_sets_only_their_own_preferences(signed_in, users):
    signed_in("pablo").post("/partner/notifications/preferences/", {})
    assert NotificationPreference.objects.get(user=users["pablo"]).email_normal is False
    assert not NotificationPreference.objects.filter(user=users["lucia"]).exists()
