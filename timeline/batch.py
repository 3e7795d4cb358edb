"""``status`` for many questions on one date, in a few queries: what a portfolio asks.

A portfolio of 5,000 products asks about 5,000 HS codes and a few dozen materials, each
for its destination. Asked one by one (timeline/status.py), a broad material reads
every one of its 28,000 announcements in full at 100k announcements, and the
portfolio takes minutes. Here every question of a date is answered together:

- one aggregate over the spans of all the material questions, and one over all the
  code questions, find each question's groups of matched lots (state, shape, how it
  matched, whether the lot can name goods; timeline/spans.py, timeline/lots.py);
- the announcements read in full are, per question, the newest :data:`SHOWN` (all of
  them when there are no more) and, per group, its newest, its soonest-ending and its
  earliest-starting announcement, so every verdict the parts can give is among them
  (the strictest measure in force, the end of a suspension, the start of a pending
  measure);
- their lots' spans, fields and intervals are read in one query each, and grouped
  into parts exactly as ``status`` groups them (``status._parts_of``).

An answer here is ``status``'s answer with every announcement (``announcements_limit``
None) wherever a question matches at most :data:`SHOWN` announcements (the tests
compare them); past that, it keeps the announcements that can decide and the newest.
Questions the spans cannot answer (codes another code of the catalogue is a proper
prefix of, 4-digit headings, text) are left to ``status``.
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from timeline import span_status, spans, status
from timeline.lots import has_goods

SHOWN = 10  # announcements per question read in full, besides each group's own
FAR = "9999-12-31"
FEW = 100  # questions past which the non-goods lots are listed once rather than looked up


def answerable(db: Database, questions: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """The questions (kind, value as ``status.classify`` gives them) this module answers:
    materials and groups, and HS codes longer than a heading that no code of the
    catalogue is a proper prefix of (``contained_in`` precedence is per item)."""
    if not spans.available(db) or not has_goods(db.conn):
        return set()
    codes = [v for k, v in questions if k == "hs" and len(v) > 4]
    prefixes = {v: [v[:k] for k in range(2, len(v))] for v in codes}
    held = {r[0] for r in db.execute(
        "select distinct term from item_terms where kind = 'hs' and term in "
        "(select value from json_each(?))",
        [json.dumps(sorted({p for ps in prefixes.values() for p in ps}))])}
    out = {(k, v) for k, v in questions if k in ("material", "group")}
    out |= {("hs", v) for v in codes if not held.intersection(prefixes[v])}
    return out


NOT_GOODS = "(select id from lots where goods = 0)"


def _groups(db: Database, materials: list[str], codes: list[str], on: str
            ) -> dict[tuple[str, str], list[tuple]]:
    """Question → its groups of matched lots covering ``on``: (state, shape, how, goods,
    materials (for codes, on in-force groups: their lots' material lists joined by
    commas), lots, newest, soonest end, earliest start), the last three as
    ``date|number|lot|term|n`` (the last two for suspended and pending groups only)."""
    covers = "s.start <= :on and (s.end is null or s.end >= :on)"
    # a few questions look their lots' flag up; many test it against the list of the
    # lots that cannot name goods (timeline migration 7 indexes them), built once a query
    goods = (f"s.lot_id not in {NOT_GOODS}" if len(materials) + len(codes) > FEW else
             "(select l.goods from lots l where l.id = s.lot_id)")
    # each question's span rows: materials by term, codes by the code itself and, for the
    # few codes with longer codes under them in the catalogue, by those
    longer = [r[0] for r in db.execute(
        "select q.value from json_each(:codes) q where exists (select 1 from item_terms t "
        "where t.kind = 'hs' and t.term > q.value and t.term < q.value || :top)",
        {"codes": json.dumps(codes), "top": "\uffff"})] if codes else []
    sources = [
        ("material", "q.value", "null", "json_each(:materials) q cross join lot_spans s on "
         "s.kind = 'material' and s.term = q.value"),
        ("hs", "q.value", "'exact'", "json_each(:codes) q cross join lot_spans s on "
         "s.kind = 'hs' and s.term = q.value"),
        ("hs", "q.value", "'contains'", "json_each(:longer) q cross join lot_spans s on "
         "s.kind = 'hs' and s.term > q.value and s.term < q.value || :top"),
    ]
    args = {"materials": json.dumps(materials), "codes": json.dumps(codes),
            "longer": json.dumps(longer), "top": "\uffff", "on": on, "far": FAR}
    mark = "'|' || s.announcement || '|' || s.lot_id || '|' || s.term || '|' || s.n"
    found: dict[tuple[str, str], dict[tuple, list[Any]]] = {}
    for kind, question, how, rows in sources:
        # the newest lot of each group (SQLite takes the bare columns from the max row),
        # and for a code the materials of its lots (the clauses they reach, if in force)
        names = "group_concat(distinct s.materials)" if kind == "hs" else "null"
        dated: set[str] = set()
        for value, state, shape, match, good, n, adate, number, lot_id, term, k, held in (
                db.execute(f"select {question}, s.state, s.shape, {how}, {goods}, count(*), "
                           f"max(s.adate), s.announcement, s.lot_id, s.term, s.n, {names} "
                           f"from {rows} where {covers} group by 1, 2, 3, 5", args)):
            found.setdefault((kind, value), {})[(state, shape, match, good)] = [
                held if state == "in_force" else None, n,
                f"{adate}|{number}|{lot_id}|{term}|{k}", None, None]
            if state in ("suspended", "pending"):
                dated.add(value)
        # a suspension's soonest end, a pending measure's soonest end and earliest start
        subset = {**args, "materials": json.dumps(sorted(dated)),
                  "codes": json.dumps(sorted(dated)), "longer": json.dumps(sorted(dated))}
        for value, state, shape, match, good, soonest, earliest in db.execute(
                f"select {question}, s.state, s.shape, {how}, {goods}, "
                f"min(coalesce(s.end, :far) || {mark}), min(s.start || {mark}) from {rows} "
                f"where {covers} and s.state in ('suspended', 'pending') group by 1, 2, 3, 5",
                subset) if dated else ():
            found[(kind, value)][(state, shape, match, good)][3:] = [soonest, earliest]
    return {question: [(*key, group[0], *group[1:]) for key, group in groups.items()]
            for question, groups in found.items()}


def _number(mark: str | None) -> str | None:
    return mark.split("|")[1] if mark else None


def _marks(groups: list[tuple]) -> list[str]:
    """The representatives of each group: its newest lot; a suspension's soonest-ending
    and a pending measure's soonest-ending and earliest-starting one too (they give the
    verdict's date)."""
    return [mark for group in groups for mark in group[6:9 if group[0] == "pending" else
                                                         8 if group[0] == "suspended" else 7]
            if mark]


