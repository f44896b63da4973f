from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CogestConfig(AppConfig):
    """The co-management core: organizations, teams, engagements, the matrix, the audit trail."""

    name = "cogest"
    verbose_name = _("Co-management")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from cogest import auth_events  # noqa: F401  (connects the login audit receivers)
