"""Runbook pages (SPEC 2.6) for both audiences: list, page, versions with differences, create and
edit with preview, acknowledgement, review tasks, the CI partial and the ticket partial."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from cmdb.models import Runbook, RunbookAcknowledgement, RunbookReviewTask, RunbookVersion
from cmdb.runbooks import (
    runbook_publish,
    runbook_review_tasks_due,
    runbook_update,
    runbooks_for_ticket,
)

from .test_runbooks import TODAY, build_runbook_world

EVIL = (
    "# Steps\n\n<script>alert('pwned')</script>\n\n"
    '<img src=x onerror="alert(1)">\n\n[click](javascript:alert(2))\n\n**bold**'
)


@pytest.fixture(autouse=True)
def _english(demo):
    """Messages are checked in English (the demo people mostly read Spanish)."""
    from cogest.models import UserProfile

    UserProfile.objects.update(language="en")


@pytest.fixture
def world(demo):
    return build_runbook_world(demo)


@pytest.fixture
def client_for(users):
    def make(name: str) -> Client:
        client = Client()
        client.force_login(users[name])
        return client

    return make


def _internal(name, *args):
    return reverse(f"cmdb:{name}", args=args)


def _partner(name, *args):
    return reverse(f"partner-cmdb:{name}", args=args)


def _form(world, users, **overrides) -> dict:
    data = {
        "title": "Firewall failover",
        "kind": "contingency",
        "areas": ["cybersecurity"],
        "ci_classes": [world.classes["firewall"].pk],
        "cis": [world.cis["FW-1"].pk],
        "internal_owner": users["ivan"].pk,
        "provider_owner": users["pablo"].pk,
        "review_on": "2027-06-30",
        "body": "1. Switch to the standby firewall.",
        "note": "First",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- List ---------------------------------------------------------------------------------------


def test_internal_list_shows_every_runbook_with_filters(world, client_for):
    response = client_for("ana").get(_internal("runbook-list"))
    assert response.status_code == 200
    body = response.content.decode()
    for runbook in world.runbooks.values():
        assert f'data-runbook="{runbook.pk}"' in body
    filtered = client_for("ana").get(_internal("runbook-list"), {"kind": "known_error"})
    assert filtered.status_code == 200
    rows = filtered.content.decode().count('data-testid="runbook-row"')
    assert rows == 1


def test_list_filters_by_ci_through_its_class(world, client_for):
    response = client_for("ana").get(_internal("runbook-list"), {"ci": world.cis["SRV-1"].pk})
    body = response.content.decode()
    assert body.count('data-testid="runbook-row"') == 2
    assert 'data-testid="runbook-filter-ci"' in body and "SRV-1" in body


@pytest.mark.parametrize(
    "query", [{"kind": "novel"}, {"area": "kitchen"}, {"ci_class": "nope"}, {"ci": "abc"}]
)
def test_bad_list_filters_are_a_400_with_the_error_shown(world, client_for, query):
    response = client_for("ana").get(_internal("runbook-list"), query)
    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode()


def test_a_provider_cannot_filter_by_a_ci_outside_its_scope(world, client_for):
    response = client_for("pablo").get(_partner("runbook-list"), {"ci": world.cis["SRV-1"].pk})
    assert response.status_code == 400
    assert 'data-testid="runbook-row"' not in response.content.decode()


def test_list_shows_what_waits_for_my_acknowledgement_and_my_reviews(world, users, client_for):
    runbook_update(runbook=world.runbooks["net"], by=users["ivan"], review_on=TODAY)
    runbook_review_tasks_due(today=TODAY)
    body = client_for("ivan").get(_internal("runbook-list")).content.decode()
    waiting = body.split('data-testid="runbooks-waiting"')[1].split("</section>")[0]
    assert "Server patching" in waiting and "Printer toner" not in waiting  # marta owns that one
    reviews = body.split('data-testid="runbook-review-tasks"')[1].split("</section>")[0]
    assert "Switch firmware upgrade" in reviews


def test_partner_list_is_scoped(world, client_for):
    body = client_for("pablo").get(_partner("runbook-list")).content.decode()
    assert body.count('data-testid="runbook-row"') == 3
    assert "Server patching" not in body
    # pablo owns the Acme runbook's provider side: it waits for him
    waiting = body.split('data-testid="runbooks-waiting"')[1].split("</section>")[0]
    assert "Acme VPN failover" in waiting


def test_a_provider_on_an_internal_page_is_sent_to_the_portal(world, client_for):
    response = client_for("pablo").get(_internal("runbook-detail", world.runbooks["acme"].pk))
    assert response.status_code == 302
    assert response["Location"] == reverse("partner:home")


# --- One runbook --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "ns", "key", "status"),
    [
        ("ivan", "cmdb", "sys", 200),
        ("pablo", "partner-cmdb", "acme", 200),
        ("pablo", "partner-cmdb", "net", 200),
        ("pablo", "partner-cmdb", "switch", 200),
        ("pablo", "partner-cmdb", "sys", 404),
        ("pablo", "partner-cmdb", "bare", 404),
        ("sam", "partner-cmdb", "sys", 200),
        ("sam", "partner-cmdb", "acme", 404),
        ("rita", "cmdb", "net", 404),
    ],
)
def test_who_reads_which_runbook_page(world, client_for, who, ns, key, status):
    runbook = world.runbooks[key]
    for name, args in (
        ("runbook-detail", [runbook.pk]),
        ("runbook-version", [runbook.pk, 1]),
    ):
        response = client_for(who).get(reverse(f"{ns}:{name}", args=args))
        assert response.status_code == status, name


def test_markdown_is_sanitized_on_every_page(world, users, client_for):
    runbook = world.runbooks["net"]
    runbook_publish(runbook=runbook, by=users["ivan"], body=EVIL)
    client = client_for("ivan")
    pages = [
        client.get(_internal("runbook-detail", runbook.pk)),
        client.get(_internal("runbook-version", runbook.pk, 2)),
        client.post(_internal("runbook-preview"), {"body": EVIL}),
    ]
    for response in pages:
        body = response.content.decode()
        assert response.status_code == 200
        # (the version page's difference shows the source text, escaped)
        assert "<script>alert" not in body
        assert 'onerror="' not in body
        assert 'href="javascript' not in body
        assert "<strong>bold</strong>" in body


def test_detail_shows_owners_acknowledgements_and_history(world, users, client_for):
    runbook = world.runbooks["acme"]
    runbook_publish(runbook=runbook, by=users["ivan"], body="v2 text", note="Second")
    body = client_for("ivan").get(_internal("runbook-detail", runbook.pk)).content.decode()
    assert body.count('data-testid="runbook-version-row"') == 2
    assert "Second" in body and "Acme MSP" in body
    assert 'data-testid="runbook-acknowledge"' in body
    # ana (an agent who does not own it) has no button
    body = client_for("ana").get(_internal("runbook-detail", runbook.pk)).content.decode()
    assert 'data-testid="runbook-acknowledge"' not in body
    assert 'data-testid="runbook-edit"' in body


def test_acknowledge_from_the_page_once(world, client_for):
    runbook = world.runbooks["acme"]
    client = client_for("pablo")
    url = _partner("runbook-acknowledge", runbook.pk)
    # when
    response = client.post(url, {"version": "1"}, follow=True)
    # then
    assert response.status_code == 200
    assert RunbookAcknowledgement.objects.filter(side="provider").count() == 1
    body = response.content.decode()
    assert 'data-testid="runbook-acknowledge"' not in body
    assert "pablo" in body.split('data-testid="ack-provider"')[1].split("</dd>")[0].lower()
    # and again: a clear message, no duplicate
    response = client.post(url, {"version": "1"}, follow=True)
    assert "already acknowledged" in response.content.decode()
    assert RunbookAcknowledgement.objects.count() == 1


def test_acknowledging_without_the_right_is_refused_with_nothing_saved(world, client_for):
    net, sys = world.runbooks["net"], world.runbooks["sys"]
    assert client_for("ana").post(_internal("runbook-acknowledge", net.pk)).status_code == 403
    assert client_for("pablo").post(_partner("runbook-acknowledge", net.pk)).status_code == 403
    assert client_for("pablo").post(_partner("runbook-acknowledge", sys.pk)).status_code == 404
    assert not RunbookAcknowledgement.objects.exists()


def test_acknowledging_a_version_that_is_no_longer_current_is_refused(world, users, client_for):
    runbook = world.runbooks["net"]
    runbook_publish(runbook=runbook, by=users["ana"], body="v2")
    response = client_for("ivan").post(
        _internal("runbook-acknowledge", runbook.pk), {"version": "1"}, follow=True
    )
    assert "read it before acknowledging" in response.content.decode()
    assert not RunbookAcknowledgement.objects.exists()


def test_version_page_shows_the_difference_from_the_previous_one(world, users, client_for):
    runbook = world.runbooks["net"]
    runbook_publish(runbook=runbook, by=users["ivan"], body="# Switch firmware upgrade\n\n1. Go.")
    body = client_for("ana").get(_internal("runbook-version", runbook.pk, 2)).content.decode()
    assert 'data-diff="del"' in body and 'data-diff="add"' in body
    assert "1. Go." in body
    assert client_for("ana").get(_internal("runbook-version", runbook.pk, 3)).status_code == 404
    first = client_for("ana").get(_internal("runbook-version", runbook.pk, 1)).content.decode()
    assert 'data-testid="runbook-diff"' not in first


# --- Create and edit ----------------------------------------------------------------------------


def test_create_page_creates_a_runbook(world, users, client_for):
    client = client_for("ivan")
    assert client.get(_internal("runbook-create")).status_code == 200
    # when
    response = client.post(_internal("runbook-create"), _form(world, users))
    # then
    runbook = Runbook.objects.get(title="Firewall failover")
    assert response.status_code == 302
    assert response["Location"] == _internal("runbook-detail", runbook.pk)
    assert runbook.provider_organization.slug == "acme"
    assert list(runbook.cis.all()) == [world.cis["FW-1"]]
    assert runbook.review_on == dt.date(2027, 6, 30)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"body": "   "}, "body"),
        ({"kind": "novel"}, "kind"),
        ({"internal_owner": None}, "internal_owner"),
        ({"review_on": "someday"}, "review_on"),
        ({"cis": ["999999"]}, "cis"),
        ({"areas": ["kitchen"]}, "areas"),
    ],
)
def test_bad_create_input_is_a_400_with_the_values_kept(world, users, client_for, overrides, field):
    before = (Runbook.objects.count(), RunbookVersion.objects.count())
    response = client_for("ivan").post(
        _internal("runbook-create"), _form(world, users, **{"title": "Kept title", **overrides})
    )
    assert response.status_code == 400
    assert response.context["form"].errors.get(field)
    assert (Runbook.objects.count(), RunbookVersion.objects.count()) == before
    if field != "title":
        assert 'value="Kept title"' in response.content.decode()


def test_a_provider_creates_from_the_portal_for_its_own_organization(world, users, client_for):
    client = client_for("pablo")
    assert client.get(_partner("runbook-create")).status_code == 200
    response = client.post(
        _partner("runbook-create"),
        _form(world, users, cis=[world.cis["SW-1"].pk], ci_classes=None),
    )
    assert response.status_code == 302
    # another provider's person is not a choice
    before = Runbook.objects.count()
    response = client.post(
        _partner("runbook-create"), _form(world, users, title="X", provider_owner=users["sam"].pk)
    )
    assert response.status_code == 400 and Runbook.objects.count() == before


def test_requesters_get_no_create_page(world, client_for):
    assert client_for("rita").get(_internal("runbook-create")).status_code == 403


def _edit_form(runbook, **overrides) -> dict:
    current = runbook.versions.get(number=runbook.current_version)
    data = {
        "title": runbook.title,
        "kind": runbook.kind,
        "areas": list(runbook.areas),
        "ci_classes": list(runbook.ci_classes.values_list("pk", flat=True)),
        "cis": list(runbook.cis.values_list("pk", flat=True)),
        "internal_owner": runbook.internal_owner_id,
        "provider_owner": runbook.provider_owner_id or "",
        "review_on": "",
        "body": current.body,
        "note": "",
        "version": runbook.version,
    }
    data.update(overrides)
    return data


def test_edit_publishes_a_new_version(world, client_for):
    runbook = world.runbooks["net"]
    client = client_for("ivan")
    page = client.get(_internal("runbook-edit", runbook.pk))
    assert page.status_code == 200 and "Switch firmware upgrade" in page.content.decode()
    # when
    response = client.post(
        _internal("runbook-edit", runbook.pk),
        _edit_form(runbook, body="A better text", note="Clearer steps"),
    )
    # then
    assert response.status_code == 302
    runbook.refresh_from_db()
    assert runbook.current_version == 2
    assert runbook.versions.get(number=2).note == "Clearer steps"


def test_a_stale_edit_is_refused_with_nothing_saved_and_the_text_kept(world, users, client_for):
    runbook = world.runbooks["net"]
    form = _edit_form(runbook, body="My version of the text")
    runbook_update(runbook=runbook, by=users["ana"], title="Changed by Ana")
    # when
    response = client_for("ivan").post(_internal("runbook-edit", runbook.pk), form)
    # then
    assert response.status_code == 400
    body = response.content.decode()
    assert "Someone changed this runbook" in body and "My version of the text" in body
    runbook.refresh_from_db()
    assert (runbook.title, runbook.current_version) == ("Changed by Ana", 1)


def test_an_edit_that_changes_nothing_is_refused(world, client_for):
    runbook = world.runbooks["net"]
    response = client_for("ivan").post(_internal("runbook-edit", runbook.pk), _edit_form(runbook))
    assert response.status_code == 400
    assert "Nothing changed" in response.content.decode()
    runbook.refresh_from_db()
    assert runbook.version == 1


def test_a_provider_edits_only_runbooks_it_co_owns(world, client_for):
    client = client_for("pablo")
    acme, net, sys = (world.runbooks[k] for k in ("acme", "net", "sys"))
    page = client.get(_partner("runbook-edit", acme.pk))
    assert page.status_code == 200
    assert page.context["form"].fields["internal_owner"].disabled
    response = client.post(_partner("runbook-edit", acme.pk), _edit_form(acme, body="Acme v2"))
    assert response.status_code == 302, response.context and response.context["form"].errors
    assert acme.versions.count() == 2
    # a runbook pablo reads but does not co-own: 403; one he does not read: 404
    assert client.get(_partner("runbook-edit", net.pk)).status_code == 403
    assert client.post(_partner("runbook-edit", net.pk), _edit_form(net)).status_code == 403
    assert client.get(_partner("runbook-edit", sys.pk)).status_code == 404
    assert net.versions.count() == 1 and sys.versions.count() == 1


def test_preview_refuses_an_oversized_text(world, client_for):
    response = client_for("ivan").post(_internal("runbook-preview"), {"body": "x" * 100_001})
    assert response.status_code == 400


def test_ci_picker_searches_visible_cis_and_keeps_the_ticked_ones(world, client_for):
    url = _partner("runbook-ci-options")
    sw, srv = world.cis["SW-1"], world.cis["SRV-1"]
    body = client_for("pablo").get(url, {"ci_search": "-1", "cis": [sw.pk]}).content.decode()
    assert f'value="{sw.pk}" id="ci-pick-{sw.pk}" checked' in body
    assert "FW-1" in body and "SRV-1" not in body
    body = client_for("ivan").get(_internal("runbook-ci-options"), {"ci_search": "SRV"})
    assert f'value="{srv.pk}"' in body.content.decode()


# --- Review tasks -------------------------------------------------------------------------------


def test_review_done_from_the_page(world, users, client_for, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC))
    runbook = world.runbooks["net"]
    runbook_update(runbook=runbook, by=users["ivan"], review_on=TODAY)
    [task_id] = runbook_review_tasks_due(today=TODAY)
    page = client_for("ivan").get(_internal("runbook-detail", runbook.pk)).content.decode()
    assert 'data-testid="review-done-form"' in page
    # a bad date changes nothing
    client_for("ivan").post(
        _internal("runbook-review-done", task_id), {"next_review_on": "soon"}, follow=True
    )
    assert RunbookReviewTask.objects.get().status == "open"
    # ana may not
    response = client_for("ana").post(_internal("runbook-review-done", task_id))
    assert response.status_code == 403
    # ivan may
    response = client_for("ivan").post(
        _internal("runbook-review-done", task_id), {"next_review_on": "2027-05-01"}
    )
    assert response.status_code == 302
    runbook.refresh_from_db()
    assert RunbookReviewTask.objects.get().status == "done"
    assert runbook.review_on == dt.date(2027, 5, 1)


# --- Partials for the CI and ticket pages -------------------------------------------------------


def test_ci_partial_lists_the_cis_runbooks(world, client_for):
    srv, sw = world.cis["SRV-1"], world.cis["SW-1"]
    body = client_for("ivan").get(_internal("ci-runbooks", srv.pk)).content.decode()
    assert "Server patching" in body and "Any server: disk full" in body
    assert "<html" not in body
    assert client_for("pablo").get(_partner("ci-runbooks", srv.pk)).status_code == 404
    body = client_for("pablo").get(_partner("ci-runbooks", sw.pk)).content.decode()
    assert "SW-1 port reset" in body
    assert _partner("runbook-detail", world.runbooks["switch"].pk) in body


def test_ticket_partial_links_to_the_audiences_pages(world, users, rf):
    runbooks = runbooks_for_ticket(user=users["pablo"], ci_ids=[world.cis["SW-1"].pk], area=None)
    switch = world.runbooks["switch"]
    partner = render_to_string(
        "cmdb/_runbooks_for_ticket.html", {"runbooks": runbooks, "audience": "partner"}
    )
    internal = render_to_string(
        "cmdb/_runbooks_for_ticket.html", {"runbooks": runbooks, "audience": "internal"}
    )
    assert _partner("runbook-detail", switch.pk) in partner
    assert _internal("runbook-detail", switch.pk) in internal
    assert "Not yet acknowledged" in partner
    empty = render_to_string("cmdb/_runbooks_for_ticket.html", {"runbooks": [], "audience": ""})
    assert "No runbook applies" in empty


def _more_runbooks(world, users, n: int) -> None:
    from cmdb.runbooks import runbook_create

    for i in range(n):
        runbook_create(
            by=users["ivan"],
            title=f"Extra {i}",
            kind="manual",
            body="x",
            internal_owner=users["ivan"],
            provider_owner=users["pablo"],
            areas=["networks"],
            ci_classes=[world.classes["network_device"]],
            cis=[world.cis["SW-1"], world.cis["FW-1"]],
        )


@pytest.mark.parametrize(("who", "ns"), [("ivan", "cmdb"), ("pablo", "partner-cmdb")])
def test_list_page_queries_do_not_grow_with_runbooks(
    world, users, client_for, django_assert_max_num_queries, who, ns
):
    client = client_for(who)
    url = reverse(f"{ns}:runbook-list")
    client.get(url)
    with django_assert_max_num_queries(20) as small:
        assert client.get(url).status_code == 200
    few = len(small)  # now: the connection's query log is a bounded deque
    _more_runbooks(world, users, 10)
    client.get(url)  # new runbooks notify their owners: the bell's cached count is read again
    with django_assert_max_num_queries(few):
        assert client.get(url).status_code == 200
