"""``status``: what applies to a material, code, text or announcement on a date, and why.

Built so that it never answers "nothing applies" when something does:

- HS codes match up and down the hierarchy: a 10-digit query finds the 8-digit
  参考税则号列 line it falls under (``contained_in``) and an 8-, 6- or 4-digit query finds
  every code under it (``contains``); each match says which.
- A material finds the measures of the groups it belongs to (dysprosium → rare earths),
  and a group finds its members' (rare earths → the 17 elements); HS and control-code
  queries reach the clause-level measures of their items' materials (No. 46 二 names
  gallium, not codes).
- Destinations are ISO codes from any spelling (core/countries.py); measures that cover
  every dual-use item to the destination are listed apart, marked as such.
- Text that is not a material, code or announcement is looked for in the items' own
  texts, with English goods words mapped to the Chinese ones (extract/items.py), and
  the answer says so.
- Nothing found says what was searched and what the catalogue covers: "not found in the
  catalogue" is not "not controlled".

The item model (measures, scope, materials) is the extractor's (extract/items.py); this
module only looks rows up and reads their intervals on the date.
"""

from __future__ import annotations

import heapq
import json
import re
import sqlite3
from typing import Any

from sqlite_utils import Database

from core import han
from extract import items as model
from extract import substances
from extract.clauses import clause_parts
from store.catalogue import rows_at_once
from timeline import lots, near, span_status, spans

HS = re.compile(r"^\d{2,10}$")
CONTROL = re.compile(r"^\d[A-Ea-e](\d{1,3}(\.[A-Za-z0-9]+)*\.?)?$")
HAN = han.HAN
MATCH_RANK = {"exact": 0, "contained_in": 1, "contains": 2, None: 3}
PART_FIELDS = ("announcement", "provision", "kind", "measure", "destinations", "scope",
               "destination_wide", "state", "since", "until", "cause", "match", "via_group",
               "via_material")
ROW_FIELDS = ("subject_id", "item_key", "kind", "announcement", "control_code", "text",
              "text_en", "materials", "hs_codes", "provision", "effective_date", "measure",
              "scope", "destinations", "destination_wide", "ordinal", "announcement_date")


def _split_destinations(value: str | list[str] | None) -> list[str]:
    if not value:
        return []
    texts = value if isinstance(value, list) else [value]
    out: list[str] = []
    for text in texts:
        out += [p.strip() for p in re.split(r"[,;，；、/]", text) if p.strip()]
    return out


def destinations_of(value: str | list[str] | None) -> list[str]:
    """ISO alpha-2 codes for ``US`` / ``USA,Japan`` / ``美国`` / ``["US", "日本"]``.

    :raises core.countries.UnknownCountry: naming what was not understood and what was
    """
    from core.countries import normalise_all

    return normalise_all(_split_destinations(value))


def classify(query: str, parse_number: Any) -> tuple[str, str]:
    """(kind, value): announcement, hs, control, group, material or text."""
    text = " ".join(query.split())
    compact = text.replace(".", "").replace(" ", "")
    if HS.match(compact):  # digits alone name no announcement (a year and a number do not
        return "hs", compact  # parse without 年/No./第): the parser is not even compiled
    material = model.material_of(text)  # no vocabulary name is a number or a control code
    if material:  # (tested): neither parser is asked
        return ("group" if model.members(material) and material not in model.members(material)
                else "material"), material
    number = parse_number(text)
    if number:
        return "announcement", number
    if CONTROL.match(text):
        return "control", text.lower()
    return "text", text


# -- matching: subject id → how it matched --------------------------------------------------

# the current provisions with a material: through the lots (a few) when they are built,
# else through every item with the material
PROVISIONS_BY_LOT = ("p.value", "join lot_terms pt on pt.kind = 'material' "
                     "and pt.term = ms.term join lots pl on pl.id = pt.lot_id "
                     "and pl.kind = 'provision' join json_each(pl.members) p group by p.value")
PROVISIONS_BY_ITEM = ("p.subject_id", "join item_terms p on p.kind = 'material' "
                      "and p.term = ms.term join items pi on pi.subject_id = p.subject_id "
                      "and pi.current = 1 and pi.kind = 'provision' group by p.subject_id")


