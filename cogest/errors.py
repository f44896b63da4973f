"""Domain errors every app raises alike; the API maps them in one exception handler
(``cogest/api/exceptions.py``) and pages turn them into form errors."""

from __future__ import annotations


class StaleVersion(Exception):
    """The caller edited an old version of an object (a ticket, a CI, a runbook): 412 in the
    API (``If-Match``), a form error on a page. ``label`` names the object for the message."""

    def __init__(self, *, current: int, expected: int, label: str = ""):
        self.current, self.expected, self.label = current, expected, label
        super().__init__(f"{label or 'Object'} is at version {current}, not {expected}.")
