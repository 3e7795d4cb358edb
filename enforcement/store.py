"""Cases in the catalogue: read stored penalty pages into ``cases``, and query them.

Functions take a ``Database`` first and return plain dicts. Which sources hold penalty
decisions is the caller's knowledge (``regwatch`` reads it from sources.yaml): this
stage does not import the crawler.
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from extract.cases import CASE_EXTRACTOR_VERSION, case_from_page
from store import NotFound
from store.attachments import attachments_of
from store.catalogue import now, transaction

from . import stats


def pending_versions(db: Database, sources: list[str]) -> list[dict[str, Any]]:
    """Versions of the sources' documents the current case extractor has not read."""
    if not sources:
        return []
    marks = ", ".join("?" for _ in sources)
    return list(db.query(
        f"""select v.id as version_id, v.document_id, v.text
            from versions v join documents d on d.id = v.document_id
            where d.source in ({marks})
              and not exists (select 1 from cases c where c.version_id = v.id
                              and c.extractor_version = ?)
            order by v.id""", [*sources, CASE_EXTRACTOR_VERSION]))


def extract_cases(db: Database, sources: list[str]) -> dict[str, int]:
    """Read every pending version into a case row; return how many were read and stored."""
    read = stored = 0
    for row in pending_versions(db, sources):
        texts = [a.get("text") or "" for a in attachments_of(db, row["version_id"])]
        case = case_from_page(row["text"] or "", texts)
        read += 1
        with transaction(db):
            db["cases"].insert(_row(row, case))
        stored += bool(case["case_number"])
    return {"read": read, "cases": stored}


def _row(version: dict[str, Any], case: dict[str, Any]) -> dict[str, Any]:
    goods = case["goods"]
    return {
        "document_id": version["document_id"], "version_id": version["version_id"],
        "extractor_version": case["version"], "created_at": now(), "read_from": case["source"],
        "case_number": case["case_number"], "case_type": case["case_type"],
        "office": case["office"], "region": case["region"], "category": case["category"],
        "material": case["material"], "hs_code": goods["actual_hs_code"] or goods["hs_code"],
        "control_code": goods["control_code"], "decision_date": case["decision_date"],
        "fine": case["penalty"]["fine"], "export_control": int(case["export_control"]),
        "leniency": case["leniency"], "data": json.dumps(case, ensure_ascii=False),
    }


def current_cases(db: Database) -> list[dict[str, Any]]:
    """The case of each document's current version (current extractor), oldest decision first.

    Each is the extracted case dict plus ``id`` (the row), ``document_id`` and ``url``.
    """
    if "cases" not in db.table_names():
        return []
    rows = db.query(
        """select c.id, c.document_id, c.data, d.url from cases c
           join documents d on d.id = c.document_id and d.current_version_id = c.version_id
           where c.extractor_version = ? and c.case_number is not null
           order by c.decision_date, c.case_number""", [CASE_EXTRACTOR_VERSION])
    return [{**json.loads(r["data"]), "id": r["id"], "document_id": r["document_id"],
             "url": r["url"]} for r in rows]


def find_case(db: Database, key: str) -> dict[str, Any]:
    """A current case by row id or case number.

    :raises NotFound: when no current case has that id or number
    """
    for case in current_cases(db):
        if str(case["id"]) == str(key) or case["case_number"] == key:
            return case
    raise NotFound(f"no case {key!r}")


def filter_cases(cases: list[dict[str, Any]], *, period: str | None = None,
                 category: str | None = None, material: str | None = None,
                 office: str | None = None, hs: str | None = None,
                 case_type: str | None = None, all_penalties: bool = False) -> list[dict[str, Any]]:
    """Cases matching every given filter (export-control cases only unless ``all_penalties``)."""
    out = stats.in_period(cases, period) if period else list(cases)
    if not all_penalties:
        out = [c for c in out if c.get("export_control")]
    if category:
        out = [c for c in out if c.get("category") == category]
    if material:
        out = [c for c in out if c.get("material") == material]
    if office:
        out = [c for c in out if office in (c.get("office") or "") or office in (c.get("region") or "")]
    if hs:
        out = [c for c in out if any((code or "").startswith(hs) for code in _codes(c))]
    if case_type:
        out = [c for c in out if c.get("case_type") == case_type]
    return out


def _codes(case: dict[str, Any]) -> list[str]:
    goods = case.get("goods") or {}
    return [goods.get("hs_code") or "", goods.get("actual_hs_code") or ""]


def similar(cases: list[dict[str, Any]], hs: str, control_code: str | None = None,
            limit: int = 20) -> list[dict[str, Any]]:
    """Export-control cases nearest to a shipment: the longest shared HS prefix first (at
    least the heading), then a matching control code, then the newest decision.

    Each result gets ``match`` = {``hs_digits``, ``control_code``}.
    """
    hs = "".join(ch for ch in hs if ch.isdigit())
    scored = []
    for case in cases:
        if not case.get("export_control"):
            continue
        digits = max((_shared(hs, code) for code in _codes(case)), default=0)
        code = (case.get("goods") or {}).get("control_code")
        same_code = bool(control_code and code and code.lower().startswith(control_code.lower()))
        if digits < 4 and not same_code:
            continue
        scored.append(((digits, same_code, case.get("decision_date") or ""),
                       {**case, "match": {"hs_digits": digits, "control_code": same_code}}))
    scored.sort(key=lambda s: s[0], reverse=True)
    return [case for _, case in scored[:limit]]


def _shared(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
