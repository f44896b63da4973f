"""The CMDB's internal pages (``/cmdb/``), one module per part."""

from cmdb import urls_imports, urls_items, urls_proposals, urls_runbooks

app_name = "cmdb"
urlpatterns = [
    *urls_items.urlpatterns,
    *urls_imports.urlpatterns,
    *urls_runbooks.urlpatterns,
    *urls_proposals.urlpatterns,
]
