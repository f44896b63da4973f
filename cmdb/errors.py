"""Domain errors of the CMDB, mapped to HTTP answers by the API and to form errors by pages."""


class StaleVersion(Exception):
    """The caller edited an old version of a CI or runbook (412 in the API)."""

    def __init__(self, *, current: int, expected: int):
        self.current, self.expected = current, expected
        super().__init__(f"Object is at version {current}, not {expected}.")
