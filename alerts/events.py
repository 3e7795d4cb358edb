"""Change events, written to the catalogue after each crawl and extraction.

:func:`record_events` turns what is new in the catalogue into events and, in the same
transaction as each event, queues an alert for every subscription it concerns:

- a version not yet processed (and already extracted): ``new`` for a first version;
  for a later one, ``changed`` with a field-by-field before/after of the extractions,
  or only ``text_changed`` (low priority, off by default) when the extraction is the
  same; plus ``suspended`` / ``repealed`` / ``amended`` for each announcement it
  newly suspends, repeals or amends;
- a finished crawl run not yet processed: ``source_unhealthy`` / ``source_recovered``
  (:mod:`alerts.health`);
- the clock: ``effective_soon`` and ``period_ending`` reminders N days before a date;
  ``in_force_again`` when a suspension has ended and ``took_effect`` when a pending
  measure's date is reached, read from the timeline (one event per announcement and day,
  however many clauses, items or language pages carry it).

Every event has a ``dedupe_key``; recording the same change again (a re-crawl, a rerun,
the same announcement reposted by the other site) inserts nothing and queues nothing.
Events of a source's first load are *baseline*: recorded, but not alerted (docs/alerts.md).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from alerts import (
    completeness,
    diff,
    entities,
    health,
    kinds,
    outbox,
    reminder_dates,
    subscriptions,
)
from alerts.matching import Facts, SubscriptionIndex
from alerts.settings import Settings, iso, load_settings
from alerts.settings import now as current_time
from core import clock
from store import backfill
from store.catalogue import in_chunks, source_languages
from store.catalogue import transaction as write_transaction
from timeline.derive import clause_parts, clause_text

log = logging.getLogger("regwatch.alerts")
MAX_PAYLOAD_ITEMS = 60
VERSIONS_PER_TRANSACTION = 50  # one commit per batch: a big re-crawl is not 1,000 fsyncs


@dataclass
class Event:
    kind: str
    dedupe_key: str
    facts: Facts
    payload: dict[str, Any] = field(default_factory=dict)
    baseline: bool = False
    source: str | None = None
    document_id: int | None = None
    version_id: int | None = None
    previous_version_id: int | None = None
    crawl_run_id: int | None = None
    number: str | None = None
    title: str | None = None
    url: str | None = None


# -- the entry point --------------------------------------------------------------------

def record_events(db: Database, runs: list[dict[str, Any]] | None = None,
                  now: datetime | None = None, settings: Settings | None = None) -> dict[str, Any]:
    """Record the events of everything not yet processed; queue their alerts.

    ``runs`` (the crawl-run summaries of the crawl just made) are processed with any
    other finished run not yet seen, so a crawl recorded without events (``crawl
    --no-extract``, a crash) is caught up by the next call.
    """
    settings = settings or load_settings()
    at = now or current_time()
    index = SubscriptionIndex(subscriptions.active(db), settings.alert_on_baseline)
    index.token = outbox.instance_token(db)
    report: Counter[str] = Counter()

    versions = _unprocessed_versions(db)
    for start in range(0, len(versions), VERSIONS_PER_TRANSACTION):
        chunk = versions[start:start + VERSIONS_PER_TRANSACTION]
        batch = [(version, version_events(db, version, at)) for version in chunk]
        with write_transaction(db):  # events, their alerts and the cursor move together
            for version, events in batch:
                for event in events:
                    _write(db, event, index, at, report)
                _processed(db, "version", version["id"], at)

    _health_events(db, index, at, settings, report)
    from alerts import cases as penalty_cases  # it imports this module back

    penalty_cases.record(db, index, at, report)  # customs penalty decisions (#19)
    completeness.record(db, index, at, report)  # skipped numbers, differing copies
    _reminder_events(db, index, at, settings, report)
    _transition_events(db, index, at, report)
    entities.record(db, index, at, report)  # counterparties listed, suspended, removed
    from alerts import portfolio  # it imports this module back

    portfolio.record(db, index, at, settings, report)  # watched portfolios' verdicts (#17)
    summary = {"events": report["events"], "alerts": report["alerts"],
               "baseline": report["baseline"],
               "by_kind": {k[5:]: v for k, v in sorted(report.items()) if k.startswith("kind:")}}
    if summary["events"]:
        log.info("alerts: %s events, %s alerts queued", summary["events"], summary["alerts"])
    return summary


def _write(db: Database, event: Event, index: SubscriptionIndex, at: datetime,
           report: Counter[str]) -> int | None:
    """Insert the event (unless its dedupe key exists) and queue its alerts; same transaction."""
    cursor = db.execute(
        "insert or ignore into events (kind, dedupe_key, created_at, baseline, priority, source, "
        "document_id, version_id, previous_version_id, crawl_run_id, number, title, url, payload) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [event.kind, event.dedupe_key, iso(at), int(event.baseline), kinds.KINDS[event.kind][0],
         event.source, event.document_id, event.version_id, event.previous_version_id,
         event.crawl_run_id, event.number, event.title, event.url,
         json.dumps(event.payload, ensure_ascii=False, sort_keys=True)])
    if cursor.rowcount:
        event_id = cursor.lastrowid
        report["events"] += 1
        report[f"kind:{event.kind}"] += 1
        report["baseline"] += int(event.baseline)
    else:
        # The same change seen again: another page of the announcement (a translation, a
        # repost), or a reminder recomputed. Subscribers it matches who have not been
        # alerted yet are added to the existing event; nobody gets it twice.
        event_id, baseline = db.execute("select id, baseline from events where dedupe_key = ?",
                                        [event.dedupe_key]).fetchone()
        event.facts.baseline = event.facts.baseline or bool(baseline)  # old news stays old
    report["alerts"] += outbox.enqueue(db, index.match(event.facts), event_id, at, index.token)
    return event_id


def _processed(db: Database, kind: str, ref_id: int, at: datetime) -> None:
    db.execute("insert or ignore into events_processed (kind, ref_id, processed_at) values (?, ?, ?)",
               [kind, ref_id, iso(at)])


# -- announcement events ----------------------------------------------------------------

def _source_rank(languages: dict[str, str], source: str) -> int:
    """Pages in the authority's own language first: they make the event, translations join it."""
    return 0 if languages.get(source, "zh") == "zh" else 1


