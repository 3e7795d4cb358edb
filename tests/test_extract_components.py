"""Component-level tests: each rule component on a blank pipeline, with its own data.

Following spaCy's own pipeline tests: build the pipe, feed it patterns, assert exact
values; plus the shared helpers (normalised view, tokenizer, date parsing).
"""

from __future__ import annotations

import pytest
import spacy

from extract.datetext import find_dates, infer_year, zh_number
from extract.errors import ExtractError
from extract.lexicon import read_data, state
from extract.normalise import normalise_view
from extract.pipeline import build_nlp
from extract.tokenizer import RegwatchTokenizer


@pytest.fixture(scope="module")
def nlp():
    return build_nlp("zh")


def run(nlp, text: str, upto: str | None = None, **ctx):
    """Run the pipeline (optionally only up to a component) with a document context."""
    doc = nlp.make_doc(text)
    state(doc)["ctx"] = {"lang": ctx.pop("lang", "zh"), **ctx}
    for name, proc in nlp.pipeline:
        doc = proc(doc)
        if name == upto:
            break
    return state(doc)


# -- normalised view and tokenizer ------------------------------------------------------

def test_view_is_length_preserving_and_folds():
    raw = "商務部公告２０２５年第６１號，GeneraI Cust0ms 2O25 ＭetaI\x00"
    view = normalise_view(raw)
    assert len(view) == len(raw)
    assert view.startswith("商务部公告2025年第61号,")
    assert "General Customs 2025" in view
    assert view.endswith("Metal ")


def test_tokenizer_keeps_codes_and_numbers_whole():
    tok = RegwatchTokenizer(spacy.blank("zh").vocab)
    doc = tok("参考海关商品编号2805301910，1C902.a、2805.30.19.10 与 2805 3019 10。")
    words = [t.text for t in doc]
    for whole in ("2805301910", "1C902.a", "2805.30.19.10", "2805 3019 10"):
        assert whole in words
    assert "参" in words and doc.text.startswith("参考")


def test_tokenizer_text_round_trips_and_norms():
    tok = RegwatchTokenizer(spacy.blank("zh").vocab)
    raw = "  第６１號\n\n  ２Ｂ９０２．ａ  end "
    doc = tok(raw)
    assert doc.text == raw
    assert doc._.norm_text == normalise_view(raw)
    assert any(t.norm_ == "2B902.a" for t in doc)


# -- dates ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text,iso", [
    ("2025年10月09日", "2025-10-09"), ("二〇二三年七月三日", "2023-07-03"),
    ("二O二五年十二月三十一日", "2025-12-31"), ("２０２５年１２月\n１日", "2025-12-01"),
    ("2025-04-04", "2025-04-04"), ("2025.4.4", "2025-04-04"), ("April 4, 2025", "2025-04-04"),
    ("4 April 2025", "2025-04-04"), ("Oct. 9th, 2025", "2025-10-09"),
    ("the 9th day of October, 2025", "2025-10-09"), ("6 Jan 2026", "2026-01-06"),
    ("Novernber 8, 2025", "2025-11-08"), ("2025/02/04", "2025-02-04"),
])
def test_find_dates(text, iso):
    found = [d for d in find_dates(normalise_view(text), lang="en") if d.iso]
    assert [d.iso for d in found] == [iso]


def test_compact_dates_only_on_request_and_yearless_inference():
    assert find_dates("20251009") == []
    assert find_dates("20251009", compact=True)[0].iso == "2025-10-09"
    noyear = find_dates("自12月1日起实施")[0]
    assert noyear.iso is None and infer_year(noyear, "2025-10-09") == "2025-12-01"
    assert infer_year(find_dates("自1月5日起")[0], "2025-12-20") == "2026-01-05"
    assert zh_number("二十一") == 21 and zh_number("十二") == 12 and zh_number("廿") == 20


def test_issue_and_effective_dates(nlp):
    st = run(nlp, "公告\n一、请于2025年11月12日前报送材料。\n二、2026—2027年度资格。\n"
                  "三、本公告自2025年12月1日起施行，有效期至2026年12月31日。\n商务部\n2025年10月26日",
             upto="regwatch_dates", meta={"posted": "2025-10-30 17:45"})
    assert st["issue_date"]["date"] == "2025-10-26"
    assert sorted({c["date"] for c in st["effective"]}) == ["2025-12-01"]


def test_upon_publication_means_issue_date(nlp):
    st = run(nlp, "【发文日期】20250204\n本公告自公布之日起正式实施。", upto="regwatch_dates")
    assert [c["date"] for c in st["effective"]] == ["2025-02-04"]
    st = run(nlp, "Date: 4 February 2025\nThis announcement takes effect immediately.",
             upto="regwatch_dates", lang="en")
    assert [c["date"] for c in st["effective"]] == ["2025-02-04"]


