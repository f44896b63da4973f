"""The CMDB's fixed vocabularies (SPEC 2.3, 2.6)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CIStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Active")
    MAINTENANCE = "maintenance", _("Maintenance")
    RETIRED = "retired", _("Retired")


class Environment(models.TextChoices):
    PRODUCTION = "production", _("Production")
    STAGING = "staging", _("Staging")
    TEST = "test", _("Test")
    DEVELOPMENT = "development", _("Development")


class RelationType(models.TextChoices):
    """``A depends_on B``: A needs B, so B's failure impacts A (SPEC 5)."""

    DEPENDS_ON = "depends_on", _("depends on")
    RUNS_ON = "runs_on", _("runs on")
    HOSTED_ON = "hosted_on", _("hosted on")
    CONNECTED_TO = "connected_to", _("connected to")
    BACKS_UP = "backs_up", _("backs up")
    MEMBER_OF = "member_of", _("member of")


#: The relation types along which a failure travels (from target to source) in impact analysis.
IMPACT_TYPES: tuple[str, ...] = (
    RelationType.DEPENDS_ON,
    RelationType.RUNS_ON,
    RelationType.HOSTED_ON,
)

CRITICALITY_CHOICES = [
    (1, _("1 — critical")),
    (2, _("2 — high")),
    (3, _("3 — medium")),
    (4, _("4 — low")),
]


class RunbookKind(models.TextChoices):
    MANUAL = "manual", _("Operation manual")
    CONTINGENCY = "contingency", _("Contingency plan")
    KNOWN_ERROR = "known_error", _("Known error")


class Side(models.TextChoices):
    INTERNAL = "internal", _("Internal")
    PROVIDER = "provider", _("Provider")


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ImportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    JSON = "json", "JSON"


class ImportMode(models.TextChoices):
    STRICT = "strict", _("All or nothing")
    SKIP = "skip", _("Skip bad rows")


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("Previewed")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ReviewTaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
