"""The leak matrix (SPEC 3, 8): every page and API endpoint × every demo role × objects inside
and outside the role's scope.

Generated from the URL configuration: a new route with a parameter this file cannot fill fails
the test, so nothing escapes it. For each response it asserts the status (200 / 302 to login or
to the other audience / 401 / 403 / 404 / 405) and that no marker of an object the role may not
see — title, number, internal comment text — appears in the body.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from cogest.grants import grant_request
from cogest.models import AccessGrant, AuditEvent, Engagement, Organization, Team, UserProfile
from escalation.models import EscalationRule, Notification, Webhook
from sla.models import FollowUpAction, KpiReview
from sla.reviews import kpi_review_prepare
from tickets.models import Attachment, Comment, Ticket
from tickets.services import (
    attachment_add,
    comment_add,
    handoff_accept,
    ticket_create,
    ticket_handoff,
)

ROLES = ["ana", "marta", "pablo", "lucia", "sam", "rita", None]
# Public by design: the OpenAPI schema (no data) and the token endpoint (POST only).
PUBLIC_ROUTES = {"api/schema/": 200, "api/v1/auth/token/": 405}
SKIP_PREFIXES = ("admin/", "i18n/", "static/", "media/", "login/", "logout/", "api/docs", "healthz")


@dataclass
class World:
    tickets: dict[str, Ticket] = field(default_factory=dict)
    markers: dict[str, str] = field(default_factory=dict)  # marker text → who may see it
    visible_tickets: dict[str | None, set[str]] = field(default_factory=dict)
    # The CMDB's objects by key ("ci:internal", "runbook:acme"...), and who may see each.
    objects: dict[str, object] = field(default_factory=dict)
    visible_objects: dict[str | None, set[str]] = field(default_factory=dict)
    object_markers: dict[str, set[str]] = field(default_factory=dict)


def _tag(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8].upper()}"


@pytest.fixture
def world(demo, users) -> World:
    w = World()
    ana, pablo = users["ana"], users["pablo"]
    # Held only by Northwind's Service Desk.
    w.markers["nw_title"] = _tag("NWONLYTITLE")
    w.tickets["internal"] = ticket_create(
        by=ana, type="incident", title=w.markers["nw_title"], functional_area="systems"
    )
    w.markers["nw_secret"] = _tag("NWSECRET")
    comment_add(
        ticket=w.tickets["internal"], by=ana, body=w.markers["nw_secret"], visibility="internal"
    )
    attachment_add(
        ticket=w.tickets["internal"],
        by=ana,
        visibility="internal",
        upload=SimpleUploadedFile(f"{w.markers['nw_secret']}.log", b"secret log"),
    )
    # Handed to Acme Networks, with internal comments on both sides and a shared one.
    w.markers["acme_title"] = _tag("ACMETICKET")
    acme = ticket_create(
        by=ana, type="incident", title=w.markers["acme_title"], functional_area="networks"
    )
    w.markers["nw_secret_on_acme"] = _tag("NWSECRETONACME")
    comment_add(ticket=acme, by=ana, body=w.markers["nw_secret_on_acme"], visibility="internal")
    w.markers["shared"] = _tag("SHAREDNOTE")
    comment_add(ticket=acme, by=ana, body=w.markers["shared"], visibility="shared")
    attachment_add(
        ticket=acme,
        by=ana,
        visibility="shared",
        upload=SimpleUploadedFile(f"{w.markers['shared']}.txt", b"shared file"),
    )
    attachment_add(
        ticket=acme,
        by=ana,
        visibility="internal",
        upload=SimpleUploadedFile(f"{w.markers['nw_secret_on_acme']}.txt", b"nw"),
    )
    ticket_handoff(ticket=acme, by=ana, team=demo.teams["acme-networks"], summary="L1 done")
    handoff_accept(ticket=acme, by=pablo)
    w.markers["acme_secret"] = _tag("ACMESECRET")
    comment_add(ticket=acme, by=pablo, body=w.markers["acme_secret"], visibility="internal")
    w.tickets["acme"] = acme
    # Handed to Shadow Partners.
    w.markers["shadow_title"] = _tag("SHADOWONLY")
    shadow = ticket_create(
        by=ana, type="incident", title=w.markers["shadow_title"], functional_area="applications"
    )
    ticket_handoff(ticket=shadow, by=ana, team=demo.teams["shadow-desk"], summary="backup desk")
    w.tickets["shadow"] = shadow
    # Rita's own request.
    w.markers["rita_title"] = _tag("RITAREQUEST")
    w.tickets["rita"] = ticket_create(
        by=users["rita"],
        type="service_request",
        title=w.markers["rita_title"],
        functional_area="devices",
    )
    # A pending access request by pablo for the internal ticket (gives nothing yet).
    import datetime as dt

    from django.utils import timezone

    grant_request(
        obj=w.tickets["internal"],
        by=pablo,
        reason="router logs",
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    _cmdb_world(w, demo, users)
    internal = {"internal", "acme", "shadow", "rita"}
    w.visible_tickets = {
        "ana": internal,
        "marta": internal,
        "pablo": {"acme"},
        "lucia": {"acme"},
        "sam": {"shadow"},
        "rita": {"rita"},
        None: set(),
    }
    return w


def _cmdb_world(w: World, demo, users) -> None:
    """CIs, a relation, runbooks, a proposal and an import, in and out of each role's scope.

    Shadow's engagement covers every functional area, so a CI out of Shadow's scope belongs to
    a class with no area; an internal-only CI is also out of Acme's."""
    from cmdb.models import CIClass, ImportJob, Runbook, RunbookVersion
    from cmdb.services import ci_create, ci_update, relation_create

    ana, pablo = users["ana"], users["pablo"]
    internal_org, acme_org = demo.organizations["internal"], demo.organizations["acme"]
    no_area = CIClass.objects.create(name="Leak vault", slug="leak-vault")
    networks = CIClass.objects.create(
        name="Leak switch", slug="leak-switch", functional_area="networks"
    )

    def ci(key, klass, org, visible):
        w.markers[f"ci_{key}"] = _tag(f"CI{key.upper()}")
        obj = ci_create(by=ana, name=w.markers[f"ci_{key}"], ci_class=klass, managed_by=org)
        w.objects[f"ci:{key}"] = obj
        w.object_markers[f"ci:{key}"] = {w.markers[f"ci_{key}"]}
        for role in visible:
            w.visible_objects.setdefault(role, set()).add(f"ci:{key}")
        return obj

    everyone_internal = ("ana", "marta")
    acme = ("pablo", "lucia")
    ci_internal = ci("internal", no_area, internal_org, everyone_internal)
    ci_acme = ci("acme", networks, acme_org, (*everyone_internal, *acme, "sam"))
    ci("acmeprivate", no_area, acme_org, (*everyone_internal, *acme))
    ci_linked = ci("linked", no_area, internal_org, (*everyone_internal, *acme))
    w.tickets["acme"].cis.add(ci_linked)
    # Also on the internal ticket: the CI page's tickets panel must not show it to Acme.
    w.tickets["internal"].cis.add(ci_linked)
    w.objects["relation:acme_internal"] = relation_create(
        source=ci_acme, type="depends_on", target=ci_internal, by=ana
    )
    w.object_markers["relation:acme_internal"] = set()
    for role in everyone_internal:
        w.visible_objects.setdefault(role, set()).add("relation:acme_internal")
    # Runbooks: internal only, and one Acme co-owns.
    for key, owner, visible in (
        ("internal", None, everyone_internal),
        ("acme", pablo, (*everyone_internal, *acme)),
    ):
        title, body = _tag(f"RUNBOOK{key.upper()}"), _tag(f"RUNBOOKBODY{key.upper()}")
        runbook = Runbook.objects.create(
            title=title,
            kind="manual",
            internal_owner=users["ivan"],
            provider_owner=owner,
            provider_organization=acme_org if owner else None,
            current_version=1,
        )
        RunbookVersion.objects.create(runbook=runbook, number=1, body=body, author=ana)
        w.markers[f"runbook_{key}"], w.markers[f"runbook_body_{key}"] = title, body
        w.objects[f"runbook:{key}"] = runbook
        w.object_markers[f"runbook:{key}"] = {title, body}
        for role in visible:
            w.visible_objects.setdefault(role, set()).add(f"runbook:{key}")
    # Pablo proposes a change to the internally managed CI linked to Acme's ticket.
    w.markers["proposal"] = _tag("PROPOSALREASON")
    result = ci_update(ci=ci_linked, by=pablo, reason=w.markers["proposal"], site="Girona")
    w.objects["proposal:acme"] = result.proposal
    w.object_markers["proposal:acme"] = {w.markers["proposal"]}
    for role in (*everyone_internal, *acme):
        w.visible_objects.setdefault(role, set()).add("proposal:acme")
    # An import is an internal tool.
    w.markers["import"] = _tag("IMPORTFILE")
    w.objects["import:internal"] = ImportJob.objects.create(
        ci_class=no_area,
        format="csv",
        filename=f"{w.markers['import']}.csv",
        content="name\nx\n",
        created_by=ana,
    )
    w.object_markers["import:internal"] = {w.markers["import"]}
    for role in everyone_internal:
        w.visible_objects.setdefault(role, set()).add("import:internal")


