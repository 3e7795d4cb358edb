"""The item model (extract/items.py): measures, scope and materials per clause part."""

from __future__ import annotations

import pytest

from extract.items import catalogue, groups_of, material_of, measure_of, members, text_concepts
from extract.pipeline import load_extractor

NO_46 = """商务部公告2024年第46号 关于加强相关两用物项对美国出口管制的公告
【发布文号】商务部公告2024年第46号
【发文日期】2024年12月03日
为维护国家安全和利益，决定加强相关两用物项对美国出口管制。现将有关事项公告如下：
一、禁止两用物项对美国军事用户或者军事用途出口。
二、原则上不予许可镓、锗、锑、超硬材料相关两用物项对美国出口；对石墨两用物项对美国出口，实施更加严格的最终用户和最终用途审查。
本公告自公布之日起正式实施。
商务部
2024年12月3日"""

NO_18_PART = """商务部 海关总署公告2025年第18号 公布对部分中重稀土相关物项实施出口管制的决定
【发布文号】商务部 海关总署公告2025年第18号
【发文日期】2025年04月04日
决定对钐、镝相关物项实施出口管制。现将有关事项公告如下：
一、满足下列特性的物项，未经许可，不得出口：
（一）钐相关物项，包括钐铁合金等。
（二）镝相关物项，包括含镝的钕铁硼永磁材料等。
二、出口经营者应当通过银行账户缴纳有关费用。
三、本公告自公布之日起正式实施。"""


@pytest.fixture(scope="module")
def extractor():
    return load_extractor()


def by_key(rows):
    return {r["key"]: r for r in rows}


def test_one_clause_two_measures_with_their_scope(extractor):
    rows = by_key(catalogue("MOFCOM-2024-46", extractor.extract(text=NO_46)))
    denied, review = rows["MOFCOM-2024-46/§二/1"], rows["MOFCOM-2024-46/§二/2"]
    assert (denied["measure"], denied["materials"]) == (
        "denied", ["gallium", "germanium", "antimony", "superhard materials"])
    assert (review["measure"], review["materials"]) == ("strict_review", ["graphite"])
    assert denied["scope"]["destinations"] == review["scope"]["destinations"] == ["US"]
    assert denied["provision"] == review["provision"] == "二"
    ban = rows["MOFCOM-2024-46/§一"]
    assert ban["measure"] == "prohibited" and ban["destination_wide"] is True
    assert ban["scope"]["end_uses"] == ["military"] and ban["scope"]["destinations"] == ["US"]
    assert not denied["destination_wide"] and not review["destination_wide"]


def test_compounds_and_stop_words_are_not_materials(extractor):
    rows = catalogue("MOFCOM-2025-18", extractor.extract(text=NO_18_PART))
    named = {m for r in rows for m in r["materials"]}
    assert "iron" not in named  # 钐铁, 钕铁硼
    assert "silver" not in named  # 银行
    dysprosium = by_key(rows)["MOFCOM-2025-18/§一(二)"]
    assert dysprosium["materials"] == ["dysprosium"] and dysprosium["measure"] == "licence"
    assert by_key(rows)["MOFCOM-2025-18/§三"]["measure"] is None  # a date, not a control


def test_measures_from_data():
    assert measure_of("未经许可，不得出口") == "licence"
    assert measure_of("作出准予或者不准予许可的决定") == "licence"
    assert measure_of("原则上不予许可") == "denied"
    assert measure_of("2026—2027年度白银出口国营贸易企业") == "state_trading"
    assert measure_of("对最终用户和最终用途予以重点审核") == "strict_review"
    assert measure_of("本公告自公布之日起正式实施") is None


def test_groups_and_names():
    assert material_of("稀土") == material_of("Rare Earth") == "rare earths"
    assert len(members("rare earths")) == 17
    assert material_of("重稀土") == "heavy rare earths"
    assert "rare earths" in groups_of("dysprosium")
    assert material_of("镓") == "gallium" and material_of("graphite anode") is None


def test_free_text_concepts():
    concepts = text_concepts("graphite anode")
    assert any("石墨" in c for c in concepts) and any("负极" in c for c in concepts)
    assert text_concepts("负极") == [("负极",)]
