"""What the announcement page shows, gathered from the catalogue as plain dicts.

An announcement (``MOFCOM-2025-61``) may be published on several pages (MOFCOM's, the
customs site's, the English one); the page shows each with its versions and diffs, the
items and codes of the current extraction, its references both ways and its timeline.
The timeline and the current items come from the timeline stage (timeline/queries.py,
``items``, ``announcement_refs``); when those tables are absent or do not know the
announcement, references and items are read from the extraction itself, so a
suspension is visible as soon as the suspending page is extracted.

Nothing here writes: the functions run on Datasette's read-only connection.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup, escape
from sqlite_utils import Database

from core import clock
from store import catalogue
from store.errors import CatalogueError

NUMBER = re.compile(r"^[A-Z]+(?:-[A-Z]+)*-\d{4}-\d+$")
MAX_DIFF_LINES = 400
EVENTS_SHOWN = 20


def safe_url(url: str | None) -> str | None:
    """A crawled URL fit for an href: http(s) only, so no ``javascript:`` link is made."""
    if not url:
        return None
    return url if urlsplit(url).scheme in ("http", "https") else None


def diff_lines(diff: str) -> list[dict[str, str]]:
    """A unified diff as lines tagged add / del / hunk / context (rendered escaped)."""
    out = []
    for line in diff.splitlines()[:MAX_DIFF_LINES]:
        if line.startswith(("+++", "---")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "context"
        out.append({"kind": kind, "text": line})
    return out


def _tables(db: Database) -> set[str]:
    return set(db.table_names())


def _documents(db: Database, where: str, args: list[Any]) -> list[dict[str, Any]]:
    """Documents with their versions (oldest first) and each version's diff."""
    docs = []
    for row in db.execute(
            f"select id, source, url, title, number, first_seen, last_seen, last_changed, "
            f"version_count from documents where {where} order by source = 'mofcom_en', id",
            args).fetchall():
        doc = dict(zip(("id", "source", "url", "title", "number", "first_seen", "last_seen",
                        "last_changed", "version_count"), row, strict=True))
        doc["href"] = safe_url(doc["url"])
        versions = catalogue.history(db, doc["id"])
        doc["text"] = versions[-1]["text"] if versions else None
        for version in versions:
            version["diff_lines"] = diff_lines(version.pop("diff"))
            version.pop("text", None)
        doc["versions"] = list(reversed(versions))  # newest first on the page
        docs.append(doc)
    return docs


def _extraction(db: Database, version_id: int | None) -> dict[str, Any]:
    if version_id is None:
        return {}
    row = db.execute("select result from extractions where version_id = ? order by id desc "
                     "limit 1", [version_id]).fetchone()
    return json.loads(row[0]) if row else {}


# Fields whose values the page links to their evidence in the page text.
EVIDENCE_FIELDS = ("number", "title", "issuers", "issue_date", "effective_dates", "materials",
                   "control_codes", "hs_codes", "references")


def _spans(extraction: dict[str, Any], text: str) -> list[dict[str, Any]]:
    """The extraction's value spans that point inside ``text``, each with an anchor id."""
    out = []
    for field in EVIDENCE_FIELDS:
        for index, span in enumerate((extraction.get("spans") or {}).get(field) or []):
            if not isinstance(span, dict):
                continue
            start, end = span.get("start"), span.get("end")
            if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
                out.append({"field": field, "value": span.get("value"), "start": start,
                            "end": end, "id": f"ev-{field}-{index}"})
    return out


