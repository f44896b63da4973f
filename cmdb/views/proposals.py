"""Reviewing providers' CI change proposals (SPEC 2.3): the internal list and review page with
approve / reject, and the partner portal's list and page with withdraw.

Reads go through ``restrict`` (internal staff see every proposal, a provider its own
organization's); every decision is one service call (``proposal_approve``, ``proposal_reject``,
``proposal_withdraw``), whose refusals come back as form errors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, ListView
from django.views.generic.detail import SingleObjectMixin

from cmdb.choices import CRITICALITY_CHOICES, CIStatus, Environment, ProposalStatus
from cmdb.models import CIChangeProposal, CIClass, ConfigurationItem
from cmdb.services import (
    CI_FIELDS,
    ci_snapshot,
    may_decide_proposal,
    proposal_approve,
    proposal_reject,
    proposal_withdraw,
)
from cogest.filters import MAX_ID
from cogest.form_errors import add_service_errors
from cogest.models import Organization, Team, UserProfile
from cogest.querysets import viewer_for
from cogest.views import RestrictedViewMixin

PROPOSAL_QUERYSET = CIChangeProposal.objects.select_related(
    "ci__ci_class", "organization", "proposed_by", "decided_by"
)
NOTE_MAX = 2000


# --- Who may decide ---------------------------------------------------------------------------


def proposal_may_decide(user, proposal: CIChangeProposal) -> bool:
    """Whether the page offers ``user`` the approve/reject forms: a pending proposal they may
    decide (the rule ``cmdb.services`` enforces when the decision is posted)."""
    return proposal.status == ProposalStatus.PENDING and may_decide_proposal(user, proposal)


# --- The diff ---------------------------------------------------------------------------------

_REFERENCE_FIELDS = ("ci_class", "owner_team", "managed_by", "internal_owner", "provider_owner")
_CHOICE_LABELS = {
    "status": dict(CIStatus.choices),
    "environment": dict(Environment.choices),
    "criticality": dict(CRITICALITY_CHOICES),
}


@dataclass
class DiffRow:
    """One field of a proposal: its value when proposed, the proposed one, and today's."""

    field: str
    label: str
    before: str
    proposed: str
    current: str
    #: The CI's value moved away from ``before`` since the proposal was filed.
    moved: bool
    multiline: bool = False


def field_label(name: str) -> str:
    """A CI field's name for people ("Owner team")."""
    label = str(ConfigurationItem._meta.get_field(name).verbose_name)
    return label[:1].upper() + label[1:]


def _reference_names(user, rows: list[tuple[str, object]]) -> dict[tuple[str, object], str]:
    """(field, id) → the name the reader may know, one query per kind of reference."""
    wanted: dict[str, set] = {}
    for name, value in rows:
        if name in _REFERENCE_FIELDS and value not in (None, ""):
            kind = "user" if name.endswith("_owner") else name
            wanted.setdefault(kind, set()).add(value)
    names: dict[tuple[str, object], str] = {}
    if "ci_class" in wanted:
        for pk, label in (
            CIClass.objects.restrict(user, "view")
            .filter(pk__in=wanted["ci_class"])
            .values_list("pk", "name")
        ):
            names["ci_class", pk] = label
    if "owner_team" in wanted:
        for team in (
            Team.objects.restrict(user, "view")
            .filter(pk__in=wanted["owner_team"])
            .select_related("organization")
        ):
            names["owner_team", team.pk] = f"{team.name} · {team.organization.name}"
    if "managed_by" in wanted:
        for pk, label in (
            Organization.objects.restrict(user, "view")
            .filter(pk__in=wanted["managed_by"])
            .values_list("pk", "name")
        ):
            names["managed_by", pk] = label
    if "user" in wanted:
        for profile in (
            UserProfile.objects.restrict(user, "view")
            .filter(user_id__in=wanted["user"])
            .select_related("user")
        ):
            person = profile.user
            names["user", person.pk] = person.get_full_name() or person.get_username()
    return names


