from django.apps import AppConfig


class CmdbConfig(AppConfig):
    name = "cmdb"
    verbose_name = "CMDB"
    default_auto_field = "django.db.models.BigAutoField"