def evidence(extraction: dict[str, Any], fallback_text: str | None = None) -> dict[str, Any]:
    """The analysed page text with every extracted value's span marked, and where each
    value's first span is.

    Offsets point into the extraction's own ``text`` (the stored page text). Each span
    becomes ``<mark id="ev-FIELD-N">``; a span that crosses the end of another is split
    and only its first part carries the id. The text is escaped here, piece by piece, so
    the result is safe markup: no crawled string reaches the page unescaped. Returns
    ``{"html": Markup | None, "links": {field: {value: anchor id}}}``.
    """
    text = extraction.get("text") if isinstance(extraction.get("text"), str) else None
    text = text if text is not None else (fallback_text or "")
    spans = _spans(extraction, text)
    links: dict[str, dict[str, str]] = {}
    for span in spans:
        links.setdefault(span["field"], {}).setdefault(str(span["value"]), span["id"])
    if not spans:
        return {"html": None, "links": links}
    opens: dict[int, list[dict[str, Any]]] = {}
    for span in sorted(spans, key=lambda s: (s["start"], -s["end"])):
        opens.setdefault(span["start"], []).append(span)
    cuts = sorted({0, len(text)} | {s["start"] for s in spans} | {s["end"] for s in spans})
    parts: list[str] = []
    stack: list[dict[str, Any]] = []

    def open_tag(span: dict[str, Any], first: bool) -> str:
        anchor = f' id="{span["id"]}"' if first else ""
        return (f'<mark class="ev ev-{span["field"]}"{anchor} data-ev="{span["id"]}"'
                f' title="{escape(span["field"])}: {escape(str(span["value"]))}">')

    for a, b in zip(cuts, cuts[1:], strict=False):
        while stack and stack[-1]["end"] <= a:  # the innermost marks that end here
            parts.append("</mark>")
            stack.pop()
        if any(s["end"] <= a for s in stack):  # a span crossing another's end: split it
            keep = [s for s in stack if s["end"] > a]
            parts.append("</mark>" * len(stack))
            stack = keep
            parts.extend(open_tag(s, False) for s in stack)
        for span in opens.get(a, []):
            parts.append(open_tag(span, True))
            stack.append(span)
        parts.append(str(escape(text[a:b])))
    parts.append("</mark>" * len(stack))
    return {"html": Markup("".join(parts)), "links": links}


def _state_today(intervals: list[dict[str, Any]], today: str) -> dict[str, Any] | None:
    for interval in sorted(intervals, key=lambda i: i.get("since") or "", reverse=True):
        since, until = interval.get("since"), interval.get("until")
        if since and since <= today and (until is None or until >= today):
            return interval
    return None


def _items(db: Database, number: str, today: str) -> list[dict[str, Any]]:
    rows = db.execute(
        "select it.provision, it.control_code, it.text, it.text_en, it.materials, it.hs_codes, "
        "it.measure, it.effective_date, it.kind, it.destinations, "
        "(select i.state from intervals i where i.subject_id = it.subject_id "
        "and i.retired_in is null and i.start <= ? and (i.\"end\" is null or i.\"end\" >= ?) "
        "order by i.start desc limit 1) "
        "from items it where it.current = 1 and it.announcement = ? and it.kind = 'item' "
        "order by it.ordinal", [today, today, number]).fetchall()
    keys = ("provision", "control_code", "text", "text_en", "materials", "hs_codes", "measure",
            "effective_date", "kind", "destinations", "state")
    items = []
    for row in rows:
        item = dict(zip(keys, row, strict=True))
        for key in ("materials", "hs_codes"):
            item[key] = json.loads(item[key]) if item[key] else []
        items.append(item)
    return items


