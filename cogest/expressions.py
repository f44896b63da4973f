"""Query expressions the apps share: what lets a list page stay one query per table."""

from __future__ import annotations

import datetime as dt
import json

from django.db import models


class _JsonList(models.Field):
    """Output of :class:`RowsAsList`: a list, whether the database hands back an array, a JSON
    text (SQLite, jsonb read as text) or an already decoded value."""

    def from_db_value(self, value, expression, connection):
        if value is None:
            return []
        if isinstance(value, str | bytes):
            return json.loads(value)
        return list(value)


class RowsAsList(models.Subquery):
    """The rows of a correlated subquery as one list value per outer row.

    The subquery selects one column named ``value`` (``.values(value=F(...))``), a scalar (an
    id) or a JSON object (``JsonFields(...)``). PostgreSQL aggregates with ``json_agg``,
    SQLite with ``json_group_array``; both keep the subquery's order and give ``[]`` for no rows.
    A page of fifty tickets reads its CI ids (or SLA clocks) in the same query as the tickets,
    instead of a prefetch query each.
    """

    output_field = _JsonList()

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(
            compiler,
            connection,
            template=("COALESCE((SELECT jsonb_agg(rows.value) FROM (%(subquery)s) AS rows), '[]')"),
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        # json(): a nested JSON object stays an object, not a quoted string.
        return super().as_sql(
            compiler,
            connection,
            template="(SELECT json_group_array(json(rows.value)) FROM (%(subquery)s) AS rows)",
            **extra,
        )


class JsonFields(models.Func):
    """A JSON object of some columns: ``json_build_object`` (PostgreSQL) or ``json_object``
    (SQLite), with the keys written into the SQL (Django's ``JSONObject`` passes them as
    parameters and builds ``jsonb``: slower, and nothing here needs either)."""

    output_field = models.JSONField()

    def __init__(self, **fields):
        for key in fields:
            if not key.isidentifier():
                raise ValueError(f"JSON key {key!r}: letters, digits and underscores only.")
        self.keys = list(fields)
        super().__init__(
            *[models.F(name) if isinstance(name, str) else name for name in fields.values()]
        )

    def _pairs(self, compiler, connection, function: str):
        sql_parts, params = [], []
        for key, expression in zip(self.keys, self.get_source_expressions(), strict=True):
            sql, expression_params = compiler.compile(expression)
            sql_parts.append(f"'{key}', {sql}")
            params.extend(expression_params)
        return f"{function}({', '.join(sql_parts)})", params

    def as_postgresql(self, compiler, connection, **extra):
        return self._pairs(compiler, connection, "json_build_object")

    def as_sqlite(self, compiler, connection, **extra):
        return self._pairs(compiler, connection, "json_object")


def json_instant(value) -> dt.datetime | None:
    """A date-time read from a ``JsonFields`` object: ISO text with an offset (PostgreSQL) or
    without one (SQLite stores UTC)."""
    if value in (None, ""):
        return None
    parsed = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)
