"""Has a source's list been read to the end? The resume point of a crawl that stopped short.

Lists are newest first and a crawl normally stops paging at the first list page holding a
known entry. That is only safe when everything below that entry was read before. A crawl
killed, timed out or capped part-way leaves entries it never reached behind entries it
stored, and a later crawl would stop at the stored ones and never see the gap.

So every crawl marks its source *pending* when it starts (``begin``), and only a crawl that
finished cleanly and reached its stopping point clears the mark (``finish``). While a source
is pending since time T, a crawl pages on past known entries until it meets an entry known
before T (everything below it was complete then), or the end of the list. A kill -9 cannot
skip the clearing: the mark was written first.

The state is one ``meta`` row per source (``backfill.<source>``), a JSON object:
``since`` (pending since, or null) and ``complete_at`` (when the list was first read to its
end: the alert baseline, see ``baseline_until``).
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from store.catalogue import transaction

KEY = "backfill.{source}"


def state(db: Database, source: str) -> dict[str, Any] | None:
    """``{"since", "complete_at"}`` of ``source``, or None if no crawl has marked it yet."""
    row = db.execute("select value from meta where key = ?", [KEY.format(source=source)]).fetchone()
    return json.loads(row[0]) if row else None


def _write(db: Database, source: str, value: dict[str, Any]) -> None:
    db.execute("insert or replace into meta ([key], value) values (?, ?)",
               [KEY.format(source=source), json.dumps(value)])


def begin(db: Database, source: str, started_at: str) -> str:
    """Mark ``source`` pending from ``started_at`` (an earlier mark stays) and return the
    earliest open mark: the crawl pages on until it meets an entry known before it."""
    with transaction(db):
        current = state(db, source) or {"since": None, "complete_at": None}
        since = min(s for s in (current["since"], started_at) if s)
        _write(db, source, {**current, "since": since})
    return since


def finish(db: Database, source: str, run_id: int, reached: bool, at: str) -> dict[str, Any]:
    """Close ``run_id``'s part: if it ``reached`` its stopping point (an entry known before
    its ``since``, or the end of the list) the mark moves to the oldest other crawl of the
    source still running (it may leave its own gap), or is cleared. Otherwise it stays."""
    with transaction(db):
        current = state(db, source) or {"since": None, "complete_at": None}
        if reached:
            other = db.execute(
                "select min(started_at) from crawl_runs where source = ? and status = 'running' "
                "and id != ?", [source, run_id]).fetchone()[0]
            current = {"since": other, "complete_at": current.get("complete_at") or at}
            _write(db, source, current)
    return current


def baseline_until(db: Database, source: str) -> str | None | bool:
    """Versions fetched up to the returned time are the source's first load (baseline).

    ``True``: the list was never read to its end, so everything so far is first load.
    ``None``: no crawl has kept this state (a catalogue from before it); the caller decides.
    """
    current = state(db, source)
    if current is None:
        return None
    return current.get("complete_at") or True


def incomplete(db: Database) -> list[dict[str, Any]]:
    """Sources whose list is pending and no crawl of them is running: a gap to fill."""
    rows = db.execute("select key, value from meta where key like 'backfill.%'").fetchall()
    out = []
    for key, value in rows:
        source = key.split(".", 1)[1]
        current = json.loads(value)
        if not current.get("since"):
            continue
        running = db.execute("select 1 from crawl_runs where source = ? and status = 'running' "
                             "limit 1", [source]).fetchone()
        if not running:
            out.append({"source": source, "since": current["since"],
                        "complete_at": current.get("complete_at")})
    return out
