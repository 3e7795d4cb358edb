"""A portfolio's status as files for auditors: CSV, and an XLSX workbook with one sheet per
verdict and a sheet of the sources (address, page version, content hash).

Both are built from ``portfolio.status.portfolio_status`` rows only, so a report for a
past date ("our position as of 2025-11-15") is the same file every time it is made from
the same catalogue: no clock, no random order.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from sqlite_utils import Database

COLUMNS = ("sku", "destination", "hs_code", "materials", "description", "verdict",
           "announcements", "matched", "why", "related", "counterparty", "end_use", "end_user",
           "screening", "on")
SHEET_ORDER = ("prohibited", "denied in principle", "stricter review", "licence required",
               "control suspended", "pending", "not found in the catalogue")


def flat(row: dict[str, Any]) -> dict[str, str]:
    """One status row as text cells (lists joined with ``; ``)."""
    out = {}
    for column in COLUMNS:
        value = row.get(column)
        if column == "screening":
            value = (value or {}).get("result", "") if row.get("counterparty") else ""
        if isinstance(value, list):
            value = "; ".join(str(v) for v in value)
        out[column] = "" if value is None else str(value)
    return out


def to_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(flat(r) for r in rows)
    return buffer.getvalue()


def sheet_of(verdict: str) -> str:
    """``control suspended until 2026-11-10`` → ``control suspended`` (a sheet per kind)."""
    for name in SHEET_ORDER:
        if verdict.startswith(name):
            return name
    return verdict[:31]


def sources(db: Database, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every announcement a row cites, with the page and page version the catalogue read."""
    numbers = sorted({n for r in rows for n in [*r["announcements"], *r.get("related", [])]})
    out = []
    for number in numbers:
        found = db.execute(
            "select a.number, a.title, a.issue_date, d.url, v.id, v.fetched_at, v.content_hash "
            "from announcements a left join documents d on d.id = a.document_id "
            "left join versions v on v.id = a.version_id where a.number = ?",
            [number]).fetchone()
        if found:
            out.append(dict(zip(("announcement", "title", "issue_date", "url", "version_id",
                                 "fetched_at", "content_hash"), found, strict=True)))
    return out


def to_xlsx(db: Database, rows: list[dict[str, Any]], path: str | Path) -> dict[str, int]:
    """Write the workbook; returns rows per sheet. Timestamps are fixed so the same
    catalogue and date give the same content."""
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    counts: dict[str, int] = {}
    for name in SHEET_ORDER:
        picked = [r for r in rows if sheet_of(r["verdict"]) == name]
        if not picked:
            continue
        sheet = book.create_sheet(name[:31])
        sheet.append(list(COLUMNS))
        for row in picked:
            sheet.append([flat(row)[c] for c in COLUMNS])
        counts[name] = len(picked)
    sheet = book.create_sheet("sources")
    columns = ["announcement", "title", "issue_date", "url", "version_id", "fetched_at",
               "content_hash"]
    sheet.append(columns)
    found = sources(db, rows)
    for number, source in enumerate(found, start=2):
        sheet.append([source[c] for c in columns])
        if source["url"]:
            sheet.cell(row=number, column=4).hyperlink = source["url"]
    counts["sources"] = len(found)
    on = rows[0]["on"] if rows else "1970-01-01"
    stamp = dt.datetime.fromisoformat(on + "T00:00:00")
    book.properties.created = stamp
    book.properties.modified = stamp
    book.properties.title = f"Portfolio status on {on}"
    book.save(str(path))
    return counts
