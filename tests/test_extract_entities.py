"""Entity rows from list announcements: lines, tables, annexes, stated counts."""

from __future__ import annotations

from extract.entities import (
    extract_entities,
    list_kind,
    rows_from_lines,
    rows_from_table,
    split_name,
    stated_count,
)


def test_split_name_both_orders_and_inner_brackets():
    assert split_name("莱多斯公司（Leidos）") == {"zh": "莱多斯公司", "en": "Leidos"}
    assert split_name("Illumina, Inc.（因美纳公司）") == {"zh": "因美纳公司", "en": "Illumina, Inc."}
    assert split_name("艾睿电子(香港)有限公司（Arrow Electronics (Hong Kong) Limited）") == {
        "zh": "艾睿电子(香港)有限公司", "en": "Arrow Electronics (Hong Kong) Limited"}
    assert split_name("斯凯迪奥公司") == {"zh": "斯凯迪奥公司", "en": ""}


def test_stated_count_and_list_kind():
    assert stated_count("决定将15家美国实体列入出口管制管控名单") == 15
    assert stated_count("将１２家美国实体列入") == 12
    assert stated_count("将有关美国实体列入不可靠实体清单") is None
    assert list_kind("列入不可靠实体清单") == "unreliable"
    assert list_kind("列入出口管制管控名单") == "control"
    assert list_kind("列入关注名单") == "watch"


def test_numbered_lines_with_addresses_and_noise():
    text = """决定将3家美国实体列入出口管制管控名单（名单见附件）。现将有关事项公告如下：
一、禁止出口经营者向上述实体出口两用物项。
附件：
1. 亨廷顿·英格尔斯工业公司（Huntington Ingalls Industries, Inc.）
地址：4101 Washington Avenue, Newport News, Virginia
2、扁平地球管理公司(Planate Management Group)
（三）全球维度公司（Global Dimensions LLC）
"""
    rows = rows_from_lines(text)
    assert [(r["order"], r["zh"], r["en"]) for r in rows] == [
        (1, "亨廷顿·英格尔斯工业公司", "Huntington Ingalls Industries, Inc."),
        (2, "扁平地球管理公司", "Planate Management Group"),
        (3, "全球维度公司", "Global Dimensions LLC"),
    ]
    assert rows[0]["address"].startswith("4101 Washington Avenue")
    result = extract_entities(text)
    assert result["stated_count"] == 3 and result["count_ok"] is True and result["list"] == "control"


def test_table_rows_with_separate_columns_and_with_one_name_column():
    table = [["序号", "中文名称", "英文名称", "地址"],
             ["1", "反无人机技术公司", "Dedrone by Axon", ""],
             ["2", "迪杰恩技术公司", "DZYNE Technologies", "Reston, Virginia"]]
    rows = rows_from_table(table)
    assert [(r["order"], r["zh"], r["en"], r["address"]) for r in rows] == [
        (1, "反无人机技术公司", "Dedrone by Axon", ""),
        (2, "迪杰恩技术公司", "DZYNE Technologies", "Reston, Virginia")]
    single = rows_from_table([["出口管制管控名单（1家美国实体）"], ["序号", "名称"],
                              ["1", "宇航环境公司（AeroVironment, Inc.）"]])
    assert single == [{"order": 1, "zh": "宇航环境公司", "en": "AeroVironment, Inc.", "address": ""}]


def test_a_count_that_disagrees_is_flagged():
    result = extract_entities("决定将2家美国实体列入不可靠实体清单。\n1. 因美纳公司（Illumina, Inc.）")
    assert result["stated_count"] == 2
    assert len(result["entities"]) == 1
    assert result["count_ok"] is False
    assert result["list"] == "unreliable"


def test_annex_text_and_duplicates_across_sources():
    body = "决定将2家美国实体列入出口管制管控名单（名单见附件）。"
    annex = "出口管制管控名单\n1. 莱多斯公司（Leidos）\n2. 吉布斯和考克斯公司（Gibbs & Cox, Inc.）"
    table = [["序号", "中文名称", "英文名称"], ["1", "莱多斯公司", "Leidos"]]
    result = extract_entities(body, tables=[table], annexes=[annex])
    assert [r["en"] for r in result["entities"]] == ["Leidos", "Gibbs & Cox, Inc."]
    assert result["count_ok"] is True


def test_numbered_clauses_are_not_entities():
    text = "1. 禁止出口经营者向上述实体出口两用物项。\n2. 本公告自公布之日起正式实施。"
    assert rows_from_lines(text) == []
