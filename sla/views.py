"""SLA pages: the managers' dashboard (internal ``/sla/``, portal ``/partner/kpis/``), its live
at-risk table and CSV exports, and the KPI reviews with their meeting record and follow-ups.

Thin: parse the filters, call ``sla_scope_for`` (the one scoping rule) and the metrics or review
selectors, render. Each page exists once and is mounted for both audiences (``sided``)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView
from django.views.generic.detail import SingleObjectMixin

from cogest.form_errors import add_service_errors
from cogest.models import Engagement, Team
from cogest.querysets import viewer_for
from cogest.views import RestrictedViewMixin, SideMixin, side_classes
from cogest.views import sided as cogest_sided
from sla import exports, metrics, reviews
from sla.forms import (
    DashboardFilterForm,
    FollowUpActionForm,
    PrepareReviewForm,
    ReviewMeetingForm,
    period_presets,
)
from sla.models import FollowUpAction, KpiReview

# --- Audiences --------------------------------------------------------------------------------


class SlaSide(SideMixin):
    """The SLA pages: ``/sla/`` for internal staff, ``/partner/kpis/`` for a provider."""

    namespaces = ("sla", "partner-kpis")

    def side_context(self) -> dict:
        partner = self.audience == "partner"
        return {
            **super().side_context(),
            "ticket_detail_url": "partner-tickets:detail" if partner else "tickets:detail",
        }


InternalSide, PartnerSide = side_classes(SlaSide)


def sided(view_class):
    return cogest_sided(view_class, SlaSide)


# --- Dashboard ---------------------------------------------------------------------------------


class DashboardData:
    """Parses the filters and computes what the dashboard, its partials and CSVs show."""

    def __init__(self, request):
        self.request = request
        self.scope = metrics.sla_scope_for(request.user)
        self.teams = list(self.scope.teams)
        self.organizations = list(self.scope.organizations)
        self.engagements = list(self.scope.engagements)
        self.form = DashboardFilterForm(
            request.GET,
            teams=self.teams,
            organizations=self.organizations,
            engagements=self.engagements,
        )
        self.valid = self.form.is_valid()
        self.filters = self.form.filters() if self.valid else None

    @property
    def group(self) -> str:
        return self.form.cleaned_data["group"]

    @property
    def trend_by(self) -> str:
        return self.form.cleaned_data["trend_by"]

    def labeller(self) -> metrics.Labeller:
        visible_teams = Team.objects.restrict(self.request.user, "view").values_list("pk", "name")
        return metrics.Labeller(
            teams=dict(visible_teams),
            organizations={o.pk: o.name for o in self.organizations},
            engagements={e.pk: e.name for e in self.engagements},
        )

    def scorecards(self) -> list[dict]:
        """KPIs against targets: for the engagement filtered on, or a provider manager's own
        engagements (three queries each)."""
        if self.filters.engagement_id:
            engagements = [e for e in self.engagements if e.pk == self.filters.engagement_id]
        elif self.scope.kind == "engagement":
            engagements = self.engagements
        else:
            return []
        cards = []
        for engagement in engagements:
            figures = metrics.engagement_figures(
                clocks=self.scope.clocks,
                tickets=self.scope.tickets,
                engagement=engagement,
                period=self.filters.period,
            )
            cards.append(
                {
                    "engagement": engagement,
                    "rows": metrics.kpi_scorecard(engagement.kpi_targets, figures),
                }
            )
        return cards

    def querystring(self, **overrides) -> str:
        query = self.request.GET.copy()
        for key, value in overrides.items():
            query[key] = value
        return query.urlencode()


class DashboardView(TemplateView):
    """Tiles, monthly trend, breaches by priority, backlog by age, the breakdown table and the
    live at-risk list, each chart with its table one click away and a CSV."""

    template_name = "sla/dashboard.html"

    def get(self, request, *args, **kwargs):
        data = DashboardData(request)
        context = self.get_context_data(**self.side_context(), **self._context(data))
        return self.render_to_response(context, status=200 if data.valid else 400)

    def _context(self, data: DashboardData) -> dict:
        context = {
            "form": data.form,
            "scope": data.scope,
            "presets": [
                (label, data.querystring(date_from=first.isoformat(), date_to=last.isoformat()))
                for label, first, last in period_presets()
            ],
            "export_query": data.querystring(),
        }
        if not data.valid:
            return context
        now = timezone.now()
        labeller = data.labeller()
        summary = metrics.summary(data.scope, data.filters, now=now)
        trend = metrics.trend(data.scope, data.filters, data.trend_by, labeller)
        breaches = metrics.breaches_by_priority(data.scope, data.filters)
        breakdown = metrics.breakdown(data.scope, data.filters, data.group, labeller)
        context.update(
            period=data.filters.period,
            figures=summary.figures,
            backlog=summary.backlog,
            trend=trend,
            trend_label=metrics.Dimension.LABELS[data.trend_by],
            breaches=breaches,
            breakdown=breakdown,
            group=data.group,
            group_label=metrics.Dimension.LABELS[data.group],
            group_choices=metrics.Dimension.CHOICES,
            group_links=[
                (key, label, data.querystring(group=key))
                for key, label in metrics.Dimension.CHOICES
            ],
            at_risk=metrics.at_risk(data.scope, data.filters, now=now),
            at_risk_query=data.querystring(),
            chart_data=_chart_data(data.filters.period, trend, breaches, summary.backlog),
            scorecards=data.scorecards(),
        )
        return context


def _chart_data(period: metrics.Period, trend: list, breaches: list, backlog: list) -> dict:
    """What sla.js draws, as plain JSON (the page carries it in a ``json_script``)."""
    months = [m.strftime("%Y-%m") for m in period.months]
    series: dict[str, dict[str, float | None]] = {}
    volume: dict[str, int] = {}
    for row in trend:
        label = row["label"]
        series.setdefault(label, {})[row["month"].strftime("%Y-%m")] = row["sla_compliance_pct"]
        volume[label] = volume.get(label, 0) + row["resolution_met"] + row["resolution_breached"]
    # The busiest groups get a line; the table behind the chart has every group.
    top = sorted(series, key=lambda label: -volume[label])[:8]
    return {
        "trend": {
            "labels": months,
            "datasets": [
                {"label": label, "data": [series[label].get(m) for m in months]} for label in top
            ],
            "yLabel": _("SLA compliance (%)"),
        },
        "breaches": {
            "labels": [f"P{row['priority']}" for row in breaches],
            "datasets": [{"label": _("Breaches"), "data": [row["total"] for row in breaches]}],
        },
        "backlog": {
            "labels": [row["label"] for row in backlog],
            "datasets": [{"label": _("Open tickets"), "data": [row["count"] for row in backlog]}],
        },
    }


class AtRiskView(TemplateView):
    """The at-risk table alone: what htmx swaps in every 30 seconds."""

    template_name = "sla/_at_risk.html"

    def get(self, request, *args, **kwargs):
        data = DashboardData(request)
        if not data.valid:
            return self.render_to_response(
                {**self.side_context(), "at_risk_invalid": True}, status=400
            )
        context = {
            **self.side_context(),
            "at_risk": metrics.at_risk(data.scope, data.filters),
            "at_risk_query": data.querystring(),
        }
        return self.render_to_response(context)


class DashboardExportView(View):
    """One dashboard table as CSV (``?table=`` one of ``exports.DASHBOARD_TABLES``), with the
    same filters as the page."""

    def get(self, request, *args, **kwargs):
        table = request.GET.get("table", "summary")
        if table not in exports.DASHBOARD_TABLES:
            raise Http404(_("No such table."))
        data = DashboardData(request)
        if not data.valid:
            messages.error(request, _("Fix the filters before exporting."))
            return redirect(f"{reverse(f'{self.namespace}:dashboard')}?{data.querystring()}")
        scope, filters = data.scope, data.filters
        if table == "summary":
            header, rows = exports.summary_rows(metrics.summary(scope, filters).figures)
        elif table == "trend":
            header, rows = exports.trend_rows(
                metrics.trend(scope, filters, data.trend_by, data.labeller())
            )
        elif table == "breaches":
            header, rows = exports.breaches_rows(metrics.breaches_by_priority(scope, filters))
        elif table == "backlog":
            header, rows = exports.backlog_rows(metrics.summary(scope, filters).backlog)
        elif table == "breakdown":
            header, rows = exports.breakdown_rows(
                metrics.breakdown(scope, filters, data.group, data.labeller()), data.group
            )
        elif table == "kpis":
            header, rows = exports.scorecard_rows(data.scorecards())
        else:
            header, rows = exports.at_risk_rows(metrics.at_risk(scope, filters))
        period = filters.period
        filename = f"sla-{table}-{period.first:%Y%m%d}-{period.last:%Y%m%d}.csv"
        return exports.csv_response(filename, header, rows)


# --- KPI reviews --------------------------------------------------------------------------------


REVIEW_QUERYSET = KpiReview.objects.select_related("engagement__provider")


class ReviewListView(RestrictedViewMixin, ListView):
    """Reviews the viewer may read; internal managers can prepare one now."""

    queryset = REVIEW_QUERYSET.select_related("meeting")
    template_name = "sla/review_list.html"
    context_object_name = "reviews"
    paginate_by = 50

    def get_queryset(self):
        return super().get_queryset().order_by("-period_start", "engagement__name", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs, **self.side_context())
        can_prepare = self.audience == "internal" and viewer_for(self.request.user).is_manager
        engagements = Engagement.objects.restrict(self.request.user, "change").active()
        context["prepare_form"] = (
            kwargs.get("prepare_form") or PrepareReviewForm(engagements=engagements)
            if can_prepare
            else None
        )
        return context


class ReviewPrepareView(RestrictedViewMixin, SingleObjectMixin, View):
    """An internal manager prepares the review of an engagement's last finished period (the
    monthly job does the same by itself)."""

    queryset = Engagement.objects.all()
    restrict_action = "change"

    def post(self, request):
        form = PrepareReviewForm(request.POST, engagements=self.get_queryset().active())
        if not form.is_valid():
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
            return redirect(f"{self.namespace}:reviews")
        engagement = form.cleaned_data["engagement"]
        period = reviews.last_finished_period(engagement)
        if period is None:
            messages.error(request, _("This engagement has not finished a review period yet."))
            return redirect(f"{self.namespace}:reviews")
        try:
            review, created = reviews.kpi_review_prepare(
                engagement=engagement, period_start=period[0], period_end=period[1], by=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(f"{self.namespace}:reviews")
        if created:
            messages.success(request, _("Review prepared; both owners are told by email."))
        else:
            messages.info(request, _("This period's review already exists."))
        return redirect(f"{self.namespace}:review", pk=review.pk)


class ReviewDetailView(RestrictedViewMixin, DetailView):
    """One review: KPIs against targets, breaches with their reasons, work logged, the meeting
    and the follow-ups; printable on A4 as it is."""

    queryset = REVIEW_QUERYSET
    template_name = "sla/review_detail.html"
    context_object_name = "review"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs, **self.side_context())
        review = self.object
        page = reviews.kpi_review_page(review=review, user=self.request.user)
        context["page"] = page
        if page.can_change:
            meeting = page.meeting
            initial = (
                {
                    "held_on": meeting.held_on,
                    "attendees": list(meeting.attendees.all()),
                    "minutes": meeting.minutes,
                    "decisions": meeting.decisions,
                }
                if meeting
                else {"held_on": timezone.localdate()}
            )
            context["meeting_form"] = kwargs.get("meeting_form") or ReviewMeetingForm(
                initial=initial,
                people=reviews.review_people(review=review, user=self.request.user),
            )
            context["action_form"] = kwargs.get("action_form") or FollowUpActionForm(
                owners=reviews.review_owners(review=review, user=self.request.user)
            )
        context["today"] = timezone.localdate()
        return context


class ReviewExportView(RestrictedViewMixin, SingleObjectMixin, View):
    """A review as CSV (the same content as the page, for the reader)."""

    queryset = REVIEW_QUERYSET

    def get(self, request, pk):
        review = self.get_object()
        page = reviews.kpi_review_page(review=review, user=request.user)
        header, rows = exports.review_rows(page)
        filename = f"kpi-review-{review.pk}-{review.period_start:%Y%m%d}.csv"
        return exports.csv_response(filename, header, rows)


class ReviewFormPostMixin(RestrictedViewMixin, SingleObjectMixin):
    """A form posted from the review page: on a service error the page is shown again with the
    form's errors and the submitted values (status 400); otherwise back to the page."""

    queryset = REVIEW_QUERYSET

    def invalid(self, review, **forms):
        view = self.detail_view_class(request=self.request, kwargs={"pk": review.pk})
        view.object = review
        context = view.get_context_data(object=review, **forms)
        return view.render_to_response(context, status=400)

    @property
    def detail_view_class(self):
        return PartnerReviewDetailView if self.audience == "partner" else InternalReviewDetailView


