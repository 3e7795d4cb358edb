"""The mirror's penalty decisions, read back from their pages, give the report's figures.

The pages are walked as a crawler would (each regional list, its next pages, every
decision page and its PDF), read with documents/ and extract/cases.py; nothing is taken
from the generator's own data.
"""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
from bs4 import BeautifulSoup

from documents.attachments import read_attachment
from documents.content import parse_page
from enforcement import stats
from extract.cases import case_from_page
from mirror.penalties import build_site, list_starts


def walk(site: dict[str, tuple[bytes, str]]) -> list[dict]:
    """Every decision reachable from the list pages, extracted from what the pages say."""
    cases, queue, seen = [], list(list_starts()), set()
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        soup = BeautifulSoup(site[path][0].decode("utf-8"), "lxml")
        for link in soup.select("div.conList_ul a[href]"):
            detail = urljoin(path, link["href"])
            page = parse_page(site[detail][0].decode("utf-8"), detail)
            texts = [read_attachment(site[a["url"]][0], a["name"], site[a["url"]][1])["text"]
                     for a in page["attachments"] if a["url"] in site]
            cases.append(case_from_page(page["text"], texts))
        nxt = soup.find("a", string="下一页")
        if nxt:
            queue.append(urljoin(path, nxt["href"]))
    return cases


@pytest.fixture(scope="module")
def cases() -> list[dict]:
    return walk(build_site())


@pytest.fixture(scope="module")
def report(cases) -> dict:
    return stats.summary(cases, "2025H1", compare="2024H1")


def pct(x: float, digits: int = 1) -> float:
    return round(100 * x, digits)


def test_walk_reads_html_pdf_and_noisy_pages(cases):
    sources = {c["source"] for c in cases}
    assert sources == {"page", "attachment 1"}
    assert len(cases) == len({c["case_number"] for c in cases}) >= 180
    assert all(c["decision_date"] and c["office"] for c in cases)
    assert sum(not c["export_control"] for c in cases) >= 20  # ordinary penalties, not counted


def test_counts_and_growth(report):
    assert report["period"]["count"] == 79
    assert report["compare"]["count"] == 46
    assert pct(report["growth"]) == 71.7


def test_categories_2025h1(report):
    cat = report["period"]["category"]
    assert {k: v["count"] for k, v in cat.items()} == {"dual_use": 52, "military": 22, "other": 5}
    assert [pct(cat[k]["share"]) for k in ("dual_use", "military", "other")] == [65.8, 27.8, 6.3]


def test_material_shares_over_both_halves(report):
    combined = report["material_combined"]
    assert combined["count"] == 125
    shares = combined["shares"]
    assert pct(shares["graphite"]["share"], 0) == 29
    assert pct(shares["key_minerals"]["share"], 0) == 7
    assert pct(shares["magnets"]["share"], 0) == 6
    assert pct(report["period"]["material"]["graphite"]["share"], 0) == 29  # 2025H1 alone too


def test_2024_mostly_mitigated(report):
    share = report["compare"]["mitigated_share"]
    assert 0.85 <= share < 0.95 and round(share, 1) == 0.9
    assert report["period"]["mitigated_share"] < share


def test_fine_ratios(report):
    assert pct(report["period"]["fine_ratio"]["mean"], 0) == 106
    assert pct(report["compare"]["fine_ratio"]["mean"], 0) == 25
    by_quarter = report["period"]["fine_ratio_by_quarter"]
    assert pct(by_quarter["2025Q1"]["mean"], 0) == 44
    assert pct(by_quarter["2025Q2"]["mean"], 0) == 178
    assert by_quarter["2025Q1"]["cases"] + by_quarter["2025Q2"]["cases"] == 67


def test_grouping_by_office_and_hs(cases):
    by_region = stats.shares(stats.in_period(cases, "2025H1"), "region")
    assert sum(v["count"] for v in by_region.values()) == 79
    assert next(iter(by_region)) == "上海海关"
    by_hs = stats.shares(stats.in_period(cases, "2025H1"), "hs")
    assert "None" not in by_hs and all(len(k) == 4 for k in by_hs)
