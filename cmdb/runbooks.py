"""Runbooks (SPEC 2.6): services that write them and selectors that read them.

A runbook is written once and then published again, version after version; a version is never
edited. Each side's owner acknowledges the current version (the internal owner or an internal
manager for the internal side, the provider owner or a manager of that provider for the other);
a passed review date gives the internal owner a review task, once per date. Every change is a
transaction on the locked row with an audit event; metadata edits carry the optimistic
``version``.

Who reads and changes which runbook is ``Runbook.objects.restrict`` (``cmdb/querysets.py``):
internal staff all of them, a provider the ones it co-owns, those of the CIs it sees and those
of its engagements' areas (and it changes the ones it co-owns).
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from cmdb.choices import ReviewTaskStatus, RunbookKind, Side
from cmdb.errors import StaleVersion
from cmdb.events import RunbookPublished, RunbookReviewDue
from cmdb.models import (
    CIClass,
    ConfigurationItem,
    Runbook,
    RunbookAcknowledgement,
    RunbookReviewTask,
    RunbookVersion,
)
from cogest.choices import FunctionalArea, Role
from cogest.events import publish
from cogest.models import UserProfile
from cogest.querysets import viewer_for
from cogest.services import audit_record

#: What a person sets on a runbook besides its text (the API's and the forms' fields).
RUNBOOK_FIELDS = (
    "title",
    "kind",
    "areas",
    "ci_classes",
    "cis",
    "internal_owner",
    "provider_owner",
    "review_on",
)
TITLE_LIMIT = 200
NOTE_LIMIT = 300
BODY_LIMIT = 100_000  # characters of Markdown: a manual, not an archive
LINK_LIMIT = 500  # CIs or classes linked at once
SYSTEM_LABEL = "system:runbook_reviews"


class AlreadyAcknowledged(ValidationError):
    """This side already acknowledged the current version (409 in the API)."""


def _id(value):
    return value.pk if hasattr(value, "pk") else value


def _normalize_text(text: str) -> str:
    """One spelling of a text: Unix line ends, no surrounding blank space."""
    return str(text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


# --- Checking what people send ----------------------------------------------------------------


def _clean_body(body, errors: dict) -> str:
    if body is not None and not isinstance(body, str):
        errors["body"] = [_("The text must be Markdown text.")]
        return ""
    text = _normalize_text(body)
    if not text:
        errors["body"] = [_("Write the runbook's text.")]
    elif len(text) > BODY_LIMIT:
        errors["body"] = [_("At most %(n)s characters.") % {"n": BODY_LIMIT}]
    return text


def _clean_note(note, errors: dict) -> str:
    text = " ".join(str(note or "").split())
    if len(text) > NOTE_LIMIT:
        errors["note"] = [_("At most %(n)s characters.") % {"n": NOTE_LIMIT}]
    return text


def _ids(values, name: str, errors: dict) -> list:
    """A list of ids (or objects) given for a link field, or an error for a bad shape."""
    if values is None:
        return []
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        errors[name] = [_("Give a list.")]
        return []
    values = list(values)
    if len(values) > LINK_LIMIT:
        errors[name] = [_("At most %(n)s links.") % {"n": LINK_LIMIT}]
        return []
    return [_id(v) for v in values]


def _resolve_classes(values, by, errors: dict) -> list[int]:
    """CI classes by object, id or slug."""
    given = _ids(values, "ci_classes", errors)
    ids = {v for v in given if isinstance(v, int) and not isinstance(v, bool)}
    slugs = {v for v in given if isinstance(v, str)}
    if len(ids) + len(slugs) != len(set(given)):
        errors["ci_classes"] = [_("Give CI classes by id or slug.")]
        return []
    found = dict(
        CIClass.objects.restrict(by, "view")
        .filter(Q(pk__in=ids) | Q(slug__in=slugs))
        .values_list("pk", "slug")
    )
    unknown = sorted(str(v) for v in ids - set(found)) + sorted(slugs - set(found.values()))
    if unknown:
        errors["ci_classes"] = [_("Unknown CI classes: %(v)s.") % {"v": ", ".join(unknown)}]
    return sorted(found)


def _resolve_cis(values, by, errors: dict) -> list[int]:
    """Configuration items by object or id: only ones the actor sees may be linked."""
    given = _ids(values, "cis", errors)
    if any(isinstance(v, bool) or not isinstance(v, int) for v in given):
        errors["cis"] = [_("Give configuration items by id.")]
        return []
    wanted = set(given)
    found = set(
        ConfigurationItem.objects.restrict(by, "view")
        .filter(pk__in=wanted)
        .values_list("pk", flat=True)
    )
    unknown = sorted(wanted - found)
    if unknown:
        errors["cis"] = [
            _("Unknown configuration items: %(v)s.") % {"v": ", ".join(map(str, unknown))}
        ]
    return sorted(found)


def _clean_areas(values, errors: dict) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str) or not isinstance(values, Iterable):
        errors["areas"] = [_("Give a list of functional areas.")]
        return []
    values = list(values)
    unknown = sorted({str(v) for v in values} - set(FunctionalArea.values))
    if unknown:
        errors["areas"] = [
            _("Unknown functional areas: %(v)s. Known: %(known)s.")
            % {"v": ", ".join(unknown), "known": ", ".join(FunctionalArea.values)}
        ]
        return []
    return [a for a in FunctionalArea.values if a in values]


def _owner_profile(user, by) -> UserProfile | None:
    pk = _id(user)
    if isinstance(pk, bool) or not isinstance(pk, int):
        return None
    return (
        UserProfile.objects.restrict(by, "view")
        .select_related("organization", "user")
        .filter(user_id=pk, user__is_active=True, is_service_account=False)
        .exclude(role=Role.REQUESTER)
        .first()
    )


def _clean(values: dict, *, by, partial: bool) -> dict:
    """Check and normalize runbook metadata; one ``ValidationError`` lists every problem."""
    errors: dict[str, list[str]] = {}
    for name in sorted(set(values) - set(RUNBOOK_FIELDS)):
        errors[name] = [_("Unknown field.")]
    cleaned: dict = {}
    if "title" in values or not partial:
        title = " ".join(str(values.get("title") or "").split())
        if not title:
            errors["title"] = [_("A runbook needs a title.")]
        elif len(title) > TITLE_LIMIT:
            errors["title"] = [_("At most %(n)s characters.") % {"n": TITLE_LIMIT}]
        cleaned["title"] = title
    if "kind" in values or not partial:
        kind = values.get("kind")
        if kind not in RunbookKind.values:
            errors["kind"] = [
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": kind or "", "choices": ", ".join(RunbookKind.values)}
            ]
        cleaned["kind"] = kind
    if "areas" in values or not partial:
        cleaned["areas"] = _clean_areas(values.get("areas"), errors)
    if "ci_classes" in values or not partial:
        cleaned["ci_classes"] = _resolve_classes(values.get("ci_classes"), by, errors)
    if "cis" in values or not partial:
        cleaned["cis"] = _resolve_cis(values.get("cis"), by, errors)
    if "internal_owner" in values or not partial:
        profile = _owner_profile(values.get("internal_owner"), by)
        if profile is None or not profile.organization.is_internal:
            errors["internal_owner"] = [
                _("The internal owner must be an active member of the internal staff.")
            ]
        cleaned["internal_owner"] = profile.user if profile else None
    if "provider_owner" in values or not partial:
        owner = values.get("provider_owner")
        cleaned["provider_owner"] = None
        if owner is not None:
            profile = _owner_profile(owner, by)
            if profile is None or profile.organization.is_internal:
                errors["provider_owner"] = [
                    _("The provider owner must be an active member of a provider.")
                ]
            else:
                cleaned["provider_owner"] = profile.user
    if "review_on" in values or not partial:
        review_on = values.get("review_on")
        if review_on is not None and (
            not isinstance(review_on, dt.date) or isinstance(review_on, dt.datetime)
        ):
            errors["review_on"] = [_("Give the review date as a date.")]
        cleaned["review_on"] = review_on
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check_provider_limits(cleaned: dict, by, runbook: Runbook | None) -> None:
    """A provider co-owns what it writes: its own person is the provider owner, and the
    internal owner is the internal team's choice."""
    viewer = viewer_for(by)
    if viewer.is_internal or viewer.is_admin:
        return
    errors = {}
    if runbook is None or "provider_owner" in cleaned:
        owner = cleaned.get("provider_owner")
        if owner is None or owner.profile.organization_id != viewer.organization_id:
            errors["provider_owner"] = [
                _("Name one of your organization's people as the provider owner.")
            ]
    if (
        runbook is not None
        and "internal_owner" in cleaned
        and cleaned["internal_owner"] is not None
        and cleaned["internal_owner"].pk != runbook.internal_owner_id
    ):
        errors["internal_owner"] = [_("Only the internal team changes the internal owner.")]
    if errors:
        raise ValidationError(errors)


