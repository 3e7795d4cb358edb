"""Change events, matching, source health and reminders, on extraction dicts built here.

Rows go through the real store functions (record_page, record_extraction, crawl runs)
into a real SQLite file; only the extractor is left out, by writing its output directly.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from conftest import GALLIUM, NOW, RARE_EARTH, Catalogue, _with

from alerts import diff, kinds, subscriptions
from alerts.events import record_events
from alerts.matching import Facts, SubscriptionIndex, reminder_slot
from alerts.settings import load_settings
from store import catalogue
from store.extractions import record_extraction

NOTICE = {"number": None, "issuers": ["MOFCOM"], "title": "关于2026年元旦假期期间政务服务安排的公告",
          "issue_date": "2025-12-29", "effective_dates": [], "control_codes": [], "hs_codes": [],
          "materials": [], "references": [], "items": [], "text": "元旦假期期间……"}


@pytest.fixture
def cat(db_path) -> Catalogue:
    return Catalogue(db_path)


# -- diff -------------------------------------------------------------------------------

def test_extraction_changes_reports_before_after_added_removed():
    after = _with(GALLIUM, effective_dates=["2023-08-01", "2023-09-01"],
                  hs_codes=["8112929090", "2853904030"],
                  items=[GALLIUM["items"][0], {"text": "磷化镓", "hs_codes": ["2853904030"],
                                               "materials": ["gallium"]}])
    changes = diff.extraction_changes(GALLIUM, after)
    assert set(changes) == {"effective_dates", "hs_codes", "items"}
    assert changes["effective_dates"]["before"] == ["2023-08-01"]
    assert changes["effective_dates"]["added"] == ["2023-09-01"]
    assert changes["hs_codes"]["added"] == ["2853904030"]
    assert changes["hs_codes"]["removed"] == ["2850001901"]
    assert [i["text"] for i in changes["items"]["added"]] == ["磷化镓"]
    assert [i["text"] for i in changes["items"]["removed"]] == ["氮化镓"]


def test_moved_spans_and_reordered_lists_are_no_change():
    moved = _with(GALLIUM, hs_codes=list(reversed(GALLIUM["hs_codes"])),
                  items=[{**i, "span": [i["span"][0] + 40, i["span"][1] + 40], "source": "text"}
                         for i in reversed(GALLIUM["items"])])
    assert diff.extraction_changes(GALLIUM, moved) == {}


# -- announcement events ----------------------------------------------------------------

def test_first_load_is_baseline_and_queues_nothing(cat):
    sub = cat.subscribe(materials=["gallium"])
    cat.run(pages=[("a", GALLIUM, "镓 v1"), ("n", NOTICE, "元旦")])
    report = record_events(cat.db, [], now=NOW)
    assert report["events"] == 2 and report["baseline"] == 2
    assert report["alerts"] == 0
    assert cat.alerts(sub) == []


def test_baseline_can_be_alerted_per_subscription(cat):
    wants = cat.subscribe(materials=["gallium"], include_baseline=True)
    other = cat.subscribe(target="b@example.com", materials=["gallium"])
    cat.run(pages=[("a", GALLIUM, "镓 v1")])
    record_events(cat.db, [], now=NOW)
    assert len(cat.alerts(wants)) == 1 and cat.alerts(other) == []


def test_new_announcement_after_first_load_alerts_matching_subscriptions_once(cat):
    ga = cat.subscribe(target="ga@example.com", materials=["gallium"])
    re_ = cat.subscribe(target="re@example.com", materials=["rare earths"])
    code = cat.subscribe(target="code@example.com", control_code_prefixes=["1c903"])
    hs = cat.subscribe(target="hs@example.com", hs_prefixes=["2805"])
    kw = cat.subscribe(target="kw@example.com", keywords=["钆"])
    gacc = cat.subscribe(target="gacc@example.com", materials=["samarium"], sources=["gacc"])
    miit = cat.subscribe(target="miit@example.com", materials=["samarium"], issuers=["MIIT"])
    cat.run(pages=[("a", GALLIUM, "镓 v1")])
    record_events(cat.db, [], now=NOW)
    cat.run(pages=[("b", RARE_EARTH, "钐 钆 v1")])
    report = record_events(cat.db, [], now=NOW)
    assert report["by_kind"] == {"new": 1}
    got = {s: len(cat.alerts(s)) for s in (ga, re_, code, hs, kw, gacc, miit)}
    assert got == {ga: 0, re_: 1, code: 1, hs: 1, kw: 1, gacc: 0, miit: 0}
    matched = json.loads(cat.alerts(code)[0]["matched"])
    assert matched["control_codes"] == ["1C903.b"]
    assert [i["control_code"] for i in matched["items"]] == ["1C903.b"]
    assert json.loads(cat.alerts(re_)[0]["matched"])["materials"] == ["gadolinium", "samarium"]
    # recording again, or a re-crawl that stores nothing, makes nothing
    assert record_events(cat.db, [], now=NOW)["events"] == 0
    cat.run(pages=[("a", GALLIUM, "镓 v1"), ("b", RARE_EARTH, "钐 钆 v1")])
    assert record_events(cat.db, [], now=NOW) == {"events": 0, "alerts": 0, "baseline": 0,
                                                   "by_kind": {}}


def test_changed_announcement_carries_before_and_after(cat):
    cat.subscribe(materials=["gallium"])
    cat.run(pages=[("a", GALLIUM, "镓 v1")])
    record_events(cat.db, [], now=NOW)
    corrected = _with(GALLIUM, effective_dates=["2023-08-01", "2023-12-01"])
    cat.run(pages=[("a", corrected, "镓 v1\n第二项自2023年12月1日起实施。")])
    report = record_events(cat.db, [], now=NOW)
    assert report["by_kind"] == {"changed": 1} and report["alerts"] == 1
    event = cat.events(kinds.CHANGED)[0]
    change = event["payload"]["changes"]["effective_dates"]
    assert change == {"before": ["2023-08-01"], "after": ["2023-08-01", "2023-12-01"],
                      "added": ["2023-12-01"], "removed": []}
    assert event["payload"]["text_diff"] == ["+第二项自2023年12月1日起实施。"]
    assert event["baseline"] == 0 and event["previous_version_id"]


def test_page_noise_is_only_a_low_priority_text_change(cat):
    default = cat.subscribe(materials=["gallium"])
    noisy = cat.subscribe(target="noise@example.com", materials=["gallium"],
                          event_kinds=["text_changed", "changed"])
    cat.run(pages=[("a", GALLIUM, "镓 v1")])
    record_events(cat.db, [], now=NOW)
    cat.run(pages=[("a", GALLIUM, "镓 v1 （已更新排版）")])
    report = record_events(cat.db, [], now=NOW)
    assert report["by_kind"] == {"text_changed": 1}
    assert cat.events(kinds.TEXT_CHANGED)[0]["priority"] == "low"
    assert cat.alerts(default) == [] and len(cat.alerts(noisy)) == 1


def test_suspension_is_an_event_about_the_target(cat):
    sub = cat.subscribe(materials=["gallium"])
    other = cat.subscribe(target="re@example.com", materials=["samarium"])
    cat.run(pages=[("a", GALLIUM, "镓 v1"), ("b", RARE_EARTH, "钐 v1")])
    record_events(cat.db, [], now=NOW)
    suspension = {"number": "MOFCOM-2025-72", "issuers": ["MOFCOM"], "title": "暂停实施的决定",
                  "issue_date": "2025-11-09", "effective_dates": ["2025-11-09"], "materials": [],
                  "references": [{"target": "MOFCOM-2023-23", "relation": "suspends",
                                  "from": "2025-11-09", "until": "2026-11-27", "clause": "第二款"},
                                 {"target": "MOFCOM-2025-18", "relation": "cites"}],
                  "items": [], "text": "暂停实施商务部公告2023年第23号第二款"}
    cat.run(pages=[("c", suspension, "暂停 v1")])
    report = record_events(cat.db, [], now=NOW)
    assert report["by_kind"] == {"new": 1, "suspended": 1}
    event = cat.events(kinds.SUSPENDED)[0]
    assert event["number"] == "MOFCOM-2023-23"
    assert event["payload"]["by"]["number"] == "MOFCOM-2025-72"
    assert event["payload"]["relation"]["until"] == "2026-11-27"
    # matched on the target's materials; the citing reference makes no event
    assert [a["kind"] for a in cat.alerts(sub)] == ["suspended"]
    assert cat.alerts(other) == []


def test_reposted_copy_is_not_new_twice(cat):
    sub = cat.subscribe(materials=["gallium"])
    cat.run(pages=[("n", NOTICE, "元旦")])
    record_events(cat.db, [], now=NOW)
    cat.run(pages=[("a", GALLIUM, "镓 v1")])
    cat.run(source="gacc", pages=[("gacc-a", GALLIUM, "镓 v1 海关总署转载")])
    record_events(cat.db, [], now=NOW)
    assert len(cat.events(kinds.NEW)) == 2  # the notice and the gallium announcement
    assert len(cat.alerts(sub)) == 1


def test_a_translation_joins_the_event_of_the_original(cat):
    zh_kw = cat.subscribe(target="zh@example.com", keywords=["日本"])
    en_kw = cat.subscribe(target="en@example.com", keywords=["japan"])
    everyone = cat.subscribe(target="all@example.com")
    for source in ("mofcom_en", "mofcom"):  # both sources past their first load
        cat.run(source=source, pages=[(f"{source}-n", NOTICE, f"{source} 元旦")])
    record_events(cat.db, [], now=NOW)
    japan = {"number": "MOFCOM-2026-1", "issuers": ["MOFCOM"], "title": "关于加强两用物项对日本出口管制的公告",
             "effective_dates": ["2026-01-06"], "materials": [], "items": []}
    # the English page is stored first, as a crawl may do
    cat.run(source="mofcom_en", pages=[("en-1", {**japan, "title": "Export Control to Japan"},
                                        "Announcement on export control of dual-use items to Japan")])
    cat.run(source="mofcom", pages=[("zh-1", japan, "加强两用物项对日本出口管制")])
    report = record_events(cat.db, [], now=NOW)
    assert report["by_kind"] == {"new": 1} and report["alerts"] == 3
    (event,) = cat.events(kinds.NEW)[-1:]
    assert event["source"] == "mofcom" and event["title"] == japan["title"]
    assert [len(cat.alerts(s)) for s in (zh_kw, en_kw, everyone)] == [1, 1, 1]


def test_a_late_translation_of_an_old_announcement_is_not_news(cat):
    sub = cat.subscribe(keywords=["gallium"])
    cat.run(pages=[("a", GALLIUM, "镓 v1")])  # first load: baseline
    cat.run(source="mofcom_en", pages=[("en-n", NOTICE, "holiday")])  # English site's first load
    record_events(cat.db, [], now=NOW)
    cat.run(source="mofcom_en", pages=[("en-a", {**GALLIUM, "title": "Gallium export control"},
                                        "export control on gallium and germanium")])
    report = record_events(cat.db, [], now=NOW)
    assert report == {"events": 0, "alerts": 0, "baseline": 0, "by_kind": {}}
    assert cat.alerts(sub) == []


def test_versions_extracted_later_are_caught_up(cat):
    sub = cat.subscribe(materials=["samarium"])
    cat.run(pages=[("a", GALLIUM, "镓 v1")])
    record_events(cat.db, [], now=NOW)
    run_id = catalogue.start_run(cat.db, "mofcom")
    page = {"source": "mofcom", "url": "https://www.mofcom.gov.cn/art/b.html", "title": "t",
            "text": "钐", "content_hash": "h-b", "raw": b""}
    version_id = catalogue.record_page(cat.db, run_id, page)["version_id"]
    catalogue.finish_run(cat.db, run_id)
    assert record_events(cat.db, [], now=NOW)["events"] == 0  # not extracted yet: wait
    record_extraction(cat.db, version_id, "test-1", RARE_EARTH)
    assert record_events(cat.db, [], now=NOW)["by_kind"] == {"new": 1}
    assert len(cat.alerts(sub)) == 1


# -- matching ---------------------------------------------------------------------------

def _sub(sid: int, **kw) -> dict:
    row = subscriptions.build("email", f"s{sid}@example.com", **kw)
    return {**row, "id": sid}


def test_topics_are_alternatives_and_scope_filters_all_hold():
    index = SubscriptionIndex([
        _sub(1, materials=["gallium"], hs_prefixes=["2805"]),
        _sub(2, materials=["gallium"], issuers=["GACC"]),
        _sub(3),
        _sub(4, keywords=["gallium"], event_kinds=["changed"]),
        _sub(5, materials=["镓"]),
    ])
    facts = Facts(kind="new", source="mofcom", issuers=["MOFCOM"], materials=["gallium"],
                  text="... gallium ...")
    assert [s["id"] for s, _ in index.match(facts)] == [1, 3, 5]
    facts_hs = Facts(kind="changed", source="mofcom", issuers=["GACC"], hs_codes=["2805301910"],
                     text="gallium")
    assert [s["id"] for s, _ in index.match(facts_hs)] == [1, 3, 4]


def test_source_health_reaches_every_subscriber_in_scope():
    index = SubscriptionIndex([_sub(1, materials=["gallium"]), _sub(2, sources=["gacc"]),
                               _sub(3, event_kinds=["new"])])
    facts = Facts(kind=kinds.SOURCE_UNHEALTHY, source="mofcom")
    assert [s["id"] for s, _ in index.match(facts)] == [1]


def test_reminder_slot_is_the_nearest_window():
    sub = {"reminder_days": [1, 7]}
    assert [reminder_slot(sub, d) for d in (9, 7, 5, 1, 0)] == [None, 7, 7, 1, 1]


# -- reminders --------------------------------------------------------------------------

def test_effective_date_reminder_once_per_window(cat):
    soon = _with(RARE_EARTH, effective_dates=["2026-01-12"])
    cat.run(pages=[("b", soon, "钐 v1")])
    record_events(cat.db, [], now=NOW)  # no subscriptions yet: no reminder events either
    sub = cat.subscribe(materials=["samarium"], reminder_days=[7, 1])
    late = cat.subscribe(target="late@example.com", materials=["samarium"], reminder_days=[1])
    record_events(cat.db, [], now=NOW)  # 2026-01-07 in Beijing: 5 days left
    assert [(a["kind"]) for a in cat.alerts(sub)] == ["effective_soon"]
    payload = json.loads(cat.alerts(sub)[0]["payload"])
    assert payload["reminder"] == {"date": "2026-01-12", "days_left": 5, "days_before": 7}
    assert cat.alerts(late) == []
    assert record_events(cat.db, [], now=NOW + timedelta(hours=3))["events"] == 0
    record_events(cat.db, [], now=NOW + timedelta(days=4))  # 1 day left
    assert len(cat.alerts(sub)) == 2 and len(cat.alerts(late)) == 1
    record_events(cat.db, [], now=NOW + timedelta(days=6))  # past: nothing more
    assert len(cat.alerts(sub)) == 2


def test_suspension_period_ending_reminder(cat):
    sub = cat.subscribe(materials=["gallium"])
    suspension = {"number": "MOFCOM-2025-72", "issuers": ["MOFCOM"], "title": "暂停",
                  "effective_dates": ["2025-11-09"], "materials": [],
                  "references": [{"target": "MOFCOM-2023-23", "relation": "suspends",
                                  "until": "2026-01-10"}]}
    cat.run(pages=[("a", GALLIUM, "镓"), ("c", suspension, "暂停")])
    record_events(cat.db, [], now=NOW)
    ending = [a for a in cat.alerts(sub) if a["kind"] == kinds.PERIOD_ENDING]
    assert len(ending) == 1
    reminder = json.loads(ending[0]["payload"])["reminder"]
    assert (reminder["target"], reminder["date"], reminder["days_left"]) == ("MOFCOM-2023-23", "2026-01-10", 3)


# -- source health ----------------------------------------------------------------------

def test_anti_bot_page_makes_one_unhealthy_event_then_recovered(cat):
    sub = cat.subscribe(materials=["gallium"])
    cat.run(source="gacc", pages=[("g", GALLIUM, "镓")])
    assert record_events(cat.db, [], now=NOW)["by_kind"] == {"new": 1}
    for _ in range(2):
        cat.run(source="gacc", errors=["anti-bot"])
    report = record_events(cat.db, [], now=NOW)
    assert report["by_kind"] == {"source_unhealthy": 1}
    assert cat.events(kinds.SOURCE_UNHEALTHY)[0]["payload"]["reason"] == "anti-bot"
    cat.run(source="gacc", unchanged=1)
    cat.run(source="gacc", unchanged=1)
    assert record_events(cat.db, [], now=NOW)["by_kind"] == {"source_recovered": 1}
    assert [a["kind"] for a in cat.alerts(sub)] == ["source_unhealthy", "source_recovered"]


def test_consecutive_failures_and_empty_list(cat):
    cat.subscribe()
    cat.run(pages=[("a", GALLIUM, "镓")])
    record_events(cat.db, [], now=NOW)
    cat.run(status="crashed")
    cat.run(status="killed")
    assert record_events(cat.db, [], now=NOW)["events"] == 0  # 2 < 3
    cat.run(status="crashed")
    assert record_events(cat.db, [], now=NOW)["by_kind"] == {"source_unhealthy": 1}
    cat.run(unchanged=1)
    cat.run(errors=["empty-list"])
    report = record_events(cat.db, [], now=NOW)
    assert report["by_kind"] == {"source_recovered": 1, "source_unhealthy": 1}
    assert cat.events(kinds.SOURCE_UNHEALTHY)[-1]["payload"]["reason"] == "empty-list"


def test_no_successful_crawl_for_too_long_is_unhealthy(cat):
    cat.subscribe()
    cat.run(pages=[("a", GALLIUM, "镓")])
    record_events(cat.db, [], now=datetime.now(UTC))
    hours = load_settings().health_stale_hours
    later = datetime.now(UTC) + timedelta(hours=hours + 1)
    assert record_events(cat.db, [], now=later)["by_kind"] == {"source_unhealthy": 1}
    assert cat.events(kinds.SOURCE_UNHEALTHY)[0]["payload"]["reason"] == "stale"
    assert record_events(cat.db, [], now=later + timedelta(hours=5))["events"] == 0
