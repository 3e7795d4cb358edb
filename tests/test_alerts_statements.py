"""A new spokesperson statement alerts the subscriptions on a material it discusses, once
(#20 item 5). The mirror's MOFCOM list and spokesperson pages are crawled on day 1 (first
load: baseline), then on day 2, which here adds a statement on 2024 No. 46 and 2025
No. 72 (the suspension of No. 46's clause 2 on gallium, germanium and antimony); a
re-crawl sends nothing more. Real mirror over HTTP, real extraction and timeline."""

from __future__ import annotations

from datetime import date

import pytest

from alerts import subscriptions
from mirror.server import start_in_thread
from mirror.site import Mirror, load_entries
from regwatch.jobs import run_once
from store import catalogue

SOURCES = ["mofcom", "mofcom_spokesperson"]
LABEL = "MOFCOM spokesperson, 9 November 2025, on 2024 No. 46 and No. 72"

# written for this test; the facts are No. 72's (facts §1 and §3)
STATEMENT = {
    "key": "spokesperson-2025-11-09", "site": "mofcom_spokesperson",
    "page_id": "5c8e1a2f3b4d4e6f8a0b1c2d3e4f5a6b",
    "title": "商务部新闻发言人就暂停实施对美国两用物项出口管控相关措施答记者问",
    "bureau": "新闻办公室", "kind": "原创", "date": date(2025, 11, 9),
    "posted": "2025-11-09 19:40", "day": 2,
    "body": [
        "问：商务部公告2025年第72号暂停实施了哪些措施？",
        "答：自即日起至2026年11月27日，暂停实施商务部公告2024年第46号第二款。该款涉及镓、锗、锑、"
        "超硬材料相关两用物项对美国出口的原则上不予许可。",
        "问：暂停期间相关出口如何办理？",
        "答：经营者仍须依法申请两用物项出口许可，商务部依法依规进行审查。",
    ],
}


def _alerts(path: str) -> list[dict]:
    db = catalogue.open_db(path)
    try:
        return [dict(r) for r in db.query(
            "select s.name, e.kind, e.title, e.baseline, e.payload from outbox o "
            "join events e on e.id = o.event_id join subscriptions s on s.id = o.subscription_id "
            "where e.kind = 'statement' order by o.id")]
    finally:
        db.close()


@pytest.fixture(scope="module")
def days(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("statement_alerts") / "catalogue.db")
    mirror = Mirror(day=1, entries=[*load_entries(), STATEMENT])
    server = start_in_thread(mirror)
    out = {"path": path}
    try:
        run_once(path, SOURCES, mirror=server.url)
        db = catalogue.open_db(path)
        for name, kw in {"gallium": {"materials": ["gallium"]},
                         "silver": {"materials": ["silver"]}}.items():
            subscriptions.add(db, subscriptions.build("email", f"{name}@example.com",
                                                      name=name, **kw))
        out["day1_statements"] = [dict(r) for r in db.query(
            "select baseline, title from events where kind = 'statement'")]
        db.close()
        out["after_day1"] = _alerts(path)
        mirror.set_day(2)
        out["day2"] = run_once(path, SOURCES, mirror=server.url)
        out["after_day2"] = _alerts(path)
        out["again"] = run_once(path, SOURCES, mirror=server.url, full=True)
        out["after_again"] = _alerts(path)
    finally:
        server.shutdown()
        server.server_close()
    return out


def test_day_one_statements_are_baseline_and_not_announcements(days):
    assert days["after_day1"] == []
    assert sorted(e["title"] for e in days["day1_statements"]) == [
        "MOFCOM spokesperson, 5 November 2025, on No. 13 and 21",
        "MOFCOM spokesperson, 9 October 2025, on No. 61 and 62"]
    assert all(e["baseline"] for e in days["day1_statements"])
    db = catalogue.open_db(days["path"])
    statement_news = db.execute(
        "select count(*) from events e join documents d on d.id = e.document_id "
        "where d.source = 'mofcom_spokesperson' and e.kind in ('new', 'changed', 'text_changed')"
    ).fetchone()[0]
    db.close()
    assert statement_news == 0  # a statement is never a "new announcement"


def test_new_statement_alerts_its_material_once(days):
    alerts = days["after_day2"]
    assert [(a["name"], a["kind"], a["title"], a["baseline"]) for a in alerts] == [
        ("gallium", "statement", LABEL, 0)]
    assert days["day2"]["alerts"]["by_kind"].get("statement") == 1


def test_recrawl_alerts_nothing_more(days):
    assert days["after_again"] == days["after_day2"]
    assert days["again"]["alerts"]["by_kind"].get("statement") is None
