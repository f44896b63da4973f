"""Settings of ``bench/cmdb.py``'s server: the product's, with the bare CMDB views mounted."""

from cogest.settings import *  # noqa: F403

ROOT_URLCONF = "bench.cmdb_urls"
