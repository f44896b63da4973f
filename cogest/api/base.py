"""Base classes every API view builds on: the queryset is always restricted to the caller."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import exceptions, serializers, viewsets

from cogest.filters import MAX_ID

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


@extend_schema_field(OpenApiTypes.INT)
class VisibleIdField(serializers.PrimaryKeyRelatedField):
    """An id among the rows the caller may see — ``rows(user)``, or ``model``'s
    ``restrict(user, "view")`` —: another id, someone else's or unknown, is "unknown" whether it
    exists or not (nothing to learn by probing); a non-number is a type error."""

    default_error_messages = {"does_not_exist": gettext_lazy("Unknown id {pk_value}.")}

    def __init__(self, rows=None, *, model=None, **kwargs):
        self.rows, self.model = rows, model
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        user = request.user if request else None
        if self.rows is not None:
            return self.rows(user)
        return self.model.objects.restrict(user, "view")

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            pk = int(data)
        except ValueError:
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 1 <= pk <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(pk)