def allowed_markers(world: World, role: str | None) -> set[str]:
    m = world.markers
    seen = {
        "internal": {m["nw_title"], m["nw_secret"]},
        "acme": {m["acme_title"], m["shared"]},
        "shadow": {m["shadow_title"]},
        "rita": {m["rita_title"]},
    }
    allowed = set().union(*(seen[k] for k in world.visible_tickets[role]))
    for key in world.visible_objects.get(role, set()):
        allowed |= world.object_markers[key]
    if role in ("ana", "marta"):
        allowed.add(m["nw_secret_on_acme"])
    if role in ("pablo", "lucia"):
        allowed.add(m["acme_secret"])
    return allowed


# --- URL enumeration --------------------------------------------------------------------------


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def routes() -> list[str]:
    found = []
    for route, _pattern in _walk(get_resolver().url_patterns):
        # Drop regex anchors at segment starts/ends, not the "^" of a class like [^/.].
        route = re.sub(r"(^|/)\^", r"\1", route).replace("$", "")
        if route.startswith(SKIP_PREFIXES) or "format" in route:
            continue
        found.append(route)
    return sorted(set(found))


PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>|\(\?P<(?P<rname>\w+)>[^)]*\)")


def _model_of(route: str):
    """Which model a route's parameters point at, from its path."""
    if "tickets" in route:
        return Ticket
    for word, model in (
        ("escalation/rules", EscalationRule),
        ("notifications", Notification),
        ("reviews/actions", FollowUpAction),
        ("reviews", KpiReview),
        ("access", AccessGrant),
        ("engagements", Engagement),
        ("teams", Team),
        ("organizations", Organization),
        ("audit", AuditEvent),
        ("users", UserProfile),
        ("webhooks", Webhook),
    ):
        if word in route:
            return model
    return None


