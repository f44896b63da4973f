"""Domain events of the CMDB: what apps to its right (escalation's notifications) react to."""

from __future__ import annotations

from dataclasses import dataclass

from cogest.events import DomainEvent


@dataclass(frozen=True)
class RunbookPublished(DomainEvent):
    """A runbook has a new version: its owners on each side are asked to acknowledge it."""

    name = "runbook.published"
    runbook_id: int
    number: int
    actor_id: int | None


@dataclass(frozen=True)
class RunbookReviewDue(DomainEvent):
    """A runbook's review date passed: a review task was created for its owner."""

    name = "runbook.review_due"
    task_id: int
    runbook_id: int
    owner_id: int


@dataclass(frozen=True)
class CIChangeProposed(DomainEvent):
    """A provider proposed a change to a CI it does not manage: an internal owner decides."""

    name = "ci.change_proposed"
    proposal_id: int
    ci_id: int
    actor_id: int
