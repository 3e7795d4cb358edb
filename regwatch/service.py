"""``regwatch run``: the scheduled service that keeps the catalogue current.

APScheduler (3.x) with its SQLAlchemy job store in the catalogue file, so schedules
survive restarts and a run missed while the service was down is performed once
(coalesced) when it comes back. Each crawl runs in a child process (crawler.run.crawl):
a hung spider is killed at its timeout without stopping the scheduler or other sources.
Job functions are module-level and referenced by text, as the job store requires.
A source whose schedule says ``polling: budget`` is polled instead: a cheap list check
timed by its request budget, crawling only on a new link (regwatch/polling.py).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any

from apscheduler.events import EVENT_JOB_EXECUTED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from core.settings import Config
from crawler import run as crawler_run
from crawler.sources import load_sources
from regwatch import polling
from store import catalogue

log = logging.getLogger("regwatch.service")

# Extraction, timeline and events of one crawl at a time: they share the catalogue.
PROCESSING = threading.Lock()
STOPPING = threading.Event()
HEARTBEAT_KEY = "service_heartbeat"


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line on stderr, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                 "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage()}
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel("WARNING")


# -- jobs (module-level: the job store keeps them by reference) -------------------------

def crawl_job(source: str, db_path: str, mirror: str | None, timeout: float,
              config_path: str | None = None,
              overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Crawl one source, then extract, update the timeline and record events."""
    if STOPPING.is_set():
        return {}
    started = time.monotonic()
    runs = crawler_run.crawl([source], db_path, mirror=mirror, timeout=timeout,
                             overrides=overrides)
    summary: dict[str, Any] = {"runs": runs}
    if not STOPPING.is_set():
        from regwatch.jobs import process_new

        with PROCESSING:
            summary.update(process_new(db_path, runs, config_path))
    run = runs[0] if runs else {}
    log.info("crawl finished", extra={"fields": {
        "source": source, "status": run.get("status"), "fetched": run.get("fetched"),
        "new_versions": run.get("new_versions"), "errors": run.get("errors"),
        "seconds": round(time.monotonic() - started, 2)}})
    return summary


def send_alerts_job(db_path: str, config_path: str | None = None) -> None:
    if STOPPING.is_set():
        return
    from regwatch.jobs import send_alerts

    with PROCESSING:
        result = send_alerts(db_path, config_path)
    if result:
        log.info("alerts sent", extra={"fields": result})


def heartbeat_job(db_path: str) -> None:
    db = catalogue.open_db(db_path)
    try:
        write_heartbeat(db, os.getpid())
    finally:
        db.close()


def write_heartbeat(db, pid: int) -> None:
    jobs = {row[0]: row[1] for row in db.execute(
        "select id, next_run_time from apscheduler_jobs").fetchall()} if "apscheduler_jobs" in db.table_names() else {}
    db["meta"].upsert({"key": HEARTBEAT_KEY, "value": json.dumps(
        {"at": catalogue.now(), "pid": pid, "next_runs": jobs})}, pk="key")


# -- the scheduler -----------------------------------------------------------------------

def source_trigger(spec: dict[str, Any], every: float | None, timezone: str):
    jitter = spec.get("jitter_seconds")
    if every:
        return IntervalTrigger(seconds=every)
    if spec.get("cron"):
        return CronTrigger.from_crontab(spec["cron"], timezone=timezone)
    return IntervalTrigger(minutes=spec.get("interval_minutes", 60), jitter=jitter, timezone=timezone)


def build_scheduler(config: Config, db_path: str, mirror: str | None = None,
                    every: float | None = None, polling_mode: str | None = None
                    ) -> BackgroundScheduler:
    """A scheduler with one crawl job per source, alert delivery and the heartbeat.

    A source polled on its budget (``polling: budget`` in its schedule, or
    ``polling_mode="budget"`` for all) gets a ``check:<source>`` job instead of its crawl
    job; ``every`` overrides both. Jobs already in the store with the same trigger are
    kept as they are, so a run that fell due while the service was down still runs
    (once) when it starts.
    """
    catalogue.open_db(db_path).close()  # create/migrate before the job store touches the file
    jobstore = SQLAlchemyJobStore(url=f"sqlite:///{db_path}",
                                  engine_options={"connect_args": {"timeout": 30}})
    scheduler = BackgroundScheduler(
        jobstores={"default": jobstore},
        executors={"default": ThreadPoolExecutor(max_workers=4)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone=config.get("alerts", "timezone", "Asia/Shanghai"),
    )
    scheduler.start(paused=True)
    timezone = config.get("alerts", "timezone", "Asia/Shanghai")
    timeout = float(config.get("service", "crawl_timeout_seconds", 1800))
    wanted: dict[str, tuple[Any, tuple, Any]] = {}
    for source, spec in config.sources(load_sources()).items():
        args = (source, db_path, mirror, float(spec.get("timeout_seconds", timeout)), config.path)
        if (polling_mode or spec.get("polling")) == "budget" and not every:
            wanted[f"check:{source}"] = (polling.check_job, args,
                                         polling.trigger_for(source, spec))
        else:
            wanted[f"crawl:{source}"] = (crawl_job, args, source_trigger(spec, every, timezone))
    send_every = float(every or config.get("service", "send_alerts_every_seconds", 60))
    wanted["send-alerts"] = (send_alerts_job, (db_path, config.path),
                             IntervalTrigger(seconds=send_every))
    beat = float(min(every or 1e9, config.get("service", "heartbeat_seconds", 30)))
    wanted["heartbeat"] = (heartbeat_job, (db_path,), IntervalTrigger(seconds=beat))
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            job.remove()
    for job_id, (func, args, trigger) in wanted.items():
        existing = scheduler.get_job(job_id)
        if existing and str(existing.trigger) == str(trigger) and tuple(existing.args) == args:
            continue  # keep its stored next run time: a missed run still runs
        scheduler.add_job(func, trigger, args=args, id=job_id, name=job_id, replace_existing=True,
                          next_run_time=datetime.now(UTC))
    scheduler.add_listener(polling.backoff_listener(scheduler), EVENT_JOB_EXECUTED)
    return scheduler


def run_service(config: Config, db_path: str, mirror: str | None = None,
                every: float | None = None) -> None:
    """Run until SIGTERM or SIGINT; then stop crawls cleanly and exit."""
    db = catalogue.open_db(db_path)
    closed = catalogue.mark_interrupted_runs(db)
    write_heartbeat(db, os.getpid())
    db.close()
    if closed:
        log.warning("closed crawl runs left running by a previous process",
                    extra={"fields": {"runs": closed}})
    scheduler = build_scheduler(config, db_path, mirror, every)

    def stop(signum: int, _frame: Any) -> None:
        log.info("stopping", extra={"fields": {"signal": signal.Signals(signum).name}})
        STOPPING.set()
        crawler_run.stop_all()
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("service started", extra={"fields": {
        "db": db_path, "mirror": mirror, "sources": sorted(config.sources(load_sources())), "every": every}})
    scheduler.resume()
    while scheduler.running:
        time.sleep(0.2)
    # Job threads finish within crawler_run.STOP_GRACE: their crawls were told to stop.
    log.info("service stopped")
