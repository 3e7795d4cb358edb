"""Stored portfolios: import a validated file, keep every earlier version of every lane.

A lane is a product shipped to a destination, for a counterparty and an end use
(``portfolio.lanes``). Re-importing compares each lane's content with the current version:
unchanged lanes stay, changed ones are retired and added again, lanes missing from the
new file are retired. Every import is a row of its own, so the
portfolio as of any import can be read back.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from portfolio.lanes import LANE_FIELDS, lane_key
from portfolio.read import read_portfolio
from store.catalogue import now as catalogue_now
from store.catalogue import transaction
from store.errors import NotFound

CONTENT = ("description", "hs_code", "materials", "destination_as_written", "end_use", "end_user",
           "counterparty")


class PortfolioNotFound(NotFound):
    """No portfolio of that name in the catalogue."""


def _stored(row: dict[str, Any]) -> dict[str, Any]:
    values = {name: row.get(name) for name in CONTENT}
    values["materials"] = json.dumps(row.get("materials") or [], ensure_ascii=False)
    values["row_hash"] = hashlib.sha256(json.dumps(values, sort_keys=True, ensure_ascii=False)
                                        .encode("utf-8")).hexdigest()
    return {"sku": row["sku"], "destination": row["destination"], **values}


def _portfolio_id(db: Database, name: str, now: str) -> int:
    found = db.execute("select id from portfolios where name = ?", [name]).fetchone()
    if found:
        db.execute("update portfolios set updated_at = ? where id = ?", [now, found[0]])
        return int(found[0])
    return int(db["portfolios"].insert({"name": name, "created_at": now, "updated_at": now}).last_pk)


def import_rows(db: Database, name: str, rows: list[dict[str, Any]], *, source: str = "",
                source_sha256: str = "", now: str | None = None) -> dict[str, Any]:
    """Make ``rows`` (from :func:`portfolio.read.read_portfolio`) the current content of ``name``.

    :param source: the file's name, kept with the import
    :returns: ``{"portfolio", "import_id", "rows", "added", "changed", "removed", "unchanged"}``
    """
    now = now or catalogue_now()
    with transaction(db):
        portfolio_id = _portfolio_id(db, name, now)
        import_id = int(db["portfolio_imports"].insert(
            {"portfolio_id": portfolio_id, "imported_at": now, "source": source,
             "source_sha256": source_sha256, "rows": len(rows)}).last_pk)
        current = {lane_key(r): r for r in db.query(
            f"select id, {', '.join(LANE_FIELDS)}, row_hash from portfolio_rows "
            "where portfolio_id = ? and retired_in is null", [portfolio_id])}
        counts = {"added": 0, "changed": 0, "removed": 0, "unchanged": 0}
        seen: set[tuple[str, ...]] = set()
        for row in rows:
            stored = _stored(row)
            lane = lane_key(stored)
            seen.add(lane)
            old = current.get(lane)
            if old is not None and old["row_hash"] == stored["row_hash"]:
                counts["unchanged"] += 1
                continue
            if old is not None:
                db.execute("update portfolio_rows set retired_in = ? where id = ?", [import_id, old["id"]])
                counts["changed"] += 1
            else:
                counts["added"] += 1
            db["portfolio_rows"].insert({"portfolio_id": portfolio_id, **stored, "added_in": import_id})
        for lane, old in current.items():
            if lane not in seen:
                db.execute("update portfolio_rows set retired_in = ? where id = ?", [import_id, old["id"]])
                counts["removed"] += 1
        db.execute("update portfolio_imports set added = ?, changed = ?, removed = ?, unchanged = ? "
                   "where id = ?", [counts["added"], counts["changed"], counts["removed"],
                                    counts["unchanged"], import_id])
    return {"portfolio": name, "import_id": import_id, "rows": len(rows), **counts}


def import_file(db: Database, path: str | Path, name: str | None = None
                ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Validate and import a file: ``(summary, problems)``; ``summary`` is None and nothing
    is written when the file has any error. ``name`` defaults to the file's stem."""
    file = Path(path)
    rows, problems = read_portfolio(file)
    if any(p["severity"] == "error" for p in problems):
        return None, problems
    digest = hashlib.sha256(file.read_bytes()).hexdigest()
    return import_rows(db, name or file.stem, rows, source=file.name, source_sha256=digest), problems


def _portfolio(db: Database, name: str) -> int:
    found = db.execute("select id from portfolios where name = ?", [name]).fetchone()
    if not found:
        raise PortfolioNotFound(f"no portfolio named {name!r}")
    return int(found[0])


def _lane(row: dict[str, Any]) -> dict[str, Any]:
    lane = {k: row[k] for k in ("sku", "destination", *CONTENT)}
    lane["materials"] = json.loads(row["materials"] or "[]")
    return lane


def rows(db: Database, name: str, as_of_import: int | None = None) -> list[dict[str, Any]]:
    """The lanes of ``name``, now or as they stood right after import ``as_of_import``.

    :raises PortfolioNotFound: for an unknown name
    """
    portfolio_id = _portfolio(db, name)
    if as_of_import is None:
        sql, args = "retired_in is null", [portfolio_id]
    else:
        sql = "added_in <= ? and (retired_in is null or retired_in > ?)"
        args = [portfolio_id, as_of_import, as_of_import]
    return [_lane(r) for r in db.query(
        f"select * from portfolio_rows where portfolio_id = ? and {sql} order by "
        f"{', '.join(LANE_FIELDS)}", args)]


def imports(db: Database, name: str) -> list[dict[str, Any]]:
    """Every import of ``name``, oldest first.

    :raises PortfolioNotFound: for an unknown name
    """
    portfolio_id = _portfolio(db, name)
    return list(db.query("select id, imported_at, source, source_sha256, rows, added, changed, "
                         "removed, unchanged from portfolio_imports where portfolio_id = ? "
                         "order by id", [portfolio_id]))
