"""Registering and editing a CI, with one form field per attribute of its class. A provider's
edit of a CI its organization does not manage is the same form, sent as a proposal for review."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic.detail import SingleObjectMixin

from cmdb.errors import StaleVersion
from cmdb.forms import (
    ATTR_PREFIX,
    STALE_MESSAGE,
    AttributeFieldsForm,
    CIForm,
    attribute_initial,
)
from cmdb.models import CIClass, ConfigurationItem
from cmdb.services import ci_create, ci_update, may_change_ci
from cogest.form_errors import add_service_errors
from cogest.querysets import viewer_for
from cogest.views import RestrictedViewMixin, is_htmx


class CIFormPageMixin:
    template_name = "cmdb/ci_form.html"

    def wire(self, form: CIForm) -> CIForm:
        """The class menu re-renders the attribute fields (htmx), keeping the values typed."""
        if "ci_class" in form.fields:
            form.fields["ci_class"].widget.attrs.update(
                {
                    "hx-get": self.url("ci-attribute-fields"),
                    "hx-target": "#ci-attribute-fields",
                    "hx-swap": "innerHTML",
                    "hx-trigger": "change",
                    "hx-include": "#ci-attribute-fields",
                }
            )
        return form

    def render_form(self, form: CIForm, *, ci=None, status: int = 200):
        context = {
            **self.side_context(),
            "form": self.wire(form),
            "ci": ci,
            "proposal": form.proposal,
            "sites": self.sites(),
        }
        return render(self.request, self.template_name, context, status=status)

    def sites(self) -> list[str]:
        """Sites already in use, as suggestions (the field stays free text)."""
        return list(
            ConfigurationItem.objects.restrict(self.request.user, "view")
            .exclude(site="")
            .order_by("site")
            .values_list("site", flat=True)
            .distinct()[:200]
        )


class CICreateView(CIFormPageMixin, View):
    """Register a CI. A provider registers CIs of its own organization."""

    def get(self, request, *args, **kwargs):
        return self.render_form(CIForm(user=request.user))

    def post(self, request, *args, **kwargs):
        form = CIForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                ci = ci_create(by=request.user, **form.service_values())
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or _("You may not register this CI."))
            else:
                messages.success(request, _("%(name)s registered.") % {"name": ci.name})
                return redirect(self.url("ci-detail", ci.pk))
        return self.render_form(form, status=400)


class CIEditView(CIFormPageMixin, RestrictedViewMixin, SingleObjectMixin, View):
    """Edit a CI (optimistic: an edit of an old version is refused, nothing saved). A provider
    on a CI its organization does not manage proposes the change instead."""

    queryset = ConfigurationItem.objects.select_related("ci_class")
    context_object_name = "ci"

    def proposal(self, ci) -> bool:
        viewer = viewer_for(self.request.user)
        if viewer.is_internal or viewer.is_admin:
            return False
        return not may_change_ci(self.request.user, ci)

    def get(self, request, pk):
        ci = self.get_object()
        form = CIForm(user=request.user, ci=ci, proposal=self.proposal(ci))
        return self.render_form(form, ci=ci)

    def post(self, request, pk):
        ci = self.get_object()
        form = CIForm(request.POST, user=request.user, ci=ci, proposal=self.proposal(ci))
        if form.is_valid():
            try:
                result = ci_update(
                    ci=ci,
                    by=request.user,
                    expected_version=form.cleaned_data["version"],
                    reason=form.cleaned_data["reason"],
                    **form.service_values(),
                )
            except StaleVersion:
                form.add_error(None, str(STALE_MESSAGE))
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or _("You may not change this CI."))
            else:
                if result.proposed:
                    messages.success(
                        request,
                        _(
                            "Your change to %(name)s was sent for review: it applies once an "
                            "internal owner approves it."
                        )
                        % {"name": ci.name},
                    )
                elif result.ci.version != ci.version:
                    messages.success(request, _("%(name)s saved.") % {"name": result.ci.name})
                else:
                    messages.info(request, _("Nothing changed."))
                return redirect(self.url("ci-detail", ci.pk))
        return self.render_form(form, ci=ci, status=400)


class CIAttributeFieldsView(View):
    """The attribute fields of a class (``?ci_class=<id>``), keeping the values typed so far
    (``attr_<name>``): what htmx swaps into the CI form when its class changes."""

    def get(self, request, *args, **kwargs):
        if not is_htmx(request):
            return redirect(self.url("ci-list"))
        raw = request.GET.get("ci_class", "")
        ci_class = None
        if raw.isascii() and raw.isdigit():
            ci_class = CIClass.objects.restrict(request.user, "view").filter(pk=int(raw)).first()
        schema = ci_class.attribute_schema if ci_class else {}
        typed = {k: v for k, v in request.GET.items() if k.startswith(ATTR_PREFIX) and v}
        initial = {**attribute_initial(schema, {}, defaults=True), **typed}
        form = AttributeFieldsForm(schema=schema, initial=initial)
        context = {"attribute_fields": form.attribute_fields, "ci_class": ci_class}
        return render(request, "cmdb/_ci_attribute_fields.html", context)
