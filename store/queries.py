"""Questions asked of the timeline: status on a date, changes in a period, a life story.

Each function takes a Database first and returns plain dicts (the CLI prints them or
dumps them as JSON). Lookups go through ``item_terms`` (material, HS code, control code;
prefixes as index ranges) and the current intervals (``retired_in is null``), so they
stay fast on a catalogue of a million items.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from sqlite_utils import Database

from store.derive import iso_or_none
from store.errors import CatalogueError, NotFound
from store.items import MEASURE_RANK, applies_to, material_lexicon
from store.timeline_schema import ensure_tables

HS = re.compile(r"^\d{2,10}$")
CONTROL = re.compile(r"^\d[A-Ea-e](\d{1,3}(\.[A-Za-z0-9]+)*\.?)?$")
NUMBER = re.compile(r"^[A-Za-z]+(?:-[A-Za-z]+)*-\d{4}-\d+$")
ZH_NUMBER = re.compile(r"(?P<who>.*?)公告\s*[〔\[]?(?P<y>\d{4})[〕\]]?\s*年?\s*第?\s*(?P<n>\d+)\s*号?")
HAN = re.compile(r"[\u3400-\u9fff]")
STATES = ("pending", "in_force", "suspended", "repealed", "superseded")
ITEM_COLUMNS = ("item_key", "kind", "announcement", "control_code", "text", "text_en",
                "materials", "hs_codes", "provision", "effective_date", "conditions",
                "measure", "version_id", "extraction_id")


class QueryError(CatalogueError, ValueError):
    """A query that cannot be answered as asked (bad date, unknown kind)."""


def today() -> str:
    return date.today().isoformat()


def check_date(value: str | None, name: str = "date") -> str:
    """``YYYY-MM-DD`` or today for None.

    :raises QueryError: for anything else
    """
    if value is None:
        return today()
    found = iso_or_none(value)
    if found is None or len(value) != 10:
        raise QueryError(f"{name} must be YYYY-MM-DD, not {value!r}")
    return found


def normalise_announcement(text: str) -> str | None:
    """``mofcom-2025-61`` / ``商务部公告2025年第61号`` / ``公告〔2025〕123号`` → canonical ID."""
    text = text.strip()
    if NUMBER.match(text):
        return text.upper()
    match = ZH_NUMBER.search(text)
    if match:
        who = match["who"]
        series = "GACC" if ("海关" in who and "商务部" not in who) or (not who and "〔" in text) \
            else "MOFCOM"
        return f"{series}-{match['y']}-{int(match['n'])}"
    return None


def classify(query: str) -> tuple[str, str]:
    """What a status query names: (kind, normalised value).

    Kinds: ``announcement`` (an ID), ``hs`` (digits: a code or prefix), ``control`` (a
    control code or prefix such as 1C9 or 1C902.a), ``material`` (vocabulary name, English
    alias or Chinese name) and ``text`` (any other Chinese: matched in item texts).
    """
    text = query.strip()
    number = normalise_announcement(text)
    if number:
        return "announcement", number
    compact = text.replace(".", "").replace(" ", "")
    if HS.match(compact):
        return "hs", compact
    if CONTROL.match(text):
        return "control", text.lower()
    lexicon = material_lexicon()
    key = text.lower()
    if key in lexicon:
        return "material", lexicon[key]
    if key.endswith("s") and key[:-1] in lexicon:
        return "material", lexicon[key[:-1]]
    if HAN.search(text):
        return "text", text
    return "material", key


# -- shared lookups -------------------------------------------------------------------------

def _subjects_for(db: Database, kind: str, value: str, limit: int | None = None
                  ) -> list[int]:
    """Subject ids matching a term; HS codes and control codes match as prefixes."""
    sql = "select distinct subject_id from item_terms where kind = ? and "
    if kind in ("hs", "control"):
        sql += "term >= ? and term < ?"
        args: list[Any] = [kind, value, value + "\uffff"]
    else:
        sql += "term = ?"
        args = [kind, value]
    if limit:
        sql += f" limit {int(limit)}"
    return [row[0] for row in db.execute(sql, args)]


def _text_subjects(db: Database, text: str, limit: int) -> list[int]:
    """Items whose text contains ``text``, found through the documents that contain it."""
    from store.search import fold, search

    hits = search(db, text, limit=50)["results"]
    numbers = sorted({hit["number"] for hit in hits if hit["number"]})
    if not numbers:
        return []
    marks = ",".join("?" for _ in numbers)
    needle = fold(text)
    found = []
    for subject_id, item_text in db.execute(
            f"select subject_id, text from items where current = 1 and announcement in ({marks})",
            numbers):
        if needle in fold(item_text or ""):
            found.append(subject_id)
            if len(found) >= limit:
                break
    return found


def _interval_on(db: Database, subject_id: int, on: str) -> dict[str, Any] | None:
    row = db.execute(
        "select state, start, end, cause, relation, clause, reason, chain, prev_state, id "
        "from intervals where subject_id = ? and retired_in is null and start <= ? "
        "order by start desc limit 1", [subject_id, on]).fetchone()
    if row is None or (row[2] is not None and row[2] < on):
        return None
    return _interval_dict(row)


def _interval_dict(row: tuple) -> dict[str, Any]:
    state, start, end, cause, relation, clause, reason, chain, prev_state, row_id = row
    return {"state": state, "since": start, "until": end, "cause": cause, "relation": relation,
            "clause": clause, "reason": reason, "previous_state": prev_state,
            "steps": json.loads(chain) if chain else [], "interval_id": row_id}


def _announcement(db: Database, number: str) -> dict[str, Any] | None:
    row = db.execute(
        "select a.number, a.in_catalogue, a.title, a.issuers, a.issue_date, a.effective_date, "
        "a.effective_dates, a.document_id, a.version_id, a.extraction_id, s.id "
        "from announcements a left join subjects s on s.key = a.number where a.number = ?",
        [number]).fetchone()
    if row is None:
        return None
    return {"number": row[0], "in_catalogue": bool(row[1]), "title": row[2],
            "issuers": json.loads(row[3]) if row[3] else [], "issue_date": row[4],
            "effective_date": row[5],
            "effective_dates": json.loads(row[6]) if row[6] else [], "document_id": row[7],
            "version_id": row[8], "extraction_id": row[9], "subject_id": row[10]}


def _chain(subject: dict[str, Any], interval: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The announcements that explain a state: the subject's own, then each acting one."""
    own = {"announcement": subject["announcement"], "role": "subject"}
    if subject.get("provision"):
        own["provision"] = subject["provision"]
    if subject.get("effective_date"):
        own["effective"] = subject["effective_date"]
    return [own, *(interval or {}).get("steps", [])]