def _extraction_items(extraction: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for item in extraction.get("items") or []:
        if isinstance(item, dict):
            out.append({k: item.get(k) for k in ("provision", "control_code", "text",
                                                   "effective_date")}
                       | {"materials": item.get("materials") or [],
                          "hs_codes": item.get("hs_codes") or [], "measure": None,
                          "state": None})
    return out


def _referenced_by_extractions(db: Database, number: str) -> list[dict[str, Any]]:
    """References to ``number`` read from the latest extractions (no timeline tables)."""
    found = []
    needle = f'"target": "{number}"'
    for source_number, result in db.execute(
            "select e.number, e.result from documents d join extractions e on e.id = "
            "(select max(x.id) from extractions x where x.version_id = d.current_version_id) "
            "where instr(e.result, ?) > 0 and coalesce(e.number, '') != ''",  # statements:
            [needle]).fetchall():                                 # shown apart, not as acts
        for ref in json.loads(result).get("references") or []:
            if isinstance(ref, dict) and ref.get("target") == number:
                found.append({"source": source_number, "relation": ref.get("relation"),
                              "from": ref.get("from"), "until": ref.get("until"),
                              "clause": ref.get("clause")})
    unique = {json.dumps(r, sort_keys=True): r for r in found}
    return sorted(unique.values(), key=lambda r: r["source"] or "")


def _timeline(db: Database, number: str, tables: set[str]) -> dict[str, Any] | None:
    if not {"announcements", "intervals", "subjects", "items"} <= tables:
        return None
    from timeline.queries import timeline

    try:
        return timeline(db, number)
    except CatalogueError:
        return None


def _events(db: Database, number: str, tables: set[str]) -> list[dict[str, Any]]:
    if "events" not in tables:
        return []
    return [dict(zip(("id", "created_at", "kind", "baseline", "title"), row, strict=True))
            for row in db.execute(
                "select id, created_at, kind, baseline, title from events where number = ? "
                "order by id desc limit ?", [number, EVENTS_SHOWN]).fetchall()]


def _mismatches(db: Database, number: str, tables: set[str]) -> list[dict[str, Any]]:
    if "translation_mismatches" not in tables:
        return []
    return [dict(zip(("field", "original", "translation", "detected_at"), row, strict=True))
            for row in db.execute(
                "select field, original, translation, detected_at from translation_mismatches "
                "where number = ? order by id", [number]).fetchall()]


def announcement_page(db: Database, number: str, today: str | None = None
                      ) -> dict[str, Any] | None:
    """Everything the page of announcement ``number`` shows; None when nothing has it."""
    number = number.strip().upper()
    if not NUMBER.match(number):
        return None
    today = today or clock.today()
    tables = _tables(db)
    documents = _documents(db, "number = ?", [number])
    story = _timeline(db, number, tables)
    if not documents and story is None:
        return None
    main = documents[0] if documents else None
    current = db.execute("select current_version_id from documents where id = ?",
                         [main["id"]]).fetchone()[0] if main else None
    extraction = _extraction(db, current)
    if story is not None:
        intervals = story["intervals"]
        references, referenced_by = story["references"], story["referenced_by"]
        provisions = [p for p in story["parts"] if p["kind"] == "provision"]
        items = _items(db, number, today)
    else:
        intervals, provisions = [], []
        references = [{"target": r.get("target"), "relation": r.get("relation"),
                       "from": r.get("from"), "until": r.get("until"),
                       "clause": r.get("clause")}
                      for r in extraction.get("references") or [] if isinstance(r, dict)]
        referenced_by = _referenced_by_extractions(db, number)
        items = []
    if not items:
        items = _extraction_items(extraction)
    state = _state_today(intervals, today)
    from web.home import announcement_chart

    chart = announcement_chart(number, intervals, (story or {}).get("parts") or [], today)
    return {
        "number": number,
        "title": (story or {}).get("title") or extraction.get("title")
        or (main or {}).get("title"),
        "issuers": (story or {}).get("issuers") or extraction.get("issuers") or [],
        "issue_date": (story or {}).get("issue_date") or extraction.get("issue_date"),
        "effective_dates": (story or {}).get("effective_dates")
        or extraction.get("effective_dates") or [],
        "materials": extraction.get("materials") or [],
        "control_codes": extraction.get("control_codes") or [],
        "hs_codes": extraction.get("hs_codes") or [],
        "today": today, "state": state, "has_timeline": story is not None,
        "intervals": intervals, "provisions": provisions, "item_rows": items,
        "references": references, "referenced_by": referenced_by,
        "documents": documents, "events": _events(db, number, tables),
        "mismatches": _mismatches(db, number, tables), "chart": chart,
        "evidence": evidence(extraction, (main or {}).get("text")),
        **_copies_and_statements(db, number),
    }


def _copies_and_statements(db: Database, number: str) -> dict[str, Any]:
    """The other pages that carry the notice (and how a differing one differs), and the
    spokesperson's statements that discuss it (timeline/completeness.py, statements.py)."""
    from timeline.completeness import copies
    from timeline.statements import for_announcement

    if "extractions" not in _tables(db):
        return {"copies": [], "statements": []}
    return {"copies": [dict(c, url=safe_url(c["url"])) for c in copies(db, number).get(number, [])],
            "statements": [dict(s, url=safe_url(s["url"])) for s in for_announcement(db, number)]}


def document_page(db: Database, document_id: int) -> dict[str, Any] | None:
    """The page of a document without an announcement number (a notice, a holiday post)."""
    documents = _documents(db, "id = ?", [document_id])
    if not documents:
        return None
    doc = documents[0]
    current = db.execute("select current_version_id from documents where id = ?",
                         [document_id]).fetchone()[0]
    extraction = _extraction(db, current)
    return {
        "number": doc["number"], "title": doc["title"], "issuers": extraction.get("issuers") or [],
        "issue_date": extraction.get("issue_date"),
        "effective_dates": extraction.get("effective_dates") or [],
        "materials": extraction.get("materials") or [],
        "control_codes": extraction.get("control_codes") or [],
        "hs_codes": extraction.get("hs_codes") or [], "today": clock.today(),
        "state": None, "has_timeline": False, "intervals": [], "provisions": [],
        "item_rows": _extraction_items(extraction), "references": [], "referenced_by": [],
        "documents": documents, "events": [], "mismatches": [],
        "evidence": evidence(extraction, doc.get("text")),
    }
