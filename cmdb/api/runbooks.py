"""API of the CMDB: runbooks."""

#: (prefix, viewset, basename) registered on the CMDB router; urlpatterns for other views.
routes: list = []
urlpatterns: list = []
