"""One mapping from domain errors to form errors, for every page that calls a service."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


def add_service_errors(form, exc: ValidationError, *, field_map: dict[str, str] | None = None):
    """Attach a service's ValidationError to ``form``: field errors next to their field."""
    field_map = field_map or {}
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            target = field_map.get(field, field)
            form.add_error(target if target in form.fields else None, messages)
    else:
        form.add_error(None, exc.messages)
    return form


__all__ = ["NON_FIELD_ERRORS", "add_service_errors"]
