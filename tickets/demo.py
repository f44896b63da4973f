# ruff: noqa: E501 - the text bank keeps each sentence on one line, to read and translate it whole
"""The demo world of SPEC 6, tickets part: a minimal CMDB, ~200 tickets with a real history, and
``seed_bulk`` for benchmarks.

``seed`` plays about 200 ticket stories (every status, every pending reason, every comment
visibility, handoffs to Acme accepted, rejected, pending and handed back, reopenings, links,
decision records) THROUGH THE SERVICES, so the audit trail, the holdings and the domain events are
the ones real work would leave. Each step runs at its own moment of the past ~90 days
(``time_machine``): the steps of all stories are sorted by time and played in that order, so the
audit trail stays chronological and the SLA engine can later compute clocks from a believable
history (office hours in Madrid, weekends, P1s at night). A fixed random seed makes the demo the
same on every run, apart from being anchored to "now". A second run adds nothing: ``seed``
recognizes its tickets by their titles (``demo_titles``) and stops.

``seed_bulk`` is benchmark filler: rows written in batches (``COPY`` on PostgreSQL,
``bulk_create`` elsewhere) with holdings (a provider's visibility depends on them), some comments
and CI links, but no audit events, no domain events and no work logs. Do not read business
history out of bulk tickets.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from cmdb.demo import CIS
from cmdb.models import ConfigurationItem
from cogest.demo import DemoWorld
from tickets.choices import TYPE_PREFIX, Status, priority_for
from tickets.models import Comment, Ticket, TicketHolding
from tickets.numbering import reserve_values

log = logging.getLogger(__name__)

RANDOM_SEED = 20261124
DEMO_TICKETS = 200
HISTORY_DAYS = 90
SPANISH_SHARE = 0.6
MADRID = ZoneInfo("Europe/Madrid")

INC, REQ, PRB, CHG = "incident", "service_request", "problem", "change"


# --- Seeding the ticket history -------------------------------------------------------------


def seed(world: DemoWorld | None = None) -> DemoWorld:
    """The minimal CMDB and ~200 demo tickets with their history (idempotent)."""
    if world is None or not world.users:
        from cogest.demo import seed as seed_core

        world = seed_core(world)
    if not world.cis:
        from cmdb.demo import seed as seed_cmdb

        world = seed_cmdb(world)
    with transaction.atomic():
        plan = plan_stories(now=timezone.now(), world=world)
        if Ticket.objects.filter(title__in={story.title for story in plan}).exists():
            return world  # the demo tickets are there already: a second run adds nothing
        _play(plan, world)
    return world


def demo_titles(world: DemoWorld) -> set[str]:
    """The titles of the demo tickets (how ``seed`` recognizes that it ran before)."""
    return {story.title for story in plan_stories(now=timezone.now(), world=world)}


@dataclass
class Step:
    """One service call of a story, at its moment."""

    at: dt.datetime
    story: int
    order: int
    kind: str
    args: dict


@dataclass
class Story:
    """What happens to one demo ticket, from creation to its final status."""

    index: int
    scenario: Scenario
    lang: str
    final: str
    route: str
    title: str
    created_at: dt.datetime
    steps: list[Step] = field(default_factory=list)
    t: dt.datetime | None = None
    team: str = ""
    assignee: str = ""
    status: str = Status.NEW
    requester: str = "rita"
    pending_reason: str = ""
    impact: str = "medium"
    urgency: str = "medium"
    priority: int = 3
    duplicate: bool = False

    @property
    def urgent(self) -> bool:
        return self.priority == 1

    def then(self, delay: float, kind: str, office: bool = True, **args) -> Step:
        """Add a step ``delay`` minutes after the previous one, counted in Madrid office hours
        unless the ticket is urgent (P1s are worked around the clock) or ``office`` is off."""
        previous = self.t or self.created_at
        delay = dt.timedelta(minutes=max(1.0, delay))
        if office and not self.urgent:
            at = _office_add(previous, delay, self.index + len(self.steps))
        else:
            at = previous + delay
        step = Step(at=at, story=self.index, order=len(self.steps), kind=kind, args=args)
        self.steps.append(step)
        self.t = at
        return step

    def text(self, bank: dict[str, list[str]], rng: random.Random) -> str:
        return _fill(rng.choice(bank[self.lang]), self)

    @property
    def es(self) -> bool:
        return self.lang == "es"


def plan_stories(*, now: dt.datetime, world: DemoWorld) -> list[Story]:
    """The demo tickets' stories, decided by a fixed random seed (no database access)."""
    rng = random.Random(RANDOM_SEED)
    acme_start = world.engagements["acme"].starts_on if world.engagements else None
    horizon = HISTORY_DAYS
    if acme_start is not None:
        # Handoffs need the engagement active at the time they happen.
        horizon = max(7, min(horizon, (now.date() - acme_start).days - 1))
    end = now.replace(second=0, microsecond=0) - dt.timedelta(minutes=5)
    finals = _final_statuses(rng)
    stories: list[Story] = []
    for index, final in enumerate(finals):
        scenario = _pick_scenario(rng, final)
        lang = "es" if rng.random() < SPANISH_SHARE else "en"
        story = _story(index, scenario, lang, final, rng, end, horizon)
        stories.append(story)
    _add_links_and_decisions(stories, rng, end)
    return stories


def _final_statuses(rng: random.Random) -> list[str]:
    finals = (
        [Status.NEW] * 14
        + [Status.ASSIGNED] * 14
        + [Status.IN_PROGRESS] * 26
        + [
            (Status.PENDING, reason)
            for reason in ("requester", "provider", "change")
            for _ in range(8)
        ]
        + [Status.RESOLVED] * 28
        + [Status.CLOSED] * 82
        + [Status.CANCELLED] * 12
    )
    rng.shuffle(finals)
    return finals


def _pick_scenario(rng: random.Random, final) -> Scenario:
    kind = rng.choices([INC, REQ, PRB, CHG], weights=[60, 25, 7, 8])[0]
    if final == (Status.PENDING, "change"):
        kind = rng.choice([INC, REQ])  # waiting for a change is what incidents and requests do
    candidates = [s for s in SCENARIOS if s.type == kind]
    return rng.choice(candidates)


def _age_days(final, rng: random.Random, horizon: int) -> float:
    """How long ago a ticket with this final status was created."""
    status = final[0] if isinstance(final, tuple) else final
    ranges = {
        Status.NEW: (0.05, 3),
        Status.ASSIGNED: (0.2, 6),
        Status.IN_PROGRESS: (0.5, 20),
        Status.PENDING: (1, 25),
        Status.RESOLVED: (1, 6),
        Status.CLOSED: (6, horizon),
        Status.CANCELLED: (1, horizon),
    }
    low, high = ranges[status]
    return rng.uniform(low, min(high, horizon))


def _story(index, scenario, lang, final, rng, end, horizon) -> Story:
    pending_reason = ""
    if isinstance(final, tuple):
        final, pending_reason = final
    impact, urgency = scenario.impact, scenario.urgency
    if rng.random() < 0.3:
        impact = rng.choice(["high", "medium", "low"])
    if rng.random() < 0.3:
        urgency = rng.choice(["high", "medium", "low"])
    priority = priority_for(impact, urgency)
    age = dt.timedelta(days=_age_days(final, rng, horizon))
    route = _route(scenario, final, rng)
    # The story's last step lands somewhere in a recent window (spread, not piled up at "now").
    latest = end - dt.timedelta(days=rng.uniform(0, LAST_STEP_WINDOW_DAYS[final]))
    story_seed = rng.random()
    texts = scenario.es if lang == "es" else scenario.en
    # Whatever the delays add up to, the story ends in the past: start it earlier until it fits.
    earlier = dt.timedelta(0)
    around_the_clock = scenario.source == "monitoring" or priority == 1
    for _attempt in range(60):
        if around_the_clock:
            created = end - age - earlier
        else:  # people open tickets when they work: the age counts office time (10 h a day)
            created = _office_sub(end, (age + earlier) * (5 / 7) * (10 / 24))
        story = Story(
            index=index,
            scenario=scenario,
            lang=lang,
            final=final,
            route=route,
            title="",
            created_at=created,
            pending_reason=pending_reason,
            impact=impact,
            urgency=urgency,
            priority=priority,
        )
        story.title = _fill(texts[0], story)
        _write_story(story, random.Random(story_seed))
        overflow = story.steps[-1].at - latest
        if overflow <= dt.timedelta(0):
            return story
        # Office-time stories count their age in office hours (10 h a day, 5 days a week): move
        # the start back by the overflow in those terms, or it creeps back too slowly to fit.
        step = overflow + dt.timedelta(minutes=30)
        earlier += step if around_the_clock else step * (7 / 5) * (24 / 10)
    # Office hours can pin the last steps (a start moved within a weekend changes nothing
    # after it): then the whole story moves back as it is, every moment by the same amount.
    shift = story.steps[-1].at - latest + dt.timedelta(minutes=30)
    story.created_at -= shift
    for step in story.steps:
        step.at -= shift
    if story.t is not None:
        story.t -= shift
    return story


# Days before now within which a story with this final status takes its last step.
LAST_STEP_WINDOW_DAYS = {
    Status.NEW: 0.3,
    Status.ASSIGNED: 3,
    Status.IN_PROGRESS: 6,
    Status.PENDING: 10,
    Status.RESOLVED: 5,
    Status.CLOSED: 3,
    Status.CANCELLED: 3,
}


def _route(scenario, final, rng: random.Random) -> str:
    """Who works the ticket: Service Desk alone, Internal Systems, or Acme (directly, through a
    handoff accepted, rejected, pending or handed back), or the shadow desk."""
    area, level = scenario.area, scenario.level
    if area in ("networks", "cybersecurity"):
        if level != "L1" and scenario.type in (PRB, CHG) and rng.random() < 0.4:
            return "acme_creates"
        if level != "L1" and rng.random() < 0.35:
            return "acme_direct"
        options = ["handoff_ok"] * 5 + ["handoff_rejected"] * 2 + ["handed_back"] * 2
        if final in (Status.ASSIGNED, Status.IN_PROGRESS):
            options += ["handoff_pending"] * 3
        if final in (Status.NEW, Status.CANCELLED) and rng.random() < 0.7:
            return "desk"
        return rng.choice(options)
    if level != "L1" or (area in ("systems", "devices") and rng.random() < 0.25):
        return "sys"
    if final in (Status.CLOSED, Status.RESOLVED) and rng.random() < 0.06:
        return "shadow"
    return "desk"


HOME_TEAM = {"desk": "service-desk", "sys": "internal-systems"}
MEMBERS = {
    "service-desk": ["ana", "ana", "marta"],
    "internal-systems": ["ivan", "ivan", "marta"],
    "acme-networks": ["pablo", "pablo", "lucia"],
    "acme-security": ["lucia"],
    "shadow-desk": ["sam"],
}
ACME_TEAM = {"networks": "acme-networks", "cybersecurity": "acme-security"}


