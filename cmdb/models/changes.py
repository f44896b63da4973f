"""Changes that wait or run in the background: a provider's proposal for a CI its organization
does not manage (SPEC 2.3), and CSV/JSON imports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cmdb.choices import ImportFormat, ImportMode, ImportStatus, ProposalStatus
from cmdb.querysets import ImportJobQuerySet, ProposalQuerySet


class CIChangeProposal(models.Model):
    """A provider's change to a CI it does not manage, waiting for an internal owner's review."""

    ci = models.ForeignKey(
        "cmdb.ConfigurationItem",
        on_delete=models.CASCADE,
        related_name="proposals",
        verbose_name=_("CI"),
    )
    organization = models.ForeignKey(
        "cogest.Organization",
        on_delete=models.PROTECT,
        related_name="ci_proposals",
        verbose_name=_("proposed by organization"),
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    # Field name → proposed value, and the same fields' values when it was proposed (the diff).
    changes = models.JSONField(_("proposed values"))
    before = models.JSONField(_("values when proposed"))
    base_version = models.PositiveIntegerField(_("CI version when proposed"))
    reason = models.TextField(_("reason"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PENDING
    )
    created_at = models.DateTimeField(_("proposed"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    objects = ProposalQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("CI change proposal")
        verbose_name_plural = _("CI change proposals")
        indexes = [
            models.Index(fields=["status", "created_at"], name="proposal_status_idx"),
            models.Index(fields=["ci", "status"], name="proposal_ci_idx"),
        ]

    def __str__(self) -> str:
        return f"Proposal {self.pk} on CI {self.ci_id}"


class ImportJob(models.Model):
    """One CSV or JSON upload for a CI class: previewed first, then run by a Celery job."""

    ci_class = models.ForeignKey(
        "cmdb.CIClass", on_delete=models.PROTECT, related_name="+", verbose_name=_("class")
    )
    format = models.CharField(_("format"), max_length=4, choices=ImportFormat.choices)
    mode = models.CharField(
        _("mode"), max_length=8, choices=ImportMode.choices, default=ImportMode.STRICT
    )
    filename = models.CharField(_("file"), max_length=200)
    content = models.TextField(_("content"))
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    # [{"row": 12, "field": "criticality", "message": "..."}], capped.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("CMDB import")
        verbose_name_plural = _("CMDB imports")

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"
