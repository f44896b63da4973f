"""The import pages and the ``/api/v1/ci-imports/`` endpoints: upload, preview with row errors,
confirmation, the progress panel htmx polls, the CSV template, and who may see any of it
(internal staff only: providers and requesters get 404, anonymous visitors the login page).
Every refusal also checks that nothing changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cmdb.importing import TASK, import_preview, import_run
from cmdb.models import ConfigurationItem, ImportJob
from cmdb.tasks import cmdb_import_task
from cogest.models import AuditEvent, OutboxMessage, UserProfile
from tests.cmdb.test_importing import GOOD, make_classes

DATA = Path(__file__).parent / "data"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _english(users):
    UserProfile.objects.update(language="en")
    for user in users.values():
        user.profile.refresh_from_db()


@pytest.fixture
def classes(demo):
    return make_classes()


@pytest.fixture
def server(classes):
    return classes["server"]


@pytest.fixture
def as_user(client, users):
    def login(name):
        client.force_login(users[name])
        return client

    return login


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def state() -> tuple:
    return (
        ImportJob.objects.count(),
        sorted(ImportJob.objects.values_list("pk", "status")),
        ConfigurationItem.objects.count(),
        AuditEvent.objects.count(),
        OutboxMessage.objects.count(),
    )


# --- Pages --------------------------------------------------------------------------------------


def test_upload_preview_confirm_and_follow_the_progress(as_user, users, server):
    client = as_user("ivan")
    # the upload form, with the class's columns and template
    page = client.get(reverse("cmdb:import-new") + "?ci_class=server")
    assert page.status_code == 200
    body = page.content.decode()
    assert reverse("cmdb:import-template", args=["server"]) in body
    assert "<code>attr.site</code>" in body and "<code>os</code>" in body
    # when: a file with one bad row
    bad = GOOD + b"bad-01,SRV-9,active,7,Madrid,,,,linux,2,no\n"
    response = client.post(
        reverse("cmdb:import-new"),
        {"ci_class": "server", "mode": "strict", "file": upload("servers.csv", bad)},
    )
    # then: a preview, nothing imported
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cmdb:import-detail", args=[job.pk])
    assert (job.status, job.format, job.created_by) == ("previewed", "csv", users["ivan"])
    assert not ConfigurationItem.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert 'data-row="5" data-field="criticality"' in page
    assert 'data-count="created">3<' in page and 'data-count="skipped">1<' in page
    assert 'data-testid="sample-row" data-row="2" data-action="create"' in page
    assert 'data-testid="import-run"' not in page  # all or nothing: it cannot run as it is
    assert 'data-testid="import-run-skip"' in page
    assert 'hx-trigger="every 1s"' not in page
    # when: run without the bad row
    response = client.post(reverse("cmdb:import-run", args=[job.pk]), {"mode": "skip"})
    job.refresh_from_db()
    assert response.status_code == 302
    assert (job.status, job.mode) == ("queued", "skip")
    assert OutboxMessage.objects.filter(task_name=TASK, args=[job.pk]).count() == 1
    # the page polls the progress panel while the job waits or runs
    page = client.get(reverse("cmdb:import-detail", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert reverse("cmdb:import-progress", args=[job.pk]) in page
    panel = client.get(reverse("cmdb:import-progress", args=[job.pk]), **HTMX).content.decode()
    assert panel.lstrip().startswith("<section") and 'hx-trigger="every 1s"' in panel
    # when: the worker runs it
    assert cmdb_import_task.apply(args=[job.pk]).get() == "done"
    # then: the panel shows the result and stops polling
    panel = client.get(reverse("cmdb:import-progress", args=[job.pk]), **HTMX).content.decode()
    assert 'hx-trigger="every 1s"' not in panel
    assert 'value="100"' in panel and 'data-count="created">3<' in panel
    assert 'data-row="5" data-field="criticality"' in panel
    assert ConfigurationItem.objects.count() == 3
    # and the list shows it
    listing = client.get(reverse("cmdb:import-list")).content.decode()
    assert f'data-import="{job.pk}"' in listing and 'data-status="done"' in listing


def test_a_running_import_shows_its_progress(as_user, users, server):
    job = import_preview(ci_class=server, filename="s.csv", content=GOOD, by=users["ivan"])
    ImportJob.objects.filter(pk=job.pk).update(status="running", processed_rows=1)
    panel = as_user("ana").get(reverse("cmdb:import-progress", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in panel
    assert 'value="33"' in panel
    assert "1 of 3 rows saved" in panel


@pytest.mark.parametrize(
    ("name", "content", "field", "message"),
    [
        ("s.csv", b"", "file", "The submitted file is empty."),
        ("s.csv", b"name,os,colour\na,linux,red\n", "file", "Unknown columns"),
        ("s.csv", "name,os\ncañón,linux\n".encode("latin-1"), "file", "not UTF-8"),
        ("s.png", b"\x89PNG\r\n\x1a\n", "file", "Upload a .csv or .json"),
    ],
)
def test_a_bad_upload_shows_the_error_beside_the_field(
    as_user, server, name, content, field, message
):
    client = as_user("ivan")
    before = state()
    response = client.post(
        reverse("cmdb:import-new"),
        {"ci_class": "server", "mode": "strict", "file": upload(name, content)},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert f'data-testid="field-error-{field}"' in body
    assert message in body
    assert state() == before


def test_an_upload_over_the_limit_is_refused(as_user, server, settings):
    settings.CMDB_IMPORT_MAX_BYTES = 50
    client = as_user("ivan")
    before = state()
    response = client.post(
        reverse("cmdb:import-new"),
        {"ci_class": "server", "mode": "strict", "file": upload("s.csv", GOOD)},
    )
    assert response.status_code == 400
    assert "larger than" in response.content.decode()
    assert state() == before


def test_a_missing_class_keeps_the_other_values(as_user, server):
    client = as_user("ivan")
    before = state()
    response = client.post(
        reverse("cmdb:import-new"), {"mode": "skip", "file": upload("s.csv", GOOD)}
    )
    assert response.status_code == 400
    assert 'data-testid="field-error-ci_class"' in response.content.decode()
    assert response.context["form"]["mode"].value() == "skip"
    assert state() == before


def test_confirming_an_import_twice_says_so_and_sends_one_job(as_user, users, server):
    job = import_preview(ci_class=server, filename="s.csv", content=GOOD, by=users["ivan"])
    client = as_user("ana")
    client.post(reverse("cmdb:import-run", args=[job.pk]))
    response = client.post(reverse("cmdb:import-run", args=[job.pk]), follow=True)
    assert "already Queued" in response.content.decode()
    assert OutboxMessage.objects.filter(task_name=TASK).count() == 1


def test_the_csv_template_names_the_class_columns(as_user, server):
    response = as_user("marta").get(reverse("cmdb:import-template", args=["server"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="server-import.csv"' in response["Content-Disposition"]
    header = response.content.decode().strip()
    assert header == (
        "name,status,environment,site,criticality,owner_team,managed_by,internal_owner,"
        "provider_owner,asset_tag,serial,description,cpu,ip,load,os,attr.site,virtual,relations"
    )


def test_the_template_of_the_class_imports_cleanly(as_user, users, server):
    # the template plus one row is a valid import
    header = as_user("ivan").get(reverse("cmdb:import-template", args=["server"])).content
    values = {"name": "tpl-01", "environment": "production", "asset_tag": "TPL-1", "os": "linux",
              "cpu": "2", "virtual": "yes", "ip": "10.0.0.1", "attr.site": "r1"}  # fmt: skip
    row = ",".join(values.get(c, "") for c in header.decode().strip().split(",")).encode()
    job = import_run(
        import_preview(ci_class=server, filename="t.csv", content=header + row, by=users["ivan"])
    )
    assert (job.status, job.created_count) == ("done", 1)
    ci = ConfigurationItem.objects.get(asset_tag="TPL-1")
    assert ci.environment == "production"
    assert ci.attributes == {
        "os": "linux",
        "cpu": 2,
        "virtual": True,
        "ip": "10.0.0.1",
        "site": "r1",
    }


@pytest.mark.parametrize("who", ["pablo", "lucia", "sam", "rita"])
def test_providers_and_requesters_find_no_import_pages(as_user, users, server, who):
    job = import_preview(ci_class=server, filename="s.csv", content=GOOD, by=users["ivan"])
    client = as_user(who)
    before = state()
    for url in (
        reverse("cmdb:import-list"),
        reverse("cmdb:import-new"),
        reverse("cmdb:import-detail", args=[job.pk]),
        reverse("cmdb:import-progress", args=[job.pk]),
        reverse("cmdb:import-template", args=["server"]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("cmdb:import-run", args=[job.pk])).status_code == 404
    response = client.post(
        reverse("cmdb:import-new"), {"ci_class": "server", "file": upload("s.csv", GOOD)}
    )
    assert response.status_code == 404
    assert state() == before


def test_anonymous_visitors_are_sent_to_sign_in(client, users, server):
    job = import_preview(ci_class=server, filename="s.csv", content=GOOD, by=users["ivan"])
    before = state()
    for url in (
        reverse("cmdb:import-list"),
        reverse("cmdb:import-new"),
        reverse("cmdb:import-detail", args=[job.pk]),
        reverse("cmdb:import-progress", args=[job.pk]),
        reverse("cmdb:import-template", args=["server"]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    assert client.post(reverse("cmdb:import-run", args=[job.pk])).status_code == 302
    assert state() == before


def test_an_unknown_import_or_class_is_a_404(as_user, server):
    client = as_user("ivan")
    assert client.get(reverse("cmdb:import-detail", args=[999999])).status_code == 404
    assert client.get(reverse("cmdb:import-template", args=["nope"])).status_code == 404


# --- API ----------------------------------------------------------------------------------------

URL = "/api/v1/ci-imports/"


def post_file(client, content: bytes, name="servers.csv", **fields):
    return client.post(URL, {"file": upload(name, content), "ci_class": "server", **fields},
                       format="multipart")  # fmt: skip


def test_api_dry_run_by_default_then_run(api, users, server):
    client = api(users["ivan"])
    # when: a dry run (the default)
    response = post_file(client, GOOD)
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "previewed"
    assert (body["ci_class"], body["format"], body["mode"]) == ("server", "csv", "strict")
    assert (body["total_rows"], body["created_count"], body["errors"]) == (3, 3, [])
    assert body["url"].endswith(reverse("cmdb:import-detail", args=[body["id"]]))
    assert not ConfigurationItem.objects.exists()
    # when: confirmed
    response = client.post(f"{URL}{body['id']}/run/", {}, format="json")
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    cmdb_import_task.apply(args=[body["id"]])
    # then
    body = client.get(f"{URL}{body['id']}/").json()
    assert (body["status"], body["progress"], body["processed_rows"]) == ("done", 100, 3)
    assert ConfigurationItem.objects.count() == 3
    # and a second confirmation is refused
    assert client.post(f"{URL}{body['id']}/run/", {}, format="json").status_code == 400


def test_api_with_dry_run_false_queues_at_once(api, users, server):
    response = post_file(api(users["marta"]), GOOD, dry_run="false", mode="skip")
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["mode"]) == ("queued", "skip")
    assert OutboxMessage.objects.filter(task_name=TASK, args=[body["id"]]).exists()


def test_api_reports_row_errors_of_a_json_file(api, users, server):
    items = [{"name": "a", "os": "linux"}, {"name": "b", "attributes": {"os": "beos"}}]
    response = post_file(api(users["ivan"]), json.dumps(items).encode(), name="servers.json")
    assert response.status_code == 201
    body = response.json()
    assert body["format"] == "json"
    assert body["errors"] == [
        {"row": 2, "field": "attributes.os", "message": "Must be one of: linux, windows."}
    ]
    assert (body["created_count"], body["skipped_count"]) == (1, 1)


@pytest.mark.parametrize(
    ("fields", "content", "name", "field"),
    [
        ({"ci_class": "nope"}, GOOD, "s.csv", "ci_class"),
        ({"mode": "maybe"}, GOOD, "s.csv", "mode"),
        ({"format": "xml"}, GOOD, "s.csv", "format"),
        ({"colour": "red"}, GOOD, "s.csv", "colour"),
        ({}, b"", "s.csv", "file"),
        ({}, b"name,os,colour\na,linux,red\n", "s.csv", "file"),
        ({}, "name,os\ncañón,linux\n".encode("latin-1"), "s.csv", "file"),
        ({}, b"{oops", "s.json", "file"),
        ({}, GOOD, "s.xlsx", "file"),
    ],
)
def test_api_bad_input_is_a_400_with_nothing_saved(
    api, users, server, fields, content, name, field
):
    before = state()
    response = post_file(api(users["ivan"]), content, name=name, **fields)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert state() == before


def test_api_without_a_file_is_a_400(api, users, server):
    before = state()
    response = api(users["ivan"]).post(URL, {"ci_class": "server"}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()
    assert state() == before


def test_api_refuses_a_file_over_the_limit(api, users, server, settings):
    settings.CMDB_IMPORT_MAX_BYTES = 50
    before = state()
    response = post_file(api(users["ivan"]), GOOD * 2000)
    assert response.status_code == 413
    response = post_file(api(users["ivan"]), GOOD)
    assert response.status_code == 400 and "larger than" in response.json()["file"][0]
    assert state() == before


@pytest.mark.parametrize("who", ["pablo", "lucia", "sam", "rita"])
def test_api_imports_are_internal_only(api, users, server, who):
    job = import_preview(ci_class=server, filename="s.csv", content=GOOD, by=users["ivan"])
    client = api(users[who])
    before = state()
    assert post_file(client, GOOD).status_code == 403
    assert client.get(f"{URL}{job.pk}/").status_code == 404
    assert client.post(f"{URL}{job.pk}/run/", {}, format="json").status_code == 404
    assert client.get(URL).json()["results"] == []
    assert state() == before


def test_api_anonymous_is_refused(api, users, server):
    job = import_preview(ci_class=server, filename="s.csv", content=GOOD, by=users["ivan"])
    before = state()
    assert post_file(api(), GOOD).status_code in (401, 403)
    assert api().get(f"{URL}{job.pk}/").status_code in (401, 403)
    assert api().post(f"{URL}{job.pk}/run/", {}, format="json").status_code in (401, 403)
    assert state() == before


def test_api_lists_recent_imports_without_their_content(api, users, server):
    client = api(users["ana"])
    client.get(URL)

    def listed() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            body = client.get(URL).json()
        assert "content" not in body["results"][0]
        return len(body["results"]), len(captured)

    for _n in range(2):
        import_preview(ci_class=server, filename="s.csv", content=GOOD, by=users["ivan"])
    two, queries = listed()
    for _n in range(5):
        import_preview(ci_class=server, filename="s.csv", content=GOOD, by=users["marta"])
    assert (two, listed()) == (2, (7, queries))


def test_api_schema_documents_the_import_endpoints(api, users):
    schema = api(users["ivan"]).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert "post" in paths["/api/v1/ci-imports/"]
    assert "multipart/form-data" in paths["/api/v1/ci-imports/"]["post"]["requestBody"]["content"]
    assert "get" in paths["/api/v1/ci-imports/{id}/"]
    assert "post" in paths["/api/v1/ci-imports/{id}/run/"]


def test_the_sample_files_import(users, server):
    # the sample files in tests/cmdb/data: a CSV and the same CIs in JSON
    csv_job = import_run(
        import_preview(ci_class=server, filename="servers.csv",
                       content=(DATA / "servers.csv").read_bytes(), by=users["ivan"])
    )  # fmt: skip
    assert (csv_job.status, csv_job.errors) == ("done", [])
    json_job = import_run(
        import_preview(ci_class=server, filename="servers.json",
                       content=(DATA / "servers.json").read_bytes(), by=users["ivan"])
    )  # fmt: skip
    assert (json_job.created_count, json_job.updated_count) == (0, 0)
    assert json_job.unchanged_count == csv_job.created_count


def test_the_list_and_the_progress_panel_cost_the_same_queries_at_any_size(as_user, users, server):
    client = as_user("ivan")

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    job = import_preview(ci_class=server, filename="s.csv", content=GOOD, by=users["ivan"])
    client.get(reverse("cmdb:import-list"))  # the session's first request does more
    few = queries(reverse("cmdb:import-list"))
    panel = queries(reverse("cmdb:import-progress", args=[job.pk]))
    for _n in range(12):
        import_preview(ci_class=server, filename="s.csv", content=GOOD, by=users["ana"])
    assert queries(reverse("cmdb:import-list")) == few
    big = import_preview(
        ci_class=server, filename="big.csv", content=GOOD + b"x,SRV-99,active,1,,,,,linux,1,no\n",
        by=users["ivan"],
    )  # fmt: skip
    ImportJob.objects.filter(pk=big.pk).update(errors=[{"row": n, "field": "", "message": "x"}
                                                       for n in range(500)])  # fmt: skip
    assert queries(reverse("cmdb:import-progress", args=[big.pk])) == panel
