"""The CMDB in the partner portal (``/partner/cmdb/``): CIs in scope, runbooks, proposals."""

from cmdb import urls_imports, urls_items, urls_proposals, urls_runbooks

app_name = "partner-cmdb"
urlpatterns = [
    *urls_items.partner_urlpatterns,
    *urls_imports.partner_urlpatterns,
    *urls_runbooks.partner_urlpatterns,
    *urls_proposals.partner_urlpatterns,
]
