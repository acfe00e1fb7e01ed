"""The search index exists where it can: a trigram GIN index without pending list on
PostgreSQL; on SQLite the migrations are no-ops and search still works (by scanning)."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_trigram_index_matches_the_database() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexdef, reloptions FROM pg_indexes JOIN pg_class ON relname = indexname "
                "WHERE indexname = 'customer_search_trgm_idx'"
            )
            indexdef, options = cursor.fetchone()
            assert "gin (search_text gin_trgm_ops)" in indexdef
            assert options == ["fastupdate=off"]
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'customer_search_trgm_idx'")
            assert cursor.fetchone() is None
