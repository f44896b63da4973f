"""Pages of the CMDB: proposals (internal UI and partner portal)."""

urlpatterns: list = []
partner_urlpatterns: list = []
