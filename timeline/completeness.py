"""One announcement, many copies; and the numbers a series skipped (#20 items 3 and 4).

The timeline already reads one input per canonical number (timeline/build.py), so copies
of a notice at several URLs make one announcement, one timeline and, by the events' dedupe
key, one set of events. What this module adds is what a reader needs to trust that:

- :func:`copies`: every page that carries one number, in the announcement's language, and
  whether its text differs from the page the timeline reads (with the differing lines);
- :func:`gaps`: numbers missing between two numbers seen in the same series and year
  (2025 No. 55 and 57 seen, 56 not). A run of more than ``GAP_MAX`` missing numbers is
  not reported: it means the watched sections carry only part of the series (the GACC
  list carries few of MOFCOM's numbers), not that one page was missed;
- :func:`last_announcements`: per source, the newest announcement it gave and when.

Reads only; the alert side (alerts/completeness.py) turns these into events.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from typing import Any

from sqlite_utils import Database

from store.catalogue import in_chunks, source_languages

GAP_MAX = 3  # longer runs of missing numbers: the sections watched carry part of the series
MAX_DIFF_LINES = 12
_SPACE = re.compile(r"\s+")
_SENTENCE = re.compile(r"(?<=[。；;！？!?])|\n")
# A short line naming the document ("商务部 海关总署公告2025年第70号"): page furniture that
# differs between sites' layouts, as the title line and the 【】 fields do.
_NUMBER_LINE = re.compile(r"^[^。；]{0,40}(公告|〔\d{4}〕)[^。；]{0,20}号?$")


def _numbered_pages(db: Database, documents: list[int] | None = None) -> list[dict[str, Any]]:
    """Documents whose current version's latest extraction carries an own number
    (``documents``: only those)."""
    from timeline.build import normalise_number

    where, params = "", []
    if documents is not None:
        params = sorted(set(documents))
        where = f" and d.id in ({','.join('?' for _ in params)})"
    rows = db.execute(
        "select d.id, d.source, d.url, d.current_version_id, e.number, v.title, v.text, "
        "d.first_seen from documents d join versions v on v.id = d.current_version_id "
        "join extractions e on e.id = (select max(x.id) from extractions x "
        "where x.version_id = d.current_version_id) "
        "where e.number is not null and e.number != ''" + where, params).fetchall()
    out = []
    for doc_id, source, url, version_id, number, title, text, first_seen in rows:
        number = normalise_number(number)
        if number:
            out.append({"document_id": doc_id, "source": source, "url": url,
                        "version_id": version_id, "number": number, "title": title,
                        "text": text or "", "first_seen": first_seen})
    return out


def normalised(text: str) -> str:
    """The text as compared between copies: whitespace does not make a difference."""
    return _SPACE.sub("", text or "")


def body_sentences(text: str, title: str | None = None) -> list[str]:
    """The sentences of a page's text without what each site's layout adds around the
    notice (its title line, the 【】 fields, a line that only names the document)."""
    skip = normalised(title or "")
    out = []
    for part in _SENTENCE.split(text or ""):
        sentence = normalised(part)
        if not sentence or sentence == skip or sentence.startswith("【") \
                or _NUMBER_LINE.match(sentence):
            continue
        out.append(sentence)
    return out


def text_difference(primary: list[str], copy: list[str]) -> list[str]:
    """The sentences one copy drops (``-``) or adds (``+``) against the primary page."""
    lines = [line for line in difflib.unified_diff(primary, copy, lineterm="", n=0)
             if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    return lines[:MAX_DIFF_LINES]


def _carrying(db: Database, numbers: set[str]) -> list[int]:
    """Documents that carry (or the timeline reads for) one of ``numbers``."""
    found: set[int] = set()
    for chunk, marks in in_chunks(numbers):
        found |= {r[0] for r in db.execute(
            f"select id from documents where number in ({marks})", chunk)}
        if "announcements" in db.table_names():
            found |= {r[0] for r in db.execute(
                f"select document_id from announcements where number in ({marks}) "
                "and document_id is not null", chunk)}
    return sorted(found)


def copies(db: Database, number: str | None = None,
           numbers: set[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Per number with more than one page in one language: each page, primary first.

    The primary is the page the timeline reads (``announcements.document_id``); every other
    page carries ``differs`` and, when it does, ``difference`` (its differing sentences).
    ``numbers`` limits the reading to the pages of those numbers (the alerts' incremental
    pass), instead of every numbered page's text.
    """
    languages = source_languages(db)
    wanted = ({number} if number else set()) | (numbers or set())
    limited = number is not None or numbers is not None
    primary_of = dict(db.execute("select number, document_id from announcements "
                                 "where in_catalogue = 1").fetchall()) \
        if "announcements" in db.table_names() and not limited else {}
    if limited and "announcements" in db.table_names():
        for value in _chunks(sorted(wanted)):
            primary_of.update(db.execute(
                "select number, document_id from announcements where in_catalogue = 1 "
                f"and number in ({','.join('?' for _ in value)})", value).fetchall())
    by_number: dict[str, list[dict[str, Any]]] = defaultdict(list)
    pages = _numbered_pages(db, _carrying(db, wanted)) if limited else _numbered_pages(db)
    for page in pages:
        if not limited or page["number"] in wanted:
            by_number[page["number"]].append(page)
    out: dict[str, list[dict[str, Any]]] = {}
    for num, pages in by_number.items():
        primary_id = primary_of.get(num, min(p["document_id"] for p in pages))
        primary = next((p for p in pages if p["document_id"] == primary_id), pages[0])
        lang = languages.get(primary["source"], "zh")
        same = [p for p in pages if languages.get(p["source"], "zh") == lang]
        if len(same) < 2:
            continue
        body = {p["document_id"]: body_sentences(p["text"], p["title"]) for p in same}
        rows = []
        for page in sorted(same, key=lambda p: (p is not primary, p["document_id"])):
            row = {k: page[k] for k in ("document_id", "source", "url", "version_id", "title",
                                        "first_seen")}
            row["primary"] = page is primary
            if page is not primary:
                mine, theirs = body[page["document_id"]], body[primary["document_id"]]
                row["differs"] = mine != theirs
                row["difference"] = text_difference(theirs, mine) if row["differs"] else []
            rows.append(row)
        out[num] = rows
    return out


