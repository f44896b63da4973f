"""Configuration pages (the Django admin) for the co-management core, validated and audited."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from guardian.admin import GuardedModelAdminMixin

from cogest.models import (
    Absence,
    AuditEvent,
    BusinessCalendar,
    CalendarHoliday,
    CalendarInterval,
    Engagement,
    Organization,
    OutboxMessage,
    ResponsibilityRule,
    Team,
    UserProfile,
)
from cogest.services import audit_record, validate_engagement_teams, validate_team_people

User = get_user_model()

admin.site.site_header = _("cogest configuration")
admin.site.site_title = _("cogest")
admin.site.index_title = _("Configuration")


def _jsonable(value):
    if hasattr(value, "pk"):
        return str(value)
    if hasattr(value, "all"):
        return sorted(str(v) for v in value.all())
    if isinstance(value, list | tuple | set):
        return sorted(str(v) for v in value)
    return value if isinstance(value, str | int | float | bool | dict | type(None)) else str(value)


class AuditedAdmin(admin.ModelAdmin):
    """Every change made in the admin lands in the audit trail, with the fields it touched."""

    def get_queryset(self, request):
        # The admin reads through the same rule as every other interface.
        return super().get_queryset(request).restrict(request.user, "view")

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return (
            obj is None
            or type(obj).objects.restrict(request.user, "change").filter(pk=obj.pk).exists()
        )

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        return (
            obj is None
            or type(obj).objects.restrict(request.user, "change").filter(pk=obj.pk).exists()
        )

    def save_model(self, request, obj, form, change):
        before = {}
        if change:
            before = {f: _jsonable(form.initial.get(f)) for f in form.changed_data}
        super().save_model(request, obj, form, change)
        self._pending_audit = (obj, change, before, list(form.changed_data))

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj, change, before, fields = getattr(
            self, "_pending_audit", (form.instance, change, {}, [])
        )
        after = {f: _jsonable(getattr(obj, f, form.cleaned_data.get(f))) for f in fields}
        action = f"{obj._meta.model_name}.{'changed' if change else 'created'}"
        audit_record(
            actor=request.user,
            action=action,
            obj=obj,
            before=before or None,
            after=after or None,
            note="admin",
        )

    def delete_model(self, request, obj):
        audit_record(
            actor=request.user, action=f"{obj._meta.model_name}.deleted", obj=obj, note="admin"
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit_record(
                actor=request.user, action=f"{obj._meta.model_name}.deleted", obj=obj, note="admin"
            )
        super().delete_queryset(request, queryset)


@admin.register(Organization)
class OrganizationAdmin(AuditedAdmin):
    list_display = ("name", "slug", "kind", "contact_email")
    list_filter = ("kind",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


class TeamAdminForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        organization = cleaned.get("organization")
        if organization is not None:
            probe = Team(organization=organization)
            try:
                validate_team_people(
                    team=probe, members=cleaned.get("members") or [], lead=cleaned.get("lead")
                )
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    for message in messages:
                        self.add_error(field, message)
        return cleaned


@admin.register(Team)
class TeamAdmin(GuardedModelAdminMixin, AuditedAdmin):
    form = TeamAdminForm
    list_display = ("name", "organization", "support_level_label", "areas", "lead", "is_active")
    list_filter = ("organization", "is_active")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("members",)
    list_select_related = ("organization", "lead")

    @admin.display(description=_("areas"))
    def areas(self, obj):
        return ", ".join(obj.functional_area_labels)


class EngagementAdminForm(forms.ModelForm):
    class Meta:
        model = Engagement
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        provider = cleaned.get("provider")
        if provider is not None:
            try:
                validate_engagement_teams(
                    engagement=Engagement(provider=provider), teams=cleaned.get("teams") or []
                )
            except ValidationError as exc:
                for message in exc.message_dict.get("teams", []):
                    self.add_error("teams", message)
        return cleaned


@admin.register(Engagement)
class EngagementAdmin(GuardedModelAdminMixin, AuditedAdmin):
    form = EngagementAdminForm
    list_display = ("name", "provider", "model", "starts_on", "ends_on", "is_active")
    list_filter = ("model", "provider", "is_active")
    search_fields = ("name",)
    filter_horizontal = ("teams",)
    autocomplete_fields = ("internal_owner", "provider_owner")
    fieldsets = (
        (None, {"fields": ("name", "provider", "model", "is_active", ("starts_on", "ends_on"))}),
        (_("Scope"), {"fields": ("scope_areas", "scope_levels", "scope_ci_filter", "teams")}),
        (
            _("Governance"),
            {"fields": ("internal_owner", "provider_owner", "review_cadence", "kpi_targets")},
        ),
        (
            _("Shadow support"),
            {
                "fields": (
                    "shadow_for_team",
                    "shadow_on_absence",
                    "shadow_out_of_hours",
                    "shadow_backlog_threshold",
                    "shadow_manual_until",
                    "shadow_manual_reason",
                )
            },
        ),
    )


@admin.register(ResponsibilityRule)
class ResponsibilityRuleAdmin(AuditedAdmin):
    list_display = (
        "functional_area",
        "support_level",
        "ticket_type",
        "team",
        "engagement",
        "is_active",
    )
    list_filter = ("functional_area", "support_level", "ticket_type", "team__organization")
    list_select_related = ("team", "engagement")


@admin.register(Absence)
class AbsenceAdmin(AuditedAdmin):
    list_display = ("__str__", "team", "user", "starts_at", "ends_at", "reason")
    list_filter = ("reason", "team")
    date_hierarchy = "starts_at"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class CalendarIntervalInline(admin.TabularInline):
    model = CalendarInterval
    extra = 0


class CalendarHolidayInline(admin.TabularInline):
    model = CalendarHoliday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(AuditedAdmin):
    list_display = ("name", "timezone", "is_24x7", "holiday_country", "holiday_region")
    inlines = [CalendarIntervalInline, CalendarHolidayInline]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is append-only, in the application and in the database."""

    list_display = (
        "created_at",
        "actor_label",
        "action",
        "object_type",
        "object_repr",
        "request_id",
    )
    list_filter = ("action", "object_type")
    search_fields = ("actor_label", "object_repr", "object_id", "request_id")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class UserProfileInline(admin.StackedInline):
    model = UserProfile
    can_delete = False
    min_num = 1
    max_num = 1


