"""Portfolio alerts (#17 item 4): a portfolio is a subscription.

A subscription made with ``regwatch subscribe --portfolio N`` hears about its products'
verdicts, as ``regwatch portfolio status`` says them (``portfolio.status``, no matcher of
its own):

- ``portfolio_changed``: one event when a run finds that any product's verdict today
  differs from the verdict last seen, naming each product and its before → after (the
  announcements behind both). The verdicts last seen are kept per portfolio in
  ``alert_state`` (key ``portfolio:NAME``); the first look at a portfolio only records
  them (baseline), and so does a look whose only news is a source's first load.
- ``portfolio_upcoming``: a reminder N days before a date ahead that changes a verdict
  (``portfolio.changes.upcoming``: a suspension ending, a clause taking effect), one
  event per (portfolio, date, reminder slot), each subscription getting the one slot of
  its ``reminder_days`` that the days left fall in (as for ``effective_soon``).

A portfolio is looked at again only when something its verdicts depend on moved: the
day, the derived timeline, the portfolio's lanes or the reminder windows; a re-crawl that
brings nothing new costs one read of ``alert_state``. Only subscriptions naming the
portfolio get its events; a lane whose own row was edited by a re-import is compared
from its new content on (its user changed it, not the regulator).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import date, datetime
from typing import Any

from sqlite_utils import Database

from alerts import kinds
from alerts.events import Event, _write, is_baseline
from alerts.matching import Facts, SubscriptionIndex, reminder_slot
from alerts.settings import Settings
from core import clock
from portfolio.lanes import LANE_FIELDS, lane_key
from store.catalogue import transaction as write_transaction

STATE_PREFIX = "portfolio:"
# verdict words in Chinese, for messages in zh (the verdict vocabulary of portfolio/status.py)
VERDICTS_ZH = {"prohibited": "禁止出口", "denied in principle": "原则上不予许可",
               "stricter review": "从严审查", "licence required": "需申请许可",
               "not found in the catalogue": "目录中未找到", "control suspended": "管制暂停实施"}


def watched(subs: dict[int, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Portfolio name → the active subscriptions that watch it."""
    out: dict[str, list[dict[str, Any]]] = {}
    for sub in subs.values():
        if sub.get("portfolio"):
            out.setdefault(sub["portfolio"], []).append(sub)
    return out


def check(db: Database, name: str) -> None:
    """:raises InvalidSubscription: when there is no portfolio ``name`` to watch"""
    from alerts.errors import InvalidSubscription
    from portfolio.records import PortfolioNotFound, rows

    try:
        rows(db, name)
    except PortfolioNotFound as exc:
        raise InvalidSubscription(f"{exc}; import it first: regwatch portfolio import FILE "
                                  f"--name {name}") from exc


class _Watchers:
    """The subscriptions of one portfolio, with the ``match``/``token`` the event writer
    asks of an index: kinds, baseline and the reminder slot must hold."""

    def __init__(self, name: str, subs: list[dict[str, Any]], index: SubscriptionIndex) -> None:
        self.name, self.subs = name, subs
        self.token = index.token
        self.alert_on_baseline = index.alert_on_baseline

    def match(self, facts: Facts) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        out = []
        for sub in sorted(self.subs, key=lambda s: s["id"]):
            if facts.kind not in (sub.get("event_kinds") or kinds.PORTFOLIO_KINDS):
                continue
            if facts.baseline and not (sub.get("include_baseline") or self.alert_on_baseline):
                continue
            if facts.days_left is not None and \
                    reminder_slot(sub, facts.days_left) != facts.reminder_slot:
                continue
            out.append((sub, {"portfolio": [self.name], "products": facts.items}))
        return out


def _load(db: Database, name: str) -> dict[str, Any] | None:
    row = db.execute("select value from alert_state where key = ?",
                     [STATE_PREFIX + name]).fetchone()
    return json.loads(row[0]) if row else None


def _save(db: Database, name: str, state: dict[str, Any]) -> None:
    db.execute("insert or replace into alert_state (key, value) values (?, ?)",
               [STATE_PREFIX + name, json.dumps(state, ensure_ascii=False, sort_keys=True)])


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, sort_keys=True,
                                     default=str).encode()).hexdigest()[:16]


def _stamp(db: Database, name: str, day: str, slots: list[int]) -> dict[str, Any]:
    """What the verdicts depend on: the day, the derived timeline, the lanes, the windows."""
    timeline = db.execute("select value from meta where key = 'timeline_watermark'").fetchone()
    derivation = db.execute("select max(id) from derivations").fetchone() \
        if "derivations" in db.table_names() else None
    imported = db.execute("select max(i.id) from portfolio_imports i join portfolios p "
                          "on p.id = i.portfolio_id where p.name = ?", [name]).fetchone()
    return {"day": day, "timeline": timeline[0] if timeline else None,
            "derivation": derivation[0] if derivation else None,
            "import": imported[0] if imported else None, "slots": slots}


