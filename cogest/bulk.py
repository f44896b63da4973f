"""Many rows in few round trips, for jobs that write thousands at once (the SLA sweep).

Django's ``bulk_create`` and ``bulk_update`` build one statement holding every value (and, for
updates, a ``CASE`` per field and row); past a few hundred rows building and sending that
statement costs more than the database's work. These run one short statement with
``executemany``, which psycopg 3 sends in pipeline mode (SQLite loops in C).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, models, router


def insert_many(objs: Sequence[models.Model], *, fields: Sequence[str] | None = None) -> None:
    """``INSERT`` each object's concrete fields (primary key left to the database). No primary
    keys are read back: for rows nobody needs to refer to just after (events, audit entries)."""
    if not objs:
        return
    model = type(objs[0])
    db = router.db_for_write(model)
    connection = connections[db]
    chosen = [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and (fields is None or field.name in fields)
    ]
    for obj in objs:
        # A foreign key to an object saved after this one was built takes its new id.
        obj._prepare_related_fields_for_save(operation_name="insert_many")
        for field in chosen:
            field.pre_save(obj, add=True)  # auto_now_add and the like
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "  # noqa: S608 - identifiers from metadata
        f"({', '.join(quote(f.column) for f in chosen)}) "
        f"VALUES ({', '.join(['%s'] * len(chosen))})"
    )
    rows = [
        [field.get_db_prep_save(getattr(obj, field.attname), connection) for field in chosen]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def update_many(objs: Sequence[models.Model], fields: Sequence[str]) -> None:
    """``UPDATE … WHERE pk = …`` of ``fields`` for each object."""
    if not objs:
        return
    model = type(objs[0])
    db = router.db_for_write(model)
    connection = connections[db]
    chosen = [model._meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    pk = model._meta.pk
    sql = (
        f"UPDATE {quote(model._meta.db_table)} SET "  # noqa: S608 - identifiers from metadata
        f"{', '.join(f'{quote(f.column)} = %s' for f in chosen)} "
        f"WHERE {quote(pk.column)} = %s"
    )
    rows = [
        [
            *[field.get_db_prep_save(getattr(obj, field.attname), connection) for field in chosen],
            pk.get_db_prep_value(obj.pk, connection),
        ]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