def _chosen(db: Database, question: tuple[str, str], groups: list[tuple], on: str
            ) -> tuple[set[str], list[tuple]]:
    """The announcements of one question read in full, and the lots read alone (see the
    module docstring): (lot id, how, rank, via group, via material, n)."""
    kind, value = question
    term = span_status.announcement_term(kind, value)
    if term:
        _, newest = span_status.newest_announcements(db, term, on, [], SHOWN, 0)
        return {number for number, _, _ in newest} | {_number(m) for m in _marks(groups)}, []
    if sum(group[5] for group in groups) <= SHOWN:
        return set(), []  # every lot of the code: read with the other small ones
    # a code matching many lots: each group's representatives stand for it
    lots = []
    for mark in _marks(groups):
        _, _, lot_id, code, n = mark.rsplit("|", 4)
        lots.append((int(lot_id), *(("exact", 0) if code == value else ("contains", 2)),
                     None, None, int(n)))
    return set(), lots


def _every_lot(db: Database, codes: list[str], on: str) -> dict[str, list[tuple]]:
    """Every lot matching each of these codes on the date, as :func:`_chosen` gives the
    lots read alone (an item carrying two codes under one counted once, ``hs_overlap``)."""
    counts: dict[str, dict[tuple, int]] = {}
    covers = "s.start <= :on and (s.end is null or s.end >= :on)"
    for code, lot_id, term, n in db.execute(
            "select q.value, s.lot_id, s.term, s.n from json_each(:codes) q cross join "
            "lot_spans s on s.kind = 'hs' and s.term >= q.value and s.term < q.value || :top "
            f"where {covers} union all select q.value, s.lot_id, null, s.n from "
            "json_each(:codes) q cross join lot_spans s on s.kind = 'hs_overlap' and "
            f"s.term = q.value where {covers}",
            {"codes": json.dumps(codes), "top": "\uffff", "on": on}):
        key = (lot_id, "exact", 0) if term == code else (lot_id, "contains", 2)
        found = counts.setdefault(code, {})
        found[key] = found.get(key, 0) + n
    return {code: [(*key, None, None, n) for key, n in found.items()]
            for code, found in counts.items()}


