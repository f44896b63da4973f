"""The CMDB's import pages, for internal staff (to anyone else they do not exist: 404): recent
imports, the upload form with a CSV template per class, and an import's page (the preview with
its errors, the confirmation, then a progress bar htmx refreshes every second until it is done).
Thin: parse the input, call ``cmdb.importing``, render."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, ListView
from django.views.generic.detail import SingleObjectMixin

from cmdb.choices import ImportFormat, ImportMode, ImportStatus
from cmdb.importing import (
    column_help,
    import_confirm,
    import_preview,
    import_sample,
    job_progress,
    max_bytes,
    may_import,
    read_upload,
    template_csv,
    too_big_message,
)
from cmdb.models import CIClass, ImportJob
from cogest.form_errors import add_service_errors
from cogest.views import RestrictedViewMixin

SHOWN_ERRORS = 200
JOBS = ImportJob.objects.select_related("ci_class", "created_by")


class ImportPageMixin(LoginRequiredMixin):
    """Imports are an internal tool: for providers and requesters these pages do not exist."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_import(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class ImportForm(forms.Form):
    ci_class = forms.ModelChoiceField(
        label=gettext_lazy("Class"),
        queryset=CIClass.objects.none(),
        to_field_name="slug",
        empty_label=gettext_lazy("Choose a class"),
    )
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV with a header row, or JSON (a list of objects); UTF-8."),
    )
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        required=False,
        choices=[("", gettext_lazy("From the file name")), *ImportFormat.choices],
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("If some rows have errors"),
        choices=[
            (ImportMode.STRICT, gettext_lazy("Import nothing (all or nothing)")),
            (ImportMode.SKIP, gettext_lazy("Import the good rows, skip the bad ones")),
        ],
        initial=ImportMode.STRICT,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ci_class"].queryset = CIClass.objects.restrict(user, "view")
        for name, css in (
            ("ci_class", "form-select form-select-sm"),
            ("format", "form-select form-select-sm"),
            ("file", "form-control form-control-sm"),
        ):
            self.fields[name].widget.attrs["class"] = css
        self.fields["file"].widget.attrs["accept"] = ".csv,.json,.txt,text/csv,application/json"
        # Choosing a class shows its columns (the page's own fragment, fetched by htmx).
        self.fields["ci_class"].widget.attrs.update(
            {
                "hx-get": reverse("cmdb:import-new"),
                "hx-trigger": "change",
                "hx-target": "#import-columns",
                "hx-select": "#import-columns",
                "hx-swap": "outerHTML",
            }
        )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > max_bytes():
            raise ValidationError(too_big_message())
        return upload

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


class ImportListView(ImportPageMixin, RestrictedViewMixin, ListView):
    """The recent imports, newest first."""

    queryset = JOBS.defer("content")
    template_name = "cmdb/import_list.html"
    context_object_name = "jobs"
    paginate_by = 25


class ImportNewView(ImportPageMixin, View):
    """Upload a file: it is checked at once (nothing saved but the job) and its preview shown."""

    template_name = "cmdb/import_new.html"

    def get(self, request):
        initial = {"ci_class": request.GET.get("ci_class") or None}
        return self.render_form(ImportForm(initial=initial, user=request.user))

    def post(self, request):
        form = ImportForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                job = import_preview(
                    ci_class=data["ci_class"],
                    filename=data["file"].name,
                    content=read_upload(data["file"]),
                    fmt=data["format"] or None,
                    mode=data["mode"],
                    by=request.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("cmdb:import-detail", pk=job.pk)
        return self.render_form(form, status=400)

    def render_form(self, form, status=200):
        klass = form["ci_class"].value()
        chosen = form.fields["ci_class"].queryset.filter(slug=klass).first() if klass else None
        context = {
            "form": form,
            "classes": form.fields["ci_class"].queryset,
            "chosen_class": chosen,
            "columns": column_help(chosen) if chosen else [],
            "max_size": max_bytes(),
        }
        return render(self.request, self.template_name, context, status=status)


def progress_context(job: ImportJob) -> dict:
    errors = job.errors or []
    return {
        "job": job,
        "percent": job_progress(job),
        "active": job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING),
        "errors": errors[:SHOWN_ERRORS],
        "hidden_errors": max(0, len(errors) - SHOWN_ERRORS),
    }


class ImportDetailView(ImportPageMixin, RestrictedViewMixin, DetailView):
    """One import: its preview (counts, errors, a sample of the changes, the confirmation), then
    its progress and result."""

    queryset = JOBS.defer("content")  # read only for a preview's sample
    template_name = "cmdb/import_detail.html"
    context_object_name = "job"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job = self.object
        context.update(progress_context(job))
        if job.status == ImportStatus.PREVIEWED:
            context["sample"] = import_sample(job)
        return context


class ImportProgressView(ImportPageMixin, RestrictedViewMixin, SingleObjectMixin, View):
    """The progress panel alone, for htmx to refresh while the job runs."""

    queryset = JOBS.defer("content")

    def get(self, request, pk):
        job = self.get_object()
        return render(request, "cmdb/_import_progress.html", progress_context(job))


class ImportRunView(ImportPageMixin, RestrictedViewMixin, SingleObjectMixin, View):
    """Confirm a previewed import (optionally in the other mode): a worker runs it."""

    queryset = JOBS.defer("content")

    def post(self, request, pk):
        job = self.get_object()
        mode = request.POST.get("mode") or None
        try:
            import_confirm(job=job, by=request.user, mode=mode)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("cmdb:import-detail", pk=job.pk)
        messages.success(request, _("Import queued: the page follows its progress."))
        return redirect("cmdb:import-detail", pk=job.pk)


class ImportTemplateView(ImportPageMixin, RestrictedViewMixin, SingleObjectMixin, View):
    """An empty CSV with a class's columns: its fields, attributes and relations."""

    queryset = CIClass.objects.all()
    slug_field = "slug"

    def get(self, request, slug):
        klass = self.get_object()
        response = HttpResponse(template_csv(klass), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{klass.slug}-import.csv"'
        response["X-Content-Type-Options"] = "nosniff"
        return response