def _display(name: str, value, names: dict) -> str:
    if value is None or value == "":
        return "—"
    if name in _REFERENCE_FIELDS:
        kind = "user" if name.endswith("_owner") else name
        # A reference the reader may not know by name keeps its id only.
        return names.get((kind, value), f"#{value}")
    if name in _CHOICE_LABELS:
        return str(_CHOICE_LABELS[name].get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def proposal_diff(proposal: CIChangeProposal, user) -> list[DiffRow]:
    """The proposal field by field, in the CI form's order; the attributes key by key.

    ``current`` is the CI's value today: when the CI changed since the proposal
    (``base_version`` behind ``ci.version``) the reviewer sees what approving would overwrite.
    References (class, team, organization, people) are shown by name."""
    fields = [name for name in CI_FIELDS if name in proposal.changes]
    current = ci_snapshot(proposal.ci, fields)
    pairs = []
    for name in fields:
        pairs += [(name, proposal.before.get(name)), (name, proposal.changes.get(name))]
        pairs.append((name, current.get(name)))
    names = _reference_names(user, pairs)
    rows = []
    for name in fields:
        before, proposed, now = proposal.before.get(name), proposal.changes[name], current[name]
        if name == "attributes":
            rows += _attribute_rows(before or {}, proposed or {}, now or {})
            continue
        rows.append(
            DiffRow(
                field=name,
                label=field_label(name),
                before=_display(name, before, names),
                proposed=_display(name, proposed, names),
                current=_display(name, now, names),
                moved=now != before,
                multiline=name == "description",
            )
        )
    return rows


def _attribute_rows(before: dict, proposed: dict, now: dict) -> list[DiffRow]:
    rows = []
    for key in sorted(set(before) | set(proposed)):
        if before.get(key) == proposed.get(key):
            continue
        rows.append(
            DiffRow(
                field=f"attributes.{key}",
                label=_("Attribute “%(key)s”") % {"key": key},
                before=_display("", before.get(key), {}),
                proposed=_display("", proposed.get(key), {}),
                current=_display("", now.get(key), {}),
                moved=now.get(key) != before.get(key),
            )
        )
    return rows


# --- Forms ------------------------------------------------------------------------------------


class _Styled(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select form-select-sm" if isinstance(field.widget, forms.Select) else ""
            css = css or "form-control form-control-sm"
            field.widget.attrs["class"] = css


class ApproveForm(_Styled):
    note = forms.CharField(
        label=gettext_lazy("Note (optional)"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RejectForm(_Styled):
    # Required by the service, which says so next to the field (one message, one place).
    note = forms.CharField(
        label=gettext_lazy("Why it is rejected"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class _NoInput(forms.Form):
    pass


class ProposalFilterForm(_Styled):
    """The list's filters: status, CI (id) and proposing organization."""

    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Any status")), *ProposalStatus.choices],
    )
    ci = forms.IntegerField(
        label=gettext_lazy("CI id"), required=False, min_value=1, max_value=MAX_ID
    )
    organization = forms.TypedChoiceField(
        label=gettext_lazy("Proposed by"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [
            ("", _("Any provider")),
            *[(str(o.pk), o.name) for o in organizations],
        ]
        if "organization" in self.fields and not organizations:
            del self.fields["organization"]

    def apply(self, queryset):
        """Narrow ``queryset`` by the valid filters (an invalid one is reported, not applied)."""
        if not self.is_bound:
            return queryset
        self.is_valid()
        data = self.cleaned_data
        if data.get("status"):
            queryset = queryset.filter(status=data["status"])
        if data.get("ci"):
            queryset = queryset.filter(ci_id=data["ci"])
        if data.get("organization"):
            queryset = queryset.filter(organization_id=data["organization"])
        return queryset


# --- Audiences --------------------------------------------------------------------------------


class _Audience(LoginRequiredMixin):
    """Which side a page serves; someone from the other side opening it is sent to the same
    page there (a provider's link to ``/cmdb/proposals/3/`` lands on the portal's)."""

    partner = False

    @property
    def namespace(self) -> str:
        return "partner-cmdb" if self.partner else "cmdb"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and viewer_for(request.user).is_provider != self.partner:
            other = "cmdb" if self.partner else "partner-cmdb"
            name = request.resolver_match.url_name if request.resolver_match else ""
            try:
                url = reverse(f"{other}:{name}", kwargs=kwargs)
            except NoReverseMatch:
                url = reverse("home" if self.partner else "partner:home")
            if request.method == "GET" and request.GET:
                url = f"{url}?{request.GET.urlencode()}"
            return redirect(url)
        return super().dispatch(request, *args, **kwargs)

    def url(self, name: str, *args) -> str:
        return reverse(f"{self.namespace}:{name}", args=args)

    def audience_context(self) -> dict:
        return {
            "base_template": "partner/base.html" if self.partner else "cogest/base_internal.html",
            "is_partner": self.partner,
            "ci_detail_name": f"{self.namespace}:ci-detail",
            "list_url": self.url("proposal-list"),
        }


def _ci_url(namespace: str, ci_id: int) -> str | None:
    """The CI page, when the CMDB pages provide one."""
    try:
        return reverse(f"{namespace}:ci-detail", args=[ci_id])
    except NoReverseMatch:
        return None


# --- List -------------------------------------------------------------------------------------


class ProposalListView(_Audience, RestrictedViewMixin, ListView):
    """Proposals, pending ones first (oldest waiting first), then the decided ones, newest first."""

    queryset = PROPOSAL_QUERYSET
    template_name = "cmdb/proposal_list.html"
    context_object_name = "proposals"
    paginate_by = 50

    def get_queryset(self):
        organizations = []
        if not self.partner:
            organizations = list(
                Organization.objects.restrict(self.request.user, "view")
                .filter(kind="provider")
                .order_by("name")
            )
        self.filter_form = ProposalFilterForm(self.request.GET or None, organizations=organizations)
        queryset = self.filter_form.apply(super().get_queryset())
        waiting = Case(
            When(status=ProposalStatus.PENDING, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        return queryset.annotate(waiting=waiting).order_by("waiting", "-created_at", "-id")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        rows = []
        for proposal in context["proposals"]:
            rows.append(
                {
                    "proposal": proposal,
                    "url": self.url("proposal-detail", proposal.pk),
                    "ci_url": _ci_url(self.namespace, proposal.ci_id),
                    "fields": [field_label(name) for name in CI_FIELDS if name in proposal.changes],
                }
            )
        context.update(
            self.audience_context(),
            rows=rows,
            filter_form=self.filter_form,
            querystring=query.urlencode(),
        )
        return context

    def render_to_response(self, context, **response_kwargs):
        if self.filter_form.errors:
            response_kwargs["status"] = 400  # bad filters: said inline, the valid ones applied
        return super().render_to_response(context, **response_kwargs)


# --- One proposal -----------------------------------------------------------------------------


class ProposalObjectMixin(_Audience, RestrictedViewMixin, SingleObjectMixin):
    queryset = PROPOSAL_QUERYSET
    context_object_name = "proposal"

    def page(self, proposal, forms=None, status=200):
        forms = forms or {}
        user = self.request.user
        may_decide = not self.partner and proposal_may_decide(user, proposal)
        pending = proposal.status == ProposalStatus.PENDING
        may_withdraw = (
            self.partner
            and pending
            and proposal.organization_id == viewer_for(user).organization_id
        )
        context = {
            **self.audience_context(),
            "proposal": proposal,
            "ci": proposal.ci,
            "ci_url": _ci_url(self.namespace, proposal.ci_id),
            "rows": proposal_diff(proposal, user),
            "stale": proposal.ci.version != proposal.base_version,
            "pending": pending,
            "may_decide": may_decide,
            "waiting_on_owner": pending and not may_decide and not self.partner,
            "approve_form": forms.get("approve") or ApproveForm(prefix="approve"),
            "reject_form": forms.get("reject") or RejectForm(prefix="reject"),
            "withdraw_form": forms.get("withdraw") or _NoInput(prefix="withdraw"),
            "may_withdraw": may_withdraw,
            "approve_url": self.url("proposal-approve", proposal.pk) if not self.partner else "",
            "reject_url": self.url("proposal-reject", proposal.pk) if not self.partner else "",
            "withdraw_url": self.url("proposal-withdraw", proposal.pk) if self.partner else "",
            "open_form": next(iter(forms), ""),
        }
        return render(self.request, "cmdb/proposal_detail.html", context, status=status)


class ProposalDetailView(ProposalObjectMixin, DetailView):
    """The diff field by field (before, proposed, today's value when the CI moved on), who
    proposed it and why, and the decision forms for whoever may decide."""

    def get(self, request, *args, **kwargs):
        return self.page(self.get_object())


class ProposalActionView(ProposalObjectMixin, View):
    """A decision on the proposal page: one service call; a refusal shows the page again with
    the error next to the form (400, or 403 when the decision is not the viewer's)."""

    op = ""
    form_class: type[forms.Form] = _NoInput

    def get(self, request, pk):
        return redirect(self.url("proposal-detail", pk))

    def post(self, request, pk):
        proposal = self.get_object()
        form = self.form_class(request.POST, prefix=self.op)
        status = 400
        if form.is_valid():
            try:
                message = self.perform(proposal, form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or _("You may not do this."))
                status = 403
            except CIChangeProposal.DoesNotExist:
                form.add_error(None, _("This proposal is no longer available."))
                status = 404
            else:
                messages.success(request, message)
                return redirect(self.url("proposal-detail", proposal.pk))
        fresh = self.get_queryset().get(pk=proposal.pk)
        return self.page(fresh, {self.op: form}, status=status)

    def perform(self, proposal, data) -> str:
        raise NotImplementedError


class ProposalApproveView(ProposalActionView):
    op = "approve"
    form_class = ApproveForm

    def perform(self, proposal, data) -> str:
        proposal_approve(proposal=proposal, by=self.request.user, note=data.get("note") or "")
        return _("Proposal approved: %(ci)s is updated.") % {"ci": proposal.ci.name}


class ProposalRejectView(ProposalActionView):
    op = "reject"
    form_class = RejectForm

    def perform(self, proposal, data) -> str:
        proposal_reject(proposal=proposal, by=self.request.user, note=data.get("note") or "")
        return _("Proposal rejected; %(ci)s stays as it was.") % {"ci": proposal.ci.name}


class ProposalWithdrawView(ProposalActionView):
    op = "withdraw"

    def perform(self, proposal, data) -> str:
        proposal_withdraw(proposal=proposal, by=self.request.user)
        return _("Proposal withdrawn.")


def _partner(view_class):
    return type(f"Partner{view_class.__name__}", (view_class,), {"partner": True})


PartnerProposalListView = _partner(ProposalListView)
PartnerProposalDetailView = _partner(ProposalDetailView)
PartnerProposalWithdrawView = _partner(ProposalWithdrawView)
