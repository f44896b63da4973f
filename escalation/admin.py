"""Configuration pages (the Django admin) of the escalation app. Rules are configured on their
own pages (``/escalation/rules/``, audited by the service); the admin lists them for
administrators, audited like every admin change. Events and notifications are records:
read-only here."""

from __future__ import annotations

from django.contrib import admin

from cogest.admin import AuditedAdmin
from escalation.models import EscalationEvent, EscalationRule, Notification, NotificationPreference


@admin.register(EscalationRule)
class EscalationRuleAdmin(AuditedAdmin):
    list_display = ("name", "position", "trigger", "minutes", "is_active", "updated_at")
    list_filter = ("trigger", "is_active")
    search_fields = ("name",)
    ordering = ("position", "id")
    filter_horizontal = ("teams", "engagements", "add_watchers")


class ReadOnlyAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        return super().get_queryset(request).restrict(request.user, "view")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EscalationEvent)
class EscalationEventAdmin(ReadOnlyAdmin):
    list_display = ("fired_at", "rule", "ticket", "trigger", "trigger_key")
    list_filter = ("trigger",)
    list_select_related = ("rule", "ticket")
    search_fields = ("trigger_key", "ticket__number", "rule__name")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "recipient", "kind", "title", "urgency", "read_at")
    list_filter = ("urgency", "kind")
    list_select_related = ("recipient",)
    search_fields = ("title", "recipient__username")


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    list_display = ("user", "email_normal", "updated_at")
    list_select_related = ("user",)
