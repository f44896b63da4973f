"""Web pages of the core: sign-in, the home page of each audience, teams, engagements, matrix."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView

from cogest import selectors
from cogest.choices import KPI_HIGHER_IS_BETTER, KpiMetric
from cogest.models import Team
from cogest.querysets import viewer_for
from cogest.services import profile_set_preferences


class LoginForm(auth_views.AuthenticationForm):
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
    model = Team
    template_name = "cogest/team_list.html"
    context_object_name = "teams"

    def get_queryset(self):
        return selectors.team_list_for_user(user=self.request.user)


class EngagementListView(InternalPageMixin, ListView):
    template_name = "cogest/engagement_list.html"
    context_object_name = "engagements"

    def get_queryset(self):
        return selectors.engagement_list_for_user(user=self.request.user)


class EngagementDetailView(LoginRequiredMixin, DetailView):
    """One engagement, readable by both sides (a provider only its own)."""

    context_object_name = "engagement"

    def get_template_names(self):
        if viewer_for(self.request.user).is_provider:
            return ["partner/engagement_detail.html"]
        return ["cogest/engagement_detail.html"]

    def get_queryset(self):
        return selectors.engagement_list_for_user(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        engagement = self.object
        targets = engagement.kpi_targets or {}
        context["kpis"] = [
            {
                "label": label,
                "target": targets[metric],
                "higher_is_better": KPI_HIGHER_IS_BETTER[metric],
            }
            for metric, label in KpiMetric.choices
            if metric in targets
        ]
        context["rules"] = engagement.responsibilities.restrict(
            self.request.user, "view"
        ).select_related("team")
        if engagement.is_shadow:
            context["shadow"] = selectors.shadow_status(engagement=engagement)
        return context


class MatrixView(LoginRequiredMixin, TemplateView):
    """The responsibility matrix, for people: who handles what, at which level."""

    def get_template_names(self):
        if viewer_for(self.request.user).is_provider:
            return ["partner/matrix.html"]
        return ["cogest/matrix.html"]

    def get_context_data(self, **kwargs):
        levels, rows = selectors.responsibility_matrix_for_user(user=self.request.user)
        return {**super().get_context_data(**kwargs), "matrix_levels": levels, "matrix_rows": rows}


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
    from django.shortcuts import render

    return render(request, "404.html", status=404)


def error_403(request, exception=None):
    from django.shortcuts import render

    return render(request, "403.html", status=403)


def error_500(request):
    from django.shortcuts import render

    return render(request, "500.html", status=500)