def _unprocessed_versions(db: Database) -> list[dict[str, Any]]:
    rows = [dict(r) for r in db.query(
        "select v.id, v.document_id, v.seq, v.crawl_run_id, v.title, v.text, d.source, d.url, "
        "d.number "
        "from versions v join documents d on d.id = v.document_id "
        "where exists (select 1 from extractions e where e.version_id = v.id) "
        "and not exists (select 1 from events_processed p where p.kind = 'version' "
        "and p.ref_id = v.id) order by v.id")]
    languages = source_languages(db)
    ranks = {source: _source_rank(languages, source) for source in {r["source"] for r in rows}}
    # the issuer's own site before a repost (whichever was crawled first), so one change
    # seen on both makes its event, and its link, from the ministry's page
    return sorted(rows, key=lambda r: (ranks[r["source"]], not _own_site(r), r["id"]))


def _own_site(row: dict[str, Any]) -> bool:
    """Is the page on the issuing authority's own site (MOFCOM-… on mofcom, GACC-… on gacc)?"""
    series = (row.get("number") or "").split("-")[0].lower()
    return bool(series) and row["source"] == series


def extraction_of(db: Database, version_id: int, prefer: str | None = None) -> dict[str, Any] | None:
    """A version's extraction: by extractor ``prefer`` when there is one, else the latest."""
    rows = db.execute("select extractor_version, result from extractions where version_id = ? "
                      "order by id desc", [version_id]).fetchall()
    for extractor, result in rows:
        if prefer is None or extractor == prefer:
            return {"extractor_version": extractor, **json.loads(result)}
    if rows:
        return {"extractor_version": rows[0][0], **json.loads(rows[0][1])}
    return None


def is_baseline(db: Database, source: str, crawl_run_id: int | None) -> bool:
    """A version from a source's first load, decided by the catalogue's state, not by run
    ids: a run that started before the source's list was first read to its end
    (store/backfill.py) is first load, so overlapping or resumed first crawls are all
    baseline. A catalogue from before that state was kept: no earlier successful run
    brought documents."""
    if crawl_run_id is None:
        return False
    until = backfill.baseline_until(db, source)
    if until is True:
        return True
    if until is not None:
        started = db.execute("select started_at from crawl_runs where id = ?",
                             [crawl_run_id]).fetchone()
        return bool(started and started[0] < until)
    earlier = db.execute(
        "select 1 from crawl_runs where source = ? and id < ? and status = 'ok' "
        "and new_documents > 0 limit 1", [source, crawl_run_id]).fetchone()
    return earlier is None