def _via_materials(db: Database, on: str, found: dict[str, set[str]], memo: dict[Any, Any]
                   ) -> dict[str, list]:
    """``span_status.via_materials`` of many codes (rows of lots in force on the date
    only), from one read of the clause-level spans, shortened as :func:`_shown` says."""
    rows = db.execute(
        "select lot_id, state, shape, n, null, 4, null, adate, announcement, start, null, "
        "term from lot_spans where kind = 'provision_material' and start <= ? and "
        "(end is null or end >= ?) order by term", [on, on]).fetchall()
    if "clause codes" not in memo:  # the codes of every clause reached through materials
        codes: dict[int, list[str]] = {}
        for lot_id, term in db.execute(
                "select lot_id, term from lot_spans indexed by lot_spans_lot where lot_id in "
                "(select distinct lot_id from lot_spans where kind = 'provision_material') "
                "and kind = 'hs'"):
            codes.setdefault(lot_id, []).append(term)
        memo["clause codes"] = codes
    codes = memo["clause codes"]
    by_term: dict[str, list[tuple]] = {}
    for row in rows:
        by_term.setdefault(row[11], []).append(row)
    # each material's own shortlist first: what a set of materials shows is among them
    short = {term: _shown(found_rows) for term, found_rows in by_term.items()}
    out: dict[str, list] = {}
    by_set: dict[frozenset[str], list[tuple]] = {}  # codes share their materials' rows
    for code, materials in found.items():
        key = frozenset(materials)
        if key not in by_set:
            kept: dict[tuple, tuple] = {}
            for term in sorted(key):  # a clause reached by two materials: the first by name
                for row in short.get(term, []):
                    kept.setdefault((row[0], row[9]), row)
            by_set[key] = _shown(list(kept.values()))
        direct = {lot_id for lot_id, held in codes.items()
                  if any(c.startswith(code) for c in held)}
        out[code] = [row for row in by_set[key] if row[0] not in direct] if direct \
            else by_set[key]
    return out


