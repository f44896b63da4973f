"""Import jobs: the preview (a file checked, nothing written but the job), its sample of changes,
the confirmation (the job leaves through the outbox once committed), and the run a worker does:
rows written in chunks with bulk statements, one audit event per changed CI, progress saved as it
goes. A run happens once: a job done, failed or running elsewhere is left alone; one whose worker
died is taken over."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cmdb.choices import ImportFormat, ImportMode, ImportStatus
from cmdb.importing.files import decode, guess_format, parse
from cmdb.importing.rows import (
    BAD,
    CREATE,
    UNCHANGED,
    UPDATE,
    Plan,
    Planner,
    batched,
    chunk_rows,
    count_actions,
    error_rows,
    tagged,
)
from cmdb.models import CIClass, CIRelation, ConfigurationItem, ImportJob
from cmdb.services import CI_FIELDS, ci_snapshot
from cogest import outbox
from cogest.bulk import insert_many, update_many
from cogest.models import Organization, Team
from cogest.services import audit_record, audit_record_many

log = logging.getLogger(__name__)

TASK = "cmdb.tasks.cmdb_import_task"
MAX_STORED_ERRORS = 1000
SAMPLE_ROWS = 20
ANALYZE_AFTER_ROWS = 2000
# A running job nobody has touched for this long is taken over (databases without advisory locks).
STALE_SECONDS = 30 * 60
# The columns of a CI that an import writes (update_many): all but its class, and the version.
WRITTEN = (*(name for name in CI_FIELDS if name != "ci_class"), "version", "updated_at")


# Any constant: the first key of the PostgreSQL advisory lock a running import holds.
_RUN_LOCK = 0x434D4442  # "CMDB"


def may_import(user) -> bool:
    """Whether ``user`` may use imports at all: the rule is ImportJob's visibility rule."""
    return not ImportJob.objects.restrict(user, "view").query.is_empty()


def _capped(errors: list[dict]) -> list[dict]:
    kept = ErrorLog()
    kept.add(errors)
    return kept.rows()


class ErrorLog:
    """The errors kept on a job: the first ``MAX_STORED_ERRORS``, then how many more there were
    (an entry with ``more``)."""

    def __init__(self, stored: Iterable[dict] = ()):
        self.kept: list[dict] = []
        self.more = 0
        for error in stored or ():
            if "more" in error:
                self.more += error["more"]
            else:
                self.kept.append(error)

    def add(self, errors: Iterable[dict]) -> None:
        for error in errors:
            if len(self.kept) < MAX_STORED_ERRORS:
                self.kept.append(error)
            else:
                self.more += 1

    def rows(self) -> list[dict]:
        if not self.more:
            return list(self.kept)
        message = _("… and %(n)s more errors.") % {"n": self.more}
        return [*self.kept, {"row": None, "field": "", "message": message, "more": self.more}]


# --- Preview ----------------------------------------------------------------------------------


def import_preview(
    *, ci_class: CIClass | int | str, filename: str, content: bytes | str, fmt: str | None = None,
    mode: str = ImportMode.STRICT, by,
) -> ImportJob:  # fmt: skip
    """Check a file without writing a CI: the job it returns (status ``previewed``) holds the
    counts the import would produce and every bad row's errors."""
    if not may_import(by):
        raise PermissionDenied(_("Imports are for the internal team."))
    klass = _visible_class(ci_class, by)
    if mode not in ImportMode.values:
        raise ValidationError({"mode": [_("Choose “strict” or “skip”.")]})
    filename = "".join(ch for ch in (filename or "") if ch.isprintable()).strip()[:200] or "import"
    fmt = guess_format(filename, fmt)
    text = decode(content)
    rows = parse(text, fmt, klass)
    planner = Planner(klass, rows, by, is_csv=fmt == ImportFormat.CSV)
    plans = planner.plan()
    counts = count_actions(plans.values())
    return ImportJob.objects.create(
        ci_class=klass,
        format=fmt,
        mode=mode,
        filename=filename,
        content=text,
        status=ImportStatus.PREVIEWED,
        total_rows=len(rows),
        created_count=counts[CREATE],
        updated_count=counts[UPDATE],
        unchanged_count=counts[UNCHANGED],
        skipped_count=counts[BAD],
        errors=_capped(error_rows(p for p in plans.values() if not p.ok)),
        created_by=by,
    )