def announcement(extraction: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    """The facts of one announcement that messages show (payload of its events)."""
    items = [diff.compact_item(i) for i in diff.items(extraction)]
    return {
        "number": extraction.get("number") or doc.get("number"),
        "title": extraction.get("title") or doc.get("title"),
        "issuers": diff.strings(extraction.get("issuers")),
        "issue_date": diff.as_date(extraction.get("issue_date")),
        "effective_dates": diff.dates(extraction),
        "materials": diff.strings(extraction.get("materials")),
        "hs_codes": diff.strings(extraction.get("hs_codes")),
        "control_codes": diff.strings(extraction.get("control_codes")),
        "items": items[:MAX_PAYLOAD_ITEMS],
        "items_total": len(items),
        "url": doc.get("url"), "document_id": doc.get("document_id") or doc.get("id"),
        "source": doc.get("source"),
    }


def facts_of(kind: str, extractions: list[dict[str, Any]], source: str | None, text: str,
             baseline: bool) -> Facts:
    """Matcher facts: the union over ``extractions`` (before and after, for a change)."""
    facts = Facts(kind=kind, source=source, baseline=baseline)
    materials: set[str] = set()
    hs: set[str] = set()
    codes: set[str] = set()
    issuers: set[str] = set()
    seen_items: set[str] = set()
    words = [text or ""]
    for ex in extractions:
        materials |= set(diff.strings(ex.get("materials")))
        hs |= set(diff.strings(ex.get("hs_codes")))
        codes |= set(diff.strings(ex.get("control_codes")))
        issuers |= set(diff.strings(ex.get("issuers")))
        for item in diff.items(ex):
            compact = diff.compact_item(item)
            materials |= set(compact.get("materials", []))
            hs |= set(compact.get("hs_codes", []))
            if compact.get("control_code"):
                codes.add(compact["control_code"])
            key = json.dumps(compact, ensure_ascii=False, sort_keys=True)
            if key not in seen_items:
                seen_items.add(key)
                facts.items.append(compact)
        words += [ex.get("number") or "", ex.get("title") or "", ex.get("text") or ""]
    facts.materials, facts.hs_codes = sorted(materials), sorted(hs)
    facts.control_codes, facts.issuers = sorted(codes), sorted(issuers)
    facts.text = "\n".join(w for w in words if w) + "\n" + " ".join(sorted(materials))
    return facts


def _ident(payload: dict[str, Any], document_id: int) -> str:
    """An announcement's identity for dedupe: its number (shared by reposts), else the page."""
    return payload.get("number") or f"doc{document_id}"


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, sort_keys=True,
                                     default=str).encode()).hexdigest()[:16]


def version_events(db: Database, version: dict[str, Any], at: datetime | None = None) -> list[Event]:
    """The events one stored (and extracted) version makes."""
    extraction = extraction_of(db, version["id"]) or {}
    doc = {"document_id": version["document_id"], "url": version["url"],
           "source": version["source"], "title": version["title"]}
    baseline = is_baseline(db, version["source"], version["crawl_run_id"])
    if extraction.get("kind") == "statement":  # a spokesperson's answer: alerts/statements.py
        from alerts import statements

        return statements.version_events(db, version, extraction, baseline)
    payload = announcement(extraction, doc)
    ident = _ident(payload, version["document_id"])
    common = dict(source=version["source"], document_id=version["document_id"],
                  version_id=version["id"], crawl_run_id=version["crawl_run_id"],
                  number=payload["number"], title=payload["title"], url=version["url"],
                  baseline=baseline)
    events: list[Event] = []
    if version["seq"] == 1:
        facts = facts_of(kinds.NEW, [extraction], version["source"], version["text"], baseline)
        events.append(Event(kinds.NEW, f"new:{ident}", facts, payload, **common))
        new_refs = _references(extraction)
    else:
        previous = db.execute("select id, text from versions where document_id = ? and seq < ? "
                              "order by seq desc limit 1",
                              [version["document_id"], version["seq"]]).fetchone()
        before = extraction_of(db, previous[0], prefer=extraction.get("extractor_version")) \
            if previous else None
        text_lines = diff.text_diff(previous[1] if previous else "", version["text"] or "")
        changes = diff.extraction_changes(before, extraction) if before is not None else {}
        payload["text_diff"] = text_lines
        common["previous_version_id"] = previous[0] if previous else None
        day = iso(at or current_time())[:10]  # the same change on one day is one event
        if changes:
            payload["changes"] = changes
            facts = facts_of(kinds.CHANGED, [before or {}, extraction], version["source"],
                             version["text"], baseline)
            events.append(Event(kinds.CHANGED, f"changed:{ident}:{_digest(changes)}:{day}",
                                facts, payload, **common))
        else:
            facts = facts_of(kinds.TEXT_CHANGED, [extraction], version["source"], version["text"],
                             baseline)
            events.append(Event(kinds.TEXT_CHANGED, f"text_changed:{ident}:{_digest(text_lines)}:{day}",
                                facts, payload, **common))
        old_keys = {_ref_key(r) for r in _references(before or {})}
        new_refs = [r for r in _references(extraction) if _ref_key(r) not in old_keys]
    for ref in new_refs:
        events.append(_target_event(db, ref, payload, extraction, version, baseline))
    return events


