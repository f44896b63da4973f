"""Web pages of the core: sign-in, the home page of each audience, teams, engagements, matrix."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Q
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView
from django.views.generic.detail import SingleObjectMixin

from cogest import selectors
from cogest.form_errors import add_service_errors
from cogest.forms import AuditFilterForm, ShadowActivationForm
from cogest.models import AuditEvent, Engagement
from cogest.querysets import viewer_for
from cogest.services import (
    engagement_activate_shadow,
    engagement_deactivate_shadow,
    profile_set_preferences,
)


class LoginForm(auth_views.AuthenticationForm):
    error_messages = {
        "invalid_login": _("Wrong username or password. Both are case-sensitive."),
        "inactive": _("This account is inactive."),
    }
    username = forms.CharField(
        label=_("Username"),
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


def home_url_for(user) -> str:
    viewer = viewer_for(user)
    return reverse("partner:home") if viewer.is_provider else reverse("home")


class InternalPageMixin(LoginRequiredMixin):
    """Pages of the internal UI; a provider's people are sent to the partner portal."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and viewer_for(request.user).is_provider:
            return redirect("partner:home")
        return super().dispatch(request, *args, **kwargs)


class PartnerPageMixin(LoginRequiredMixin):
    """Pages of the partner portal; internal staff are sent to the internal UI."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not viewer_for(request.user).is_provider:
            return redirect("home")
        return super().dispatch(request, *args, **kwargs)


def is_htmx(request) -> bool:
    """An htmx request for a part of the page (a boosted link wants the whole page)."""
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted")


class NoCountPage(Page):
    """A page that knows whether a next one exists without counting every row."""

    def __init__(self, object_list, number, paginator, has_next: bool):
        super().__init__(object_list, number, paginator)
        self._has_next = has_next

    def has_next(self) -> bool:
        return self._has_next

    def start_index(self) -> int:
        if not self.object_list:
            return 0
        return (self.number - 1) * self.paginator.per_page + 1

    def end_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + len(self.object_list)


class NoCountPaginator(Paginator):
    """Pagination that stays fast at a million rows (tickets, CIs behind a provider's rule): one
    ``LIMIT per_page + 1`` query, no ``COUNT(*)`` (the page says "next", not "of 20,000")."""

    def validate_number(self, number) -> int:
        try:
            number = int(number)
        except (TypeError, ValueError):
            return 1
        return min(max(number, 1), 100_000)

    def page(self, number) -> NoCountPage:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        return NoCountPage(rows[: self.per_page], number, self, len(rows) > self.per_page)


class SideMixin:
    """Which portal a page mounted for both audiences serves (``sided``): its base template and
    its URL namespace, ``namespaces`` = (internal, partner)."""

    audience = "internal"
    namespaces: tuple[str, str] = ("", "")

    @property
    def namespace(self) -> str:
        return self.namespaces[1] if self.audience == "partner" else self.namespaces[0]

    def url(self, name: str, *args) -> str:
        return reverse(f"{self.namespace}:{name}", args=args)

    def side_context(self) -> dict:
        partner = self.audience == "partner"
        return {
            "base_template": "partner/base.html" if partner else "cogest/base_internal.html",
            "is_partner_side": partner,
            "ns": self.namespace,
        }


class OtherSideRedirectMixin(SideMixin):
    """Someone on the other side opening a page is sent to the same page there (a provider
    opening ``/tickets/INC-000001/`` lands on ``/partner/tickets/INC-000001/``), with the same
    query string; a page the other side does not have leaves it to the portal mixins."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.method == "GET":
            provider = viewer_for(request.user).is_provider
            if provider != (self.audience == "partner"):
                namespace = self.namespaces[1] if provider else self.namespaces[0]
                try:
                    url = reverse(f"{namespace}:{request.resolver_match.url_name}", kwargs=kwargs)
                except NoReverseMatch:
                    url = None
                if url:
                    query = request.GET.urlencode()
                    return redirect(f"{url}?{query}" if query else url)
        return super().dispatch(request, *args, **kwargs)


def side_classes(side: type[SideMixin]) -> tuple[type, type]:
    """``side`` for internal staff (``InternalPageMixin``) and for a provider's people."""
    internal = type(f"Internal{side.__name__}", (side, InternalPageMixin), {"audience": "internal"})
    partner = type(f"Partner{side.__name__}", (side, PartnerPageMixin), {"audience": "partner"})
    return internal, partner


def sided(view_class, side: type[SideMixin]) -> tuple[type, type]:
    """The internal and partner versions of a view: one page, two portals."""
    internal_side, partner_side = side_classes(side)
    internal = type(f"Internal{view_class.__name__}", (internal_side, view_class), {})
    partner = type(f"Partner{view_class.__name__}", (partner_side, view_class), {})
    internal.__module__ = partner.__module__ = view_class.__module__
    return internal, partner


class RestrictedViewMixin:
    """``get_queryset`` is restricted to the viewer: the only way a page reads domain rows."""

    restrict_action = "view"

    def get_queryset(self):
        return super().get_queryset().restrict(self.request.user, self.restrict_action)


class HomeContextMixin:
    def home_context(self) -> dict:
        user = self.request.user
        levels, matrix = selectors.responsibility_matrix_for_user(user=user)
        return {
            "my_teams": selectors.my_teams(user=user),
            "help_teams": selectors.help_desk_teams(user=user),
            "engagements": selectors.engagement_list_for_user(user=user).filter(is_active=True),
            "absences": selectors.absence_list_current(user=user),
            "shadow_active": selectors.shadow_engagements_active(user=user),
            "matrix_levels": levels,
            "matrix_rows": matrix,
        }


class HomeView(InternalPageMixin, HomeContextMixin, TemplateView):
    template_name = "cogest/home.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **self.home_context()}


class PartnerHomeView(PartnerPageMixin, HomeContextMixin, TemplateView):
    template_name = "partner/home.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **self.home_context()}


class TeamListView(InternalPageMixin, RestrictedViewMixin, ListView):
    queryset = selectors.TEAM_QUERYSET
    template_name = "cogest/team_list.html"
    context_object_name = "teams"


class EngagementListView(InternalPageMixin, RestrictedViewMixin, ListView):
    queryset = selectors.ENGAGEMENT_QUERYSET
    template_name = "cogest/engagement_list.html"
    context_object_name = "engagements"


class EngagementDetailView(LoginRequiredMixin, RestrictedViewMixin, DetailView):
    """One engagement, readable by both sides (a provider only its own)."""

    queryset = selectors.ENGAGEMENT_QUERYSET
    context_object_name = "engagement"

    def get_template_names(self):
        if viewer_for(self.request.user).is_provider:
            return ["partner/engagement_detail.html"]
        return ["cogest/engagement_detail.html"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        engagement = self.object
        context["kpis"] = engagement.kpi_rows
        context["rules"] = engagement.responsibilities.restrict(
            self.request.user, "view"
        ).select_related("team")
        context.update(shadow_context(self.request, engagement))
        return context


def shadow_context(request, engagement, form=None) -> dict:
    """What the shadow panel of an engagement page shows, and whether the viewer may act."""
    if not engagement.is_shadow:
        return {}
    can_change = (
        Engagement.objects.restrict(request.user, "change").filter(pk=engagement.pk).exists()
    )
    return {
        "shadow": selectors.shadow_status(engagement=engagement),
        "shadow_can_change": can_change,
        "shadow_form": form or (ShadowActivationForm() if can_change else None),
    }


class EngagementShadowView(InternalPageMixin, RestrictedViewMixin, SingleObjectMixin, View):
    """A manager activates shadow support by hand (until, reason) or ends the activation.

    htmx swaps the shadow panel in place; without JavaScript the page reloads.
    """

    queryset = selectors.ENGAGEMENT_QUERYSET

    def post(self, request, pk):
        engagement = self.get_object()
        htmx = bool(request.headers.get("HX-Request"))
        form = ShadowActivationForm(request.POST) if request.POST.get("op") != "end" else None
        try:
            if form is None:
                engagement_deactivate_shadow(engagement=engagement, by=request.user)
                if not htmx:
                    messages.success(request, _("Manual activation ended."))
            elif form.is_valid():
                engagement_activate_shadow(
                    engagement=engagement,
                    by=request.user,
                    until=form.cleaned_data["until"],
                    reason=form.cleaned_data["reason"],
                )
                if not htmx:
                    messages.success(request, _("Shadow support activated."))
                form = None
        except ValidationError as exc:
            form = add_service_errors(form or ShadowActivationForm(), exc)
        engagement = self.get_queryset().get(pk=engagement.pk)
        status = 400 if form is not None and form.errors else 200
        if htmx:
            context = {"engagement": engagement, **shadow_context(request, engagement, form)}
            return render(request, "components/shadow_panel.html", context, status=status)
        if status == 400:
            view = EngagementDetailView(request=request, kwargs={"pk": pk}, object=engagement)
            context = view.get_context_data(object=engagement)
            context.update(shadow_context(request, engagement, form))
            return render(request, view.get_template_names()[0], context, status=400)
        return redirect("engagement", pk=engagement.pk)


class MatrixView(LoginRequiredMixin, TemplateView):
    """The responsibility matrix, for people: who handles what, at which level."""

    def get_template_names(self):
        if viewer_for(self.request.user).is_provider:
            return ["partner/matrix.html"]
        return ["cogest/matrix.html"]

    def get_context_data(self, **kwargs):
        levels, rows = selectors.responsibility_matrix_for_user(user=self.request.user)
        return {**super().get_context_data(**kwargs), "matrix_levels": levels, "matrix_rows": rows}


class AuditTrailView(InternalPageMixin, RestrictedViewMixin, ListView):
    """The audit trail as far as the viewer may read it, filterable; htmx refreshes the table."""

    queryset = AuditEvent.objects.select_related("actor_organization")
    template_name = "cogest/audit_list.html"
    context_object_name = "events"
    paginate_by = 50

    def get_queryset(self):
        qs = super().get_queryset().order_by("-id")
        self.filter_form = AuditFilterForm(self.request.GET or None)
        if self.filter_form.is_valid():
            data = self.filter_form.cleaned_data
            if data["q"]:
                qs = qs.filter(
                    Q(object_repr__icontains=data["q"])
                    | Q(actor_label__icontains=data["q"])
                    | Q(request_id=data["q"])
                    | Q(object_id=data["q"])
                )
            if data["action"]:
                qs = qs.filter(action__startswith=data["action"])
            if data["since"]:
                qs = qs.filter(created_at__date__gte=data["since"])
            if data["until"]:
                qs = qs.filter(created_at__date__lte=data["until"])
        return qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(filter_form=self.filter_form, querystring=query.urlencode())
        return context


class PreferencesView(LoginRequiredMixin, View):
    """Save the signed-in person's language and timezone, then go back where they were."""

    def post(self, request):
        language = request.POST.get("language")
        tz = request.POST.get("timezone")
        if language is not None and language not in dict(settings.LANGUAGES):
            messages.error(request, _("Unknown language."))
            language = None
        if tz is not None and tz not in zoneinfo.available_timezones():
            messages.error(request, _("Unknown timezone."))
            tz = None
        try:
            profile_set_preferences(user=request.user, language=language, tz=tz)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        next_url = request.POST.get("next") or home_url_for(request.user)
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = home_url_for(request.user)
        response = HttpResponseRedirect(next_url)
        if language:
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
        return response


def error_404(request, exception=None):
    if request.path.startswith("/api/"):
        # API clients get JSON errors everywhere, also for a URL no route matches (SPEC 5).
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return render(request, "404.html", status=404)


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def error_500(request):
    """Rendered without the request (no context processors): the database may be what failed."""
    return render(None, "500.html", {"instance_name": settings.COGEST_INSTANCE_NAME}, status=500)
