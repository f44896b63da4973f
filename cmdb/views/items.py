"""CI pages: the list, the CI page (attributes, impact, relations graph and table, history), the
graph's JSON, the picker's search, and adding or removing relations. Every read goes through
``restrict``; every write through ``cmdb.services``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView
from django.views.generic.detail import SingleObjectMixin
from django.views.generic.list import MultipleObjectMixin

from cmdb.choices import CRITICALITY_CHOICES, CIStatus, Environment, RelationType
from cmdb.filters import CIFilterSet
from cmdb.forms import RelationForm
from cmdb.impact import ci_dependencies, ci_impact
from cmdb.models import CIClass, CIRelation, ConfigurationItem
from cmdb.selectors import (
    attribute_rows,
    ci_graph,
    ci_history,
    ci_pending_proposals,
    ci_relations,
    colour_index,
    parties_for,
)
from cmdb.services import may_change_ci, relation_create, relation_delete
from cogest.form_errors import add_service_errors
from cogest.querysets import viewer_for
from cogest.views import NoCountPaginator, RestrictedViewMixin, is_htmx

PAGE_SIZE = 50
# Filters drawn as menus; their current values, split, select the menus' options.
FILTER_SELECTS = (
    "ci_class",
    "status",
    "criticality",
    "site",
    "managed_by",
    "environment",
    "owner_team",
    "service",
)
PICKER_SIZE = 20
IMPACT_SHOWN = 25

CI_LIST_QUERYSET = ConfigurationItem.objects.select_related("ci_class")
CI_PAGE_QUERYSET = ConfigurationItem.objects.select_related("ci_class")


def environment_label(value: str) -> str:
    return str(dict(Environment.choices).get(value, value))


# --- List -----------------------------------------------------------------------------------------


class CIListView(RestrictedViewMixin, MultipleObjectMixin, View):
    """The CIs the viewer sees: search, filters (class, status, site, environment, managing
    organization, owner team, criticality, attribute values), sorting and pagination without a
    count. htmx refreshes the results region only."""

    queryset = CI_LIST_QUERYSET
    template_name = "cmdb/ci_list.html"
    results_template = "cmdb/_ci_list_results.html"

    def get(self, request, *args, **kwargs):
        filterset = CIFilterSet(data=request.GET, queryset=self.get_queryset(), request=request)
        valid = filterset.is_valid()
        page = NoCountPaginator(filterset.qs, PAGE_SIZE).page(request.GET.get("page", 1))
        items = page.object_list
        parties = parties_for(
            user=request.user,
            organizations={ci.managed_by_id for ci in items},
            teams={ci.owner_team_id for ci in items},
        )
        rows = [
            {
                "ci": ci,
                "managed_by": parties.organization(ci.managed_by_id),
                "managed_by_kind": getattr(
                    parties.organizations.get(ci.managed_by_id), "kind", "provider"
                ),
                "owner_team": parties.team(ci.owner_team_id),
                "environment": environment_label(ci.environment),
            }
            for ci in items
        ]
        query = request.GET.copy()
        query.pop("page", None)
        ordering = query.get("ordering", "")
        selected = {
            name: {part.strip() for value in request.GET.getlist(name) for part in value.split(",")}
            for name in FILTER_SELECTS
        }
        conditions = [c for c in request.GET.getlist("attribute") if c.strip()]
        context = {
            **self.side_context(),
            "choices": self.choices(filterset),
            "selected": selected,
            "attribute_conditions": conditions or [""],
            "more_open": bool(
                conditions
                or selected["environment"] - {""}
                or selected["owner_team"] - {""}
                or selected["service"] - {""}
            ),
            "filterset": filterset,
            "filter_form": filterset.form,
            "filter_errors": filterset.errors if not valid else {},
            "rows": rows,
            "page_obj": page,
            "querystring": query.urlencode(),
            "ordering": ordering,
            "sort_links": self.sort_links(query, ordering),
            "list_url": self.url("ci-list"),
            "can_create": True,
            "is_filtered": any(v for k, v in request.GET.items() if k not in ("page", "ordering")),
        }
        status = 200 if valid else 400
        template = self.results_template if is_htmx(request) else self.template_name
        return render(request, template, context, status=status)

    def choices(self, filterset) -> dict:
        """The filter bar's menus: visible classes, organizations, teams and sites."""
        fields = filterset.form.fields
        return {
            "classes": list(fields["ci_class"].queryset.order_by("name")),
            "organizations": list(fields["managed_by"].queryset.order_by("kind", "name")),
            "teams": list(
                fields["owner_team"]
                .queryset.filter(is_active=True)
                .select_related("organization")
                .order_by("organization__kind", "organization__name", "name")
            ),
            "sites": list(
                self.get_queryset()
                .exclude(site="")
                .order_by("site")
                .values_list("site", flat=True)
                .distinct()[:200]
            ),
            "statuses": CIStatus.choices,
            "environments": Environment.choices,
            "criticalities": [(str(v), label) for v, label in CRITICALITY_CHOICES],
        }

    SORTABLE = ("name", "ci_class", "status", "criticality", "site", "environment", "updated_at")

    def sort_links(self, query, ordering: str) -> dict:
        """Column → ``{"query", "state"}``: the query string that sorts by it (again: reversed)
        and ``ascending``/``descending``/``none`` for ``aria-sort``."""
        links = {}
        for key in self.SORTABLE:
            state = "none"
            if ordering == key:
                state, target = "ascending", f"-{key}"
            elif ordering == f"-{key}":
                state, target = "descending", key
            else:
                target = key
            q = query.copy()
            q["ordering"] = target
            links[key] = {"query": q.urlencode(), "state": state}
        return links


