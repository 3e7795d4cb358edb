"""Alert events for the days the timeline reaches: a suspension ends, a date comes."""

from __future__ import annotations

import json
import sqlite3

from alerts import kinds
from alerts.messages import alert_view


def test_one_in_force_again_event_per_announcement_and_day(mirror_history):
    db = sqlite3.connect(f"file:{mirror_history}?mode=ro", uri=True)
    rows = db.execute("select number, payload, baseline from events where kind = ? "
                      "order by number", [kinds.IN_FORCE_AGAIN]).fetchall()
    got = {number: json.loads(payload)["transition"] for number, payload, _ in rows}
    assert len(rows) == len(got)  # one per announcement (and day)
    assert got["MOFCOM-2024-46"] == {"date": "2026-11-28", "from": "suspended",
                                     "cause": "MOFCOM-2025-72", "clauses": ["二"]}
    assert {n for n, t in got.items() if t["date"] == "2026-11-11"} == {
        f"MOFCOM-2025-{n}" for n in (55, 56, 57, 58, 61, 62)}
    assert all(t["cause"] == "MOFCOM-2025-70" for t in got.values() if t["date"] == "2026-11-11")


def test_the_message_says_in_force_again_and_why():
    alert = {"event_kind": kinds.IN_FORCE_AGAIN, "idempotency_key": "k", "event_id": 1,
             "payload": {"number": "MOFCOM-2024-46", "title": "关于加强相关两用物项对美国出口管制的公告",
                         "transition": {"date": "2026-11-28", "from": "suspended",
                                        "cause": "MOFCOM-2025-72", "clauses": ["二"]}}}
    en = alert_view(alert, "en")
    assert en["headline"] == ("MOFCOM-2024-46 — in force again from 2026-11-28 (suspension by "
                              "MOFCOM-2025-72 ended), clauses 二")
    assert "恢复实施" in alert_view(alert, "zh")["headline"]
