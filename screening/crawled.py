"""Entity lists read from crawled announcements: listings and changes of state.

After a crawl, each document's latest version (its main text and its annexes' text and
tables) goes through ``extract.entities``. A page that lists entities becomes a list
announcement with its rows; a page that suspends or stops the measures of an earlier
list announcement becomes change events for that announcement's entities (or for the
ones it names), clause by clause. A page whose stated count ("15家美国实体") differs from the rows read is
stored with ``count_ok = 0`` and reported, never silently trusted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any

from sqlite_utils import Database

from extract.entities import extract_entities, list_kind, rows_from_lines
from screening.schema import ensure_tables
from store.attachments import attachments_of
from store.catalogue import transaction
from store.extractions import latest_extraction

MOFCOM_REF = re.compile(r"商务部公告\s*(\d{4})\s*年?\s*第?\s*(\d{1,3})\s*号")
UEL_REF = re.compile(r"不可靠实体清单工作机制(?:公告)?\s*[〔\[(（]\s*(\d{4})\s*[〕\])）]\s*(\d{1,3})\s*号")
DATE = r"(\d{4})年(\d{1,2})月(\d{1,2})日"
UNTIL = re.compile(r"至\s*" + DATE)
FROM = re.compile(r"自\s*" + DATE + r"(?:\s*\d{1,2}\s*时\s*\d{1,2}\s*分)?\s*起")
SUSPEND = re.compile(r"暂停(?:实施|执行)?")
STOP = re.compile(r"(?<!立即)停止")
FOR_DAYS = re.compile(r"(\d{1,3})\s*天")
FOR_YEAR = re.compile(r"(?:一|1)\s*年")


def _iso(match: re.Match[str]) -> str:
    year, month, day = (int(g) for g in match.groups()[:3])
    return f"{year:04d}-{month:02d}-{day:02d}"


def _add_days(day: str, days: int) -> str:
    """A suspension "for 90 days" from ``day`` ends ``days`` later; "one year" is a year."""
    start = dt.date.fromisoformat(day)
    if days == 365:
        try:
            return start.replace(year=start.year + 1).isoformat()
        except ValueError:  # 29 February
            return (start + dt.timedelta(days=365)).isoformat()
    return (start + dt.timedelta(days=days)).isoformat()


def references(text: str) -> list[str]:
    """List-announcement ids a text mentions (``MOFCOM-2025-13``, ``UEL-2025-7``)."""
    found = [f"MOFCOM-{y}-{int(n)}" for y, n in MOFCOM_REF.findall(text)]
    found += [f"UEL-{y}-{int(n)}" for y, n in UEL_REF.findall(text)]
    return list(dict.fromkeys(found))


def clause_changes(text: str, own: str | None) -> list[dict[str, Any]]:
    """Per clause (split at 。； and line ends): the announcements it names and what it
    does to their measures, suspend (until a date) or stop. Numbered entity lines after a
    clause name the entities it applies to (``named``); none means all of the target's."""
    out: list[dict[str, Any]] = []
    current: list[dict[str, Any]] = []
    for line in text.splitlines():
        rows = rows_from_lines(line)
        if rows and current:
            for change in current:
                change["named"].extend(rows)
            continue
        found = []
        for clause in re.split(r"[。；;]", line):
            found.extend(_clause_change(clause, own))
        if found:
            current = found
            out.extend(found)
    return out


def _clause_change(clause: str, own: str | None) -> list[dict[str, Any]]:
    action = "remove" if STOP.search(clause) else "suspend" if SUSPEND.search(clause) else None
    if not action:
        return []
    until = UNTIL.search(clause)
    days = FOR_DAYS.search(clause)
    length = int(days.group(1)) if days else 365 if FOR_YEAR.search(clause) else None
    out = []
    for target in references(clause):
        if target != own:
            change = {"target": target, "action": action,
                      "until": _iso(until) if until and action == "suspend" else None, "named": []}
            if action == "suspend" and not until and length:
                change["days"] = length
            out.append(change)
    return out


def read_page(title: str, text: str, annexes: list[dict[str, Any]], number: str | None,
              issue_date: str | None) -> dict[str, Any] | None:
    """What one page says about the lists: a listing, a change, or nothing.

    :param annexes: ``{"text", "tables"}`` of each readable attachment.
    :returns: ``{"kind": "listing"|"change", ...}`` or None.
    """
    whole = f"{title}\n{text}"
    annex_text = "\n".join(a.get("text") or "" for a in annexes)
    kind = list_kind(whole + "\n" + annex_text)
    tables = [t["rows"] for a in annexes for t in (a.get("tables") or [])]
    found = extract_entities(whole, tables=tables,
                             annexes=[a.get("text") or "" for a in annexes if not a.get("tables")])
    effective = FROM.search(whole)
    changes = clause_changes(whole, number)
    start = _iso(effective) if effective else issue_date
    for change in changes:
        days = change.pop("days", None)
        if days and start:
            change["until"] = _add_days(start, days)
    if changes:
        return {"kind": "change", "id": number, "list": kind, "changes": changes,
                "effective": _iso(effective) if effective else issue_date,
                "announced": issue_date}
    if kind is None or (not found["entities"] and found["stated_count"] is None):
        return None
    return {"kind": "listing", "id": number, "list": kind, "issued": issue_date,
            "applies_from": _iso(effective) if effective else issue_date,
            "stated_count": found["stated_count"], "entities": found["entities"],
            "count_ok": found["count_ok"]}