def _write_story(story: Story, rng: random.Random) -> None:  # noqa: C901 - a story reads top-down
    """Decide every step of a story, keeping track of team, assignee and status as they go."""
    sc, final = story.scenario, story.final
    acme_team = ACME_TEAM.get(sc.area, "acme-networks")
    minutes = _delays(story.priority, rng)

    # -- creation ---------------------------------------------------------------------------
    create = {
        "type": sc.type,
        "title": story.title,
        "description": _fill(_texts(story)[1], story),
        "functional_area": sc.area,
        "support_level": sc.level,
        "impact": story.impact,
        "urgency": story.urgency,
        "cis": list(sc.cis),
    }
    route = story.route
    if route == "acme_creates":
        # Acme proposes the work itself; it links only the CIs it manages (all it can see).
        creator = "lucia" if acme_team == "acme-security" else rng.choice(["pablo", "lucia"])
        story.requester, story.team = creator, acme_team
        create.update(by=creator, team=acme_team, source="portal")
        create["cis"] = [tag for tag in sc.cis if CIS[tag][4] == "acme"]
    elif sc.source == "monitoring":
        story.requester, story.team = "ivan", _matrix_team(sc)
        create.update(by="ivan", source="monitoring")
    elif sc.type in (PRB, CHG):
        creator = rng.choice(["ivan", "marta", "ana"])
        story.requester = creator
        story.team = acme_team if route == "acme_direct" else "internal-systems"
        create.update(by=creator, team=story.team, source="web")
    elif sc.level == "L1" and rng.random() < 0.55:
        # Rita uses the portal: no team, no CIs, the matrix routes it.
        create.update(by="rita", source="web", cis=[])
        story.team = _matrix_team(sc)
    else:
        creator = rng.choice(["ana", "ana", "marta"])
        story.requester = "rita" if rng.random() < 0.75 else rng.choice(["ivan", "marta"])
        create.update(by=creator, requester=story.requester, source=rng.choice(["email", "web"]))
        if route == "acme_direct":
            create["team"] = acme_team
        elif route.startswith("hand") or route == "shadow":
            create["team"] = "service-desk"  # the desk registers it, then hands it over
        elif route == "sys" and sc.level != "L1":
            create["team"] = "internal-systems"
        story.team = create.get("team") or _matrix_team(sc)
    # Whoever holds it first decides what can happen next.
    if story.team in ACME_TEAM.values() and route != "acme_creates":
        route = "acme_direct"
    elif route == "shadow" and story.team != "service-desk":
        route = "desk"
    story.route = route
    story.steps.append(Step(story.created_at, story.index, 0, "create", create))
    story.t = story.created_at
    by_rita = create["by"] == "rita"

    if final == Status.NEW:
        if by_rita and rng.random() < 0.4:
            story.then(
                minutes["triage"] * 2,
                "comment",
                by="rita",
                visibility="public",
                body=story.text(REQUESTER_NUDGE, rng),
            )
        return
    if final == Status.CANCELLED and rng.random() < 0.5:
        _cancel(story, rng, minutes, early=True)
        return

    # -- triage: the holding team takes it ------------------------------------------------------
    owner = rng.choice(MEMBERS[story.team])
    if by_rita and sc.cis:
        story.then(minutes["triage"] * 0.5, "cis", by="ana", cis=list(sc.cis))
    story.then(minutes["triage"], "assign", by=owner, assignee=owner)
    story.assignee, story.status = owner, Status.ASSIGNED
    if story.requester == "rita":
        story.then(3, "comment", by=owner, visibility="public", body=story.text(FIRST_ANSWER, rng))
    if final == Status.ASSIGNED:
        return
    if final == Status.CANCELLED:
        _cancel(story, rng, minutes)
        return

    # -- first line works it, then escalates ------------------------------------------------------
    story.then(minutes["start"], "move", by=owner, to=Status.IN_PROGRESS)
    story.status = Status.IN_PROGRESS
    if story.team == "service-desk":
        story.then(
            minutes["work"],
            "comment",
            by=owner,
            visibility="internal",
            body=_fill(_texts(story)[2], story),
        )
        story.then(
            2,
            "work",
            by=owner,
            minutes=rng.choice([10, 15, 20, 30]),
            description=story.text(WORK_DESK, rng),
            billable=False,
        )

    if story.route == "sys" and story.team == "service-desk":
        story.then(minutes["escalate"], "assign", by=owner, team="internal-systems")
        story.team, story.assignee = "internal-systems", ""
        owner = rng.choice(MEMBERS["internal-systems"])
        story.then(minutes["triage"], "assign", by=owner, assignee=owner)
        story.assignee = owner
    elif story.route == "shadow":
        summary = story.text(SHADOW_SUMMARY, rng)
        story.then(
            minutes["escalate"],
            "handoff",
            office=False,
            by=owner,
            team="shadow-desk",
            summary=summary,
            checklist=_checklist(story, rng),
        )
        story.then(rng.uniform(5, 40), "accept", office=False, by="sam")
        story.team, owner = "shadow-desk", "sam"
        story.assignee = owner
    elif story.route.startswith("hand"):
        owner = _handoff(story, rng, minutes, owner, acme_team)
        if owner is None:  # still waiting for Acme to accept
            return

    # -- the holding team works it ----------------------------------------------------------------
    provider = story.team.startswith(("acme", "shadow"))
    story.then(
        minutes["work"],
        "comment",
        by=owner,
        visibility="shared" if provider or rng.random() < 0.3 else "internal",
        body=story.text(ACME_SHARED if provider else STAFF_NOTE, rng),
    )
    if provider and rng.random() < 0.4:
        story.then(
            5, "comment", by=owner, visibility="internal", body=story.text(ACME_INTERNAL, rng)
        )
    story.then(
        3,
        "work",
        by=owner,
        minutes=rng.choice([15, 30, 45, 60, 90, 120]),
        description=story.text(WORK_PROVIDER if provider else WORK_DESK, rng),
        billable=provider and rng.random() < 0.85,
    )

    pending = story.pending_reason or (
        rng.random() < 0.3 and rng.choice(["requester", "provider", "change"])
    )
    if pending:
        _pending(story, rng, minutes, owner, pending)
        if final == Status.PENDING:
            return
        story.then(minutes["pause"], "move", by=owner, to=Status.IN_PROGRESS)
    if final == Status.IN_PROGRESS:
        if rng.random() < 0.5:
            story.then(
                minutes["work"],
                "comment",
                by=owner,
                visibility="public" if story.requester == "rita" else "shared",
                body=story.text(PROGRESS, rng),
            )
        return
    if final == Status.CANCELLED:
        _cancel(story, rng, minutes)
        return

    # -- resolution, maybe a reopening, and closure ---------------------------------------------
    _resolve(story, rng, minutes, owner)
    if final == Status.CLOSED and story.requester == "rita" and rng.random() < 0.12:
        story.then(
            rng.uniform(60 * 3, 60 * 30),
            "comment",
            by="rita",
            visibility="public",
            body=story.text(REOPEN_ASK, rng),
        )
        story.then(minutes["triage"], "move", by=owner, to=Status.IN_PROGRESS)
        story.then(
            minutes["work"],
            "work",
            by=owner,
            minutes=rng.choice([20, 30, 45]),
            description=story.text(WORK_DESK, rng),
            billable=provider,
        )
        _resolve(story, rng, minutes, owner)
    if final == Status.CLOSED:
        closer = rng.choice(["ana", "marta"])
        story.then(rng.uniform(60 * 24, 60 * 24 * 4), "move", by=closer, to=Status.CLOSED)


def _handoff(story, rng, minutes, owner, acme_team) -> str | None:
    """The internal team hands the ticket to Acme; returns who works it next (None: waiting)."""
    home = story.team
    checklist = _checklist(story, rng)
    summary = _fill(_texts(story)[2], story)
    route = story.route
    story.then(
        minutes["escalate"],
        "comment",
        by=owner,
        visibility="shared",
        body=story.text(STAFF_SHARED, rng),
    )
    story.then(
        2,
        "handoff",
        by=owner,
        team=acme_team,
        summary=summary,
        checklist={} if route == "handoff_rejected" else checklist,
    )
    story.team, story.assignee = acme_team, ""
    if route == "handoff_pending":
        return None
    acme = rng.choice(MEMBERS[acme_team])
    if route == "handoff_rejected":
        story.then(minutes["accept"], "reject", by=acme, reason=story.text(REJECT_REASONS, rng))
        story.team = home
        story.then(minutes["triage"], "assign", by=owner, assignee=owner)
        story.assignee = owner
        if rng.random() < 0.5:
            return owner  # the desk solves it after all
        story.then(
            minutes["work"],
            "comment",
            by=owner,
            visibility="shared",
            body=story.text(STAFF_SHARED, rng),
        )
        story.then(2, "handoff", by=owner, team=acme_team, summary=summary, checklist=checklist)
        story.team, story.assignee = acme_team, ""
    story.then(minutes["accept"], "accept", by=acme)
    story.assignee = acme
    if route == "handed_back":
        story.then(
            minutes["work"],
            "comment",
            by=acme,
            visibility="shared",
            body=story.text(ACME_SHARED, rng),
        )
        story.then(
            3,
            "work",
            by=acme,
            minutes=rng.choice([30, 45, 60]),
            description=story.text(WORK_PROVIDER, rng),
            billable=True,
        )
        story.then(
            minutes["work"],
            "handoff",
            by=acme,
            team=home,
            summary=story.text(HAND_BACK, rng),
            checklist={"steps_tried": [story.text(WORK_PROVIDER, rng)], "evidence": "NOC"},
        )
        story.then(minutes["accept"], "accept", by=owner)
        story.team, story.assignee = home, owner
        return owner
    return acme


def _pending(story, rng, minutes, owner, reason) -> None:
    if reason == "requester":
        visibility = "public" if story.requester == "rita" else "shared"
        story.then(
            minutes["work"],
            "comment",
            by=owner,
            visibility=visibility,
            body=story.text(ASK_REQUESTER, rng),
        )
    elif reason == "provider":
        story.then(
            minutes["work"],
            "comment",
            by=owner,
            visibility="shared",
            body=story.text(WAIT_PROVIDER, rng),
        )
    else:
        story.then(
            minutes["work"],
            "comment",
            by=owner,
            visibility="shared",
            body=story.text(WAIT_CHANGE, rng),
        )
    story.then(2, "move", by=owner, to=Status.PENDING, pending_reason=reason)
    if reason == "requester" and story.requester == "rita" and story.final != Status.PENDING:
        story.then(
            minutes["pause"] * 0.8,
            "comment",
            by="rita",
            visibility="public",
            body=story.text(REQUESTER_REPLY, rng),
        )


def _resolve(story, rng, minutes, owner) -> None:
    code = {
        INC: ["fixed"] * 6 + ["workaround", "no_fault", "user_error"],
        REQ: ["fulfilled"],
        PRB: ["fixed", "workaround"],
        CHG: ["fixed"],
    }[story.scenario.type]
    story.then(
        minutes["resolve"],
        "move",
        by=owner,
        to=Status.RESOLVED,
        resolution=_fill(_texts(story)[3], story),
        resolution_code=rng.choice(code),
    )
    if story.requester == "rita" and rng.random() < 0.6:
        story.then(
            rng.uniform(20, 300),
            "comment",
            by="rita",
            visibility="public",
            body=story.text(THANKS, rng),
        )


def _cancel(story, rng, minutes, early: bool = False) -> None:
    agent = rng.choice(["ana", "marta"])
    if rng.random() < 0.5 and story.requester == "rita" and story.status != Status.PENDING:
        story.then(
            minutes["triage"],
            "comment",
            by="rita",
            visibility="public",
            body=story.text(WITHDRAWN, rng),
        )
        story.then(minutes["triage"], "move", by=agent, to=Status.CANCELLED)
    else:
        story.duplicate = True  # linked to an earlier ticket of the same kind, if there is one
        story.then(
            minutes["triage"],
            "comment",
            by=agent,
            visibility="public" if story.requester == "rita" else "shared",
            body=story.text(DUPLICATE, rng),
        )
        story.then(2, "move", by=agent, to=Status.CANCELLED)


