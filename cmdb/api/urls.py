"""``/api/v1/`` endpoints of the CMDB (SPEC 5): cis, ci-relations, ci-classes, runbooks..."""

from rest_framework.routers import SimpleRouter

from cmdb.api import imports, items, proposals, runbooks

# A SimpleRouter: the API root view is the core's (one root for /api/v1/).
router = SimpleRouter(trailing_slash=True)
for module in (items, imports, runbooks, proposals):
    for prefix, viewset, basename in module.routes:
        router.register(prefix, viewset, basename=basename)

urlpatterns = [
    *[p for module in (items, imports, runbooks, proposals) for p in module.urlpatterns],
    *router.urls,
]