def _may_write(by) -> None:
    viewer = viewer_for(by)
    if not viewer.is_authenticated or viewer.is_requester:
        raise PermissionDenied(_("You may not write runbooks."))


def runbook_snapshot(runbook: Runbook) -> dict:
    """The runbook's metadata as JSON (references as ids), for audit diffs."""
    return {
        "title": runbook.title,
        "kind": runbook.kind,
        "areas": list(runbook.areas or []),
        "ci_classes": sorted(runbook.ci_classes.values_list("pk", flat=True)),
        "cis": sorted(runbook.cis.values_list("pk", flat=True)),
        "internal_owner": runbook.internal_owner_id,
        "provider_owner": runbook.provider_owner_id,
        "review_on": runbook.review_on.isoformat() if runbook.review_on else None,
    }


def _check_version(runbook: Runbook, expected_version: int | None) -> None:
    if expected_version is not None and runbook.version != expected_version:
        raise StaleVersion(current=runbook.version, expected=expected_version, label=_("Runbook"))


# --- Writing ------------------------------------------------------------------------------------


@transaction.atomic
def runbook_create(
    *,
    by,
    title: str,
    kind: str,
    body: str,
    internal_owner,
    areas: Iterable[str] = (),
    ci_classes: Iterable = (),
    cis: Iterable = (),
    provider_owner=None,
    review_on: dt.date | None = None,
    note: str = "",
) -> Runbook:
    """Write a runbook and publish its first version.

    Internal staff write any runbook; a provider writes runbooks its organization co-owns (one
    of its people is the provider owner). Linked CIs must be visible to ``by``."""
    _may_write(by)
    errors: dict[str, list[str]] = {}
    text = _clean_body(body, errors)
    note = _clean_note(note, errors)
    try:
        cleaned = _clean(
            {
                "title": title,
                "kind": kind,
                "areas": areas,
                "ci_classes": ci_classes,
                "cis": cis,
                "internal_owner": internal_owner,
                "provider_owner": provider_owner,
                "review_on": review_on,
            },
            by=by,
            partial=False,
        )
    except ValidationError as exc:
        raise ValidationError({**exc.message_dict, **errors}) from exc
    if errors:
        raise ValidationError(errors)
    _check_provider_limits(cleaned, by, None)
    owner = cleaned["provider_owner"]
    runbook = Runbook.objects.create(
        title=cleaned["title"],
        kind=cleaned["kind"],
        areas=cleaned["areas"],
        internal_owner=cleaned["internal_owner"],
        provider_owner=owner,
        provider_organization_id=owner.profile.organization_id if owner else None,
        review_on=cleaned["review_on"],
        current_version=1,
    )
    runbook.ci_classes.set(cleaned["ci_classes"])
    runbook.cis.set(cleaned["cis"])
    RunbookVersion.objects.create(runbook=runbook, number=1, body=text, note=note, author=by)
    audit_record(
        actor=by,
        action="runbook.created",
        obj=runbook,
        after={**runbook_snapshot(runbook), "published": 1},
        note=note,
    )
    publish(RunbookPublished(runbook_id=runbook.pk, number=1, actor_id=by.pk))
    return runbook