def _lane_key(row: dict[str, Any]) -> str:
    """A lane's key among the kept verdicts (``portfolio.lanes``): sku and
    destination alone for a lane with no counterparty or end use, as verdicts were kept
    before a lane had them."""
    return "\x1f".join(lane_key(row)).rstrip("\x1f")


def _product(lane: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    return {**{name: row.get(name) for name in LANE_FIELDS},
            "description": lane.get("description"), "hs_code": lane.get("hs_code")}


def _label(change: dict[str, Any]) -> str:
    counterparty = f" for {change['counterparty']}" if change.get("counterparty") else ""
    return f"{change['sku']} ({change['destination']}{counterparty})"


def verdict_changes(state: dict[str, Any] | None, lanes: list[dict[str, Any]],
                    rows: list[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the verdicts to keep, the products whose verdict differs from ``state``'s).

    A lane new to the portfolio, or whose row was edited, has nothing to compare with.
    """
    seen = (state or {}).get("lanes") or {}
    keep: dict[str, Any] = {}
    changes = []
    for lane, row in zip(lanes, rows, strict=True):
        key = _lane_key(row)
        content = _digest(lane)
        keep[key] = {"content": content, "verdict": row["verdict"],
                     "announcements": row["announcements"]}
        # a lane with a counterparty was kept under its sku and destination before
        # (its content tells it from another lane of the same ones)
        old = seen.get(key) or seen.get(f"{row['sku']}\x1f{row['destination']}")
        if old is None or old["content"] != content or old["verdict"] == row["verdict"]:
            continue
        changes.append({**_product(lane, row), "before": old["verdict"], "after": row["verdict"],
                        "announcements_before": old["announcements"],
                        "announcements_after": row["announcements"], "why": row["why"]})
    return keep, changes


def _news_is_baseline(db: Database, state: dict[str, Any] | None, day: str) -> bool:
    """Whether what changed since ``state`` is only a first look or a source's first load:
    no earlier verdicts, or the same day and every page version added since from a
    first load (a regulator's new notice or a day passing is news)."""
    if state is None:
        return True
    if state.get("stamp", {}).get("day") != day:
        return False
    rows = db.execute("select v.crawl_run_id, d.source from versions v join documents d "
                      "on d.id = v.document_id where v.id > ?",
                      [state.get("version") or 0]).fetchall()
    return bool(rows) and all(is_baseline(db, source, run) for run, source in rows)


def _changed_event(name: str, day: str, changes: list[dict[str, Any]],
                   baseline: bool) -> Event:
    products = [_label(c) for c in changes]
    payload = {"portfolio": name, "date": day, "products": len(changes), "changes": changes,
               "number": None, "title": f"portfolio {name}: {len(changes)} product verdict(s) "
                                        f"changed on {day}"}
    facts = Facts(kind=kinds.PORTFOLIO_CHANGED, baseline=baseline, items=products)
    key = f"{kinds.PORTFOLIO_CHANGED}:{name}:{day}:{_digest(changes)}"
    return Event(kinds.PORTFOLIO_CHANGED, key, facts, payload, baseline=baseline,
                 title=payload["title"])


def _reminder_events(name: str, day: str, slots: list[int],
                     dates: list[dict[str, Any]], lanes: dict[str, dict[str, Any]]) -> list[Event]:
    """One event per date ahead and per reminder slot that the days left fall in."""
    by_date: dict[str, list[dict[str, Any]]] = {}
    for change in dates:
        lane = lanes.get(_lane_key(change), {})
        by_date.setdefault(change["date"], []).append({
            **_product(lane, change), "before": change["before"], "after": change["after"],
            "announcements_after": change["announcements_after"],
            "events": change.get("events") or []})
    out = []
    for when, changes in sorted(by_date.items()):
        days_left = (date.fromisoformat(when) - date.fromisoformat(day)).days
        for slot in slots:
            if slot < days_left:
                continue
            products = [_label(c) for c in changes]
            facts = Facts(kind=kinds.PORTFOLIO_UPCOMING, items=products, days_left=days_left,
                          reminder_slot=slot)
            payload = {"portfolio": name, "date": when, "products": len(changes),
                       "changes": changes, "number": None,
                       "reminder": {"date": when, "days_left": days_left, "days_before": slot},
                       "title": f"portfolio {name}: {len(changes)} product verdict(s) change "
                                f"on {when}"}
            out.append(Event(kinds.PORTFOLIO_UPCOMING,
                             f"{kinds.PORTFOLIO_UPCOMING}:{name}:{when}:{slot}", facts, payload,
                             title=payload["title"]))
    return out


def record(db: Database, index: SubscriptionIndex, at: datetime, settings: Settings,
           report: Counter[str]) -> None:
    """Look at every watched portfolio whose inputs moved; write its events and alerts."""
    portfolios = watched(index.subs)
    if not portfolios or "portfolio_rows" not in db.table_names():
        return
    from portfolio.changes import upcoming
    from portfolio.records import PortfolioNotFound, rows
    from portfolio.status import portfolio_status

    day = at.astimezone(clock.ZONE).date().isoformat()
    for name, subs in sorted(portfolios.items()):
        slots = sorted({d for s in subs for d in s.get("reminder_days") or []
                        if kinds.PORTFOLIO_UPCOMING in (s.get("event_kinds") or ())})
        state = _load(db, name)
        stamp = _stamp(db, name, day, slots)
        if state is not None and state.get("stamp") == stamp:
            continue
        try:
            lanes = rows(db, name)
        except PortfolioNotFound:
            continue
        version = db.execute("select max(id) from versions").fetchone()[0] or 0
        status = portfolio_status(db, lanes, day, screen=False)
        keep, changes = verdict_changes(state, lanes, status)
        events = []
        if changes:
            events.append(_changed_event(name, day, changes,
                                         _news_is_baseline(db, state, day)))
        if slots and lanes:
            ahead = upcoming(db, lanes, max(max(slots), 1), day)["dates"]
            events += _reminder_events(name, day, slots, ahead,
                                       {_lane_key(lane): lane for lane in lanes})
        watchers = _Watchers(name, subs, index)
        with write_transaction(db):
            if _load(db, name) != state:
                continue  # another writer looked at it meanwhile: its events stand
            for event in events:
                _write(db, event, watchers, at, report)
            _save(db, name, {"stamp": stamp, "version": version, "lanes": keep})


# -- messages ---------------------------------------------------------------------------

def verdict_word(verdict: str, lang: str) -> str:
    """A verdict in the subscription's language (dates kept as they are)."""
    if lang != "zh":
        return verdict
    for prefix, zh_until in (("control suspended until ", "暂停实施至 "),
                             ("pending from ", "自 ")):
        if verdict.startswith(prefix):
            rest = verdict[len(prefix):]
            return f"{zh_until}{rest}" + (" 起实施" if prefix == "pending from " else "")
    return VERDICTS_ZH.get(verdict, verdict)


def view(base: dict[str, Any], alert: dict[str, Any], lang: str) -> dict[str, Any]:
    """The message view of a portfolio event: each product, before → after, and why."""
    view = base
    payload = alert["payload"]
    name = payload.get("portfolio") or ""
    changes = payload.get("changes") or []
    zh = lang == "zh"
    label = f"投资组合 {name}" if zh else f"portfolio {name}"
    view["number"] = label
    if alert["event_kind"] == kinds.PORTFOLIO_UPCOMING:
        reminder = payload.get("reminder") or {}
        left = reminder.get("days_left")
        when = f"{left} 天后" if zh else f"in {left} day{'s' if left != 1 else ''}"
        line = (f"{payload.get('date')}（{when}）{len(changes)} 个产品的结论将改变" if zh else
                f"{len(changes)} product verdict(s) change on {payload.get('date')} ({when})")
    else:
        line = (f"{payload.get('date')} {len(changes)} 个产品的结论已改变" if zh else
                f"{len(changes)} product verdict(s) changed on {payload.get('date')}")
    view["headline"] = f"{label} — {line}: " + ", ".join(c["sku"] for c in changes)
    view["facts"] = [("portfolio" if not zh else "投资组合", name),
                     ("date" if not zh else "日期", payload.get("date") or "")]
    view["essential"] = {view["facts"][0][0], view["facts"][1][0]}
    view["details"] = [line]
    view["changes"] = []
    for change in changes:
        numbers = ", ".join(change.get("announcements_after") or
                            change.get("announcements_before") or [])
        text = f"{change['sku']} → {change['destination']}"
        if change.get("description"):
            text += f" ({change['description']})"
        if numbers:
            text += f" [{numbers}]"
        view["changes"].append({"label": text, "before": verdict_word(change["before"], lang),
                                "after": verdict_word(change["after"], lang),
                                "added": list(change.get("events") or []), "removed": []})
    view["catalogue"] = (f"regwatch portfolio status {name}, "
                         f"{'事件' if zh else 'event'} #{alert['event_id']}")
    return view
