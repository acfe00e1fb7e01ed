"""CSV export and import of customers. The two share one column layout, so an export can be
edited in a spreadsheet and imported again."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import ValidationError

from simplepro.core.problems import FieldError
from simplepro.core.spreadsheet import FORMULA_START, safe_cell
from simplepro.customers.models import Customer
from simplepro.customers.schemas import CustomerIn

COLUMNS = (
    "type",
    "name",
    "company_name",
    "emails",
    "phones",
    "status",
    "source",
    "referred_by",
    "tags",
    "notes",
    "address_line1",
    "address_line2",
    "address_city",
    "address_region",
    "address_postal_code",
    "address_country",
)
EXPORT_COLUMNS = ("id", *COLUMNS, "assigned_salesperson", "created_at", "archived")
LIST_SEPARATOR = ";"
MAX_ROWS = 5000
_cell = safe_cell  # cells that spreadsheet programs will not run (CSV injection)


def export_rows(customers: Iterable[Customer]) -> Iterator[str]:
    """The file line by line, so a large export streams instead of filling memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(EXPORT_COLUMNS)
    yield flush()
    for c in customers:
        address = c.addresses[0] if c.addresses else {}
        writer.writerow(
            [
                _cell(str(v))
                for v in (
                    c.id,
                    c.type,
                    c.name,
                    c.company_name,
                    LIST_SEPARATOR.join(c.emails),
                    LIST_SEPARATOR.join(c.phones),
                    c.status,
                    c.source,
                    c.referred_by,
                    LIST_SEPARATOR.join(c.tags),
                    c.notes,
                    address.get("line1", ""),
                    address.get("line2", ""),
                    address.get("city", ""),
                    address.get("region", ""),
                    address.get("postal_code", ""),
                    address.get("country", ""),
                    c.assigned_salesperson.username if c.assigned_salesperson else "",
                    c.created_at.isoformat(),
                    "yes" if c.archived_at else "no",
                )
            ]
        )
        yield flush()


def _uncell(value: str) -> str:
    """Undo `_cell`, so an exported file imports unchanged."""
    if value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def _split(value: str) -> list[str]:
    return [_uncell(part.strip()) for part in value.split(LIST_SEPARATOR) if part.strip()]


def _row_data(row: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": row.get("type", "").strip().lower(),
        "name": row.get("name", ""),
        "company_name": row.get("company_name", ""),
        "emails": _split(row.get("emails", "")),
        "phones": _split(row.get("phones", "")),
        "status": row.get("status", "").strip().lower() or "lead",
        "source": row.get("source", "").strip().lower(),
        "referred_by": row.get("referred_by", ""),
        "tags": _split(row.get("tags", "")),
        "notes": row.get("notes", ""),
    }
    if row.get("address_line1", "").strip():
        data["addresses"] = [
            {
                "label": "primary",
                "line1": row.get("address_line1", ""),
                "line2": row.get("address_line2", ""),
                "city": row.get("address_city", ""),
                "region": row.get("address_region", ""),
                "postal_code": row.get("address_postal_code", ""),
                "country": (row.get("address_country", "") or "US").strip().upper(),
            }
        ]
    return data


def parse_import(content: bytes) -> tuple[list[tuple[int, dict[str, Any]]], list[FieldError]]:
    """Rows (numbered as a spreadsheet shows them: the header is row 1) that passed the
    schema, and every problem found, each naming its row and field."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [{"field": "file", "code": "encoding", "message": "The file is not UTF-8 text."}]
    reader = csv.DictReader(io.StringIO(text))
    missing = {"type", "name"} - set(reader.fieldnames or [])
    if missing:
        return [], [
            {
                "field": "file",
                "code": "missing_columns",
                "message": f"Missing column(s): {', '.join(sorted(missing))}. Expected: {', '.join(COLUMNS)}.",
            }
        ]
    rows: list[tuple[int, dict[str, Any]]] = []
    errors: list[FieldError] = []
    for number, raw_row in enumerate(reader, start=2):
        row = {key: _uncell(value or "") for key, value in raw_row.items() if key}
        if number - 1 > MAX_ROWS:
            errors.append(
                {
                    "field": "file",
                    "code": "too_many_rows",
                    "message": f"At most {MAX_ROWS} rows per import.",
                }
            )
            break
        try:
            data = CustomerIn.model_validate(_row_data(row)).model_dump()
        except ValidationError as exc:
            for error in exc.errors():
                loc = "".join(
                    f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"]
                ).lstrip(".")
                errors.append(
                    {
                        "field": f"rows[{number}].{loc}",
                        "code": error["type"],
                        "message": error["msg"],
                    }
                )
            continue
        data.pop("assigned_salesperson_id", None)
        rows.append((number, data))
    if not rows and not errors:
        errors.append({"field": "file", "code": "empty", "message": "The file has no rows."})
    return rows, errors
