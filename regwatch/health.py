"""Service and source health, as `regwatch status` reports it.

Source health is the one definition in store/health.py (the health alerts use it too);
this adds the service's heartbeat and each source's next scheduled crawl. Thresholds come
from the same settings as the alerts' (configuration file, then environment).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

from alerts.settings import load_settings
from core.settings import Config
from crawler.sources import load_sources
from store.health import parse_stamp, source_health
from timeline.completeness import last_announcements


def next_run(db: Database, source: str) -> str | None:
    """When the service's scheduler will crawl ``source`` next (its job store's row), or
    check it, when it is polled on a request budget (regwatch/polling.py)."""
    if "apscheduler_jobs" not in db.table_names():
        return None
    row = db.execute("select min(next_run_time) from apscheduler_jobs where id in (?, ?)",
                     [f"crawl:{source}", f"check:{source}"]).fetchone()
    if row and row[0]:
        return datetime.fromtimestamp(row[0], UTC).isoformat(timespec="seconds")
    return None


def pending_alerts(db: Database) -> int | None:
    if "outbox" not in db.table_names():
        return None
    return db.execute("select count(*) from outbox where status = 'pending'").fetchone()[0]


def _with_age(last: dict[str, Any] | None, now: datetime) -> dict[str, Any] | None:
    """The newest announcement a source gave, with its age in days (from its issue date,
    else from when it was first seen): a source silent for long may be missing some."""
    if last is None:
        return None
    since = last["issue_date"] or (last["first_seen"] or "")[:10]
    age = (now.date() - datetime.fromisoformat(since).date()).days if since else None
    return {"number": last["number"], "issue_date": last["issue_date"],
            "first_seen": last["first_seen"], "age_days": age}


def service_status(db: Database, config: Config, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    settings = load_settings(config)
    row = db.execute("select value from meta where key = 'service_heartbeat'").fetchone()
    heartbeat = json.loads(row[0]) if row else None
    late_after = float(config.get("service", "late_after_seconds", 300))
    beat_at = parse_stamp(heartbeat["at"]) if heartbeat else None
    late = beat_at is None or (now - beat_at).total_seconds() > late_after
    sources = []
    newest = last_announcements(db)
    for source in config.sources(load_sources()):
        health = source_health(db, source, now, settings.health_failed_runs,
                               settings.health_stale_hours)
        sources.append({**health, "next_run": next_run(db, source),
                        "last_announcement": _with_age(newest.get(source), now)})
    return {
        "ok": not late and all(s["healthy"] for s in sources),
        "service": {"heartbeat": heartbeat["at"] if heartbeat else None,
                    "pid": heartbeat["pid"] if heartbeat else None,
                    "late": late, "late_after_seconds": late_after},
        "sources": sources,
        "pending_alerts": pending_alerts(db),
    }
