from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CogestConfig(AppConfig):
    """The co-management core: organizations, teams, engagements, the matrix, the audit trail."""

    name = "cogest"
    verbose_name = _("Co-management")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_migrate

        from cogest import auth_events  # noqa: F401  (connects the login audit receivers)
        from cogest.roles import ensure_role_groups

        post_migrate.connect(ensure_role_groups, sender=self, dispatch_uid="cogest.role_groups")

        from cogest.grants import _team_lookup, register_grantable
        from cogest.models import Team

        register_grantable("team", Team, _team_lookup)
