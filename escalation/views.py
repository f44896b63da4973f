"""Escalation pages: the rules (internal staff read, internal managers configure them), the
escalation matrix for both sides, and each person's notifications. Thin: parse the input, call
a service or a restricted selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView, TemplateView
from django.views.generic.detail import SingleObjectMixin

from cogest.form_errors import add_service_errors
from cogest.querysets import viewer_for
from cogest.views import InternalPageMixin, PartnerPageMixin, RestrictedViewMixin, is_htmx
from escalation import selectors
from escalation.configuration import (
    notification_mark_all_read,
    notification_mark_read,
    notification_preferences_set,
    rule_create,
    rule_move,
    rule_set_active,
    rule_update,
    rules_changeable_by,
    rules_readable_by,
)
from escalation.forms import NotificationPreferencesForm, RuleConditionsForm, RuleForm
from escalation.models import EscalationRule, Notification, NotificationPreference

# --- Rules -------------------------------------------------------------------------------------


class RulePageMixin(LoginRequiredMixin):
    """The rules' configuration pages: internal staff read them; for anyone else (providers,
    requesters) they do not exist (404). Writing takes ``rules_changeable_by`` (403)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not rules_readable_by(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def require_change(self) -> None:
        if not rules_changeable_by(self.request.user):
            raise PermissionDenied(_("Only internal managers configure escalation rules."))


class RuleListView(RulePageMixin, RestrictedViewMixin, ListView):
    """The rules in the order they run, each with its trigger, conditions and actions in words."""

    queryset = selectors.RULE_QUERYSET.order_by("position", "id")
    template_name = "escalation/rule_list.html"
    context_object_name = "rules"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rule_words"] = [selectors.rule_in_words(rule) for rule in context["rules"]]
        context["can_change"] = rules_changeable_by(self.request.user)
        return context


def _rules_partial(request, status=200):
    """The rule table, re-rendered after a reorder or (de)activation (htmx)."""
    rules = selectors.rule_list_for_user(user=request.user)
    context = {
        "rule_words": [selectors.rule_in_words(rule) for rule in rules],
        "can_change": rules_changeable_by(request.user),
    }
    return render(request, "escalation/_rule_table.html", context, status=status)


class RuleFormMixin(RulePageMixin):
    template_name = "escalation/rule_form.html"

    def form(self, data=None, initial=None) -> RuleForm:
        choices = selectors.rule_form_choices(user=self.request.user)
        return RuleForm(data, initial=initial, choices=choices)

    def render_form(self, form, *, rule=None, status=200):
        context = {"form": form, "rule": rule}
        return render(self.request, self.template_name, context, status=status)


class RuleCreateView(RuleFormMixin, View):
    def get(self, request):
        self.require_change()
        return self.render_form(self.form())

    def post(self, request):
        self.require_change()
        form = self.form(request.POST)
        if form.is_valid():
            try:
                rule = rule_create(by=request.user, data=form.rule_data())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Rule “%(name)s” created.") % {"name": rule.name})
                return redirect("escalation:rules")
        return self.render_form(form, status=400)


class RuleEditView(RuleFormMixin, RestrictedViewMixin, SingleObjectMixin, View):
    """Edit a rule: a rule the user cannot see is a 404, one they cannot change a 403."""

    queryset = selectors.RULE_QUERYSET

    def get(self, request, pk):
        rule = self.get_object()
        self.require_change()
        return self.render_form(self.form(initial=RuleForm.initial_for(rule)), rule=rule)

    def post(self, request, pk):
        rule = self.get_object()
        self.require_change()
        form = self.form(request.POST)
        if form.is_valid():
            try:
                rule = rule_update(rule=rule, by=request.user, data=form.rule_data())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Rule “%(name)s” saved.") % {"name": rule.name})
                return redirect("escalation:rules")
        return self.render_form(form, rule=rule, status=400)


class RuleChangeView(RulePageMixin, View):
    """A small change from the rule list (htmx re-renders the table; without JavaScript the
    page reloads)."""

    def change(self, request, pk) -> str:
        raise NotImplementedError

    def post(self, request, pk):
        try:
            text = self.change(request, pk)
        except EscalationRule.DoesNotExist:
            raise Http404 from None
        except ValidationError as exc:
            if is_htmx(request):
                return _rules_partial(request, status=400)
            messages.error(request, " ".join(exc.messages))
            return redirect("escalation:rules")
        if is_htmx(request):
            return _rules_partial(request)
        messages.success(request, text)
        return redirect("escalation:rules")


class RuleActiveView(RuleChangeView):
    """Switch a rule on (``active=1``) or off (``active=0``)."""

    def change(self, request, pk) -> str:
        active = request.POST.get("active") in ("1", "true", "on")
        rule = rule_set_active(rule=pk, by=request.user, active=active)
        text = _("Rule “%(name)s” activated.") if active else _("Rule “%(name)s” deactivated.")
        return text % {"name": rule.name}


class RuleMoveView(RuleChangeView):
    """Move a rule one place ``up`` or ``down`` (``direction``) in the order rules run."""

    def change(self, request, pk) -> str:
        rule_move(rule=pk, by=request.user, direction=request.POST.get("direction", ""))
        return _("Order saved.")


class RulePreviewView(RulePageMixin, View):
    """htmx: the open tickets the conditions being edited match now (at most 50)."""

    def post(self, request):
        self.require_change()
        choices = selectors.rule_form_choices(user=request.user)
        form = RuleConditionsForm(request.POST, choices=choices)
        context = {"form": form, "preview": None}
        if form.is_valid():
            context["preview"] = selectors.ticket_list_matching(
                user=request.user, conditions=form.conditions()
            )
        return render(request, "escalation/_preview.html", context)


# --- The escalation matrix ---------------------------------------------------------------------


class EscalationMatrixView(InternalPageMixin, TemplateView):
    """The documented escalation workflow, for internal staff: who handles what at which level,
    the rules in words, which SLA/OLA/UC applies. Printable."""

    template_name = "escalation/matrix.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and viewer_for(request.user).is_requester:
            raise PermissionDenied(_("The escalation matrix is for support staff."))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        user = self.request.user
        return {
            **super().get_context_data(**kwargs),
            **selectors.escalation_matrix_for_user(user=user),
            "can_read_rules": rules_readable_by(user),
        }


class PartnerEscalationMatrixView(PartnerPageMixin, TemplateView):
    """The escalation matrix in the partner portal: read-only, only the provider's own teams
    and the internal ones, the rules in words (never their configuration)."""

    template_name = "partner/escalation.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            **selectors.escalation_matrix_for_user(user=self.request.user),
        }


