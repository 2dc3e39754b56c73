"""podium_refuse(reason): raises, so that one SQL statement can refuse a
submission after its own writes and take them all back (a total beyond
±(2**53 - 1) on a `sum` board). PostgreSQL only: SQLite writes a submission
in steps, and refuses between them."""

from django.db import migrations

# SQLSTATE PD001 ("PD": Podium), told apart from every error of PostgreSQL's own.
REFUSE = """
CREATE OR REPLACE FUNCTION podium_refuse(reason text) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'PD001', MESSAGE = reason;
END
$$
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REFUSE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS podium_refuse(text)")


class Migration(migrations.Migration):
    dependencies = [("scores", "0005_board_constraints")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
