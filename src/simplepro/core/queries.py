"""Several small LIMITed reads sent as one query.

A page that shows the few newest rows of each of several lists (the pipeline board's seven
columns, "My day"'s three lists) paid about 1.3 ms of server CPU per query, most of it the
ORM compiling SQL, and most of the request (bench/sales_bench.py). PostgreSQL takes them as
one UNION ALL whose parts each keep their own index and LIMIT. SQLite allows no LIMIT inside
a compound statement, so there each part is its own query (the embedded default serves
small data).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

# Stands in for the key while the SQL is compiled, to be found among the parameters: no row
# holds it.
_KEY = "\x00key\x00"


def union_of_slices(parts: Sequence[QuerySet[Any]]) -> list[dict[str, Any]]:
    """The rows of every part (each a sliced, ordered .values() query with the same
    columns). Their order across and within parts is not kept (a parallel plan interleaves
    the parts): callers tell them apart by a column and sort."""
    connection = connections[parts[0].db]
    if len(parts) > 1 and connection.features.supports_slicing_ordering_in_compound:
        return list(parts[0].union(*parts[1:], all=True))
    return [row for part in parts for row in part]


def first_rows_of_each(
    rows: QuerySet[Any], field: str, limits: Mapping[str, int]
) -> list[dict[str, Any]]:
    """For each key of `limits`, the first `limits[key]` of `rows` (an ordered .values()
    query) whose `field` is that key, as .values() dicts; order not kept, as above.

    The SQL is compiled once per distinct limit, not once per key: the seven columns of the
    board compiled as seven parts were a third of its server CPU."""
    connection = connections[rows.db]
    pieces: list[tuple[str, list[Any]]] = []
    compiler: Any = None
    for limit in sorted(set(limits.values())):
        compiler = rows.filter(**{field: _KEY})[:limit].query.get_compiler(connection=connection)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return []
        spots = [i for i, value in enumerate(params) if value == _KEY]
        if len(spots) != 1:  # the key was not sent as one parameter: compile each part
            return union_of_slices([rows.filter(**{field: key})[:n] for key, n in limits.items()])
        at = spots[0]
        pieces += [
            (sql, [*params[:at], key, *params[at + 1 :]]) for key, n in limits.items() if n == limit
        ]
    query = compiler.query
    names = [*query.extra_select, *query.values_select, *query.annotation_select]
    found: list[Any] = []
    with connection.cursor() as cursor:
        if connection.features.supports_slicing_ordering_in_compound:
            cursor.execute(
                " UNION ALL ".join(f"({sql})" for sql, _ in pieces),
                [value for _, params in pieces for value in params],
            )
            found = cursor.fetchall()
        else:
            for sql, params in pieces:
                cursor.execute(sql, params)
                found += cursor.fetchall()
    # The database's values as the ORM would give them (SQLite's dates and decimals are text).
    converters = compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]])
    if converters:
        found = list(compiler.apply_converters(found, converters))
    return [dict(zip(names, row, strict=True)) for row in found]
