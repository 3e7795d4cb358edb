"""Whole-document extraction on tricky documents written for these tests.

None of these texts is in the dev gold set; they exist so that rules are checked on
wording the dev set never used (other numbers, other years, other materials).
"""

from __future__ import annotations

import pytest

from extract.pipeline import load_extractor


@pytest.fixture(scope="module")
def ex():
    return load_extractor()


GACC_PAGE = """<html><head><title>海关总署公告2024年第45号（关于调整部分商品出口申报要求的公告）</title></head>
<body><div class="topnav">首页 | 信息公开</div>
<div class="gacc-text">
<h2>海关总署公告2024年第45号（关于调整部分商品出口申报要求的公告）</h2>
<p>公告〔2024〕45号</p>
<p>为规范出口申报，现就有关事项公告如下：</p>
<p>一、出口下列商品的，应当在报关单中如实申报规格型号。</p>
<p>二、相关企业请于2024年3月20日前完成系统备案。</p>
<p>三、本公告自2024年4月1日起施行。</p>
<p>海关总署</p><p>二〇二四年三月五日</p>
</div><div class="copyright">版权所有 海关总署 京ICP备05004093号 访问量 12345</div></body></html>"""


def test_customs_page_bare_number_chinese_numeral_date_and_deadline(ex):
    r = ex.extract(html=GACC_PAGE, url="http://www.customs.gov.cn/customs/302249/1.html",
                   source="gacc")
    assert r["number"] == "GACC-2024-45"
    assert r["issuers"] == ["GACC"]
    assert r["issue_date"] == "2024-03-05"
    assert r["effective_dates"] == ["2024-04-01"]  # the 3-20 deadline is not effective
    assert r["hs_codes"] == []  # the ICP number in the footer is not an HS code


def test_traditional_full_width_joint_number(ex):
    text = ("商務部 海關總署公告２０２４年第７號\n關於對鈹相關物項實施出口管制的公告\n"
            "經國務院批准，決定對鈹相關物項實施出口管制。\n"
            "一、金屬鈹及其合金，參考海關商品編號：８１１２１２００１０。\n"
            "二、本公告自２０２４年５月１日起實施。\n商務部　海關總署\n２０２４年４月２日")
    r = ex.extract(text=text)
    assert r["number"] == "MOFCOM-2024-7"
    assert r["issuers"] == ["MOFCOM", "GACC"]
    assert r["issue_date"] == "2024-04-02"
    assert r["effective_dates"] == ["2024-05-01"]
    assert r["hs_codes"] == ["8112120010"]
    assert r["materials"] == ["beryllium"]
    # Offsets point into the original (Traditional, full-width) text.
    span = r["spans"]["number"][0]
    assert span["value"] == "MOFCOM-2024-7"
    assert r["text"][span["start"]:span["end"]] == "商務部 海關總署公告２０２４年第７號"


def test_english_customs_first_issuer_and_until_date(ex):
    text = ("Announcement No. 9 [2024] of the General Administration of Customs and the Ministry "
            "of Commerce\nDate of Issuance: 12 May 2024\n"
            "The measures below apply to exports of tungsten items.\n"
            "The measures shall be effective as of 1 June 2024 and remain valid until "
            "31 December 2025. Applications must be filed no later than May 20, 2024.\n"
            "General Administration of Customs\nMinistry of Commerce\nMay 12, 2024")
    r = ex.extract(text=text)
    assert r["lang"] == "en"
    assert r["number"] == "GACC-2024-9"
    assert r["issuers"] == ["GACC", "MOFCOM"]
    assert r["issue_date"] == "2024-05-12"
    assert r["effective_dates"] == ["2024-06-01"]


def test_suspension_range_with_window(ex):
    text = ("商务部公告2026年第3号\n关于暂停实施部分出口管制措施的公告\n"
            "经研究，决定自2026年3月1日起至2027年2月28日，暂停实施商务部公告2025年第80号至第83号。\n"
            "根据商务部公告2019年第3号的规定，出口经营者应当如实申报。\n商务部\n2026年2月20日")
    r = ex.extract(text=text)
    assert r["number"] == "MOFCOM-2026-3"
    assert r["effective_dates"] == ["2026-03-01"]
    refs = {x["target"]: x for x in r["references"]}
    assert sorted(refs) == ["MOFCOM-2019-3", "MOFCOM-2025-80", "MOFCOM-2025-81",
                            "MOFCOM-2025-82", "MOFCOM-2025-83"]
    assert refs["MOFCOM-2025-81"]["relation"] == "suspends"
    assert refs["MOFCOM-2025-81"]["from"] == "2026-03-01"
    assert refs["MOFCOM-2025-81"]["until"] == "2027-02-28"
    assert refs["MOFCOM-2019-3"]["relation"] == "cites"


