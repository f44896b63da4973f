"""Pages of the CMDB: runbooks (internal UI and partner portal)."""

urlpatterns: list = []
partner_urlpatterns: list = []
