"""Source health: is a site still telling us what it publishes?

A state machine per source, advanced by each finished crawl run (read from
``crawl_runs`` and ``source_errors``) and by the clock:

- **unhealthy** when a run meets an anti-bot page, when a list page that used to
  yield announcements yields none (``empty-list``), after ``HEALTH_FAILED_RUNS``
  consecutive failed runs, or when no run has succeeded for ``HEALTH_STALE_HOURS``;
- **recovered** at the first clean run after that.

Only transitions make events, so a site that stays broken is reported once, and a
re-crawl of a healthy site says nothing. What a failed run is comes from store/health.py,
the definition `regwatch status` uses too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from alerts import kinds
from alerts.settings import Settings, iso, parse_iso
from store.health import run_failed

ANTI_BOT = "anti-bot"
EMPTY_LIST = "empty-list"
TOO_FEW = "too-few-entries"  # fewer list entries than sources.yaml's expect (crawler/expect.py)


@dataclass
class Transition:
    kind: str
    source: str
    reason: str
    detail: dict[str, Any] = field(default_factory=dict)
    run_id: int | None = None


def load_state(db: Database, source: str) -> dict[str, Any]:
    row = db.execute("select state, since, reason, consecutive_failures, last_ok_run_id, "
                     "last_ok_at, last_run_id from source_health where source = ?",
                     [source]).fetchone()
    if row is None:
        return {"source": source, "state": "healthy", "since": None, "reason": None,
                "consecutive_failures": 0, "last_ok_run_id": None, "last_ok_at": None,
                "last_run_id": None}
    keys = ("state", "since", "reason", "consecutive_failures", "last_ok_run_id", "last_ok_at",
            "last_run_id")
    return {"source": source, **dict(zip(keys, row, strict=True))}


def save_state(db: Database, state: dict[str, Any]) -> None:
    db["source_health"].upsert(state, pk="source")


def evaluate_run(db: Database, run: dict[str, Any], state: dict[str, Any],
                 settings: Settings) -> tuple[dict[str, Any], Transition | None]:
    """Advance ``state`` by one finished run; return the new state and any transition."""
    errors = [dict(r) for r in db.query(
        "select reason, url, http_status, detail from source_errors where crawl_run_id = ?",
        [run["id"]])]
    reasons = {e["reason"] for e in errors}
    had_documents = db.execute(
        "select count(*) from documents where source = ? and first_seen < ?",
        [run["source"], run.get("started_at") or "9999"]).fetchone()[0] > 0
    failed = run_failed(run)
    state = dict(state, last_run_id=run["id"])
    state["consecutive_failures"] = state["consecutive_failures"] + 1 if failed else 0
    stamp = run.get("finished_at") or run.get("started_at")
    if not failed:
        state["last_ok_run_id"], state["last_ok_at"] = run["id"], stamp

    problem = None
    if ANTI_BOT in reasons:
        problem = ANTI_BOT
    elif EMPTY_LIST in reasons and had_documents:
        problem = EMPTY_LIST
    elif TOO_FEW in reasons and had_documents:
        problem = TOO_FEW
    elif state["consecutive_failures"] >= settings.health_failed_runs:
        problem = "failed-runs"
    detail = {"run_id": run["id"], "run_status": run.get("status"),
              "consecutive_failures": state["consecutive_failures"],
              "errors": [{k: e[k] for k in ("reason", "url", "http_status")} for e in errors[:5]]}

    if problem and state["state"] != "unhealthy":
        state.update(state="unhealthy", since=stamp, reason=problem)
        return state, Transition(kinds.SOURCE_UNHEALTHY, run["source"], problem, detail, run["id"])
    if not problem and not failed and not reasons & {ANTI_BOT, EMPTY_LIST, TOO_FEW} \
            and state["state"] == "unhealthy":
        previous = state["reason"]
        detail["was"] = previous
        detail["unhealthy_since"] = state["since"]
        state.update(state="healthy", since=stamp, reason=None)
        return state, Transition(kinds.SOURCE_RECOVERED, run["source"], previous or "", detail,
                                 run["id"])
    return state, None


def evaluate_staleness(state: dict[str, Any], at: datetime, settings: Settings,
                       first_run_at: str | None) -> tuple[dict[str, Any], Transition | None]:
    """A source with no successful crawl for ``health_stale_hours`` is unhealthy."""
    if state["state"] == "unhealthy":
        return state, None
    reference = state.get("last_ok_at") or first_run_at
    if not reference:
        return state, None
    if at - parse_iso(reference) < timedelta(hours=settings.health_stale_hours):
        return state, None
    state = dict(state, state="unhealthy", since=iso(at), reason="stale")
    detail = {"last_ok_at": state.get("last_ok_at"), "hours": settings.health_stale_hours}
    return state, Transition(kinds.SOURCE_UNHEALTHY, state["source"], "stale", detail,
                             state.get("last_ok_run_id"))
