"""Configuration pages (the Django admin) of the SLA app: policies and their targets, maintained
by internal managers and audited; clocks, their events and notices, read-only (the SLA services
alone move clocks)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cogest.admin import AuditedAdmin
from cogest.services import audit_record
from sla.models import Clock, ClockEvent, SlaNotice, SlaPolicy, SlaTarget
from sla.models.policies import PRIORITY_CHOICES


class SlaPolicyAdminForm(forms.ModelForm):
    # Priorities are numbers: the checkboxes post text.
    priorities = forms.TypedMultipleChoiceField(
        label=_("Priorities"),
        choices=PRIORITY_CHOICES,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Empty: every priority."),
    )

    class Meta:
        model = SlaPolicy
        fields = "__all__"


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0
    fields = ("metric", "priority", "minutes", "calendar")


def _targets_of(policy: SlaPolicy) -> list[str]:
    """A policy's targets as the audit trail records them: ``response P2: 30 min``, the calendar
    when a target has its own."""
    rows = []
    for target in SlaTarget.objects.filter(policy=policy):
        priority = f"P{target.priority}" if target.priority else "any priority"
        calendar = f" (calendar {target.calendar_id})" if target.calendar_id else ""
        rows.append(f"{target.metric} {priority}: {target.minutes} min{calendar}")
    return sorted(rows)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(AuditedAdmin):
    form = SlaPolicyAdminForm
    inlines = [SlaTargetInline]
    list_display = (
        "name",
        "scope",
        "engagement",
        "calendar",
        "warning_percent",
        "precedence",
        "is_active",
    )
    list_filter = ("scope", "is_active", "engagement", "calendar")
    search_fields = ("name",)
    list_select_related = ("engagement", "calendar")
    fieldsets = (
        (None, {"fields": ("name", "scope", "engagement", "is_active", "precedence")}),
        (_("Tickets in scope"), {"fields": ("ticket_types", "priorities")}),
        (_("Clock"), {"fields": ("calendar", "warning_percent", "pause_reasons")}),
    )

    def save_formset(self, request, form, formset, change):
        """Save the targets and remember, on the request, what changed for the audit trail."""
        before = _targets_of(form.instance) if change else []
        super().save_formset(request, form, formset, change)
        after = _targets_of(form.instance)
        if before != after:
            request._sla_target_changes = (before, after)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        changes = getattr(request, "_sla_target_changes", None)
        if changes is not None:
            before, after = changes
            audit_record(
                actor=request.user,
                action="slapolicy.targets_changed",
                obj=form.instance,
                before={"targets": before},
                after={"targets": after},
                note="admin",
            )


class ReadOnlyAdminMixin:
    """Rows only the SLA services write: the admin shows them, nobody edits them here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ClockEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ClockEvent
    fields = ("at", "kind", "reason", "due_at", "elapsed_seconds")
    readonly_fields = fields
    extra = 0
    ordering = ("at", "id")


@admin.register(Clock)
class ClockAdmin(ReadOnlyAdminMixin, AuditedAdmin):
    inlines = [ClockEventInline]
    list_display = (
        "ticket",
        "target",
        "kind",
        "party",
        "state",
        "started_at",
        "due_at",
        "warned_at",
        "breached_at",
        "stopped_at",
    )
    list_filter = ("kind", "target", "state", "party")
    search_fields = ("ticket__number",)
    date_hierarchy = "started_at"
    list_select_related = ("ticket", "party")
    readonly_fields = [f.name for f in Clock._meta.fields]


@admin.register(SlaNotice)
class SlaNoticeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Warnings and breaches recorded by the sweep, each once."""

    list_display = ("at", "kind", "ticket", "clock", "recorded_at")
    list_filter = ("kind",)
    search_fields = ("ticket__number",)
    date_hierarchy = "at"
    list_select_related = ("ticket", "clock")
    readonly_fields = [f.name for f in SlaNotice._meta.fields]