admin.site.unregister(User)


@admin.action(description=_("Revoke API access of the selected service accounts"))
def revoke_service_accounts(modeladmin, request, queryset):
    from cogest.services import service_account_revoke

    done = 0
    for user in queryset.filter(profile__is_service_account=True):
        service_account_revoke(user=user, by=request.user)
        done += 1
    modeladmin.message_user(request, _("%(n)s service accounts revoked.") % {"n": done})


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [UserProfileInline]
    actions = [revoke_service_accounts]
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "organization",
        "role",
        "is_active",
    )
    list_filter = (
        "profile__organization",
        "profile__role",
        "profile__is_service_account",
        "is_active",
    )
    list_select_related = ("profile__organization",)

    @admin.display(description=_("organization"))
    def organization(self, obj):
        return getattr(getattr(obj, "profile", None), "organization", "")

    @admin.display(description=_("role"))
    def role(self, obj):
        profile = getattr(obj, "profile", None)
        return profile.get_role_display() if profile else ""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="user.changed" if change else "user.created",
            obj=obj,
            after={"fields": list(form.changed_data)},
            note="admin",
        )


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Jobs waiting for the broker (or sent in the last week): read-only, for diagnosis."""

    list_display = ("id", "task_name", "created_at", "sent_at", "attempts", "last_error")
    list_filter = (("sent_at", admin.EmptyFieldListFilter),)
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