def entity_id(row: dict[str, Any]) -> str:
    """A stable id for an entity read from a page: a slug of its English name, or a hash."""
    slug = re.sub(r"[^a-z0-9]+", "-", (row.get("en") or "").lower()).strip("-")
    slug = re.sub(r"-(inc|llc|corp|corporation|co|ltd|limited|company)$", "", slug)
    if slug:
        return slug
    return "zh-" + hashlib.sha1(row["zh"].encode("utf-8")).hexdigest()[:10]


def refresh(db: Database) -> dict[str, Any]:
    """Read every document's latest version for list announcements and changes; store them.

    :returns: counts, and the announcements whose stated count disagrees with the rows.
    """
    ensure_tables(db)
    pages = []
    for doc in _candidates(db):
        latest = {"id": doc["version_id"], "title": doc["title"], "text": doc["text"]}
        result = latest_extraction(db, latest["id"]) or {}
        annexes = []
        for file in attachments_of(db, latest["id"]):
            if file["status"] == "ok":
                annexes.append({"text": file["text"] or "",
                                "tables": json.loads(file["tables"] or "[]")})
        read = read_page(latest.get("title") or "", latest.get("text") or "", annexes,
                         result.get("number") or doc.get("number") or f"document-{doc['id']}",
                         result.get("issue_date"))
        if read:
            pages.append((doc["id"], read))
    listings = [(d, p) for d, p in pages if p["kind"] == "listing"]
    changes = [(d, p) for d, p in pages if p["kind"] == "change"]
    stored = {"listings": 0, "changes": 0, "events": 0, "count_mismatch": []}
    # BEGIN IMMEDIATE: the reads that decide an insert hold the write lock, so two
    # processing runs at once (two crawls) queue instead of inserting the same rows
    with transaction(db):
        for doc_id, page in listings:
            stored["listings"] += _save_listing(db, doc_id, page)
            if page["count_ok"] is False:
                stored["count_mismatch"].append({"announcement": page["id"],
                                                 "stated": page["stated_count"],
                                                 "read": len(page["entities"])})
        for doc_id, page in sorted(changes, key=lambda dp: dp[1]["effective"] or ""):
            added = _save_change(db, doc_id, page)
            stored["changes"] += 1 if added else 0
            stored["events"] += added
    return stored


# Words a list announcement or a change to one carries in its title or text.
LIST_WORDS = ("管控名单", "不可靠实体清单", "关注名单")


# Words of a notice that suspends or stops measures (it may name only the announcement).
CHANGE_WORDS = ("暂停", "停止")


def _candidates(db: Database) -> list[dict[str, Any]]:
    """Latest versions of documents that mention one of the lists, or suspend or stop
    something (a change to a list announcement may name only its number)."""
    words = LIST_WORDS + CHANGE_WORDS
    clauses = " or ".join(["v.title like ?", "v.text like ?"] * len(words))
    args = [f"%{w}%" for w in words for _ in (0, 1)]
    return [dict(r) for r in db.query(
        "select d.id, d.number, v.id as version_id, v.title, v.text from documents d "
        "join versions v on v.document_id = d.id "
        "where v.seq = (select max(seq) from versions where document_id = d.id) "
        f"and ({clauses}) order by d.id", args)]


def _known_entity(db: Database, row: dict[str, Any]) -> str:
    """The id of an entity already stored under the same Chinese or English name."""
    for column in ("zh", "en"):
        if row.get(column):
            hit = db.execute(f"select id from list_entities where {column} = ?",
                             [row[column]]).fetchone()
            if hit:
                return hit[0]
    return entity_id(row)


def _save_listing(db: Database, doc_id: int, page: dict[str, Any]) -> int:
    source = f"document:{doc_id}"
    db["list_announcements"].upsert(
        {"id": page["id"], "number": page["id"], "list": page["list"], "issued": page["issued"],
         "applies_from": page["applies_from"], "stated_count": page["stated_count"],
         "carried": len(page["entities"]),
         "count_ok": None if page["count_ok"] is None else int(page["count_ok"]),
         "names_verified": 1, "fictional": 0, "source": source}, pk="id")
    for row in page["entities"]:
        eid = _known_entity(db, row)
        if not db["list_entities"].count_where("id = ?", [eid]):
            db["list_entities"].insert({"id": eid, "zh": row["zh"], "en": row["en"], "aliases": "[]",
                                        "country": None, "kind": "company",
                                        "address": row.get("address") or None})
        elif row.get("address"):
            db.execute("update list_entities set address = ? where id = ? and address is null",
                       [row["address"], eid])
        db["entity_listings"].upsert({"entity_id": eid, "list": page["list"],
                                      "announcement": page["id"],
                                      "applies_from": page["applies_from"], "source": source},
                                     pk=("entity_id", "list", "announcement"))
        db.execute("insert or ignore into entity_events (entity_id, list, date, action, until, "
                   "announcement, about, fictional, source) values (?, ?, ?, 'add', null, ?, ?, 0, ?)",
                   [eid, page["list"], page["applies_from"], page["id"], page["id"], source])
    return len(page["entities"])


def _save_change(db: Database, doc_id: int, page: dict[str, Any]) -> int:
    source = f"document:{doc_id}"
    added = 0
    for change in page["changes"]:
        named = {_known_entity(db, row) for row in change["named"]}
        rows = db.execute("select entity_id, list from entity_listings where announcement = ?",
                          [change["target"]]).fetchall()
        for eid, list_name in rows:
            if named and eid not in named:
                continue
            cursor = db.execute(
                "insert or ignore into entity_events (entity_id, list, date, action, until, "
                "announcement, about, fictional, source) values (?, ?, ?, ?, ?, ?, ?, 0, ?)",
                [eid, list_name, page["effective"], change["action"], change["until"], page["id"],
                 change["target"], source])
            added += cursor.rowcount
    return added
