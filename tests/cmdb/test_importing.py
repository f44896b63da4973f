"""CMDB imports (issue 5): parsing, checking every row as the CI services do, the dry-run preview,
strict and skip runs, idempotent re-imports, relations (forward references too), bad files,
runs that must not happen twice, and a query count that does not grow with the rows."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from cmdb import importing
from cmdb.importing import (
    AttributeCheck,
    import_confirm,
    import_preview,
    import_run,
    import_sample,
    jobs,
)
from cmdb.models import CIClass, CIRelation, ConfigurationItem, ImportJob
from cmdb.schema import attribute_errors
from cmdb.services import ci_create
from cogest.models import AuditEvent, OutboxMessage, UserProfile
from cogest.services import audit_verify

SERVER_SCHEMA = {
    "type": "object",
    "properties": {
        "os": {"type": "string", "enum": ["linux", "windows"]},
        "cpu": {"type": "integer", "minimum": 1, "maximum": 512},
        "virtual": {"type": "boolean"},
        "ip": {"type": "string", "pattern": "^[0-9.]+$"},
        "load": {"type": "number", "minimum": 0},
        # An attribute named like a CI field: its column is attr.site.
        "site": {"type": "string"},
    },
    "required": ["os"],
}


def make_classes() -> dict[str, CIClass]:
    return {
        "server": CIClass.objects.create(
            name="Server", slug="server", attribute_schema=SERVER_SCHEMA, functional_area="systems"
        ),
        "application": CIClass.objects.create(
            name="Application", slug="application", functional_area="applications"
        ),
    }


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def classes(demo):
    return make_classes()


@pytest.fixture
def server(classes):
    return classes["server"]


def csv_file(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def preview(users, klass, content, *, name="servers.csv", mode="strict", by="ivan", fmt=None):
    return import_preview(
        ci_class=klass, filename=name, content=content, fmt=fmt, mode=mode, by=users[by]
    )


def errors_of(job) -> set[tuple]:
    return {(e["row"], e["field"]) for e in job.errors}


def snapshot() -> dict:
    """What an import may change: CIs (with versions), relations, audit events."""
    return {
        "cis": sorted(ConfigurationItem.objects.values_list("pk", "name", "version")),
        "relations": sorted(CIRelation.objects.values_list("source_id", "type", "target_id")),
        "audit": AuditEvent.objects.count(),
    }


GOOD = csv_file(
    "name,asset_tag,status,criticality,site,owner_team,managed_by,internal_owner,os,cpu,virtual",
    "web-01,SRV-1,active,2,Madrid,internal-systems,internal,ivan,linux,4,yes",
    "web-02,SRV-2,maintenance,3,Barcelona,,,,windows,8,no",
    "edge-01,SRV-3,active,1,Madrid,acme-networks,acme,,linux,2,true",
)


# --- Preview and run ----------------------------------------------------------------------------


def test_a_dry_run_counts_what_would_change_and_writes_no_ci(users, server):
    # given: web-01 exists already (found by its asset tag), with another site
    existing = ci_create(
        by=users["ivan"], name="web-01", ci_class=server, managed_by=users["ivan"].profile
        .organization, asset_tag="SRV-1", attributes={"os": "linux", "cpu": 4, "virtual": True},
        criticality=2, site="Sevilla", owner_team=None,
    )  # fmt: skip
    before = snapshot()
    # when
    job = preview(users, server, GOOD)
    # then
    assert job.status == "previewed"
    assert (job.total_rows, job.created_count, job.updated_count) == (3, 2, 1)
    assert (job.unchanged_count, job.skipped_count, job.errors) == (0, 0, [])
    assert snapshot() == before
    existing.refresh_from_db()
    assert existing.site == "Sevilla"
    # the preview shows what will change, references by their slug
    sample = {row["name"]: row for row in import_sample(job)}
    assert sample["web-01"]["action"] == "update"
    changes = {c["field"]: (c["before"], c["after"]) for c in sample["web-01"]["changes"]}
    assert changes["site"] == ("Sevilla", "Madrid")
    assert changes["owner_team"] == (None, "internal-systems")
    assert sample["edge-01"]["action"] == "create"
    assert {c["field"]: c["after"] for c in sample["edge-01"]["changes"]}["managed_by"] == "acme"


def test_running_creates_and_updates_with_one_audit_event_per_changed_ci(users, server, demo):
    # given
    existing = ci_create(
        by=users["ivan"], name="web-01", ci_class=server, managed_by=demo.organizations["internal"],
        asset_tag="SRV-1", attributes={"os": "linux", "cpu": 2}, site="Sevilla",
    )  # fmt: skip
    job = preview(users, server, GOOD)
    # when
    job = import_run(job)
    # then
    assert job.status == "done"
    assert (job.created_count, job.updated_count, job.unchanged_count) == (2, 1, 0)
    assert (job.processed_rows, job.skipped_count) == (3, 0)
    existing.refresh_from_db()
    assert existing.version == 2
    assert existing.site == "Madrid"
    assert existing.attributes == {"os": "linux", "cpu": 4, "virtual": True}
    assert existing.owner_team == demo.teams["internal-systems"]
    assert existing.internal_owner == users["ivan"]
    web2 = ConfigurationItem.objects.get(asset_tag="SRV-2")
    assert (web2.status, web2.criticality, web2.site) == ("maintenance", 3, "Barcelona")
    assert web2.managed_by == demo.organizations["internal"]  # the importer's organization
    assert web2.attributes == {"os": "windows", "cpu": 8, "virtual": False}
    edge = ConfigurationItem.objects.get(asset_tag="SRV-3")
    assert edge.managed_by == demo.organizations["acme"]
    events = AuditEvent.objects.filter(action="ci.imported")
    assert events.count() == 3
    update = events.get(object_id=str(existing.pk))
    assert update.before == {
        "criticality": 3,
        "site": "Sevilla",
        "owner_team": None,
        "internal_owner": None,
        "attributes": {"os": "linux", "cpu": 2},
    }
    assert update.after["site"] == "Madrid"
    assert update.actor_id == users["ivan"].pk
    assert update.note == f"import {job.pk}"
    created = events.get(object_id=str(edge.pk))
    assert created.before is None
    assert created.after["managed_by"] == demo.organizations["acme"].pk
    assert audit_verify().ok


def test_importing_the_same_file_again_creates_and_updates_nothing(users, server):
    # given: the file imported once
    import_run(preview(users, server, GOOD))
    before = snapshot()
    # when: the same file again
    job = preview(users, server, GOOD)
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 3)
    job = import_run(job)
    # then
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 3)
    assert snapshot() == before


def test_rows_without_an_asset_tag_match_by_name_within_the_class(users, classes, demo):
    # given: "crm" is a server and an application; the application has no tag
    server, app = classes["server"], classes["application"]
    internal = demo.organizations["internal"]
    ci_create(by=users["ivan"], name="crm", ci_class=server, managed_by=internal,
              attributes={"os": "linux"})  # fmt: skip
    crm_app = ci_create(by=users["ivan"], name="crm", ci_class=app, managed_by=internal)
    # when: an application import names it, then gives it a tag
    job = import_run(preview(users, app, csv_file("name,site", "crm,Madrid")))
    job2 = import_run(preview(users, app, csv_file("name,asset_tag", "crm,APP-9")))
    # then: the application was updated twice, the server never
    assert (job.updated_count, job.created_count, job2.updated_count) == (1, 0, 1)
    crm_app.refresh_from_db()
    assert (crm_app.site, crm_app.asset_tag, crm_app.version) == ("Madrid", "APP-9", 3)
    assert ConfigurationItem.objects.get(ci_class=server).version == 1


def test_json_items_with_an_attributes_object(users, server):
    # given
    items = [
        {"name": "db-01", "asset_tag": "SRV-10", "criticality": 1,
         "attributes": {"os": "linux", "cpu": 16}},
        {"name": "db-02", "os": "windows", "attr.site": "rack 4", "status": "Planned"},
    ]  # fmt: skip
    # when
    job = import_run(preview(users, server, json.dumps(items), name="servers.json"))
    # then
    assert (job.format, job.status, job.created_count) == ("json", "done", 2)
    db1 = ConfigurationItem.objects.get(name="db-01")
    assert (db1.criticality, db1.attributes) == (1, {"os": "linux", "cpu": 16})
    db2 = ConfigurationItem.objects.get(name="db-02")
    assert (db2.status, db2.site, db2.attributes) == (
        "planned",
        "",
        {"os": "windows", "site": "rack 4"},
    )


def test_semicolon_separated_csv_with_a_byte_order_mark(users, server):
    content = "\ufeffname;asset_tag;os;cpu\nmail-01;SRV-20;linux;2\n".encode()
    job = import_run(preview(users, server, content))
    assert job.created_count == 1
    assert ConfigurationItem.objects.get(asset_tag="SRV-20").attributes == {"os": "linux", "cpu": 2}


def test_empty_cells_clear_values_but_keep_identity_and_status(users, server, demo):
    # given
    ci = ci_create(
        by=users["ivan"], name="app-01", ci_class=server, managed_by=demo.organizations["acme"],
        asset_tag="SRV-30", status="maintenance", criticality=1, site="Madrid",
        attributes={"os": "linux", "cpu": 4},
    )  # fmt: skip
    # when: status, criticality, managed_by and name are empty; site and cpu too
    content = csv_file("asset_tag,name,status,criticality,managed_by,site,cpu", "SRV-30,,,,,,")
    import_run(preview(users, server, content))
    # then
    ci.refresh_from_db()
    assert (ci.name, ci.status, ci.criticality) == ("app-01", "maintenance", 1)
    assert ci.managed_by == demo.organizations["acme"]
    assert (ci.site, ci.attributes) == ("", {"os": "linux"})


# --- Bad rows -----------------------------------------------------------------------------------


BAD_CSV = (
    b"name,asset_tag,status,criticality,os,cpu,owner_team,internal_owner,description\n"  # line 1
    b"ok-01,SRV-1,active,2,linux,4,,,\n"  # 2
    b"\n"  # 3: blank lines are skipped, still counted
    b'ok-02,SRV-2,active,2,linux,4,,,"two\nlines"\n'  # 4-5: a cell over two lines
    b"bad-crit,SRV-3,active,9,linux,4,,,\n"  # 6
    b"bad-os,SRV-4,active,2,solaris,4,,,\n"  # 7
    b"bad-cpu,SRV-5,active,2,linux,many,,,\n"  # 8
    b"bad-team,SRV-6,gone,2,linux,4,no-such-team,,\n"  # 9: two problems
    b"bad-owner,SRV-7,active,2,linux,4,,pablo,\n"  # 10: pablo is Acme's
    b",SRV-8,active,2,linux,4,,,\n"  # 11: no name
    b"dup-tag,SRV-1,active,2,linux,4,,,\n"  # 12: same tag as line 2
    b"no-os,SRV-9,active,2,,4,,,\n"  # 13: os is required
)


def test_bad_rows_are_reported_with_their_line_and_field(users, server):
    job = preview(users, server, BAD_CSV)
    assert errors_of(job) == {
        (6, "criticality"),
        (7, "os"),
        (8, "cpu"),
        (9, "status"),
        (9, "owner_team"),
        (10, "internal_owner"),
        (11, "name"),
        (12, "asset_tag"),
        (13, "os"),
    }
    messages = {(e["row"], e["field"]): e["message"] for e in job.errors}
    assert messages[(6, "criticality")] == "Criticality is a whole number from 1 to 4."
    assert messages[(7, "os")] == "Must be one of: linux, windows."
    assert messages[(8, "cpu")] == "Expected a value of type integer."
    assert messages[(9, "owner_team")] == "No team has the slug “no-such-team”."
    assert messages[(10, "internal_owner")] == "The internal owner must be internal staff."
    assert messages[(12, "asset_tag")] == "Row 2 has the same asset tag."
    assert messages[(13, "os")] == "This attribute is required."
    assert (job.created_count, job.skipped_count) == (2, 8)


def test_json_errors_name_the_item_and_the_key(users, server):
    items = [
        {"name": "ok", "os": "linux"},
        {"name": "bad", "attributes": {"os": "beos", "gpu": 1}, "colour": "red"},
        "not an object",
        {"name": ["x"], "os": "linux"},
    ]
    job = preview(users, server, json.dumps(items), name="x.json")
    assert errors_of(job) == {
        (2, "attributes.os"),
        (2, "attributes.gpu"),
        (2, "colour"),
        (3, ""),
        (4, "name"),
    }


def test_a_strict_import_with_a_bad_row_saves_nothing(users, server):
    # given: a preview with one bad row, confirmed anyway
    job = preview(users, server, BAD_CSV.replace(b"\nbad-os", b"\nbad-xx"))
    job = import_confirm(job=job, by=users["ivan"])
    before = snapshot()
    # when
    job = import_run(job)
    # then: failed with the errors, nothing saved, not even the good rows
    assert job.status == "failed"
    assert (6, "criticality") in errors_of(job)
    assert (job.created_count, job.processed_rows, job.skipped_count) == (0, 0, 8)
    assert snapshot() == before
    assert not ConfigurationItem.objects.filter(name__startswith="ok-").exists()


def test_skip_mode_saves_the_good_rows_and_reports_the_bad(users, server):
    job = import_run(preview(users, server, BAD_CSV, mode="skip"))
    assert job.status == "done"
    assert (job.created_count, job.skipped_count, job.processed_rows) == (2, 8, 10)
    assert set(ConfigurationItem.objects.values_list("name", flat=True)) == {"ok-01", "ok-02"}
    assert ConfigurationItem.objects.get(name="ok-02").description == "two\nlines"
    assert (10, "internal_owner") in errors_of(job)
    assert AuditEvent.objects.filter(action="ci.imported").count() == 2


def test_a_previewed_strict_import_can_run_in_skip_mode(users, server):
    job = preview(users, server, BAD_CSV)
    job = import_confirm(job=job, by=users["ivan"], mode="skip")
    assert (job.status, job.mode) == ("queued", "skip")
    assert OutboxMessage.objects.filter(task_name=importing.TASK, args=[job.pk]).exists()
    assert import_run(job).created_count == 2


def test_asset_tag_of_a_ci_of_another_class_is_an_error(users, classes, demo):
    ci_create(by=users["ivan"], name="erp", ci_class=classes["application"],
              managed_by=demo.organizations["internal"], asset_tag="APP-1")  # fmt: skip
    job = preview(users, classes["server"], csv_file("name,asset_tag,os", "erp,APP-1,linux"))
    assert errors_of(job) == {(2, "asset_tag")}
    assert "another class" in job.errors[0]["message"]


def test_two_rows_for_one_ci_and_ambiguous_names_are_errors(users, server, demo):
    internal = demo.organizations["internal"]
    for _n in range(2):
        ci_create(by=users["ivan"], name="twin", ci_class=server, managed_by=internal,
                  attributes={"os": "linux"})  # fmt: skip
    ci_create(by=users["ivan"], name="solo", ci_class=server, managed_by=internal,
              asset_tag="SRV-77", attributes={"os": "linux"})  # fmt: skip
    content = csv_file(
        "name,asset_tag,os",
        "twin,,linux",  # 2: two CIs of that name
        "x,SRV-77,linux",  # 3: solo, by tag
        "solo,,linux",  # 4: solo again, by name
        "same,,linux",  # 5
        "same,,linux",  # 6: same name, no tags
    )
    job = preview(users, server, content)
    assert errors_of(job) == {(2, "name"), (4, ""), (6, "name")}


def test_a_provider_owner_must_work_for_the_managing_organization(users, server):
    content = csv_file(
        "name,os,managed_by,provider_owner",
        "a,linux,acme,pablo",
        "b,linux,internal,pablo",
        "c,linux,shadow,pablo",
        "d,linux,acme,nobody",
    )
    job = preview(users, server, content)
    assert errors_of(job) == {(3, "provider_owner"), (4, "provider_owner"), (5, "provider_owner")}
    assert job.created_count == 1


# --- Relations ----------------------------------------------------------------------------------


def test_relations_reach_rows_of_the_same_file_and_existing_cis(users, classes, demo):
    # given: a server already in the CMDB
    host = ci_create(by=users["ivan"], name="esx-01", ci_class=classes["server"],
                     managed_by=demo.organizations["internal"], asset_tag="SRV-100",
                     attributes={"os": "linux"})  # fmt: skip
    # when: the first row points to a later one (forward), both to the existing server
    content = csv_file(
        "name,asset_tag,relations",
        "erp,APP-1,depends_on:APP-2;runs_on:SRV-100",
        "erp-db,APP-2,hosted_on:esx-01",
    )
    job = preview(users, classes["application"], content)
    assert (job.created_count, job.errors) == (2, [])
    job = import_run(job)
    # then
    erp, db = (
        ConfigurationItem.objects.get(name="erp"),
        ConfigurationItem.objects.get(name="erp-db"),
    )
    assert set(CIRelation.objects.values_list("source_id", "type", "target_id")) == {
        (erp.pk, "depends_on", db.pk),
        (erp.pk, "runs_on", host.pk),
        (db.pk, "hosted_on", host.pk),
    }
    added = AuditEvent.objects.filter(action="ci.relation_added")
    assert sorted((e.object_id, e.after["type"]) for e in added) == sorted(
        [(str(erp.pk), "depends_on"), (str(erp.pk), "runs_on"), (str(db.pk), "hosted_on")]
    )
    # and again: nothing new
    before = snapshot()
    again = import_run(preview(users, classes["application"], content))
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)
    assert snapshot() == before


def test_a_new_relation_alone_makes_a_row_updated_without_a_new_version(users, classes, demo):
    internal = demo.organizations["internal"]
    app = ci_create(by=users["ivan"], name="crm", ci_class=classes["application"],
                    managed_by=internal)  # fmt: skip
    ci_create(by=users["ivan"], name="crm-db", ci_class=classes["application"],
              managed_by=internal)  # fmt: skip
    job = import_run(
        preview(users, classes["application"], csv_file("name,relations", "crm,depends_on:crm-db"))
    )
    assert (job.updated_count, job.unchanged_count) == (1, 0)
    app.refresh_from_db()
    assert app.version == 1
    assert CIRelation.objects.filter(source=app, type="depends_on").count() == 1


def test_bad_relations_are_row_errors(users, classes):
    content = csv_file(
        "name,asset_tag,relations",
        "a,T-1,likes:T-2",  # 2: no such type
        "b,T-2,depends_on:T-2",  # 3: itself
        "c,T-3,depends_on:nowhere",  # 4: unknown target
        "d,T-4,depends_on",  # 5: no target
        "e,T-5,runs_on:T-6",  # 6: its target has errors
        "f,T-6,depends_on:ghost",  # 7
        "g,T-7,Depends On:T-1",  # 8: fine (a readable type, row 2 is only bad for its relation)
    )
    job = preview(users, classes["application"], content, mode="skip")
    assert errors_of(job) == {
        (2, "relations"),
        (3, "relations"),
        (4, "relations"),
        (5, "relations"),
        (6, "relations"),
        (7, "relations"),
        (8, "relations"),  # its target, row 2, has errors
    }
    messages = {e["row"]: e["message"] for e in job.errors}
    assert messages[3] == "A CI cannot be related to itself."
    assert messages[4] == "No CI has the asset tag or name “nowhere”."
    assert messages[6] == "Row 7, a target of this row's relations, has errors."


# --- Bad files ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("x.csv", b"", "The file is empty."),
        ("x.csv", b"  \n\n", "The file is empty."),
        ("x.csv", b"name,os\n", "The file has no rows to import."),
        ("x.csv", "name,os\nCañón,linux\n".encode("latin-1"), "not UTF-8"),
        ("x.csv", b"name,os,colour\na,linux,red\n", "Unknown columns: “colour”"),
        ("x.csv", b"name,os,attr.os\na,linux,linux\n", "are the same field"),
        ("x.csv", b"name,,os\n", "Column 2 has no name."),
        ("x.csv", b'name,os\n"a,linux\n', "not valid CSV"),
        ("x.xlsx", b"PK\x03\x04rest", "Upload a .csv or .json"),
        ("x.csv", b"PK\x03\x04rest", "spreadsheet"),
        ("x.csv", b"name\x00,os\n", "binary"),
        ("x.json", b"{not json", "Not valid JSON"),
        ("x.json", b'{"name": "a"}', "a list of objects"),
        ("x.json", b"[]", "no rows"),
        ("x.json", b"[" * 100000, "nested too deeply"),
        ("x.json", b'[{"name": "a", "load": NaN}]', "“NaN” is not a JSON number"),
        ("x.json", b'[{"name": "a", "load": -Infinity}]', "not a JSON number"),
        ("x.json", b'[{"name": "a\\u0000b"}]', "NUL character"),
        ("x.json", b'[{"name": "\\ud800"}]', "invalid Unicode escape"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_saved(users, server, name, content, message):
    before = (snapshot(), ImportJob.objects.count())
    with pytest.raises(ValidationError) as refused:
        preview(users, server, content, name=name)
    assert "file" in refused.value.message_dict
    assert message in " ".join(refused.value.message_dict["file"])
    assert (snapshot(), ImportJob.objects.count()) == before


def test_files_over_the_size_or_row_limit_are_refused(users, server, settings):
    settings.CMDB_IMPORT_MAX_BYTES = 100
    with pytest.raises(ValidationError, match="larger than"):
        preview(users, server, b"name,os\n" + b"a,linux\n" * 20)
    settings.CMDB_IMPORT_MAX_BYTES = 10_000
    settings.CMDB_IMPORT_MAX_ROWS = 3
    with pytest.raises(ValidationError, match="more than 3 rows"):
        preview(users, server, b"name,os\n" + b"a,linux\n" * 4)
    with pytest.raises(ValidationError, match="more than 3 rows"):
        preview(users, server, json.dumps([{"name": "a"}] * 4), name="x.json")
    assert preview(users, server, b"name,os\n" + b"a,linux\n" * 3).total_rows == 3
    assert ImportJob.objects.count() == 1


def test_a_bad_class_format_or_mode_is_refused(users, server):
    with pytest.raises(ValidationError) as refused:
        import_preview(ci_class="nope", filename="a.csv", content=GOOD, by=users["ivan"])
    assert "ci_class" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        preview(users, server, GOOD, mode="sometimes")
    assert "mode" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        preview(users, server, GOOD, fmt="xml")
    assert "format" in refused.value.message_dict
    assert ImportJob.objects.count() == 0


@pytest.mark.parametrize("who", ["pablo", "lucia", "sam", "rita"])
def test_only_internal_staff_import(users, server, who):
    with pytest.raises(PermissionDenied):
        preview(users, server, GOOD, by=who)
    job = preview(users, server, GOOD)
    with pytest.raises(ImportJob.DoesNotExist):
        import_confirm(job=job, by=users[who])
    job.refresh_from_db()
    assert (job.status, ImportJob.objects.count()) == ("previewed", 1)


# --- Running once -------------------------------------------------------------------------------


def test_a_job_runs_once_however_often_it_is_delivered(users, server):
    job = import_confirm(job=preview(users, server, GOOD), by=users["ivan"])
    first = import_run(job.pk)
    before = snapshot()
    second = import_run(job.pk)
    assert (first.status, second.status) == ("done", "done")
    assert second.finished_at == first.finished_at
    assert snapshot() == before


def test_confirming_twice_is_refused(users, server):
    job = import_confirm(job=preview(users, server, GOOD), by=users["ivan"])
    with pytest.raises(ValidationError):
        import_confirm(job=job, by=users["ivan"])
    assert OutboxMessage.objects.filter(task_name=importing.TASK).count() == 1


def test_a_job_running_elsewhere_is_left_alone(users, server):
    job = import_confirm(job=preview(users, server, GOOD), by=users["ivan"])
    ImportJob.objects.filter(pk=job.pk).update(status="running", started_at=timezone.now())
    other = None
    if connection.vendor == "postgresql":
        # the other worker holds the job's advisory lock on its own connection
        other = connections.create_connection("default")
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_lock(%s::integer, %s::integer)",
                [jobs._RUN_LOCK, job.pk % 2**31],
            )
    try:
        assert import_run(job).status == "running"
    finally:
        if other is not None:
            other.close()
    assert not ConfigurationItem.objects.exists()


def test_a_job_whose_worker_died_is_taken_over(users, server):
    job = import_confirm(job=preview(users, server, GOOD), by=users["ivan"])
    long_ago = timezone.now() - dt.timedelta(hours=2)
    ImportJob.objects.filter(pk=job.pk).update(status="running", started_at=long_ago)
    job = import_run(job)
    assert (job.status, job.created_count) == ("done", 3)


class Killed(BaseException):
    """A worker dying mid-job (not an error the job could catch)."""


@pytest.mark.parametrize("mode", ["skip", "strict"])
def test_a_run_killed_mid_way_finishes_once_when_redelivered(
    users, server, monkeypatch, settings, mode
):
    # given: 5 rows in chunks of 2, and a worker that dies writing the second chunk
    settings.CMDB_IMPORT_CHUNK_ROWS = 2
    content = csv_file("name,asset_tag,os", *[f"s{n},T-{n},linux" for n in range(5)])
    job = import_confirm(job=preview(users, server, content, mode=mode), by=users["ivan"])
    real_write = jobs._write_chunk
    calls = []

    def dying_write(chunk, *args):
        calls.append(len(chunk))
        if len(calls) == 2:
            raise Killed
        return real_write(chunk, *args)

    monkeypatch.setattr(jobs, "_write_chunk", dying_write)
    with pytest.raises(Killed):
        import_run(job)
    job.refresh_from_db()
    assert job.status == "running"
    saved = ConfigurationItem.objects.count()
    assert saved == (2 if mode == "skip" else 0)  # skip: the first chunk was committed
    # when: the job is delivered again (its worker is gone)
    monkeypatch.setattr(jobs, "_write_chunk", real_write)
    ImportJob.objects.filter(pk=job.pk).update(started_at=timezone.now() - dt.timedelta(hours=1))
    job = import_run(job)
    # then: every row imported exactly once, counted once, audited once
    assert (job.status, job.created_count, job.processed_rows) == ("done", 5, 5)
    assert ConfigurationItem.objects.count() == 5
    assert AuditEvent.objects.filter(action="ci.imported").count() == 5
    assert audit_verify().ok


def test_a_row_changed_while_the_import_runs_is_not_overwritten(users, server, monkeypatch, demo):
    ci = ci_create(by=users["ivan"], name="web-01", ci_class=server, asset_tag="SRV-1",
                   managed_by=demo.organizations["internal"],
                   attributes={"os": "linux"})  # fmt: skip
    job = preview(users, server, GOOD, mode="skip")
    real_write = jobs._write_chunk

    def someone_edits_first(chunk, *args):
        ConfigurationItem.objects.filter(pk=ci.pk).update(version=7, site="Girona")
        return real_write(chunk, *args)

    monkeypatch.setattr(jobs, "_write_chunk", someone_edits_first)
    job = import_run(job)
    ci.refresh_from_db()
    assert (ci.site, ci.version) == ("Girona", 7)
    assert (job.created_count, job.updated_count, job.skipped_count) == (2, 0, 1)
    assert errors_of(job) == {(2, "")}


def test_queries_do_not_grow_with_the_rows(users, server):
    def queries_for(rows: int) -> int:
        lines = [f"n{rows}-{i},T{rows}-{i},linux,{i % 8 + 1},internal-systems,ivan,"
                 f"depends_on:T{rows}-{(i + 1) % rows}" for i in range(rows)]  # fmt: skip
        content = csv_file("name,asset_tag,os,cpu,owner_team,internal_owner,relations", *lines)
        with CaptureQueriesContext(connection) as preview_queries:
            job = preview(users, server, content)
        with CaptureQueriesContext(connection) as run_queries:
            job = import_run(job)
        assert job.created_count == rows
        # Django splits bulk_create by the database's parameter limit (999 for SQLite): that
        # statement's batches are the database's, not one per row.
        run = [
            q
            for q in run_queries
            if not q["sql"].startswith('INSERT INTO "cmdb_configurationitem"')
        ]
        return len(preview_queries), len(run)

    # one chunk each (audit entries, 2 per row, are written 500 at a time)
    assert queries_for(40) == queries_for(240)


def test_errors_kept_on_the_job_are_capped_with_a_count_of_the_rest(
    users, server, monkeypatch, settings
):
    monkeypatch.setattr(jobs, "MAX_STORED_ERRORS", 3)
    settings.CMDB_IMPORT_CHUNK_ROWS = 2
    content = csv_file("name,os", *[f"s{n},beos" for n in range(5)], "fine,linux")
    job = preview(users, server, content, mode="skip")
    assert [e["row"] for e in job.errors] == [2, 3, 4, None]
    assert job.errors[-1]["more"] == 2
    assert job.errors[-1]["message"] == "… and 2 more errors."
    job = import_run(job)  # three chunks, the errors added chunk by chunk
    assert [e["row"] for e in job.errors] == [2, 3, 4, None]
    assert (job.errors[-1]["more"], job.skipped_count, job.created_count) == (2, 5, 1)


# --- The quick attribute check agrees with the reference ---------------------------------------

values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=600),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-5, max_value=600),
    st.sampled_from(["linux", "windows", "10.0.0.1", "", "x" * 3, "10.0.0.x", "1.0"]),
)


@given(
    attributes=st.dictionaries(
        st.sampled_from(["os", "cpu", "virtual", "ip", "site", "extra"]), values, max_size=6
    )
)
@hypothesis_settings(max_examples=400, deadline=None)
def test_the_quick_attribute_check_never_accepts_what_the_schema_refuses(attributes):
    if AttributeCheck(SERVER_SCHEMA)(attributes):
        assert attribute_errors(SERVER_SCHEMA, attributes) == {}


@pytest.mark.parametrize(
    ("attributes", "plain"),
    [
        ({"os": "linux", "cpu": 4, "virtual": True, "ip": "10.0.0.1", "site": "x"}, True),
        ({"os": "linux"}, True),
        ({"cpu": 4}, False),  # os is required
        ({"os": "linux", "cpu": 4.0}, False),  # the reference decides (it accepts 4.0)
        ({"os": "linux", "cpu": True}, False),
        ({"os": "linux", "cpu": 0}, False),
        ({"os": "beos"}, False),
        ({"os": "linux", "ip": "10.0.0.x"}, False),
        ({"os": "linux", "gpu": 1}, False),
    ],
)
def test_the_quick_attribute_check(attributes, plain):
    assert AttributeCheck(SERVER_SCHEMA)(attributes) is plain


def test_a_relation_to_a_row_changed_meanwhile_is_reported(users, classes, monkeypatch, demo):
    # given: erp-db exists; the file updates it and relates a new erp to it
    app = classes["application"]
    db = ci_create(by=users["ivan"], name="erp-db", ci_class=app, asset_tag="APP-2",
                   managed_by=demo.organizations["internal"])  # fmt: skip
    content = csv_file(
        "name,asset_tag,site,relations", "erp-db,APP-2,Madrid,", "erp,APP-1,,depends_on:APP-2"
    )
    job = preview(users, app, content, mode="skip")
    real_write = jobs._write_chunk

    def someone_edits_first(chunk, *args):
        ConfigurationItem.objects.filter(pk=db.pk).update(version=5)
        return real_write(chunk, *args)

    monkeypatch.setattr(jobs, "_write_chunk", someone_edits_first)
    # when
    job = import_run(job)
    # then: erp is imported, its relation to the row that could not be saved is reported
    assert (job.status, job.created_count, job.skipped_count) == ("done", 1, 1)
    assert errors_of(job) == {(2, ""), (3, "relations")}
    assert not CIRelation.objects.exists()


@pytest.mark.parametrize("mode", ["strict", "skip"])
def test_an_unexpected_error_fails_the_job_instead_of_leaving_it_running(
    users, server, monkeypatch, mode
):
    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(jobs, "_write_relations", broken)
    # The job speaks its uploader's language (ivan reads Spanish): read it in English.
    UserProfile.objects.filter(user=users["ivan"]).update(language="en")
    job = import_run(preview(users, server, GOOD, mode=mode))
    assert job.status == "failed"
    assert "unexpected error" in job.errors[-1]["message"]
    saved = ConfigurationItem.objects.count()
    assert saved == (0 if mode == "strict" else 3)


def test_numbers_that_cannot_be_stored_are_row_errors(users, server):
    content = csv_file("name,os,load", "a,linux,nan", "b,linux,inf", "c,linux,0.75")
    job = preview(users, server, content)
    assert errors_of(job) == {(2, "load"), (3, "load")}
    assert job.errors[0]["message"] == "Expected a finite number."
    # a literal backslash before u0000 is just text
    job = preview(users, server, json.dumps([{"name": "a\\u0000", "os": "linux"}]), name="a.json")
    assert (job.errors, job.created_count) == ([], 1)
