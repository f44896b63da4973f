"""Domain errors of the CMDB: a stale version is the core's (one 412 for every object)."""

from cogest.errors import StaleVersion

__all__ = ["StaleVersion"]
