"""The shared CMDB (SPEC 2.3): CI classes and configuration items.

This first cut holds what tickets link to; the CMDB issue adds relations, impact analysis,
import, runbooks and ownership proposals on top.
"""

from .items import CIClass, ConfigurationItem

__all__ = ["CIClass", "ConfigurationItem"]
