"""SPEC 8's SLA numbers (a benchmark, not a test): the sweep and the dashboard.

    .venv/bin/python bench/sla.py [--database cogest_bench] [--due 10000] [--write-readme]

Runs on the database ``bench/run.py`` built (``--tickets N`` bulk tickets). It gives every ticket
that has no resolution clock a running one due in the future (SQL filler, on the 24x7 calendar:
the sweep's cost does not depend on the calendar of a clock that is not due), then measures, in
this process against PostgreSQL:

1. the sweep with every ticket's clock open and none due — SPEC 8: under 50 ms with 1M open
   tickets (it reads one partial index and finds nothing);
2. the sweep with ``--due`` clocks made due (their next event moved into the past): each gets
   its warning and its breach recorded once, audited and published — SPEC 8: 10,000 due events
   under 10 s; then the sweep again right after: nothing left, nothing recorded twice;
3. the dashboard: the filler clocks of resolved and closed tickets are concluded (met, one in
   eight breached, at their resolution time), then ``GET /sla/`` as marta (internal manager:
   every figure over every ticket) in this process — SPEC 8: aggregates over 1M tickets under
   300 ms.

Prints a Markdown table; ``--write-readme`` puts it in bench/README.md. The filler clocks stay
(a second run reuses them); ``--reset`` removes them first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
README = ROOT / "bench" / "README.md"
MARK_START, MARK_END = "<!-- bench:sla:start -->", "<!-- bench:sla:end -->"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="cogest_bench")
    parser.add_argument("--due", type=int, default=10_000, help="clocks made due")
    parser.add_argument("--reset", action="store_true", help="delete the filler clocks first")
    parser.add_argument("--write-readme", action="store_true")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cogest.settings")
    os.environ.pop("REDIS_URL", None)  # nothing consumes published events here

    import django

    django.setup()
    from django.db import connection

    from sla.models import Clock, SlaNotice, SlaPolicy
    from sla.services import sweep

    policy = SlaPolicy.objects.get(name="Northwind SLA P1 (24x7)")
    internal = connection.cursor()
    if args.reset:
        filler = "SELECT id FROM sla_clock WHERE pause_reason = 'bench filler'"
        for table in ("sla_slanotice", "sla_clockevent"):
            internal.execute(f"DELETE FROM {table} WHERE clock_id IN ({filler})")  # noqa: S608
        internal.execute(f"DELETE FROM sla_clock WHERE id IN ({filler})")  # noqa: S608
    started = time.monotonic()
    internal.execute(
        """
        INSERT INTO sla_clock (ticket_id, target, kind, party_id, team_id, policy_id, calendar_id,
            target_minutes, warning_percent, state, started_at, elapsed_seconds, running_since,
            pause_reason, due_at, warn_at, next_event_at, stop_reason)
        SELECT t.id, 'resolution', 'sla', o.id, NULL, %(policy)s, %(calendar)s, 240, 75,
            'running', now(), 0, now(), 'bench filler', now() + interval '30 days',
            now() + interval '29 days', now() + interval '29 days', ''
        FROM tickets_ticket t CROSS JOIN (SELECT id FROM cogest_organization
            WHERE kind = 'internal' ORDER BY id LIMIT 1) o
        WHERE NOT EXISTS (SELECT 1 FROM sla_clock c WHERE c.ticket_id = t.id
                          AND c.target = 'resolution' AND c.stopped_at IS NULL)
        """,
        {"policy": policy.pk, "calendar": policy.calendar_id},
    )
    filled = internal.rowcount
    internal.execute("ANALYZE sla_clock")
    fill_s = time.monotonic() - started
    open_clocks = Clock.objects.filter(stopped_at__isnull=True).count()
    open_tickets = Clock.objects.filter(stopped_at__isnull=True).values("ticket_id").distinct()
    open_tickets = open_tickets.count()
    print(f"filler: {filled} clocks in {fill_s:.1f} s; {open_clocks} open clocks")

    now = dt.datetime.now(dt.UTC)
    Clock.objects.filter(next_event_at__lte=now).update(next_event_at=now + dt.timedelta(days=1))
    none_due = []
    for _ in range(30):
        began = time.perf_counter()
        assert sweep(now=now) == 0
        none_due.append((time.perf_counter() - began) * 1000)

    due_ids = list(
        Clock.objects.filter(
            pause_reason="bench filler", warned_at__isnull=True, stopped_at__isnull=True
        )
        .order_by("id")
        .values_list("id", flat=True)[: args.due]
    )
    past = now - dt.timedelta(minutes=1)
    Clock.objects.filter(pk__in=due_ids).update(
        warn_at=past - dt.timedelta(minutes=1),
        due_at=past,
        next_event_at=past - dt.timedelta(minutes=1),
    )
    notices_before = SlaNotice.objects.count()
    began = time.perf_counter()
    recorded = sweep(now=now)
    due_s = time.perf_counter() - began
    again = sweep(now=now)
    notices = SlaNotice.objects.count() - notices_before
    dashboard = measure_dashboard(connection)
    rows = [
        ("open clocks (open tickets)", f"{open_clocks:,} ({open_tickets:,})"),
        ("sweep, none due: median / max of 30", f"{statistics.median(none_due):.2f} ms / "
         f"{max(none_due):.2f} ms (SPEC 8: under 50 ms)"),
        (f"sweep, {len(due_ids):,} clocks due", f"{due_s:.2f} s for {recorded:,} events "
         f"(warning + breach each; SPEC 8: 10,000 events under 10 s)"),
        ("events per second", f"{recorded / due_s:,.0f}"),
        ("sweep again right after", f"{again} recorded; {notices:,} notices in all"),
        ("tickets; clocks concluded for the dashboard", dashboard["rows"]),
        ("dashboard `GET /sla/` as marta: median / max of 10",
         f"{dashboard['median']:.0f} ms / {dashboard['max']:.0f} ms, {dashboard['queries']} "
         "queries (SPEC 8: aggregates under 300 ms)"),
    ]  # fmt: skip
    table = "\n".join(
        [
            f"Run {now:%Y-%m-%d %H:%M} UTC on `{args.database}` ({os.cpu_count()} CPUs).",
            "",
            "| what | measured |",
            "|---|---|",
            *[f"| {name} | {value} |" for name, value in rows],
        ]
    )
    print(table)
    if args.write_readme:
        text = README.read_text()
        start, end = text.index(MARK_START), text.index(MARK_END)
        README.write_text(text[: start + len(MARK_START)] + "\n" + table + "\n" + text[end:])
    return 0


def measure_dashboard(connection) -> dict:
    """Conclude the filler clocks of finished tickets, then time the dashboard page."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE sla_clock c SET
                state = CASE WHEN c.id % 8 = 0 THEN 'breached' ELSE 'met' END,
                stopped_at = COALESCE(t.resolved_at, t.closed_at, t.updated_at),
                breached_at = CASE WHEN c.id % 8 = 0
                    THEN COALESCE(t.resolved_at, t.closed_at, t.updated_at) - interval '1 hour'
                    END,
                stop_reason = 'resolved', elapsed_seconds = (c.id % 500) * 60,
                running_since = NULL, next_event_at = NULL, warn_at = NULL
            FROM tickets_ticket t
            WHERE c.ticket_id = t.id AND c.pause_reason = 'bench filler'
              AND t.status IN ('resolved', 'closed')
            """
        )
        concluded = cursor.rowcount
        cursor.execute("ANALYZE sla_clock")
        cursor.execute("SELECT count(*) FROM tickets_ticket")
        tickets = cursor.fetchone()[0]
    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    client.force_login(get_user_model().objects.get(username="marta"))
    assert client.get("/sla/").status_code == 200  # warm
    times = []
    for _ in range(10):
        began = time.perf_counter()
        response = client.get("/sla/")
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get("/sla/")
    return {
        "rows": f"{tickets:,} tickets; {concluded:,} clocks concluded",
        "median": statistics.median(times),
        "max": max(times),
        "queries": len(queries.captured_queries),
    }


if __name__ == "__main__":
    raise SystemExit(main())