def fillings(route: str, world: World, demo) -> list[tuple[dict, str | None]]:
    """Concrete parameter sets for a route, each with the ticket key it refers to (if any)."""
    names = [m.group("name") or m.group("rname") for m in PARAM.finditer(route)]
    if not names:
        return [({}, None)]
    cmdb = _cmdb_fillings(route, names, world)
    if cmdb is not None:
        return cmdb
    model = _model_of(route)
    result = []
    if model is Ticket:
        for key, ticket in world.tickets.items():
            values = {}
            missing = False
            for name in names:
                if name in ("pk", "id", "ticket_pk", "ticket_id"):
                    values[name] = ticket.pk
                elif name == "number":
                    values[name] = ticket.number
                elif name in ("att_id", "attachment_id", "attachment_pk"):
                    att = Attachment.objects.filter(ticket=ticket).order_by("id").first()
                    missing = missing or att is None
                    values[name] = att.pk if att else 0
                elif name in ("comment_id", "comment_pk"):
                    comment = Comment.objects.filter(ticket=ticket).order_by("id").first()
                    missing = missing or comment is None
                    values[name] = comment.pk if comment else 0
                else:
                    pytest.fail(f"leak matrix: no filler for <{name}> in {route}")
            if not missing:  # a ticket without such an object has nothing to check here
                result.append((values, key))
        return result
    extra = {}
    if model is AccessGrant and "op" in names:
        extra, names = {"op": "approve"}, [n for n in names if n != "op"]
    if model is None or len(names) != 1 or names[0] not in ("pk", "id"):
        pytest.fail(f"leak matrix: cannot fill {names} in route {route}: add a filler")
    objects = {
        Engagement: list(Engagement.objects.all()),
        Team: list(Team.objects.all()),
        Organization: list(Organization.objects.all()),
        AuditEvent: list(AuditEvent.objects.order_by("id")[:3])
        + list(AuditEvent.objects.order_by("-id")[:3]),
        UserProfile: list(UserProfile.objects.all()),
        AccessGrant: list(AccessGrant.objects.all()),
        # One review per engagement (a one-day period), prepared by the service: in and out of
        # each provider's scope.
        KpiReview: list(KpiReview.objects.all())
        or [
            kpi_review_prepare(engagement=e, period_start=e.starts_on, period_end=e.starts_on)[0]
            for e in Engagement.objects.all()
        ],
        FollowUpAction: list(FollowUpAction.objects.all()),
        EscalationRule: list(EscalationRule.objects.all())
        or [EscalationRule.objects.create(name="Leak", trigger="created", notify=["assignee"])],
        # Marta's notification about the internal ticket: nobody else's to read or mark.
        Notification: list(Notification.objects.all())
        or [
            Notification.objects.create(
                recipient=demo.users["marta"],
                ticket=world.tickets["internal"],
                kind="escalation.created",
                title=world.markers["nw_title"],
                occasion="leak-matrix",
            )
        ],
        Webhook: list(Webhook.objects.all()) or _webhooks_with_deliveries(),
    }[model]
    return [({names[0]: obj.pk, **extra}, None) for obj in objects]


