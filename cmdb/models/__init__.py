"""The shared CMDB (SPEC 2.3, 2.6): classes, items, relations, runbooks, proposals, imports."""

from .changes import CIChangeProposal, ImportJob
from .items import CIClass, CIRelation, ConfigurationItem
from .runbooks import Runbook, RunbookAcknowledgement, RunbookReviewTask, RunbookVersion

__all__ = [
    "CIChangeProposal",
    "CIClass",
    "CIRelation",
    "ConfigurationItem",
    "ImportJob",
    "Runbook",
    "RunbookAcknowledgement",
    "RunbookReviewTask",
    "RunbookVersion",
]
