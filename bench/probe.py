"""Run by ``bench/run.py`` inside the benchmark's environment: prepares credentials and counts the
SQL queries of one request to each endpoint (Django's test client, ``CaptureQueriesContext``).

Prints one JSON object: ``{"token", "sessionid", "endpoints": {name: {status, queries, ...}}}``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cogest.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from bench.endpoints import ENDPOINTS  # noqa: E402


def main() -> None:
    ana = get_user_model().objects.get(username="ana")
    token, _ = Token.objects.get_or_create(user=ana)
    browser = Client()
    browser.force_login(ana)
    sessionid = browser.cookies[settings.SESSION_COOKIE_NAME].value
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    anonymous = Client()
    clients = {"token": api, "session": browser, "none": anonymous}
    report = {}
    for name, endpoint in ENDPOINTS.items():
        client = clients[endpoint.auth]
        result = {"path": endpoint.path}
        try:
            for _ in range(3):  # the last of three: caches warm, like the load test
                with CaptureQueriesContext(connection) as queries:
                    response = _request(client, endpoint)
            result.update(
                status=response.status_code,
                queries=len(queries.captured_queries),
                bytes=len(response.content),
                sql=[q["sql"][:300] for q in queries.captured_queries],
            )
        except Exception as exc:  # noqa: BLE001 - report it, the benchmark goes on
            result.update(status=None, error=f"{type(exc).__name__}: {exc}"[:500])
        report[name] = result
    print(json.dumps({"token": token.key, "sessionid": sessionid, "endpoints": report}))


def _request(client: Client, endpoint):
    if endpoint.method == "POST":
        return client.post(endpoint.path, data=endpoint.body, content_type="application/json")
    return client.get(endpoint.path)


if __name__ == "__main__":
    main()