def _visible_class(ci_class, by) -> CIClass:
    classes = CIClass.objects.restrict(by, "view")
    if isinstance(ci_class, CIClass):
        found = classes.filter(pk=ci_class.pk).first()
    elif isinstance(ci_class, int):
        found = classes.filter(pk=ci_class).first()
    else:
        found = classes.filter(slug=str(ci_class or "").strip()).first()
    if found is None:
        raise ValidationError({"ci_class": [_("Choose a CI class.")]})
    return found


def import_sample(job: ImportJob, limit: int = SAMPLE_ROWS) -> list[dict]:
    """The first rows a previewed job would create or change, with the values that change
    (checked against the database now; the file's first chunks only, so it stays quick)."""
    try:
        rows = parse(job.content, job.format, job.ci_class)
    except ValidationError:
        return []
    planner = Planner(job.ci_class, rows, job.created_by, is_csv=job.format == ImportFormat.CSV)
    plans: list[Plan] = []
    for chunk in batched(range(min(len(rows), 4 * chunk_rows()))):
        found = sorted(planner.plan(chunk).values(), key=lambda p: p.index)
        plans += [p for p in found if p.action in (CREATE, UPDATE)]
        if len(plans) >= limit:
            break
    plans = plans[:limit]
    names = _reference_names(plans)
    return [_sample_row(plan, names) for plan in plans]


_SHOWN_REFERENCES = {
    "owner_team": (Team, "slug"),
    "managed_by": (Organization, "slug"),
    "internal_owner": (get_user_model(), "username"),
    "provider_owner": (get_user_model(), "username"),
}


def _reference_names(plans: list[Plan]) -> dict[tuple[str, int], str]:
    """How the file names the teams, organizations and people of the sample (a query each)."""
    ids: dict[str, set[int]] = {}
    for plan in plans:
        for name in _SHOWN_REFERENCES:
            for value in (plan.before.get(name), plan.after.get(name)):
                if value is not None:
                    ids.setdefault(name, set()).add(value)
    names: dict[tuple[str, int], str] = {}
    for name, pks in ids.items():
        model, attribute = _SHOWN_REFERENCES[name]
        for pk, text in model._default_manager.filter(pk__in=pks).values_list("pk", attribute):
            names[(name, pk)] = text
    return names


def _sample_row(plan: Plan, names: dict[tuple[str, int], str]) -> dict:
    def shown(name: str, value):
        if name in _SHOWN_REFERENCES and value is not None:
            return names.get((name, value), value)
        return value

    changes = []
    for name, value in plan.after.items():
        before = plan.before.get(name)
        if name == "attributes":  # one line per attribute that changes
            before = before or {}
            for key in sorted(set(before) | set(value or {})):
                if before.get(key) != (value or {}).get(key):
                    changes.append(
                        {"field": key, "before": before.get(key), "after": (value or {}).get(key)}
                    )
        elif plan.action == UPDATE or value not in (None, ""):
            changes.append(
                {"field": name, "before": shown(name, before), "after": shown(name, value)}
            )
    return {
        "row": plan.number,
        "action": plan.action,
        "name": plan.ci.name,
        "asset_tag": plan.ci.asset_tag,
        "changes": changes,
        "relations": [
            {"type": relation[0], "target": plan.target_texts.get(relation, "")}
            for relation in plan.new_relations
        ],
    }


# --- Confirming and running -------------------------------------------------------------------


@transaction.atomic
def import_confirm(*, job: ImportJob | int, by, mode: str | None = None) -> ImportJob:
    """Queue a previewed import (optionally switching its mode); the job is sent to a worker
    once this transaction commits (through the outbox)."""
    pk = job.pk if isinstance(job, ImportJob) else job
    job = ImportJob.objects.lock_for_change(by, pk)
    if job.status != ImportStatus.PREVIEWED:
        raise ValidationError(
            {"status": [_("This import is already %(s)s.") % {"s": job.get_status_display()}]}
        )
    if mode:
        if mode not in ImportMode.values:
            raise ValidationError({"mode": [_("Choose “strict” or “skip”.")]})
        job.mode = mode
    job.status = ImportStatus.QUEUED
    job.save(update_fields=["status", "mode"])
    audit_record(
        actor=by,
        action="ci.import_confirmed",
        obj=job,
        after={"class": job.ci_class.slug, "mode": job.mode, "rows": job.total_rows},
    )
    outbox.enqueue(TASK, job.pk)
    return job


class _Abort(Exception):
    """A strict import found a bad row while writing: roll everything back."""

    def __init__(self, plans: list[Plan]):
        self.plans = plans


