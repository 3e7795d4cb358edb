"""extract/cases.py: field-level scores on the hand-labelled decisions, spans, and rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extract.case_eval import document_text, score, table
from extract.cases import CASE_EXTRACTOR_VERSION, amount, case_from_page, cn_int, extract_case
from extract.normalise import normalise_view

GOLD = Path(__file__).parent / "gold" / "penalties.jsonl"


def gold_docs() -> list[dict]:
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line]


def test_gold_set_shape():
    docs = gold_docs()
    assert len(docs) >= 40
    forms = {(d["form"], d["noisy"]) for d in docs}
    assert {("html", False), ("html", True), ("pdf", False), ("pdf", True)} <= forms


def test_field_level_f1_on_gold():
    result = score(GOLD)
    print("\n" + table(result))
    assert result["documents"] >= 40
    assert result["overall"]["f1"] >= 0.95
    weak = {f: s["f1"] for f, s in result["fields"].items() if s["f1"] < 0.9}
    assert not weak


def test_spans_point_at_the_values():
    for doc in gold_docs():
        text = document_text(doc)
        case = extract_case(text)
        for field, value in (("case_number", None), ("party.uscc", case["party"]["uscc"]),
                             ("declaration.number", case["declaration"]["number"]),
                             ("goods.hs_code", case["goods"]["hs_code"])):
            if field not in case["spans"]:
                continue
            start, end = case["spans"][field]
            printed = "".join(normalise_view(text[start:end]).split())
            if value is not None:
                assert printed.translate(str.maketrans("lIoO", "1100")).upper() == value, (doc["id"], field)
            else:
                assert printed.endswith("号") and "字" in printed, doc["id"]


def test_version_is_recorded():
    assert extract_case("")["version"] == CASE_EXTRACTOR_VERSION


@pytest.mark.parametrize("text,expected", [("三十四", 34), ("十九", 19), ("十", 10), ("二", 2),
                                           ("一百零五", 105), ("34", 34)])
def test_chinese_numerals(text, expected):
    assert cn_int(text) == expected


def test_amounts_in_wan_are_yuan():
    assert amount("13", "万") == 130000.0
    assert amount("4.623", "万") == 46230.0
    assert amount("3,348.25", None) == 3348.25


DECISION = ("中华人民共和国某海关行政处罚决定书 {no}\n当事人：某某公司\n"
            "2025年3月1日，当事人以一般贸易方式申报出口石墨块一批。该货物属于两用物项。"
            "违反《中华人民共和国出口管制法》第十九条之规定，构成同法第三十四条第（一）项所列违法行为，"
            "依照《中华人民共和国行政处罚法》第三十二条之规定，{why}科处罚款人民币2万元。\n2025年5月6日")


@pytest.mark.parametrize("why,leniency", [
    ("当事人无从轻、减轻处罚情节，", "standard"),
    ("对当事人减轻处罚，", "mitigated"),
    ("予以从轻处罚，", "lenient"),
    ("依法不予从轻处罚，", "standard"),
    ("依法从重处罚，", "aggravated"),
])
def test_leniency_reads_negations(why, leniency):
    case = extract_case(DECISION.format(no="某关缉违字〔2025〕1号", why=why))
    assert case["leniency"] == leniency


def test_same_law_articles_and_other_laws():
    case = extract_case(DECISION.format(no="某关缉违字〔2025〕1号", why=""))
    assert case["legal_basis"] == ["出口管制法第19条", "出口管制法第34条第1项"]
    assert case["material"] == "graphite" and case["category"] == "dual_use"
    assert case["penalty"]["fine"] == 20000.0


@pytest.mark.parametrize("printed,number,kind", [
    ("甬梅关缉违字〔2025〕307号", "甬梅关缉违字〔2025〕307号", "violation"),
    ("津东丽关缉查字[2025]1号", "津东丽关缉查字〔2025〕1号", "smuggling"),
    ("沪浦机关缉违字（2025）第1146号", "沪浦机关缉违字〔2025〕1146号", "violation"),
])
def test_case_number_forms(printed, number, kind):
    case = extract_case(f"行政处罚决定书{printed}\n当事人：某某")
    assert case["case_number"] == number
    assert case["case_type"] == kind


def test_pdf_only_page_reads_the_attachment():
    page = "中华人民共和国梅山海关行政处罚决定书（甬梅关缉违字〔2025〕9号）\n附件：甬梅关缉违字〔2025〕9号.pdf"
    pdf = DECISION.format(no="甬梅关缉违字〔2025〕9号", why="")
    case = case_from_page(page, [pdf])
    assert case["source"] == "attachment 1"
    assert case["decision_date"] == "2025-05-06"


@pytest.mark.parametrize("printed,yuan", [("贰万伍仟", 25000.0), ("壹佰叁拾万", 1300000.0),
                                          ("十二万", 120000.0), ("伍仟零捌拾", 5080.0)])
def test_capital_numeral_amounts(printed, yuan):
    assert amount(printed, None) == yuan
