"""Runbooks (SPEC 2.6): operation manuals, contingency plans and known errors, versioned and
acknowledged by each side's owner."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cmdb.choices import ReviewTaskStatus, RunbookKind, Side
from cmdb.querysets import RunbookPartQuerySet, RunbookQuerySet
from cogest.choices import FunctionalArea
from cogest.models.fields import ChoiceListField


class Runbook(models.Model):
    """A document both sides work from, linked to the CIs, classes and areas it applies to."""

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=RunbookKind.choices)
    areas = ChoiceListField(_("functional areas"), item_choices=FunctionalArea.choices)
    ci_classes = models.ManyToManyField(
        "cmdb.CIClass", related_name="runbooks", blank=True, verbose_name=_("CI classes")
    )
    cis = models.ManyToManyField(
        "cmdb.ConfigurationItem", related_name="runbooks", blank=True, verbose_name=_("CIs")
    )
    internal_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("internal owner"),
    )
    provider_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("provider owner"),
    )
    # The provider owner's organization, kept on the row: visibility filters on it.
    provider_organization = models.ForeignKey(
        "cogest.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="runbooks",
        verbose_name=_("provider"),
    )
    review_on = models.DateField(_("review by"), null=True, blank=True)
    current_version = models.PositiveIntegerField(_("current version"), default=0)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RunbookQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("runbook")
        verbose_name_plural = _("runbooks")
        indexes = [models.Index(fields=["review_on"], name="runbook_review_idx")]

    def __str__(self) -> str:
        return self.title


class RunbookVersion(models.Model):
    """One published text of a runbook; versions are never edited, a change adds one."""

    runbook = models.ForeignKey(Runbook, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    body = models.TextField(_("text (Markdown)"))
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RunbookPartQuerySet.as_manager()

    class Meta:
        ordering = ["runbook_id", "-number"]
        verbose_name = _("runbook version")
        verbose_name_plural = _("runbook versions")
        constraints = [
            models.UniqueConstraint(fields=["runbook", "number"], name="runbook_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.runbook_id} v{self.number}"


class AcknowledgementQuerySet(RunbookPartQuerySet):
    runbook_path = "runbook_version__runbook"


class RunbookAcknowledgement(models.Model):
    """One side's owner has read a version and agrees to work by it."""

    runbook_version = models.ForeignKey(
        RunbookVersion, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"), auto_now_add=True)

    objects = AcknowledgementQuerySet.as_manager()

    class Meta:
        ordering = ["acknowledged_at", "id"]
        verbose_name = _("runbook acknowledgement")
        verbose_name_plural = _("runbook acknowledgements")
        constraints = [
            models.UniqueConstraint(
                fields=["runbook_version", "side"], name="runbook_ack_once_per_side"
            )
        ]

    def __str__(self) -> str:
        return f"{self.runbook_version} acknowledged ({self.side})"


class RunbookReviewTask(models.Model):
    """A runbook's review date passed: its owner is asked to review it (once per date)."""

    runbook = models.ForeignKey(Runbook, on_delete=models.CASCADE, related_name="review_tasks")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(_("review date"))
    status = models.CharField(
        _("status"), max_length=8, choices=ReviewTaskStatus.choices, default=ReviewTaskStatus.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )

    objects = RunbookPartQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("runbook review task")
        verbose_name_plural = _("runbook review tasks")
        constraints = [
            models.UniqueConstraint(fields=["runbook", "due_on"], name="runbook_review_once")
        ]
        indexes = [models.Index(fields=["owner", "status"], name="runbook_task_owner_idx")]

    def __str__(self) -> str:
        return f"Review of runbook {self.runbook_id} due {self.due_on}"