@contextmanager
def _run_lock(job_id: int) -> Iterator[bool]:
    """Whether this process may run the job: on PostgreSQL a session advisory lock, held for the
    whole run, tells a job running elsewhere from one whose worker died (its lock went with its
    connection). Elsewhere a running job is taken over only once it is stale."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = job_id % 2**31
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s::integer, %s::integer)", [_RUN_LOCK, key])
        held = bool(cursor.fetchone()[0])
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_unlock(%s::integer, %s::integer)", [_RUN_LOCK, key]
                )


def import_run(job: ImportJob | int) -> ImportJob:
    """Run a previewed or queued import (or finish one whose worker died). A job that is done,
    failed or running elsewhere is left as it is: running it twice changes nothing."""
    job_id = job.pk if isinstance(job, ImportJob) else job
    with _run_lock(job_id) as held:
        claimed = _claim(job_id, lock_held=connection.vendor == "postgresql") if held else None
        if claimed is not None:
            _execute_or_fail(claimed)
    return ImportJob.objects.get(pk=job_id)


def _execute_or_fail(job: ImportJob) -> None:
    """Run in the uploader's language (the errors kept on the job are theirs to read); an
    unexpected error fails the job, logged, rather than leaving it running."""
    profile = getattr(job.created_by, "profile", None)
    with translation.override((profile.language if profile else "") or settings.LANGUAGE_CODE):
        try:
            _execute(job)
        except Exception:
            log.exception("Import %s stopped", job.pk)
            if job.mode == ImportMode.STRICT:
                message = _("The import stopped on an unexpected error; nothing was saved.")
            else:
                message = _(
                    "The import stopped on an unexpected error; the rows saved before it are "
                    "kept. Importing the file again completes it."
                )
            _finish_failed(job, [{"row": None, "field": "", "message": message}])


_COUNTERS = (
    "processed_rows",
    "created_count",
    "updated_count",
    "unchanged_count",
    "skipped_count",
)


def _claim(job_id: int, *, lock_held: bool) -> ImportJob | None:
    """Mark the job running, if it is this run's to do: previewed or queued, or running but
    orphaned (``lock_held``: nobody else holds its lock; or stale)."""
    now = timezone.now()
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update(of=("self",))
            .select_related("ci_class", "created_by__profile__organization")
            .filter(pk=job_id)
            .first()
        )
        if job is None:
            return None
        fresh = job.status in (ImportStatus.PREVIEWED, ImportStatus.QUEUED)
        orphan = job.status == ImportStatus.RUNNING and (
            lock_held
            or (
                job.started_at is not None
                and (now - job.started_at).total_seconds() > STALE_SECONDS
            )
        )
        if not (fresh or orphan):
            return None
        if fresh or job.mode == ImportMode.STRICT:
            # A strict run that died left nothing behind: start over.
            job.processed_rows = job.created_count = job.updated_count = 0
            job.unchanged_count = job.skipped_count = 0
            job.errors = []
        job.status = ImportStatus.RUNNING
        job.started_at, job.finished_at = now, None
        job.save(update_fields=[*_COUNTERS, "errors", "status", "started_at", "finished_at"])
    return job


def _execute(job: ImportJob) -> None:
    """Check the file again (the CMDB may have changed since the preview), then write it."""
    actor = job.created_by
    if not may_import(actor):
        _finish_failed(
            job, [{"row": None, "field": "", "message": _("Its author may no longer import.")}]
        )
        return
    try:
        rows = parse(job.content, job.format, job.ci_class)
    except ValidationError as exc:
        _finish_failed(job, [{"row": None, "field": "file", "message": m} for m in exc.messages])
        return
    ImportJob.objects.filter(pk=job.pk).update(total_rows=len(rows))
    job.total_rows = len(rows)
    planner = Planner(job.ci_class, rows, actor, is_csv=job.format == ImportFormat.CSV)
    plans = planner.plan()
    ordered = [plans[i] for i in range(len(rows))]
    if job.mode == ImportMode.STRICT:
        _run_strict(job, ordered, actor)
    else:
        _run_skip(job, ordered, actor)


def _run_strict(job: ImportJob, plans: list[Plan], actor) -> None:
    """All or nothing: any bad row fails the job before a write; the writes are one
    transaction (audit events last, so the trail's lock is held briefly)."""
    bad = [p for p in plans if not p.ok]
    if bad:
        _finish_failed(job, error_rows(bad), skipped=len(bad))
        return
    progress = _Progress(job.pk)
    try:
        with transaction.atomic():
            audit: list[dict] = []
            written = 0
            for chunk in batched(plans):
                stale = _write_chunk(chunk, job, actor, audit)
                if stale:
                    raise _Abort(stale)
                written += len(chunk)
                progress.report(written)
            relation_audit, _lost = _write_relations(plans, job, actor)  # none lost: no stale row
            audit += relation_audit
            for batch in batched(audit):
                audit_record_many(actor=actor, entries=batch)
            counts = count_actions(plans)
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportStatus.DONE,
                processed_rows=len(plans),
                created_count=counts[CREATE],
                updated_count=counts[UPDATE],
                unchanged_count=counts[UNCHANGED],
                skipped_count=0,
                errors=[],
                finished_at=timezone.now(),
            )
    except _Abort as abort:
        _finish_failed(job, error_rows(abort.plans), skipped=len(abort.plans))
    else:
        _refresh_statistics(len(plans))
    finally:
        progress.close()