# --- The CI page ----------------------------------------------------------------------------------


def ci_page_context(view, ci: ConfigurationItem, *, relation_form=None) -> dict:
    """Everything the CI page shows, read restricted, in a fixed number of queries."""
    request = view.request
    user = request.user
    viewer = viewer_for(user)
    can_change = viewer.is_internal or viewer.is_admin or may_change_ci(user, ci)
    parties = parties_for(
        user=user,
        organizations={ci.managed_by_id},
        teams={ci.owner_team_id},
        people={ci.internal_owner_id, ci.provider_owner_id},
    )
    impact = ci_impact(ci=ci, user=user)
    dependencies = ci_dependencies(ci=ci, user=user)
    class_names = dict(CIClass.objects.restrict(user, "view").values_list("slug", "name"))
    for group in (impact, dependencies):
        for entries in group.values():
            for entry in entries:
                entry["class_name"] = class_names.get(entry["ci_class"], entry["ci_class"])
    context = {
        **view.side_context(),
        "ci": ci,
        "can_change": can_change,
        # A provider proposes changes to the CIs it sees but does not manage.
        "can_propose": not can_change and viewer.is_provider,
        "managed_by": parties.organization(ci.managed_by_id),
        "owner_team": parties.team(ci.owner_team_id),
        "internal_owner": parties.person(ci.internal_owner_id),
        "provider_owner": parties.person(ci.provider_owner_id),
        "environment": environment_label(ci.environment),
        "attributes": attribute_rows(ci),
        "impact": impact,
        "impact_count": len(impact["services"]) + len(impact["cis"]),
        "dependencies": dependencies,
        "dependency_count": len(dependencies["services"]) + len(dependencies["cis"]),
        "impact_shown": IMPACT_SHOWN,
        "impact_shown_slice": f":{IMPACT_SHOWN}",
        "impact_minus": -IMPACT_SHOWN,
        "colour_index": colour_index(ci.ci_class_id),
        "history": ci_history(ci=ci, user=user),
        "pending_proposals": ci_pending_proposals(ci=ci, user=user),
        "graph_depths": [1, 2, 3, 4],
        "graph_depth": 2,
    }
    context.update(relations_context(view, ci, can_change=can_change, form=relation_form))
    return context


def relations_context(view, ci, *, can_change: bool, form=None) -> dict:
    user = view.request.user
    cis = ConfigurationItem.objects.restrict(user, "view")
    return {
        "relations": ci_relations(ci=ci, user=user),
        "relation_form": (form or RelationForm(cis=cis, auto_id="rel_%s")) if can_change else None,
    }


class CIDetailView(RestrictedViewMixin, DetailView):
    queryset = CI_PAGE_QUERYSET
    template_name = "cmdb/ci_detail.html"
    context_object_name = "ci"

    def get_context_data(self, **kwargs):
        return ci_page_context(self, self.object)


# --- Graph, picker --------------------------------------------------------------------------------


class CIGraphView(RestrictedViewMixin, SingleObjectMixin, View):
    """JSON of the graph around a CI (``?depth=1..4``), for the page's Cytoscape drawing."""

    queryset = ConfigurationItem.objects.all()

    def get(self, request, pk):
        ci = self.get_object()
        try:
            depth = int(request.GET.get("depth", 2))
        except (TypeError, ValueError):
            depth = 2
        graph = ci_graph(ci=ci, user=request.user, depth=depth, namespace=self.namespace)
        return JsonResponse(graph)


