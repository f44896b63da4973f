"""One place that maps domain exceptions to HTTP answers, always as JSON."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from cogest.errors import StaleVersion


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("The object changed since you read it (stale If-Match version).")
    default_code = "precondition_failed"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request conflicts with the object's current state.")
    default_code = "conflict"


def _validation_payload(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        return {
            field: [str(m) for m in errs.messages]
            if hasattr(errs, "messages")
            else [str(m) for m in errs]
            for field, errs in exc.message_dict.items()
        }
    return {"detail": " ".join(str(m) for m in exc.messages)}


def exception_handler(exc, context):
    """DRF's handler, plus domain errors: Django ``ValidationError`` → 400, ``PermissionDenied``
    → 403, ``DoesNotExist`` → 404, ``StaleVersion`` (an ``If-Match`` behind the object) → 412."""
    if isinstance(exc, DjangoValidationError):
        return Response(_validation_payload(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, StaleVersion):
        exc = PreconditionFailed(
            _("%(object)s is at version %(current)s, not %(expected)s: read it again.")
            % {"object": exc.label or _("It"), "current": exc.current, "expected": exc.expected}
        )
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, Http404) or exc.__class__.__name__ == "DoesNotExist":
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)
