"""Page pagination per SPEC 5: ``{"results", "next", "previous", "count"}``, page_size ≤ 200.

Counting costs more than the page itself, and SPEC 5 makes ``count`` optional. It is given when
it is free (the page reaches the end of the list, so the total is known) or when the client asks
with ``count=true``: then it is exact up to ``COUNT_CAP`` rows (a bounded count) and left out
above that. ``next`` comes from fetching one row more than the page.
"""

from __future__ import annotations

from collections import OrderedDict

from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

COUNT_CAP = 1_000


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        page_size = self.get_page_size(request)
        raw = request.query_params.get(self.page_query_param, "1")
        try:
            self.number = int(raw)
            if self.number < 1:
                raise ValueError
        except (TypeError, ValueError):
            raise NotFound(f"Invalid page “{raw}”.") from None
        offset = (self.number - 1) * page_size
        rows = list(queryset[offset : offset + page_size + 1])
        if self.number > 1 and not rows:
            raise NotFound("Invalid page.")
        self.has_next = len(rows) > page_size
        if not self.has_next:
            self.count = offset + len(rows)
        elif request.query_params.get("count") in ("true", "1"):
            self.count = self._bounded_count(queryset)
        else:
            self.count = None
        self.page_size_used = page_size
        return rows[:page_size]

    @staticmethod
    def _bounded_count(queryset) -> int | None:
        if hasattr(queryset, "order_by"):
            bounded = queryset.order_by().values("pk")[: COUNT_CAP + 1].count()
        else:  # an already-evaluated list (e.g. a filtered history)
            bounded = min(len(queryset), COUNT_CAP + 1)
        return bounded if bounded <= COUNT_CAP else None

    def get_next_link(self):
        if not self.has_next:
            return None
        return replace_query_param(
            self.request.build_absolute_uri(), self.page_query_param, self.number + 1
        )

    def get_previous_link(self):
        if self.number <= 1:
            return None
        url = self.request.build_absolute_uri()
        if self.number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.number - 1)

    def get_paginated_response(self, data):
        body = OrderedDict()
        if self.count is not None:
            body["count"] = self.count
        body["next"] = self.get_next_link()
        body["previous"] = self.get_previous_link()
        body["results"] = data
        return Response(body)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        parameters.append(
            {
                "name": "count",
                "required": False,
                "in": "query",
                "description": f"true: include the total (exact up to {COUNT_CAP} rows).",
                "schema": {"type": "boolean"},
            }
        )
        return parameters

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["required"] = ["results", "next", "previous"]
        response["properties"]["count"]["description"] = (
            "Total rows: given on the last page, and on any page with count=true when there "
            f"are at most {COUNT_CAP}."
        )
        return response
