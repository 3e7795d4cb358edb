"""Source and service health, as `regwatch status` reports it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from core.settings import load
from regwatch.health import service_status
from regwatch.service import write_heartbeat
from store import catalogue


def _run(db, source: str, status: str = "ok", fetched: int = 5, errors: list[str] = ()) -> int:
    run_id = catalogue.start_run(db, source)
    catalogue.count(db, run_id, "fetched", fetched)
    for reason in errors:
        catalogue.record_error(db, run_id, source, "http://x", reason, "detail")
        catalogue.count(db, run_id, "errors")
    catalogue.finish_run(db, run_id, status=status)
    return run_id


def _by_source(report: dict) -> dict[str, dict]:
    return {s["source"]: s for s in report["sources"]}


def test_healthy_when_recent_runs_succeeded_and_heartbeat_fresh(db_path):
    db = catalogue.open_db(db_path)
    for source in ("mofcom", "gacc", "mofcom_en", "mofcom_xkzj", "mofcom_spokesperson"):
        _run(db, source)
    write_heartbeat(db, 1234)
    report = service_status(db, load(None))
    assert report["ok"] is True
    assert report["service"]["late"] is False and report["service"]["pid"] == 1234
    assert all(s["healthy"] and s["consecutive_failures"] == 0 for s in report["sources"])


def test_consecutive_failures_and_anti_bot_make_a_source_unhealthy(db_path):
    db = catalogue.open_db(db_path)
    _run(db, "mofcom")
    for _ in range(3):
        _run(db, "mofcom", status="killed", fetched=0, errors=["timeout"])
    _run(db, "gacc", fetched=0, errors=["anti-bot"])
    _run(db, "mofcom_en")
    write_heartbeat(db, 1)
    report = service_status(db, load(None))
    sources = _by_source(report)
    assert report["ok"] is False
    assert sources["mofcom"]["consecutive_failures"] == 3
    assert "3 consecutive failed crawls" in sources["mofcom"]["problems"]
    assert sources["gacc"]["problems"] == ["last crawl: anti-bot", "no successful crawl yet"]
    assert sources["mofcom_en"]["healthy"] is True


def test_late_heartbeat_and_stale_source(db_path):
    db = catalogue.open_db(db_path)
    for source in ("mofcom", "gacc", "mofcom_en", "mofcom_xkzj", "mofcom_spokesperson"):
        _run(db, source)
    write_heartbeat(db, 1)
    later = datetime.now(UTC) + timedelta(hours=30)
    report = service_status(db, load(None), now=later)
    assert report["service"]["late"] is True
    assert all("no successful crawl for over 26 h" in s["problems"] for s in report["sources"])
    beat = json.loads(db.execute("select value from meta where key = 'service_heartbeat'").fetchone()[0])
    assert beat["pid"] == 1


def test_status_without_query_prints_health_and_exits_nonzero_when_unhealthy(db_path):
    from click.testing import CliRunner

    from regwatch.cli import cli

    db = catalogue.open_db(db_path)
    for source in ("mofcom", "gacc", "mofcom_en", "mofcom_xkzj", "mofcom_spokesperson"):
        _run(db, source)
    write_heartbeat(db, 99)
    ok = CliRunner().invoke(cli, ["status", "--db", db_path, "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["ok"] is True
    _run(db, "gacc", fetched=0, errors=["anti-bot"])
    bad = CliRunner().invoke(cli, ["status", "--db", db_path])
    assert bad.exit_code == 1
    assert "gacc: UNHEALTHY: last crawl: anti-bot" in bad.output
