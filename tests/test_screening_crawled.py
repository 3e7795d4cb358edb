"""Entity lists read from pages: a listing with its count, a change notice, and storage."""

from __future__ import annotations

from sqlite_utils import Database

from screening.crawled import _save_change, _save_listing, read_page, references
from screening.state import state_on
from screening.store import stored_events, stored_listings

LISTING = ("关于将3家美国实体列入出口管制管控名单的公告",
           "决定将3家美国实体列入出口管制管控名单（名单见附件）。本公告自公布之日起正式实施。")
ANNEX = {"text": "", "tables": [{"where": "table 1", "rows": [
    ["序号", "中文名称", "英文名称", "地址"],
    ["1", "亨廷顿·英格尔斯工业公司", "Huntington Ingalls Industries, Inc.", "4101 Washington Ave, Newport News"],
    ["2", "扁平地球管理公司", "Planate Management Group"],
    ["3", "全球维度公司", "Global Dimensions LLC"]]}]}
CHANGE = ("关于暂停实施有关措施的公告",
          "决定自2026年12月1日起至2027年3月1日，暂停实施商务部公告2025年第51号所列措施中针对下列实体的措施：\n"
          "1. 全球维度公司（Global Dimensions LLC）")


def test_references_read_both_series():
    assert references("商务部公告2025年第13号和不可靠实体清单工作机制公告〔2025〕7号") == [
        "MOFCOM-2025-13", "UEL-2025-7"]


def test_a_listing_page_with_its_annex_table_and_count():
    page = read_page(*LISTING, [ANNEX], "MOFCOM-2025-51", "2025-09-25")
    assert page["kind"] == "listing" and page["list"] == "control"
    assert [r["en"] for r in page["entities"]] == [
        "Huntington Ingalls Industries, Inc.", "Planate Management Group", "Global Dimensions LLC"]
    assert page["stated_count"] == 3 and page["count_ok"] is True
    short = read_page(*LISTING, [{"text": "", "tables": [{"rows": ANNEX["tables"][0]["rows"][:3]}]}],
                      "MOFCOM-2025-51", "2025-09-25")
    assert short["count_ok"] is False


def test_a_change_page_names_target_action_dates_and_entities():
    page = read_page(*CHANGE, [], "MOFCOM-2026-99", "2026-11-28")
    assert (page["kind"], page["effective"]) == ("change", "2026-12-01")
    [change] = page["changes"]
    assert (change["target"], change["action"], change["until"]) == ("MOFCOM-2025-51", "suspend", "2027-03-01")
    assert [r["en"] for r in change["named"]] == ["Global Dimensions LLC"]


def test_one_notice_suspending_one_announcement_and_stopping_another():
    text = ("决定自2025年8月12日起，继续暂停不可靠实体清单工作机制公告〔2025〕7号相关措施90天；"
            "停止不可靠实体清单工作机制公告〔2025〕8号相关措施。")
    page = read_page("答记者问", text, [], None, "2025-08-12")
    assert page["changes"] == [
        {"target": "UEL-2025-7", "action": "suspend", "until": "2025-11-10", "named": []},
        {"target": "UEL-2025-8", "action": "remove", "until": None, "named": []}]


def test_a_year_long_suspension_from_a_date():
    text = "自2025年11月10日起，商务部公告2025年第21号相关措施继续暂停一年。"
    page = read_page("答记者问", text, [], None, "2025-11-05")
    assert page["changes"] == [
        {"target": "MOFCOM-2025-21", "action": "suspend", "until": "2026-11-10", "named": []}]


def test_numbered_lines_belong_to_the_clause_above_them():
    text = ("一、自2026年12月1日起至2027年3月1日，暂停实施商务部公告2025年第1号对下列实体的管控措施：\n"
            "1. 可利尔阿莱恩公司（Clear Align LLC）\n2. 英特磊公司（Intelligent Epitaxy Technology）\n"
            "二、自2026年12月1日起，停止执行商务部公告2025年第1号对下列实体的管控措施：\n"
            "1. 顶峰科技公司（Summit Technologies Inc.）")
    suspend, stop = read_page("关于调整出口管制管控名单措施的公告", text, [], None, "2026-11-28")["changes"]
    assert (suspend["action"], suspend["until"], [r["en"] for r in suspend["named"]]) == (
        "suspend", "2027-03-01", ["Clear Align LLC", "Intelligent Epitaxy Technology"])
    assert (stop["action"], [r["en"] for r in stop["named"]]) == ("remove", ["Summit Technologies Inc."])


def test_pages_about_other_things_are_ignored():
    assert read_page("关于对镓、锗相关物项实施出口管制的公告", "一、满足以下特性的物项……", [], "X", None) is None


def test_stored_listing_and_change_give_states():
    db = Database(memory=True)
    listing = read_page(*LISTING, [ANNEX], "MOFCOM-2025-51", "2025-09-25")
    change = read_page(*CHANGE, [], "MOFCOM-2026-99", "2026-11-28")
    with db.conn:
        from screening.schema import ensure_tables

        ensure_tables(db)
        assert _save_listing(db, 1, listing) == 3
        assert _save_change(db, 2, change) == 1
        assert _save_change(db, 2, change) == 0  # stored once
    assert len(stored_listings(db)) == 3
    events = stored_events(db)
    ids = {row["entity_id"] for row in stored_listings(db)}
    assert ids == {"huntington-ingalls-industries", "planate-management-group", "global-dimensions"}
    assert state_on(events[("global-dimensions", "control")], "2026-12-15")["state"] == "suspended"
    address = db.execute("select address from list_entities where id = 'huntington-ingalls-industries'")
    assert address.fetchone()[0] == "4101 Washington Ave, Newport News"
    assert state_on(events[("planate-management-group", "control")], "2026-12-15")["state"] == "listed"