def _matches(db: Database, kind: str, value: str, on: str
             ) -> tuple[str, list[Any], dict[str, Any]]:
    """SQL ``(subject_id, rank, match, via_group, via_material)`` for the query, and notes."""
    notes: dict[str, Any] = {}
    if kind == "announcement":
        return ("select id, 3, null, null, null from subjects where announcement = ? "
                "and kind != 'announcement'", [value], notes)
    if kind in ("hs", "control"):
        prefixes = [value[:k] for k in range(2, len(value))
                    if value[:k] and not value[:k].endswith(".")]
        marks = ",".join("?" for _ in prefixes) or "null"
        direct = ("select subject_id, case when term = ? then 0 else 2 end, "
                  "case when term = ? then 'exact' else 'contains' end, null, null "
                  "from item_terms where kind = ? and term >= ? and term < ? "
                  f"union all select subject_id, 1, 'contained_in', null, null from item_terms "
                  f"where kind = ? and term in ({marks})")
        args = [value, value, kind, value, value + "\uffff", kind, *prefixes]
        # clause-level measures (no codes of their own) reach the code through the materials
        # of its items controlled on the date: No. 46 二 names gallium, not gallium's codes
        # (the distinct materials first: joining each matched item to every item of its
        # material would visit rows by the billion on a large catalogue)
        subject, provisions = PROVISIONS_BY_LOT if lots.available(db) else PROVISIONS_BY_ITEM
        via = (f"select {subject}, 4, null, null, min(ms.term) from (select distinct mt.term "
               f"from ({direct}) d join intervals di on di.subject_id = d.subject_id "
               "and di.retired_in is null and di.state = 'in_force' and di.start <= ? "
               "and (di.end is null or di.end >= ?) join item_terms mt on mt.kind = 'material' "
               f"and mt.subject_id = d.subject_id) ms {provisions}")
        return f"{direct} union all {via}", [*args, *args, on, on], notes
    if kind == "text":
        ids = _text_subjects(db, value)
        notes["fallback"] = "text"
        notes["concepts"] = [list(c) for c in model.text_concepts(value)]
        return "select value, 3, null, null, null from json_each(?)", [json.dumps(ids)], notes
    direct, via = _material_terms(kind, value, notes)
    parts = []
    args: list[Any] = []
    if direct:
        parts.append("select subject_id, 3, null, null, null from item_terms "
                     f"where kind = 'material' and term in ({','.join('?' for _ in direct)})")
        args += direct
    if via:
        parts.append("select subject_id, 5, null, term, null from item_terms "
                     f"where kind = 'material' and term in ({','.join('?' for _ in via)})")
        args += via
    return " union all ".join(parts), args, notes


def _material_terms(kind: str, value: str, notes: dict[str, Any]
                    ) -> tuple[list[str], list[str]]:
    """(direct, via) material terms of a material or group query (timeline/spans.py has
    the one definition), noting the members and groups for the answer."""
    direct, via = spans.question_terms(kind, value)
    if kind == "group":
        notes["members"] = model.members(value)
    notes["groups"] = via
    return direct, via


def _text_subjects(db: Database, text: str, limit: int = 5000) -> list[int]:
    """Items whose own text (Chinese or English) has every concept of the query."""
    from timeline.search import fold

    concepts = [[fold(a) for a in c] for c in model.text_concepts(text)]
    if not concepts:
        return []
    first = " or ".join("instr(lower(coalesce(text, '') || ' ' || coalesce(text_en, '')), ?) > 0"
                        for _ in concepts[0])
    found = []
    for subject_id, item_text, item_en in db.execute(
            f"select subject_id, text, text_en from items where current = 1 and ({first})",
            concepts[0]):
        haystack = fold(f"{item_text or ''} {item_en or ''}")
        if all(any(a in haystack for a in alternatives) for alternatives in concepts):
            found.append(subject_id)
            if len(found) >= limit:
                break
    return found


# -- the answer -----------------------------------------------------------------------------

def _best(matched_sql: str) -> str:
    """One row per subject with its closest match (the row of ``min(rank)``, as SQLite
    takes bare columns from the row an aggregate ``min`` picks)."""
    return ("with mm(subject_id, rank, how, via_group, via_material) as "
            f"({matched_sql}) select subject_id, min(rank) as rank, how, via_group, "
            "via_material from mm where subject_id is not null group by subject_id")


def _where(kind: str, destinations: list[str]) -> tuple[str, list[Any]]:
    """Rows of a non-announcement query that cover every dual-use item to a destination
    are listed apart; rows bound to destinations count only for those asked about."""
    where = "1" if kind == "announcement" else "coalesce(it.destination_wide, 0) = 0"
    if not destinations:
        return where, []
    ors = " or ".join("instr(it.destinations, ?) > 0" for _ in destinations)
    return f"{where} and (it.destinations is null or {ors})", [f",{d}," for d in destinations]


def _item_base(best: str, kind: str, destinations: list[str]) -> tuple[str, list[Any]]:
    """FROM … WHERE of matched items (``best``: one row per subject) with their interval on
    the date (two ``?`` for the date, then the destinations)."""
    where, dest_args = _where(kind, destinations)
    return (f"from ({best}) m join items it on it.subject_id = m.subject_id and it.current = 1 "
            "left join intervals i on i.subject_id = m.subject_id and i.retired_in is null "
            f"and i.start <= ? and (i.end is null or i.end >= ?) where {where}", dest_args)


