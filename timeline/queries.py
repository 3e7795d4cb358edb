"""Questions asked of the timeline: status on a date, changes in a period, a life story.

Each function takes a Database first and returns plain dicts (the CLI prints them or
dumps them as JSON). Lookups go through ``item_terms`` (material, HS code, control code;
prefixes as index ranges) and the current intervals (``retired_in is null``), so they
stay fast on a catalogue of a million items.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlite_utils import Database

from core import clock
from extract import items as model
from store.errors import CatalogueError, NotFound
from timeline.derive import iso_or_none

HS = re.compile(r"^\d{2,10}$")
CONTROL = re.compile(r"^\d[A-Ea-e](\d{1,3}(\.[A-Za-z0-9]+)*\.?)?$")
STATES = ("pending", "in_force", "suspended", "repealed", "superseded")
ITEM_COLUMNS = ("item_key", "kind", "announcement", "control_code", "text", "text_en",
                "materials", "hs_codes", "provision", "effective_date", "conditions",
                "measure", "ordinal", "version_id", "extraction_id")


class QueryError(CatalogueError, ValueError):
    """A query that cannot be answered as asked (bad date, unknown kind)."""


def today() -> str:
    """The regulator's day (core/clock.py): what "now" means for a status query."""
    return clock.today()


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
    """``mofcom-2025-61`` / ``商务部公告2025年第61号`` / ``公告〔2025〕123号`` → canonical ID,
    by the project's one number parser (:func:`extract.numbers.canonical`)."""
    from extract.numbers import canonical

    return canonical(text)


def classify(query: str) -> tuple[str, str]:
    """What a status query names: (kind, normalised value).

    Kinds: ``announcement`` (an ID), ``hs`` (digits: a code or prefix), ``control`` (a
    control code or prefix such as 1C9 or 1C902.a), ``material`` (vocabulary name, English
    alias or Chinese name), ``group`` (rare earths, heavy rare earths, …) and ``text``
    (anything else: looked for in the items' own texts).
    """
    from timeline.status import classify as classify_query

    return classify_query(query, normalise_announcement)


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

class UnknownDestination(QueryError):
    """A destination that is not a country code or name; says which ones were understood."""


def status(db: Database, query: str, on: str | None = None,
           destination: str | list[str] | None = None, end_use: str | None = None,
           limit: int = 50, offset: int = 0,
           announcements_limit: int | None = 50) -> dict[str, Any]:
    """What applies to ``query`` on ``on``: the strictest measure in force with its scope,
    the newest ``announcements_limit`` announcements (None: all) and their matched parts
    (state, since, until, cause, match kind), the measures covering every dual-use item to
    the destination, and items ``offset`` to ``offset + limit``; counts cover everything
    matched (``total_items``, ``announcements_total``; ``items_more`` and
    ``announcements_more`` say how many were left out). ``found`` is False when nothing in the catalogue matched; then ``message``
    says what was searched, what the catalogue covers, and that this is not "not
    controlled". Plain dicts throughout (the CLI prints them; ``portfolio status`` reuses
    them).

    :param query: material or group, HS code or prefix, control code or prefix,
        announcement ID, or any other text (looked for in the items' texts)
    :param on: ``YYYY-MM-DD`` (default: today in Beijing, the regulator's calendar)
    :param destination: country codes or names (US, USA, 美国, Japan, "US,JP")
    :param end_use: an end use or end user that measures may be bound to, as written
        (``extract.end_use``: "missile guidance", "军用" read as military)
    :raises UnknownDestination: for a destination that is not a known country
    :raises QueryError: for a malformed date
    """
    from core.countries import UnknownCountry
    from extract.end_use import end_use_class
    from timeline.status import answer, destinations_of

    on = check_date(on, "--on")
    try:
        wanted = destinations_of(destination)
    except UnknownCountry as exc:
        raise UnknownDestination(str(exc)) from exc
    if limit < 0 or offset < 0:
        raise QueryError("--limit and --offset must not be negative")
    found = answer(db, query, on, wanted, end_use_class(end_use), limit,
                   normalise_announcement, offset, announcements_limit)
    if end_use and found["end_use"] != end_use.strip().lower():
        found["end_use_as_written"] = end_use  # "weapon sights", read as military
    return found