def _checklist(story, rng) -> dict:
    return {
        "steps_tried": [story.text(WORK_DESK, rng), _fill(_texts(story)[2], story)],
        "evidence": rng.choice(
            ["traceroute + logs", "capturas del usuario", "screenshots", "FW logs 09:00–11:00"]
        ),
        "affected_cis": [CIS[tag][0] for tag in story.scenario.cis],
        "impact": {"high": "many users", "medium": "one team", "low": "one user"}[story.impact],
    }


def _delays(priority: int, rng: random.Random) -> dict[str, float]:
    """Minutes between steps, by priority; lognormal, so a few take much longer (breaches)."""
    scale = {1: 0.15, 2: 0.5, 3: 1.0, 4: 1.6}[priority]

    def draw(median: float) -> float:
        return median * scale * rng.lognormvariate(0, 0.7)

    return {
        "triage": draw(25),
        "start": draw(40),
        "work": draw(120),
        "escalate": draw(60),
        "accept": draw(35),
        "pause": draw(60 * 20),
        "resolve": draw(60 * 6),
    }


def _matrix_team(scenario) -> str:
    if scenario.level == "L1":
        return "service-desk"
    if scenario.area in ACME_TEAM:
        return ACME_TEAM[scenario.area]
    if scenario.area in ("systems", "devices"):
        return "internal-systems"
    return "service-desk"  # no L2 rule for the area: the matrix falls back to first level


def _add_links_and_decisions(stories: list[Story], rng: random.Random, end: dt.datetime) -> None:
    """Duplicates point at an earlier ticket of the same scenario; incidents are caused by
    changes; problems are parents of incidents; a few decisions record what was agreed."""
    by_key: dict[str, list[Story]] = {}
    for story in sorted(stories, key=lambda s: s.created_at):
        by_key.setdefault(story.scenario.key, []).append(story)

    def earlier(keys, story) -> Story | None:
        found = [s for key in keys for s in by_key.get(key, []) if s.created_at < story.created_at]
        return max(found, key=lambda s: s.created_at) if found else None

    for story in stories:
        if story.duplicate:
            target = earlier([story.scenario.key], story)
            if target is not None:
                _link_step(story, target, "duplicate_of", "marta", end)
        if story.scenario.caused_by and rng.random() < 0.7:
            target = earlier(story.scenario.caused_by, story)
            if target is not None:
                _link_step(story, target, "caused_by", "ivan", end)
        if story.scenario.type == PRB:
            children = [
                s
                for key in story.scenario.children
                for s in by_key.get(key, [])
                if s is not story and s.created_at < story.steps[-1].at
            ][:4]
            for child in children:
                _link_step(story, child, "parent_of", "ivan", end)
    for decision in DECISIONS:
        related = [s for s in stories if s.scenario.key in decision["scenarios"]]
        if CIS_PARTY.get(decision["by"]) == "acme":
            # A provider links only tickets its teams held from the start.
            related = [s for s in related if s.route in ("acme_creates", "acme_direct")]
        related = related[:3]
        if not related:
            continue
        anchor = max(related, key=lambda s: s.created_at)
        at = min(anchor.created_at + dt.timedelta(hours=2), end)
        anchor.steps.append(
            Step(
                at,
                anchor.index,
                10_000 + len(anchor.steps),
                "decision",
                {**decision, "stories": [s.index for s in related]},
            )
        )


def _link_step(source: Story, target: Story, kind: str, by: str, end: dt.datetime) -> None:
    both = max(source.created_at, target.created_at)
    at = max(min(both + dt.timedelta(minutes=30), end), both + dt.timedelta(minutes=1))
    if kind == "duplicate_of":
        at = source.steps[-1].at - dt.timedelta(minutes=1)
    # Links come after the source's own creation and are ordered after its steps at that moment.
    source.steps.append(
        Step(
            at,
            source.index,
            10_000 + len(source.steps),
            "link",
            {"by": by, "kind": kind, "target": target.index},
        )
    )


def _office_hours(at: dt.datetime, salt: int) -> dt.datetime:
    """Move a moment into Madrid office hours (Mon–Fri 08:00–18:00, Spanish holidays off)."""
    local = at.astimezone(MADRID)
    jitter = dt.timedelta(minutes=(salt * 7919) % 50)
    for _ in range(20):
        if local.weekday() < 5 and local.date() not in _SPANISH_HOLIDAYS and 8 <= local.hour < 18:
            return local.astimezone(dt.UTC)
        if local.hour < 8 and local.weekday() < 5 and local.date() not in _SPANISH_HOLIDAYS:
            local = local.replace(hour=8, minute=0) + jitter
        else:
            nxt = (local + dt.timedelta(days=1)).date()
            local = dt.datetime.combine(nxt, dt.time(8), MADRID) + jitter
    return local.astimezone(dt.UTC)


def _office_sub(end: dt.datetime, delay: dt.timedelta) -> dt.datetime:
    """The moment ``delay`` of Madrid office time before ``end``."""
    local = end.astimezone(MADRID)
    for _ in range(2000):
        if local.weekday() >= 5 or local.date() in _SPANISH_HOLIDAYS or local.hour < 8:
            previous = (local - dt.timedelta(days=1)).date()
            local = dt.datetime.combine(previous, dt.time(18), MADRID)
            continue
        local = min(local, local.replace(hour=18, minute=0, second=0, microsecond=0))
        opening = local.replace(hour=8, minute=0, second=0, microsecond=0)
        if local - delay >= opening:
            return (local - delay).astimezone(dt.UTC)
        delay -= local - opening
        local = opening - dt.timedelta(minutes=1)
    return local.astimezone(dt.UTC)  # pragma: no cover - years of office time


def _office_add(start: dt.datetime, delay: dt.timedelta, salt: int) -> dt.datetime:
    """``delay`` of office time after ``start``: what does not fit before 18:00 goes on at
    08:00 of the next working day."""
    at = _office_hours(start, salt)
    for _ in range(400):
        local = at.astimezone(MADRID)
        closing = local.replace(hour=18, minute=0, second=0, microsecond=0)
        if local + delay <= closing:
            return (local + delay).astimezone(dt.UTC)
        delay -= closing - local
        at = _office_hours(closing + dt.timedelta(hours=14), 0)  # the next opening, 08:00
    return at  # pragma: no cover - more than a year of office time


class _Holidays:
    """Spain's national holidays, loaded lazily (the ``holidays`` package)."""

    def __init__(self):
        self._days = None

    def __contains__(self, day: dt.date) -> bool:
        if self._days is None:
            import holidays

            year = timezone.now().year
            self._days = holidays.country_holidays("ES", years=range(year - 2, year + 2))
        return day in self._days


_SPANISH_HOLIDAYS = _Holidays()


def _texts(story: Story) -> tuple[str, str, str, str]:
    return story.scenario.es if story.es else story.scenario.en


CIS_PARTY = {"pablo": "acme", "lucia": "acme", "sam": "shadow"}
NAMES = {
    "rita": "Rita",
    "ivan": "Iván",
    "marta": "Marta",
    "ana": "Ana",
    "pablo": "Pablo",
    "lucia": "Lucía",
}


def _fill(text: str, story: Story | None) -> str:
    name = NAMES.get(story.requester, "") if story else ""
    floor = 3 if story is None else 1 + story.index % 5
    return text.replace("{name}", name).replace("{floor}", str(floor))


# --- Playing the stories through the services -----------------------------------------------


def _play(stories: list[Story], world: DemoWorld) -> None:
    try:
        import time_machine
    except ImportError as exc:  # a dev dependency; production images seed without history
        raise RuntimeError(
            "The ticket demo travels in time to write a believable history: "
            "pip install time-machine (it is in the [dev] extra)."
        ) from exc
    steps = sorted(
        (step for story in stories for step in story.steps),
        key=lambda s: (s.at, s.story, s.order),
    )
    play = _Player(world, {story.index: story for story in stories})
    for step in steps:
        with time_machine.travel(step.at, tick=False):
            play(step)


class _Player:
    """Runs one step with the matching service; remembers which ticket each story created."""

    def __init__(self, world: DemoWorld, stories: dict[int, Story]):
        self.world = world
        self.stories = stories
        self.tickets: dict[int, int] = {}
        self.cis = world.cis

    def __call__(self, step: Step) -> None:
        from tickets import services

        args = dict(step.args)
        by = self.world.users[args.pop("by")] if "by" in args else None
        ticket = self.tickets.get(step.story)
        kind = step.kind
        if kind == "create":
            args["team"] = self.world.teams[args["team"]] if args.get("team") else None
            if args.get("requester"):
                args["requester"] = self.world.users[args["requester"]]
            args["cis"] = [self.cis[tag] for tag in args.get("cis", [])]
            self.tickets[step.story] = services.ticket_create(by=by, **args).pk
        elif kind == "cis":
            services.ticket_update(ticket=ticket, by=by, cis=[self.cis[t] for t in args["cis"]])
        elif kind == "assign":
            if "team" in args:
                args["team"] = self.world.teams[args["team"]]
            if "assignee" in args:
                args["assignee"] = self.world.users[args["assignee"]]
            services.ticket_assign(ticket=ticket, by=by, **args)
        elif kind == "move":
            services.ticket_transition(ticket=ticket, by=by, **args)
        elif kind == "comment":
            services.comment_add(ticket=ticket, by=by, **args)
        elif kind == "work":
            services.worklog_add(ticket=ticket, by=by, **args)
        elif kind == "handoff":
            args["team"] = self.world.teams[args["team"]]
            services.ticket_handoff(ticket=ticket, by=by, **args)
        elif kind == "accept":
            services.handoff_accept(ticket=ticket, by=by)
        elif kind == "reject":
            services.handoff_reject(ticket=ticket, by=by, **args)
        elif kind == "link":
            services.ticket_link(
                source=ticket, target=self.tickets[args["target"]], kind=args["kind"], by=by
            )
        elif kind == "decision":
            services.decision_record_create(
                by=by,
                title=args["title"],
                context=args["context"],
                options=args["options"],
                decision=args["decision"],
                party=self.world.organizations[args["party"]],
                engagement=self.world.engagements["acme"] if args["party"] == "acme" else None,
                tickets=[self.tickets[i] for i in args["stories"]],
                cis=[self.cis[tag] for tag in args["cis"]],
            )
        else:  # pragma: no cover - a typo in the plan
            raise ValueError(f"Unknown demo step {kind!r}")


# --- Bulk tickets for benchmarks -------------------------------------------------------------

BULK_BATCH = 5_000
BULK_DAYS = 365
# status: share of bulk tickets (%)
BULK_STATUSES = {
    Status.NEW: 3,
    Status.ASSIGNED: 4,
    Status.IN_PROGRESS: 8,
    Status.PENDING: 5,
    Status.RESOLVED: 5,
    Status.CLOSED: 70,
    Status.CANCELLED: 5,
}
BULK_COMMENT_SHARE = 0.3
BULK_CI_SHARE = 0.5
OPEN = (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.PENDING)
TICKET_COLUMNS = [
    "id", "number", "type", "title", "description", "status", "impact", "urgency", "priority",
    "functional_area", "support_level", "team_id", "assignee_id", "requester_id", "engagement_id",
    "source", "pending_reason", "resolution_code", "resolution", "reopen_count", "created_by_id",
    "created_at", "updated_at", "first_response_at", "resolved_at", "closed_at", "version",
]  # fmt: skip
HOLDING_COLUMNS = ["ticket_id", "team_id", "organization_id", "started_at", "ended_at"]
COMMENT_COLUMNS = [
    "ticket_id", "author_id", "author_organization_id", "body", "visibility", "created_at",
]  # fmt: skip