def _chunks(values: list[Any], size: int = 500) -> list[list[Any]]:
    return [values[start:start + size] for start in range(0, len(values), size)]


def gaps(db: Database, gap_max: int = GAP_MAX,
         numbers: set[str] | None = None) -> list[dict[str, Any]]:
    """Numbers not seen between two seen numbers of one series and year, one row each
    (``numbers``: only in the series and years of those numbers)."""
    if "announcements" not in db.table_names():
        return []
    seen: dict[tuple[str, int], dict[int, int | None]] = defaultdict(dict)
    sql = ("select series, year, seq, document_id from announcements "
           "where in_catalogue = 1 and series is not null and seq is not null")
    if numbers is None:
        rows = db.execute(sql).fetchall()
    else:
        pairs: set[tuple[str, int]] = set()
        for value in _chunks(sorted(numbers)):
            pairs |= set(db.execute(
                "select series, year from announcements where series is not null and "
                f"number in ({','.join('?' for _ in value)})", value).fetchall())
        rows = [row for series, year in sorted(pairs)
                for row in db.execute(sql + " and series = ? and year = ?", [series, year])]
    for series, year, seq, doc_id in rows:
        seen[(series, year)][seq] = doc_id
    ids = sorted({doc_id for numbers_seen in seen.values() for doc_id in numbers_seen.values()
                  if doc_id is not None})
    sources: dict[int, str] = {}
    for value in _chunks(ids):
        sources.update(db.execute(f"select id, source from documents where id in "
                                  f"({','.join('?' for _ in value)})", value).fetchall())
    out = []
    for (series, year), numbers in sorted(seen.items()):
        ordered = sorted(numbers)
        for before, after in zip(ordered, ordered[1:], strict=False):
            if not 1 < after - before <= gap_max + 1:
                continue
            for seq in range(before + 1, after):
                out.append({"number": f"{series}-{year}-{seq}", "series": series, "year": year,
                            "seq": seq, "between": [f"{series}-{year}-{before}",
                                                    f"{series}-{year}-{after}"],
                            "source": sources.get(numbers[after]),
                            "after_document_id": numbers[after]})
    return out


def last_announcements(db: Database) -> dict[str, dict[str, Any]]:
    """Per source, its newest numbered announcement (by issue date, then first seen)."""
    best: dict[str, dict[str, Any]] = {}
    issue = {}
    if "announcements" in db.table_names():
        issue = {n: d for n, d in db.execute("select number, issue_date from announcements")}
    for page in _numbered_pages(db):
        key = (issue.get(page["number"]) or "", page["first_seen"] or "")
        have = best.get(page["source"])
        if have is None or key > have["_key"]:
            best[page["source"]] = {"number": page["number"], "issue_date": key[0] or None,
                                    "first_seen": page["first_seen"], "url": page["url"],
                                    "_key": key}
    for row in best.values():
        row.pop("_key")
    return best
