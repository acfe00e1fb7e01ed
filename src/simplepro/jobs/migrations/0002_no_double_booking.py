"""No person and no truck on two overlapping blocking assignments — enforced by PostgreSQL
itself with exclusion constraints over half-open time ranges, so even a write that skipped
the application's check (a raw insert, a bug, a race) cannot double-book anyone. SQLite has no
exclusion constraints: there, writes are serialised and the booking guard checks first."""

from typing import Any

from django.db import migrations

CONSTRAINTS = {
    "assignment_person_no_overlap": "crew_member_id",
    "assignment_truck_no_overlap": "truck_id",
}


def forwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for name, column in CONSTRAINTS.items():
        schema_editor.execute(
            f"ALTER TABLE jobs_assignment ADD CONSTRAINT {name} EXCLUDE USING gist "
            f"({column} WITH =, tstzrange(start, \"end\", '[)') WITH &&) "
            f"WHERE (blocks AND {column} IS NOT NULL)"
        )


def backwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in CONSTRAINTS:
        schema_editor.execute(f"ALTER TABLE jobs_assignment DROP CONSTRAINT IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("jobs", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
