"""Base classes every API view builds on: the queryset is always restricted to the caller."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers, viewsets

IF_MATCH = re.compile(
    r'^(?:W/"(?P<weak>[0-9]{1,9})"|"(?P<strong>[0-9]{1,9})"|(?P<bare>[0-9]{1,9}))$'
)
IF_MATCH_HEADER = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description='The version read (the ETag): "3", 3 or W/"3". A stale version answers 412.',
)


def expected_version(request) -> int | None:
    """The version of an ``If-Match`` header (``"3"``, ``3``, ``W/"3"``; ``*`` is any): what
    services compare with the row's ``version`` (``StaleVersion`` → 412)."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    match = IF_MATCH.match(header.strip())
    if match is None:
        raise exceptions.ValidationError(
            {"If-Match": [_('Send the version you read: "3", 3 or W/"3".')]}
        )
    return int(next(v for v in match.groups() if v is not None))


class RestrictedQuerysetMixin:
    """``get_queryset`` returns ``queryset.restrict(user, action)``: the one access rule.

    Reads use ``view``; writes (``update``, ``partial_update``, ``destroy``) look the object up
    among what the user may ``view`` (invisible → 404) and check ``change`` in the service, which
    answers 403 for a visible but forbidden action.
    """

    def get_queryset(self):
        return super().get_queryset().restrict(self.request.user, "view")


class RestrictedReadOnlyViewSet(RestrictedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class StrictSerializerMixin:
    """Unknown fields are an error (SPEC 5), not silently ignored."""

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            unknown = set(data.keys()) - set(self.fields.keys())
            if unknown:
                raise serializers.ValidationError(
                    {name: [_("Unknown field.")] for name in sorted(unknown)}
                )
        return super().to_internal_value(data)