def _why(subject: dict[str, Any], interval: dict[str, Any] | None) -> str:
    if interval is None:
        return "not issued yet on that date" if subject.get("issue_date") else "unknown"
    return " → ".join(
        step["announcement"] + ("" if step.get("role") == "subject" else f" {step['relation']}"
                                + (f" clause {step['clause']}" if step.get("clause") else "")
                                + f" from {step['from']}"
                                + (f" until {step['until']}" if step.get("until") else ""))
        for step in _chain(subject, interval))


def _items(db: Database, subject_ids: list[int]) -> dict[int, dict[str, Any]]:
    if not subject_ids:
        return {}
    out: dict[int, dict[str, Any]] = {}
    for start in range(0, len(subject_ids), 500):
        chunk = subject_ids[start:start + 500]
        marks = ",".join("?" for _ in chunk)
        for row in db.execute(
                f"select subject_id, {', '.join(ITEM_COLUMNS)} from items "
                f"where current = 1 and subject_id in ({marks})", chunk):
            item = dict(zip(("subject_id", *ITEM_COLUMNS), row, strict=True))
            for key in ("materials", "hs_codes", "conditions"):
                item[key] = json.loads(item[key]) if item[key] else []
            out[item["subject_id"]] = item
    return out


# -- status ---------------------------------------------------------------------------------

