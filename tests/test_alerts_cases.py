"""A penalty decision published on a later mirror day alerts a subscription on its HS
prefix exactly once (#19 item 5): the mirror's Ningbo list is crawled on day 1 (first load:
recorded, not alerted), then on day 2, which adds 甬北关缉违字〔2025〕901号 (HS 8505119000,
control code 1C902.a); a re-crawl sends nothing more. Real mirror over HTTP."""

from __future__ import annotations

import json

import pytest

from alerts import subscriptions
from regwatch.jobs import run_once
from store import catalogue

SOURCE = "penalties_ningbo"
NEW_CASE = "甬北关缉违字〔2025〕901号"


def _alerts(path: str) -> list[dict]:
    db = catalogue.open_db(path)
    try:
        return [dict(r) for r in db.query(
            "select s.name, e.kind, e.number, e.baseline, o.matched from outbox o "
            "join events e on e.id = o.event_id join subscriptions s on s.id = o.subscription_id "
            "order by o.id")]
    finally:
        db.close()


@pytest.fixture(scope="module")
def days(tmp_path_factory):
    from mirror.server import start_in_thread
    from mirror.site import Mirror

    path = str(tmp_path_factory.mktemp("case_alerts") / "catalogue.db")
    mirror = Mirror(day=1)
    server = start_in_thread(mirror)
    out = {"path": path}
    try:
        out["day1"] = run_once(path, [SOURCE], mirror=server.url)
        db = catalogue.open_db(path)
        for name, kw in {"hs": {"hs_prefixes": ["850511"]},
                         "control": {"control_code_prefixes": ["1C902"]},
                         "graphite_hs": {"hs_prefixes": ["2504"]},
                         "magnets": {"materials": ["magnets"]}}.items():
            subscriptions.add(db, subscriptions.build("email", f"{name}@example.com",
                                                      name=name, **kw))
        db.close()
        out["after_day1"] = _alerts(path)
        mirror.set_day(2)
        out["day2"] = run_once(path, [SOURCE], mirror=server.url)
        out["after_day2"] = _alerts(path)
        out["again"] = run_once(path, [SOURCE], mirror=server.url)
        out["again_full"] = run_once(path, [SOURCE], mirror=server.url, full=True)
        out["after_again"] = _alerts(path)
    finally:
        server.shutdown()
        server.server_close()
    return out


def test_first_load_is_baseline(days):
    assert days["after_day1"] == []
    db = catalogue.open_db(days["path"])
    kinds = dict(db.execute("select baseline, count(*) from events where kind = 'case_new' "
                            "group by baseline").fetchall())
    cases = db.execute("select count(distinct case_number) from cases").fetchone()[0]
    db.close()
    assert kinds == {1: cases - 1, 0: 1}  # every day-1 decision baseline, day 2's news
    assert cases > 10


def test_later_decision_alerts_its_hs_prefix_once(days):
    assert days["day2"]["cases"] == {"read": 1, "cases": 1}
    assert days["day2"]["alerts"]["by_kind"] == {"case_new": 1}
    alerts = days["after_day2"]
    assert {(a["name"], a["number"]) for a in alerts} == {
        ("hs", NEW_CASE), ("control", NEW_CASE), ("magnets", NEW_CASE)}
    assert len(alerts) == 3 and all(a["kind"] == "case_new" and not a["baseline"] for a in alerts)
    matched = {a["name"]: json.loads(a["matched"]) for a in alerts}
    assert matched == {"hs": {"hs_codes": ["8505119000"]},
                       "control": {"control_codes": ["1C902.a"]},
                       "magnets": {"materials": ["magnets"]}}


def test_recrawl_sends_nothing(days):
    assert days["after_again"] == days["after_day2"]
    assert days["again"]["cases"] == {"read": 0, "cases": 0}
    assert days["again"]["alerts"]["alerts"] == 0
    assert days["again_full"]["alerts"]["alerts"] == 0
