"""Pages of sharing and access grants: the internal list where managers decide, and the partner
portal page where technicians ask for access."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView
from django.views.generic.detail import SingleObjectMixin

from cogest import grants
from cogest.form_errors import add_service_errors
from cogest.models import AccessGrant, GrantLevel, GrantStatus, Organization
from cogest.querysets import viewer_for
from cogest.views import RestrictedViewMixin

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def _object_type_choices():
    labels = {
        "ticket": _("Ticket (number)"),
        "team": _("Team queue (name)"),
        "ci": _("Configuration item"),
    }
    return [(key, labels.get(key, key)) for key in grants.grantable_kinds()]


class GrantRequestForm(forms.Form):
    object_type = forms.ChoiceField(label=_("Access to"))
    object = forms.CharField(
        label=_("Which one"),
        max_length=80,
        widget=forms.TextInput(attrs={"placeholder": "INC-000123"}),
    )
    level = forms.ChoiceField(label=_("Access"), choices=GrantLevel.choices)
    reason = forms.CharField(label=_("Why"), max_length=500)
    expires_at = forms.DateTimeField(
        label=_("Until"), widget=DATETIME_WIDGET, input_formats=DATETIME_FORMATS
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = _object_type_choices()


class GrantShareForm(GrantRequestForm):
    organization = forms.ModelChoiceField(
        label=_("Share with"), queryset=Organization.objects.filter(kind="provider")
    )
    reason = forms.CharField(label=_("Note"), max_length=500, required=False)
    expires_at = forms.DateTimeField(
        label=_("Until (optional)"),
        widget=DATETIME_WIDGET,
        input_formats=DATETIME_FORMATS,
        required=False,
    )

    field_order = ["object_type", "object", "organization", "level", "reason", "expires_at"]


class AccessGrantListView(LoginRequiredMixin, RestrictedViewMixin, ListView):
    """Shares and requests the viewer may see; the form to share (internal) or ask (provider)."""

    queryset = AccessGrant.objects.select_related(
        "organization", "grantee_user", "requested_by", "decided_by", "content_type"
    )
    context_object_name = "grants"
    paginate_by = 50

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            viewer = viewer_for(request.user)
            partner_path = request.path.startswith("/partner/")
            if viewer.is_requester:
                raise PermissionDenied
            if viewer.is_provider and not partner_path:
                return redirect("partner:access")
            if not viewer.is_provider and partner_path:
                return redirect("access")
        return super().dispatch(request, *args, **kwargs)

    def get_template_names(self):
        if viewer_for(self.request.user).is_provider:
            return ["partner/access.html"]
        return ["cogest/access.html"]

    def get_queryset(self):
        qs = super().get_queryset()
        status = self.request.GET.get("status")
        if status in GrantStatus.values:
            qs = qs.filter(status=status)
        return qs

    def form(self, data=None):
        if viewer_for(self.request.user).is_provider:
            return GrantRequestForm(data)
        return GrantShareForm(data)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        viewer = viewer_for(self.request.user)
        context.setdefault("form", self.form())
        context["can_decide"] = viewer.is_admin or (viewer.is_internal and viewer.is_manager)
        context["statuses"] = GrantStatus.choices
        context["current_status"] = self.request.GET.get("status", "")
        return context

    def post(self, request, *args, **kwargs):
        form = self.form(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                obj = grants.resolve_grantable(data["object_type"], data["object"])
                if isinstance(form, GrantShareForm):
                    grants.grant_share(
                        obj=obj,
                        organization=data["organization"],
                        by=request.user,
                        level=data["level"],
                        reason=data["reason"],
                        expires_at=data["expires_at"],
                    )
                    messages.success(request, _("Shared."))
                else:
                    grants.grant_request(
                        obj=obj,
                        by=request.user,
                        reason=data["reason"],
                        expires_at=data["expires_at"],
                        level=data["level"],
                    )
                    messages.success(request, _("Request sent to the internal managers."))
                return redirect(request.path)
            except ValidationError as exc:
                add_service_errors(form, exc)
            except ObjectDoesNotExist:  # sharing something the viewer cannot see
                form.add_error("object", _("Nothing matches that reference."))
        self.object_list = self.get_queryset()
        context = self.get_context_data(form=form)
        return self.render_to_response(context, status=400)


class AccessGrantDecisionView(LoginRequiredMixin, RestrictedViewMixin, SingleObjectMixin, View):
    """Approve, refuse or revoke one grant (the service checks who may)."""

    queryset = AccessGrant.objects.all()

    def post(self, request, pk, op):
        grant = self.get_object()
        note = request.POST.get("note", "")
        service = {
            "approve": grants.grant_approve,
            "refuse": grants.grant_refuse,
            "revoke": grants.grant_revoke,
        }.get(op)
        if service is None:
            return redirect("access")
        try:
            service(grant=grant, by=request.user, note=note)
            messages.success(request, _("Done."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        target = "partner:access" if viewer_for(request.user).is_provider else "access"
        return redirect(target)