def status(db: Database, query: str, on: str | None = None, destination: str | None = None,
           limit: int = 50) -> dict[str, Any]:
    """What applies to ``query`` on ``on``: announcements and items, state, since, until, why.

    :param query: material, HS code or prefix, control code or prefix, or announcement ID
    :param on: ``YYYY-MM-DD`` (default today)
    :param destination: only items that apply to exports to this country code (e.g. US)
    :param limit: most items listed (counts cover all)
    :raises NotFound: for an announcement ID the catalogue does not know
    :raises QueryError: for a malformed date
    """
    ensure_tables(db)
    on = check_date(on, "--on")
    kind, value = classify(query)
    if kind == "announcement":
        announcement = _announcement(db, value)
        if announcement is None:
            raise NotFound(f"no announcement {value} in the catalogue")
        subject_ids = [row[0] for row in db.execute(
            "select id from subjects where announcement = ? and kind != 'announcement' "
            "order by id", [value])]
    elif kind == "text":
        subject_ids = _text_subjects(db, value, limit=5000)
    else:
        subject_ids = _subjects_for(db, kind, value)
    items = _items(db, subject_ids)
    rows: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    numbers: set[str] = set()
    later = 0
    for subject_id in subject_ids:
        item = items.get(subject_id)
        if item is None:
            # An announcement-level match (materials or codes listed for the whole text).
            row = db.execute("select key from subjects where id = ? and kind = 'announcement'",
                             [subject_id]).fetchone()
            if row:
                numbers.add(row[0])
            continue
        if not applies_to(item["conditions"], destination):
            continue
        interval = _interval_on(db, subject_id, on)
        if interval is None and kind != "announcement":
            later += 1  # issued after that date (or unknown): does not apply yet
            continue
        state = interval["state"] if interval else "not_issued"
        counts[state] = counts.get(state, 0) + 1
        numbers.add(item["announcement"])
        if len(rows) < limit:
            rows.append({**item, **_state_fields(interval), "state": state,
                         "chain": _chain(item, interval), "why": _why(item, interval)})
    if kind == "announcement":
        numbers.add(value)
    announcements = []
    for number in sorted(numbers):
        info = _announcement(db, number)
        if info is None:
            continue
        interval = _interval_on(db, info["subject_id"], on) if info["subject_id"] else None
        if interval is None and number != value:
            continue
        subject = {"announcement": number, "effective_date": info["effective_date"],
                   "issue_date": info["issue_date"]}
        announcements.append({
            **{k: info[k] for k in ("number", "title", "in_catalogue", "issue_date",
                                    "effective_date", "document_id")},
            **_state_fields(interval),
            "state": interval["state"] if interval else "not_issued",
            "chain": _chain(subject, interval), "why": _why(subject, interval),
        })
    rows.sort(key=lambda r: (r["announcement"], r["provision"] or "", r["item_key"]))
    return {"query": query, "kind": kind, "value": value, "on": on, "destination": destination,
            "controlled": counts.get("in_force", 0) > 0, "measure": _measure(rows),
            "counts": counts, "total_items": sum(counts.values()), "not_yet_issued": later,
            "announcements": announcements,
            "items": rows}


def _state_fields(interval: dict[str, Any] | None) -> dict[str, Any]:
    if interval is None:
        return {"since": None, "until": None, "cause": None, "reason": None}
    return {k: interval[k] for k in ("since", "until", "cause", "reason")}