def _rows(db: Database, wanted: dict[tuple[str, str], set[str]],
          alone: dict[tuple[str, str], list[tuple]], on: str
          ) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Per question, the lot rows (as ``span_status.lot_rows`` makes them) of its chosen
    announcements and of the lots read alone, read for all questions at once."""
    numbers = sorted({n for chosen in wanted.values() for n in chosen})
    lots_of: dict[str, list[int]] = {}
    for lot_id, number in db.execute(
            "select id, announcement from lots where announcement in "
            "(select value from json_each(?))", [json.dumps(numbers)]):
        lots_of.setdefault(number, []).append(lot_id)
    ids = sorted({i for ids in lots_of.values() for i in ids})
    # only the spans some question can match: its material, or a code under its code
    values = sorted({v for _, v in wanted})
    lengths = sorted({len(v) for k, v in wanted if k == "hs"})
    under = "".join(f" or substr(term, 1, {n}) in (select value from json_each(:values))"
                    for n in lengths)
    by_lot: dict[int, dict[str, Any]] = {}
    for lot_id, kind, term, n, via in db.execute(
            "select lot_id, kind, term, n, via from lot_spans indexed by lot_spans_lot where "
            "lot_id in (select value from json_each(:ids)) and kind in ('material', 'via', "
            "'hs', 'hs_overlap') and start <= :on and (end is null or end >= :on) and "
            f"(term in (select value from json_each(:values)){under})",
            {"ids": json.dumps(ids), "on": on, "values": json.dumps(values)}):
        terms = by_lot.setdefault(lot_id, {"hs": []})
        if kind == "hs":
            terms["hs"].append((term, n))
        else:
            terms[(kind, term)] = (n, via)
    per: dict[tuple[str, str], dict[tuple, int]] = {}
    for question, chosen in wanted.items():
        kind, value = question
        counts = per.setdefault(question, {})
        read = {key[0] for key in alone.get(question, [])}  # counted below, once
        mine = {i for n in chosen for i in lots_of.get(n, [])} - read
        for lot_id in mine:
            for key, n in _matched(kind, value, by_lot.get(lot_id)):
                counts[(lot_id, *key)] = counts.get((lot_id, *key), 0) + n
        for lot_id, *key, n in alone.get(question, []):
            counts[(lot_id, *key)] = counts.get((lot_id, *key), 0) + n
    fields = {row[0]: row for row in db.execute(
        "select l.id, l.announcement, l.provision, l.kind, l.measure, l.destinations, "
        "l.scope, l.destination_wide, l.announcement_date, l.ordinal, i.state, i.start, "
        "i.end, i.cause, l.goods from lots l join intervals i on i.subject_id = l.rep and "
        "i.retired_in is null and i.start <= ? and (i.end is null or i.end >= ?) "
        "where l.id in (select value from json_each(?))",
        [on, on, json.dumps(sorted({key[0] for c in per.values() for key in c}))])}
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for question, counts in per.items():
        rows = out.setdefault(question, [])
        for (lot_id, how, rank, via_group, via_material), n in counts.items():
            lot = fields.get(lot_id)
            if lot is None or n <= 0:
                continue
            rows.append({"lot_id": lot_id, "announcement": lot[1], "provision": lot[2],
                         "kind": lot[3], "measure": lot[4], "destinations": lot[5],
                         "scope": lot[6], "destination_wide": lot[7],
                         "announcement_date": lot[8], "ordinal": lot[9], "state": lot[10],
                         "since": lot[11], "until": lot[12], "cause": lot[13], "match": how,
                         "rank": rank, "via_group": via_group, "via_material": via_material,
                         "count": n, "goods": bool(lot[14])})
    return out


def _matched(kind: str, value: str, terms: dict[str, Any] | None) -> list[tuple]:
    """((how, rank, via group, via material), n) of a lot's spans for the question, as
    ``span_status.source`` matches them."""
    if not terms:
        return []
    if kind in ("material", "group"):
        out = []
        if ("material", value) in terms:
            out.append(((None, 3, None, None), terms[("material", value)][0]))
        if ("via", value) in terms:
            n, via = terms[("via", value)]
            out.append(((None, 5, via, None), n))
        return out
    out = [((("exact", 0) if term == value else ("contains", 2)) + (None, None), n)
           for term, n in terms["hs"] if term.startswith(value)]
    if ("hs_overlap", value) in terms:
        out.append((("contains", 2, None, None), terms[("hs_overlap", value)][0]))
    return out


def _shown(rows: list[tuple]) -> list[tuple]:
    """Clause-level rows reached through materials (``span_status.via_materials``) of the
    newest :data:`SHOWN` announcements and the newest of each (state, shape): the
    material a clause is reached through does not change what it decides."""
    newest = sorted({(r[7] or "", r[8]) for r in rows if r[1] is not None}, reverse=True)
    keep = {number for _, number in newest[:SHOWN]}
    best: dict[tuple, tuple[str, str]] = {}
    for r in rows:
        if r[1] is not None:
            key = (r[1], r[2])
            best[key] = max(best.get(key, ("", "")), (r[7] or "", r[8]))
    keep |= {number for _, number in best.values()}
    return [r for r in rows if r[8] in keep]


def answers(db: Database, questions: list[tuple[str, str]], on: str,
            memo: dict[Any, Any] | None = None) -> dict[tuple[str, str], dict[str, Any]]:
    """Per answerable question (:func:`answerable`): its matched announcements on ``on``
    as ``status`` lists them (``info`` and ``rows``: the lot rows, any destination) and
    its own-list announcements; :func:`for_destination` makes the answer for one.
    ``memo`` keeps what does not depend on the date (which announcements' own lists name
    a question) for the next call with it."""
    asked = answerable(db, questions)
    materials = sorted({v for k, v in asked if k in ("material", "group")})
    codes = sorted({v for k, v in asked if k == "hs"})
    groups = _groups(db, materials, codes, on)
    memo = {} if memo is None else memo
    own = _own(db, asked, on, memo)
    wanted: dict[tuple[str, str], set[str]] = {}
    alone: dict[tuple[str, str], list[tuple]] = {}
    found: dict[str, set[str]] = {}
    for kind, value in asked:
        mine = groups.get(("material" if kind != "hs" else "hs", value), [])
        wanted[(kind, value)], alone[(kind, value)] = _chosen(db, (kind, value), mine, on)
        wanted[(kind, value)] |= set(own[(kind, value)])
        if kind == "hs":
            found[value] = {m for g in mine if g[0] == "in_force" and g[4]
                            for names in json.loads(f"[{g[4]}]") for m in names}
    small = [v for k, v in asked if k == "hs" and 0 < sum(
        g[5] for g in groups.get(("hs", v), [])) <= SHOWN]
    for code, lots in _every_lot(db, small, on).items():
        alone[("hs", code)] += lots
    for code, rows in _via_materials(db, on, {c: m for c, m in found.items() if m}, memo).items():
        alone[("hs", code)] += [(r[0], None, 4, None, r[11], r[3]) for r in rows]
    rows = _rows(db, wanted, alone, on)
    numbers = {n for chosen in wanted.values() for n in chosen}
    numbers |= {r["announcement"] for found_rows in rows.values() for r in found_rows}
    states = status.announcement_states(db, sorted(numbers), on)
    return {question: {"rows": rows.get(question, []), "states": states,
                       "own": own[question]} for question in asked}


def _own(db: Database, asked: set[tuple[str, str]], on: str, memo: dict[Any, Any]
         ) -> dict[tuple[str, str], list[str]]:
    """Per question, the announcements whose own lists name it (``status._own_lists``)
    issued by ``on``, newest first: the newest :data:`SHOWN`, and of those in force (an
    annex without items, No. 89's catalogue, is read through its own clauses, one by one,
    and can decide the verdict) every one that has a form of clause no newer one has."""
    for q in asked:
        if ("own", q) not in memo:  # newest issue first (an unknown number: none)
            numbers = list(dict.fromkeys(status._own_lists(db, *q)))
            issued = dict(db.execute(
                "select number, coalesce(issue_date, '') from announcements where number in "
                "(select value from json_each(?))", [json.dumps(numbers)]).fetchall())
            memo[("own", q)] = sorted(((issued[n], n) for n in numbers if n in issued),
                                      reverse=True)
    named = {q: [n for _, n in memo[("own", q)]] for q in asked}
    states = status.announcement_states(
        db, sorted({n for numbers in named.values() for n in numbers}), on)
    forms = _clause_forms(db, sorted({n for numbers in named.values() for n in numbers
                                      if states[n]["state"] == "in_force"}), on)
    out: dict[tuple[str, str], list[str]] = {}
    for q, numbers in named.items():
        issued = [n for n in numbers if states[n]["state"] != "not_issued"]
        # one in force is read through its own clauses and can decide: the newest with
        # each form of clause (and, suspended or pending, the soonest to end) is kept
        first: dict[tuple, str] = {}
        soonest: dict[tuple, tuple[str, str]] = {}
        for n in issued:
            for form, end in forms.get(n, ()):
                first.setdefault(form, n)
                if form[-1] in ("suspended", "pending"):
                    soonest[form] = min(soonest.get(form, (end or FAR, n)), (end or FAR, n))
        keep = set(issued[:SHOWN]) | set(first.values()) | {n for _, n in soonest.values()}
        out[q] = [n for n in issued if n in keep]
    return out


def _clause_forms(db: Database, numbers: list[str], on: str
                  ) -> dict[str, list[tuple[tuple, str | None]]]:
    """Announcement → the (measure, destinations, scope, destination-wide, state) of each
    of its clauses on ``on``, with the day that state ends."""
    out: dict[str, list[tuple[tuple, str | None]]] = {}
    for number, *form, end in db.execute(
            "select l.announcement, l.measure, l.destinations, l.scope, l.destination_wide, "
            "i.state, i.end from lots l join intervals i on i.subject_id = l.rep and "
            "i.retired_in is null and i.start <= ? and (i.end is null or i.end >= ?) "
            "where l.announcement in (select value from json_each(?)) and "
            "l.kind = 'provision'", [on, on, json.dumps(numbers)]):
        out.setdefault(number, []).append((tuple(form), end))
    return out


def for_destination(db: Database, kind: str, value: str, found: dict[str, Any], on: str,
                    destinations: list[str], wide: list[dict[str, Any]] | None = None
                    ) -> dict[str, Any]:
    """The answer (as ``status`` gives it, every announcement listed) to one question of
    :func:`answers` for one destination (``wide``: its destination-wide measures on the
    date, when the caller has read them already); ``goods`` says, per (announcement,
    clause, kind) of its parts, whether they can name goods (timeline/lots.py)."""
    rows = [r for r in found["rows"] if span_status.allowed(
        {"destination_wide": bool(r["destination_wide"]), "destinations": r["destinations"]},
        destinations)]
    parts = status._parts_of(rows)
    goods = {(r["announcement"], r["provision"], r["kind"]): r["goods"] for r in rows}
    by_number: dict[str, list[dict[str, Any]]] = {}
    dates: dict[str, str] = {}
    for part in parts:
        by_number.setdefault(part["announcement"], []).append(part)
        dates[part["announcement"]] = max(dates.get(part["announcement"], ""),
                                          part["announcement_date"] or "")
    states = found["states"]
    for number in found["own"]:
        info = states.get(number)
        if number not in by_number and info is not None and info["state"] != "not_issued":
            dates[number] = info["issue_date"] or ""
    numbers = sorted(dates, key=lambda n: (dates[n], n), reverse=True)
    listed = [status._with_matched(dict(states[n]), by_number.get(n, []))
              for n in numbers if n in states]
    notes: dict[str, Any] = {}
    if kind in ("material", "group"):
        status._material_terms(kind, value, notes)
    result = {"kind": kind, "value": value, "on": on, "destinations": destinations,
              "announcements": listed, "goods": goods,
              "destination_wide": status._destination_wide(db, on, destinations)
              if wide is None else wide}
    result["searched"] = status._searched(result, notes)
    return result
