"""`regwatch run`: the scheduled service, run as a real process against the real mirror."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mirror.site import Mirror

REGWATCH = str(Path(sys.executable).with_name("regwatch"))


def _query(db_path: str, sql: str, args=()) -> list[tuple]:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30) as conn:
        return conn.execute(sql, args).fetchall()


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except sqlite3.OperationalError:
            pass  # table not there yet
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _start(db_path: str, mirror_url: str, every: float, config: str | None = None) -> subprocess.Popen:
    cmd = [REGWATCH, "run", "--db", db_path, "--mirror", mirror_url, "--every", str(every)]
    if config:
        cmd += ["--config", config]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "REGWATCH_LOG_LEVEL": "WARNING"})


def _stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, within: float = 10.0) -> float:
    started = time.monotonic()
    proc.send_signal(sig)
    proc.wait(timeout=within)
    return time.monotonic() - started


def _runs(db_path: str, source: str) -> list[tuple]:
    return _query(db_path, "select id, status from crawl_runs where source = ? order by id", [source])


def _consistent(db_path: str) -> None:
    assert _query(db_path, "pragma integrity_check") == [("ok",)]
    # no partial version: every document's count and current version match its version rows
    bad = _query(db_path, """
        select d.id from documents d
        where d.version_count != (select count(*) from versions v where v.document_id = d.id)
           or d.current_version_id != (select max(id) from versions v where v.document_id = d.id)""")
    assert bad == []


def test_service_picks_up_day_two_without_restart(make_mirror, db_path):
    server = make_mirror(day=1)
    day1 = len(Mirror(day=1).visible)  # the entries and their copies at other URLs
    config = Path(db_path).with_name("regwatch.toml")
    made = subprocess.run([REGWATCH, "init", str(config), "--db", db_path], capture_output=True, text=True)
    assert made.returncode == 0 and Path(db_path).exists(), made.stderr  # subscribe needs one
    subscribed = subprocess.run([REGWATCH, "subscribe", "--db", db_path, "--email", "desk@example.org",
                                 "--material", "rare earths"], capture_output=True, text=True)
    assert subscribed.returncode == 0, subscribed.stderr
    proc = _start(db_path, server.url, every=3)
    try:
        _wait(lambda: _query(db_path, "select count(*) from documents")[0][0] == day1, 60, "day 1")
        _wait(lambda: _query(db_path, "select count(*) from extractions")[0][0] >= day1, 60,
              "day 1 extracted")
        server.mirror.set_day(2)
        day2 = len(Mirror(day=2).visible)
        _wait(lambda: _query(db_path, "select count(*) from documents")[0][0] == day2, 60, "day 2")
        _wait(lambda: _query(db_path, "select max(version_count) from documents")[0][0] == 2, 60,
              "the corrected page's second version")
        # and its alert, queued for the rare-earths subscription by the running service
        _wait(lambda: _query(db_path, "select e.number, e.kind from outbox o join events e "
                                      "on e.id = o.event_id") == [("MOFCOM-2025-61", "changed")],
              60, "the alert for the corrected announcement")
        beat = _query(db_path, "select value from meta where key = 'service_heartbeat'")
        assert beat and str(proc.pid) in beat[0][0]
    finally:
        elapsed = _stop(proc)
    assert elapsed < 10
    _consistent(db_path)


def _move_next_runs_into_the_past(db_path: str, seconds: float) -> None:
    """Time travel on the real job store: as if the service had been down for ``seconds``."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    store = SQLAlchemyJobStore(url=f"sqlite:///{db_path}")
    store.start(BackgroundScheduler(), "default")  # a store only: nothing runs here
    past = datetime.now(UTC) - timedelta(seconds=seconds)
    for job in store.get_all_jobs():
        if job.id.startswith("crawl:"):
            job.next_run_time = past
            store.update_job(job)
    store.shutdown()