# --- Notifications -----------------------------------------------------------------------------


class NotificationSide:
    """Notification pages exist on both sides (``escalation`` and ``partner-escalation``, the
    same app); each renders in its side's layout."""

    partner = False

    def side_context(self) -> dict:
        return {
            "base_template": "partner/base.html" if self.partner else "cogest/base_internal.html"
        }

    def list_url(self) -> str:
        return reverse(
            "escalation:notifications", current_app=self.request.resolver_match.namespace
        )


class NotificationListView(NotificationSide, RestrictedViewMixin, ListView):
    """The person's notifications, newest first, with their email preference."""

    queryset = Notification.objects.select_related("ticket").order_by("-created_at", "-id")
    template_name = "escalation/notifications.html"
    context_object_name = "notifications"
    paginate_by = 30

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        preference = NotificationPreference.objects.restrict(self.request.user).first()
        email_normal = preference.email_normal if preference else True
        context.update(
            self.side_context(),
            preferences_form=NotificationPreferencesForm(initial={"email_normal": email_normal}),
            # Counted once here; the top bar's bell reads the same value.
            unread_notifications=_unread(self.request.user),
        )
        return context


class NotificationReadView(NotificationSide, View):
    """Mark one notification read; htmx swaps its row and the bell's count."""

    def post(self, request, pk):
        try:
            notification = notification_mark_read(notification=pk, by=request.user)
        except Notification.DoesNotExist:
            raise Http404 from None
        if is_htmx(request):
            return render(
                request,
                "escalation/_notification_read.html",
                {"n": notification, "unread_count": _unread(request.user)},
            )
        return redirect(self.list_url())


class NotificationReadAllView(NotificationSide, View):
    def post(self, request):
        done = notification_mark_all_read(by=request.user)
        if is_htmx(request):
            notifications = selectors.notification_list_for_user(user=request.user)[:30]
            return render(
                request,
                "escalation/_notification_list.html",
                {"notifications": notifications, "unread_count": 0, "oob": True},
            )
        messages.success(request, _("%(n)s notifications marked read.") % {"n": done})
        return redirect(self.list_url())


class NotificationPreferencesView(NotificationSide, View):
    def post(self, request):
        form = NotificationPreferencesForm(request.POST)
        form.is_valid()  # a checkbox: always valid
        notification_preferences_set(
            by=request.user, email_normal=form.cleaned_data.get("email_normal", False)
        )
        messages.success(request, _("Notification preferences saved."))
        return redirect(self.list_url())


def _unread(user) -> int:
    return selectors.notification_unread_count(user=user, fresh=True)


def _sided(view_class):
    internal = type(view_class.__name__, (InternalPageMixin, view_class), {})
    partner = type(
        f"Partner{view_class.__name__}", (PartnerPageMixin, view_class), {"partner": True}
    )
    return internal, partner


NotificationList, PartnerNotificationList = _sided(NotificationListView)
NotificationRead, PartnerNotificationRead = _sided(NotificationReadView)
NotificationReadAll, PartnerNotificationReadAll = _sided(NotificationReadAllView)
NotificationPreferences, PartnerNotificationPreferences = _sided(NotificationPreferencesView)