def test_clause_level_provisions(nlp):
    st = run(nlp, "一、甲。\n（一）乙；\n（二）丙；\n（三）丁。\n"
                  "二、本公告第一条第（三）项自公布之日起实施，第一条第（一）项、第（二）项自2025年12月1日"
                  "起实施。\n商务部\n2025年10月9日", upto="regwatch_dates")
    provisions = {p["label"]: p["effective_date"] for p in st["provisions"]}
    assert provisions == {"一(一)": "2025-12-01", "一(二)": "2025-12-01", "一(三)": "2025-10-09"}


# -- numbers --------------------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("商务部 海关总署公告2025年第18号 公布对部分物项实施出口管制的决定", "MOFCOM-2025-18"),
    ("商务部公告2025第61号 公布…的决定", "MOFCOM-2025-61"),
    ("【发布文号】商务部 海关总署公告2025年第58", "MOFCOM-2025-58"),
    ("不可靠实体清单工作机制公告〔2025〕4号", "UEL-2025-4"),
    ("海关总署 商务部公告２０２５年第３号", "GACC-2025-3"),
    ("Announcement No. 18 [2025] of the Ministry of Commerce and the General Administration "
     "of Customs", "MOFCOM-2025-18"),
    ("MOFCOM Announcement No. 61 of 2025 on Export Controls", "MOFCOM-2025-61"),
    ("MOC Announcement [2025] No. 68", "MOFCOM-2025-68"),
    ("Announcement No. 23 of the Ministry of Commerce in 2023", "MOFCOM-2023-23"),
])
def test_own_number(nlp, text, expected):
    assert run(nlp, text, upto="regwatch_number")["number"] == expected


def test_bare_customs_number_takes_series_from_site(nlp):
    st = run(nlp, "关于某事项的公告\n公告〔2025〕123号\n正文。", upto="regwatch_number",
             source="gacc")
    assert st["number"] == "GACC-2025-123"
    st = run(nlp, "公告〔2025〕123号\n正文。", upto="regwatch_number",
             url="http://www.customs.gov.cn/customs/302249/x.html")
    assert st["number"] == "GACC-2025-123"


def test_news_sentence_is_not_own_number(nlp):
    st = run(nlp, "商务部公告2025年第61号发布后，市场反应平稳。", upto="regwatch_number")
    assert st["number"] is None


def test_enumerations_expand(nlp):
    st = run(nlp, "暂停实施商务部、海关总署公告2025年第55号、56号、57号、58号及商务部公告2025年第61号、62号。",
             upto="regwatch_number")
    ids = [t["id"] for m in st["mentions"] for t in m["targets"]]
    assert ids == ["MOFCOM-2025-55", "MOFCOM-2025-56", "MOFCOM-2025-57", "MOFCOM-2025-58",
                   "MOFCOM-2025-61", "MOFCOM-2025-62"]


# -- issuers ---------------------------------------------------------------------------------

def test_issuers_from_signature_and_departments(nlp):
    st = run(nlp, "商务部公告2024年第51号\n正文。\n商务部　工业和信息化部　海关总署　国家密码管理局\n2024年11月15日",
             upto="regwatch_issuers")
    assert st["issuers"] == ["MOFCOM", "MIIT", "GACC", "SCA"]
    st = run(nlp, "关于放假安排的通知\n正文。\n商务部配额许可证事务局\n2025年9月24日",
             upto="regwatch_issuers")
    assert st["issuers"] == ["MOFCOM"]
    st = run(nlp, "商务部 科技部公告2025年28号\n正文。\n商务部　科技部\n2025年7月15日",
             upto="regwatch_issuers")
    assert st["issuers"] == ["MOFCOM"]  # MOST is not in FORMAT.md's table


# -- codes -----------------------------------------------------------------------------------

def test_control_code_shapes(nlp):
    st = run(nlp, "1C117.c 不属于1C226、1C241管控范围的钨；3C901.a.1 材料；2c902.a；"
                  "1C904.a to 1C904.c；1C903.a/b/c；2E902 技术", upto="regwatch_codes")
    codes = sorted({c["code"] for c in st["control_codes"] if not c["excluded"]})
    assert codes == ["1C117.c", "1C903.a", "1C903.b", "1C903.c", "1C904.a", "1C904.b",
                     "1C904.c", "2C902.a", "2E902", "3C901.a"]


def test_bare_heading_stands_for_its_sub_items(nlp):
    st = run(nlp, "2B902 稀土生产加工设备：\na. 萃取设备；\nb. 沉淀设备；\nc. 焙烧窑。",
             upto="regwatch_codes")
    assert [c["code"] for c in st["control_codes"]] == ["2B902.a", "2B902.b", "2B902.c"]


def test_hs_codes_need_a_label_and_skip_dates_and_phones(nlp):
    st = run(nlp, "参考税则号列：28053019\n电话：65198888\n【发文日期】20251009\n2805.30.19.10",
             upto="regwatch_codes")
    assert sorted(h["code"] for h in st["hs"]) == ["28053019", "2805301910"]
    st = run(nlp, "统计表：28053019 86001234", upto="regwatch_codes")
    assert st["hs"] == []


