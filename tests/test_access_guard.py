"""Guard: no page or API endpoint reads domain rows without ``restrict(user, action)``.

Walks the URL configuration, so a new view cannot escape: a Django view that lists or shows
objects must use ``RestrictedViewMixin``; a DRF view with a queryset must use
``RestrictedQuerysetMixin``.
"""

from django.urls import URLPattern, URLResolver, get_resolver
from django.views.generic.detail import SingleObjectMixin
from django.views.generic.list import MultipleObjectMixin
from rest_framework.generics import GenericAPIView

from cogest.api.base import RestrictedQuerysetMixin
from cogest.views import RestrictedViewMixin

# Views that are not ours to restrict, with the reason.
EXEMPT_PREFIXES = (
    "django.contrib.admin",  # the admin is for administrators, who see everything
    "django.contrib.auth",
    "django.views.i18n",
    "drf_spectacular",  # the schema, not data
)


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def _view_class(callback):
    return getattr(callback, "view_class", None) or getattr(callback, "cls", None)


def test_every_object_view_and_endpoint_is_restricted():
    checked, offenders = 0, []
    for route, callback in _walk(get_resolver().url_patterns):
        cls = _view_class(callback)
        if cls is None or cls.__module__.startswith(EXEMPT_PREFIXES):
            continue
        if issubclass(cls, SingleObjectMixin | MultipleObjectMixin):
            checked += 1
            if not issubclass(cls, RestrictedViewMixin):
                offenders.append(f"{route} → {cls.__qualname__} (page without RestrictedViewMixin)")
        if issubclass(cls, GenericAPIView) and getattr(cls, "queryset", None) is not None:
            checked += 1
            if not issubclass(cls, RestrictedQuerysetMixin):
                offenders.append(f"{route} → {cls.__qualname__} (API without restrict())")
    assert checked >= 8, "the guard found too few views: is the walk broken?"
    assert not offenders, "\n".join(offenders)