def _measure(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The strictest measure among items in force (a superseded item carries on under its
    successor, as a licence requirement, when nothing stricter is in force)."""
    best: dict[str, Any] | None = None
    for row in rows:
        if row["state"] == "in_force":
            measure, via = row["measure"], None
        elif row["state"] == "superseded":
            measure, via = "licence", row["cause"]
        else:
            continue
        rank = MEASURE_RANK.get(measure, 0)
        if best is None or rank > best["rank"]:
            best = {"rank": rank, "measure": measure, "announcement": row["announcement"],
                    "provision": row["provision"], "via": via}
    if best is None:
        return None
    best.pop("rank")
    return best


# -- changes --------------------------------------------------------------------------------

def changes(db: Database, since: str, until: str | None = None, material: str | None = None,
            hs: str | None = None, control: str | None = None,
            announcement: str | None = None, state: str | None = None,
            subject: str = "item", limit: int = 200) -> dict[str, Any]:
    """State changes that took effect between ``since`` and ``until`` (inclusive), by date.

    :param subject: ``item`` (items and provisions), ``announcement`` or ``all``
    :param state: only changes into this state
    :raises QueryError: for a malformed date, state or subject kind
    """
    ensure_tables(db)
    since = check_date(since, "--since")
    until = check_date(until, "--until")
    if state and state not in STATES:
        raise QueryError(f"state must be one of {', '.join(STATES)}")
    where = ["i.retired_in is null", "i.start >= ?", "i.start <= ?"]
    args: list[Any] = [since, until]
    if subject == "item":
        where.append("i.subject_kind in ('item', 'provision')")
    elif subject == "announcement":
        where.append("i.subject_kind = 'announcement'")
    elif subject != "all":
        raise QueryError("subject must be item, announcement or all")
    if state:
        where.append("i.state = ?")
        args.append(state)
    if announcement:
        where.append("i.announcement = ?")
        args.append(normalise_announcement(announcement) or announcement.upper())
    for kind, value in (("material", material), ("hs", hs), ("control", control)):
        if not value:
            continue
        if kind == "material":
            value = classify(value)[1]
        if kind in ("hs", "control"):
            value = value.lower().replace(" ", "")
            where.append("i.subject_id in (select subject_id from item_terms "
                         "where kind = ? and term >= ? and term < ?)")
            args += [kind, value, value + "\uffff"]
        else:
            where.append("i.subject_id in (select subject_id from item_terms "
                         "where kind = ? and term = ?)")
            args += [kind, value]
    clause = " and ".join(where)
    total = db.execute(f"select count(*) from intervals i where {clause}", args).fetchone()[0]
    rows = db.execute(
        "select i.subject_id, i.subject_kind, i.announcement, s.key, s.label, i.state, i.start, "
        "i.end, i.prev_state, i.cause, i.relation, i.clause, i.reason "
        f"from intervals i join subjects s on s.id = i.subject_id where {clause} "
        "order by i.start, i.announcement, s.key limit ?", [*args, limit]).fetchall()
    items = _items(db, [r[0] for r in rows if r[1] != "announcement"])
    out = []
    for (subject_id, kind, number, key, label, new_state, start, end, prev_state, cause,
         relation, clause_label, reason) in rows:
        item = items.get(subject_id, {})
        out.append({
            "date": start, "subject_kind": kind, "subject": key, "announcement": number,
            "label": label, "control_code": item.get("control_code"),
            "text": item.get("text"), "materials": item.get("materials", []),
            "hs_codes": item.get("hs_codes", []), "from": prev_state or "not_issued",
            "to": new_state, "until": end, "cause": cause, "relation": relation,
            "clause": clause_label, "reason": reason,
        })
    return {"since": since, "until": until, "total": total, "changes": out}


# -- timeline -------------------------------------------------------------------------------

def timeline(db: Database, number: str, history: bool = False) -> dict[str, Any]:
    """An announcement's life: its intervals, its provisions' and items', what it does to
    others and what others do to it; with ``history``, earlier derivations' intervals too.

    :raises NotFound: when the catalogue does not know the announcement
    """
    ensure_tables(db)
    value = normalise_announcement(number) or number.strip().upper()
    info = _announcement(db, value)
    if info is None:
        raise NotFound(f"no announcement {value} in the catalogue")
    retired = "" if history else " and i.retired_in is null"
    rows = db.execute(
        "select i.subject_id, s.kind, s.key, s.label, i.state, i.start, i.end, i.cause, "
        "i.relation, i.clause, i.reason, i.chain, i.prev_state, i.id, i.derivation_id, "
        f"i.retired_in from intervals i join subjects s on s.id = i.subject_id "
        f"where i.announcement = ?{retired} order by s.id, i.start, i.id", [value]).fetchall()
    items = _items(db, sorted({r[0] for r in rows if r[1] != "announcement"}))
    own: list[dict[str, Any]] = []
    parts: dict[int, dict[str, Any]] = {}
    for row in rows:
        interval = _interval_dict((row[4], row[5], row[6], row[7], row[8], row[9], row[10],
                                   row[11], row[12], row[13]))
        interval["derivation_id"], interval["retired_in"] = row[14], row[15]
        if row[1] == "announcement":
            own.append(interval)
            continue
        item = items.get(row[0], {"item_key": row[2], "kind": row[1], "provision": None,
                                  "control_code": None, "text": None, "measure": None})
        entry = parts.setdefault(row[0], {
            "subject": row[2], "kind": row[1], "label": row[3],
            **{k: item.get(k) for k in ("control_code", "provision", "text", "materials",
                                        "hs_codes", "conditions", "measure", "effective_date")},
            "intervals": []})
        entry["intervals"].append(interval)
    refs_out = [dict(zip(("target", "relation", "from", "until", "clause"), r, strict=True))
                for r in db.execute(
                    "select target, relation, from_date, until_date, clause_label "
                    "from announcement_refs where source = ? order by id", [value])]
    refs_in = [dict(zip(("source", "relation", "from", "until", "clause"), r, strict=True))
               for r in db.execute(
                   "select source, relation, from_date, until_date, clause_label "
                   "from announcement_refs where target = ? order by source", [value])]
    derivations = [dict(zip(("derivation_id", "extraction_id", "change", "finished_at"), r,
                            strict=True))
                   for r in db.execute(
                       "select d.derivation_id, d.extraction_id, d.change, r.finished_at "
                       "from derivation_inputs d join derivations r on r.id = d.derivation_id "
                       "where d.announcement = ? order by d.derivation_id", [value])]
    return {**{k: v for k, v in info.items() if k != "subject_id"}, "intervals": own,
            "parts": list(parts.values()), "references": refs_out, "referenced_by": refs_in,
            "derivations": derivations}
