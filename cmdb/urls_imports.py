"""Pages of the CMDB: imports (internal UI and partner portal)."""

urlpatterns: list = []
partner_urlpatterns: list = []
