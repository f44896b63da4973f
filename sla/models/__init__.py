"""Models of the SLA app (see SPEC 2). The app's issue fills this package."""