def answer(db: Database, query: str, on: str, destinations: list[str], end_use: str | None,
           limit: int, parse_number: Any, offset: int = 0,
           announcements_limit: int | None = 50) -> dict[str, Any]:
    """The status answer as plain dicts (see :func:`timeline.queries.status`)."""
    kind, value = classify(query, parse_number)
    unknown_number = kind == "announcement" and not db.execute(
        "select 1 from announcements where number = ?", [value]).fetchone()
    src = None if unknown_number else span_status.source(db, kind, value, on)
    if src is not None:
        return _span_answer(db, query, kind, value, on, destinations, end_use, limit,
                            offset, announcements_limit, src)
    matched_sql, args, notes = ("select null, 0, null, null, null where 0", [], {}) \
        if unknown_number else _matches(db, kind, value, on)
    base, dest_args = _item_base(_best(matched_sql), kind, destinations)
    count = "count(*)"
    params = [*args, on, on, *dest_args]
    groups = db.execute(
        "select it.announcement, it.provision, it.kind, it.measure, it.destinations, "
        "it.scope, it.destination_wide, i.state, i.start, i.end, i.cause, m.how, "
        f"m.via_group, m.via_material, {count}, max(it.announcement_date), min(it.ordinal) "
        f"{base} group by it.announcement, it.provision, it.kind, it.measure, "
        "it.destinations, it.scope, i.state, i.start, i.end, i.cause, m.how, m.via_group, "
        "m.via_material", params).fetchall()
    parts: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    later = 0
    scopes: dict[str | None, dict[str, Any]] = {}
    for row in groups:
        if row[7] is None and kind != "announcement":
            later += row[14]
            continue
        part = dict(zip(PART_FIELDS, row[:14], strict=True))
        if row[5] not in scopes:
            scopes[row[5]] = json.loads(row[5]) if row[5] else {}
        part["scope"] = scopes[row[5]]
        part["destination_wide"] = bool(part["destination_wide"])
        part["count"], part["announcement_date"], part["ordinal"] = row[14], row[15], row[16]
        part["clause"] = part["provision"]
        part["state"] = part["state"] or "not_issued"
        counts[part["state"]] = counts.get(part["state"], 0) + part["count"]
        parts.append(part)
    total = sum(counts.values())
    items = _listing(db, base, params, limit, offset) if parts and limit > 0 else []
    wide = _destination_wide(db, on, destinations)
    listed, announcements_total = _announcements(
        db, kind, value, parts, on, args if not unknown_number else None, announcements_limit)
    headline = _headline(parts, wide, end_use)
    found = bool(parts or (announcements_total and kind != "text"))
    result = {
        "query": query, "kind": kind, "value": value, "on": on,
        "destination": destinations[0] if len(destinations) == 1 else
        (destinations or None), "destinations": destinations, "end_use": end_use,
        "found": found, "fallback": notes.get("fallback"), "members": notes.get("members"),
        "groups": notes.get("groups"), "controlled": counts.get("in_force", 0) > 0,
        "headline": headline, "measure": _legacy(headline), "counts": counts,
        "total_items": total, "not_yet_issued": later,
        "announcements": listed, "announcements_total": announcements_total,
        "announcements_more": announcements_total - len(listed),
        "destination_wide": wide, "items": items, "offset": offset,
        "items_more": max(0, total - offset - len(items)),
    }
    result["searched"] = _searched(result, notes)
    if not found and kind == "text":
        read = _read_as_material(db, query, on, destinations, end_use, limit, parse_number,
                                 offset, announcements_limit)
        if read is not None:
            return read
    if found and kind == "text":
        _also_materials(db, result, on, destinations, end_use, parse_number)
    if not found:
        _nothing_found(db, result)
    return result


def _also_materials(db: Database, result: dict[str, Any], on: str, destinations: list[str],
                    end_use: str | None, parse_number: Any) -> None:
    """A question an item's own text names that also names a material loosely
    (``graphite anode material``: No. 58's anode items, suspended): the measures in force
    on that material which the answer does not show in force, in ``also``, so a match of
    the words never stands for the material's own controls ("no measure in force" while
    its material's list is)."""
    shown = {a["number"] for a in result["announcements"] if a.get("state") == "in_force"}
    also = []
    for material in substances.materials_of(result["query"]):
        found = answer(db, material, on, destinations, end_use, 0, parse_number)
        if found["headline"] is None:
            continue
        numbers = [n for n in dict.fromkeys([found["headline"]["announcement"], *(
            a["number"] for a in found["announcements"] if a.get("state") == "in_force")])
            if n not in shown]  # the strictest first, then the newest (a material lists many)
        if numbers:
            also.append({"material": material, "headline": found["headline"],
                         "announcements": numbers})
    if also:
        result["also"] = also


def _read_as_material(db: Database, query: str, on: str, destinations: list[str],
                      end_use: str | None, limit: int, parse_number: Any, offset: int,
                      announcements_limit: int | None) -> dict[str, Any] | None:
    """A question no item's own text names, read as the material it names loosely
    (``extract.substances``: ``antimony trioxide``, ``GeO2``, ``silver paste``): the
    first of its materials the catalogue lists, answered for that material and saying
    so in ``read_as``; None when it names none or none is listed."""
    materials = substances.materials_of(query)
    for material in materials:
        found = answer(db, material, on, destinations, end_use, limit, parse_number, offset,
                       announcements_limit)
        if found["found"]:
            found["read_as"] = {"query": query, "materials": materials, "material": material}
            found["query"] = query
            found["searched"] = (f"the items' own texts for {query!r}, which name it nowhere; "
                                 f"then {found['searched']}")
            return found
    return None


