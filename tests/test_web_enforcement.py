"""The enforcement page (#19 item 6) over the mirror's penalty lists, crawled for real.

The page's figures must be those of ``regwatch enforcement stats`` (one implementation,
enforcement/stats.py): each test asks the CLI for the same figures and compares them with
what the page prints, besides the report's own numbers. In-process tests read the HTML;
the browser tests run ``regwatch serve`` in a subprocess and open the page in Debian's
/usr/bin/chromium through Playwright: the three charts as laid out (bars, points,
headings), the table's GET filters, the case page, no request leaving 127.0.0.1, and
screenshots at 1400 px and 390 px in tests/artefacts/.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from conftest import ARTEFACTS, serve_web

WIDTHS = (1400, 390)
CATEGORIES = ("dual_use", "military", "other")


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The eight penalty-list sources crawled from the mirror (day 1), read into cases."""
    import regwatch.cli  # noqa: F401  (every stage's migrations)
    from crawler.run import crawl
    from enforcement.store import extract_cases
    from mirror.server import start_in_thread
    from mirror.site import Mirror
    from regwatch.jobs import penalty_sources
    from store import catalogue
    from web.app import prepare

    path = str(tmp_path_factory.mktemp("web-enforcement") / "catalogue.db")
    server = start_in_thread(Mirror(day=1))
    try:
        crawl(penalty_sources(), path, mirror=server.url)
    finally:
        server.shutdown()
        server.server_close()
    db = catalogue.open_db(path)
    assert extract_cases(db, penalty_sources())["cases"] == 190
    db.close()
    prepare(path)
    return path


def cli_json(path: str, *args: str) -> Any:
    from regwatch.cli import cli

    result = CliRunner().invoke(cli, ["enforcement", *args, "--json", "--db", path])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def pct(x: float | None, digits: int = 1) -> str:
    return "" if x is None else f"{100 * x:.{digits}f}%"


def quarter_of(day: str) -> str:
    d = date.fromisoformat(day)
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


# -- in process ------------------------------------------------------------------------

@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def ds(crawled: str) -> Any:
    from web.app import make_datasette

    datasette = make_datasette(crawled)
    await datasette.invoke_startup()
    return datasette


async def _page(ds: Any, path: str, status: int = 200) -> BeautifulSoup:
    response = await ds.client.get(path)
    assert response.status_code == status, (path, response.text[:500])
    return BeautifulSoup(response.text, "html.parser")


def _figures(soup: BeautifulSoup) -> dict[str, list[str]]:
    return {tr["data-figure"]: [td.get_text(strip=True) for td in tr.select("td")]
            for tr in soup.select("table.enf-figures tr[data-figure]")}


@pytest.mark.anyio
async def test_figures_are_the_stats_commands(ds, crawled):
    soup = await _page(ds, "/enforcement?period=2025H1")
    stats = cli_json(crawled, "stats", "--period", "2025H1", "--compare", "2024H1")
    now, before = stats["period"], stats["compare"]
    figures = _figures(soup)
    # the report's numbers, as printed on the page
    assert figures["count"] == ["79", "46"]
    assert soup.select_one("[data-growth]")["data-growth"] == "+71.7%"
    assert figures["dual_use"][0] == "52 (65.8%)"
    assert figures["military"][0] == "22 (27.8%)"
    assert figures["other"][0] == "5 (6.3%)"
    assert figures["fine_ratio"][0].startswith("106% ") and figures["fine_ratio"][1].startswith("25% ")
    assert figures["fine_ratio_2025Q1"][0].startswith("44% ")
    assert figures["fine_ratio_2025Q2"][0].startswith("178% ")
    # ... and every figure equal to the command's
    assert figures["count"] == [str(now["count"]), str(before["count"])]
    assert f"{100 * stats['growth']:+.1f}%" == "+71.7%"
    for category in CATEGORIES:
        assert figures[category] == [
            f"{p['category'][category]['count']} ({pct(p['category'][category]['share'])})"
            for p in (now, before)]
    assert figures["mitigated"] == [pct(now["mitigated_share"]), pct(before["mitigated_share"])]
    assert figures["fine_ratio"] == [
        f"{pct(p['fine_ratio']['mean'], 0)} ({p['fine_ratio']['cases']} fined)" for p in (now, before)]
    for p, column in ((now, 0), (before, 1)):
        for q, r in p["fine_ratio_by_quarter"].items():
            assert figures[f"fine_ratio_{q}"][column] == f"{pct(r['mean'], 0)} ({r['cases']} fined)"
    materials = {s["data-material"]: s.get_text(" ", strip=True) for s in soup.select("[data-material]")}
    shares = stats["material_combined"]["shares"]
    assert materials == {m: f"{m.replace('_', ' ')} {pct(shares[m]['share'], 0)} ({shares[m]['count']})"
                         for m in ("graphite", "key_minerals", "magnets")}
    assert [materials[m].split()[-2] for m in ("graphite", "key_minerals", "magnets")] == ["29%", "7%", "6%"]
    # the table holds the period's decisions, the command's list
    listed = cli_json(crawled, "cases", "--period", "2025H1")
    assert sorted(int(tr["data-case"]) for tr in soup.select("tr.case")) == sorted(c["id"] for c in listed)


