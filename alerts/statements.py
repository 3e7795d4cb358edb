"""Statement events (#20 item 5): a spokesperson's new answer, alertable by material.

A statement page (extraction kind ``statement``: a 答记者问 or press-conference answer)
is not an announcement: it makes no ``new announcement`` event and takes no number. Its
first version makes one ``statement`` event, labelled as the timeline labels it ("MOFCOM
spokesperson, 9 November 2025, on 2024 No. 46 and No. 72"), for the subscriptions whose
topics it touches: what the statement itself names, and the materials, codes and items of
the announcements it discusses (a spokesperson explains a rule without listing its goods).
A later version of the page, a re-crawl or the same statement read again is no new event.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from alerts import kinds
from timeline.build import normalise_number
from timeline.statements import label


def discussed(extraction: dict[str, Any]) -> list[str]:
    """The announcement numbers a statement names, in its order."""
    numbers: list[str] = []
    for ref in extraction.get("references") or []:
        number = normalise_number(ref.get("target")) if isinstance(ref, dict) else None
        if number and number not in numbers:
            numbers.append(number)
    return numbers


def version_events(db: Database, version: dict[str, Any], extraction: dict[str, Any],
                   baseline: bool) -> list[Any]:
    """The events of one statement version: one ``statement`` event for its first."""
    from alerts.events import Event, announcement, document_by_number, extraction_of, facts_of

    if version["seq"] != 1:
        return []
    numbers = discussed(extraction)
    on = [extraction]
    for number in numbers:
        target = document_by_number(db, number, exclude=version["document_id"])
        found = extraction_of(db, target["current_version_id"]) if target else None
        if found:
            on.append({k: found.get(k) for k in ("materials", "hs_codes", "control_codes",
                                                 "items", "issuers")})
    doc = {"document_id": version["document_id"], "url": version["url"],
           "source": version["source"], "title": version["title"]}
    payload = announcement(extraction, doc)
    day = payload.get("issue_date")
    payload.update(number=None, discusses=numbers,
                   label=label({"numbers": numbers, "date": str(day)[:10] if day else None}))
    facts = facts_of(kinds.STATEMENT, on, version["source"], version["text"], baseline)
    return [Event(kinds.STATEMENT, f"{kinds.STATEMENT}:doc{version['document_id']}", facts, payload,
                  baseline=baseline, source=version["source"], document_id=version["document_id"],
                  version_id=version["id"], crawl_run_id=version["crawl_run_id"],
                  title=payload["label"], url=version["url"])]