def _span_answer(db: Database, query: str, kind: str, value: str, on: str,
                 destinations: list[str], end_use: str | None, limit: int, offset: int,
                 announcements_limit: int | None, src: tuple[str, list[Any]]
                 ) -> dict[str, Any]:
    """:func:`answer` from spans (timeline/span_status.py): the same answer, with totals
    from aggregates and detail read only for the announcements shown."""
    notes: dict[str, Any] = {}
    if kind in ("material", "group"):
        _material_terms(kind, value, notes)
    forms = span_status.shapes(db)
    wanted = {sid for sid, form in forms.items() if span_status.allowed(form, destinations)}
    totals = span_status.totals(db, src, on, kind, value, wanted)
    extra = totals["extra"]
    counts = totals["counts"]
    total = sum(counts.values())
    need = offset + limit if total and limit > 0 else 0

    def keep(lot: dict[str, Any]) -> bool:
        return span_status.allowed({"destination_wide": bool(lot["destination_wide"]),
                                    "destinations": lot["destinations"]}, destinations)

    own = list(dict.fromkeys(_own_lists(db, kind, value)))
    term = span_status.announcement_term(kind, value)
    reached: dict[str, tuple[str, int]] = {}  # clause-level rows reached through materials
    if term:
        for row in extra:
            if row[1] is not None and row[2] in wanted:
                adate, n = reached.get(row[8], (row[7] or "", 0))
                reached[row[8]] = (adate, n + row[3])
        rowed = span_status.matched_among(db, term, [*own, *reached], on, destinations)
        reached = {k: v for k, v in reached.items() if k not in rowed}
        answering = rowed | set(reached)
    else:
        ranked = span_status.ranked(db, src, extra, wanted)
        count, answering = len(ranked), {number for number, _, _ in ranked}
    more = _issued(db, [n for n in own if n not in answering], on)
    scan = need
    while True:
        if term:
            count, ranked = span_status.newest_announcements(
                db, term, on, destinations, announcements_limit, scan)
            count += len(reached)
            ranked += [(number, adate, n) for number, (adate, n) in reached.items()]
        every = [(number, adate) for number, adate, _ in ranked] + more
        newest = (sorted(every, key=lambda r: (r[1], r[0]), reverse=True)
                  if announcements_limit is None else
                  heapq.nlargest(announcements_limit, every, key=lambda r: (r[1], r[0])))
        page = [number for number, _ in newest]
        listing: list[str] = []
        seen = 0  # items are listed newest announcement first, then by number
        for number, _, n in _newest_first(ranked, scan) if scan else []:
            if seen >= scan:
                break
            listing.append(number)
            seen += n
        rows = span_status.lot_rows(db, (kind, value), extra,
                                    sorted(set(page) | set(listing)), keep, on)
        # an announcement's items are counted whatever their destinations: with a
        # destination asked, read further until the page of items is full
        got = sum(r["count"] for r in rows if r["announcement"] in set(listing))
        if got >= need or len(listing) >= count or not destinations or scan >= total:
            break  # (without a destination an announcement's count is exact)
        scan = max(scan * 2, need * 2)
    parts = _parts_of(rows)
    wide = _destination_wide(db, on, destinations)
    headline = _headline(_parts_of(_headline_rows(db, (kind, value), extra, totals["groups"],
                                                  forms, end_use, on)), wide, end_use)
    by_number: dict[str, list[dict[str, Any]]] = {}
    for part in parts:
        by_number.setdefault(part["announcement"], []).append(part)
    listed = [_with_matched(info, by_number.get(number, [])) for number in page
              if (info := announcement_state(db, number, on)) is not None]
    in_listing = set(listing)
    chosen = sorted(sorted(((r["lot_id"], r["announcement"], r["count"], r["rank"], r["match"],
                             r["via_group"], r["via_material"], r["announcement_date"] or "",
                             r["ordinal"] or 0) for r in rows
                            if r["announcement"] in in_listing), key=lambda r: (r[1], r[8])),
                    key=lambda r: r[7], reverse=True)
    items = _lot_listing(db, kind, value, [r[:7] for r in chosen], on, limit, offset,
                         destinations) if listing else []
    result = {
        "query": query, "kind": kind, "value": value, "on": on,
        "destination": destinations[0] if len(destinations) == 1 else
        (destinations or None), "destinations": destinations, "end_use": end_use,
        "found": bool(counts or count or more), "fallback": None, "members": notes.get("members"),
        "groups": notes.get("groups"), "controlled": counts.get("in_force", 0) > 0,
        "headline": headline, "measure": _legacy(headline), "counts": counts,
        "total_items": total, "not_yet_issued": totals["later"],
        "announcements": listed, "announcements_total": count + len(more),
        "announcements_more": count + len(more) - len(listed),
        "destination_wide": wide, "items": items, "offset": offset,
        "items_more": max(0, total - offset - len(items)),
    }
    result["searched"] = _searched(result, notes)
    if not result["found"]:
        _nothing_found(db, result)
    return result


def _newest_first(ranked: list[tuple[str, str, int]], k: int) -> list[tuple[str, str, int]]:
    """The ``k`` (and those tied with the last) newest announcements, newest first and by
    number within a day, without sorting them all."""
    top = heapq.nlargest(k, ranked, key=lambda r: r[1])
    if not top:
        return []
    cutoff = top[-1][1]
    chosen = sorted((r for r in ranked if r[1] >= cutoff), key=lambda r: r[0])
    return sorted(chosen, key=lambda r: r[1], reverse=True)