def _references(extraction: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in extraction.get("references") or []
            if isinstance(r, dict) and r.get("relation") in kinds.RELATION_KINDS and r.get("target")]


def _ref_key(ref: dict[str, Any]) -> str:
    return json.dumps({k: ref.get(k) for k in diff.REFERENCE_KEYS}, ensure_ascii=False, sort_keys=True)


def document_by_number(db: Database, number: str, exclude: int | None = None) -> dict[str, Any] | None:
    """The catalogue's page for an announcement number: the issuing ministry's own first."""
    series = number.split("-")[0].lower()
    row = db.execute(
        "select d.id, d.source, d.url, d.title, d.current_version_id from documents d "
        "where d.number = ? and d.id != ? order by (d.source = ?) desc, d.id limit 1",
        [number, exclude or -1, series if series == "gacc" else "mofcom"]).fetchone()
    if row is None:
        return None
    keys = ("id", "source", "url", "title", "current_version_id")
    return dict(zip(keys, row, strict=True))


def _target_event(db: Database, ref: dict[str, Any], by: dict[str, Any],
                  by_extraction: dict[str, Any], version: dict[str, Any], baseline: bool) -> Event:
    """``suspended`` / ``repealed`` / ``amended``: an event about the *target* announcement."""
    kind = kinds.RELATION_KINDS[ref["relation"]]
    target = document_by_number(db, ref["target"], exclude=version["document_id"])
    target_extraction = extraction_of(db, target["current_version_id"]) if target else None
    if target and target_extraction:
        payload = announcement(target_extraction, {**target, "document_id": target["id"]})
        payload["number"] = payload["number"] or ref["target"]
        facts = facts_of(kind, [target_extraction], target["source"], "", baseline)
    else:
        payload = {"number": ref["target"], "title": None, "document_id": None, "url": None,
                   "issuers": [], "effective_dates": [], "items": []}
        facts = facts_of(kind, [by_extraction], version["source"], version["text"], baseline)
    payload["by"] = {k: by.get(k) for k in ("number", "title", "issuers", "issue_date",
                                            "effective_dates", "url", "document_id")}
    payload["relation"] = {k: ref.get(k) for k in ("relation", "from", "until", "clause")
                           if ref.get(k)}
    by_ident = _ident(by, version["document_id"])
    # the clause as numbers: 第二款 (Chinese page) and Article 2 (English page) are one event
    clause = clause_text(clause_parts(ref.get("clause"))) or ""
    key = f"{kind}:{ref['target']}:{by_ident}:{clause}:{ref.get('until') or ''}"
    return Event(kind, key, facts, payload, baseline=baseline,
                 source=target["source"] if target else version["source"],
                 document_id=target["id"] if target else None, version_id=version["id"],
                 crawl_run_id=version["crawl_run_id"], number=ref["target"],
                 title=payload.get("title"), url=payload.get("url") or version["url"])


# -- source health ----------------------------------------------------------------------