class ReviewMeetingView(ReviewFormPostMixin, View):
    def post(self, request, pk):
        review = self.get_object()
        form = ReviewMeetingForm(
            request.POST, people=reviews.review_people(review=review, user=request.user)
        )
        if form.is_valid():
            try:
                reviews.review_meeting_record(review=review, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Meeting record saved."))
                return redirect(f"{self.namespace}:review", pk=review.pk)
        return self.invalid(review, meeting_form=form)


class ReviewActionAddView(ReviewFormPostMixin, View):
    def post(self, request, pk):
        review = self.get_object()
        form = FollowUpActionForm(
            request.POST, owners=reviews.review_owners(review=review, user=request.user)
        )
        if form.is_valid():
            try:
                reviews.followup_add(review=review, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Follow-up action added."))
                return redirect(f"{self.namespace}:review", pk=review.pk)
        return self.invalid(review, action_form=form)


class ReviewRefreshView(ReviewFormPostMixin, View):
    def post(self, request, pk):
        review = self.get_object()
        try:
            reviews.kpi_review_refresh(review=review, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Figures computed again."))
        return redirect(f"{self.namespace}:review", pk=review.pk)


class ReviewActionDoneView(RestrictedViewMixin, SingleObjectMixin, View):
    """Mark a follow-up action done, or open it again (``done=0``)."""

    queryset = FollowUpAction.objects.select_related("review")

    def post(self, request, pk):
        action = self.get_object()
        done = request.POST.get("done", "1") != "0"
        reviews.followup_set_done(action=action, by=request.user, done=done)
        return redirect(f"{self.namespace}:review", pk=action.review_id)


# --- The two audiences ------------------------------------------------------------------------

InternalDashboardView, PartnerDashboardView = sided(DashboardView)
InternalAtRiskView, PartnerAtRiskView = sided(AtRiskView)
InternalDashboardExportView, PartnerDashboardExportView = sided(DashboardExportView)
InternalReviewListView, PartnerReviewListView = sided(ReviewListView)
InternalReviewDetailView, PartnerReviewDetailView = sided(ReviewDetailView)
InternalReviewExportView, PartnerReviewExportView = sided(ReviewExportView)
InternalReviewMeetingView, PartnerReviewMeetingView = sided(ReviewMeetingView)
InternalReviewActionAddView, PartnerReviewActionAddView = sided(ReviewActionAddView)
InternalReviewActionDoneView, PartnerReviewActionDoneView = sided(ReviewActionDoneView)
InternalReviewPrepareView = type("InternalReviewPrepareView", (InternalSide, ReviewPrepareView), {})
InternalReviewRefreshView = type("InternalReviewRefreshView", (InternalSide, ReviewRefreshView), {})
