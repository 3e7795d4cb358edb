"""The catalogue's HS codes near a code it does not hold: its 8-digit line, then its
6-digit subheading. ``status`` names them when it finds nothing for a code, and a
portfolio product nothing decides names them too, so "not found" never stands alone
where a sibling line is listed."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlite_utils import Database

NEAR_SHOWN = 10  # codes named near an HS code the catalogue does not hold
NEAR_STATES = ("in_force", "superseded", "suspended", "pending")


def near_codes(db: Database, codes: list[str], on: str) -> dict[str, list[dict[str, Any]]]:
    """Per HS code, the catalogue's codes in its 8-digit line, then in its 6-digit
    subheading, that neither contain it nor fall under it (those it matches), listed on
    ``on`` by a measure in force, continued, suspended or pending: ``{"code", "line"
    ("8-digit line" or "6-digit subheading"), "text" (an item's name), "announcements":
    [(number, state)], latest state first}``, at most :data:`NEAR_SHOWN` codes a
    code and announcements a code.

    A code the catalogue does not hold may be a sibling of one it does: a national line
    read differently, a digit mistyped in the announcement or in the user's file
    (No. 23's gallium code reads 8110929010 in the Chinese reposts, 8112929010 in an
    English translation). The answer still says nothing was found; these are for the
    user to check the classification against."""
    asked = sorted({c for c in codes if c and c.isdigit() and len(c) >= 8})
    candidates: dict[str, list[str]] = {}  # the codes near each, its 8-digit line first
    for code, term in db.execute(
            "select distinct q.value, t.term from json_each(:codes) q join item_terms t on "
            "t.kind = 'hs' and t.term >= substr(q.value, 1, 6) and "
            "t.term < substr(q.value, 1, 6) || :top where "
            "substr(q.value, 1, length(t.term)) != t.term and "
            "substr(t.term, 1, length(q.value)) != q.value",
            {"codes": json.dumps(asked), "top": "\uffff"}) if asked else ():
        candidates.setdefault(code, []).append(term)
    for code, found in candidates.items():  # the nearest first, a few more than shown
        candidates[code] = sorted(found, key=lambda t: (t[:8] != code[:8], t))[:2 * NEAR_SHOWN]
    listed: dict[str, list[tuple[str, str]]] = {}  # code → (number, state), newest first
    terms = sorted({t for found in candidates.values() for t in found})
    for term, number, state in db.execute(
            "select t.term, s.announcement, i.state from json_each(:terms) x join item_terms t "
            "on t.kind = 'hs' and t.term = x.value join subjects s on s.id = t.subject_id "
            "join intervals i on i.subject_id = t.subject_id and i.retired_in is null and "
            "i.start <= :on and (i.end is null or i.end >= :on) where i.state in "
            f"({', '.join(map(repr, NEAR_STATES))}) and exists (select 1 from items it where "
            "it.subject_id = t.subject_id and it.current = 1) group by 1, 2, 3 "
            "order by 1, max(i.start) desc, 2",
            {"terms": json.dumps(terms), "on": on}) if terms else ():
        listed.setdefault(term, []).append((number, state))
    names = dict(db.execute(  # one item's name a code, to say what it is
        "select x.value, (select it.text from item_terms t join items it on it.subject_id = "
        "t.subject_id and it.current = 1 where t.kind = 'hs' and t.term = x.value limit 1) "
        "from json_each(?) x", [json.dumps(sorted(listed))]).fetchall()) if listed else {}
    out: dict[str, list[dict[str, Any]]] = {}
    for code, found in candidates.items():
        ranked = [t for t in found if t in listed]
        if ranked:
            out[code] = [{"code": t, "line": "8-digit line" if t[:8] == code[:8] else
                          "6-digit subheading", "text": _item_name(names.get(t)),
                          "announcements": listed[t][:NEAR_SHOWN]} for t in ranked[:NEAR_SHOWN]]
    return out


def _item_name(text: str | None) -> str:
    """An item's name without the codes its row lists after it (金属镓（单质）)."""
    text = " ".join((text or "").split())
    return (re.split(r"\s*\d{6,}", text)[0].strip() or text)[:60]


def near_text(near: list[dict[str, Any]] | None) -> str:
    """One sentence naming the codes near an HS code (:func:`near_codes`)."""
    if not near:
        return ""
    named = "; ".join(
        f"{n['code']} ({n['line']}; {n['text']}; " + ", ".join(
            f"{number} {state.replace('_', ' ')}" for number, state in n["announcements"][:3])
        + ")" for n in near)
    return (f"Near it in the catalogue: {named}. Check the product's classification against "
            "them.")