def seed_bulk(
    n: int,
    world: DemoWorld,
    *,
    batch_size: int = BULK_BATCH,
    progress: Callable[[str], None] | None = None,
) -> int:
    """Add ``n`` realistic tickets fast (benchmark filler: see the module docstring).

    Statuses, priorities, areas, teams and assignees follow a plausible mix over the past year;
    each ticket has its holdings (who held it: a provider sees exactly those), a third have
    comments of every visibility, half name an affected CI. Batches of ``batch_size`` commit one
    by one. PostgreSQL loads them with ``COPY`` (ids drawn from the table's sequence, numbers
    from ``reserve_values``), on two connections at once when no transaction is open (the
    database does most of the work, and it has more than one core); other databases, or a
    caller's open transaction, get ``bulk_create`` or ``COPY`` on this connection. Returns the
    number added.
    """
    postgres = connection.vendor == "postgresql"
    plan = _BulkPlan(world)
    salt = RANDOM_SEED + Ticket.objects.count()  # a second call adds different tickets
    sizes = [min(batch_size, n - start) for start in range(0, n, batch_size)]
    started = time.monotonic()
    done = [0]
    lock = threading.Lock()

    def load(index: int, size: int) -> None:
        batch = plan.batch(size, random.Random(salt * 100_003 + index))
        with transaction.atomic():
            if postgres:
                # Filler: a crash may lose the last batches, never corrupt them.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
                _write_copy(batch)
            else:
                _write_bulk_create(batch)
        with lock:
            done[0] += size
            message = f"bulk tickets: {done[0]}/{n} in {time.monotonic() - started:.1f} s"
        log.info(message)
        if progress:
            progress(message)

    if postgres and not connection.in_atomic_block and len(sizes) > 1:
        _in_threads(load, list(enumerate(sizes)), workers=BULK_CONNECTIONS)
    else:
        for index, size in enumerate(sizes):
            load(index, size)
    return done[0]


BULK_CONNECTIONS = 3


def _in_threads(work: Callable[[int, int], None], jobs: list[tuple[int, int]], workers: int):
    """Run ``work(*job)`` for every job on ``workers`` threads, each with its own connection;
    the first error stops them all and is raised."""
    pending: queue.SimpleQueue = queue.SimpleQueue()
    for job in jobs:
        pending.put(job)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            while not errors:
                try:
                    job = pending.get_nowait()
                except queue.Empty:
                    return
                work(*job)
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


@dataclass
class _BulkTicket:
    """One bulk ticket before it is written: its columns and what hangs from it."""

    row: dict
    holdings: list[tuple] = field(default_factory=list)  # (team, organization, start, end)
    comments: list[tuple] = field(default_factory=list)  # COMMENT_COLUMNS without ticket_id
    cis: tuple[int, ...] = ()


def _numbered(batch: list[_BulkTicket]) -> None:
    by_prefix: dict[str, list[_BulkTicket]] = {}
    for ticket in batch:
        by_prefix.setdefault(TYPE_PREFIX[ticket.row["type"]], []).append(ticket)
    for prefix, tickets in by_prefix.items():
        for ticket, value in zip(tickets, reserve_values(prefix, len(tickets)), strict=True):
            ticket.row["number"] = f"{prefix}-{value:06d}"


def _write_copy(batch: list[_BulkTicket]) -> None:
    """PostgreSQL: ``COPY`` the tickets with ids drawn from their sequence, then the rows that
    point at them."""
    _numbered(batch)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('tickets_ticket', 'id')) "
            "FROM generate_series(1, %s)",
            [len(batch)],
        )
        for ticket, (pk,) in zip(batch, cursor.fetchall(), strict=True):
            ticket.row["id"] = pk
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        with raw.copy(f"COPY tickets_ticket ({', '.join(TICKET_COLUMNS)}) FROM STDIN") as copy:
            for ticket in batch:
                row = ticket.row
                copy.write_row([row[c] for c in TICKET_COLUMNS])
        with raw.copy(
            f"COPY tickets_ticketholding ({', '.join(HOLDING_COLUMNS)}) FROM STDIN"
        ) as copy:
            for ticket in batch:
                for holding in ticket.holdings:
                    copy.write_row((ticket.row["id"], *holding))
        with raw.copy(f"COPY tickets_comment ({', '.join(COMMENT_COLUMNS)}) FROM STDIN") as copy:
            for ticket in batch:
                for comment in ticket.comments:
                    copy.write_row((ticket.row["id"], *comment))
        through = Ticket.cis.through._meta.db_table
        with raw.copy(f"COPY {through} (ticket_id, configurationitem_id) FROM STDIN") as copy:
            for ticket in batch:
                for ci in ticket.cis:
                    copy.write_row((ticket.row["id"], ci))


def _write_bulk_create(batch: list[_BulkTicket]) -> None:
    """Other databases: ``bulk_create`` (the ids come back from the insert)."""
    _numbered(batch)
    tickets = [Ticket(**{k: v for k, v in t.row.items() if k != "id"}) for t in batch]
    with _timestamps_as_given(Ticket):
        Ticket.objects.bulk_create(tickets)
    holdings, comments, links = [], [], []
    through = Ticket.cis.through
    for bulk, ticket in zip(batch, tickets, strict=True):
        holdings += [TicketHolding(ticket_id=ticket.pk, team_id=team, organization_id=org,
                                   started_at=start, ended_at=end)
                     for team, org, start, end in bulk.holdings]  # fmt: skip
        comments += [Comment(ticket_id=ticket.pk, **dict(zip(COMMENT_COLUMNS[1:], c, strict=True)))
                     for c in bulk.comments]  # fmt: skip
        links += [through(ticket_id=ticket.pk, configurationitem_id=ci) for ci in bulk.cis]
    TicketHolding.objects.bulk_create(holdings)
    Comment.objects.bulk_create(comments)
    through.objects.bulk_create(links)


