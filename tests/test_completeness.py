"""One announcement, many copies; a number the series skipped (#20 items 3 and 4).

The mirror carries six notices a second time at the licensing bureau's URLs
(xkzj.mofcom.gov.cn/tzgg/…, source ``mofcom_xkzj``) and No. 70 a third time (the GACC
repost); the xkzj copy of 2025 No. 57 drops one clause. Crawled for real through
``regwatch.jobs.run_once``: every announcement is found once, the differing copy is
flagged with its difference, and removing one announcement from the mirror makes exactly
one "possibly missed" event naming it, cleared when the announcement appears.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

import regwatch.cli  # noqa: F401  (every stage's migrations)
from alerts.completeness import open_gaps
from extract.numbers import canonical
from mirror.server import start_in_thread
from mirror.site import Mirror, load_entries
from regwatch.jobs import run_once
from store.catalogue import open_db
from timeline.completeness import copies, gaps, text_difference
from timeline.search import search
from timeline.statements import for_announcement, label, statements

REMOVED = "MOFCOM-2025-56"
DIFFERING = "MOFCOM-2025-57"


def _numbers(mirror: Mirror) -> set[str]:
    """The distinct announcement numbers the mirror shows (copies included)."""
    return {canonical(e["doc_number"]) for e in mirror.visible if e.get("doc_number")}


def _events(db, kind: str) -> list[dict[str, Any]]:
    return [dict(r) for r in db.query("select * from events where kind = ? order by id", [kind])]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("completeness")
    full, partial = str(root / "full.db"), str(root / "partial.db")
    entries = load_entries()
    without = [e for e in entries if e["key"] != "mofcom-2025-56"]
    server = start_in_thread(Mirror(day=1))
    try:
        run_once(full, mirror=server.url)
        expected = _numbers(server.mirror)
        server.mirror.entries = without
        server.mirror.set_day(1)
        run_once(partial, mirror=server.url)
        partial_numbers = _numbers(server.mirror)
        db = open_db(partial)
        before_fill = {"open": open_gaps(db), "missed": _events(db, "possibly_missed")}
        db.close()
        server.mirror.entries = entries  # No. 56 published after all
        server.mirror.set_day(1)
        run_once(partial, mirror=server.url)
    finally:
        server.shutdown()
        server.server_close()
    return {"full": full, "partial": partial, "expected": expected,
            "partial_numbers": partial_numbers, **before_fill}


def test_every_announcement_once_across_copies(crawled):
    db = open_db(crawled["full"])
    numbers = [r[0] for r in db.execute("select number from announcements where in_catalogue = 1")]
    assert set(numbers) == crawled["expected"]
    assert len(numbers) == len(crawled["expected"]) == 29
    # the copies were crawled as pages of their own …
    found = copies(db)
    for number in ("MOFCOM-2025-55", "MOFCOM-2025-56", "MOFCOM-2025-57", "MOFCOM-2025-61",
                   "MOFCOM-2025-62", "MOFCOM-2025-70"):
        assert any(p["source"] == "mofcom_xkzj" for p in found[number]), number
    assert {p["source"] for p in found["MOFCOM-2025-70"]} == {"mofcom", "gacc", "mofcom_xkzj"}
    # … and the timeline reads the issuing ministry's page, not a repost
    primary = dict(db.execute("select a.number, d.source from announcements a "
                              "join documents d on d.id = a.document_id").fetchall())
    assert all(primary[n] == "mofcom" for n in found)
    # … yet make one "new" event per number and one timeline subject: no duplicates
    new = Counter(e["number"] for e in _events(db, "new") if e["number"])
    assert {n for n, c in new.items() if c > 1} == set()
    assert set(new) == crawled["expected"]
    subjects = Counter(r[0] for r in db.execute(
        "select announcement from subjects where kind = 'announcement'"))
    assert max(subjects.values()) == 1
    assert not any(e["number"] for e in _events(db, "possibly_missed")
                   if e["number"] in crawled["expected"])


def test_the_differing_copy_is_flagged_with_its_difference(crawled):
    db = open_db(crawled["full"])
    flagged = {n: [p for p in pages[1:] if p["differs"]] for n, pages in copies(db).items()}
    assert {n for n, pages in flagged.items() if pages} == {DIFFERING}
    [page] = flagged[DIFFERING]
    assert page["source"] == "mofcom_xkzj" and "xkzj.mofcom.gov.cn/tzgg/art/2025/" in page["url"]
    # the dropped clause, sentence by sentence, and nothing else
    assert page["difference"] == ["-三、出口经营者办理出口报关时，应当在报关单备注栏中注明所出口货物"
                                  "是否属于管制物项；", "-海关对申报存疑的，依法提出质疑。"]
    [event] = _events(db, "copy_differs")
    assert event["number"] == DIFFERING and event["url"] == page["url"]
    assert json.loads(event["payload"])["text_diff"] == page["difference"]


def test_removing_one_announcement_makes_one_possibly_missed_event(crawled):
    assert crawled["expected"] - crawled["partial_numbers"] == {REMOVED}
    full = {e["number"] for e in _events(open_db(crawled["full"]), "possibly_missed")}
    missed = crawled["missed"]
    extra = [e for e in missed if e["number"] not in full]
    assert [e["number"] for e in extra] == [REMOVED]
    payload = json.loads(extra[0]["payload"])
    assert payload["between"] == ["MOFCOM-2025-55", "MOFCOM-2025-57"]
    assert REMOVED in payload["detail"]
    assert REMOVED in crawled["open"]


def test_the_gap_clears_when_the_announcement_appears(crawled):
    db = open_db(crawled["partial"])
    assert REMOVED not in open_gaps(db)
    assert REMOVED not in {g["number"] for g in gaps(db)}
    [filled] = _events(db, "gap_filled")
    assert filled["number"] == REMOVED
    # a second pass over an unchanged catalogue makes no new completeness events
    from alerts.events import record_events

    before = db.execute("select count(*) from events").fetchone()[0]
    record_events(db)
    assert db.execute("select count(*) from events").fetchone()[0] == before


def test_status_names_each_sources_last_announcement(crawled):
    from core.settings import load
    from regwatch.health import service_status

    db = open_db(crawled["full"])
    report = service_status(db, load(None, {"mofcom", "gacc", "mofcom_en", "mofcom_xkzj"}),
                            now=datetime(2026, 11, 29, 4, tzinfo=UTC))
    last = {s["source"]: s["last_announcement"] for s in report["sources"]}
    assert last["mofcom_xkzj"]["number"] == "MOFCOM-2025-70"
    assert last["mofcom_xkzj"]["issue_date"] == "2025-11-07"
    assert last["mofcom_xkzj"]["age_days"] == 387


def test_gaps_longer_than_the_limit_are_a_partial_series_not_a_miss():
    # 55 and 57 seen: 56 is named; 10 and 18 seen: seven missing numbers are not a miss
    assert text_difference(["a", "b"], ["a"]) == ["-b"]
    from sqlite_utils import Database

    db = Database(memory=True)
    db["documents"].insert_all([{"id": i, "source": "mofcom"} for i in (1, 2, 3, 4)])
    db["announcements"].insert_all([
        {"number": f"MOFCOM-2025-{seq}", "series": "MOFCOM", "year": 2025, "seq": seq,
         "in_catalogue": 1, "document_id": doc} for doc, seq in ((1, 10), (2, 18), (3, 55),
                                                                   (4, 57))])
    assert [(g["number"], g["source"]) for g in gaps(db)] == [("MOFCOM-2025-56", "mofcom")]


def test_spokesperson_pages_are_statements_linked_to_their_announcements(crawled):
    db = open_db(crawled["full"])
    found = statements(db)
    assert [s["source"] for s in found] == ["mofcom_spokesperson"] * 2
    assert [s["label"] for s in for_announcement(db, "MOFCOM-2025-61")] == [
        "MOFCOM spokesperson, 9 October 2025, on No. 61 and 62"]
    assert for_announcement(db, "MOFCOM-2025-62") == for_announcement(db, "MOFCOM-2025-61")
    assert [s["label"] for s in for_announcement(db, "MOFCOM-2025-13")] == [
        "MOFCOM spokesperson, 5 November 2025, on No. 13 and 21"]
    assert for_announcement(db, "MOFCOM-2025-55") == []
    # a statement names numbers without taking one: no announcement is read from it
    readers = {r[0] for r in db.execute("select document_id from announcements")}
    assert not readers & {s["document_id"] for s in found}
    # and it is found by what the spokesperson said
    hits = search(db, "人道主义")["results"]
    assert any("/xwfb/xwfyrth/" in str(hit.get("url")) for hit in hits), hits


def test_statement_label_names_other_years():
    assert label({"numbers": ["MOFCOM-2024-46", "MOFCOM-2025-72"], "date": "2025-11-09"}) == \
        "MOFCOM spokesperson, 9 November 2025, on 2024 No. 46 and No. 72"


def test_the_announcement_page_shows_statements_and_copies(crawled):
    from web.announcement import announcement_page

    page = announcement_page(open_db(crawled["full"]), DIFFERING)
    assert [c["source"] for c in page["copies"]] == ["mofcom", "mofcom_xkzj"]
    assert page["copies"][1]["differs"] and page["copies"][1]["difference"]
    page = announcement_page(open_db(crawled["full"]), "MOFCOM-2025-62")
    assert [s["label"] for s in page["statements"]] == [
        "MOFCOM spokesperson, 9 October 2025, on No. 61 and 62"]
