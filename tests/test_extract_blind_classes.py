"""The classes the blind set (tests/gold/dev3.jsonl) found missing, in general form.

Texts are my own, with other numbers, years and layouts than dev3's pages: Chinese-numeral
years in numbers, bracketed numbers that continue a list without 公告, English lists whose
parts carry their own years, a number in brackets after a quoted 《…公告》 title, a
headline or lead date that says when a measure starts (not when it was issued), and annex
lines that only list the forms of an element.
"""

from __future__ import annotations

import pytest

from extract.pipeline import load_extractor


@pytest.fixture(scope="module")
def ex():
    return load_extractor()


def refs(result):
    return {(r["target"], r["relation"]) for r in result["references"]}


def test_number_with_a_chinese_numeral_year(ex):
    text = ("商务部公告二〇二四年第五十号\n现将有关事项公告如下：\n"
            "一、自即日起停止执行商务部公告二〇二三年第十一号。\n商务部\n二〇二四年五月六日")
    r = ex.extract(text=text)
    assert r["number"] == "MOFCOM-2024-50" and r["kind"] == "announcement"
    assert r["issue_date"] == "2024-05-06" and r["effective_dates"] == ["2024-05-06"]
    assert refs(r) == {("MOFCOM-2023-11", "repeals")}


def test_bracketed_numbers_continue_a_list_after_a_named_announcement(ex):
    text = ("问：有关措施如何调整？\n答：不可靠实体清单工作机制公告〔2024〕3号所列措施继续有效，"
            "〔2024〕1号、2号所列措施停止实施。\n问：还有其他安排吗？\n答：暂无。")
    r = ex.extract(text=text)
    assert r["kind"] == "statement"
    assert refs(r) == {("UEL-2024-3", "cites"), ("UEL-2024-1", "cites"), ("UEL-2024-2", "cites")}
    # a case number in brackets is not an announcement
    r = ex.extract(text="根据公告规定，海关出具沪关缉字〔2024〕12号处罚决定书。")
    assert not any(t["target"].endswith("-12") for t in r["references"])


def test_english_list_whose_parts_carry_their_own_years(ex):
    text = ("Announcement No. 7 of 2024 of the Ministry of Commerce\n"
            "Announcement on Repealing Certain Announcements\n"
            "In accordance with the Foreign Trade Law, the following is hereby announced:\n"
            "1. Announcements No. 12 and No. 14 of 2022 and No. 3 of 2023 of the Ministry of "
            "Commerce are repealed.\n"
            "2. This announcement shall come into force on the date of publication.\n"
            "Ministry of Commerce\nMarch 1, 2024")
    r = ex.extract(text=text, lang="en")
    assert r["number"] == "MOFCOM-2024-7"
    assert refs(r) == {("MOFCOM-2022-12", "repeals"), ("MOFCOM-2022-14", "repeals"),
                       ("MOFCOM-2023-3", "repeals")}


def test_number_in_brackets_after_a_quoted_title(ex):
    text = ("海关总署调整出口申报要求\n2024年2月9日 08:30\n"
            "海关总署日前印发《关于出口货物申报有关事项的公告》（2024年第21号），明确了申报要求。")
    r = ex.extract(text=text)
    assert r["kind"] == "news" and refs(r) == {("GACC-2024-21", "cites")}


def test_headline_date_that_says_when_a_measure_starts_is_not_the_issue_date(ex):
    text = ("钨制品9月1日起实施新的出口管理\n"
            "本报讯　商务部、海关总署7月20日发布公告，具体内容如下：\n"
            "商务部 海关总署公告2024年第40号\n"
            "经国务院批准，决定对钨相关物项实施出口管制。\n本公告自2024年9月1日起正式实施。")
    r = ex.extract(text=text)
    assert r["number"] == "MOFCOM-2024-40"
    assert r["issue_date"] == "2024-07-20" and r["effective_dates"] == ["2024-09-01"]


def test_annex_lines_that_only_list_forms_of_an_element(ex):
    text = ("商务部 海关总署公告2024年第41号\n经国务院批准，决定对附件所列物项实施出口管制。\n"
            "本公告自公布之日起实施。\n商务部　海关总署\n2024年6月3日")
    r = ex.extract(text=text, attachments=[{"name": "附件.docx", "text": (
        "管制物项\n一、1C901.a 金属铽、铽铁合金\n二、金属铒、铒合金、氧化铒\n"
        "三、其他：金属铥、氧化铥、金属镥、镥铝合金")}])
    assert {"terbium", "erbium", "thulium", "lutetium"} <= set(r["materials"])
    # a line of words separated by spaces (a tag cloud, a search box) is not such a list
    materials = ex.nlp("zh").get_pipe("regwatch_materials")
    listed, spaced = "二、金属铒、铒合金、氧化铒", "氧化铒 金属铥"
    assert [m["text"] for line in materials._form_lists(listed, materials.find(listed))
            for m in line] == ["铒", "铒", "铒"]
    assert materials._form_lists(spaced, materials.find(spaced)) == []
