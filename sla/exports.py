"""CSV exports of the SLA tables and of a KPI review, safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel or LibreOffice (CSV injection): such text cells get a leading single quote. Numbers are
written as numbers (a negative number is not text a person typed).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from sla import metrics
from sla.models.clocks import Kind

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# The dashboard tables a CSV can be asked for (``?table=``).
DASHBOARD_TABLES = ("summary", "kpis", "trend", "breaches", "backlog", "breakdown", "at_risk")


def safe_cell(value) -> object:
    """A value as a CSV cell: text that a spreadsheet would run as a formula is quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        return value
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def csv_response(filename: str, header: Sequence, rows: Iterable[Sequence]) -> HttpResponse:
    """A CSV download (UTF-8 with a byte-order mark, so spreadsheets read accents right)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return response


def _kind_label(kind: str) -> str:
    return {"sla": "SLA", "ola": "OLA", "uc": "UC"}.get(kind, kind)


def summary_rows(figures: dict) -> tuple[list, list]:
    names = [
        ("sla_compliance_pct", _("SLA compliance (%)")),
        ("response_compliance_pct", _("First-response compliance (%)")),
        ("party_compliance_pct", _("OLA/UC compliance (%)")),
        ("mtta_minutes", _("MTTA (business minutes)")),
        ("mttr_hours", _("MTTR (business hours)")),
        ("handoff_accept_minutes", _("Handoff acceptance (business minutes)")),
        ("breaches", _("Breaches in the period")),
        ("open_breaches", _("Open breaches")),
        ("at_risk", _("At risk now")),
        ("reopen_rate_pct", _("Reopen rate (%)")),
        ("backlog_max", _("Open backlog (tickets)")),
    ]
    return [_("Figure"), _("Value")], [(label, figures.get(key)) for key, label in names]


def _verdict(kpi: dict) -> str:
    if kpi["passed"] is None:
        return _("no data")
    return _("pass") if kpi["passed"] else _("fail")


def _bound(kpi: dict) -> str:
    return f"{'≥' if kpi['higher_is_better'] else '≤'} {kpi['target']}"


def scorecard_rows(cards: list[dict]) -> tuple[list, list]:
    header = [_("Engagement"), _("KPI"), _("Target"), _("Actual"), _("Result")]
    return header, [
        (card["engagement"].name, kpi["label"], _bound(kpi), kpi["value"], _verdict(kpi))
        for card in cards
        for kpi in card["rows"]
    ]


def trend_rows(rows: list[dict]) -> tuple[list, list]:
    header = [
        _("Month"),
        _("Group"),
        _("Resolved in time"),
        _("Breached"),
        _("SLA compliance (%)"),
        _("First-response compliance (%)"),
        _("All breaches"),
    ]
    return header, [
        (
            r["month"].strftime("%Y-%m"),
            r["label"],
            r["resolution_met"],
            r["resolution_breached"],
            r["sla_compliance_pct"],
            r["response_compliance_pct"],
            r["breaches"],
        )
        for r in rows
    ]


def breaches_rows(rows: list[dict]) -> tuple[list, list]:
    header = [_("Priority"), "SLA", "OLA", "UC", _("Total")]
    return header, [
        (f"P{r['priority']}", r[Kind.SLA], r[Kind.OLA], r[Kind.UC], r["total"]) for r in rows
    ]


def backlog_rows(rows: list[dict]) -> tuple[list, list]:
    return [_("Age"), _("Open tickets")], [(r["label"], r["count"]) for r in rows]


def breakdown_rows(rows: list[dict], dimension: str) -> tuple[list, list]:
    header = [
        str(metrics.Dimension.LABELS.get(dimension, dimension)),
        _("SLA compliance (%)"),
        _("First-response compliance (%)"),
        _("OLA/UC compliance (%)"),
        _("MTTA (business minutes)"),
        _("MTTR (business hours)"),
        _("Handoff acceptance (business minutes)"),
        _("Breaches"),
        _("Reopen rate (%)"),
        _("Open backlog (tickets)"),
    ]
    return header, [
        (
            r["label"],
            r["sla_compliance_pct"],
            r["response_compliance_pct"],
            r["party_compliance_pct"],
            r["mtta_minutes"],
            r["mttr_hours"],
            r["handoff_accept_minutes"],
            r["breaches"],
            r["reopen_rate_pct"],
            r["backlog_max"],
        )
        for r in rows
    ]


def at_risk_rows(clocks: list) -> tuple[list, list]:
    header = [
        _("Ticket"),
        _("Title"),
        _("Priority"),
        _("Clock"),
        _("Party"),
        _("Warned at"),
        _("Due"),
    ]
    return header, [
        (
            c.ticket.number,
            c.ticket.title,
            f"P{c.ticket.priority}",
            f"{_kind_label(c.kind)} {c.get_target_display()}",
            c.party.name,
            c.warn_at,
            c.due_at,
        )
        for c in clocks
    ]


def review_rows(page) -> tuple[list, list]:
    """A review as one CSV: the scorecard, the other figures, the breaches, the work logged
    and the follow-up actions, each section introduced by its name."""
    review = page.review
    rows: list[Sequence] = [
        (_("Engagement"), review.engagement.name),
        (_("Period"), review.period_start, review.period_end),
        (_("Prepared"), review.prepared_at),
        (_("Status"), review.get_status_display()),
        (),
        (_("KPI"), _("Target"), _("Actual"), _("Result")),
    ]
    for kpi in page.scorecard:
        rows.append((kpi["label"], _bound(kpi), kpi["value"], _verdict(kpi)))
    rows += [
        (),
        (_("Breaches"), _("Title"), _("Clock"), _("Party"), _("Due"), _("Breached"), _("Held by")),
    ]
    for breach in page.breaches:
        clock = breach.clock
        held = "; ".join(f"{h['name']} {h['pct'] or 0}%" for h in breach.held)
        rows.append(
            (
                clock.ticket.number,
                clock.ticket.title,
                f"{_kind_label(clock.kind)} {clock.get_target_display()}",
                clock.party.name,
                clock.due_at,
                clock.breached_at,
                held,
            )
        )
    rows += [
        (),
        (_("Work logged by"), _("Minutes"), _("Billable minutes"), _("Entries")),
    ]
    for row in page.worklogs:
        rows.append(
            (row["organization_name"], row["minutes"], row["billable_minutes"], row["entries"])
        )
    rows += [(), (_("Follow-up action"), _("Owner"), _("Due"), _("Done"))]
    for action in page.actions:
        rows.append(
            (
                action.description,
                action.owner.get_full_name() or action.owner.username,
                action.due_on,
                action.done_at,
            )
        )
    return [_("KPI review")], rows
