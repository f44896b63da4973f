"""Ticket numbers per type (INC-000123): unique under concurrency and gap-tolerant.

PostgreSQL: one sequence per prefix (``nextval`` never blocks another transaction and is not
rolled back, so numbers can skip but never repeat). SQLite serializes writers already: a counter
row per prefix.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import F

from tickets.choices import TYPE_PREFIX


def sequence_name(prefix: str) -> str:
    return f"tickets_number_{prefix.lower()}"


def next_number(ticket_type: str) -> str:
    prefix = TYPE_PREFIX[ticket_type]
    return f"{prefix}-{next_value(prefix):06d}"


def next_value(prefix: str) -> int:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s)", [sequence_name(prefix)])
            return cursor.fetchone()[0]
    from tickets.models import TicketCounter

    TicketCounter.objects.get_or_create(prefix=prefix)
    TicketCounter.objects.filter(prefix=prefix).update(value=F("value") + 1)
    return TicketCounter.objects.get(prefix=prefix).value


def reserve_values(prefix: str, count: int) -> list[int]:
    """``count`` numbers at once, for bulk seeding."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(%s) FROM generate_series(1, %s)", [sequence_name(prefix), count]
            )
            return [row[0] for row in cursor.fetchall()]
    from tickets.models import TicketCounter

    TicketCounter.objects.get_or_create(prefix=prefix)
    TicketCounter.objects.filter(prefix=prefix).update(value=F("value") + count)
    last = TicketCounter.objects.get(prefix=prefix).value
    return list(range(last - count + 1, last + 1))