def _issued(db: Database, numbers: list[str], on: str) -> list[tuple[str, str]]:
    """(number, issue date) of those announcements issued by ``on`` (their own interval
    covers it): the ones whose own lists name the query, checked in one query."""
    if not numbers:
        return []
    return [(number, issue or "") for number, issue in db.execute(
        "select a.number, a.issue_date from announcements a join subjects s on s.key = a.number "
        "where a.number in (select value from json_each(?)) and exists (select 1 from "
        "intervals i where i.subject_id = s.id and i.retired_in is null and i.start <= ? "
        "and (i.end is null or i.end >= ?))", [json.dumps(numbers), on, on])]


def _parts_of(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lot rows (span_status.lot_rows) grouped as the item path groups items into parts."""
    parts: dict[tuple, dict[str, Any]] = {}
    scopes: dict[str | None, dict[str, Any]] = {}
    for row in rows:
        key = (row["announcement"], row["provision"], row["kind"], row["measure"],
               row["destinations"], row["scope"], row["state"], row["since"], row["until"],
               row["cause"], row["match"], row["via_group"], row["via_material"])
        part = parts.get(key)
        if part is None:
            if row["scope"] not in scopes:
                scopes[row["scope"]] = json.loads(row["scope"]) if row["scope"] else {}
            part = parts[key] = {k: row[k] for k in PART_FIELDS}
            part.update(scope=scopes[row["scope"]], count=0, clause=row["provision"],
                        destination_wide=bool(row["destination_wide"]),
                        announcement_date=row["announcement_date"], ordinal=row["ordinal"])
        part["count"] += row["count"]
        if row["ordinal"] is not None and (part["ordinal"] is None
                                           or row["ordinal"] < part["ordinal"]):
            part["ordinal"] = row["ordinal"]
        if (row["announcement_date"] or "") > (part["announcement_date"] or ""):
            part["announcement_date"] = row["announcement_date"]
    return list(parts.values())


def _headline_rows(db: Database, question: tuple[str, str], extra: list[tuple],
                   groups: dict[tuple, list[Any]], forms: dict[int, dict[str, Any]],
                   end_use: str | None, on: str) -> list[dict[str, Any]]:
    """The lot rows that can make the headline: of the measures in force (and, failing
    those, the superseded ones) that bind the query, the strictest and newest."""
    rank = model.measure_rank()
    out: list[dict[str, Any]] = []
    for state in ("in_force", "superseded"):
        candidates = {(shape, adate) for (s, shape, *_), (_, adate) in groups.items()
                      if s == state and forms[shape]["measure"]
                      and _applies(forms[shape]["scope"], end_use)}
        if not candidates:
            continue
        top = max((rank.get(forms[shape]["measure"], 0), adate or "")
                  for shape, adate in candidates)
        for shape, adate in sorted(candidates, key=lambda c: (c[0], c[1] or "")):
            if (rank.get(forms[shape]["measure"], 0), adate or "") == top:
                out += span_status.resolve(db, question, extra, state, forms[shape], adate,
                                           on)
    return out


def _listing(db: Database, base: str, params: list[Any], limit: int,
             offset: int = 0) -> list[dict[str, Any]]:
    """Matched rows ``offset`` to ``offset + limit``, most recent announcement first, with
    their state."""
    rows = db.execute(
        f"select {', '.join('it.' + c for c in ROW_FIELDS)}, m.how, m.via_group, "
        f"m.via_material, i.state, i.start, i.end, i.cause, i.reason, i.chain {base} "
        "and i.id is not null order by it.announcement_date desc, it.announcement, it.ordinal "
        "limit ? offset ?", [*params, limit, offset]).fetchall()
    out = []
    for row in rows:
        item = dict(zip(ROW_FIELDS, row[:len(ROW_FIELDS)], strict=True))
        rest = row[len(ROW_FIELDS):]
        for key in ("materials", "hs_codes", "scope"):
            item[key] = json.loads(item[key]) if item[key] else ([] if key != "scope" else {})
        item["destination_wide"] = bool(item["destination_wide"])
        item.update(dict(zip(("match", "via_group", "via_material", "state", "since", "until",
                              "cause", "reason"), rest[:8], strict=True)))
        steps = json.loads(rest[8]) if rest[8] else []
        item["chain"] = [{"announcement": item["announcement"], "role": "subject",
                          **({"provision": item["provision"]} if item["provision"] else {})},
                         *steps]
        item["why"] = why(item["chain"])
        out.append(item)
    return out


def _lot_listing(db: Database, kind: str, value: str, chosen: list[tuple], on: str,
                 limit: int, offset: int, destinations: list[str]) -> list[dict[str, Any]]:
    """:func:`_listing` for a span answer: ``chosen`` are the matched lots (lot id,
    announcement, n, rank, how, via group, via material) of the first announcements that
    hold ``offset + limit`` matched items, newest first; they are read item by item (each
    with how it matched)."""
    if not chosen:
        return []
    members = {lot_id: json.loads(m) for lot_id, m in db.execute(
        "select id, members from lots where id in (select value from json_each(?))",
        [json.dumps(sorted({r[0] for r in chosen}))])}
    codes: dict[int, list[str]] = {}
    if kind in ("hs", "control"):
        ids = [sid for r in chosen for sid in members[r[0]]]
        codes = {sid: (json.loads(h) if h else []) if kind == "hs" else
                 ([c.lower()] if c else []) for sid, h, c in db.execute(
                     "select subject_id, hs_codes, control_code from items where current = 1 "
                     "and subject_id in (select value from json_each(?))", [json.dumps(ids)])}
    matched: dict[int, list[Any]] = {}
    for lot_id, _, _, rank, how, via_group, via_material in sorted(chosen, key=lambda r: r[3]):
        for sid in members[lot_id]:
            if sid in matched:
                continue
            if kind in ("hs", "control") and how is not None:
                has = codes.get(sid, [])
                if how != ("exact" if value in has else "contains" if any(
                        c.startswith(value) for c in has) else None):
                    continue
            matched[sid] = [sid, rank, how, via_group, via_material]
    best = ("select json_extract(value, '$[0]') as subject_id, json_extract(value, '$[1]') "
            "as rank, json_extract(value, '$[2]') as how, json_extract(value, '$[3]') as "
            "via_group, json_extract(value, '$[4]') as via_material from json_each(?)")
    item_base, dest_args = _item_base(best, kind, destinations)
    return _listing(db, item_base, [json.dumps(list(matched.values())), on, on, *dest_args],
                    limit, offset)


def why(chain: list[dict[str, Any]]) -> str:
    """``MOFCOM-2024-46 → MOFCOM-2025-72 suspends clause 二 from … until …``."""
    return " → ".join(
        step["announcement"] + ("" if step.get("role") == "subject" else f" {step['relation']}"
                                + (f" clause {step['clause']}" if step.get("clause") else "")
                                + f" from {step['from']}"
                                + (f" until {step['until']}" if step.get("until") else ""))
        for step in chain)


def _destination_wide(db: Database, on: str, destinations: list[str]) -> list[dict[str, Any]]:
    """Measures on every dual-use item to the destination (No. 46 一, 2026 No. 1)."""
    if not destinations:
        return []
    ors = " or ".join("instr(it.destinations, ?) > 0" for _ in destinations)
    rows = db.execute(
        "select it.announcement, it.provision, it.measure, it.scope, it.text, i.state, "
        "i.start, i.end, i.cause from items it join intervals i on i.subject_id = it.subject_id "
        "and i.retired_in is null and i.start <= ? and (i.end is null or i.end >= ?) "
        f"where it.current = 1 and it.destination_wide = 1 and ({ors}) "
        "order by it.announcement_date, it.ordinal",
        [on, on, *[f",{d}," for d in destinations]]).fetchall()
    return [{"announcement": r[0], "provision": r[1], "clause": r[1], "measure": r[2],
             "scope": json.loads(r[3]) if r[3] else {}, "text": r[4], "state": r[5],
             "since": r[6], "until": r[7], "cause": r[8], "destination_wide": True}
            for r in rows]


def _announcements(db: Database, kind: str, value: str, parts: list[dict[str, Any]], on: str,
                   args: list[Any] | None, limit: int | None = None
                   ) -> tuple[list[dict[str, Any]], int]:
    """The announcements with matched parts (and those whose own lists name the query),
    newest first: the first ``limit`` of them (all for None) with their state, and how
    many there are."""
    by_number: dict[str, list[dict[str, Any]]] = {}
    dates: dict[str, str] = {}
    for part in parts:
        by_number.setdefault(part["announcement"], []).append(part)
        dates[part["announcement"]] = part["announcement_date"] or ""
    extra: list[str] = []
    if kind == "announcement" and args is not None and value not in by_number:
        extra.append(value)
    if kind in ("material", "group", "hs", "control") and args is not None:
        extra += [n for n in _own_lists(db, kind, value) if n not in by_number and n not in extra]
    states: dict[str, dict[str, Any] | None] = {}
    for number in extra:  # few: kept only when known and issued (or asked for by number)
        info = announcement_state(db, number, on)
        if info is None or (info["state"] == "not_issued" and kind != "announcement"):
            continue
        states[number] = info
        dates[number] = info["issue_date"] or ""
    numbers = sorted([*by_number, *states], key=lambda n: (dates[n], n), reverse=True)
    out = [_with_matched(info, by_number.get(number, []))
           for number in (numbers if limit is None else numbers[:limit])
           if (info := states.get(number) or announcement_state(db, number, on)) is not None]
    return out, len(numbers)


def matched_order(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An announcement's matched parts as an answer lists them: by clause, closeness of
    match and place in its list."""
    if len(parts) < 2:
        return list(parts)
    return sorted(parts, key=lambda p: (
        clause_parts(p["provision"]), MATCH_RANK.get(p["match"], 3), p["ordinal"] or 0))


def _with_matched(info: dict[str, Any], parts: list[dict[str, Any]]) -> dict[str, Any]:
    """An announcement's state with its matched parts (:func:`matched_order`)."""
    info["matched"] = [{k: p[k] for k in (*PART_FIELDS, "clause", "count")}
                       for p in matched_order(parts)]
    return info


def _own_lists(db: Database, kind: str, value: str) -> list[str]:
    """Announcements whose own lists (not their items) name the material or code."""
    if kind in ("material", "group"):
        terms = [value, *(model.members(value) if kind == "group" else [])]
        sql = (f"select s.key from item_terms t join subjects s on s.id = t.subject_id "
               f"where t.kind = 'a_material' and t.term in ({','.join('?' for _ in terms)})")
        return [r[0] for r in db.execute(sql, terms)]
    return [r[0] for r in db.execute(
        "select s.key from item_terms t join subjects s on s.id = t.subject_id "
        "where t.kind = ? and t.term >= ? and t.term < ?", ["a_" + kind, value, value + "\uffff"])]


def announcement_state(db: Database, number: str, on: str) -> dict[str, Any] | None:
    """An announcement's own state on ``on`` (``not_issued`` before its issue date)."""
    return announcement_states(db, [number], on).get(number)


def announcement_states(db: Database, numbers: list[str], on: str
                        ) -> dict[str, dict[str, Any]]:
    """:func:`announcement_state` of each known announcement of ``numbers``, in one read."""
    return {number: state_on(fields, intervals, on)
            for number, (fields, intervals) in state_rows(db, numbers, on, on).items()}


STATE_FIELDS = ("number", "title", "in_catalogue", "issue_date", "effective_date",
                "document_id")


def state_rows(db: Database, numbers: list[str], first: str, last: str
               ) -> dict[str, tuple[tuple, list[tuple]]]:
    """Each known announcement of ``numbers``: its fields (:data:`STATE_FIELDS`) and its
    own current intervals overlapping the days ``first`` to ``last``, latest start first
    (:func:`state_on` reads a day's state from them)."""
    asked = json.dumps(sorted(set(numbers)))
    out: dict[str, tuple[tuple, list[tuple]]] = {
        row[0]: (row, []) for row in rows_at_once(
            db, ", ".join("a." + f for f in STATE_FIELDS), "from announcements a "
            "where a.number in (select value from json_each(?))", [asked])}
    for number, *interval in rows_at_once(
            db, "s.key, i.state, i.start, i.end, i.cause, i.reason, i.chain", "from "
            "subjects s join intervals i on i.subject_id = s.id and i.retired_in is null "
            "and i.start <= ? and (i.end is null or i.end >= ?) where s.key in "
            "(select value from json_each(?))", [last, first, asked]):
        if number in out:
            out[number][1].append(tuple(interval))
    for _, intervals in out.values():
        if len(intervals) > 1:
            intervals.sort(key=lambda i: i[1], reverse=True)
    return out


def state_on(fields: tuple, intervals: list[tuple], on: str) -> dict[str, Any]:
    """An announcement's own state on ``on`` from :func:`state_rows` (``not_issued``
    before its issue date): the interval covering the day that started last."""
    interval = next((i for i in intervals if i[1] <= on and (i[2] is None or i[2] >= on)),
                    None)
    info = dict(zip(STATE_FIELDS, fields, strict=True))
    info["in_catalogue"] = bool(info["in_catalogue"])
    keys = ("state", "since", "until", "cause", "reason")
    info.update(dict(zip(keys, interval[:5], strict=True)) if interval else
                {"state": "not_issued", "since": None, "until": None, "cause": None,
                 "reason": None})
    own = {"announcement": info["number"], "role": "subject"}
    if info["effective_date"]:
        own["effective"] = info["effective_date"]
    info["chain"] = [own, *(json.loads(interval[5]) if interval and interval[5] else [])]
    info["why"] = why(info["chain"]) if interval else "not issued yet on that date"
    return info


# -- headline -------------------------------------------------------------------------------

def _applies(scope: dict[str, Any], end_use: str | None) -> bool:
    """A measure bound to an end use or end user counts only when the query names it."""
    conditions = set(scope.get("end_uses") or []) | set(scope.get("end_users") or [])
    return not conditions or (end_use is not None and end_use in conditions)


def _headline(parts: list[dict[str, Any]], wide: list[dict[str, Any]],
              end_use: str | None) -> dict[str, Any] | None:
    """The strictest measure in force, with its scope and the clause that matched."""
    rank = model.measure_rank()
    candidates = [p for p in parts if p["state"] == "in_force" and p["measure"]
                  and _applies(p["scope"], end_use)]
    candidates += [w for w in wide if w["state"] == "in_force" and w["measure"]
                   and _applies(w["scope"], end_use)]
    via = None
    if not candidates:
        # an item absorbed into a list or catalogue (superseded) is still controlled, under
        # its successor, even when the successor's own list is not in the catalogue
        candidates = [p for p in parts if p["state"] == "superseded" and p["measure"]
                      and _applies(p["scope"], end_use)]
        if not candidates:
            return None
        via = True
    best = max(candidates, key=lambda p: (rank.get(p["measure"], 0),
                                          p.get("announcement_date") or "",
                                          -(p.get("ordinal") or 0)))
    scope = best["scope"] or {}
    headline = {"measure": best["measure"], "label": model.measure_label(best["measure"]),
                "announcement": best["announcement"], "clause": best["provision"],
                "provision": best["provision"], "scope": scope,
                "destination_wide": best.get("destination_wide", False),
                "since": best.get("since"), "via": best.get("cause") if via else None}
    headline["summary"] = " — ".join(x for x in (
        headline["label"], scope_text(scope),
        f"{best['announcement']}{' ' + best['provision'] if best['provision'] else ''}") if x)
    if headline["via"]:
        headline["summary"] += f" (continued under {headline['via']})"
    return headline


def scope_text(scope: dict[str, Any]) -> str:
    """``exports to US, military end use`` / ``all destinations``."""
    bits = []
    if scope.get("destinations"):
        bits.append("exports to " + ", ".join(scope["destinations"]))
    else:
        bits.append("all destinations")
    if scope.get("end_users"):
        bits.append(", ".join(scope["end_users"]) + " end users")
    if scope.get("end_uses"):
        bits.append(", ".join(scope["end_uses"]) + " end uses")
    if scope.get("value_thresholds"):
        bits.append("value share ≥ " + ", ".join(scope["value_thresholds"]))
    return ", ".join(bits)


def _legacy(headline: dict[str, Any] | None) -> dict[str, Any] | None:
    if headline is None:
        return None
    return {"measure": headline["measure"], "announcement": headline["announcement"],
            "provision": headline["provision"], "via": headline["via"]}


# -- nothing found --------------------------------------------------------------------------

def searched_on(searched: str, was: str, on: str) -> str:
    """The same search (an answer's ``searched``, made on ``was``) on another day."""
    what, found, where = searched.rpartition(f" on {was}")
    return f"{what} on {on}{where}" if found else searched


def _searched(result: dict[str, Any], notes: dict[str, Any]) -> str:
    kind, value = result["kind"], result["value"]
    what = {
        "hs": f"HS code {value}, the lines it falls under and the codes under it",
        "control": f"control code {value} and the codes under it",
        "material": f"material {value}" + (f" and its groups ({', '.join(notes['groups'])})"
                                           if notes.get("groups") else ""),
        "group": f"{value} and its members ({', '.join(notes.get('members') or [])})",
        "text": f"the items' own texts (Chinese and English) for {value!r}",
        "announcement": f"announcement {value}",
    }[kind]
    where = f" on {result['on']}"
    if result["destinations"]:
        where += ", exports to " + ", ".join(result["destinations"])
    return what + where


_COVERAGE: dict[tuple[str, str | None], dict[str, Any]] = {}


def coverage(db: Database) -> dict[str, Any]:
    """What the catalogue holds: announcements, items, sources and the dates they span.

    Counting a million items takes a third of a second, so the figures are kept per
    catalogue file and timeline watermark (they change only when the timeline does)."""
    key = None
    if "meta" in db.table_names():
        mark = db.execute("select value from meta where key = 'timeline_watermark'").fetchone()
        try:
            path = db.execute("select file from pragma_database_list where name = 'main'"
                              ).fetchone()
        except sqlite3.DatabaseError:
            # The web catalogue hides file paths from SQL; its connections live as long
            # as the server, so the connection itself names the catalogue there.
            path = (f"connection {id(db.conn)}",)
        if mark and path and path[0]:
            key = (path[0], mark[0])
    if key in _COVERAGE:
        return dict(_COVERAGE[key])
    found = _coverage(db)
    if key is not None:
        _COVERAGE[key] = found
    return dict(found)


def _coverage(db: Database) -> dict[str, Any]:
    row = db.execute("select count(*), min(issue_date), max(issue_date) from announcements "
                     "where in_catalogue = 1").fetchone()
    items = db.execute("select count(*) from items where current = 1 and kind = 'item'"
                       ).fetchone()[0]
    sources = [r[0] for r in db.execute("select distinct source from documents order by 1")] \
        if "documents" in db.table_names() else []
    return {"announcements": row[0], "items": items, "from": row[1], "to": row[2],
            "sources": sources}


def _nothing_found(db: Database, result: dict[str, Any]) -> None:
    """What an answer that found nothing says: what the catalogue covers and, for an HS
    code, the codes near it that the catalogue lists (``timeline.near``)."""
    result["coverage"] = coverage(db)
    if result["kind"] == "hs":
        result["near"] = near.near_codes(db, [result["value"]], result["on"]).get(
            result["value"], [])
    result["message"] = nothing_found_message(result)


def nothing_found_message(result: dict[str, Any]) -> str:
    cov = result.get("coverage") or {}
    nearby = near.near_text(result.get("near"))
    return (f"Nothing found in the catalogue for {result['query']!r} (searched {result['searched']}). "
            + (f"{nearby} " if nearby else "") +
            f"The catalogue covers {cov.get('announcements', 0)} announcements with "
            f"{cov.get('items', 0)} listed items from {', '.join(cov.get('sources') or []) or '-'}"
            f", issued {cov.get('from') or '-'} to {cov.get('to') or '-'}. "
            "Not found in the catalogue is not the same as not controlled: check the goods "
            "against the dual-use list and the licensing authority before exporting.")
