"""Budget polling in the service: a cheap check per source, timed by crawler.budget.

A source whose schedule says ``polling: budget`` gets a ``check:<source>`` job instead of
the interval crawl. Its trigger (:class:`BudgetTrigger`) asks ``next_check`` for the next
run on the source's profile; the job makes one conditional request of the first list
page (crawler.check) and starts a crawl only when a new announcement link appears, or
when the last crawl is a day old (the sweep that re-visits known pages). After a failed
check, a job listener moves the next run out by the policy's backoff: APScheduler asks
the trigger for the next time before the job has run, so the outcome can only act then.

The state between checks (validators, links on the page, the error streak, the last
crawl) is one JSON row in the catalogue's ``meta`` table, ``list_check:<source>``.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.triggers.base import BaseTrigger

from core import clock
from crawler.budget import make_policy, next_check, record_outcome
from crawler.check import check_list
from crawler.sources import get_source
from store import catalogue

log = logging.getLogger("regwatch.polling")

STATE_KEY = "list_check:{source}"
SWEEP_EVERY = timedelta(days=1)
# Re-visits of known pages per crawl: none when a check found a new link (the budget's
# reserve pays for the new pages), a few in the daily sweep.
REVISITS_ON_CHANGE = 0
REVISITS_IN_SWEEP = 20


def now() -> datetime:
    """The scheduler's time: the real clock, never frozen (tests replace this function)."""
    return clock.wall()


def policy_of(source: str, spec: dict[str, Any]) -> dict[str, Any]:
    """The budget policy of ``source`` from its merged schedule spec (sources.yaml + config)."""
    options = {k: spec[k] for k in ("budget_per_day", "profile") if k in spec}
    return make_policy(source, **options)


def trigger_for(source: str, spec: dict[str, Any]) -> BudgetTrigger:
    """The trigger of ``source``'s check job from its merged schedule spec."""
    policy = policy_of(source, spec)
    return BudgetTrigger(source, policy["budget_per_day"], policy["profile"])


class BudgetTrigger(BaseTrigger):
    """Fire when the source's budget profile says the next check is due."""

    __slots__ = ("source", "budget_per_day", "profile", "_policy")

    def __init__(self, source: str, budget_per_day: float, profile: str = "beijing_office") -> None:
        self.source, self.budget_per_day, self.profile = source, float(budget_per_day), profile
        self._policy: dict[str, Any] | None = None

    @property
    def policy(self) -> dict[str, Any]:
        if self._policy is None:
            self._policy = make_policy(self.source, budget_per_day=self.budget_per_day,
                                       profile=self.profile)
        return self._policy

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime:
        if previous_fire_time is None:
            return now
        return next_check(self.policy, previous_fire_time, None)

    def __getstate__(self) -> dict[str, Any]:
        return {"version": 1, "source": self.source, "budget_per_day": self.budget_per_day,
                "profile": self.profile}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.source, self.budget_per_day = state["source"], state["budget_per_day"]
        self.profile, self._policy = state["profile"], None

    def __str__(self) -> str:
        return f"budget[{self.source}, {self.budget_per_day:g}/day, {self.profile}]"

    def __repr__(self) -> str:
        return f"<BudgetTrigger ({self})>"


def challenge_every(source: str) -> timedelta:
    """How often a source whose check meets a JavaScript challenge is crawled anyway: its
    declared interval. The check cannot see behind the challenge; the crawl can."""
    schedule = get_source(source).get("schedule") or {}
    return timedelta(minutes=float(schedule.get("interval_minutes", 60)))


def read_state(db, source: str) -> dict[str, Any]:
    key = STATE_KEY.format(source=source)
    row = db.execute("select value from meta where key = ?", [key]).fetchone()
    return json.loads(row[0]) if row else {}


def write_state(db, source: str, state: dict[str, Any]) -> None:
    db["meta"].upsert({"key": STATE_KEY.format(source=source),
                       "value": json.dumps(state, ensure_ascii=False)}, pk="key")


def check_job(source: str, db_path: str, mirror: str | None, timeout: float,
              config_path: str | None = None) -> dict[str, Any]:
    """Check ``source`` once; crawl if it changed or the daily sweep is due. Returns the
    outcome (``record_outcome`` shape) for the backoff listener."""
    from crawler.settings import USER_AGENT
    from regwatch.service import STOPPING, crawl_job

    if STOPPING.is_set():
        return {}
    db = catalogue.open_db(db_path)
    try:
        saved = read_state(db, source)
    finally:
        db.close()
    checked_at = now()
    found, page_state = check_list(get_source(source), saved.get("page"), mirror,
                                   timeout=min(timeout, 30.0), user_agent=USER_AGENT)
    outcome = record_outcome(saved.get("outcome"), found["status"],
                             found.get("retry_after_seconds"))
    last_crawl = saved.get("last_crawl_at")
    since = checked_at - datetime.fromisoformat(last_crawl) if last_crawl else None
    crawl = found["status"] == "changed" or (
        found["status"] != "error" and (since is None or since >= SWEEP_EVERY))
    if found.get("reason") == "challenge" and since is not None and since < challenge_every(source):
        crawl = False  # a challenge hides the list: crawl (browser and all) on the interval only
    state = {"page": page_state, "outcome": outcome, "checked_at": checked_at.isoformat(),
             "http_status": found.get("http_status"), "reason": found.get("reason"),
             "new_links": found["new_links"], "last_crawl_at": last_crawl}
    if crawl:
        state["last_crawl_at"] = checked_at.isoformat()
    db = catalogue.open_db(db_path)
    try:
        write_state(db, source, state)
    finally:
        db.close()
    log.info("list checked", extra={"fields": {
        "source": source, "status": found["status"], "http_status": found.get("http_status"),
        "new_links": len(found["new_links"]), "crawl": crawl}})
    if crawl:
        revisits = REVISITS_ON_CHANGE if found["status"] == "changed" else REVISITS_IN_SWEEP
        crawl_job(source, db_path, mirror, timeout, config_path,
                  overrides={"REGWATCH_REVISIT_MAX": revisits})
    return {**outcome, "crawled": crawl}


def backoff_listener(scheduler) -> Any:
    """A listener that, after a failed check, moves that job's next run out by the backoff."""

    def listen(event: JobExecutionEvent) -> None:
        if not event.job_id.startswith("check:") or not isinstance(event.retval, dict):
            return
        if event.retval.get("status") != "error":
            return
        job = scheduler.get_job(event.job_id)
        if job is None or not isinstance(job.trigger, BudgetTrigger):
            return
        later = next_check(job.trigger.policy, now(), event.retval)
        if job.next_run_time is None or later > job.next_run_time:
            scheduler.modify_job(event.job_id, next_run_time=later)
            log.info("check failed: backing off", extra={"fields": {
                "job": event.job_id, "errors": event.retval.get("consecutive_errors"),
                "next_run": later.isoformat()}})

    listen.mask = EVENT_JOB_EXECUTED  # type: ignore[attr-defined]
    return listen