# -- changes --------------------------------------------------------------------------------

EVENTS = {("pending", "in_force"): "takes_effect", ("suspended", "in_force"): "in_force_again",
          ("not_issued", "in_force"): "issued_in_force", ("not_issued", "pending"): "issued"}


def event_of(previous: str | None, new: str, relation: str | None = None) -> str:
    """What a transition means to a reader: takes_effect (a date reached), in_force_again
    (a suspension ended), suspended, superseded, repealed, issued, changed."""
    previous = previous or "not_issued"
    if (previous, new) in EVENTS:
        return EVENTS[(previous, new)]
    if previous == new:
        return "amended" if relation == "amends" else "changed"
    return new


def changes(db: Database, since: str, until: str | None = None, material: str | None = None,
            hs: str | None = None, control: str | None = None,
            announcement: str | None = None, state: str | None = None,
            subject: str = "item", limit: int = 200) -> dict[str, Any]:
    """State changes that took effect between ``since`` and ``until`` (inclusive), newest
    first: ``total`` counts them all, ``changes`` lists the first ``limit`` and ``more``
    says how many were left out. Each has an ``event``: ``in_force_again`` when a
    suspension ends, ``takes_effect`` when a date is reached, ``suspended``, …

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
        value = (model.material_of(value) or value.lower()) if kind == "material" \
            else value.lower().replace(" ", "")
        where.append(_term_filter(db, kind, value))
        args += [kind, value] if kind == "material" else [kind, value, value + "\uffff"]
    clause = " and ".join(where)
    only_material = material and subject == "item" and not (hs or control or announcement
                                                             or state)
    total = _material_changes(db, model.material_of(material) or material.lower(), since,
                              until) if only_material else None
    if total is None:
        total = db.execute(f"select count(*) from intervals i where {clause}",
                           args).fetchone()[0]
    rows = db.execute(
        "select i.subject_id, i.subject_kind, i.announcement, s.key, s.label, i.state, i.start, "
        "i.end, i.prev_state, i.cause, i.relation, i.clause, i.reason "
        f"from intervals i join subjects s on s.id = i.subject_id where {clause} "
        "order by i.start desc, i.announcement, s.key limit ?", [*args, limit]).fetchall()
    items = _items(db, [r[0] for r in rows if r[1] != "announcement"])
    out = []
    for (subject_id, kind, number, key, label, new_state, start, end, prev_state, cause,
         relation, clause_label, reason) in rows:
        item = items.get(subject_id, {})
        out.append({
            "date": start, "subject_kind": kind, "subject": key, "announcement": number,
            "label": label, "control_code": item.get("control_code"),
            "provision": item.get("provision"), "text": item.get("text"),
            "materials": item.get("materials", []), "hs_codes": item.get("hs_codes", []),
            "measure": item.get("measure"), "from": prev_state or "not_issued",
            "to": new_state, "event": event_of(prev_state, new_state, relation),
            "until": end, "cause": cause, "relation": relation, "clause": clause_label,
            "reason": reason,
        })
    return {"since": since, "until": until, "total": total, "shown": len(out),
            "more": total - len(out), "order": "newest first", "changes": out}


def _material_changes(db: Database, material: str, since: str, until: str) -> int | None:
    """How many item intervals with the material start in the period, from the spans of
    the lots that carry it (timeline/spans.py: a lot's members share its intervals): one
    index range instead of a term check per interval. None when no spans are kept."""
    from timeline import spans

    if not spans.available(db):
        return None
    return db.execute(
        "select coalesce(sum(n), 0) from lot_spans where kind = 'material' and term = ? and "
        "start >= ? and start <= ? and instr(materials, ?) > 0",
        [material, since, until, json.dumps(material, ensure_ascii=False)]).fetchone()[0]


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