def _apply(runbook: Runbook, cleaned: dict, by) -> list[str]:
    """Set the cleaned values on the locked row and its links; the names that changed."""
    changed = []
    for name in ("title", "kind", "areas", "review_on"):
        if name in cleaned and getattr(runbook, name) != cleaned[name]:
            setattr(runbook, name, cleaned[name])
            changed.append(name)
    if "internal_owner" in cleaned and cleaned["internal_owner"].pk != runbook.internal_owner_id:
        runbook.internal_owner = cleaned["internal_owner"]
        changed.append("internal_owner")
    if "provider_owner" in cleaned:
        owner = cleaned["provider_owner"]
        if _id(owner) != runbook.provider_owner_id:
            runbook.provider_owner = owner
            runbook.provider_organization_id = owner.profile.organization_id if owner else None
            changed.append("provider_owner")
    if "ci_classes" in cleaned:
        current = set(runbook.ci_classes.values_list("pk", flat=True))
        if current != set(cleaned["ci_classes"]):
            runbook.ci_classes.set(cleaned["ci_classes"])
            changed.append("ci_classes")
    if "cis" in cleaned:
        current = set(runbook.cis.values_list("pk", flat=True))
        # Links to CIs the actor cannot see stay: nobody removes what they cannot see.
        visible = set(
            ConfigurationItem.objects.restrict(by, "view")
            .filter(pk__in=current)
            .values_list("pk", flat=True)
        )
        wanted = set(cleaned["cis"]) | (current - visible)
        if wanted != current:
            runbook.cis.set(sorted(wanted))
            changed.append("cis")
    return changed