def _health_events(db: Database, index: SubscriptionIndex, at: datetime, settings: Settings,
                   report: Counter[str]) -> None:
    runs = [dict(r) for r in db.query(
        "select * from crawl_runs r where status != 'running' and not exists "
        "(select 1 from events_processed p where p.kind = 'run' and p.ref_id = r.id) order by id")]
    for run in runs:
        state = health.load_state(db, run["source"])
        state, transition = health.evaluate_run(db, run, state, settings)
        with write_transaction(db):
            if transition:
                _write(db, _health_event(transition, f"run{run['id']}"), index, at, report)
            health.save_state(db, state)
            _processed(db, "run", run["id"], at)
    for (source,) in db.execute("select distinct source from crawl_runs").fetchall():
        state = health.load_state(db, source)
        first = db.execute("select min(started_at) from crawl_runs where source = ?",
                           [source]).fetchone()[0]
        state, transition = health.evaluate_staleness(state, at, settings, first)
        if transition:
            with write_transaction(db):
                _write(db, _health_event(transition, f"stale{state.get('last_ok_run_id')}"),
                       index, at, report)
                health.save_state(db, state)


def _health_event(transition: health.Transition, ref: str) -> Event:
    facts = Facts(kind=transition.kind, source=transition.source)
    payload = {"source": transition.source, "reason": transition.reason, **transition.detail}
    return Event(transition.kind, f"{transition.kind}:{transition.source}:{ref}", facts, payload,
                 source=transition.source, crawl_run_id=transition.run_id)


# -- reminders --------------------------------------------------------------------------

def _reminder_events(db: Database, index: SubscriptionIndex, at: datetime, settings: Settings,
                     report: Counter[str]) -> None:
    """``effective_soon`` / ``period_ending`` for dates within someone's reminder window.

    Only documents with a date in the window are read (alerts/reminder_dates.py). On the
    same day, with the same subscriptions, a pass already made reads only the documents
    changed since (and those suspending one of them): the rest would give the same events
    and alerts again, which their dedupe keys would drop.
    """
    synced = reminder_dates.sync(db)
    slots = sorted(index.reminder_days)
    if not slots or not index.subs:
        return
    today = at.astimezone(ZoneInfo(settings.reminder_timezone)).date()
    horizon = max(slots)
    first, last = today.isoformat(), (today + timedelta(days=horizon)).isoformat()
    cursor = reminder_dates.read_cursor(db)  # what reminder_dates holds now
    state = _reminder_state(db)
    key = {"day": first, "subscriptions": _digest([index.subs, settings.reminder_timezone,
                                                    settings.alert_on_baseline])}
    candidates = reminder_dates.in_window(db, first, last)
    if state and cursor and {k: state.get(k) for k in key} == key \
            and isinstance(state.get("cursor"), list):
        changed = reminder_dates.changed_since(db, tuple(state["cursor"]))
        if synced["documents"] is not None:
            changed |= set(synced["documents"])
        numbers = _numbers(db, changed)
        candidates &= changed | reminder_dates.citing(db, numbers, first, last)
    events: list[Event] = []
    for row in _current_extractions(db, sorted(candidates)):
        extraction = json.loads(row["result"])
        doc = {**row, "document_id": row["id"]}
        payload = announcement(extraction, doc)
        ident = _ident(payload, row["id"])
        for day in diff.dates(extraction):
            events += _reminders(kinds.EFFECTIVE_SOON, f"{ident}:{day}", day, today, slots, horizon,
                                 payload, extraction, row, {"date": day})
        for ref in _references(extraction):
            until = diff.as_date(ref.get("until"))
            if ref["relation"] != "suspends" or not until:
                continue
            target = document_by_number(db, ref["target"], exclude=row["id"])
            target_extraction = extraction_of(db, target["current_version_id"]) if target else None
            subject = extraction if target_extraction is None else target_extraction
            info = {"date": until, "target": ref["target"], "clause": ref.get("clause"),
                    "target_title": target["title"] if target else None,
                    "target_url": target["url"] if target else None}
            events += _reminders(kinds.PERIOD_ENDING, f"{ident}:{ref['target']}:{until}", until,
                                 today, slots, horizon, payload, subject, row, info)
    for event in events:
        with write_transaction(db):
            _write(db, event, index, at, report)
    with write_transaction(db):
        db.execute("insert or replace into alert_state (key, value) values (?, ?)",
                   [REMINDER_STATE, json.dumps({**key, "cursor": list(cursor or (0, 0))})])


REMINDER_STATE = "reminders"  # alert_state key: the day, subscriptions and cursor of the last pass