def test_repeal_amend_and_clause(ex):
    text = ("商务部 海关总署公告2026年第12号\n"
            "一、对商务部公告2022年第10号附件作如下修改：删除第3项。\n"
            "二、商务部 海关总署公告2020年第5号同时废止。\n"
            "三、自即日起，暂停执行商务部公告2023年第8号第二条。\n"
            "四、本公告自发布之日起施行。\n商务部　海关总署\n2026年5月8日")
    r = ex.extract(text=text)
    rel = {x["target"]: (x["relation"], x["clause"]) for x in r["references"]}
    assert rel == {"MOFCOM-2022-10": ("amends", None), "MOFCOM-2020-5": ("repeals", None),
                   "MOFCOM-2023-8": ("suspends", "第二条")}
    assert r["effective_dates"] == ["2026-05-08"]
    suspended = next(x for x in r["references"] if x["target"] == "MOFCOM-2023-8")
    assert suspended["from"] == "2026-05-08" and suspended["until"] is None


def test_clause_level_effective_dates(ex):
    text = ("商务部公告2026年第20号\n"
            "一、出口经营者应当办理许可。\n二、对美国出口的，原则上不予许可。\n"
            "三、本公告第一条自公布之日起施行；第二条自2026年7月1日起施行。\n商务部\n2026年6月2日")
    r = ex.extract(text=text)
    assert r["effective_dates"] == ["2026-06-02", "2026-07-01"]
    provisions = {p["label"]: p["effective_date"] for p in r["provisions"]}
    assert provisions == {"一": "2026-06-02", "二": "2026-07-01"}
    second = next(p for p in r["provisions"] if p["label"] == "二")
    assert "美国" in second["text"]
    assert {"kind": "destination", "value": "US"} in [
        {"kind": c["kind"], "value": c["value"]} for c in r["conditions"]]


def test_codes_ocr_case_exclusions_and_non_hs_numbers(ex):
    text = ("商务部 海关总署公告2026年第30号\n"
            "（一）1C9O5.b 氧化镝及其混合物，参考海关商品编号：2846 9019 50；\n"
            "（二）3b001.c 不属于3B001.a管控范围的设备，参考税则号列8486.20.90；\n"
            "（三）1C905.a 金属镝，参考海关商品编号：2805.3019.20。\n"
            "联系电话：65198888  京ICP备05004093号  发文日期：20260115\n"
            "本公告自2026年2月1日起正式实施。\n商务部　海关总署\n2026年1月15日")
    r = ex.extract(text=text)
    assert r["control_codes"] == ["1C905.a", "1C905.b", "3B001.c"]
    assert r["hs_codes"] == ["2805301920", "2846901950", "84862090"]
    assert r["materials"] == ["dysprosium"]
    item = next(i for i in r["items"] if i["control_code"] == "1C905.b")
    assert item["hs_codes"] == ["2846901950"] and item["text"].startswith("（一）")
    assert item["effective_date"] == "2026-02-01"


def test_materials_compounds_and_stop_words(ex):
    text = ("商务部公告2026年第40号\n关于对锂电池正极材料相关物项实施出口管制的公告\n"
            "（一）3C901.a 磷酸铁锂、镍钴锰氢氧化物；\n（二）3C902.a 含铽的钕铁硼磁体；\n"
            "（三）3C903.a 铟镓砷外延片。\n有关银行结算事宜另行通知。\n商务部\n2026年3月3日")
    r = ex.extract(text=text)
    assert r["materials"] == ["gallium", "lithium", "terbium"]
    for absent in ("iron", "nickel", "cobalt", "manganese", "neodymium", "silver", "indium"):
        assert absent not in r["materials"]


