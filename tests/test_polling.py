"""Budget polling in the service (regwatch/polling.py): trigger, backoff listener, check job."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

from apscheduler.events import EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler

from crawler.budget import TZ, next_check, record_outcome
from regwatch import polling

TUESDAY_10 = datetime(2025, 11, 4, 10, 0, tzinfo=TZ)


def noop() -> None:
    pass


def test_the_trigger_follows_the_policy_and_survives_the_job_store():
    trigger = polling.BudgetTrigger("mofcom", 300)
    policy = polling.policy_of("mofcom", {"budget_per_day": 300})
    assert trigger.get_next_fire_time(None, TUESDAY_10) == TUESDAY_10   # first run: now
    fired, times = TUESDAY_10, []
    for _ in range(400):                       # through the evening, the night and Wednesday
        following = trigger.get_next_fire_time(fired, fired)
        assert following == next_check(policy, fired, None)
        times.append(following)
        fired = following
    gaps = [(b - a).total_seconds() / 60 for a, b in zip(times, times[1:], strict=False)]
    office = [g for t, g in zip(times, gaps, strict=False) if 9 <= t.hour < 11]
    night = [g for t, g in zip(times, gaps, strict=False) if 1 <= t.hour < 5]
    assert max(office) < 5 < 15 < min(night)
    restored = pickle.loads(pickle.dumps(trigger))
    assert str(restored) == str(trigger) == "budget[mofcom, 300/day, beijing_office]"
    assert restored.get_next_fire_time(TUESDAY_10, TUESDAY_10) == times[0]


def test_a_failed_check_pushes_the_next_run_out_by_the_backoff(monkeypatch):
    scheduler = BackgroundScheduler(timezone="Asia/Shanghai")
    scheduler.start(paused=True)
    try:
        trigger = polling.BudgetTrigger("gacc", 300)
        job = scheduler.add_job(noop, trigger, id="check:gacc", next_run_time=TUESDAY_10)
        listen = polling.backoff_listener(scheduler)
        scheduler.add_listener(listen, listen.mask)
        fake_now = TUESDAY_10 + timedelta(seconds=5)
        monkeypatch.setattr(polling, "now", lambda: fake_now)
        outcome = None
        for errors in range(1, 5):
            outcome = record_outcome(outcome, "error")
            listen(JobExecutionEvent(EVENT_JOB_EXECUTED, job.id, "default", TUESDAY_10,
                                     retval=outcome))
            expected = next_check(trigger.policy, fake_now, outcome)
            assert scheduler.get_job(job.id).next_run_time == expected
            assert outcome["consecutive_errors"] == errors
        assert expected - fake_now == timedelta(minutes=30)           # the cap
        # a success leaves the trigger's own schedule alone
        scheduler.modify_job(job.id, next_run_time=TUESDAY_10 + timedelta(minutes=4))
        listen(JobExecutionEvent(EVENT_JOB_EXECUTED, job.id, "default", TUESDAY_10,
                                 retval=record_outcome(outcome, "not_modified")))
        assert scheduler.get_job(job.id).next_run_time == TUESDAY_10 + timedelta(minutes=4)
    finally:
        scheduler.shutdown(wait=False)


def test_the_service_clock_is_aware_utc():
    assert polling.now().tzinfo is UTC


def _config(tmp_path, body: str):
    from core.settings import load
    from crawler.sources import load_sources

    path = tmp_path / "regwatch.toml"
    path.write_text('[catalogue]\npath = "x.db"\n' + body, encoding="utf-8")
    return load(path, known_sources=set(load_sources()))


def test_the_service_schedules_budget_checks_that_follow_the_policy(tmp_path, db_path):
    from regwatch.service import build_scheduler

    config = _config(tmp_path, '[sources.gacc]\npolling = "budget"\nbudget_per_day = 200\n')
    scheduler = build_scheduler(config, db_path)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert "check:gacc" in jobs and "crawl:gacc" not in jobs
        assert "crawl:mofcom" in jobs and "check:mofcom" not in jobs      # interval, as declared
        assert str(jobs["check:gacc"].trigger) == "budget[gacc, 200/day, beijing_office]"
        assert jobs["check:gacc"].func is polling.check_job
    finally:
        scheduler.shutdown(wait=False)
    # a restart reads the job back from the catalogue's job store and keeps its trigger
    scheduler = build_scheduler(config, db_path)
    try:
        stored = scheduler.get_job("check:gacc")
        policy = polling.policy_of("gacc", {"budget_per_day": 200})
        fired, per_day = TUESDAY_10, 0
        while fired < TUESDAY_10 + timedelta(days=1):   # the service's fake day, as APScheduler
            following = stored.trigger.get_next_fire_time(fired, fired)  # asks after each run
            assert following == next_check(policy, fired, None)
            fired, per_day = following, per_day + 1
        assert per_day <= 200 - policy["reserve_per_day"] + 1
    finally:
        scheduler.shutdown(wait=False)
    # the config file's polling switch is checked like every other key
    from core.settings import ConfigError

    try:
        _config(tmp_path, '[sources.gacc]\npolling = "often"\n')
    except ConfigError as error:
        assert "must be 'interval' or 'budget'" in str(error)
    else:
        raise AssertionError("a bad polling value was accepted")


def test_all_sources_on_budget_and_every_still_wins(tmp_path, db_path):
    from regwatch.service import build_scheduler

    config = _config(tmp_path, "")
    scheduler = build_scheduler(config, db_path, polling_mode="budget")
    try:
        ids = {job.id for job in scheduler.get_jobs()}
        assert {"check:mofcom", "check:gacc", "check:mofcom_en"} <= ids
        assert str(scheduler.get_job("check:mofcom_en").trigger) == \
            "budget[mofcom_en, 150/day, beijing_office]"               # sources.yaml's budget
    finally:
        scheduler.shutdown(wait=False)
    scheduler = build_scheduler(config, db_path, polling_mode="budget", every=5)
    try:
        assert not [job for job in scheduler.get_jobs() if job.id.startswith("check:")]
    finally:
        scheduler.shutdown(wait=False)


def test_the_check_job_crawls_only_on_a_new_link_or_the_daily_sweep(make_mirror, db_path,
                                                                    monkeypatch):
    import sqlite3

    server = make_mirror(day=1)
    clock = {"now": TUESDAY_10}
    monkeypatch.setattr(polling, "now", lambda: clock["now"])

    def runs() -> int:
        with sqlite3.connect(db_path) as conn:
            return conn.execute("select count(*) from crawl_runs where source = 'mofcom'"
                                ).fetchone()[0]

    first = polling.check_job("mofcom", db_path, server.url, 120.0)
    assert (first["status"], first["crawled"]) == ("changed", True) and runs() == 1
    clock["now"] += timedelta(minutes=4)
    quiet = polling.check_job("mofcom", db_path, server.url, 120.0)
    assert (quiet["status"], quiet["crawled"]) == ("not_modified", False) and runs() == 1
    server.mirror.set_day(2)
    clock["now"] += timedelta(minutes=4)
    new = polling.check_job("mofcom", db_path, server.url, 120.0)
    assert (new["status"], new["crawled"]) == ("changed", True) and runs() == 2
    clock["now"] += timedelta(hours=25)                                  # the daily sweep
    sweep = polling.check_job("mofcom", db_path, server.url, 120.0)
    assert (sweep["status"], sweep["crawled"]) == ("not_modified", True) and runs() == 3
    down = polling.check_job("mofcom", db_path, "http://127.0.0.1:9", 5.0)
    assert (down["status"], down["consecutive_errors"], down["crawled"]) == ("error", 1, False)
    from store import catalogue

    db = catalogue.open_db(db_path)
    try:
        state = polling.read_state(db, "mofcom")
    finally:
        db.close()
    assert state["outcome"]["consecutive_errors"] == 1 and state["page"]["links"]


def test_regwatch_run_polls_a_budget_source_in_a_real_process(make_mirror, db_path, tmp_path):
    """The service as run: the check job is stored, run from the job store, crawls day 1."""
    import json
    import signal
    import sqlite3
    import subprocess
    import sys
    import time
    from pathlib import Path

    server = make_mirror(day=1)
    config = tmp_path / "regwatch.toml"
    config.write_text('[catalogue]\npath = "unused.db"\n[sources.mofcom]\npolling = "budget"\n'
                      "[sources.gacc]\nenabled = false\n[sources.mofcom_en]\nenabled = false\n"
                      "[sources.mofcom_xkzj]\nenabled = false\n"
                      "[sources.mofcom_spokesperson]\nenabled = false\n",
                      encoding="utf-8")
    regwatch = str(Path(sys.executable).with_name("regwatch"))
    proc = subprocess.Popen([regwatch, "run", "--db", db_path, "--mirror", server.url,
                             "--config", str(config)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)

    def query(sql: str) -> list[tuple]:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30) as conn:
            return conn.execute(sql).fetchall()

    try:
        deadline, state = time.monotonic() + 90, None
        while time.monotonic() < deadline:
            try:
                row = query("select value from meta where key = 'list_check:mofcom'")
                runs = query("select status from crawl_runs where source = 'mofcom'")
                if row and runs and runs[-1][0] not in ("running",):
                    state = json.loads(row[0][0])
                    break
            except sqlite3.OperationalError:
                pass
            time.sleep(0.5)
        assert state is not None, "the check job never ran and crawled"
        assert state["outcome"]["status"] == "changed" and state["last_crawl_at"]
        assert query("select count(*) from documents")[0][0] > 0
        jobs = dict(query("select id, next_run_time from apscheduler_jobs"))
        assert "check:mofcom" in jobs and not any(j.startswith("crawl:") for j in jobs)
        checked = datetime.fromisoformat(state["checked_at"])
        gap = jobs["check:mofcom"] - checked.timestamp()
        assert 60 <= gap <= 45 * 60      # the next check: a profile gap, not the hourly crawl
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)


def test_a_challenged_check_crawls_on_the_declared_interval_only(db_path, monkeypatch):
    """The customs site answers a plain request with a 412 challenge: the check cannot tell
    whether the list changed, so it crawls (browser and all) once per interval, not per check."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from regwatch import service
    from store import catalogue

    class Challenge(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the stdlib's name)
            self.send_response(412)
            self.end_headers()

        def log_message(self, *args):
            pass

    site = ThreadingHTTPServer(("127.0.0.1", 0), Challenge)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    crawls: list[dict] = []
    monkeypatch.setattr(service, "crawl_job", lambda *args, **kw: crawls.append(kw))
    clock = {"now": TUESDAY_10}
    monkeypatch.setattr(polling, "now", lambda: clock["now"])
    url = f"http://127.0.0.1:{site.server_port}"
    try:
        first = polling.check_job("gacc", db_path, url, 10.0)          # never crawled: crawl
        assert first["crawled"] and crawls == [{"overrides": {"REGWATCH_REVISIT_MAX": 0}}]
        for minutes in (4, 30, 59):
            clock["now"] = TUESDAY_10 + timedelta(minutes=minutes)
            assert not polling.check_job("gacc", db_path, url, 10.0)["crawled"]
        clock["now"] = TUESDAY_10 + timedelta(minutes=61)              # gacc: interval 60 min
        assert polling.check_job("gacc", db_path, url, 10.0)["crawled"] and len(crawls) == 2
    finally:
        site.shutdown()
    db = catalogue.open_db(db_path)
    try:
        assert polling.read_state(db, "gacc")["reason"] == "challenge"
    finally:
        db.close()
