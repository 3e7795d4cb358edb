"""The mirror crawled for real: list announcements yield their stated counts, and the
day-3 notice suspends and removes entities (read from the pages, not the lists file)."""

from __future__ import annotations

import shutil

from mirror.server import start_in_thread
from mirror.site import Mirror
from regwatch.jobs import run_once
from screening.state import state_on
from screening.store import screener, stored_events
from store import catalogue


def test_every_crawled_list_announcement_yields_its_stated_count(mirror_history):
    db = catalogue.open_db(mirror_history)
    rows = {r["id"]: r for r in db.query("select * from list_announcements")}
    carried = {k: v["carried"] for k, v in rows.items()}
    assert carried == {"MOFCOM-2025-13": 15, "MOFCOM-2025-21": 16, "MOFCOM-2025-22": 12,
                       "UEL-2025-7": 11, "UEL-2025-8": 6}
    assert {k: v["count_ok"] for k, v in rows.items() if v["stated_count"]} == {
        "MOFCOM-2025-13": 1, "MOFCOM-2025-21": 1, "MOFCOM-2025-22": 1}
    hits = screener(db).screen("斯凱迪奧公司", on="2025-06-01")
    assert {(h["list"], h["announcement"]) for h in hits if h["band"] == "match"} == {
        ("control", "MOFCOM-2025-13"), ("unreliable", "UEL-2025-7")}


def test_day_three_suspends_two_entities_and_removes_one(mirror_history, tmp_path):
    path = str(tmp_path / "catalogue.db")
    shutil.copy(mirror_history, path)
    server = start_in_thread(Mirror(day=3))
    try:
        result = run_once(path, mirror=server.url)
    finally:
        server.shutdown()
        server.server_close()
    assert result["lists"]["events"] == 3
    events = stored_events(catalogue.open_db(path))
    universal = events[("universal-logistics-holdings", "control")]
    assert state_on(universal, "2026-11-30")["state"] == "listed"
    during = state_on(universal, "2026-12-15")
    assert (during["state"], during["until"]) == ("suspended", "2027-03-01")
    assert state_on(universal, "2027-03-01")["state"] == "listed"
    assert state_on(events[("textore", "control")], "2026-12-01")["state"] == "removed"
    assert state_on(events[("tcom-limited-partnership", "control")], "2026-12-01")["state"] == "listed"
