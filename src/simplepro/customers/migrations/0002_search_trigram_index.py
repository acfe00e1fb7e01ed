"""Trigram index on Customer.search_text, so `search=` (LIKE '%…%') stays an index scan at
100,000+ customers. PostgreSQL only: SQLite has no trigram index and still migrates."""

from typing import Any

from django.db import migrations

INDEX = "customer_search_trgm_idx"


def forwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON customers_customer "
        "USING gin (search_text gin_trgm_ops)"
    )


def backwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
