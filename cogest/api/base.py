"""Base classes every API view builds on: the queryset is always restricted to the caller."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers, viewsets


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
