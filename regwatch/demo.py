"""``regwatch demo``: the main job end to end, against the offline mirror.

Starts the mirror (day 1) on a free loopback port, crawls and extracts, re-crawls to
show that nothing unchanged is stored twice, moves the mirror to day 2, crawls again,
and prints what changed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mirror.server import start_in_thread
from mirror.site import Mirror
from regwatch.jobs import run_once
from store import catalogue
from store.extractions import latest_extraction


def _summary_line(label: str, result: dict[str, Any]) -> str:
    runs = result["runs"]
    total = {k: sum(r[k] or 0 for r in runs) for k in
             ("requests", "fetched", "new_documents", "new_versions", "not_modified", "errors")}
    return (f"{label}: {total['requests']} requests, {total['new_documents']} new documents, "
            f"{total['new_versions']} new versions, {total['not_modified']} not modified, "
            f"{total['errors']} errors; {result['extraction']['extracted']} versions extracted")


def changed_since(db, run_ids: list[int]) -> list[dict[str, Any]]:
    """Versions written by the given crawl runs, with their extraction."""
    if not run_ids:
        return []
    marks = ",".join("?" * len(run_ids))
    rows = [dict(r) for r in db.query(
        f"select v.id as version_id, v.seq, d.id as document_id, d.title, d.url from versions v "
        f"join documents d on d.id = v.document_id where v.crawl_run_id in ({marks}) order by v.id",
        run_ids)]
    for row in rows:
        row["extraction"] = latest_extraction(db, row["version_id"]) or {}
    return rows


def run_demo(db_path: str, echo: Callable[[str], None] = print) -> dict[str, Any]:
    path = Path(db_path)
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    site = Mirror(day=1)
    server = start_in_thread(site)
    echo(f"mirror: {server.url} (day 1, {len(site.visible)} announcements and notices)")
    started = time.monotonic()
    try:
        day1 = run_once(db_path, mirror=server.url)
        echo(_summary_line("day 1, first crawl ", day1))
        again = run_once(db_path, mirror=server.url)
        echo(_summary_line("day 1, second crawl", again))
        site.set_day(2)
        echo("mirror moved to day 2")
        day2 = run_once(db_path, mirror=server.url)
        echo(_summary_line("day 2              ", day2))
    finally:
        server.shutdown()
    db = catalogue.open_db(db_path)
    changes = changed_since(db, [r["id"] for r in day2["runs"]])
    echo("")
    echo("What changed on day 2:")
    for change in changes:
        ex = change["extraction"]
        kind = "NEW" if change["seq"] == 1 else f"CHANGED (version {change['seq']})"
        echo(f"  [{kind}] #{change['document_id']} {ex.get('number') or '-'}  {change['title']}")
        facts = {k: ex.get(k) for k in ("issue_date", "effective_dates", "materials",
                                        "control_codes") if ex.get(k)}
        if facts:
            echo("      " + json.dumps(facts, ensure_ascii=False))
        if change["seq"] > 1:
            diff = catalogue.history(db, change["document_id"])[-1]["diff"]
            for line in diff.splitlines()[2:]:
                if line.startswith(("+", "-")):
                    echo("      " + line)
    documents = catalogue.documents(db)
    echo("")
    echo(f"catalogue: {path.resolve()} ({len(documents)} documents); "
         f"took {time.monotonic() - started:.1f}s")
    echo(f"try: regwatch documents --db {db_path} | regwatch history ID --db {db_path}")
    return {"day1": day1, "again": again, "day2": day2, "changes": changes}
