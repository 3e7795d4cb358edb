"""English and Chinese pages of one announcement, linked by canonical number.

Both are kept as documents of their own sources. A translation may abridge its
original but must not contradict it: the number, issue date and effective dates must
agree, and codes or materials the English page names must appear in the Chinese one.
Disagreements are flagged (never resolved silently), once per pair of versions.
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from store.catalogue import now, source_languages, transaction

SAME = ("issue_date", "effective_dates")
SUBSET = ("control_codes", "hs_codes", "materials")
def _covered(field: str, original: set[str]) -> set[str]:
    """What the original covers: naming a member of a group (a rare-earth element) covers
    the group ("rare earths"); the groups are the extractor's (extract/data/groups.jsonl)."""
    if field != "materials":
        return original
    from extract.items import groups_of

    return original | {group for material in original for group in groups_of(material)}


def _latest(db: Database, languages: dict[str, str]) -> list[dict[str, Any]]:
    rows = db.query(
        "select d.id as document_id, d.source, d.number, v.id as version_id, e.result "
        "from documents d join versions v on v.id = d.current_version_id "
        "join extractions e on e.id = (select max(id) from extractions where version_id = v.id) "
        "where d.number is not null")
    return [{**dict(r), "lang": languages.get(r["source"], "zh"), "result": json.loads(r["result"])}
            for r in rows]


def compare(original: dict[str, Any], translation: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """Fields on which a translation disagrees with its original: (field, original, translation)."""
    problems = []
    for field in SAME:
        a, b = original.get(field), translation.get(field)
        if isinstance(a, list):
            a, b = sorted(a or []), sorted(b or [])
        if a != b:
            problems.append((field, a, b))
    for field in SUBSET:
        extra = sorted(set(translation.get(field) or [])
                       - _covered(field, set(original.get(field) or [])))
        if extra:
            problems.append((field, sorted(original.get(field) or []), extra))
    return problems


def link_translations(db: Database) -> dict[str, Any]:
    """Pair every English document with its Chinese original and flag disagreements."""
    languages = source_languages(db)
    by_number: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for row in _latest(db, languages):
        by_number.setdefault(row["number"], {}).setdefault(row["lang"], []).append(row)
    # the original is the issuer's own page: the MOFCOM site before a customs repost
    rank = {sid: i for i, sid in enumerate(languages)}
    for langs in by_number.values():
        langs.get("zh", []).sort(key=lambda r: (rank.get(r["source"], 99), r["document_id"]))
    pairs = flagged = 0
    with transaction(db):
        for number, langs in sorted(by_number.items()):
            for original in langs.get("zh", [])[:1]:
                for translation in langs.get("en", []):
                    pairs += 1
                    for field, a, b in compare(original["result"], translation["result"]):
                        cursor = db.execute(
                            "insert or ignore into translation_mismatches (number, field, "
                            "original_document_id, translation_document_id, original_version_id, "
                            "translation_version_id, original, translation, detected_at) "
                            "values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [number, field, original["document_id"], translation["document_id"],
                             original["version_id"], translation["version_id"],
                             json.dumps(a, ensure_ascii=False), json.dumps(b, ensure_ascii=False), now()])
                        flagged += cursor.rowcount
    return {"pairs": pairs, "new_mismatches": flagged}


def translations_of(db: Database, document_id: int) -> list[dict[str, Any]]:
    """Documents in another language with the same canonical number."""
    languages = source_languages(db)
    row = db.execute("select number, source from documents where id = ?", [document_id]).fetchone()
    if not row or not row[0]:
        return []
    lang = languages.get(row[1], "zh")
    return [dict(r) for r in db.query(
        "select id, source, url, title from documents where number = ? and id != ? order by id",
        [row[0], document_id]) if languages.get(r["source"], "zh") != lang]


def mismatches(db: Database, number: str | None = None,
               history: bool = False) -> list[dict[str, Any]]:
    """Disagreements between a translation and its original, by default only those of the
    pages' current versions: a mismatch found on an earlier version (fixed by a later
    one) concerns that version, not the latest. ``history`` lists every one, each with
    ``current`` saying whether it concerns the current versions."""
    where = ["1"]
    args: list[Any] = []
    if number:
        where.append("m.number = ?")
        args.append(number)
    current = ("(m.original_version_id = o.current_version_id "
               "and m.translation_version_id = t.current_version_id)")
    if not history:
        where.append(current)
    return [dict(r) for r in db.query(
        f"select m.*, {current} as current from translation_mismatches m "
        "left join documents o on o.id = m.original_document_id "
        "left join documents t on t.id = m.translation_document_id "
        f"where {' and '.join(where)} order by m.id", args)]
