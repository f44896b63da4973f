"""PostgreSQL only: one number sequence per ticket prefix, and a generated full-text document
(number, title, description; the 'simple' configuration suits English and Spanish alike) with a
GIN index. SQLite uses the counter table and a plain substring search."""

from django.db import migrations

PREFIXES = ("inc", "req", "prb", "chg")

CREATE = [
    *[f"CREATE SEQUENCE IF NOT EXISTS tickets_number_{p} START 1" for p in PREFIXES],
    """
    ALTER TABLE tickets_ticket ADD COLUMN search_document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', coalesce(number, '') || ' ' ||
                                        replace(coalesce(number, ''), '-', ' ')), 'A') ||
        setweight(to_tsvector('simple', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('simple', coalesce(description, '')), 'B')
    ) STORED
    """,
    "CREATE INDEX tickets_ticket_search_idx ON tickets_ticket USING gin (search_document)",
]

DROP = [
    "DROP INDEX IF EXISTS tickets_ticket_search_idx",
    "ALTER TABLE tickets_ticket DROP COLUMN IF EXISTS search_document",
    *[f"DROP SEQUENCE IF EXISTS tickets_number_{p}" for p in PREFIXES],
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in CREATE:
            schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