@pytest.mark.anyio
async def test_half_years_and_charts_without_a_period(ds, crawled):
    soup = await _page(ds, "/enforcement")
    rows = {tr["data-period"]: tr for tr in soup.select("table.enf-halves tr[data-period]")}
    assert {"2024H1", "2025H1"} <= set(rows)
    for half, before in (("2025H1", "2024H1"), ("2024H1", "2023H1")):
        stats = cli_json(crawled, "stats", "--period", half, "--compare", before)
        cells = [td.get_text(strip=True) for td in rows[half].select("td")]
        growth = "" if stats["growth"] is None else f"{100 * stats['growth']:+.1f}%"
        assert cells[:2] == [str(stats["period"]["count"]), growth]
        assert cells[2:5] == [str(stats["period"]["category"].get(k, {}).get("count", 0))
                              for k in CATEGORIES]
    # the category chart has one column per quarter, each as many cases as the command lists
    every = cli_json(crawled, "cases")
    per_quarter = Counter(quarter_of(c["decision_date"]) for c in every)
    columns = {g["data-quarter"]: int(g["data-total"])
               for g in soup.select("#chart-category g.quarter")}
    assert {q: n for q, n in columns.items() if n} == dict(per_quarter)
    assert len(soup.select("tr.case")) == len(every)


@pytest.mark.anyio
async def test_filters_and_case_page(ds, crawled):
    soup = await _page(ds, "/enforcement?" + urlencode(
        {"period": "2025H1", "office": "宁波海关", "category": "dual_use"}))
    listed = cli_json(crawled, "cases", "--period", "2025H1", "--office", "宁波海关",
                      "--category", "dual_use")
    assert listed and sorted(int(tr["data-case"]) for tr in soup.select("tr.case")) == sorted(
        c["id"] for c in listed)
    assert {tr["data-category"] for tr in soup.select("tr.case")} == {"dual_use"}
    stats = cli_json(crawled, "stats", "--period", "2025H1")
    assert _figures(soup)["count"][0] != str(stats["period"]["count"])  # the filters apply
    case = listed[0]
    row = soup.select_one(f'tr.case[data-case="{case["id"]}"]')
    assert row.select_one("a.source-page")["href"] == case["url"]
    page = await _page(ds, row.select_one("a")["href"])
    assert page.select_one("h1").get_text(strip=True) == case["case_number"]
    assert page.select_one("a.source-page")["href"] == case["url"]
    copy = page.select_one("a.stored-copy")["href"]
    assert copy == f"/document/{case['document_id']}"
    await _page(ds, copy)
    await _page(ds, "/enforcement/case/999999", status=404)


@pytest.mark.anyio
async def test_bad_filters_are_named_and_escaped(ds):
    soup = await _page(ds, "/enforcement?" + urlencode(
        {"period": "soon", "office": "<script>x</script>", "category": "navy"}))
    warnings = " ".join(p.get_text() for p in soup.select(".message-warning"))
    assert "not a period" in warnings and "not a category" in warnings
    assert "<script>x</script>" in warnings  # shown as text ...
    assert not soup.find("script", string="x")  # ... never as markup
    assert soup.select("tr.case")  # the page still shows every case


@pytest.mark.anyio
async def test_home_links_to_the_page(ds):
    soup = await _page(ds, "/")
    assert soup.select_one('a[href="/enforcement"]') is not None


# -- in the browser ----------------------------------------------------------------------

@pytest.mark.anyio
async def test_a_catalogue_without_decisions(tmp_path):
    import regwatch.cli  # noqa: F401  (every stage's migrations)
    from store.catalogue import open_db
    from web.app import make_datasette, prepare

    path = str(tmp_path / "catalogue.db")
    open_db(path).close()
    prepare(path)
    datasette = make_datasette(path)
    await datasette.invoke_startup()
    soup = await _page(datasette, "/enforcement")
    assert "No export-control decision" in soup.get_text()
    assert not soup.select("tr.case") and not soup.select("svg")
    soup = await _page(datasette, "/enforcement?period=2025H1")
    assert _figures(soup)["count"] == ["0", "0"]
    assert soup.select_one("[data-growth]")["data-growth"] == ""  # no growth on nothing
    assert len(soup.select("#chart-category g.quarter")) == 6
    assert not soup.select("#chart-category rect.seg, #chart-fine-ratio, #chart-hs")


@pytest.fixture(scope="module")
def server(crawled: str) -> Iterator[str]:
    with serve_web(crawled) as url:
        yield url


def _open(browser: Any, url: str, width: int) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": width, "height": 900})
    tab = context.new_page()
    requests: list[str] = []
    tab.on("request", lambda request: requests.append(request.url))
    tab.goto(url)
    return context, tab, requests