def test_kill_9_then_restart_runs_the_missed_crawl_once(make_mirror, db_path):
    server = make_mirror(day=1)
    every = 120.0  # long: within the test only the start-up run and missed runs can happen
    proc = _start(db_path, server.url, every=every)
    try:
        # kill -9 while a crawl is running
        _wait(lambda: any(status == "running" for _, status in _runs(db_path, "mofcom")),
              60, "a crawl in progress")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    _move_next_runs_into_the_past(db_path, 3 * every)  # three runs fell due while down
    before = {s: len(_runs(db_path, s)) for s in ("mofcom", "gacc")}
    proc = _start(db_path, server.url, every=every)
    try:
        _wait(lambda: all(len(_runs(db_path, s)) > before[s] and _runs(db_path, s)[-1][1] != "running"
                          for s in before), 90, "the missed runs")
        time.sleep(3)  # a second (uncoalesced) run would start now
        after = {s: len(_runs(db_path, s)) for s in ("mofcom", "gacc")}
    finally:
        _stop(proc)
    assert {s: after[s] - before[s] for s in after} == {"mofcom": 1, "gacc": 1}
    statuses = [status for _, status in _runs(db_path, "mofcom")]
    assert "running" not in statuses
    assert statuses[0] == "interrupted"  # the run the kill cut short is closed as such
    _consistent(db_path)


def test_hung_crawl_is_killed_and_other_source_keeps_schedule(make_mirror, db_path, tmp_path):
    server = make_mirror(day=1, faults={"hang"})
    config = tmp_path / "regwatch.toml"
    config.write_text(
        '[catalogue]\npath = "unused.db"\n'
        '[sources.mofcom]\ntimeout_seconds = 15\n[sources.gacc]\ntimeout_seconds = 60\n'
    )
    proc = _start(db_path, server.url, every=2, config=str(config))

    def gacc_ran_during_a_hang() -> bool:
        # a gacc crawl started while a mofcom crawl hung (from its start to its kill)
        return bool(_query(db_path, """
            select 1 from crawl_runs m join crawl_runs g on g.source = 'gacc'
            where m.source = 'mofcom' and m.status = 'killed'
              and g.started_at > m.started_at and g.started_at < m.finished_at"""))

    try:
        _wait(lambda: any(s == "killed" for _, s in _runs(db_path, "mofcom")), 60, "the hung crawl killed")
        _wait(gacc_ran_during_a_hang, 60, "gacc to run while mofcom hung")
    finally:
        _stop(proc)
    errors = _query(db_path, "select reason, detail from source_errors where source = 'mofcom'")
    assert ("timeout", "crawl killed at its 15s timeout") in errors
    _consistent(db_path)


def test_sigterm_during_crawl_exits_within_ten_seconds(make_mirror, db_path):
    server = make_mirror(day=1, faults={"hang"})
    proc = _start(db_path, server.url, every=30)
    try:
        _wait(lambda: any(s == "running" for _, s in _runs(db_path, "mofcom")), 30, "a crawl in progress")
        time.sleep(1)
    finally:
        elapsed = _stop(proc, within=15)
    assert elapsed < 10
    assert proc.returncode == 0, proc.stderr.read()[-2000:]
    assert all(s != "running" for _, s in _runs(db_path, "mofcom"))
    _consistent(db_path)


@pytest.mark.parametrize("body,problem", [
    ('[catalogue]\npath = "x.db"\n[sources.mofcom]\ninterval_minutes = "often"\n',
     "line 4: [sources.mofcom] interval_minutes: expected"),
    ('[catalogue]\npath = "x.db"\n[sources.nosuch]\n', "line 3: [sources.nosuch]: unknown source"),
    ('[catalogue]\npath = "x.db"\n[sources.gacc]\ncron = "61 * * * *"\n', "line 4: [sources.gacc] cron: bad cron"),
    ('[catalogue\n', "not valid TOML"),
])
def test_config_check_reports_line_and_key(tmp_path, body, problem):
    path = tmp_path / "bad.toml"
    path.write_text(body)
    result = subprocess.run([REGWATCH, "config", "check", str(path)], capture_output=True, text=True)
    assert result.returncode == 1
    assert problem in result.stderr


def test_init_writes_a_config_that_checks(tmp_path):
    path = tmp_path / "regwatch.toml"
    env = {k: v for k, v in os.environ.items() if k != "REGWATCH_DB"}
    assert subprocess.run([REGWATCH, "init", str(path)], capture_output=True, cwd=tmp_path,
                          env=env).returncode == 0
    assert (tmp_path / "regwatch.db").stat().st_size > 0  # and the catalogue, at the default --db
    result = subprocess.run([REGWATCH, "config", "check", str(path)], capture_output=True, text=True)
    assert result.returncode == 0 and "ok" in result.stdout
