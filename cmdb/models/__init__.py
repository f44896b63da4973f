"""Models of the CMDB app (see SPEC 2). The app's issue fills this package."""
