"""Runbook services and selectors (SPEC 2.6): versions, acknowledgements, review tasks and who
reads what. ``runbook_world`` is shared with the page and API tests."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from cmdb.choices import ReviewTaskStatus
from cmdb.errors import StaleVersion
from cmdb.models import (
    CIClass,
    ConfigurationItem,
    Runbook,
    RunbookAcknowledgement,
    RunbookReviewTask,
    RunbookVersion,
)
from cmdb.runbooks import (
    AlreadyAcknowledged,
    review_task_done,
    runbook_acknowledge,
    runbook_create,
    runbook_edit,
    runbook_list_for,
    runbook_publish,
    runbook_review_tasks_due,
    runbook_update,
    runbook_version_diff,
    runbooks_for_ci,
    runbooks_for_ticket,
    runbooks_waiting_for_acknowledgement,
)
from cmdb.services import ci_create
from cmdb.tasks_runbooks import runbook_review_tasks_task
from cogest.models import AuditEvent

TODAY = dt.date(2026, 11, 25)


@dataclass
class RunbookWorld:
    """CI classes, CIs and runbooks of every visibility case.

    - ``acme``: co-owned by Acme (pablo provider owner), no links;
    - ``net``: internal only, area networks (in Acme's engagement scope);
    - ``sys``: internal only, area systems, linked to the server SRV-1 (outside Acme's scope);
    - ``switch``: internal only, linked to the switch SW-1 only (Acme sees the CI);
    - ``servers``: internal only, linked to the server class;
    - ``bare``: internal only, no link at all.
    """

    classes: dict[str, CIClass] = field(default_factory=dict)
    cis: dict[str, ConfigurationItem] = field(default_factory=dict)
    runbooks: dict[str, Runbook] = field(default_factory=dict)


def build_runbook_world(demo) -> RunbookWorld:
    users, orgs = demo.users, demo.organizations
    world = RunbookWorld()
    for slug, name, area in (
        ("server", "Server", "systems"),
        ("network_device", "Network device", "networks"),
        ("firewall", "Firewall", "cybersecurity"),
        ("workstation", "Workstation", ""),
    ):
        world.classes[slug] = CIClass.objects.create(name=name, slug=slug, functional_area=area)
    for name, klass in (("SRV-1", "server"), ("SW-1", "network_device"), ("FW-1", "firewall")):
        world.cis[name] = ci_create(
            by=users["ivan"],
            name=name,
            ci_class=world.classes[klass],
            managed_by=orgs["internal"],
        )
    ivan, marta = users["ivan"], users["marta"]
    specs = {
        "acme": {"title": "Acme VPN failover", "provider_owner": users["pablo"]},
        "net": {"title": "Switch firmware upgrade", "areas": ["networks"]},
        "sys": {
            "title": "Server patching",
            "areas": ["systems"],
            "cis": [world.cis["SRV-1"]],
            "kind": "contingency",
        },
        "switch": {"title": "SW-1 port reset", "cis": [world.cis["SW-1"]], "kind": "known_error"},
        "servers": {"title": "Any server: disk full", "ci_classes": [world.classes["server"]]},
        "bare": {"title": "Printer toner"},
    }
    for key, spec in specs.items():
        world.runbooks[key] = runbook_create(
            by=ivan,
            kind=spec.pop("kind", "manual"),
            body=f"# {spec['title']}\n\n1. Check.\n2. Fix.",
            internal_owner=spec.pop("internal_owner", ivan if key != "bare" else marta),
            note="First version",
            **spec,
        )
    return world


@pytest.fixture
def world(demo):
    return build_runbook_world(demo)


def _titles(runbooks) -> set[str]:
    return {r.title for r in runbooks}


def _count(model) -> int:
    return model.objects.count()


# --- Creating and versions ----------------------------------------------------------------------


def test_create_publishes_version_one_with_the_provider_side_derived(users, demo):
    # when
    runbook = runbook_create(
        by=users["ivan"],
        title="  Acme  link down ",
        kind="contingency",
        body="Steps\r\n\r\n1. Call Acme  ",
        internal_owner=users["ivan"],
        provider_owner=users["pablo"],
        areas=["networks", "networks"],
        review_on=dt.date(2027, 1, 1),
        note="First",
    )
    # then
    runbook.refresh_from_db()
    assert runbook.title == "Acme link down"
    assert runbook.current_version == 1 and runbook.version == 1
    assert runbook.provider_organization == demo.organizations["acme"]
    assert runbook.areas == ["networks"]
    version = runbook.versions.get()
    assert (version.number, version.body, version.note, version.author) == (
        1,
        "Steps\n\n1. Call Acme",
        "First",
        users["ivan"],
    )
    event = AuditEvent.objects.filter(action="runbook.created", object_id=str(runbook.pk)).get()
    assert event.after["provider_owner"] == users["pablo"].pk


def test_publish_numbers_versions_and_never_edits_old_ones(world, users):
    runbook = world.runbooks["net"]
    # when
    v2 = runbook_publish(runbook=runbook, by=users["ana"], body="New text", note="Rewrite")
    v3 = runbook_publish(runbook=runbook, by=users["ivan"], body="Newer text", expected_version=2)
    # then
    runbook.refresh_from_db()
    assert (v2.number, v3.number, runbook.current_version, runbook.version) == (2, 3, 3, 3)
    assert list(runbook.versions.order_by("number").values_list("body", flat=True)) == [
        "# Switch firmware upgrade\n\n1. Check.\n2. Fix.",
        "New text",
        "Newer text",
    ]
    assert AuditEvent.objects.filter(action="runbook.published", object_id=str(runbook.pk)).count()


def test_unchanged_text_is_refused_and_nothing_is_published(world, users):
    runbook = world.runbooks["net"]
    versions = _count(RunbookVersion)
    # when
    with pytest.raises(ValidationError) as exc:
        runbook_publish(runbook=runbook, by=users["ivan"], body=runbook.versions.get().body + "\n")
    # then
    assert "unchanged" in str(exc.value.message_dict["body"])
    runbook.refresh_from_db()
    assert (runbook.current_version, runbook.version, _count(RunbookVersion)) == (1, 1, versions)


def test_stale_version_is_refused_with_nothing_changed(world, users):
    runbook = world.runbooks["net"]
    runbook_update(runbook=runbook, by=users["ana"], title="Firmware upgrade", expected_version=1)
    # when / then
    with pytest.raises(StaleVersion):
        runbook_update(runbook=runbook, by=users["ivan"], title="Mine", expected_version=1)
    with pytest.raises(StaleVersion):
        runbook_publish(runbook=runbook, by=users["ivan"], body="Mine", expected_version=1)
    runbook.refresh_from_db()
    assert (runbook.title, runbook.version, runbook.current_version) == ("Firmware upgrade", 2, 1)


def test_update_changes_links_and_owners_and_audits_the_difference(world, users, demo):
    runbook = world.runbooks["bare"]
    # when
    runbook_update(
        runbook=runbook,
        by=users["marta"],
        cis=[world.cis["FW-1"].pk],
        ci_classes=["firewall"],
        provider_owner=users["lucia"],
        review_on=dt.date(2027, 3, 1),
    )
    # then
    runbook.refresh_from_db()
    assert list(runbook.cis.all()) == [world.cis["FW-1"]]
    assert list(runbook.ci_classes.all()) == [world.classes["firewall"]]
    assert runbook.provider_organization == demo.organizations["acme"]
    assert runbook.version == 2
    event = AuditEvent.objects.filter(action="runbook.updated").latest("id")
    assert set(event.after) == {"cis", "ci_classes", "provider_owner", "review_on"}
    # and nothing differs: no new version, no event
    runbook_update(runbook=runbook, by=users["marta"], ci_classes=[world.classes["firewall"]])
    runbook.refresh_from_db()
    assert runbook.version == 2


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"kind": "novel"}, "kind"),
        ({"areas": ["kitchen"]}, "areas"),
        ({"areas": "networks"}, "areas"),
        ({"ci_classes": ["no-such-class"]}, "ci_classes"),
        ({"cis": [999_999]}, "cis"),
        ({"cis": ["SW-1"]}, "cis"),
        ({"internal_owner": None}, "internal_owner"),
        ({"review_on": "2027-01-01"}, "review_on"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_metadata_is_refused_with_nothing_changed(world, users, values, field):
    runbook = world.runbooks["net"]
    # when
    with pytest.raises(ValidationError) as exc:
        runbook_update(runbook=runbook, by=users["ivan"], **values)
    # then
    assert field in exc.value.message_dict
    runbook.refresh_from_db()
    assert (runbook.title, runbook.version) == ("Switch firmware upgrade", 1)


@pytest.mark.parametrize(
    ("owner_key", "field"),
    [("rita", "internal_owner"), ("pablo", "internal_owner")],
)
def test_internal_owner_must_be_internal_staff(users, owner_key, field):
    before = _count(Runbook)
    with pytest.raises(ValidationError) as exc:
        runbook_create(
            by=users["ivan"], title="T", kind="manual", body="B", internal_owner=users[owner_key]
        )
    assert field in exc.value.message_dict
    assert _count(Runbook) == before


def test_provider_owner_must_work_for_a_provider(users):
    before = _count(Runbook)
    with pytest.raises(ValidationError) as exc:
        runbook_create(
            by=users["ivan"],
            title="T",
            kind="manual",
            body="B",
            internal_owner=users["ivan"],
            provider_owner=users["ana"],
        )
    assert "provider_owner" in exc.value.message_dict
    assert _count(Runbook) == before


def test_create_reports_every_problem_at_once_and_saves_nothing(users):
    before = (_count(Runbook), _count(RunbookVersion))
    with pytest.raises(ValidationError) as exc:
        runbook_create(by=users["ivan"], title="", kind="x", body="  ", internal_owner=None)
    assert {"title", "kind", "body", "internal_owner"} <= set(exc.value.message_dict)
    assert (_count(Runbook), _count(RunbookVersion)) == before


def test_linked_cis_must_be_visible_to_the_author(world, users):
    # given SRV-1 is outside Acme's scope
    before = _count(Runbook)
    # when
    with pytest.raises(ValidationError) as exc:
        runbook_create(
            by=users["pablo"],
            title="T",
            kind="manual",
            body="B",
            internal_owner=users["ivan"],
            provider_owner=users["pablo"],
            cis=[world.cis["SRV-1"].pk],
        )
    # then
    assert "cis" in exc.value.message_dict
    assert _count(Runbook) == before


def test_a_provider_writes_runbooks_its_organization_co_owns(world, users, demo):
    runbook = runbook_create(
        by=users["pablo"],
        title="Acme switch checks",
        kind="manual",
        body="Text",
        internal_owner=users["ivan"],
        provider_owner=users["lucia"],
        cis=[world.cis["SW-1"].pk],
    )
    assert runbook.provider_organization == demo.organizations["acme"]
    # but not for another organization, nor with no provider side
    before = _count(Runbook)
    for owner in (users["sam"], None):
        with pytest.raises(ValidationError) as exc:
            runbook_create(
                by=users["pablo"],
                title="T",
                kind="manual",
                body="B",
                internal_owner=users["ivan"],
                provider_owner=owner,
            )
        assert "provider_owner" in exc.value.message_dict
    assert _count(Runbook) == before


def test_requesters_write_no_runbook(users):
    before = _count(Runbook)
    with pytest.raises(PermissionDenied):
        runbook_create(
            by=users["rita"], title="T", kind="manual", body="B", internal_owner=users["ivan"]
        )
    assert _count(Runbook) == before


def test_a_provider_changes_only_what_it_co_owns(world, users):
    # when pablo changes his organization's runbook
    runbook_publish(runbook=world.runbooks["acme"], by=users["pablo"], body="Acme's new text")
    # then
    assert world.runbooks["acme"].versions.count() == 2
    # and an internal runbook he reads is a 403, with nothing changed
    with pytest.raises(PermissionDenied):
        runbook_update(runbook=world.runbooks["net"], by=users["pablo"], title="Mine")
    with pytest.raises(PermissionDenied):
        runbook_publish(runbook=world.runbooks["net"], by=users["pablo"], body="Mine")
    net = Runbook.objects.get(pk=world.runbooks["net"].pk)
    assert (net.title, net.current_version) == ("Switch firmware upgrade", 1)
    # and one he does not read is a 404
    with pytest.raises(Runbook.DoesNotExist):
        runbook_update(runbook=world.runbooks["sys"], by=users["pablo"], title="Mine")


def test_a_provider_may_not_change_the_internal_owner(world, users):
    runbook = world.runbooks["acme"]
    with pytest.raises(ValidationError) as exc:
        runbook_update(runbook=runbook, by=users["pablo"], internal_owner=users["marta"])
    assert "internal_owner" in exc.value.message_dict
    runbook.refresh_from_db()
    assert (runbook.internal_owner, runbook.version) == (users["ivan"], 1)


def test_a_provider_keeps_links_to_cis_it_cannot_see(world, users):
    # given the Acme runbook is linked to SRV-1 (outside Acme's scope) and SW-1
    runbook = world.runbooks["acme"]
    runbook_update(
        runbook=runbook, by=users["ivan"], cis=[world.cis["SRV-1"].pk, world.cis["SW-1"].pk]
    )
    # when pablo sets the links he sees to FW-1 only
    runbook_update(runbook=runbook, by=users["pablo"], cis=[world.cis["FW-1"].pk])
    # then SRV-1 stays linked
    assert set(runbook.cis.values_list("name", flat=True)) == {"SRV-1", "FW-1"}


def test_edit_changes_details_and_publishes_in_one_step_or_not_at_all(world, users):
    runbook = world.runbooks["net"]
    body = runbook.versions.get().body
    # when
    runbook_edit(
        runbook=runbook,
        by=users["ivan"],
        expected_version=1,
        title="Firmware",
        body="New",
        note="n",
    )
    # then
    runbook.refresh_from_db()
    assert (runbook.title, runbook.current_version, runbook.version) == ("Firmware", 2, 3)
    # and a bad title with a new text saves neither
    with pytest.raises(ValidationError) as exc:
        runbook_edit(runbook=runbook, by=users["ivan"], expected_version=3, title="", body="X")
    assert "title" in exc.value.message_dict
    runbook.refresh_from_db()
    assert (runbook.title, runbook.current_version) == ("Firmware", 2)
    # and nothing changed at all is refused
    with pytest.raises(ValidationError):
        runbook_edit(runbook=runbook, by=users["ivan"], expected_version=3, body="New")
    assert body != "New"


# --- Acknowledgements ---------------------------------------------------------------------------


def test_each_side_acknowledges_the_current_version_once(world, users):
    runbook = world.runbooks["acme"]
    # when
    internal = runbook_acknowledge(runbook=runbook, by=users["ivan"], number=1)
    provider = runbook_acknowledge(runbook=runbook, by=users["pablo"])
    # then
    assert (internal.side, provider.side) == ("internal", "provider")
    assert runbook_list_for(user=users["ivan"]).get(pk=runbook.pk).acknowledged is True
    # and a second acknowledgement by the same side is a clear error, not a duplicate
    with pytest.raises(AlreadyAcknowledged) as exc:
        runbook_acknowledge(runbook=runbook, by=users["marta"])
    assert "already acknowledged" in str(exc.value)
    assert RunbookAcknowledgement.objects.filter(runbook_version__runbook=runbook).count() == 2
    assert AuditEvent.objects.filter(action="runbook.acknowledged").count() == 2


def test_a_new_version_needs_new_acknowledgements(world, users):
    runbook = world.runbooks["acme"]
    runbook_acknowledge(runbook=runbook, by=users["ivan"])
    runbook_acknowledge(runbook=runbook, by=users["lucia"])  # the provider's manager
    # when
    runbook_publish(runbook=runbook, by=users["ivan"], body="v2")
    # then
    row = runbook_list_for(user=users["ivan"]).get(pk=runbook.pk)
    assert (row.ack_internal, row.ack_provider, row.acknowledged) == (False, False, False)
    assert runbook in runbooks_waiting_for_acknowledgement(user=users["ivan"])
    assert runbook in runbooks_waiting_for_acknowledgement(user=users["pablo"])


def test_acknowledging_an_old_version_is_refused(world, users):
    runbook = world.runbooks["net"]
    runbook_publish(runbook=runbook, by=users["ana"], body="v2")
    with pytest.raises(ValidationError) as exc:
        runbook_acknowledge(runbook=runbook, by=users["ivan"], number=1)
    assert "version" in exc.value.message_dict
    assert not RunbookAcknowledgement.objects.exists()


@pytest.mark.parametrize(
    ("key", "who", "error"),
    [
        ("net", "ana", PermissionDenied),  # an internal agent who does not own it
        ("net", "pablo", PermissionDenied),  # a provider reading an internal-only runbook
        ("acme", "sam", Runbook.DoesNotExist),  # another provider, which does not read it
        ("sys", "pablo", Runbook.DoesNotExist),
        ("sys", "rita", Runbook.DoesNotExist),
    ],
)
def test_only_a_sides_owner_or_manager_acknowledges(world, users, key, who, error):
    with pytest.raises(error):
        runbook_acknowledge(runbook=world.runbooks[key], by=users[who])
    assert not RunbookAcknowledgement.objects.exists()
    assert not AuditEvent.objects.filter(action="runbook.acknowledged").exists()


def test_a_provider_technician_who_is_not_the_owner_does_not_acknowledge(world, users, demo):
    from cogest.choices import Role
    from cogest.services import user_create

    other = user_create(
        username="acme-tech-2",
        organization=demo.organizations["acme"],
        role=Role.AGENT,
        password=None,
    )
    with pytest.raises(PermissionDenied):
        runbook_acknowledge(runbook=world.runbooks["acme"], by=other)
    assert not RunbookAcknowledgement.objects.exists()


# --- Review tasks -------------------------------------------------------------------------------


def test_a_passed_review_date_creates_one_task_for_the_internal_owner(world, users):
    runbook_update(runbook=world.runbooks["net"], by=users["ivan"], review_on=TODAY)
    runbook_update(
        runbook=world.runbooks["bare"], by=users["marta"], review_on=TODAY.replace(day=1)
    )
    runbook_update(
        runbook=world.runbooks["sys"], by=users["ivan"], review_on=TODAY + dt.timedelta(days=1)
    )
    # when the daily job runs twice
    first = runbook_review_tasks_due(today=TODAY)
    second = runbook_review_tasks_due(today=TODAY)
    # then
    assert len(first) == 2 and second == []
    tasks = RunbookReviewTask.objects.order_by("due_on")
    assert [(t.runbook.title, t.owner.username, t.due_on) for t in tasks] == [
        ("Printer toner", "marta", TODAY.replace(day=1)),
        ("Switch firmware upgrade", "ivan", TODAY),
    ]
    assert AuditEvent.objects.filter(action="runbook.review_due").count() == 2


def test_the_celery_task_creates_todays_tasks(world, users, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC))
    runbook_update(runbook=world.runbooks["net"], by=users["ivan"], review_on=TODAY)
    assert len(runbook_review_tasks_task.apply().get()) == 1
    assert runbook_review_tasks_task.apply().get() == []
    assert RunbookReviewTask.objects.count() == 1


def test_done_closes_the_task_and_sets_the_next_review(world, users, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC))
    runbook = world.runbooks["net"]
    runbook_update(runbook=runbook, by=users["ivan"], review_on=TODAY)
    [task_id] = runbook_review_tasks_due(today=TODAY)
    # when
    task = review_task_done(task=task_id, by=users["ivan"], next_review_on=dt.date(2027, 5, 1))
    # then
    task.refresh_from_db()
    runbook.refresh_from_db()
    assert (task.status, task.done_by) == (ReviewTaskStatus.DONE, users["ivan"])
    assert runbook.review_on == dt.date(2027, 5, 1)
    assert AuditEvent.objects.filter(action="runbook.review_done").count() == 1
    # and the job does not bring it back
    assert runbook_review_tasks_due(today=dt.date(2027, 1, 1)) == []
    # and closing it again is refused
    with pytest.raises(ValidationError):
        review_task_done(task=task_id, by=users["ivan"])


@pytest.mark.parametrize(
    ("who", "error"),
    [("ana", PermissionDenied), ("pablo", Exception), ("rita", RunbookReviewTask.DoesNotExist)],
)
def test_only_the_owner_or_a_manager_closes_a_review(world, users, who, error, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC))
    runbook_update(runbook=world.runbooks["net"], by=users["ivan"], review_on=TODAY)
    [task_id] = runbook_review_tasks_due(today=TODAY)
    with pytest.raises(error):
        review_task_done(task=task_id, by=users[who])
    assert RunbookReviewTask.objects.get().status == ReviewTaskStatus.OPEN
    # a manager may
    review_task_done(task=task_id, by=users["marta"])
    assert RunbookReviewTask.objects.get().status == ReviewTaskStatus.DONE


def test_next_review_date_must_be_after_today(world, users, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC))
    runbook_update(runbook=world.runbooks["net"], by=users["ivan"], review_on=TODAY)
    [task_id] = runbook_review_tasks_due(today=TODAY)
    with pytest.raises(ValidationError) as exc:
        review_task_done(task=task_id, by=users["ivan"], next_review_on=TODAY)
    assert "next_review_on" in exc.value.message_dict
    assert RunbookReviewTask.objects.get().status == ReviewTaskStatus.OPEN


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_jobs_create_each_task_once(demo):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes writers; the race needs PostgreSQL")
    world = build_runbook_world(demo)
    users = demo.users
    for key in ("net", "sys", "bare", "switch"):
        runbook_update(runbook=world.runbooks[key], by=users["marta"], review_on=TODAY)
    results, barrier = [], threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            results.append(runbook_review_tasks_due(today=TODAY))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(r) for r in results) in ([0, 4], [1, 3], [2, 2])
    assert sum(len(r) for r in results) == 4
    assert RunbookReviewTask.objects.count() == 4


# --- Who reads what -----------------------------------------------------------------------------


def test_internal_staff_read_every_runbook(world, users):
    assert _titles(runbook_list_for(user=users["ana"])) == {
        r.title for r in world.runbooks.values()
    }


def test_pablo_reads_acme_runbooks_his_areas_and_his_cis_only(world, users):
    assert _titles(runbook_list_for(user=users["pablo"])) == {
        "Acme VPN failover",
        "Switch firmware upgrade",
        "SW-1 port reset",
    }


def test_sam_reads_per_shadow_scope(world, users):
    # Shadow's engagement covers every area: the area runbooks and those of CIs in scope.
    assert _titles(runbook_list_for(user=users["sam"])) == {
        "Switch firmware upgrade",
        "Server patching",
        "SW-1 port reset",
    }


def test_requesters_read_no_runbook(world, users):
    assert not runbook_list_for(user=users["rita"]).exists()


def test_list_filters(world, users):
    ana = users["ana"]
    assert _titles(runbook_list_for(user=ana, kind="known_error")) == {"SW-1 port reset"}
    assert _titles(runbook_list_for(user=ana, area="systems")) == {"Server patching"}
    assert _titles(runbook_list_for(user=ana, ci_class=world.classes["server"])) == {
        "Any server: disk full"
    }
    assert _titles(runbook_list_for(user=ana, ci=world.cis["SRV-1"])) == {
        "Server patching",
        "Any server: disk full",
    }
    assert _titles(runbook_list_for(user=ana, q="toner")) == {"Printer toner"}
    runbook_publish(runbook=world.runbooks["bare"], by=users["marta"], body="Use the blue tray")
    assert _titles(runbook_list_for(user=ana, q="BLUE tray")) == {"Printer toner"}
    assert _titles(runbook_list_for(user=ana, q="Check.")) == {
        r.title for r in world.runbooks.values() if r.title != "Printer toner"
    }
    # a CI the reader does not see matches nothing
    assert not runbook_list_for(user=users["pablo"], ci=world.cis["SRV-1"]).exists()


def test_runbooks_for_ci_follow_the_ci_and_its_class(world, users):
    assert _titles(runbooks_for_ci(user=users["ivan"], ci=world.cis["SRV-1"])) == {
        "Server patching",
        "Any server: disk full",
    }
    assert _titles(runbooks_for_ci(user=users["pablo"], ci=world.cis["SW-1"])) == {
        "SW-1 port reset"
    }


def test_runbooks_for_ticket_exact_results(world, users):
    runbook_acknowledge(runbook=world.runbooks["switch"], by=users["ivan"])
    cis = [world.cis["SW-1"].pk, world.cis["SRV-1"].pk]
    # internal: the CIs, their classes and the area
    rows = runbooks_for_ticket(user=users["ivan"], ci_ids=cis, area="networks")
    # contingency plans, then known errors, then manuals (alphabetical kinds), by title
    assert [(r.title, r.acknowledged) for r in rows] == [
        ("Server patching", False),
        ("SW-1 port reset", True),
        ("Any server: disk full", False),
        ("Switch firmware upgrade", False),
    ]
    # the same ticket seen by pablo: SRV-1 and its runbooks are outside his scope
    rows = runbooks_for_ticket(user=users["pablo"], ci_ids=cis, area="networks")
    assert [r.title for r in rows] == ["SW-1 port reset", "Switch firmware upgrade"]
    # no CI, area only
    rows = runbooks_for_ticket(user=users["ivan"], ci_ids=[], area="systems")
    assert [r.title for r in rows] == ["Server patching"]
    assert not runbooks_for_ticket(user=users["ivan"], ci_ids=[], area=None).exists()
    assert not runbooks_for_ticket(user=users["rita"], ci_ids=cis, area="networks").exists()


def test_runbooks_for_ticket_queries_do_not_grow_with_runbooks(
    world, users, django_assert_max_num_queries
):
    cis = [world.cis["SW-1"].pk, world.cis["SRV-1"].pk]
    list(runbooks_for_ticket(user=users["pablo"], ci_ids=cis, area="networks"))  # content types
    # the visibility rules (engagement scopes) and two reads: the CIs, then the runbooks
    with django_assert_max_num_queries(6):
        assert len(runbooks_for_ticket(user=users["pablo"], ci_ids=cis, area="networks")) == 2
    for n in range(5):
        runbook_create(
            by=users["ivan"],
            title=f"More {n}",
            kind="manual",
            body="x",
            internal_owner=users["ivan"],
            cis=[world.cis["SW-1"].pk],
        )
    with django_assert_max_num_queries(6):
        assert len(runbooks_for_ticket(user=users["pablo"], ci_ids=cis, area="networks")) == 7


def test_diff_between_versions():
    lines = runbook_version_diff(old="a\nb\nc", new="a\nB\nc\nd")
    assert [(line.kind, line.text) for line in lines if line.kind != "hunk"] == [
        ("same", "a"),
        ("del", "b"),
        ("add", "B"),
        ("same", "c"),
        ("add", "d"),
    ]
