"""Pages of the CMDB: items (internal UI and partner portal)."""

urlpatterns: list = []
partner_urlpatterns: list = []