def test_items_tie_codes_to_their_text(nlp):
    st = run(nlp, "（一）1C902.a 金属钐，参考海关商品编号：2805301910；（二）1C902.b 氧化钐，"
                  "参考海关商品编号：2846901940。\n金属镓\n参考海关商品编号：8112929010",
             upto="regwatch_codes")
    items = [(i["control_code"], i["hs_codes"]) for i in st["items"]]
    assert items == [("1C902.a", ["2805301910"]), ("1C902.b", ["2846901940"]),
                     (None, ["8112929010"])]


# -- materials -------------------------------------------------------------------------------

def test_materials_vocabulary_rules(nlp):
    mat = nlp.get_pipe("regwatch_materials")
    found = {(m["text"], m["strong"]) for m in mat.find("氧化镓、锑化镓、磷酸铁锂、钐钴合金、银行、钕铁硼")}
    assert ("氧化镓", True) not in found  # only the element character is a hit
    assert ("镓", True) in found and ("锑", False) in found
    assert ("磷酸铁锂", True) in found and ("钐钴", True) in found
    assert not any(t == "银" for t, _ in found) and not any(t == "铁" for t, _ in found)


def test_rare_earths_only_without_elements(nlp):
    st = run(nlp, "商务部公告2025年第9号 关于对稀土相关技术实施出口管制的公告\n正文。",
             upto="regwatch_materials")
    assert st["materials"] == ["rare earths"]
    st = run(nlp, "商务部公告2025年第9号 关于对钐、钆等稀土相关物项实施出口管制的公告\n正文。",
             upto="regwatch_materials")
    assert st["materials"] == ["gadolinium", "samarium"]


def test_english_materials(nlp):
    st = run(nlp, "MOFCOM Announcement No. 3 of 2025\nExport controls on gallium- and "
                  "superhard-material-related items; indium antimonide wafers.",
             upto="regwatch_materials", lang="en")
    assert st["materials"] == ["gallium", "superhard materials"]


# -- references and conditions -----------------------------------------------------------------

def test_relations_from_cue_words(nlp):
    st = run(nlp, "商务部公告2026年第1号\n一、商务部公告2024年第2号同时废止。\n二、对商务部公告2024年第3号"
                  "作如下调整。\n三、依据商务部公告2024年第4号办理。\n四、自即日起至2027年1月1日暂停实施"
                  "商务部公告2024年第5号第二款。\n商务部\n2026年1月2日", upto="regwatch_references")
    rel = {r["target"]: r["relation"] for r in st["references"]}
    assert rel == {"MOFCOM-2024-2": "repeals", "MOFCOM-2024-3": "amends",
                   "MOFCOM-2024-4": "cites", "MOFCOM-2024-5": "suspends"}
    five = next(r for r in st["references"] if r["target"] == "MOFCOM-2024-5")
    assert (five["from"], five["until"], five["clause"]) == ("2026-01-02", "2027-01-01", "第二款")


def test_list_items_take_the_cue_of_their_lead_in(nlp):
    st = run(nlp, "商务部公告2024年第51号\n下列公告同时废止：\n1.商务部公告2023年第23号；\n"
                  "2.商务部公告2023年第39号。", upto="regwatch_references")
    assert {r["relation"] for r in st["references"]} == {"repeals"}


def test_english_relations(nlp):
    st = run(nlp, "MOFCOM Announcement No. 72 of 2025\nArticle 2 of MOFCOM Announcement No. 46 "
                  "of 2024 is suspended until November 27, 2026. MOFCOM Announcement No. 1 of "
                  "2024 is hereby repealed.", upto="regwatch_references", lang="en")
    rel = {r["target"]: (r["relation"], r["clause"], r["until"]) for r in st["references"]}
    assert rel == {"MOFCOM-2024-46": ("suspends", "2", "2026-11-27"),
                   "MOFCOM-2024-1": ("repeals", None, None)}


def test_conditions(nlp):
    st = run(nlp, "一、禁止两用物项对美国军事用户出口。\n二、价值占比达到0.1%及以上的。\n"
                  "三、美国市场价格上涨。", upto="regwatch_conditions")
    kinds = sorted((c["kind"], c["value"], c["provision"]) for c in st["conditions"])
    assert kinds == [("destination", "US", "一"), ("end_user", "military", "一"),
                     ("value_threshold", "0.1%", "二")]


# -- data files ----------------------------------------------------------------------------------

def test_missing_data_file_is_a_coded_error():
    with pytest.raises(ExtractError, match=r"\[E001\]"):
        read_data("no-such-file.jsonl")


def test_uninitialised_component_warns_and_loads_defaults():
    from extract.components.materials import Materials

    pipe = Materials(spacy.blank("zh"), "m")
    with pytest.warns(UserWarning, match=r"\[W004\]"):
        pipe._check_ready()
    assert pipe.patterns


def test_unknown_body_does_not_break_the_issuer_run(nlp):
    st = run(nlp, "商务部 海关总署 国家国防科工局公告2026年第3号\n关于某事项的公告\n正文。",
             upto="regwatch_issuers")
    assert st["number"] == "MOFCOM-2026-3"
    assert st["issuers"] == ["MOFCOM", "GACC"]