class CIPickerView(RestrictedViewMixin, MultipleObjectMixin, View):
    """Search the visible CIs by name, asset tag or serial (``?q=``, ``?exclude=<id>``): JSON
    ``{"results": [{"id", "name", "ci_class", "class_name", "asset_tag", "url"}]}`` (at most
    20), or, for htmx, the same as a list of options."""

    queryset = ConfigurationItem.objects.all()

    def get(self, request, *args, **kwargs):
        text = request.GET.get("q", "")[:200]
        items = self.get_queryset().search(text)
        exclude = request.GET.get("exclude", "")
        if exclude.isascii() and exclude.isdigit():
            items = items.exclude(pk=int(exclude))
        rows = items.order_by("name", "pk").values(
            "pk", "name", "asset_tag", "ci_class__slug", "ci_class__name"
        )[:PICKER_SIZE]
        results = [
            {
                "id": row["pk"],
                "name": row["name"],
                "ci_class": row["ci_class__slug"],
                "class_name": row["ci_class__name"],
                "asset_tag": row["asset_tag"],
                "url": self.url("ci-detail", row["pk"]),
            }
            for row in rows
        ]
        if is_htmx(request):
            context = {"results": results, "q": text, "field": request.GET.get("field", "")}
            return render(request, "cmdb/_ci_picker_results.html", context)
        return JsonResponse({"results": results})


# --- Relations ------------------------------------------------------------------------------------


class CIRelationsView(RestrictedViewMixin, SingleObjectMixin, View):
    """Add (``op=add``: direction, type, the other CI) or remove (``op=remove``, ``relation``)
    a relation of the CI. Whoever may change the relation's source CI may do it (the service
    decides: a refusal answers 403 and changes nothing); bad input is shown in the form. GET
    answers the relations section (htmx refresh)."""

    queryset = CI_PAGE_QUERYSET

    def get(self, request, pk):
        ci = self.get_object()
        return self.render_section(ci)

    def post(self, request, pk):
        ci = self.get_object()
        if request.POST.get("op") == "remove":
            return self.remove(ci)
        return self.add(ci)

    def add(self, ci):
        request = self.request
        if not self.may_change(ci):
            # The form is offered only to whoever may change this CI.
            raise PermissionDenied(_("You may not change this CI's relations."))
        cis = ConfigurationItem.objects.restrict(request.user, "view")
        form = RelationForm(request.POST, cis=cis, auto_id="rel_%s")
        if form.is_valid():
            data = form.cleaned_data
            other = data["target"]
            source, target = (ci, other) if data["direction"] == form.OUTGOING else (other, ci)
            try:
                relation_create(source=source, type=data["type"], target=target, by=request.user)
            except ValidationError as exc:
                add_service_errors(form, exc, field_map={"target": "target_search"})
            except PermissionDenied:
                # "… this CI" from a CI the user may not change: a relation is its source's.
                form.add_error(
                    "target_search",
                    _(
                        "You may not change %(name)s, and a relation belongs to the CI it "
                        "starts from: ask its managers, or relate it the other way round."
                    )
                    % {"name": other.name},
                )
            else:
                text = _("Relation added: %(source)s %(type)s %(target)s.") % {
                    "source": source.name,
                    "type": RelationType(data["type"]).label,
                    "target": target.name,
                }
                return self.done(ci, text)
        return self.failed(ci, form)

    def remove(self, ci):
        request = self.request
        raw = request.POST.get("relation", "")
        relation = None
        if raw.isascii() and raw.isdigit():
            relation = (
                CIRelation.objects.restrict(request.user, "view")
                .filter(Q(source=ci) | Q(target=ci))
                .filter(pk=int(raw))
                .select_related("source", "target")
                .first()
            )
        if relation is None:
            raise Http404
        relation_delete(relation=relation, by=request.user)
        text = _("Relation removed: %(source)s %(type)s %(target)s.") % {
            "source": relation.source.name,
            "type": relation.get_type_display(),
            "target": relation.target.name,
        }
        return self.done(ci, text)

    def done(self, ci, text: str):
        if is_htmx(self.request):
            response = self.render_section(ci, flash=text)
            response["HX-Trigger"] = "cmdb-relations-changed"
            return response
        messages.success(self.request, text)
        return redirect(f"{self.url('ci-detail', ci.pk)}#relations")

    def failed(self, ci, form):
        if is_htmx(self.request):
            return self.render_section(ci, form=form, status=400)
        context = ci_page_context(self, ci, relation_form=form)
        return render(self.request, "cmdb/ci_detail.html", context, status=400)

    def may_change(self, ci) -> bool:
        user = self.request.user
        viewer = viewer_for(user)
        return viewer.is_internal or viewer.is_admin or may_change_ci(user, ci)

    def render_section(self, ci, *, form=None, flash: str = "", status: int = 200):
        can_change = self.may_change(ci)
        context = {
            **self.side_context(),
            "ci": ci,
            "can_change": can_change,
            "flash": flash,
            **relations_context(self, ci, can_change=can_change, form=form),
        }
        return render(self.request, "cmdb/_ci_relations.html", context, status=status)
