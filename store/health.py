"""Source health: the one definition of a failed crawl run and of an unhealthy source.

Both `regwatch status` (regwatch/health.py) and the health alerts (alerts/health.py) read
it, so they never disagree on what failed:

- a run **failed** when it did not manage to look at the site: it crashed, was killed or
  timed out (status other than ``ok``), or it saw no page at all and met errors;
- a run **alarms** when the site answered with something that is not what it publishes:
  an anti-bot page, a list page with no entries, or fewer list entries than the source's
  ``expect`` asks for (``ALARMING_REASONS``), even if other pages came through;
- a source is **unhealthy** after ``failed_runs`` consecutive failed runs, when its last
  run alarmed, or when no run has succeeded for ``stale_hours``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlite_utils import Database

from store import backfill

ALARMING_REASONS = ("anti-bot", "empty-list", "too-few-entries", "timeout", "crashed",
                    "interrupted")


def parse_stamp(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def run_failed(run: dict[str, Any]) -> bool:
    """A run that did not manage to look at the site: crashed, killed, or only errors."""
    if run.get("status") != "ok":
        return True
    seen = (run.get("fetched") or 0) + (run.get("not_modified") or 0) + (run.get("unchanged") or 0)
    return seen == 0 and (run.get("errors") or 0) > 0


def alarming_reasons(db: Database, run_id: int) -> list[str]:
    """The alarming reasons among a run's source errors, sorted."""
    reasons = {r[0] for r in db.execute(
        "select reason from source_errors where crawl_run_id = ?", [run_id])}
    return sorted(reasons & set(ALARMING_REASONS))


def source_health(db: Database, source: str, now: datetime, failed_runs: int,
                  stale_hours: float) -> dict[str, Any]:
    """A source's health from its finished runs: failures, last results, problems."""
    runs = [dict(r) for r in db.query(
        "select * from crawl_runs where source = ? and status != 'running' order by id desc limit 50",
        [source])]
    failures = 0
    for run in runs:
        if not run_failed(run):
            break
        failures += 1
    last_ok = next((r for r in runs if not run_failed(r)), None)
    last_new = db.execute("select max(first_seen) from documents where source = ?", [source]).fetchone()[0]
    problems = []
    if failures >= failed_runs:
        problems.append(f"{failures} consecutive failed crawls")
    alarming = alarming_reasons(db, runs[0]["id"]) if runs else []
    if alarming:
        problems.append("last crawl: " + ", ".join(alarming))
    last_ok_at = parse_stamp(last_ok["finished_at"]) if last_ok else None
    gap = next((g for g in backfill.incomplete(db) if g["source"] == source), None)
    if gap:
        problems.append(f"incomplete backfill: the list was not read to its end since "
                        f"{gap['since']} (the next crawl resumes)")
    if runs and last_ok_at is None:
        problems.append("no successful crawl yet")
    elif last_ok_at and (now - last_ok_at).total_seconds() > stale_hours * 3600:
        problems.append(f"no successful crawl for over {stale_hours:g} h")
    return {
        "source": source,
        "last_run": runs[0]["finished_at"] if runs else None,
        "last_result": runs[0]["status"] if runs else None,
        "consecutive_failures": failures,
        "last_new_document": last_new,
        "healthy": not problems,
        "problems": problems,
    }
