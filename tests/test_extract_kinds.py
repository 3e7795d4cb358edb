"""Documents written by others: kinds, reference grammars, glosses, spans, declared state.

The texts here are my own and worded apart from both dev sets: other numbers, other
years, other layouts. They pin the classes of issue #15, not the dev pages.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from extract.datetext import find_dates, zh_number
from extract.lexicon import state
from extract.normalise import gloss_spans, normalise_view
from extract.pipeline import build_nlp, load_extractor
from extract.state import ExtractState

ROOT = Path(__file__).resolve().parents[1]
GOLD = [ROOT / "tests" / "gold" / f"{name}.jsonl" for name in ("dev", "dev2", "dev3")]


@pytest.fixture(scope="module")
def ex():
    return load_extractor()


# -- kinds -------------------------------------------------------------------------------

def test_news_report_with_a_number_subheading_is_news_and_only_cites(ex):
    text = ("商务部暂停部分出口管制措施\n2024年3月2日 10:05　来源：某某日报\n"
            "商务部公告2024年第9号\n"
            "记者从商务部获悉，商务部1日发布公告，自即日起暂停实施商务部公告2023年第31号。\n"
            "业内人士表示，此举有利于稳定供应链。")
    r = ex.extract(text=text)
    assert r["kind"] == "news"
    assert r["number"] is None and r["issuers"] == [] and r["effective_dates"] == []
    assert {(x["target"], x["relation"]) for x in r["references"]} == {
        ("MOFCOM-2024-9", "cites"), ("MOFCOM-2023-31", "cites")}
    assert r["issue_date"] == "2024-03-02"


def test_lead_that_quotes_the_full_text_is_the_announcement(ex):
    text = ("本报讯 商务部、海关总署昨日联合发布公告，全文如下：\n"
            "商务部 海关总署公告2024年第12号\n关于对铪相关物项实施出口管制的公告\n"
            "经国务院批准，决定对铪相关物项实施出口管制。\n本公告自2024年6月1日起正式实施。\n"
            "商务部　海关总署\n2024年5月2日")
    r = ex.extract(text=text)
    assert r["kind"] == "announcement"
    assert r["number"] == "MOFCOM-2024-12" and r["issuers"] == ["MOFCOM", "GACC"]
    assert r["issue_date"] == "2024-05-02" and r["effective_dates"] == ["2024-06-01"]


def test_spokesperson_qa_is_a_statement_and_its_materials_are_only_discussed(ex):
    text = ("商务部新闻发言人就铟相关物项出口管制答记者问\n2024年5月3日\n"
            "问：商务部 海关总署公告2024年第12号对铟相关物项实施出口管制，主要考虑是什么？\n"
            "答：对铟、镓相关物项实施出口管制是国际通行做法。\n问：会影响正常贸易吗？\n答：不会。")
    r = ex.extract(text=text)
    assert r["kind"] == "statement"
    assert r["number"] is None and r["materials"] == []
    assert "indium" in r["mentions"]
    assert [(x["target"], x["relation"]) for x in r["references"]] == [("MOFCOM-2024-12", "cites")]


def test_english_press_conference_transcript(ex):
    text = ("Transcript of MOFCOM's regular press conference, 14 March 2024\n"
            "Q: Will Announcement No. 9 of 2024 be extended?\n"
            "A: Any decision will be published in due course.\n")
    r = ex.extract(text=text)
    assert r["kind"] == "statement" and r["number"] is None
    assert [(x["target"], x["relation"]) for x in r["references"]] == [("MOFCOM-2024-9", "cites")]


def test_event_page_and_listing_are_other(ex):
    event = ("Webinar: living with dual-use licences\nPublished 3 June 2024\n"
             "We discuss MOFCOM Announcement No. 12 of 2024 with two exporters. Register now.")
    r = ex.extract(text=event)
    assert r["kind"] == "other" and r["number"] is None
    listing = "\n".join(f"商务部公告2024年第{n}号 关于某事项的公告" for n in (3, 4, 5, 6))
    assert ex.extract(text=listing)["kind"] == "other"


# -- number and reference grammars -----------------------------------------------------------

def test_hyphenated_and_slashed_joint_issuers_keep_the_first_series(ex):
    for sep in ("-", "/", "–", " & "):
        r = ex.extract(text=f"MOFCOM{sep}GACC Announcement No. 7 of 2024 on Hafnium Items\n"
                            "This announcement takes effect on the date of publication.\n"
                            "Ministry of Commerce\nGeneral Administration of Customs\n3 May 2024")
        assert r["number"] == "MOFCOM-2024-7", sep
        assert r["issuers"] == ["MOFCOM", "GACC"], sep


def test_english_lists_ranges_and_bracketed_numbers(ex):
    text = ("Our note, 2 May 2024. MOFCOM issued Announcements No. 3, 4, 5, and 9 of 2024 and "
            "repeated the rules of Nos. 11 to 13 and 15, 16 of 2023. Hafnium items (No. 21) "
            "follow the same pattern.")
    r = ex.extract(text=text)
    assert r["kind"] == "news"
    got = {x["target"] for x in r["references"]}
    assert got == {"MOFCOM-2024-3", "MOFCOM-2024-4", "MOFCOM-2024-5", "MOFCOM-2024-9",
                   "MOFCOM-2023-11", "MOFCOM-2023-12", "MOFCOM-2023-13", "MOFCOM-2023-15",
                   "MOFCOM-2023-16", "MOFCOM-2023-21"}


def test_chinese_yearless_and_informal_numbers(ex):
    text = ("商务部有关负责人介绍政策\n2024年6月5日　来源：经济参考\n"
            "商务部、海关总署公告2024年第12号至第14号以及商务部公告第20、21号已经实施。"
            "其中第17号公告涉及铪。海关总署此前发布的公告（2024年第88号）仍然有效。"
            "商务部2024年第二十二号公告另有规定。工作机制发布的不可靠实体清单工作机制3号文件也已生效。")
    r = ex.extract(text=text)
    got = {x["target"] for x in r["references"]}
    assert {"MOFCOM-2024-12", "MOFCOM-2024-13", "MOFCOM-2024-14", "MOFCOM-2024-20",
            "MOFCOM-2024-21", "MOFCOM-2024-17", "GACC-2024-88", "MOFCOM-2024-22",
            "UEL-2024-3"} == got


def test_quarter_is_not_a_chinese_numeral_number(ex):
    r = ex.extract(text="商务部2024年第一季度外贸数据发布。")
    assert r["references"] == []


# -- normalisation: glosses -----------------------------------------------------------------

def test_pinyin_glosses_are_blanked_length_preserving():
    text = "商(shāng)務(wù)部(bù)公告 与 氮化镓(GaN) 物项(a)"
    view = normalise_view(text)
    assert len(view) == len(text)
    assert "(GaN)" in view and "(a)" in view and "shāng" not in view
    assert [text[s:e] for s, e in gloss_spans(text, view)] == ["(shāng)", "(wù)", "(bù)"]


def test_glossed_traditional_repost(ex):
    text = ("【商(shāng)務(wù)部公告2024年第十二號】\n關於對鉿(hā)相關物項實施出口管制的公告\n"
            "經國務院批准，決定對鉿相關物項實施出口管制，暫(zàn)停(tíng)實施商務部公告2023年第31號。\n"
            "本公告自公布之日起實施。\n商(shāng)務(wù)部\n2024年5月2日")
    r = ex.extract(text=text)
    assert r["kind"] == "announcement" and r["number"] == "MOFCOM-2024-12"
    assert r["issuers"] == ["MOFCOM"] and r["materials"] == ["hafnium"]
    assert [(x["target"], x["relation"]) for x in r["references"]] == [
        ("MOFCOM-2023-31", "suspends")]


# -- materials, HS labels, sub-items ------------------------------------------------------------

def test_annex_list_of_metals_and_compounds_names_each_element(ex):
    text = ("商务部公告2024年第30号\n关于对部分物项实施出口管制的公告\n经国务院批准，决定实施出口管制。\n"
            "附件：金属钬、金属铥、氧化铒\n本公告自公布之日起实施。\n商务部\n2024年7月1日")
    r = ex.extract(text=text)
    assert r["materials"] == ["erbium", "holmium", "thulium"]


def test_english_labels_and_inline_sub_items(ex):
    text = ("MOFCOM Announcement No. 30 of 2024\nThe following items are placed under control:\n"
            "1C915 Thulium: .a metal and alloys; .b oxide; .c compounds. "
            "Customs product number: 2805.30.19\n"
            "This announcement takes effect on the date of publication.\n"
            "Ministry of Commerce\nJuly 1, 2024")
    r = ex.extract(text=text)
    assert r["control_codes"] == ["1C915.a", "1C915.b", "1C915.c"]
    assert r["hs_codes"] == ["28053019"]
    assert r["materials"] == ["thulium"]


def test_bilingual_date_line_and_yearless_lead(ex):
    bi = ("商务部公告2024年第30号 / MOFCOM Announcement No. 30 of 2024\n本公告自公布之日起实施。\n"
          "商务部 Ministry of Commerce\n2024年7月1日 July 1, 2024")
    r = ex.extract(text=bi)
    assert r["issue_date"] == "2024-07-01" and r["effective_dates"] == ["2024-07-01"]
    lead = ("9月2日，商务部发布公告。以下为公告原文：\n商务部公告2024年第40号\n"
            "本公告自2024年10月1日起实施。")
    r = ex.extract(text=lead)
    assert r["number"] == "MOFCOM-2024-40" and r["issue_date"] == "2024-09-02"


# -- spans ---------------------------------------------------------------------------------------

def _gold_docs():
    for path in GOLD:
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    yield json.loads(line)


def test_every_span_slices_the_stored_text_to_its_evidence(ex):
    materials = build_nlp("zh").get_pipe("regwatch_materials")
    announcements = build_nlp("zh").get_pipe("regwatch_announcements")
    issuers = build_nlp("zh").get_pipe("regwatch_issuers").table
    checked = 0
    for doc in _gold_docs():
        r = ex.extract(html=doc.get("html"), text=doc.get("text"), url=doc.get("url"),
                       source=doc.get("source"), lang=doc.get("lang"))
        text = r["text"]
        for field, spans in r["spans"].items():
            for sp in spans:
                raw_slice = text[sp["start"]:sp["end"]]
                assert raw_slice.strip(), (doc["id"], field, sp)
                part = normalise_view(raw_slice)
                value = sp["value"]
                if field == "number" or field == "references":
                    no = int(value.rsplit("-", 1)[1])
                    found = [t["no"] for m in announcements.find(part) for t in m["targets"]]
                    nums = [zh_number(d) for d in re.findall(r"[0-9]+|[一二三四五六七八九十百]+", part)]
                    in_range = len(nums) >= 2 and nums[0] < no < nums[-1]  # "55 to 58"
                    assert no in found or no in nums or in_range, (doc["id"], sp)
                elif field == "issuers":
                    assert value in (issuers.codes_in(part) + [issuers.bureau(part)]), (doc["id"], sp)
                elif field in ("issue_date", "effective_dates"):
                    dates = find_dates(part, compact=True)
                    if dates:
                        assert (dates[0].month, dates[0].day) == (int(value[5:7]), int(value[8:])), \
                            (doc["id"], sp, raw_slice)
                    else:  # "upon publication": the cue phrase itself
                        assert re.search(r"公布|发布|即日|publi|immediate|today|promulgation|"
                                         r"issu|effect|force|签发|公告之日",
                                         re.sub(r"\s+", "", part), re.I), (doc["id"], sp)
                elif field == "control_codes":
                    assert part.upper().replace("O", "0").replace("L", "1").startswith(
                        value[:5].upper()), (doc["id"], sp, raw_slice)
                elif field == "hs_codes":
                    assert re.sub(r"[^0-9]", "", part) == value, (doc["id"], sp)
                elif field in ("materials", "mentions"):
                    hits = materials.find(part, gloss_spans(raw_slice, part))
                    assert value in {m for h in hits for m in h["materials"]}, (doc["id"], sp)
                elif field == "title":  # a two-line title is joined by one space
                    assert " ".join(raw_slice.split()) == " ".join(value.split())
                checked += 1
    assert checked > 1500


# -- declared state -------------------------------------------------------------------------------

def test_state_is_one_declared_object():
    nlp = build_nlp("zh")
    doc = nlp("商务部公告2024年第30号\n本公告自公布之日起实施。\n商务部\n2024年7月1日")
    st = state(doc)
    assert isinstance(st, ExtractState) and doc._.rw is st
    assert st["number"] == st.number == "MOFCOM-2024-30" and st.kind == "announcement"
    with pytest.raises(KeyError):
        st["not_a_declared_key"] = 1
    with pytest.raises(KeyError):
        st.get("own_number")
    # nothing else rides in user_data
    assert set(doc.user_data) == {"regwatch"}
