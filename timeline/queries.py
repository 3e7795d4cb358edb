"""Questions asked of the timeline: status on a date, changes in a period, a life story.

Each function takes a Database first and returns plain dicts (the CLI prints them or
dumps them as JSON). Lookups go through ``item_terms`` (material, HS code, control code;
prefixes as index ranges) and the current intervals (``retired_in is null``), so they
stay fast on a catalogue of a million items.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import date
from typing import Any

from sqlite_utils import Database

from core.han import HAN
from store.errors import CatalogueError, NotFound
from timeline.derive import iso_or_none
from timeline.items import MEASURE_RANK, material_lexicon

HS = re.compile(r"^\d{2,10}$")
CONTROL = re.compile(r"^\d[A-Ea-e](\d{1,3}(\.[A-Za-z0-9]+)*\.?)?$")
NUMBER = re.compile(r"^[A-Za-z]+(?:-[A-Za-z]+)*-\d{4}-\d+$")
ZH_NUMBER = re.compile(r"(?P<who>.*?)公告\s*[〔\[]?(?P<y>\d{4})[〕\]]?\s*年?\s*第?\s*(?P<n>\d+)\s*号?")
STATES = ("pending", "in_force", "suspended", "repealed", "superseded")
ITEM_COLUMNS = ("item_key", "kind", "announcement", "control_code", "text", "text_en",
                "materials", "hs_codes", "provision", "effective_date", "conditions",
                "measure", "ordinal", "version_id", "extraction_id")


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

def _matched(kind: str, value: str) -> tuple[str, list[Any]]:
    """SQL selecting the matching subject ids; HS and control codes match as prefixes."""
    if kind in ("hs", "control", "a_hs", "a_control"):
        return ("select distinct subject_id from item_terms where kind = ? and term >= ? "
                "and term < ?", [kind, value, value + "\uffff"])
    if kind == "announcement":
        return ("select id as subject_id from subjects where announcement = ? "
                "and kind != 'announcement'", [value])
    return "select distinct subject_id from item_terms where kind = ? and term = ?", [kind, value]


def _announcement_matches(db: Database, kind: str, value: str, limit: int) -> list[str]:
    """Announcements whose own lists (not their items) name the material or code."""
    sql, args = _matched(kind, value)
    args[0] = "a_" + kind
    return [row[0] for row in db.execute(
        f"select s.key from ({sql}) m join subjects s on s.id = m.subject_id "
        f"order by s.id desc limit ?", [*args, limit])]


def _text_subjects(db: Database, text: str, limit: int) -> list[int]:
    """Items whose text contains ``text``, found through the documents that contain it."""
    from timeline.search import fold, search

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
            out[row[0]] = _item_dict(row)
    return out


def _item_dict(row: tuple) -> dict[str, Any]:
    item = dict(zip(("subject_id", *ITEM_COLUMNS), row, strict=True))
    for key in ("materials", "hs_codes", "conditions"):
        item[key] = json.loads(item[key]) if item[key] else []
    return item


# -- status ---------------------------------------------------------------------------------

STATUS_FROM = (
    "from ({matched}) m join items it on it.subject_id = m.subject_id and it.current = 1 "
    "left join intervals i on i.subject_id = m.subject_id and i.retired_in is null "
    "and i.start <= :on and (i.end is null or i.end >= :on) "
    "where (:dest is null or it.destinations is null or instr(it.destinations, :dest) > 0)"
)


def status(db: Database, query: str, on: str | None = None, destination: str | None = None,
           limit: int = 50) -> dict[str, Any]:
    """What applies to ``query`` on ``on``: announcements and items, state, since, until, why.

    Counts cover every matching item; ``items`` lists the first ``limit``, most recent
    announcement first. Items issued after ``on`` are left out (``not_yet_issued``), except
    when the query names one announcement. A material is answered from the per-material
    deltas, so its cost grows with the number of announcements, not of items.

    :param query: material, HS code or prefix, control code or prefix, or announcement ID
    :param on: ``YYYY-MM-DD`` (default today)
    :param destination: only items that apply to exports to this country code (e.g. US)
    :raises NotFound: for an announcement ID the catalogue does not know
    :raises QueryError: for a malformed date
    """
    on = check_date(on, "--on")
    kind, value = classify(query)
    if kind == "announcement" and _announcement(db, value) is None:
        raise NotFound(f"no announcement {value} in the catalogue")
    if kind == "material":
        return _material_status(db, query, value, on, destination, limit)
    if kind == "text":
        ids = _text_subjects(db, value, limit=5000)
        matched, margs = "select value as subject_id from json_each(?)", [json.dumps(ids)]
    else:
        matched, margs = _matched(kind, value)
    named = {f"m{n}": v for n, v in enumerate(margs)}
    matched = _named(matched)
    dest = f",{destination.upper()}," if destination else None
    params: dict[str, Any] = {**named, "on": on, "dest": dest}
    on_date = ("i.subject_id = m.subject_id and i.retired_in is null and i.start <= :on "
               "and (i.end is null or i.end >= :on)")
    if dest:
        counting = STATUS_FROM.format(matched=matched)
    else:  # no item columns needed: term index → interval index only
        counting = f"from ({matched}) m left join intervals i on {on_date} where 1"
    counts: dict[str, int] = {}
    later = 0
    for state, n in db.execute(f"select i.state, count(*) {counting} group by i.state", params):
        if state is None and kind != "announcement":
            later += n
            continue
        counts[state or "not_issued"] = counts.get(state or "not_issued", 0) + n
    # The listing: the most recently created subjects first, looked at in a bounded window.
    issued = "" if kind == "announcement" else " and i.id is not null"
    window = f"select subject_id from ({matched}) order by subject_id desc limit :scan"
    rows = [_row(r) for r in db.execute(
        f"select {ROW_COLUMNS} {STATUS_FROM.format(matched=window)}{issued} "
        f"order by it.announcement_date desc, it.announcement, it.ordinal limit :limit",
        {**params, "limit": limit, "scan": max(LIST_WINDOW, limit * 20)})]
    numbers = list(dict.fromkeys(r["announcement"] for r in rows))
    if kind in ("hs", "control"):
        numbers += [n for n in _announcement_matches(db, kind, value, limit) if n not in numbers]
    if kind == "announcement" and value not in numbers:
        numbers.insert(0, value)
    announcements = [a for a in (_announcement_state(db, n, on, keep=n == value)
                                 for n in numbers) if a]
    announcements.sort(key=lambda a: (a["issue_date"] or "", a["number"]))
    measure = _measure(db, kind, matched, params, rows, counts)
    return {"query": query, "kind": kind, "value": value, "on": on, "destination": destination,
            "controlled": counts.get("in_force", 0) > 0, "measure": measure,
            "counts": counts, "total_items": sum(counts.values()), "not_yet_issued": later,
            "announcements": announcements, "items": rows}


LIST_WINDOW = 5000


def _named(sql: str) -> str:
    """``?`` placeholders of a matched-subjects query as ``:m0``, ``:m1``, ``:m2``."""
    for n in range(3):
        sql = sql.replace("?", f":m{n}", 1)
    return sql


def _member(kind: str, column: str) -> str:
    """A condition that subject ``column`` matches the query (params ``:m0``…), checked
    through an index per subject rather than by listing every match."""
    if kind in ("hs", "control"):
        return (f"exists (select 1 from item_terms x where x.subject_id = {column} "
                "and x.kind = :m0 and x.term >= :m1 and x.term < :m2)")
    if kind == "announcement":
        return f"exists (select 1 from subjects x where x.id = {column} and x.announcement = :m0)"
    if kind == "text":
        return f"{column} in (select value from json_each(:m0))"
    return (f"exists (select 1 from item_terms x where x.kind = :m0 and x.term = :m1 "
            f"and x.subject_id = {column})")


def _row(item_row: tuple) -> dict[str, Any]:
    """An item with its interval on the date, from a row of ``STATUS_FROM`` columns."""
    item = _item_dict(item_row[: len(ITEM_COLUMNS) + 1])
    tail = item_row[len(ITEM_COLUMNS) + 1:]
    interval = _interval_dict(tail) if tail[-1] is not None else None
    return {**item, **_state_fields(interval),
            "state": interval["state"] if interval else "not_issued",
            "chain": _chain(item, interval), "why": _why(item, interval)}


ROW_COLUMNS = (f"it.subject_id, {', '.join('it.' + c for c in ITEM_COLUMNS)}, i.state, i.start, "
               "i.end, i.cause, i.relation, i.clause, i.reason, i.chain, i.prev_state, i.id")


def _material_status(db: Database, query: str, material: str, on: str,
                     destination: str | None, limit: int) -> dict[str, Any]:
    """Status of a material from ``material_deltas``: counts, then items of the most
    recently catalogued announcements that have some in a state on that date."""
    dest = f",{destination.upper()}," if destination else None
    sql = ("select announcement_sid, state, measure, sum(delta) from material_deltas "
           "where term = ? and day <= ?")
    args: list[Any] = [material, on]
    if dest:
        sql += " and (dest = '' or instr(dest, ?) > 0)"
        args.append(dest)
    groups = db.execute(sql + " group by announcement_sid, state, measure "
                        "having sum(delta) != 0", args).fetchall()
    counts: dict[str, int] = {}
    per_announcement: dict[int, int] = defaultdict(int)
    for sid, state, _, n in groups:
        counts[state] = counts.get(state, 0) + n
        per_announcement[sid] += n
    rows: list[dict[str, Any]] = []
    numbers: list[str] = []
    item_sql = (f"select {ROW_COLUMNS} from items it left join intervals i on "
                "i.subject_id = it.subject_id and i.retired_in is null and i.start <= :on "
                "and (i.end is null or i.end >= :on) where it.announcement = :a "
                "and it.current = 1 and i.id is not null and exists (select 1 from item_terms t "
                "where t.kind = 'material' and t.term = :m and t.subject_id = it.subject_id) "
                "and (:dest is null or it.destinations is null "
                "or instr(it.destinations, :dest) > 0) order by it.ordinal limit :limit")
    for sid in sorted((s for s, n in per_announcement.items() if n > 0), reverse=True):
        if len(numbers) >= limit:
            break
        number = db.execute("select key from subjects where id = ?", [sid]).fetchone()[0]
        numbers.append(number)
        if len(rows) < limit:
            rows += [_row(r) for r in db.execute(item_sql, {
                "on": on, "a": number, "m": material, "dest": dest,
                "limit": limit - len(rows)})]
    numbers += [n for n in _announcement_matches(db, "material", material, limit)
                if n not in numbers]
    announcements = [a for a in (_announcement_state(db, n, on, keep=False) for n in numbers)
                     if a]
    return {"query": query, "kind": "material", "value": material, "on": on,
            "destination": destination, "controlled": counts.get("in_force", 0) > 0,
            "measure": _measure_of_groups(db, groups, on), "counts": counts,
            "total_items": sum(counts.values()), "not_yet_issued": None,
            "announcements": announcements, "items": rows}


def _measure_of_groups(db: Database, groups: list[tuple], on: str) -> dict[str, Any] | None:
    """The strictest measure in force among the groups (see :func:`_measure`)."""
    live = [(sid, state, measure or "licence") for sid, state, measure, n in groups if n > 0]
    in_force = [g for g in live if g[1] == "in_force"]
    if in_force:
        sid, _, measure = max(in_force, key=lambda g: (MEASURE_RANK.get(g[2], 0), g[0]))
        number = db.execute("select key from subjects where id = ?", [sid]).fetchone()[0]
        row = db.execute("select provision from items where announcement = ? and current = 1 "
                         "and coalesce(measure, 'licence') = ? order by ordinal limit 1",
                         [number, measure]).fetchone()
        return {"measure": measure, "announcement": number, "provision": row and row[0],
                "via": None}
    superseded = [g for g in live if g[1] == "superseded"]
    if superseded:
        sid = max(g[0] for g in superseded)
        number = db.execute("select key from subjects where id = ?", [sid]).fetchone()[0]
        row = db.execute("select it.provision, i.cause from items it join intervals i "
                         "on i.subject_id = it.subject_id and i.retired_in is null "
                         "and i.state = 'superseded' and i.start <= ? where it.announcement = ? "
                         "and it.current = 1 order by it.ordinal limit 1",
                         [on, number]).fetchone()
        return {"measure": "licence", "announcement": number, "provision": row and row[0],
                "via": row and row[1]}
    return None


def _announcement_state(db: Database, number: str, on: str, keep: bool
                        ) -> dict[str, Any] | None:
    info = _announcement(db, number)
    if info is None:
        return None
    interval = _interval_on(db, info["subject_id"], on) if info["subject_id"] else None
    if interval is None and not keep:
        return None
    subject = {"announcement": number, "effective_date": info["effective_date"],
               "issue_date": info["issue_date"]}
    return {**{k: info[k] for k in ("number", "title", "in_catalogue", "issue_date",
                                    "effective_date", "document_id")},
            **_state_fields(interval), "state": interval["state"] if interval else "not_issued",
            "chain": _chain(subject, interval), "why": _why(subject, interval)}


def _state_fields(interval: dict[str, Any] | None) -> dict[str, Any]:
    if interval is None:
        return {"since": None, "until": None, "cause": None, "reason": None}
    return {k: interval[k] for k in ("since", "until", "cause", "reason")}


def _measure(db: Database, kind: str, matched: str, params: dict[str, Any],
             rows: list[dict[str, Any]], counts: dict[str, int]) -> dict[str, Any] | None:
    """The strictest measure among matching items in force. Items with a measure stricter
    than a licence are few and carry a ``measure`` term, so they are checked one by one;
    a superseded item carries on under its successor as a licence requirement when
    nothing is in force."""
    item_on = ("from item_terms t join items it on it.subject_id = t.subject_id "
               "and it.current = 1 join intervals i on i.subject_id = t.subject_id "
               "and i.retired_in is null and i.start <= :on and (i.end is null or i.end >= :on) "
               "where (:dest is null or it.destinations is null "
               "or instr(it.destinations, :dest) > 0)")
    for name in sorted(MEASURE_RANK, key=MEASURE_RANK.get, reverse=True):
        if name == "licence":
            break
        row = db.execute(
            f"select it.announcement, it.provision {item_on} and t.kind = 'measure' "
            f"and t.term = :measure and i.state = 'in_force' and {_member(kind, 't.subject_id')} "
            f"order by t.subject_id desc limit 1", {**params, "measure": name}).fetchone()
        if row:
            return {"measure": name, "announcement": row[0], "provision": row[1], "via": None}
    if counts.get("in_force"):
        shown = next((r for r in rows if r["state"] == "in_force"), None)
        if shown:
            return {"measure": "licence", "announcement": shown["announcement"],
                    "provision": shown["provision"], "via": None}
        row = db.execute(f"select it.announcement, it.provision "
                         f"{STATUS_FROM.format(matched=matched)} and i.state = 'in_force' "
                         f"limit 1", params).fetchone()
        return {"measure": "licence", "announcement": row[0], "provision": row[1], "via": None}
    if counts.get("superseded"):
        row = db.execute(f"select it.announcement, it.provision, i.cause "
                         f"{STATUS_FROM.format(matched=matched)} and i.state = 'superseded' "
                         f"order by it.announcement_date limit 1", params).fetchone()
        return {"measure": "licence", "announcement": row[0], "provision": row[1],
                "via": row[2]}
    return None


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
        value = classify(value)[1] if kind == "material" else value.lower().replace(" ", "")
        where.append(_term_filter(db, kind, value))
        args += [kind, value] if kind == "material" else [kind, value, value + "\uffff"]
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


BROAD = 2000  # matching subjects above which a filter is checked per interval instead


def _term_filter(db: Database, kind: str, value: str) -> str:
    """A filter on intervals ``i`` by term. A narrow term lists its subjects once; a broad
    one (a common material) is checked for each interval in the period through the
    term index, which is cheaper than listing a quarter of the catalogue."""
    sql, args = _matched(kind, value)
    n = db.execute(f"select count(*) from ({sql} limit {BROAD})", args).fetchone()[0]
    if n < BROAD:
        return f"i.subject_id in ({sql})"
    if kind == "material":
        return ("exists (select 1 from item_terms t where t.kind = ? and t.term = ? "
                "and t.subject_id = i.subject_id)")
    return ("exists (select 1 from item_terms t where t.subject_id = i.subject_id "
            "and t.kind = ? and t.term >= ? and t.term < ?)")


# -- timeline -------------------------------------------------------------------------------

def timeline(db: Database, number: str, history: bool = False) -> dict[str, Any]:
    """An announcement's life: its intervals, its provisions' and items', what it does to
    others and what others do to it; with ``history``, earlier derivations' intervals too.

    :raises NotFound: when the catalogue does not know the announcement
    """
    value = normalise_announcement(number) or number.strip().upper()
    info = _announcement(db, value)
    if info is None:
        raise NotFound(f"no announcement {value} in the catalogue")
    retired = "" if history else " and i.retired_in is null"
    rows = db.execute(
        "select i.subject_id, s.kind, s.key, s.label, i.state, i.start, i.end, i.cause, "
        "i.relation, i.clause, i.reason, i.chain, i.prev_state, i.id, i.derivation_id, "
        f"i.retired_in from intervals i join subjects s on s.id = i.subject_id "
        f"where s.announcement = ?{retired} order by s.id, i.start, i.id", [value]).fetchall()
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
