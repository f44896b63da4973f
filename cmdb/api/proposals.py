"""API of the CMDB: proposals."""

#: (prefix, viewset, basename) registered on the CMDB router; urlpatterns for other views.
routes: list = []
urlpatterns: list = []
