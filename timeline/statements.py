"""Statements linked to the announcements they discuss (#20 item 5).

A spokesperson's Q&A or press-conference page is a document of kind ``statement``
(extract/components/kind.py): it has no number of its own, and the numbers it names are
its citations (``references`` with relation ``cites``). Officials explain scope,
exemptions and transition periods there, so a reader of an announcement wants them next
to it: "MOFCOM spokesperson, 9 October 2025, on No. 61 and 62".
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlite_utils import Database

SPEAKERS = {"MOFCOM": "MOFCOM spokesperson", "GACC": "GACC spokesperson"}


def statements(db: Database) -> list[dict[str, Any]]:
    """Every statement page with the announcement numbers it discusses, oldest first."""
    from timeline.build import normalise_number

    # A statement has no number of its own (extract/components/kind.py), so only the
    # unnumbered extractions' JSON is read: parsing every result took 0.7 s at 100k.
    rows = db.execute(
        "select d.id, d.source, d.url, v.title, e.issue_date, e.result "
        "from extractions e join versions v on v.id = e.version_id "
        "join documents d on d.current_version_id = v.id "
        "where coalesce(e.number, '') = '' and json_extract(e.result, '$.kind') = 'statement' "
        "and e.id = (select max(x.id) from extractions x where x.version_id = v.id)"
    ).fetchall()
    out = []
    for doc_id, source, url, title, issued, result in rows:
        refs = json.loads(result).get("references") or []
        numbers: list[str] = []
        for ref in refs:
            number = normalise_number(ref.get("target")) if isinstance(ref, dict) else None
            if number and number not in numbers:
                numbers.append(number)
        row = {"document_id": doc_id, "source": source, "url": url, "title": title,
               "date": issued, "numbers": numbers}
        row["label"] = label(row)
        out.append(row)
    return sorted(out, key=lambda r: (r["date"] or "", r["document_id"]))


def label(statement: dict[str, Any]) -> str:
    """"MOFCOM spokesperson, 9 October 2025, on No. 61 and 62" (the year is given for a
    number of another year than the statement's)."""
    numbers = statement["numbers"]
    series = numbers[0].split("-")[0] if numbers else None
    speaker = SPEAKERS.get(series or "", "Spokesperson")
    when = statement.get("date")
    day = date.fromisoformat(when) if when else None
    parts = []
    for number in numbers:
        _, year, seq = number.rsplit("-", 2)
        parts.append(seq if day and int(year) == day.year else f"{year} No. {seq}")
    text = speaker
    if day:
        text += f", {day.day} {day.strftime('%B %Y')}"
    if parts and not all(p.isdigit() for p in parts):
        parts = [p if not p.isdigit() else f"No. {p}" for p in parts]
    if parts:
        joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        text += f", on No. {joined}" if parts[0].isdigit() else f", on {joined}"
    return text


def for_announcement(db: Database, number: str) -> list[dict[str, Any]]:
    """The statements that discuss ``number``, oldest first."""
    return [s for s in statements(db) if number in s["numbers"]]
