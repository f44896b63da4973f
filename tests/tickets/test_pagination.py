"""Lists count only when it is free (the last page) or asked for (``count=true``), and never
more rows than COUNT_CAP: above it ``count`` is left out (SPEC 5 makes it optional) and ``next``
still works."""

from cogest.api import pagination


def test_count_is_exact_below_the_cap_and_left_out_above(api, users, new_ticket, monkeypatch):
    for i in range(5):
        new_ticket(title=f"Disk full {i}")
    client = api(users["ana"])
    body = client.get("/api/v1/tickets/?page_size=2").json()
    assert "count" not in body and body["next"] and body["previous"] is None
    body = client.get("/api/v1/tickets/?page_size=2&count=true").json()
    assert body["count"] == 5 and body["next"] and body["previous"] is None
    assert client.get("/api/v1/tickets/?page_size=10").json()["count"] == 5  # one page: free
    assert client.get("/api/v1/tickets/?page_size=2&page=3").json()["count"] == 5  # the last
    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    body = client.get("/api/v1/tickets/?page_size=2&count=true").json()
    assert "count" not in body and body["next"] and len(body["results"]) == 2
    last = client.get("/api/v1/tickets/?page_size=2&page=3").json()
    assert last["next"] is None and len(last["results"]) == 1 and last["previous"]
    assert client.get("/api/v1/tickets/?page_size=2&page=4").status_code == 404
    assert client.get("/api/v1/tickets/?page=0").status_code == 404
