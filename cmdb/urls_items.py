"""Pages of the CMDB: items (internal UI and partner portal). The same pages on both sides,
each in its audience's layout: ``/cmdb/cis/...`` (``cmdb:ci-*``) and ``/partner/cmdb/cis/...``
(``partner-cmdb:ci-*``)."""

from django.urls import path

from cmdb.views import INTERNAL_CI_VIEWS, PARTNER_CI_VIEWS


def ci_patterns(views_by_name: dict) -> list:
    v = {name: cls.as_view() for name, cls in views_by_name.items()}
    return [
        path("cis/", v["ci-list"], name="ci-list"),
        path("cis/new/", v["ci-create"], name="ci-create"),
        path("cis/attribute-fields/", v["ci-attribute-fields"], name="ci-attribute-fields"),
        path("cis/picker/", v["ci-picker"], name="ci-picker"),
        path("cis/<int:pk>/", v["ci-detail"], name="ci-detail"),
        path("cis/<int:pk>/edit/", v["ci-edit"], name="ci-edit"),
        path("cis/<int:pk>/relations/", v["ci-relations"], name="ci-relations"),
        path("cis/<int:pk>/graph/", v["ci-graph"], name="ci-graph"),
    ]


urlpatterns = ci_patterns(INTERNAL_CI_VIEWS)
partner_urlpatterns = ci_patterns(PARTNER_CI_VIEWS)
