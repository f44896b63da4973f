"""Runbook pages (SPEC 2.6): list, page, versions and their differences, create and edit with a
Markdown preview, acknowledgement, review tasks, and the CI page's runbooks partial.

Each page exists once and is mounted for both audiences (``sided``): internal staff at
``/cmdb/runbooks/`` (namespace ``cmdb``), providers at ``/partner/cmdb/runbooks/``
(``partner-cmdb``). Thin: parse the input, call a service or selector of ``cmdb.runbooks``,
render. Every read is restricted (an invisible runbook or CI is a 404).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, ListView
from django.views.generic.detail import SingleObjectMixin

from cmdb import runbooks as rb
from cmdb.choices import RunbookKind
from cmdb.errors import StaleVersion
from cmdb.models import CIClass, ConfigurationItem, Runbook, RunbookReviewTask
from cogest.choices import FunctionalArea
from cogest.form_errors import add_service_errors
from cogest.markdown import render_markdown
from cogest.querysets import viewer_for
from cogest.views import RestrictedViewMixin, SideMixin, side_classes
from cogest.views import sided as cogest_sided

CI_PICKER_LIMIT = 20

# --- Audiences ---------------------------------------------------------------------------------


class RunbookSide(SideMixin):
    """Runbook pages: ``/cmdb/runbooks/`` for internal staff, ``/partner/cmdb/runbooks/`` for a
    provider (both sides read runbooks; ``restrict`` decides which)."""

    namespaces = ("cmdb", "partner-cmdb")


InternalSide, PartnerSide = side_classes(RunbookSide)


def sided(view_class):
    return cogest_sided(view_class, RunbookSide)


# --- Forms --------------------------------------------------------------------------------------


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.HiddenInput):
            continue
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        widget.attrs.setdefault("class", f"{css} {css}-sm")


def _person(user) -> str:
    name = user.get_full_name() or user.get_username()
    profile = getattr(user, "profile", None)
    return f"{name} ({profile.organization.name})" if profile else name


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _person(obj)


class RunbookFilterForm(forms.Form):
    """The list's filter bar; values outside the viewer's scope are invalid choices."""

    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False)
    area = forms.ChoiceField(label=gettext_lazy("Area"), required=False)
    ci_class = forms.ModelChoiceField(
        label=gettext_lazy("CI class"),
        required=False,
        queryset=CIClass.objects.none(),
        to_field_name="slug",
        empty_label=gettext_lazy("Any class"),
    )
    ci = forms.ModelChoiceField(
        label=gettext_lazy("CI"),
        required=False,
        queryset=ConfigurationItem.objects.none(),
        widget=forms.HiddenInput,
    )

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["kind"].choices = [("", _("Any kind")), *RunbookKind.choices]
        self.fields["area"].choices = [("", _("Any area")), *FunctionalArea.choices]
        self.fields["ci_class"].queryset = CIClass.objects.restrict(user, "view")
        self.fields["ci"].queryset = ConfigurationItem.objects.restrict(user, "view")
        _style(self)
        self.fields["q"].widget.attrs.update(
            {"type": "search", "data-search-input": "", "placeholder": _("Title or text…")}
        )


class RunbookForm(forms.Form):
    """Create a runbook, or edit it and publish a new version, in one form."""

    title = forms.CharField(label=gettext_lazy("Title"), max_length=rb.TITLE_LIMIT)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=RunbookKind.choices)
    areas = forms.MultipleChoiceField(
        label=gettext_lazy("Functional areas"),
        required=False,
        choices=FunctionalArea.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    ci_classes = forms.ModelMultipleChoiceField(
        label=gettext_lazy("CI classes"),
        required=False,
        queryset=CIClass.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    # Rendered by the CI picker (search, then tick), never as one option per CI.
    cis = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Configuration items"),
        required=False,
        queryset=ConfigurationItem.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    internal_owner = PersonChoiceField(
        label=gettext_lazy("Internal owner"), queryset=get_user_model().objects.none()
    )
    provider_owner = PersonChoiceField(
        label=gettext_lazy("Provider owner"),
        required=False,
        queryset=get_user_model().objects.none(),
        empty_label=gettext_lazy("No provider side"),
    )
    review_on = forms.DateField(
        label=gettext_lazy("Review by"),
        required=False,
        # A date input takes ISO dates whatever the language.
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("When the date comes, the internal owner gets a review task."),
    )
    body = forms.CharField(
        label=gettext_lazy("Text (Markdown)"),
        max_length=rb.BODY_LIMIT,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "true"}),
    )
    note = forms.CharField(
        label=gettext_lazy("What changed"),
        required=False,
        max_length=rb.NOTE_LIMIT,
        help_text=gettext_lazy("A line for the version history."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, data=None, *, user, runbook: Runbook | None = None, **kwargs):
        super().__init__(data, **kwargs)
        viewer = viewer_for(user)
        internal = viewer.is_internal or viewer.is_admin
        self.fields["ci_classes"].queryset = CIClass.objects.restrict(user, "view")
        self.fields["cis"].queryset = ConfigurationItem.objects.restrict(user, "view")
        self.fields["internal_owner"].queryset = rb.internal_owner_choices(user=user)
        self.fields["provider_owner"].queryset = rb.provider_owner_choices(user=user)
        if not internal:
            # A provider co-owns what it writes; the internal owner is the internal team's call.
            self.fields["provider_owner"].required = True
            self.fields["provider_owner"].empty_label = None
            if runbook is not None:
                self.fields["internal_owner"].disabled = True
                self.fields["internal_owner"].initial = runbook.internal_owner_id
        if runbook is None:
            del self.fields["version"]
        _style(self)
        self.fields["body"].widget.attrs["class"] += " font-monospace"

    def service_values(self) -> dict:
        """The cleaned values, named as the services take them."""
        data = dict(self.cleaned_data)
        data.pop("version", None)
        if self.fields["internal_owner"].disabled:
            data.pop("internal_owner")
        data["ci_classes"] = list(data["ci_classes"])
        data["cis"] = list(data["cis"])
        return data

    def selected_cis(self, user) -> list[ConfigurationItem]:
        """The CIs ticked in the picker (bound: what was sent; unbound: the initial ones)."""
        raw = self["cis"].value() or []
        ids = [int(v) for v in (_id_or_none(x) for x in raw) if v is not None]
        return list(
            ConfigurationItem.objects.restrict(user, "view")
            .filter(pk__in=ids)
            .select_related("ci_class")
            .order_by("name", "pk")
        )


def _id_or_none(value):
    value = getattr(value, "pk", value)
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def area_labels(areas) -> list[str]:
    labels = dict(FunctionalArea.choices)
    return [str(labels.get(area, area)) for area in areas or []]


class ReviewDoneForm(forms.Form):
    next_review_on = forms.DateField(required=False)


# --- List ---------------------------------------------------------------------------------------


class RunbookListView(RestrictedViewMixin, ListView):
    """Runbooks the viewer reads, filtered; what waits for their acknowledgement or review."""

    queryset = Runbook.objects.all()
    template_name = "cmdb/runbook_list.html"
    context_object_name = "runbooks"
    paginate_by = 50

    def get(self, request, *args, **kwargs):
        self.filter_form = RunbookFilterForm(request.GET or None, user=request.user)
        response = super().get(request, *args, **kwargs)
        if self.filter_form.is_bound and not self.filter_form.is_valid():
            response.status_code = 400
        return response

    def get_queryset(self):
        form = self.filter_form
        if form.is_bound and not form.is_valid():
            return super().get_queryset().none()
        data = form.cleaned_data if form.is_bound else {}
        return rb.runbook_list_for(
            user=self.request.user,
            kind=data.get("kind") or None,
            area=data.get("area") or None,
            ci_class=data.get("ci_class"),
            ci=data.get("ci"),
            q=data.get("q"),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs, **self.side_context())
        user = self.request.user
        viewer = viewer_for(user)
        query = self.request.GET.copy()
        query.pop("page", None)
        form = self.filter_form
        context.update(
            filter_form=form,
            filter_ci=form.cleaned_data.get("ci") if form.is_bound and form.is_valid() else None,
            querystring=query.urlencode(),
            waiting=list(rb.runbooks_waiting_for_acknowledgement(user=user)[:50]),
            review_tasks=list(rb.review_tasks_for(user=user)[:50]),
            can_create=viewer.is_authenticated and not viewer.is_requester,
            today=timezone.localdate(),
        )
        for item in context["runbooks"]:
            item.area_labels = area_labels(item.areas)
        return context


# --- One runbook --------------------------------------------------------------------------------

RUNBOOK_QUERYSET = Runbook.objects.select_related(
    "internal_owner__profile__organization",
    "provider_owner__profile__organization",
    "provider_organization",
)


class RunbookDetailView(RestrictedViewMixin, DetailView):
    """The current text, its links and owners, each side's acknowledgement, open reviews and the
    version history."""

    queryset = RUNBOOK_QUERYSET
    template_name = "cmdb/runbook_detail.html"
    context_object_name = "runbook"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs, **self.side_context())
        page = rb.runbook_page(runbook=self.object, user=self.request.user)
        current = page.current
        context.update(
            page=page,
            current=current,
            body_html=render_markdown(current.version.body) if current else "",
            area_labels=area_labels(self.object.areas),
            today=timezone.localdate(),
        )
        return context


class RunbookVersionView(RestrictedViewMixin, DetailView):
    """One version as published, and what changed from the one before."""

    queryset = RUNBOOK_QUERYSET
    template_name = "cmdb/runbook_version.html"
    context_object_name = "runbook"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs, **self.side_context())
        page = rb.runbook_page(runbook=self.object, user=self.request.user)
        row = page.version(self.kwargs["number"])
        if row is None:
            raise Http404(_("This runbook has no such version."))
        previous = page.version(row.version.number - 1)
        context.update(
            page=page,
            row=row,
            previous=previous,
            body_html=render_markdown(row.version.body),
            diff=(
                rb.runbook_version_diff(old=previous.version.body, new=row.version.body)
                if previous
                else []
            ),
        )
        return context


class RunbookFormMixin:
    """The create and edit pages: the form, the CI picker and the owners."""

    template_name = "cmdb/runbook_form.html"

    def form_context(self, form: RunbookForm, runbook: Runbook | None) -> dict:
        return {
            **self.side_context(),
            "form": form,
            "runbook": runbook,
            "selected_cis": form.selected_cis(self.request.user),
            "matches": [],
        }


class RunbookCreateView(RunbookFormMixin, View):
    def dispatch(self, request, *args, **kwargs):
        viewer = viewer_for(request.user)
        if request.user.is_authenticated and (viewer.is_requester or not viewer.is_authenticated):
            raise PermissionDenied(_("You may not write runbooks."))
        return super().dispatch(request, *args, **kwargs)

    def initial(self) -> dict:
        user = self.request.user
        initial = {"kind": RunbookKind.MANUAL}
        if rb.internal_owner_choices(user=user).filter(pk=user.pk).exists():
            initial["internal_owner"] = user.pk
        elif rb.provider_owner_choices(user=user).filter(pk=user.pk).exists():
            initial["provider_owner"] = user.pk
        ci = _id_or_none(self.request.GET.get("ci", ""))
        if ci is not None:
            initial["cis"] = [ci]
        return initial

    def get(self, request):
        form = RunbookForm(user=request.user, initial=self.initial())
        return render(request, self.template_name, self.form_context(form, None))

    def post(self, request):
        form = RunbookForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                runbook = rb.runbook_create(by=request.user, **form.service_values())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Runbook created: version 1 is published."))
                return redirect(f"{self.namespace}:runbook-detail", pk=runbook.pk)
        return render(request, self.template_name, self.form_context(form, None), status=400)


class RunbookEditView(RunbookFormMixin, RestrictedViewMixin, SingleObjectMixin, View):
    """Change the details and publish a new version of the text, in one form."""

    queryset = RUNBOOK_QUERYSET

    def get_object(self, queryset=None):
        runbook = super().get_object(queryset)
        if not rb.may_change_runbook(self.request.user, runbook):
            raise PermissionDenied(_("You may not change this runbook."))
        return runbook

    def get(self, request, pk):
        runbook = self.get_object()
        current = runbook.versions.filter(number=runbook.current_version).first()
        initial = {
            "title": runbook.title,
            "kind": runbook.kind,
            "areas": list(runbook.areas or []),
            "ci_classes": list(runbook.ci_classes.values_list("pk", flat=True)),
            "cis": list(runbook.cis.restrict(request.user, "view").values_list("pk", flat=True)),
            "internal_owner": runbook.internal_owner_id,
            "provider_owner": runbook.provider_owner_id,
            "review_on": runbook.review_on,
            "body": current.body if current else "",
            "version": runbook.version,
        }
        form = RunbookForm(user=request.user, runbook=runbook, initial=initial)
        return render(request, self.template_name, self.form_context(form, runbook))

    def post(self, request, pk):
        runbook = self.get_object()
        form = RunbookForm(request.POST, user=request.user, runbook=runbook)
        if form.is_valid():
            values = form.service_values()
            try:
                rb.runbook_edit(
                    runbook=runbook,
                    by=request.user,
                    expected_version=form.cleaned_data.get("version"),
                    **values,
                )
            except StaleVersion as exc:
                form.add_error(
                    None,
                    _(
                        "Someone changed this runbook while you were editing it (it is now at "
                        "revision %(current)s). Nothing was saved: open it again to see their "
                        "change; your text is still below to copy."
                    )
                    % {"current": exc.current},
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Runbook saved."))
                return redirect(f"{self.namespace}:runbook-detail", pk=runbook.pk)
        return render(request, self.template_name, self.form_context(form, runbook), status=400)


class RunbookPreviewView(View):
    """The Markdown of the form, rendered and sanitized as the page will show it (htmx)."""

    def post(self, request):
        body = request.POST.get("body", "")
        if len(body) > rb.BODY_LIMIT:
            context = {"error": _("At most %(n)s characters.") % {"n": rb.BODY_LIMIT}}
            return render(request, "cmdb/_runbook_preview.html", context, status=400)
        context = {"preview_html": render_markdown(body)}
        return render(request, "cmdb/_runbook_preview.html", context)


class RunbookCIOptionsView(RestrictedViewMixin, ListView):
    """The CI picker (htmx): the ticked CIs, then up to 20 more matching the search."""

    queryset = ConfigurationItem.objects.select_related("ci_class")
    template_name = "cmdb/_runbook_ci_choices.html"

    def get_queryset(self):
        text = (self.request.GET.get("ci_search") or "").strip()[:100]
        self.selected_ids = [
            v for v in (_id_or_none(x) for x in self.request.GET.getlist("cis")) if v is not None
        ][: rb.LINK_LIMIT]
        if not text:
            return super().get_queryset().none()
        return (
            super()
            .get_queryset()
            .search(text)
            .exclude(pk__in=self.selected_ids)
            .order_by("name", "pk")[:CI_PICKER_LIMIT]
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs, **self.side_context())
        context["matches"] = context["object_list"]
        context["selected_cis"] = list(
            ConfigurationItem.objects.restrict(self.request.user, "view")
            .filter(pk__in=self.selected_ids)
            .select_related("ci_class")
            .order_by("name", "pk")
        )
        context["searched"] = bool((self.request.GET.get("ci_search") or "").strip())
        return context


class RunbookAcknowledgeView(RestrictedViewMixin, SingleObjectMixin, View):
    """The reader acknowledges the version they read, for their side."""

    queryset = Runbook.objects.all()

    def post(self, request, pk):
        runbook = self.get_object()
        number = _id_or_none(request.POST.get("version", ""))
        try:
            rb.runbook_acknowledge(runbook=runbook, by=request.user, number=number)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Acknowledged: you work by this version."))
        return redirect(f"{self.namespace}:runbook-detail", pk=runbook.pk)


class RunbookReviewDoneView(RestrictedViewMixin, SingleObjectMixin, View):
    """Close a review task, optionally setting the next review date."""

    queryset = RunbookReviewTask.objects.select_related("runbook")

    def post(self, request, pk):
        task = self.get_object()
        form = ReviewDoneForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give the next review date as a date."))
        else:
            try:
                rb.review_task_done(
                    task=task, by=request.user, next_review_on=form.cleaned_data["next_review_on"]
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Review done."))
        if request.POST.get("return_to") == "list":
            return redirect(f"{self.namespace}:runbook-list")
        return redirect(f"{self.namespace}:runbook-detail", pk=task.runbook_id)


class CIRunbooksView(RestrictedViewMixin, SingleObjectMixin, View):
    """A CI's runbooks (linked to it or to its class): the partial the CI page lazy-loads."""

    queryset = ConfigurationItem.objects.select_related("ci_class")

    def get(self, request, pk):
        ci = self.get_object()
        viewer = viewer_for(request.user)
        context = {
            **self.side_context(),
            "ci": ci,
            "runbooks": rb.runbooks_for_ci(user=request.user, ci=ci),
            "can_create": not viewer.is_requester,
        }
        return render(request, "cmdb/_ci_runbooks.html", context)


# --- The two audiences --------------------------------------------------------------------------

InternalRunbookListView, PartnerRunbookListView = sided(RunbookListView)
InternalRunbookDetailView, PartnerRunbookDetailView = sided(RunbookDetailView)
InternalRunbookVersionView, PartnerRunbookVersionView = sided(RunbookVersionView)
InternalRunbookCreateView, PartnerRunbookCreateView = sided(RunbookCreateView)
InternalRunbookEditView, PartnerRunbookEditView = sided(RunbookEditView)
InternalRunbookPreviewView, PartnerRunbookPreviewView = sided(RunbookPreviewView)
InternalRunbookCIOptionsView, PartnerRunbookCIOptionsView = sided(RunbookCIOptionsView)
InternalRunbookAcknowledgeView, PartnerRunbookAcknowledgeView = sided(RunbookAcknowledgeView)
InternalCIRunbooksView, PartnerCIRunbooksView = sided(CIRunbooksView)
InternalRunbookReviewDoneView = type(
    "InternalRunbookReviewDoneView", (InternalSide, RunbookReviewDoneView), {}
)
