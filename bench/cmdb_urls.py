"""The URL map of ``bench/cmdb.py``'s server: the product's, plus the bare CMDB views."""

from bench.cmdb_bare import urlpatterns as bare_patterns
from cogest.urls import handler403, handler404, handler500
from cogest.urls import urlpatterns as product_patterns

urlpatterns = [*product_patterns, *bare_patterns]

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]