def _shapes(tab: Any, selector: str) -> list[dict[str, Any]]:
    return tab.eval_on_selector_all(selector, """els => els.map(e => {
        const box = e.getBoundingClientRect();
        return {data: Object.assign({}, e.dataset), width: box.width, height: box.height,
                top: box.top, quarter: (e.closest('[data-quarter]') || {dataset: {}}).dataset.quarter};
    })""")


@pytest.mark.parametrize("width", WIDTHS)
def test_charts_in_chromium(server, chromium, crawled, width):
    context, tab, requests = _open(chromium, server + "/enforcement?period=2025H1", width)
    try:
        quarters = ["2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1", "2025Q2"]
        # 1. decisions per quarter by category: a column per quarter of 2024H1..2025H1,
        #    a visible segment per category that has cases, sized as the command counts
        columns = _shapes(tab, "#chart-category g.quarter")
        assert [c["data"]["quarter"] for c in columns] == quarters
        segments = _shapes(tab, "#chart-category rect.seg")
        expected = {}
        for q in quarters:
            found = cli_json(crawled, "stats", "--period", q)["period"]
            for category, figure in found["category"].items():
                expected[(q, category)] = figure["count"]
            ratio = found["fine_ratio"]["mean"]
            expected[(q, "ratio")] = None if ratio is None else round(100 * ratio)
        got = {(s["quarter"], s["data"]["series"]): int(s["data"]["count"]) for s in segments}
        assert got == {k: v for k, v in expected.items() if k[1] != "ratio"}
        assert all(s["width"] > 0 and s["height"] > 0 for s in segments)
        heights = {(s["quarter"], s["data"]["series"]): s["height"] for s in segments}
        # a bar is as tall as its count (within a pixel of rounding)
        unit = heights[("2025Q1", "dual_use")] / got[("2025Q1", "dual_use")]
        assert all(abs(h - unit * got[k]) < 1.5 for k, h in heights.items())
        # 2. the fine ratio per quarter: a point per quarter with a fined case
        points = _shapes(tab, "#chart-fine-ratio circle.ratio-point")
        assert {p["data"]["quarter"]: int(p["data"]["percent"]) for p in points} == {
            q: expected[(q, "ratio")] for q in quarters if expected[(q, "ratio")] is not None}
        assert len(points) == 6
        by_quarter = {p["data"]["quarter"]: p["top"] for p in points}
        assert by_quarter["2025Q2"] < by_quarter["2025Q1"] < by_quarter["2024Q1"]  # 178 > 44 > 25
        # 3. top HS headings of the period, as `stats --by hs` counts them
        headings = _shapes(tab, "#chart-hs g.heading")
        by_hs = cli_json(crawled, "stats", "--period", "2025H1", "--by", "hs")["by"]["hs"]
        assert [(h["data"]["heading"], int(h["data"]["count"])) for h in headings] == [
            (k, v["count"]) for k, v in list(by_hs.items())[:10]]
        assert all(h["width"] > 0 for h in headings)
        assert tab.evaluate("document.documentElement.scrollWidth") <= width + 1
        assert all(u.startswith(server) for u in requests), requests
        ARTEFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTEFACTS / f"enforcement-2025H1-{width}.png"), full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_table_filters_in_chromium(server, chromium, crawled, width):
    context, tab, requests = _open(chromium, server + "/enforcement", width)
    try:
        everything = tab.locator("tr.case").count()
        assert everything == len(cli_json(crawled, "cases"))
        tab.select_option("select#period", "2025H1")
        tab.select_option("select#office", "宁波海关")
        tab.select_option("select#category", "military")
        tab.locator('form.regwatch-enforcement input[type="submit"]').click()
        tab.wait_for_url("**/enforcement?period=2025H1&office=*&category=military")
        listed = cli_json(crawled, "cases", "--period", "2025H1", "--office", "宁波海关",
                          "--category", "military")
        rows = tab.locator("tr.case")
        assert 0 < rows.count() == len(listed) < everything
        assert sorted(int(r.get_attribute("data-case")) for r in rows.all()) == sorted(
            c["id"] for c in listed)
        assert {r.get_attribute("data-category") for r in rows.all()} == {"military"}
        assert tab.locator("select#office").input_value() == "宁波海关"  # the form keeps its state
        columns = _shapes(tab, "#chart-category rect.seg")
        assert {s["data"]["series"] for s in columns} == {"military"}
        tab.screenshot(path=str(ARTEFACTS / f"enforcement-filtered-{width}.png"), full_page=False)
        rows.first.locator("a").first.click()
        tab.wait_for_url("**/enforcement/case/*")
        assert tab.locator("h1").inner_text() in {c["case_number"] for c in listed}
        assert tab.evaluate("document.documentElement.scrollWidth") <= width + 1
        assert all(u.startswith(server) for u in requests), requests
    finally:
        context.close()
