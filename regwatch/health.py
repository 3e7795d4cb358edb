"""Service and source health, read from the catalogue (for `regwatch status`).

A source is unhealthy after N consecutive failed crawls, when its last crawl met an
anti-bot page or an empty list, or when it has had no successful crawl for a set time.
The service is late when its heartbeat is older than allowed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

from core.settings import Config
from crawler.sources import load_sources

ALARMING_REASONS = ("anti-bot", "empty-list", "timeout", "crashed", "interrupted")


def _parse(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def run_failed(db: Database, run: dict[str, Any]) -> bool:
    if run["status"] not in ("ok",):
        return True
    if run["errors"] and not (run["fetched"] or run["not_modified"]):
        return True
    reasons = {r[0] for r in db.execute(
        "select reason from source_errors where crawl_run_id = ?", [run["id"]]).fetchall()}
    return bool(reasons & set(ALARMING_REASONS))


def source_health(db: Database, source: str, config: Config, now: datetime) -> dict[str, Any]:
    runs = [dict(r) for r in db.query(
        "select * from crawl_runs where source = ? and status != 'running' order by id desc limit 50",
        [source])]
    failures = 0
    for run in runs:
        if not run_failed(db, run):
            break
        failures += 1
    last_ok = next((r for r in runs if not run_failed(db, r)), None)
    last_new = db.execute("select max(first_seen) from documents where source = ?", [source]).fetchone()[0]
    next_run = None
    if "apscheduler_jobs" in db.table_names():
        row = db.execute("select next_run_time from apscheduler_jobs where id = ?",
                         [f"crawl:{source}"]).fetchone()
        if row and row[0]:
            next_run = datetime.fromtimestamp(row[0], UTC).isoformat(timespec="seconds")
    reasons = []
    limit = int(config.get("health", "unhealthy_after_failures", 3))
    if failures >= limit:
        reasons.append(f"{failures} consecutive failed crawls")
    if runs and run_failed(db, runs[0]):
        last_reasons = sorted({r[0] for r in db.execute(
            "select reason from source_errors where crawl_run_id = ?", [runs[0]["id"]]).fetchall()}
            & set(ALARMING_REASONS))
        if last_reasons:
            reasons.append("last crawl: " + ", ".join(last_reasons))
    stale_hours = float(config.get("health", "stale_after_hours", 26))
    last_ok_at = _parse(last_ok["finished_at"]) if last_ok else None
    if runs and last_ok_at is None:
        reasons.append("no successful crawl yet")
    elif last_ok_at and (now - last_ok_at).total_seconds() > stale_hours * 3600:
        reasons.append(f"no successful crawl for over {stale_hours:g} h")
    return {
        "source": source,
        "last_run": runs[0]["finished_at"] if runs else None,
        "last_result": runs[0]["status"] if runs else None,
        "next_run": next_run,
        "consecutive_failures": failures,
        "last_new_document": last_new,
        "healthy": not reasons,
        "problems": reasons,
    }


def pending_alerts(db: Database) -> int | None:
    if "outbox" not in db.table_names():
        return None
    return db.execute("select count(*) from outbox where status = 'pending'").fetchone()[0]


def service_status(db: Database, config: Config, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    row = db.execute("select value from meta where key = 'service_heartbeat'").fetchone()
    heartbeat = json.loads(row[0]) if row else None
    late_after = float(config.get("service", "late_after_seconds", 300))
    beat_at = _parse(heartbeat["at"]) if heartbeat else None
    late = beat_at is None or (now - beat_at).total_seconds() > late_after
    sources = [source_health(db, s, config, now) for s in config.sources(load_sources())]
    return {
        "ok": not late and all(s["healthy"] for s in sources),
        "service": {"heartbeat": heartbeat["at"] if heartbeat else None,
                    "pid": heartbeat["pid"] if heartbeat else None,
                    "late": late, "late_after_seconds": late_after},
        "sources": sources,
        "pending_alerts": pending_alerts(db),
    }