def _refresh_statistics(rows: int) -> None:
    """After a large import, PostgreSQL's planner learns of the new rows now rather than when
    autovacuum gets to it: lookups by asset tag and name (the next import's) depend on it."""
    if connection.vendor != "postgresql" or rows < ANALYZE_AFTER_ROWS:
        return
    quote = connection.ops.quote_name
    tables = ", ".join(quote(m._meta.db_table) for m in (ConfigurationItem, CIRelation))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def _run_skip(job: ImportJob, plans: list[Plan], actor) -> None:
    """The good rows, a transaction per chunk that also saves the progress and the counts, so a
    page follows it and a redelivered job resumes after the last saved chunk; then the
    relations, once every row's CI has an id."""
    start = job.processed_rows  # > 0 when a worker died after saving some chunks
    errors = ErrorLog(job.errors)
    size = chunk_rows()
    for offset in range(start - start % size, len(plans), size):
        chunk = plans[max(offset, start) : offset + size]
        if not chunk:
            continue
        with transaction.atomic():
            audit: list[dict] = []
            _write_chunk(chunk, job, actor, audit)  # rows found stale turn bad: skipped
            audit_record_many(actor=actor, entries=audit)
            counts = count_actions(chunk)
            errors.add(error_rows(p for p in chunk if not p.ok))
            ImportJob.objects.filter(pk=job.pk).update(
                processed_rows=chunk[-1].index + 1,
                created_count=F("created_count") + counts[CREATE],
                updated_count=F("updated_count") + counts[UPDATE],
                unchanged_count=F("unchanged_count") + counts[UNCHANGED],
                skipped_count=F("skipped_count") + counts[BAD],
                errors=errors.rows(),
            )
    with transaction.atomic():
        audit, lost = _write_relations(plans, job, actor)
        for batch in batched(audit):
            audit_record_many(actor=actor, entries=batch)
        errors.add(lost)
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.DONE, finished_at=timezone.now(), errors=errors.rows()
        )
    _refresh_statistics(len(plans) - start)


def _write_chunk(chunk: list[Plan], job: ImportJob, actor, audit: list[dict]) -> list[Plan]:
    """Save a chunk's creates and updates (inside the caller's transaction). The CIs it updates
    are locked and checked against the versions read when planning: a CI someone changed
    meanwhile, or an asset tag taken meanwhile, turns its row bad (returned) and is not saved."""
    creates = [p for p in chunk if p.action == CREATE]
    updates = [p for p in chunk if p.action == UPDATE and p.changed]
    stale: list[Plan] = []
    if updates:
        versions = dict(
            ConfigurationItem.objects.select_for_update()
            .filter(pk__in=[p.ci.pk for p in updates])
            .values_list("pk", "version")
        )
        for plan in updates:
            if versions.get(plan.ci.pk) != plan.base_version:
                stale.append(plan)
    tags = [p.ci.asset_tag for p in creates if p.ci.asset_tag]
    if tags:
        taken = set(tagged(tags).values_list("asset_tag", flat=True))
        stale += [p for p in creates if p.ci.asset_tag in taken]
    for plan in stale:
        field_name = "asset_tag" if plan.action == CREATE else ""
        message = (
            _("Another CI took this asset tag while the import ran.")
            if plan.action == CREATE
            else _("Someone changed this CI while the import ran; import the file again.")
        )
        plan.errors.append((field_name, message))
        plan.action, plan.ci = BAD, None
    creates = [p for p in creates if p.action == CREATE]
    updates = [p for p in updates if p.action == UPDATE]
    if creates:
        ConfigurationItem.objects.bulk_create([p.ci for p in creates], batch_size=chunk_rows())
    now = timezone.now()
    for plan in updates:
        plan.ci.version += 1
        plan.ci.updated_at = now
    update_many([p.ci for p in updates], WRITTEN)
    note = f"import {job.pk}"
    for plan in creates:
        audit.append(_audit_entry(plan.ci, None, ci_snapshot(plan.ci), note))
    for plan in updates:
        audit.append(_audit_entry(plan.ci, plan.before, plan.after, note))
    return stale