def test_news_cites_only_and_controls_nothing(ex):
    text = ("锗价上涨 下游企业加紧备货\n2026年4月2日 来源：某财经网\n"
            "记者了解到，自商务部 海关总署公告2023年第23号实施以来，锗相关物项出口实行许可管理。"
            "商务部此前宣布暂停实施商务部公告2025年第61号。\n")
    r = ex.extract(text=text)
    assert r["number"] is None
    assert r["issuers"] == []
    assert r["materials"] == []
    assert r["issue_date"] == "2026-04-02"
    assert {x["relation"] for x in r["references"]} == {"cites"}
    assert {x["target"] for x in r["references"]} == {"MOFCOM-2023-23", "MOFCOM-2025-61"}


def test_listing_page_has_no_number(ex):
    html = ("<html><body><div class='list'><h1>政策发布</h1><ul>"
            + "".join(f"<li><a href='a{n}.html'>商务部公告2026年第{n}号 关于某事项的公告</a>"
                      f"<span>2026-0{n}-01</span></li>" for n in range(1, 6))
            + "</ul></div></body></html>")
    r = ex.extract(html=html, source="mofcom")
    assert r["number"] is None
    assert r["issue_date"] is None
    assert len(r["references"]) == 5


def test_english_date_orders(ex):
    for printed in ("the 1st day of March, 2026", "2026/03/01", "March 1st 2026", "1 Mar. 2026",
                    "Mar 1, 2026", "2026-03-01"):
        text = (f"MOFCOM Announcement No. 5 of 2026\nThis announcement takes effect on {printed}.\n"
                "Ministry of Commerce\nFebruary 27, 2026")
        r = ex.extract(text=text)
        assert r["effective_dates"] == ["2026-03-01"], printed
        assert r["issue_date"] == "2026-02-27"


def test_conditions_end_user_value_threshold(ex):
    text = ("商务部公告2026年第50号\n"
            "一、禁止两用物项对日本军事用户或者军事用途出口。\n"
            "二、含有原产于中国的物项且价值占比达到0.5%及以上的，应当申请许可。\n"
            "本公告自公布之日起实施。\n商务部\n2026年1月9日")
    r = ex.extract(text=text)
    kinds = {(c["kind"], c["value"]) for c in r["conditions"]}
    assert {("destination", "JP"), ("end_user", "military"), ("end_use", "military"),
            ("value_threshold", "0.5%")} <= kinds
    threshold = next(c for c in r["conditions"] if c["kind"] == "value_threshold")
    assert threshold["provision"] == "二"
    assert r["text"][threshold["span"][0]:threshold["span"][1]] == "0.5%"


def test_broken_lines_and_spam(ex):
    text = ("商务部 海关总署公告2026年第\n61号\n关于对锑相关物项实施出口管制的公告\n"
            "一、锑锭，参考海关商品编号：8110\n1010\n00【广告：加微信领资料】；\n"
            "二、本公告自2026年12月\n1日起正式实施。\n商务部　海关总署\n2026年10月9日")
    r = ex.extract(text=text)
    assert r["number"] == "MOFCOM-2026-61"
    assert r["effective_dates"] == ["2026-12-01"]
    assert r["materials"] == ["antimony"]


@pytest.mark.parametrize("bad", ["", "   ", "\x00\x01\x02" * 500, "乱码" * 10,
                                 b"\xff\xfe\x00binary".decode("latin-1")])
def test_bad_input_never_crashes(ex, bad):
    r = ex.extract(text=bad)
    assert r["number"] is None and r["control_codes"] == []
    assert isinstance(r["warnings"], list)


def test_empty_input_gives_coded_warning(ex):
    r = ex.extract(text="")
    assert r["warnings"] and r["warnings"][0].startswith("[W001]")
    r = ex.extract(html="<html><body></body></html>")
    assert r["warnings"][0].startswith("[W001]")


def test_binary_input_is_flagged(ex):
    r = ex.extract(text="\x00\x01\x02\x03" * 200 + "商务部公告2026年第1号")
    assert any(w.startswith("[W003]") for w in r["warnings"])
    assert r["number"] == "MOFCOM-2026-1"


def test_huge_input_is_cut_with_a_warning(ex):
    from extract import pipeline

    text = "商务部公告2026年第2号\n" + "依照有关规定。" * (pipeline.MAX_CHARS // 7 + 10)
    r = ex.extract(text=text)
    assert any(w.startswith("[W002]") for w in r["warnings"])
    assert r["number"] == "MOFCOM-2026-2"
