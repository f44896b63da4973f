"""On PostgreSQL, the database itself refuses to UPDATE or DELETE audit events (SPEC 2.1)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION cogest_audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'cogest_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS cogest_audit_append_only ON cogest_auditevent;
CREATE TRIGGER cogest_audit_append_only
    BEFORE UPDATE OR DELETE ON cogest_auditevent
    FOR EACH ROW EXECUTE FUNCTION cogest_audit_refuse_change();
"""

DROP = """
DROP TRIGGER IF EXISTS cogest_audit_append_only ON cogest_auditevent;
DROP FUNCTION IF EXISTS cogest_audit_refuse_change();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # params=None: the SQL goes through verbatim (its RAISE format uses a literal '%').
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("cogest", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