def _audit_entry(ci: ConfigurationItem, before, after, note: str) -> dict:
    return {
        "action": "ci.imported",
        "object_type": ConfigurationItem._meta.label_lower,
        "object_id": str(ci.pk),
        "object_repr": ci.name,
        "before": before,
        "after": after,
        "note": note,
    }


def _write_relations(plans: list[Plan], job: ImportJob, actor) -> tuple[list[dict], list[dict]]:
    """Create the relations that do not exist yet, now that every row's CI has an id. Returns
    the audit entries (``ci.relation_added`` on the source, as ``relation_create`` writes) and
    the errors of relations lost because their target row turned bad while writing."""
    wanted: list[tuple[Plan, str, int]] = []
    lost: list[dict] = []
    for plan in plans:
        if plan.action == BAD or plan.ci is None:
            continue
        for type_, kind, ref in plan.new_relations:
            if kind == "ci":
                wanted.append((plan, type_, ref))
            elif plans[ref].ci is not None and plans[ref].action != BAD:
                wanted.append((plan, type_, plans[ref].ci.pk))
            else:
                message = _("Row %(n)s, the target of a relation, was not imported.")
                lost.append(
                    {"row": plan.number, "field": "relations",
                     "message": message % {"n": plans[ref].number}}
                )  # fmt: skip
    entries: list[dict] = []
    note = f"import {job.pk}"
    for batch in batched(wanted):
        existing = set(
            CIRelation.objects.filter(source_id__in={p.ci.pk for p, _t, _id in batch})
            .order_by()
            .values_list("source_id", "type", "target_id")
        )
        new = []
        for plan, type_, target_id in batch:
            key = (plan.ci.pk, type_, target_id)
            if key in existing:
                continue
            existing.add(key)
            new.append(
                CIRelation(source_id=plan.ci.pk, type=type_, target_id=target_id, created_by=actor)
            )
            entries.append(
                {
                    "action": "ci.relation_added",
                    "object_type": ConfigurationItem._meta.label_lower,
                    "object_id": str(plan.ci.pk),
                    "object_repr": plan.ci.name,
                    "after": {"type": type_, "target": target_id},
                    "note": note,
                }
            )
        insert_many(new)
    return entries, lost


def _finish_failed(job: ImportJob, errors: list[dict], *, skipped: int = 0) -> None:
    """A failed strict import saved nothing; a failed skip import keeps the chunks it saved."""
    if job.mode == ImportMode.SKIP:
        saved = ErrorLog(ImportJob.objects.filter(pk=job.pk).values_list("errors", flat=True)[0])
        saved.add(errors)
        errors = saved.rows()
    else:
        errors = _capped(errors)
    values: dict[str, Any] = {
        "status": ImportStatus.FAILED,
        "errors": errors,
        "finished_at": timezone.now(),
    }
    if job.mode == ImportMode.STRICT:
        values.update(
            processed_rows=0,
            created_count=0,
            updated_count=0,
            unchanged_count=0,
            skipped_count=skipped,
        )
    ImportJob.objects.filter(pk=job.pk).update(**values)


class _Progress:
    """Rows written so far by a strict import, shown while its one transaction is still open.

    The page cannot read uncommitted rows, so on PostgreSQL the count is written through a
    second connection in autocommit (the job row is not locked by the import's transaction).
    SQLite allows one writer at a time: there the count appears with the result."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.side = None

    def report(self, rows: int) -> None:
        if connection.vendor != "postgresql":
            return
        if self.side is None:
            self.side = connections.create_connection(DEFAULT_DB_ALIAS)
        table = connection.ops.quote_name(ImportJob._meta.db_table)
        with self.side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET processed_rows = %s WHERE id = %s",  # noqa: S608 - a model's table
                [rows, self.job_id],
            )

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None


def job_progress(job: ImportJob) -> int:
    """Percent of the rows processed (100 once finished)."""
    if job.status == ImportStatus.DONE:
        return 100
    if not job.total_rows:
        return 0
    return min(100, job.processed_rows * 100 // job.total_rows)