def _update(locked: Runbook, by, cleaned: dict) -> list[str]:
    """Apply cleaned metadata to a locked runbook, bump its version and audit; the changes."""
    _check_provider_limits(cleaned, by, locked)
    before = runbook_snapshot(locked)
    changed = _apply(locked, cleaned, by)
    if not changed:
        return []
    locked.version += 1
    locked.save()
    after = runbook_snapshot(locked)
    audit_record(
        actor=by,
        action="runbook.updated",
        obj=locked,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    return changed


@transaction.atomic
def runbook_update(*, runbook: Runbook | int, by, expected_version: int | None = None,
                   **values) -> Runbook:  # fmt: skip
    """Change a runbook's title, kind, links, owners or review date (its text is published,
    not edited: ``runbook_publish``). Nothing changes if nothing differs."""
    locked = Runbook.objects.lock_for_change(by, _id(runbook))
    _check_version(locked, expected_version)
    _update(locked, by, _clean(values, by=by, partial=True))
    return locked


def _publish(locked: Runbook, by, text: str, note: str) -> RunbookVersion:
    number = locked.current_version + 1
    version = RunbookVersion.objects.create(
        runbook=locked, number=number, body=text, note=note, author=by
    )
    locked.current_version = number
    locked.version += 1
    locked.save(update_fields=["current_version", "version", "updated_at"])
    audit_record(
        actor=by,
        action="runbook.published",
        obj=locked,
        before={"version": number - 1},
        after={"version": number},
        note=note,
    )
    publish(RunbookPublished(runbook_id=locked.pk, number=number, actor_id=by.pk))
    return version


def _current_body(runbook: Runbook) -> str | None:
    return (
        RunbookVersion.objects.filter(runbook=runbook, number=runbook.current_version)
        .values_list("body", flat=True)
        .first()
    )


def _unchanged(runbook: Runbook, text: str) -> bool:
    current = _current_body(runbook)
    return current is not None and _normalize_text(current) == text


@transaction.atomic
def runbook_publish(
    *, runbook: Runbook | int, by, body: str, note: str = "", expected_version: int | None = None
) -> RunbookVersion:
    """Publish a new text as the next version; both sides' acknowledgements start over."""
    locked = Runbook.objects.lock_for_change(by, _id(runbook))
    _check_version(locked, expected_version)
    errors: dict[str, list[str]] = {}
    text = _clean_body(body, errors)
    note = _clean_note(note, errors)
    if not errors and _unchanged(locked, text):
        errors["body"] = [_("The text is unchanged: there is nothing to publish.")]
    if errors:
        raise ValidationError(errors)
    return _publish(locked, by, text, note)


@transaction.atomic
def runbook_edit(*, runbook: Runbook | int, by, expected_version: int | None, body: str,
                 note: str = "", **values) -> Runbook:  # fmt: skip
    """The edit page's one form: metadata and, when the text differs, a new version — all or
    nothing. Refused when nothing at all changes."""
    locked = Runbook.objects.lock_for_change(by, _id(runbook))
    _check_version(locked, expected_version)
    errors: dict[str, list[str]] = {}
    text = _clean_body(body, errors)
    note = _clean_note(note, errors)
    try:
        cleaned = _clean(values, by=by, partial=True)
    except ValidationError as exc:
        raise ValidationError({**exc.message_dict, **errors}) from exc
    if errors:
        raise ValidationError(errors)
    new_text = not _unchanged(locked, text)
    changed = _update(locked, by, cleaned)
    if new_text:
        _publish(locked, by, text, note)
    elif not changed:
        raise ValidationError(_("Nothing changed: edit the details or the text before saving."))
    return locked


def acknowledgement_side(user, runbook: Runbook) -> str | None:
    """The side ``user`` acknowledges for on ``runbook``, or ``None`` when they may not: the
    internal owner or an internal manager for the internal side; the provider owner or a
    manager of the runbook's provider for the provider side."""
    viewer = viewer_for(user)
    if not viewer.is_authenticated or viewer.is_requester:
        return None
    if viewer.is_internal:
        if user.pk == runbook.internal_owner_id or viewer.is_manager:
            return Side.INTERNAL
        return None
    if (
        runbook.provider_organization_id is not None
        and runbook.provider_organization_id == viewer.organization_id
        and (user.pk == runbook.provider_owner_id or viewer.is_manager)
    ):
        return Side.PROVIDER
    return None


@transaction.atomic
def runbook_acknowledge(
    *, runbook: Runbook | int, by, number: int | None = None
) -> RunbookAcknowledgement:
    """``by`` acknowledges the current version for their side, once per version and side.

    ``number`` is the version they read: if a newer one was published meanwhile, they are
    asked to read it first."""
    pk = _id(runbook)
    if not Runbook.objects.restrict(by, "view").filter(pk=pk).exists():
        raise Runbook.DoesNotExist(f"No visible runbook {pk}.")
    locked = Runbook.objects.select_for_update().get(pk=pk)
    side = acknowledgement_side(by, locked)
    if side is None:
        if viewer_for(by).is_internal:
            message = _(
                "Only the runbook's internal owner or an internal manager acknowledges it for "
                "the internal side."
            )
        else:
            message = _(
                "Only the runbook's provider owner or a manager of its provider acknowledges it "
                "for the provider side."
            )
        raise PermissionDenied(message)
    if number is not None and number != locked.current_version:
        raise ValidationError(
            {
                "version": [
                    _("Version %(n)s is the current one now: read it before acknowledging.")
                    % {"n": locked.current_version}
                ]
            }
        )
    version = RunbookVersion.objects.get(runbook=locked, number=locked.current_version)
    existing = (
        RunbookAcknowledgement.objects.filter(runbook_version=version, side=side)
        .select_related("user")
        .first()
    )
    if existing is not None:
        raise _already(existing, version)
    try:
        with transaction.atomic():
            ack = RunbookAcknowledgement.objects.create(runbook_version=version, side=side, user=by)
    except IntegrityError as exc:  # acknowledged at the same moment by someone else
        existing = RunbookAcknowledgement.objects.select_related("user").get(
            runbook_version=version, side=side
        )
        raise _already(existing, version) from exc
    audit_record(
        actor=by,
        action="runbook.acknowledged",
        obj=locked,
        after={"version": version.number, "side": side},
    )
    return ack


def _already(ack: RunbookAcknowledgement, version: RunbookVersion) -> AlreadyAcknowledged:
    who = ack.user.get_full_name() or ack.user.get_username()
    return AlreadyAcknowledged(
        _("Version %(n)s was already acknowledged for this side by %(who)s.")
        % {"n": version.number, "who": who}
    )


def runbook_review_tasks_due(*, today: dt.date) -> list[int]:
    """A review task for the internal owner of each runbook whose review date has come, once
    per date (a unique constraint): safe to run twice, and at the same time. The ids created."""
    has_task = RunbookReviewTask.objects.filter(
        runbook_id=OuterRef("pk"), due_on=OuterRef("review_on")
    )
    due = (
        Runbook.objects.filter(review_on__lte=today)
        .filter(~Exists(has_task))
        .order_by("pk")
        .values_list("pk", "title", "review_on", "internal_owner_id")
    )
    created = []
    for pk, title, review_on, owner_id in due:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    task = RunbookReviewTask.objects.create(
                        runbook_id=pk, owner_id=owner_id, due_on=review_on
                    )
            except IntegrityError:  # created meanwhile by a concurrent run
                continue
            audit_record(
                actor=None,
                actor_label=SYSTEM_LABEL,
                action="runbook.review_due",
                object_type=Runbook._meta.label_lower,
                object_id=str(pk),
                object_repr=title,
                after={"due_on": review_on.isoformat(), "owner": owner_id, "task": task.pk},
            )
            publish(RunbookReviewDue(task_id=task.pk, runbook_id=pk, owner_id=owner_id))
        created.append(task.pk)
    return created


def may_complete_review(user, task: RunbookReviewTask) -> bool:
    """The task's owner, the runbook's internal owner, or an internal manager."""
    viewer = viewer_for(user)
    if viewer.is_admin:
        return True
    if not viewer.is_internal or viewer.is_requester:
        return False
    return viewer.is_manager or user.pk in (task.owner_id, task.runbook.internal_owner_id)


@transaction.atomic
def review_task_done(
    *, task: RunbookReviewTask | int, by, next_review_on: dt.date | None = None
) -> RunbookReviewTask:
    """Close a review task; ``next_review_on`` (after today) sets the runbook's next review."""
    pk = _id(task)
    if not RunbookReviewTask.objects.restrict(by, "view").filter(pk=pk).exists():
        raise RunbookReviewTask.DoesNotExist(f"No visible review task {pk}.")
    locked = RunbookReviewTask.objects.select_for_update().select_related("runbook").get(pk=pk)
    if not may_complete_review(by, locked):
        raise PermissionDenied(
            _("Only the review's owner, the runbook's internal owner or a manager closes it.")
        )
    if locked.status == ReviewTaskStatus.DONE:
        raise ValidationError({"status": [_("This review is already done.")]})
    if next_review_on is not None and next_review_on <= timezone.localdate():
        raise ValidationError({"next_review_on": [_("The next review date must be after today.")]})
    locked.status = ReviewTaskStatus.DONE
    locked.done_at, locked.done_by = timezone.now(), by
    locked.save(update_fields=["status", "done_at", "done_by"])
    runbook = Runbook.objects.select_for_update().get(pk=locked.runbook_id)
    before = {"review_on": runbook.review_on.isoformat() if runbook.review_on else None}
    if next_review_on is not None:
        runbook.review_on = next_review_on
        runbook.version += 1
        runbook.save(update_fields=["review_on", "version", "updated_at"])
    audit_record(
        actor=by,
        action="runbook.review_done",
        obj=runbook,
        before=before,
        after={
            "due_on": locked.due_on.isoformat(),
            "review_on": runbook.review_on.isoformat() if runbook.review_on else None,
        },
    )
    return locked


# --- Reading ------------------------------------------------------------------------------------


def with_acknowledgement(runbooks: QuerySet) -> QuerySet:
    """Annotate ``ack_internal`` and ``ack_provider`` (the current version acknowledged by that
    side) and ``acknowledged`` (by every side the runbook has)."""
    current = RunbookAcknowledgement.objects.filter(
        runbook_version__runbook_id=OuterRef("pk"),
        runbook_version__number=OuterRef("current_version"),
    )
    return runbooks.annotate(
        ack_internal=Exists(current.filter(side=Side.INTERNAL)),
        ack_provider=Exists(current.filter(side=Side.PROVIDER)),
    ).annotate(
        acknowledged=Case(
            When(
                Q(ack_internal=True)
                & (Q(ack_provider=True) | Q(provider_organization_id__isnull=True)),
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def visible_cis_prefetch(user) -> Prefetch:
    """A runbook's CIs as far as ``user`` sees them (``runbook.visible_cis``)."""
    return Prefetch(
        "cis",
        queryset=ConfigurationItem.objects.restrict(user, "view")
        .select_related("ci_class")
        .order_by("name", "pk"),
        to_attr="visible_cis",
    )


def _listing(user) -> QuerySet:
    return with_acknowledgement(
        Runbook.objects.restrict(user, "view").select_related(
            "internal_owner", "provider_owner", "provider_organization"
        )
    )


def _linked_to_cis(ci_ids, class_ids) -> Q:
    """Runbooks linked to one of the CIs or to one of the classes."""
    rule = Q(pk__in=[])
    if ci_ids:
        links = Runbook.cis.through.objects.filter(configurationitem_id__in=list(ci_ids))
        rule |= Q(pk__in=links.values("runbook_id"))
    if class_ids:
        links = Runbook.ci_classes.through.objects.filter(ciclass_id__in=list(class_ids))
        rule |= Q(pk__in=links.values("runbook_id"))
    return rule


def _area_rule(areas: Iterable[str]) -> Q:
    rule = Q(pk__in=[])
    for area in areas:
        # ``areas`` is a JSON list: match the quoted value (SQLite and PostgreSQL alike).
        rule |= Q(areas__icontains=f'"{area}"')
    return rule


def runbook_list_for(
    *,
    user,
    kind: str | None = None,
    area: str | None = None,
    ci_class: CIClass | int | None = None,
    ci: ConfigurationItem | int | None = None,
    q: str | None = None,
) -> QuerySet:
    """The runbooks ``user`` reads, filtered: ``ci`` matches runbooks linked to the CI or to its
    class (an invisible CI matches nothing); ``q`` searches titles and current texts."""
    runbooks = _listing(user).prefetch_related("ci_classes", visible_cis_prefetch(user))
    if kind:
        runbooks = runbooks.filter(kind=kind)
    if area:
        runbooks = runbooks.filter(_area_rule([area]))
    if ci_class is not None:
        runbooks = runbooks.filter(_linked_to_cis([], [_id(ci_class)]))
    if ci is not None:
        found = (
            ConfigurationItem.objects.restrict(user, "view")
            .filter(pk=_id(ci))
            .values_list("pk", "ci_class_id")
            .first()
        )
        if found is None:
            return runbooks.none()
        runbooks = runbooks.filter(_linked_to_cis([found[0]], [found[1]]))
    text = (q or "").strip()
    if text:
        in_text = RunbookVersion.objects.filter(
            runbook_id=OuterRef("pk"), number=OuterRef("current_version"), body__icontains=text
        )
        runbooks = runbooks.filter(Q(title__icontains=text) | Exists(in_text))
    return runbooks.order_by("title", "pk")


def runbooks_for_ci(*, user, ci: ConfigurationItem) -> QuerySet:
    """Runbooks ``user`` reads that are linked to ``ci`` directly or through its class."""
    return runbook_list_for(user=user, ci=ci).order_by("kind", "title", "pk")


def runbooks_for_ticket(*, user, ci_ids: Iterable[int], area: str | None) -> QuerySet:
    """Runbooks ``user`` reads that apply to a ticket: linked to any of its CIs (those the user
    sees), to their classes, or to its functional area; each annotated ``acknowledged``."""
    visible = ConfigurationItem.objects.restrict(user, "view").filter(pk__in=list(ci_ids))
    pairs = list(visible.values_list("pk", "ci_class_id"))
    rule = _linked_to_cis([p[0] for p in pairs], {p[1] for p in pairs})
    if area:
        rule |= _area_rule([area])
    return _listing(user).filter(rule).order_by("kind", "title", "pk")


def runbooks_waiting_for_acknowledgement(*, user) -> QuerySet:
    """The runbooks whose current version waits for ``user``'s acknowledgement: the ones they
    own on their side (a provider manager: every one their organization co-owns)."""
    viewer = viewer_for(user)
    runbooks = _listing(user).filter(current_version__gte=1)
    if viewer.is_requester or not viewer.is_authenticated:
        return runbooks.none()
    if viewer.is_internal:
        return runbooks.filter(internal_owner=user, ack_internal=False)
    mine = (
        Q(provider_organization_id=viewer.organization_id)
        if viewer.is_manager
        else Q(provider_owner=user, provider_organization_id=viewer.organization_id)
    )
    return runbooks.filter(mine, ack_provider=False)


def review_tasks_for(*, user) -> QuerySet:
    """Open review tasks assigned to ``user``, oldest date first."""
    return (
        RunbookReviewTask.objects.restrict(user, "view")
        .filter(owner=user, status=ReviewTaskStatus.OPEN)
        .select_related("runbook")
        .order_by("due_on", "pk")
    )


def may_change_runbook(user, runbook: Runbook) -> bool:
    return Runbook.objects.restrict(user, "change").filter(pk=runbook.pk).exists()


@dataclass
class VersionRow:
    """One version in the history, with who acknowledged it on each side."""

    version: RunbookVersion
    acknowledgements: dict[str, RunbookAcknowledgement] = field(default_factory=dict)

    @property
    def internal(self) -> RunbookAcknowledgement | None:
        return self.acknowledgements.get(Side.INTERNAL)

    @property
    def provider(self) -> RunbookAcknowledgement | None:
        return self.acknowledgements.get(Side.PROVIDER)


@dataclass
class RunbookPage:
    """What a runbook's page shows to one reader."""

    runbook: Runbook
    versions: list[VersionRow]
    cis: list[ConfigurationItem]
    ci_classes: list[CIClass]
    review_tasks: list[RunbookReviewTask]
    can_change: bool
    ack_side: str | None
    completable_tasks: set[int]

    @property
    def current(self) -> VersionRow | None:
        return next(
            (r for r in self.versions if r.version.number == self.runbook.current_version), None
        )

    @property
    def has_provider_side(self) -> bool:
        return self.runbook.provider_organization_id is not None

    @property
    def can_acknowledge(self) -> bool:
        """The reader may acknowledge, and their side has not yet."""
        current = self.current
        return (
            self.ack_side is not None
            and current is not None
            and self.ack_side not in current.acknowledgements
        )

    def version(self, number: int) -> VersionRow | None:
        return next((r for r in self.versions if r.version.number == number), None)


def runbook_page(*, runbook: Runbook, user) -> RunbookPage:
    """The runbook with its history, acknowledgements, links and review tasks, as far as
    ``user`` sees them."""
    versions = list(
        RunbookVersion.objects.restrict(user, "view")
        .filter(runbook=runbook)
        .select_related("author")
        .order_by("-number")
    )
    acks = (
        RunbookAcknowledgement.objects.restrict(user, "view")
        .filter(runbook_version__runbook=runbook)
        .select_related("user")
    )
    by_version: dict[int, dict[str, RunbookAcknowledgement]] = {}
    for ack in acks:
        by_version.setdefault(ack.runbook_version_id, {})[ack.side] = ack
    tasks = list(
        RunbookReviewTask.objects.restrict(user, "view")
        .filter(runbook=runbook, status=ReviewTaskStatus.OPEN)
        .select_related("owner", "runbook")
        .order_by("due_on", "pk")
    )
    return RunbookPage(
        runbook=runbook,
        versions=[VersionRow(v, by_version.get(v.pk, {})) for v in versions],
        cis=list(
            runbook.cis.restrict(user, "view").select_related("ci_class").order_by("name", "pk")
        ),
        ci_classes=list(runbook.ci_classes.order_by("name")),
        review_tasks=tasks,
        can_change=may_change_runbook(user, runbook),
        ack_side=acknowledgement_side(user, runbook),
        completable_tasks={t.pk for t in tasks if may_complete_review(user, t)},
    )


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "hunk", "add", "del" or "same"
    text: str


def runbook_version_diff(*, old: str, new: str, context: int = 3) -> list[DiffLine]:
    """The lines that changed between two texts (unified diff), for people to read."""
    lines = []
    diff = difflib.unified_diff(
        _normalize_text(old).split("\n"),
        _normalize_text(new).split("\n"),
        lineterm="",
        n=context,
    )
    for line in diff:
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            lines.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            lines.append(DiffLine("add", line[1:]))
        elif line.startswith("-"):
            lines.append(DiffLine("del", line[1:]))
        else:
            lines.append(DiffLine("same", line[1:]))
    return lines


def internal_owner_choices(*, user) -> QuerySet:
    """People who can own a runbook on the internal side, as far as ``user`` sees them."""
    profiles = (
        UserProfile.objects.restrict(user, "view")
        .filter(organization__kind="internal", is_service_account=False)
        .exclude(role=Role.REQUESTER)
    )
    return (
        get_user_model()
        .objects.filter(is_active=True, pk__in=profiles.values("user_id"))
        .select_related("profile__organization")
        .order_by("first_name", "last_name", "username")
    )


def provider_owner_choices(*, user) -> QuerySet:
    """People who can own a runbook on a provider's side: any provider's people for internal
    staff, one's own organization's for a provider."""
    viewer = viewer_for(user)
    profiles = (
        UserProfile.objects.restrict(user, "view")
        .filter(organization__kind="provider", is_service_account=False)
        .exclude(role=Role.REQUESTER)
    )
    if not (viewer.is_internal or viewer.is_admin):
        profiles = profiles.filter(organization_id=viewer.organization_id)
    return (
        get_user_model()
        .objects.filter(is_active=True, pk__in=profiles.values("user_id"))
        .select_related("profile__organization")
        .order_by("profile__organization__name", "first_name", "last_name", "username")
    )