def _cmdb_fillings(route: str, names: list[str], world: World) -> list | None:
    """Parameters of the CMDB's routes (and of the tickets' partial for a CI): each world
    object of the route's kind, keyed for the visibility check; ``None`` for other routes."""
    from cmdb.models import CIClass, RunbookReviewTask

    cmdb_prefixes = ("cmdb/", "partner/cmdb/", "api/v1/ci", "api/v1/runbooks")
    if not (route.startswith(cmdb_prefixes) or "for-ci/" in route):
        return None

    def keyed(prefix):
        return [(key, obj) for key, obj in world.objects.items() if key.startswith(prefix)]

    if "ci-classes" in route:
        return [({names[0]: klass.pk}, None) for klass in CIClass.objects.all()]
    if "imports/template" in route:
        return [({names[0]: slug}, None) for slug in ("leak-vault", "leak-switch")]
    if "review-tasks" in route:
        result = []
        for key, runbook in keyed("runbook:"):
            task, _created = RunbookReviewTask.objects.get_or_create(
                runbook=runbook,
                due_on=runbook.created_at.date(),
                defaults={"owner": runbook.internal_owner},
            )
            result.append(({names[0]: task.pk}, key))
        return result
    if "runbooks/ci/" in route or "for-ci/" in route or "cis/" in route:
        kind = "ci:"
    elif "ci-relations" in route:
        kind = "relation:"
    elif "runbooks" in route:
        kind = "runbook:"
    elif "proposals" in route:
        kind = "proposal:"
    elif "imports" in route:
        kind = "import:"
    else:
        pytest.fail(f"leak matrix: no CMDB filler for {route}")
    result = []
    for key, obj in keyed(kind):
        values = {names[0]: obj.pk}
        for name in names[1:]:
            if name != "number":
                pytest.fail(f"leak matrix: no filler for <{name}> in {route}")
            values[name] = 1
        result.append((values, key))
    return result