def _reminder_state(db: Database) -> dict[str, Any] | None:
    row = db.execute("select value from alert_state where key = ?", [REMINDER_STATE]).fetchone()
    try:
        state = json.loads(row[0]) if row else None
    except ValueError:
        return None
    return state if isinstance(state, dict) else None


def _numbers(db: Database, documents: set[int]) -> set[str]:
    found: set[str] = set()
    for chunk, marks in in_chunks(documents):
        found |= {r[0] for r in db.execute(
            f"select number from documents where id in ({marks}) and number is not null",
            chunk)}
    return found


def _current_extractions(db: Database, documents: list[int]) -> list[dict[str, Any]]:
    """The documents with the latest extraction of their current version, by id."""
    rows: list[dict[str, Any]] = []
    for start in range(0, len(documents), 500):
        chunk = documents[start:start + 500]
        rows += [dict(r) for r in db.query(
            "select d.id, d.source, d.url, d.title, d.number, d.current_version_id, e.result "
            "from documents d join extractions e on e.id = (select max(id) from extractions "
            "where version_id = d.current_version_id) "
            f"where d.id in ({','.join('?' for _ in chunk)}) order by d.id", chunk)]
    return sorted(rows, key=lambda r: r["id"])


TRANSITION_DAYS = 30  # a transition older than this when first seen is history, not news


def _transition_events(db: Database, index: SubscriptionIndex, at: datetime,
                       report: Counter[str]) -> None:
    """``in_force_again`` / ``took_effect`` for the days the timeline reached up to today
    (the regulator's day): a suspension that ended, a pending measure whose date came."""
    if "intervals" not in db.table_names():
        return
    today = at.astimezone(clock.ZONE).date()
    rows = db.execute(
        "select i.announcement, i.start, i.prev_state, min(i.cause), "
        "group_concat(distinct it.provision) from intervals i left join items it "
        "on it.subject_id = i.subject_id and it.current = 1 where i.retired_in is null "
        "and i.state = 'in_force' and i.prev_state in ('suspended', 'pending') "
        "and i.start > ? and i.start <= ? group by i.announcement, i.start, i.prev_state "
        "order by i.start, i.announcement",
        [(today - timedelta(days=TRANSITION_DAYS)).isoformat(), today.isoformat()]).fetchall()
    for number, day, previous, cause, provisions in rows:
        kind = kinds.IN_FORCE_AGAIN if previous == "suspended" else kinds.TOOK_EFFECT
        doc = document_by_number(db, number)
        extraction = extraction_of(db, doc["current_version_id"]) if doc else None
        if doc is None or extraction is None:
            continue
        version = db.execute("select crawl_run_id from versions where id = ?",
                             [doc["current_version_id"]]).fetchone()
        baseline = is_baseline(db, doc["source"], version[0] if version else None)
        payload = announcement(extraction, {**doc, "document_id": doc["id"]})
        clauses = sorted({p for p in (provisions or "").split(",") if p})
        payload["transition"] = {"date": day, "from": previous, "cause": cause,
                                 "clauses": clauses}
        event = Event(kind, f"{kind}:{number}:{day}",
                      facts_of(kind, [extraction], doc["source"], "", baseline), payload,
                      baseline=baseline, source=doc["source"], document_id=doc["id"],
                      version_id=doc["current_version_id"], number=number,
                      title=payload.get("title"), url=doc["url"])
        with write_transaction(db):
            _write(db, event, index, at, report)


def _reminders(kind: str, ident: str, day: str, today, slots: list[int], horizon: int,
               payload: dict[str, Any], extraction: dict[str, Any], row: dict[str, Any],
               info: dict[str, Any]) -> list[Event]:
    try:
        days_left = (datetime.fromisoformat(day).date() - today).days
    except ValueError:
        return []
    if days_left < 0 or days_left > horizon:
        return []
    out = []
    for slot in slots:
        if slot < days_left:
            continue
        facts = facts_of(kind, [extraction], row["source"], "", False)
        facts.days_left, facts.reminder_slot = days_left, slot
        event_payload = {**payload, "reminder": {**info, "days_left": days_left, "days_before": slot}}
        out.append(Event(kind, f"{kind}:{ident}:{slot}", facts, event_payload, source=row["source"],
                         document_id=row["id"], version_id=row["current_version_id"],
                         number=payload["number"], title=payload["title"], url=row["url"]))
    return out
