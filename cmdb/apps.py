from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmdbConfig(AppConfig):
    """The shared CMDB: CI classes, items, relations, impact, runbooks, proposals, imports."""

    name = "cmdb"
    verbose_name = _("CMDB")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from cmdb.models import ConfigurationItem
        from cogest.grants import register_grantable

        def by_tag_or_id(reference: str):
            if reference.isdigit():
                return ConfigurationItem.objects.filter(pk=int(reference)).first()
            return (
                ConfigurationItem.objects.filter(asset_tag__iexact=reference).first()
                or ConfigurationItem.objects.filter(name__iexact=reference).order_by("pk").first()
            )

        # A CI is named by its asset tag (or id) until access is granted.
        register_grantable(
            "ci", ConfigurationItem, by_tag_or_id, label=lambda ci: ci.asset_tag or f"CI {ci.pk}"
        )