def _webhooks_with_deliveries() -> list[Webhook]:
    """A webhook per organization, with a delivery for each comment of the world as that
    organization reads it (the real fan-out): the delivery logs are in the matrix too."""
    from escalation.webhooks import webhook_fan_out
    from tickets.events import CommentAdded

    hooks = [
        Webhook.objects.create(
            organization=org,
            name=f"{org.slug} hook",
            url="https://93.184.216.34/",
            events=["comment.added"],
        )
        for org in Organization.objects.all()
    ]
    for c in Comment.objects.all():
        event = CommentAdded(
            ticket_id=c.ticket_id, actor_id=c.author_id, comment_id=c.pk,
            visibility=c.visibility, author_organization_id=c.author_organization_id,
        )  # fmt: skip
        webhook_fan_out(event=event, webhook_ids=[h.pk for h in hooks])
    return hooks


def _path(route: str, values: dict) -> str:
    def replace(match):
        return str(values[match.group("name") or match.group("rname")])

    return "/" + PARAM.sub(replace, route)


def _client(users, role):
    from django.test import Client

    if role is None:
        return Client(), APIClient()
    web = Client()
    web.force_login(users[role])
    api = APIClient()
    api.force_authenticate(users[role])
    return web, api


@pytest.mark.parametrize("role", ROLES)
def test_no_page_or_endpoint_leaks_what_the_role_may_not_see(role, world, users, demo):
    web, api = _client(users, role)
    forbidden = set(world.markers.values()) - allowed_markers(world, role)
    visible = world.visible_tickets[role] | world.visible_objects.get(role, set())
    checked, problems = 0, []
    for route in routes():
        is_api = route.startswith("api/")
        client = api if is_api else web
        for values, ticket_key in fillings(route, world, demo):
            path = _path(route, values)
            response = client.get(path, HTTP_ACCEPT="application/json" if is_api else "text/html")
            checked += 1
            status = response.status_code
            body = b"".join(response.streaming_content) if response.streaming else response.content
            text = body.decode(errors="replace")
            leaked = sorted(marker for marker in forbidden if marker in text)
            if leaked:
                problems.append(f"{role} GET {path} → {status} leaks {leaked}")
            if status >= 500:
                problems.append(f"{role} GET {path} → {status}")
            if route in PUBLIC_ROUTES:
                if status != PUBLIC_ROUTES[route]:
                    problems.append(f"{role} GET {path} → {status}")
                continue
            if role is None:
                if is_api and status not in (401, 403):
                    problems.append(f"anonymous GET {path} → {status}, expected 401/403")
                if not is_api and not (status == 302 and "/login/" in response["Location"]):
                    problems.append(
                        f"anonymous GET {path} → {status}, expected a redirect to login"
                    )
                continue
            if ticket_key is not None and ticket_key not in visible and status == 200:
                problems.append(f"{role} GET {path} → 200 on {ticket_key} outside their scope")
            if ticket_key is not None and ticket_key in visible and status in (403, 404):
                problems.append(f"{role} GET {path} → {status} on {ticket_key} they may see")
    assert checked > 20, "the matrix checked too few URLs: is the URL walk broken?"
    assert not problems, "\n".join(problems)