@contextmanager
def _timestamps_as_given(model) -> Iterator[None]:
    """``bulk_create`` stamps ``auto_now``/``auto_now_add`` fields with the current time; bulk
    filler needs the history it was given, so switch them off meanwhile (this process only)."""
    fields = [
        f
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    try:
        for f in fields:
            f.auto_now = f.auto_now_add = False
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


class _BulkPlan:
    """What bulk rows may contain (teams, members, organizations, CIs, texts) and how they mix."""

    def __init__(self, world: DemoWorld):
        self.now = timezone.now()
        self.teams = {slug: (t.pk, t.organization_id) for slug, t in world.teams.items()}
        self.members = {
            slug: [world.users[u].pk for u in dict.fromkeys(names)]
            for slug, names in MEMBERS.items()
        }
        self.user = {name: u.pk for name, u in world.users.items()}
        self.org = {slug: o.pk for slug, o in world.organizations.items()}
        self.engagement = {
            "acme-networks": world.engagements["acme"].pk,
            "acme-security": world.engagements["acme"].pk,
            "shadow-desk": world.engagements["shadow"].pk,
        }
        cis = getattr(world, "cis", None) or {
            ci.asset_tag: ci for ci in ConfigurationItem.objects.exclude(asset_tag="")
        }
        self.ci_ids = {tag: ci.pk for tag, ci in cis.items()}
        self.statuses = list(BULK_STATUSES)
        self.status_weights = list(BULK_STATUSES.values())
        # The texts of every scenario in both languages, prepared once.
        self.texts = [
            (scenario, lang, scenario.es if lang == "es" else scenario.en)
            for scenario in SCENARIOS
            for lang in ("es", "en")
        ]
        self.text_weights = [SPANISH_SHARE if lang == "es" else 1 - SPANISH_SHARE for _, lang, _ in self.texts]  # fmt: skip

    def batch(self, size: int, rng: random.Random) -> list[_BulkTicket]:
        return [self.ticket(rng) for _ in range(size)]

    def ticket(self, rng: random.Random) -> _BulkTicket:  # noqa: C901 - one row, read top-down
        status = rng.choices(self.statuses, self.status_weights)[0]
        scenario, lang, texts = rng.choices(self.texts, self.text_weights)[0]
        is_open = status in OPEN
        created = self.now - dt.timedelta(
            days=rng.uniform(0.01, 30) if is_open else rng.uniform(1, BULK_DAYS)
        )
        impact = scenario.impact if rng.random() < 0.7 else rng.choice(LEVELS)
        urgency = scenario.urgency if rng.random() < 0.7 else rng.choice(LEVELS)
        priority = priority_for(impact, urgency)
        # Who held it: the matrix team, and for some a second team after an escalation.
        chain = [_matrix_team(scenario)]
        if chain[0] == "service-desk":
            roll = rng.random()
            if scenario.area in ACME_TEAM and roll < 0.5:
                chain.append(ACME_TEAM[scenario.area])
            elif scenario.area in ("systems", "devices") and roll < 0.3:
                chain.append("internal-systems")
            elif roll > 0.97:
                chain.append("shadow-desk")
        team = chain[-1]
        hours = rng.lognormvariate(2.5, 1.2) * PRIORITY_PACE[priority]
        duration = dt.timedelta(hours=hours)
        resolved_at = closed_at = None
        if status in (Status.RESOLVED, Status.CLOSED):
            resolved_at = min(created + duration, self.now - dt.timedelta(minutes=1))
        if status == Status.CLOSED:
            closed_at = min(resolved_at + dt.timedelta(days=rng.uniform(1, 5)), self.now)
        ended_at = closed_at
        if status == Status.CANCELLED:
            ended_at = min(created + duration / 4, self.now)
        updated = ended_at or resolved_at or min(created + duration / 3, self.now)
        requester = (
            self.user["rita"] if rng.random() < 0.7 else self.user[rng.choice(INTERNAL_STAFF)]
        )
        floor = str(rng.randint(1, 5))
        row = {
            "id": None,
            "number": "",
            "type": scenario.type,
            "title": f"{texts[0]} · {_bulk_detail(scenario, rng)}".replace("{floor}", floor)[:200],
            "description": texts[1].replace("{floor}", floor),
            "status": status,
            "impact": impact,
            "urgency": urgency,
            "priority": priority,
            "functional_area": scenario.area,
            "support_level": scenario.level,
            "team_id": self.teams[team][0],
            "assignee_id": rng.choice(self.members[team]) if status != Status.NEW else None,
            "requester_id": requester,
            "engagement_id": self.engagement.get(team),
            "source": "monitoring" if scenario.source == "monitoring" else rng.choice(SOURCES),
            "pending_reason": rng.choice(PENDING) if status == Status.PENDING else "",
            "resolution_code": ("fulfilled" if scenario.type == REQ else "fixed")
            if resolved_at
            else "",
            "resolution": texts[3] if resolved_at else "",
            "reopen_count": 0,
            "created_by_id": requester,
            "created_at": created,
            "updated_at": updated,
            "first_response_at": created + duration / 8 if status != Status.NEW else None,
            "resolved_at": resolved_at,
            "closed_at": closed_at,
            "version": 1 + 2 * (status != Status.NEW) + bool(resolved_at) + bool(closed_at),
        }
        ticket = _BulkTicket(row=row)
        span = ((ended_at or self.now) - created) / (len(chain) + 1)
        for i, slug in enumerate(chain):
            last = i == len(chain) - 1
            start = created + span * i
            ticket.holdings.append((*self.teams[slug], start, ended_at if last else start + span))
        if rng.random() < BULK_COMMENT_SHARE:
            ticket.comments = self._comments(row, chain, lang, rng)
        if scenario.cis and rng.random() < BULK_CI_SHARE:
            ticket.cis = (self.ci_ids[scenario.cis[0]],) if scenario.cis[0] in self.ci_ids else ()
        return ticket

    def _comments(self, row: dict, chain: list[str], lang: str, rng: random.Random) -> list:
        provider_held = any(slug.startswith("acme") for slug in chain)
        comments = []
        at = row["created_at"]
        for _ in range(rng.randint(1, 3)):
            at = min(at + dt.timedelta(minutes=rng.uniform(10, 600)), self.now)
            visibility = rng.choices(VISIBILITIES, (4, 3, 3))[0]
            if provider_held and rng.random() < 0.5:
                author, org = rng.choice(["pablo", "lucia"]), "acme"
                bank = ACME_INTERNAL if visibility == "internal" else ACME_SHARED
            elif (
                visibility == "public"
                and row["requester_id"] == self.user["rita"]
                and rng.random() < 0.4
            ):
                author, org, bank = "rita", "internal", REQUESTER_NUDGE
            else:
                author, org = rng.choice(INTERNAL_STAFF), "internal"
                bank = STAFF_BANKS[visibility]
            body = rng.choice(bank[lang]).replace("{name}", "").replace("{floor}", "2")
            comments.append((self.user[author], self.org[org], body, visibility, at))
        return comments


LEVELS = ("high", "medium", "low")
SOURCES = ("web", "web", "email", "api")
PENDING = ("requester", "provider", "change")
VISIBILITIES = ("public", "shared", "internal")
INTERNAL_STAFF = ("ana", "ivan", "marta")
PRIORITY_PACE = {1: 0.2, 2: 0.5, 3: 1.0, 4: 1.5}


def _bulk_detail(scenario, rng: random.Random) -> str:
    site = rng.choice(["MAD", "MAD", "MAD", "BCN"])
    if scenario.area in ("devices", "applications"):
        return f"LAP-{site}-{rng.randint(1, 2400):04d}"
    if scenario.area == "networks":
        return f"SW-{site}-P{rng.randint(0, 5)}-{rng.randint(1, 4):02d}"
    return f"{site}-{rng.randint(100, 999)}"


# --- Text bank ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """A kind of ticket the demo tells: its type, area, level, CIs and texts in two languages
    (title, description, technical note, resolution)."""

    key: str
    type: str
    area: str
    level: str
    impact: str
    urgency: str
    cis: tuple[str, ...]
    es: tuple[str, str, str, str]
    en: tuple[str, str, str, str]
    source: str = "web"
    caused_by: tuple[str, ...] = ()
    children: tuple[str, ...] = ()


SCENARIOS = [
    # -- incidents --
    Scenario("vpn_drops", INC, "networks", "L1", "medium", "high", ("SVC-VPN", "FW-MAD-01"),
        es=("La VPN se corta cada pocos minutos desde casa",
            "Desde ayer la VPN (FortiClient) se desconecta cada 5–10 minutos cuando teletrabajo. En la oficina no pasa. Ya he reiniciado el portátil.",
            "Los logs del FW-MAD-01 muestran renegociaciones IKE cada 300 s para este usuario; posible MTU o DPD.",
            "Ajustado el MTU del túnel a 1380 y el DPD a 30 s en el perfil de VPN. El usuario confirma conexión estable toda la jornada."),
        en=("VPN keeps dropping when working from home",
            "Since yesterday the VPN (FortiClient) disconnects every 5–10 minutes when I work from home. It does not happen at the office. I already restarted the laptop.",
            "FW-MAD-01 logs show IKE renegotiations every 300 s for this user; MTU or DPD suspected.",
            "Set the tunnel MTU to 1380 and DPD to 30 s in the VPN profile. The user confirms a stable connection all day."),
        caused_by=("chg_cert", "chg_fw_policy")),
    Scenario("outlook_sync", INC, "applications", "L1", "low", "medium", ("SVC-MAIL",),
        es=("Outlook no sincroniza el correo",
            "Outlook se queda en «Actualizando la carpeta Bandeja de entrada» y no me llegan correos desde las 9:00. En el móvil sí llegan.",
            "Perfil de Outlook con el OST de 48 GB; el modo caché se queda colgado en la sincronización.",
            "Regenerado el perfil de Outlook y reducido el modo caché a 12 meses. Sincroniza con normalidad."),
        en=("Outlook not syncing mail",
            "Outlook is stuck on “Updating Inbox” and I have received no mail since 9:00. Mail does arrive on my phone.",
            "Outlook profile with a 48 GB OST; cached mode hangs while syncing.",
            "Rebuilt the Outlook profile and limited cached mode to 12 months. Syncing normally again.")),
    Scenario("printer_jam", INC, "devices", "L1", "low", "medium", (),
        es=("Atasco de papel en la impresora de la planta {floor}",
            "La impresora grande de la planta {floor} marca atasco en la bandeja 2 y no imprime nadie de la zona de Compras.",
            "Rodillo de arrastre de la bandeja 2 desgastado; el contador supera las 300.000 páginas.",
            "Retirado el papel atascado y sustituido el rodillo de la bandeja 2 con el kit de mantenimiento. Impresión de prueba correcta."),
        en=("Printer jam on floor {floor}",
            "The large printer on floor {floor} reports a jam in tray 2 and nobody in Purchasing can print.",
            "Tray 2 pickup roller worn out; the page counter is past 300,000.",
            "Cleared the jam and replaced the tray 2 roller with the maintenance kit. Test page OK.")),
    Scenario("sap_access", INC, "applications", "L1", "medium", "high", ("APP-SAP-PRD", "SVC-ERP"),
        es=("No puedo acceder a SAP",
            "Al entrar en SAP me sale «Usuario bloqueado» y tengo que contabilizar facturas hoy. ¿Me lo podéis desbloquear?",
            "Usuario bloqueado por intentos fallidos (SU01: bloqueo por contraseña incorrecta) tras el cambio de contraseña de dominio.",
            "Desbloqueado el usuario en SU01 y restablecida la contraseña inicial; la usuaria ha entrado y cambiado la contraseña."),
        en=("Cannot log in to SAP",
            "When I open SAP it says “User locked” and I need to post invoices today. Can you unlock it?",
            "User locked after failed attempts (SU01: wrong password lock) following the domain password change.",
            "Unlocked the user in SU01 and reset the initial password; the user logged in and changed it.")),
    Scenario("switch_flap", INC, "networks", "L2", "high", "medium", ("NW-MAD-CORE-01",),
        es=("Puerto en flapping en MAD-CORE-01 (Gi1/0/24)",
            "La monitorización avisa de que el puerto Gi1/0/24 de MAD-CORE-01 sube y baja cada pocos segundos. Afecta al enlace con el switch de la planta 3.",
            "Errores CRC crecientes en Gi1/0/24; el transceptor SFP reporta potencia de recepción baja (-14 dBm).",
            "Sustituido el transceptor SFP y limpiado el latiguillo de fibra. Sin errores CRC en 24 h."),
        en=("Switch port flapping on MAD-CORE-01 (Gi1/0/24)",
            "Monitoring reports that port Gi1/0/24 on MAD-CORE-01 goes up and down every few seconds. It carries the uplink to the floor 3 switch.",
            "Growing CRC errors on Gi1/0/24; the SFP reports low receive power (-14 dBm).",
            "Replaced the SFP transceiver and cleaned the fibre patch cord. No CRC errors in 24 h."),
        source="monitoring", caused_by=("chg_firmware",)),
    Scenario("backup_failed", INC, "backups", "L1", "high", "medium", ("BKP-ERP-NIGHTLY", "DB-ERP-01"),
        es=("Falló la copia nocturna del ERP",
            "El trabajo de Veeam «ERP nightly» terminó con error a las 02:14: «Failed to create VM snapshot».",
            "El snapshot falla porque el datastore de ESX-MAD-01 está al 97 %; quedan snapshots huérfanos de la semana pasada.",
            "Consolidados los snapshots huérfanos y liberado espacio en el datastore. Relanzada la copia: correcta en 1 h 20 min."),
        en=("Nightly ERP backup job failed",
            "The Veeam job “ERP nightly” ended with an error at 02:14: “Failed to create VM snapshot”.",
            "The snapshot fails because the ESX-MAD-01 datastore is 97% full; orphaned snapshots from last week remain.",
            "Consolidated the orphaned snapshots and freed datastore space. Re-ran the backup: successful in 1 h 20 min."),
        source="monitoring"),
    Scenario("phishing", INC, "cybersecurity", "L1", "medium", "high", ("SVC-MAIL",),
        es=("Correo de phishing reportado: falsa factura de DHL",
            "He recibido un correo de «DHL» con una factura adjunta y un enlace para pagar aranceles. Creo que es falso; no he pinchado.",
            "El remitente usa un dominio registrado hace 2 días; el enlace lleva a una página de robo de credenciales de Microsoft 365.",
            "Correo eliminado de todos los buzones (búsqueda de contenido), dominio bloqueado en el filtro de correo y en el FW-MAD-01. Nadie introdujo credenciales."),
        en=("Phishing email reported: fake DHL invoice",
            "I received an email from “DHL” with an invoice attached and a link to pay customs fees. I think it is fake; I did not click.",
            "The sender domain was registered 2 days ago; the link leads to a Microsoft 365 credential-harvesting page.",
            "Purged the message from every mailbox (content search), blocked the domain in the mail filter and on FW-MAD-01. Nobody entered credentials.")),
    Scenario("cert_expiring", INC, "cybersecurity", "L2", "high", "low", ("SVC-VPN", "FW-MAD-01"),
        es=("El certificado de vpn.northwind.example caduca en 10 días",
            "Aviso automático: el certificado TLS del portal de VPN caduca en 10 días.",
            "Certificado emitido por la CA pública con validez de 1 año; la renovación requiere CSR nuevo en el FW-MAD-01.",
            "Renovado el certificado y cargado en el FW-MAD-01 dentro de la ventana de mantenimiento. Validez hasta el año que viene."),
        en=("Certificate for vpn.northwind.example expires in 10 days",
            "Automatic warning: the TLS certificate of the VPN portal expires in 10 days.",
            "Certificate from the public CA, one-year validity; renewal needs a new CSR on FW-MAD-01.",
            "Renewed the certificate and installed it on FW-MAD-01 in the maintenance window. Valid until next year."),
        source="monitoring"),
    Scenario("wifi_bcn", INC, "networks", "L1", "medium", "medium", ("NW-MAD-WLC-01", "SITE-BCN"),
        es=("Wi-Fi muy lenta en la oficina de Barcelona",
            "Desde el lunes la Wi-Fi de Barcelona va lentísima en la sala grande; las videollamadas se cortan.",
            "Canal 36 saturado en el AP de la sala grande; interferencia de una red vecina nueva.",
            "Reasignados los canales de 5 GHz y reducida la potencia del AP de la sala grande. Pruebas de velocidad a 300 Mb/s."),
        en=("Very slow Wi-Fi in the Barcelona office",
            "Since Monday the Wi-Fi in Barcelona has been very slow in the big meeting room; video calls drop.",
            "Channel 36 saturated on the meeting-room AP; interference from a new neighbouring network.",
            "Reassigned the 5 GHz channels and lowered the meeting-room AP's power. Speed tests at 300 Mb/s.")),
    Scenario("disk_full", INC, "systems", "L2", "medium", "high", ("SRV-FS-MAD-01",),
        es=("Disco casi lleno en el servidor de ficheros FS-MAD-01",
            "Alerta de monitorización: la unidad D: de FS-MAD-01 está al 95 %.",
            "La carpeta de Marketing ha crecido 300 GB en una semana con vídeos sin comprimir.",
            "Ampliado el disco en 500 GB y activada la cuota de 1 TB para Marketing. Avisada la responsable del área."),
        en=("File server FS-MAD-01 disk almost full",
            "Monitoring alert: drive D: on FS-MAD-01 is 95% full.",
            "The Marketing folder grew by 300 GB in a week with uncompressed video.",
            "Extended the disk by 500 GB and set a 1 TB quota for Marketing. Told the department head."),
        source="monitoring"),
    Scenario("erp_slow", INC, "applications", "L2", "high", "medium", ("APP-SAP-PRD", "DB-ERP-01"),
        es=("SAP va muy lento a primera hora",
            "Entre las 8:00 y las 9:30 SAP tarda más de un minuto en cada transacción. Afecta a todo Finanzas.",
            "Un job de informes programado a las 7:45 bloquea tablas de contabilidad; picos de CPU en ERP-DB01.",
            "Movido el job de informes a las 6:00 y añadido un índice en la tabla afectada. Tiempos de respuesta normales."),
        en=("SAP very slow first thing in the morning",
            "Between 8:00 and 9:30 every SAP transaction takes more than a minute. All of Finance is affected.",
            "A reporting job scheduled at 7:45 locks accounting tables; CPU peaks on ERP-DB01.",
            "Moved the reporting job to 6:00 and added an index on the affected table. Response times back to normal.")),
    Scenario("account_locked", INC, "systems", "L1", "low", "high", (),
        es=("Cuenta bloqueada tras cambiar la contraseña",
            "Cambié la contraseña ayer y esta mañana la cuenta está bloqueada. No puedo iniciar sesión en el portátil.",
            "Bloqueos repetidos desde el móvil: el correo del teléfono sigue usando la contraseña antigua.",
            "Desbloqueada la cuenta y actualizada la contraseña en el móvil de la usuaria. Sin nuevos bloqueos."),
        en=("Account locked after password change",
            "I changed my password yesterday and this morning the account is locked. I cannot sign in to the laptop.",
            "Repeated lockouts from the phone: its mail app still uses the old password.",
            "Unlocked the account and updated the password on the user's phone. No new lockouts.")),
    Scenario("teams_audio", INC, "applications", "L1", "low", "medium", ("SVC-MAIL",),
        es=("Teams no detecta el micrófono",
            "En las reuniones de Teams nadie me oye; el micrófono del portátil funciona en otras aplicaciones.",
            "Permiso de micrófono revocado para Teams tras la última actualización de Windows.",
            "Restablecido el permiso de micrófono y actualizado el driver de audio. Llamada de prueba correcta."),
        en=("Teams does not detect the microphone",
            "Nobody can hear me in Teams meetings; the laptop microphone works in other apps.",
            "Microphone permission revoked for Teams after the last Windows update.",
            "Restored the microphone permission and updated the audio driver. Test call fine.")),
    Scenario("laptop_bsod", INC, "devices", "L1", "low", "high", ("WS-MAD-0142",),
        es=("Pantallazo azul al conectar el portátil al dock",
            "Cada vez que conecto el portátil a la base USB-C sale un pantallazo azul (DRIVER_POWER_STATE_FAILURE).",
            "Firmware del dock desactualizado, incompatible con la BIOS instalada la semana pasada.",
            "Actualizado el firmware del dock y el driver de vídeo. Diez conexiones seguidas sin errores."),
        en=("Blue screen when docking the laptop",
            "Every time I plug the laptop into the USB-C dock I get a blue screen (DRIVER_POWER_STATE_FAILURE).",
            "Outdated dock firmware, incompatible with the BIOS installed last week.",
            "Updated the dock firmware and the graphics driver. Ten docking cycles without errors.")),
    Scenario("cpu_alert", INC, "monitoring", "L1", "medium", "medium", ("SRV-ESX-MAD-01",),
        es=("Alerta: CPU al 95 % en ESX-MAD-01",
            "Zabbix: CPU de ESX-MAD-01 por encima del 95 % durante 15 minutos.",
            "Una VM de pruebas con un proceso desbocado consume 8 vCPU.",
            "Parada la VM de pruebas y limitados sus recursos; CPU del host al 40 %."),
        en=("Alert: CPU at 95% on ESX-MAD-01",
            "Zabbix: ESX-MAD-01 CPU above 95% for 15 minutes.",
            "A test VM with a runaway process is eating 8 vCPUs.",
            "Stopped the test VM and capped its resources; host CPU at 40%."),
        source="monitoring"),
    Scenario("fw_blocking", INC, "cybersecurity", "L2", "medium", "high", ("FW-MAD-01",),
        es=("El firewall bloquea el acceso al portal del banco",
            "Desde esta mañana Tesorería no puede entrar en el portal del banco: «Conexión restablecida».",
            "La categoría del dominio del banco cambió a «Newly observed» en el filtrado web del FW-MAD-01.",
            "Añadida excepción para el dominio del banco en el perfil de filtrado web y avisado al fabricante para recategorizarlo."),
        en=("Firewall blocks access to the bank portal",
            "Since this morning Treasury cannot reach the bank portal: “Connection reset”.",
            "The bank's domain was recategorized as “Newly observed” in FW-MAD-01 web filtering.",
            "Added an exception for the bank's domain in the web-filter profile and asked the vendor to recategorize it."),
        caused_by=("chg_fw_policy",)),
    Scenario("malware", INC, "cybersecurity", "L2", "high", "high", ("WS-MAD-0142",),
        es=("El antivirus detecta malware en un portátil de Finanzas",
            "Defender ha puesto en cuarentena un fichero en un portátil de Finanzas (Trojan:Win32/Qakbot).",
            "El fichero llegó en un ZIP adjunto; hubo conexiones salientes a dos IP conocidas de C2 antes de la cuarentena.",
            "Equipo aislado, reimagen completa, contraseñas restablecidas y IP de C2 bloqueadas en el perímetro. Sin movimiento lateral."),
        en=("Antivirus detects malware on a Finance laptop",
            "Defender quarantined a file on a Finance laptop (Trojan:Win32/Qakbot).",
            "The file came in a ZIP attachment; there were outbound connections to two known C2 IPs before quarantine.",
            "Isolated the device, reimaged it, reset passwords and blocked the C2 IPs at the perimeter. No lateral movement.")),
    Scenario("shared_drive", INC, "systems", "L1", "low", "medium", ("SRV-FS-MAD-01",),
        es=("No aparece la unidad compartida S:",
            "Al iniciar sesión ya no me aparece la unidad S: de departamento.",
            "El script de inicio no mapea S: porque el usuario cambió de grupo de seguridad.",
            "Añadido el usuario al grupo correcto y forzada la actualización de directivas; la unidad aparece."),
        en=("Shared drive S: missing",
            "When I sign in the department drive S: no longer shows up.",
            "The logon script skips S: because the user moved security groups.",
            "Added the user to the right group and forced a policy refresh; the drive is back.")),
    Scenario("mobile_mail", INC, "devices", "L1", "low", "medium", ("MOB-MAD-0031", "SVC-MAIL"),
        es=("El móvil de empresa no recibe correo",
            "Desde el cambio de contraseña el iPhone de empresa no recibe correo ni calendario.",
            "La app de correo sigue con las credenciales antiguas y el acceso condicional la bloquea.",
            "Reconfigurada la cuenta en Outlook para iOS; correo y calendario sincronizan."),
        en=("Company phone not receiving email",
            "Since the password change the company iPhone gets no mail or calendar.",
            "The mail app still uses the old credentials and conditional access blocks it.",
            "Reconfigured the account in Outlook for iOS; mail and calendar sync.")),
    Scenario("internet_bcn", INC, "networks", "L2", "high", "high", ("FW-BCN-01", "NW-BCN-CORE-01", "SITE-BCN"),
        es=("Caída de internet en la oficina de Barcelona",
            "Barcelona está sin internet ni acceso al ERP desde las 10:05. Afecta a toda la oficina.",
            "El enlace principal de fibra está caído (aviso de avería del operador); el SD-WAN no conmutó al 4G de respaldo.",
            "El operador reparó la fibra; corregida la política de SD-WAN para conmutar al 4G en 30 s. Probado el failover."),
        en=("Internet outage in the Barcelona office",
            "Barcelona has had no internet or ERP access since 10:05. The whole office is affected.",
            "The primary fibre link is down (carrier fault); SD-WAN did not fail over to the 4G backup.",
            "The carrier repaired the fibre; fixed the SD-WAN policy to fail over to 4G within 30 s. Failover tested."),
        source="monitoring"),
    # -- service requests --
    Scenario("new_laptop", REQ, "devices", "L1", "low", "medium", (),
        es=("Solicitud de portátil nuevo para incorporación",
            "El lunes se incorpora una persona a Compras. Necesita portátil, dock, monitor y alta en SAP.",
            "Hay stock de dos portátiles preparados con la imagen de marzo; falta la aprobación del responsable.",
            "Entregado portátil con la imagen corporativa, dock y monitor; cuentas y SAP dados de alta."),
        en=("New laptop for a new starter",
            "Someone joins Purchasing on Monday. They need a laptop, dock, monitor and a SAP account.",
            "Two laptops imaged in March are in stock; the manager's approval is missing.",
            "Delivered a laptop with the corporate image, dock and monitor; accounts and SAP created.")),
    Scenario("fw_rule", REQ, "networks", "L2", "medium", "medium", ("FW-MAD-01",),
        es=("Solicitud de regla de firewall para el proveedor de nóminas",
            "El proveedor de nóminas necesita acceso SFTP desde 203.0.113.40 a nuestro servidor de intercambio.",
            "Regla propuesta: 203.0.113.40 → SFTP-MAD-01 TCP/22, solo en horario laboral, con registro.",
            "Regla creada en el FW-MAD-01 con registro activado; el proveedor confirmó el envío de prueba."),
        en=("Firewall rule request for the payroll provider",
            "The payroll provider needs SFTP access from 203.0.113.40 to our exchange server.",
            "Proposed rule: 203.0.113.40 → SFTP-MAD-01 TCP/22, office hours only, logged.",
            "Rule created on FW-MAD-01 with logging; the provider confirmed a test transfer.")),
    Scenario("vpn_access", REQ, "networks", "L1", "low", "medium", ("SVC-VPN",),
        es=("Alta de acceso VPN para un consultor externo",
            "Necesitamos VPN para un consultor de SAP durante tres meses.",
            "Alta en el grupo VPN-Externos con caducidad automática; requiere MFA.",
            "Acceso VPN creado con caducidad a 90 días y MFA registrado. Enviadas las instrucciones."),
        en=("VPN access for an external consultant",
            "We need VPN access for a SAP consultant for three months.",
            "Add to the VPN-External group with automatic expiry; MFA required.",
            "VPN access created with a 90-day expiry and MFA enrolled. Instructions sent.")),
    Scenario("install_software", REQ, "applications", "L1", "low", "low", (),
        es=("Instalar Power BI Desktop",
            "Necesito Power BI Desktop para los informes de ventas.",
            "Aplicación en el catálogo de Intune; requiere licencia Pro para publicar.",
            "Instalado Power BI Desktop desde el Portal de empresa y asignada la licencia Pro."),
        en=("Install Power BI Desktop",
            "I need Power BI Desktop for the sales reports.",
            "App available in the Intune catalogue; publishing needs a Pro licence.",
            "Installed Power BI Desktop from the Company Portal and assigned a Pro licence.")),
    Scenario("shared_mailbox", REQ, "applications", "L1", "low", "low", ("SVC-MAIL",),
        es=("Crear buzón compartido para Compras",
            "Queremos un buzón compras@northwind.example con acceso para cinco personas del equipo.",
            "Buzón compartido sin licencia; permisos de lectura y envío como.",
            "Creado el buzón compartido con permisos de acceso total y «enviar como» para las cinco personas."),
        en=("Create a shared mailbox for Purchasing",
            "We want a purchasing@northwind.example mailbox shared by five people in the team.",
            "Unlicensed shared mailbox; full access and send-as permissions.",
            "Created the shared mailbox with full access and send-as for the five people.")),
    Scenario("restore_folder", REQ, "backups", "L1", "medium", "medium", ("SRV-FS-MAD-01", "BKP-ERP-NIGHTLY"),
        es=("Recuperar una carpeta borrada del servidor de ficheros",
            "Ayer se borró por error la carpeta «Contratos 2026» de la unidad S:. ¿Se puede recuperar?",
            "La copia de anoche contiene la carpeta completa (1.200 ficheros).",
            "Restaurada la carpeta desde la copia de anoche en su ubicación original; verificado con la usuaria."),
        en=("Restore a deleted folder from the file server",
            "Yesterday the folder “Contracts 2026” was deleted by mistake from drive S:. Can it be restored?",
            "Last night's backup holds the whole folder (1,200 files).",
            "Restored the folder from last night's backup to its original location; checked with the user.")),
    Scenario("leaver", REQ, "systems", "L1", "low", "medium", (),
        es=("Baja de usuario: salida de un empleado el viernes",
            "Un empleado de Logística deja la empresa el viernes. Hay que bloquear accesos y recoger el equipo.",
            "Checklist de bajas: AD, Microsoft 365, SAP, VPN, redirección de correo al responsable.",
            "Cuenta deshabilitada, licencias liberadas, correo redirigido al responsable y portátil recogido."),
        en=("Leaver: employee leaving on Friday",
            "An employee in Logistics leaves on Friday. Access must be removed and the laptop collected.",
            "Leaver checklist: AD, Microsoft 365, SAP, VPN, mail forwarded to the manager.",
            "Account disabled, licences freed, mail forwarded to the manager and laptop collected.")),
    Scenario("second_monitor", REQ, "devices", "L1", "low", "low", (),
        es=("Segundo monitor para puesto de trabajo",
            "Solicito un segundo monitor para mi puesto en la planta {floor}.",
            "Monitores de 24\" disponibles en el almacén de la planta 1.",
            "Instalado el segundo monitor y ajustada la configuración de pantallas."),
        en=("Second monitor for a workstation",
            "I'd like a second monitor at my desk on floor {floor}.",
            "24\" monitors available in the floor 1 storeroom.",
            "Installed the second monitor and set up the display layout.")),
    Scenario("sap_role", REQ, "applications", "L2", "low", "medium", ("APP-SAP-PRD",),
        es=("Permisos de aprobación de pedidos en SAP",
            "Como nueva responsable de Compras necesito el rol de aprobación de pedidos hasta 50.000 €.",
            "Rol Z_MM_APPROVE_50K; requiere aprobación de Control Interno por segregación de funciones.",
            "Asignado el rol tras la aprobación de Control Interno; verificada una aprobación de prueba."),
        en=("SAP purchase-order approval role",
            "As the new head of Purchasing I need the PO approval role up to €50,000.",
            "Role Z_MM_APPROVE_50K; needs Internal Control's approval (segregation of duties).",
            "Assigned the role after Internal Control approved; checked a test approval.")),
    # -- problems --
    Scenario("prb_vpn", PRB, "networks", "L2", "high", "medium", ("SVC-VPN", "FW-MAD-01"),
        es=("Problema: cortes recurrentes de VPN por la tarde",
            "Varias incidencias de cortes de VPN entre las 16:00 y las 18:00 en las últimas semanas.",
            "Correlación con el pico de sesiones: el pool de IP de la VPN se agota con 250 sesiones.",
            "Ampliado el pool de IP de la VPN a 500 direcciones y reducido el tiempo de inactividad. Sin cortes en dos semanas."),
        en=("Problem: recurring VPN drops in the afternoon",
            "Several VPN drop incidents between 16:00 and 18:00 in recent weeks.",
            "Correlates with the session peak: the VPN IP pool runs out at 250 sessions.",
            "Extended the VPN IP pool to 500 addresses and shortened the idle timeout. No drops in two weeks."),
        children=("vpn_drops",)),
    Scenario("prb_backup", PRB, "backups", "L2", "high", "medium", ("BKP-ERP-NIGHTLY",),
        es=("Problema: fallos intermitentes de copias por falta de espacio",
            "Las copias nocturnas fallan una o dos veces por semana.",
            "El repositorio de Barcelona está al 92 %; la retención de 60 días no cabe.",
            "Reducida la retención a 35 días y planificada la ampliación del repositorio (cambio asociado)."),
        en=("Problem: intermittent backup failures, repository out of space",
            "Nightly backups fail once or twice a week.",
            "The Barcelona repository is 92% full; 60-day retention does not fit.",
            "Reduced retention to 35 days and planned the repository extension (related change)."),
        children=("backup_failed",)),
    Scenario("prb_phishing", PRB, "cybersecurity", "L3", "high", "high", ("SVC-MAIL",),
        es=("Problema: campaña de phishing dirigida a Finanzas",
            "Tres reportes de phishing en dos semanas con el mismo patrón, dirigidos a Finanzas.",
            "Los correos pasan SPF por un proveedor de envío legítimo; el filtrado no evalúa DMARC del dominio suplantado.",
            "Activada la aplicación estricta de DMARC, reglas de suplantación para dominios parecidos y formación específica a Finanzas."),
        en=("Problem: phishing campaign targeting Finance",
            "Three phishing reports in two weeks with the same pattern, all aimed at Finance.",
            "The messages pass SPF through a legitimate mailing service; filtering does not enforce the spoofed domain's DMARC.",
            "Enforced DMARC, added look-alike domain impersonation rules and ran targeted training for Finance."),
        children=("phishing", "malware")),
    Scenario("prb_erp", PRB, "applications", "L2", "high", "medium", ("APP-SAP-PRD", "DB-ERP-01"),
        es=("Problema: degradación del ERP en el cierre de mes",
            "Cada cierre de mes SAP se degrada durante horas.",
            "Falta de memoria en ERP-DB01 durante los informes de cierre; la VM tiene 256 GB y usa 250.",
            "Ampliada la memoria de VM-ERP-DB01 a 384 GB y reprogramados los informes pesados."),
        en=("Problem: ERP slowdown at month end",
            "Every month end SAP slows down for hours.",
            "ERP-DB01 runs out of memory during closing reports; the VM has 256 GB and uses 250.",
            "Extended VM-ERP-DB01 memory to 384 GB and rescheduled the heavy reports."),
        children=("erp_slow",)),
    # -- changes --
    Scenario("chg_firmware", CHG, "networks", "L2", "high", "low", ("NW-MAD-CORE-01",),
        es=("Cambio: actualizar el firmware de MAD-CORE-01 a 17.9.4",
            "Actualización recomendada por el fabricante (corrige fugas de memoria). Ventana: jueves 22:00–24:00.",
            "Plan: copia de configuración, actualización en modo install, reinicio, verificación de enlaces y rollback a 17.9.3 si falla.",
            "Firmware 17.9.4 instalado en la ventana; todos los enlaces y VLAN verificados."),
        en=("Change: upgrade MAD-CORE-01 firmware to 17.9.4",
            "Vendor-recommended upgrade (fixes memory leaks). Window: Thursday 22:00–24:00.",
            "Plan: config backup, install-mode upgrade, reload, check uplinks and VLANs, roll back to 17.9.3 on failure.",
            "Firmware 17.9.4 installed in the window; every uplink and VLAN checked.")),
    Scenario("chg_cert", CHG, "cybersecurity", "L2", "medium", "medium", ("SVC-VPN", "FW-MAD-01"),
        es=("Cambio: renovar el certificado de la VPN",
            "Renovación del certificado del portal de VPN antes de su caducidad.",
            "Impacto: reconexión de las sesiones activas; se hará fuera de horario.",
            "Certificado renovado e instalado; probadas conexiones desde Windows, macOS y móvil."),
        en=("Change: renew the VPN certificate",
            "Renew the VPN portal certificate before it expires.",
            "Impact: active sessions reconnect; done out of hours.",
            "Certificate renewed and installed; tested connections from Windows, macOS and mobile.")),
    Scenario("chg_fw_policy", CHG, "cybersecurity", "L3", "high", "low", ("FW-MAD-01", "FW-BCN-01"),
        es=("Cambio: endurecer la política del FW-MAD-01 (geobloqueo)",
            "Bloquear el tráfico entrante desde fuera de la UE salvo excepciones aprobadas.",
            "Excepciones: proveedor de nóminas y consultores con IP fija; revisión tras una semana.",
            "Geobloqueo activado en ambos firewalls con las excepciones aprobadas; sin incidencias la primera semana."),
        en=("Change: harden FW-MAD-01 policy (geo-blocking)",
            "Block inbound traffic from outside the EU except approved exceptions.",
            "Exceptions: payroll provider and consultants with fixed IPs; review after one week.",
            "Geo-blocking enabled on both firewalls with the approved exceptions; no incidents in the first week.")),
    Scenario("chg_patching", CHG, "systems", "L2", "medium", "low", ("SRV-ESX-MAD-01", "SRV-FS-MAD-01"),
        es=("Cambio: parches mensuales de Windows Server",
            "Aplicación de los parches del mes en servidores de producción, en dos grupos.",
            "Grupo A el martes, grupo B el jueves; reinicio controlado y comprobación de servicios.",
            "Parches aplicados en ambos grupos; servicios verificados tras los reinicios."),
        en=("Change: monthly Windows Server patching",
            "Apply this month's patches to production servers, in two groups.",
            "Group A on Tuesday, group B on Thursday; controlled reboots and service checks.",
            "Patches applied to both groups; services checked after the reboots.")),
    Scenario("chg_backup_repo", CHG, "backups", "L2", "medium", "low", ("BKP-ERP-NIGHTLY",),
        es=("Cambio: ampliar el repositorio de copias a 20 TB",
            "Añadir una bandeja de discos al repositorio de Barcelona.",
            "Sin corte: ampliación en caliente del volumen; las copias de esa noche se retrasan 1 h.",
            "Repositorio ampliado a 20 TB; retención de 60 días restablecida."),
        en=("Change: extend the backup repository to 20 TB",
            "Add a disk shelf to the Barcelona repository.",
            "No outage: online volume extension; that night's backups start an hour late.",
            "Repository extended to 20 TB; 60-day retention restored.")),
    Scenario("chg_sap_kernel", CHG, "applications", "L3", "high", "low", ("APP-SAP-PRD", "SVC-ERP"),
        es=("Cambio: actualización de kernel de SAP",
            "Actualización del kernel de SAP en producción, probada en QAS.",
            "Ventana de sábado 08:00–12:00; parada de SAP comunicada a todos los usuarios.",
            "Kernel actualizado; pruebas funcionales de Finanzas y Logística correctas."),
        en=("Change: SAP kernel upgrade",
            "Upgrade the SAP kernel in production, tested in QAS.",
            "Saturday window 08:00–12:00; SAP downtime announced to every user.",
            "Kernel upgraded; Finance and Logistics functional tests passed.")),
]  # fmt: skip

DECISIONS = [
    {"by": "marta", "party": "acme", "scenarios": ("switch_flap", "chg_firmware"), "cis": ("NW-MAD-CORE-01",),
     "title": "Replace the floor 3 access switch in Q1",
     "context": "Repeated flapping and CRC errors on the floor 3 uplink; the switch is out of vendor support next year.",
     "options": "1) Keep replacing transceivers. 2) Replace the switch now. 3) Replace it in Q1 with the campus refresh.",
     "decision": "Option 3: Acme replaces SW-MAD-P3-01 in Q1; until then spare SFPs stay on site."},
    {"by": "ivan", "party": "internal", "scenarios": ("prb_vpn", "vpn_drops"), "cis": ("SVC-VPN", "FW-MAD-01"),
     "title": "Keep the VPN on FortiClient this year",
     "context": "Recurring VPN drops; Acme proposed moving to a ZTNA service.",
     "options": "1) ZTNA now. 2) Fix the IP pool and keep FortiClient; evaluate ZTNA next year.",
     "decision": "Option 2: extend the IP pool now; ZTNA pilot budgeted for next year."},
    {"by": "marta", "party": "acme", "scenarios": ("chg_fw_policy", "fw_blocking"), "cis": ("FW-MAD-01", "FW-BCN-01"),
     "title": "Network maintenance window: Thursdays 22:00–24:00",
     "context": "Changes on shared network gear need a window both sides agree on.",
     "options": "Weeknights 22:00–24:00, or Saturday mornings.",
     "decision": "Thursdays 22:00–24:00; emergencies any time with the internal manager's approval."},
    {"by": "ivan", "party": "internal", "scenarios": ("prb_backup", "chg_backup_repo"), "cis": ("BKP-ERP-NIGHTLY",),
     "title": "ERP backup retention: 35 days until the repository grows",
     "context": "The Barcelona repository cannot hold 60 days of ERP backups.",
     "options": "1) Cut retention to 35 days. 2) Move old restore points to the cloud.",
     "decision": "Option 1 now; back to 60 days once the repository is extended."},
    {"by": "lucia", "party": "acme", "scenarios": ("chg_fw_policy",), "cis": ("FW-MAD-01",),
     "title": "Geo-blocking exceptions are reviewed monthly",
     "context": "Geo-blocking exceptions tend to accumulate.",
     "options": "Review on request, or monthly in the service review.",
     "decision": "Acme Security lists every exception in the monthly review; unused ones are removed."},
]  # fmt: skip

FIRST_ANSWER = {
    "es": [
        "Hola {name}, hemos recibido tu incidencia y ya la estamos revisando.",
        "Hola {name}, ¿puedes indicarnos desde cuándo ocurre y si afecta a más compañeros?",
        "Hola {name}, te llamamos en 10 minutos para conectarnos en remoto, ¿te viene bien?",
        "Gracias por avisar, {name}. Lo tenemos asignado y te contamos en cuanto sepamos algo.",
    ],
    "en": [
        "Hi {name}, we have your ticket and are looking into it.",
        "Hi {name}, since when does this happen, and does it affect colleagues too?",
        "Hi {name}, we'll call you in 10 minutes to connect remotely, does that work?",
        "Thanks for reporting it, {name}. It's assigned and we'll update you as soon as we know more.",
    ],
}
REQUESTER_NUDGE = {
    "es": [
        "Sigue pasando esta mañana; lo necesito para el cierre de mes.",
        "¿Hay alguna novedad? Me está afectando bastante.",
        "Me pasa también en el portátil de un compañero.",
    ],
    "en": [
        "Still happening this morning; I need it for the month-end close.",
        "Any news? This is really getting in my way.",
        "It happens on a colleague's laptop too.",
    ],
}
STAFF_NOTE = {
    "es": [
        "Revisado el visor de eventos y los logs del servidor; seguimos investigando.",
        "Ojo: el usuario ya abrió algo parecido el mes pasado.",
        "Comprobado en el CMDB: el equipo está en garantía hasta 2027.",
        "Si no se resuelve hoy, lo comentamos en la reunión de seguimiento con Acme.",
    ],
    "en": [
        "Checked the event viewer and the server logs; still investigating.",
        "Heads-up: the user opened something similar last month.",
        "Checked the CMDB: the device is under warranty until 2027.",
        "If this isn't solved today, we raise it in the follow-up meeting with Acme.",
    ],
}
STAFF_SHARED = {
    "es": [
        "Os pasamos el ticket con lo probado hasta ahora; el usuario está disponible hasta las 18:00.",
        "Pablo, ¿podéis revisarlo desde vuestro NOC? Desde nuestro lado todo parece correcto.",
        "Adjuntamos capturas y la hora exacta de los cortes para que lo veáis.",
    ],
    "en": [
        "Passing this to you with what we tried so far; the user is available until 18:00.",
        "Pablo, could you check this from your NOC? Everything looks fine on our side.",
        "Screenshots and the exact times of the drops are attached for you.",
    ],
}
ACME_SHARED = {
    "es": [
        "Revisado desde nuestro NOC: vemos errores en el enlace y lo estamos corrigiendo.",
        "Aplicado el cambio en horario de mantenimiento; por favor confirmad con el usuario.",
        "Necesitamos una ventana de 15 minutos para reiniciar el equipo; ¿os va bien a las 14:00?",
        "Hemos abierto caso con el fabricante; os mantenemos informados por aquí.",
    ],
    "en": [
        "Checked from our NOC: we see errors on the link and are fixing them.",
        "Applied the change in the maintenance window; please confirm with the user.",
        "We need a 15-minute window to reboot the device; would 14:00 work?",
        "We opened a case with the vendor; we'll keep you posted here.",
    ],
}
ACME_INTERNAL = {
    "es": [
        "Esto está fuera del alcance del contrato: registrar las horas como facturables.",
        "Lucía, ¿lo subimos a L3? Huele al bug del firmware 17.9.3.",
        "Cliente sensible con este tema; cuidar la comunicación.",
    ],
    "en": [
        "This is outside the contract scope: log the hours as billable.",
        "Lucía, shall we take it to L3? Smells like the 17.9.3 firmware bug.",
        "The client is sensitive about this one; mind the wording.",
    ],
}
REJECT_REASONS = {
    "es": [
        "Falta evidencia: adjuntad un traceroute y la hora exacta de los cortes.",
        "Fuera de alcance: el problema está en el puesto del usuario, no en la red.",
        "El checklist está vacío: necesitamos saber qué se ha probado antes de aceptarlo.",
    ],
    "en": [
        "Evidence missing: attach a traceroute and the exact times of the drops.",
        "Out of scope: the problem is on the user's workstation, not the network.",
        "The checklist is empty: we need to know what was tried before we accept it.",
    ],
}
HAND_BACK = {
    "es": [
        "Red verificada de extremo a extremo sin pérdidas; el problema está en el equipo del usuario. Os lo devolvemos.",
        "Nuestra parte está corregida; queda reconfigurar el cliente en el portátil, que es vuestro.",
    ],
    "en": [
        "Network verified end to end with no loss; the problem is on the user's device. Handing it back.",
        "Our part is fixed; the client on the laptop still needs reconfiguring, which is yours.",
    ],
}
SHADOW_SUMMARY = {
    "es": ["Fuera de horario: lo pasamos al servicio de guardia de Shadow Partners."],
    "en": ["Out of hours: handing over to the Shadow Partners on-call desk."],
}
ASK_REQUESTER = {
    "es": [
        "{name}, necesitamos una captura del mensaje de error y la hora aproximada. Quedamos a la espera.",
        "¿Nos confirmas el número de serie del equipo (etiqueta debajo del portátil)?",
        "Necesitamos la aprobación de tu responsable para continuar con la solicitud.",
    ],
    "en": [
        "{name}, we need a screenshot of the error message and roughly when it happened. Waiting for you.",
        "Can you confirm the device's serial number (label under the laptop)?",
        "We need your manager's approval to go on with this request.",
    ],
}
REQUESTER_REPLY = {
    "es": [
        "Os lo acabo de enviar por correo.",
        "Aprobado por mi responsable, os reenvío el correo.",
        "Adjunto la captura, pasó sobre las 9:15.",
    ],
    "en": [
        "Just sent it to you by email.",
        "My manager approved it, forwarding the email.",
        "Screenshot attached, it happened around 9:15.",
    ],
}
WAIT_PROVIDER = {
    "es": [
        "A la espera de respuesta del fabricante (caso abierto con soporte).",
        "Esperando a Acme: tienen que revisar la configuración del firewall.",
    ],
    "en": [
        "Waiting for the vendor's answer (support case open).",
        "Waiting for Acme: they need to review the firewall configuration.",
    ],
}
WAIT_CHANGE = {
    "es": [
        "Queda pendiente del cambio programado para el jueves por la noche.",
        "La solución requiere un cambio aprobado en el comité del martes.",
    ],
    "en": [
        "Waiting for the change scheduled for Thursday night.",
        "The fix needs a change approved at Tuesday's change board.",
    ],
}
PROGRESS = {
    "es": [
        "Seguimos con ello; mañana a primera hora te contamos.",
        "Hemos aplicado una solución temporal mientras lo corregimos del todo.",
    ],
    "en": [
        "Still on it; we'll update you first thing tomorrow.",
        "We applied a temporary workaround while we fix it properly.",
    ],
}
THANKS = {
    "es": [
        "Confirmo que ya funciona, ¡gracias!",
        "Perfecto, todo correcto.",
        "Gracias por la rapidez.",
    ],
    "en": ["Confirmed, it works now. Thanks!", "Perfect, all good.", "Thanks for the quick fix."],
}
REOPEN_ASK = {
    "es": ["Ha vuelto a pasar esta mañana, ¿podéis mirarlo otra vez?"],
    "en": ["It happened again this morning, could you take another look?"],
}
WITHDRAWN = {
    "es": [
        "Ya funciona, podéis cancelarlo. ¡Gracias!",
        "Al final no hace falta, lo hemos resuelto de otra forma.",
    ],
    "en": [
        "It works now, you can cancel it. Thanks!",
        "Not needed after all, we solved it another way.",
    ],
}
DUPLICATE = {
    "es": [
        "Es la misma incidencia que otra ya abierta; la seguimos allí.",
        "Duplicado: ya hay un ticket abierto por este motivo.",
    ],
    "en": [
        "Same issue as another open ticket; we follow it up there.",
        "Duplicate: there is already a ticket open for this.",
    ],
}
WORK_DESK = {
    "es": [
        "Diagnóstico remoto con el usuario",
        "Revisión de logs y pruebas",
        "Aplicación de la corrección y verificación",
        "Desplazamiento a planta y revisión del equipo",
    ],
    "en": [
        "Remote diagnosis with the user",
        "Log review and tests",
        "Applied the fix and verified it",
        "Desk visit and hardware check",
    ],
}
WORK_PROVIDER = {
    "es": [
        "Análisis desde el NOC y revisión de configuración",
        "Cambio de configuración y pruebas",
        "Sustitución de hardware en sitio",
        "Coordinación con el fabricante",
    ],
    "en": [
        "NOC analysis and configuration review",
        "Configuration change and tests",
        "On-site hardware replacement",
        "Coordination with the vendor",
    ],
}

STAFF_BANKS = {"public": FIRST_ANSWER, "shared": STAFF_SHARED, "internal": STAFF_NOTE}
