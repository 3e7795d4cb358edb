"""The portfolio page (#17 item 6): in-process, then in a real headless Chromium.

The sample portfolio is imported into a copy of the session's crawl of the mirror (days 1
and 2). On 2026-10-01 (Beijing) six lanes are under No. 70's suspension until 2026-11-10,
the US gallium/germanium/antimony lanes are back to "licence required" while No. 46 二 is
suspended (until 2026-11-27), and the JP lanes are under stricter review since 2026 No. 1
(tests/gold/portfolio_expected.csv gives the four dates around these). ``regwatch serve``
runs in a subprocess with the clock pinned to that day; Playwright drives /usr/bin/chromium
at 1400 px and 390 px, and the screenshots are saved in tests/artefacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from conftest import open_tab, serve_web

ARTEFACTS = Path(__file__).resolve().parent / "artefacts"
ON = "2026-10-01"
SUSPENDED = {"BAT-CELL-JP", "BAT-CELL-US", "BAT-LFP", "BAT-NCM-PRE", "SH-DIA-US", "SH-DIA-VN"}
WIDTHS = (1400, 390)


@pytest.fixture(scope="module")
def path(mirror_history: str, tmp_path_factory) -> str:
    from conftest import with_sample_portfolio

    from web.app import prepare

    target = with_sample_portfolio(mirror_history, tmp_path_factory.mktemp("web-portfolio"))
    prepare(target)
    return target


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _get(path: str, url: str) -> tuple[int, BeautifulSoup]:
    from web.app import make_datasette

    ds = make_datasette(path)
    await ds.invoke_startup()
    response = await ds.client.get(url)
    return response.status_code, BeautifulSoup(response.text, "html.parser")


def _lanes(soup: BeautifulSoup) -> dict[str, str]:
    return {tr["data-sku"]: tr["data-verdict"] for tr in soup.select("tr.lane")}


@pytest.mark.anyio
async def test_products_by_verdict_and_the_filters(path):
    status, soup = await _get(path, f"/portfolio/exporter?on={ON}")
    assert status == 200
    lanes = _lanes(soup)
    assert len(lanes) == 51
    assert {sku for sku, v in lanes.items() if v == "suspended"} == SUSPENDED
    assert lanes["SEM-GAAS-4N"] == "licence" and lanes["SEM-GEO2"] == "strict"
    assert lanes["MAG-SC217-MIL"] == "prohibited" and lanes["MAG-ND-N52"] == "notfound"
    row = soup.select_one("tr#lane-BAT-LFP-DE")
    assert "control suspended until 2026-11-10" in row.get_text()
    assert row.select_one("a[href='/announcement/MOFCOM-2025-70']") is not None
    # the filter is a GET form: its choices count the lanes
    options = {o["value"]: o.get_text() for o in soup.select("select#verdict option")}
    assert options["suspended"] == "control suspended (6)"
    _, only = await _get(path, f"/portfolio/exporter?on={ON}&verdict=suspended")
    assert set(_lanes(only)) == SUSPENDED
    assert only.select_one("select#verdict option[selected]")["value"] == "suspended"
    _, jp = await _get(path, f"/portfolio/exporter?on={ON}&destination=JP&verdict=strict")
    assert set(_lanes(jp)) == {"MAG-SC217-30H", "MAG-NDDY-44SH", "SEM-GAAS-6SI", "SEM-GEO2",
                               "W-WC-POW-JP", "BAT-SPG-JP"}
    # the chart has one row per product shown, the coming dates only theirs
    assert len(only.select("svg.gantt-chart g.gantt-row")) == 6
    coming = {(li["data-date"], li["data-sku"]) for li in only.select("li.coming")}
    # each suspension ends on 2026-11-11; the diamond powder to the US then goes on to
    # "denied in principle" when No. 46 二 is back on 2026-11-28
    assert coming == {("2026-11-11", sku) for sku in SUSPENDED} | {("2026-11-28", "SH-DIA-US")}


@pytest.mark.anyio
async def test_the_chart_draws_each_verdict_over_time(path):
    _, soup = await _get(path, f"/portfolio/exporter?on={ON}&destination=US")
    rows = {g["data-label"]: [(r["data-state"], r["data-since"]) for r in g.select("rect.bar")]
            for g in soup.select("svg.gantt-chart g.gantt-row")}
    gaas = rows["SEM-GAAS-4N → US"]
    # published 2023-07-03, in force 2023-08-01; No. 46 二 (denied to the US) from
    # 2024-12-03, suspended by No. 72 in November 2025, back on 2026-11-28
    assert [state for state, _ in gaas] == ["notfound", "pending", "licence", "denied",
                                            "licence", "denied"]
    assert gaas[1][1] == "2023-07-03" and gaas[2][1] == "2023-08-01"
    assert gaas[3][1] == "2024-12-03" and gaas[-1][1] == "2026-11-28"
    diamond = [state for state, _ in rows["SH-DIA-US → US"]]
    assert "suspended" in diamond  # the suspension window is a bar of its own
    legend = soup.select_one(".gantt-legend").get_text()
    assert "control suspended" in legend and "denied in principle" in legend


@pytest.mark.anyio
async def test_unknown_portfolio_and_the_index(path):
    status, soup = await _get(path, "/portfolio/nope")
    assert status == 404 and "no portfolio named 'nope'" in soup.get_text()
    status, soup = await _get(path, "/portfolio")
    assert status == 200
    assert soup.select_one("a[href='/portfolio/exporter']").get_text() == "exporter"
    status, soup = await _get(path, "/")
    assert status == 200 and soup.select_one("a[href='/portfolio']") is not None


# -- in the browser ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(path: str) -> Iterator[str]:
    with serve_web(path, {"REGWATCH_ALERTS_NOW": f"{ON}T04:00:00Z"}) as url:
        yield url


def _bars(tab: Any) -> list[dict[str, Any]]:
    return tab.eval_on_selector_all("svg.gantt-chart rect.bar", """els => els.map(e => {
        const box = e.getBoundingClientRect();
        return {state: e.dataset.state, since: e.dataset.since, cls: e.getAttribute('class'),
                fill: getComputedStyle(e).fill, width: box.width, height: box.height,
                row: e.closest('g').dataset.label};
    })""")


@pytest.mark.parametrize("width", WIDTHS)
def test_portfolio_page_in_chromium(server, chromium, width):
    context, tab, requests = open_tab(chromium, server + "/portfolio/exporter", width)
    try:
        assert tab.locator("tr.lane").count() == 51
        bars = _bars(tab)
        assert {b["row"] for b in bars} >= {"SEM-GAAS-4N → US", "BAT-LFP → DE"}
        assert all(b["width"] > 0 and b["height"] > 0 for b in bars)
        assert all(b["cls"].startswith(f"bar bar-{b['state']}") for b in bars)
        lfp = [b["state"] for b in bars if b["row"] == "BAT-LFP → DE"]
        assert lfp == ["notfound", "pending", "suspended", "licence"]  # No. 58, then No. 70
        fills = {b["state"]: b["fill"] for b in bars}
        assert len({fills[s] for s in ("denied", "licence", "suspended", "notfound")}) == 4
        tab.screenshot(path=str(_artefact(f"portfolio-{width}")), full_page=True)
        # the verdict filter, chosen and sent as a plain GET form
        tab.select_option("select#verdict", "suspended")
        with tab.expect_navigation():
            tab.click("form.portfolio-filter input[type=submit]")
        assert "verdict=suspended" in tab.url
        skus = {tr.get_attribute("data-sku") for tr in tab.locator("tr.lane").all()}
        assert skus == SUSPENDED
        assert {b["row"].split(" → ")[0] for b in _bars(tab)} == SUSPENDED
        assert tab.locator("li.coming").count() == 7
        overflow = tab.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width + 1, overflow
        tab.screenshot(path=str(_artefact(f"portfolio-suspended-{width}")), full_page=True)
        assert all(u.startswith(server) for u in requests), requests
    finally:
        context.close()


def _artefact(name: str) -> Path:
    ARTEFACTS.mkdir(exist_ok=True)
    return ARTEFACTS / f"{name}.png"


def test_the_filter_works_without_javascript(server, chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 900},
                                  java_script_enabled=False)
    tab = context.new_page()
    try:
        tab.goto(server + "/portfolio/exporter")
        tab.select_option("select#destination", "JP")
        tab.select_option("select#verdict", "strict")
        with tab.expect_navigation():
            tab.click("form.portfolio-filter input[type=submit]")
        assert "destination=JP" in tab.url and "verdict=strict" in tab.url
        rows = tab.locator("tr.lane").all()
        assert len(rows) == 6
        assert {r.get_attribute("data-destination") for r in rows} == {"JP"}
        assert tab.locator("svg.gantt-chart rect.bar-strict").count() >= 6
    finally:
        context.close()


def test_two_customers_of_one_sku_get_their_own_anchor_and_label():
    """Lanes of one SKU to one country (portfolio/lanes.py) are told apart on the page;
    a lane alone with its SKU and destination keeps the plain anchor and label."""
    from web.portfolio import _names

    base = {"sku": "LENS 1", "destination": "US", "end_use": None, "end_user": None}
    rows = [{**base, "counterparty": "Acme"}, {**base, "counterparty": "Army Optics"},
            {**base, "destination": "JP", "counterparty": "Acme"}]
    names = _names(rows)
    us = [names[("LENS 1", "US", c, "", "")] for c in ("Acme", "Army Optics")]
    assert [label for _, label in us] == ["LENS 1 → US (Acme)", "LENS 1 → US (Army Optics)"]
    assert us[0][0] != us[1][0] and all(a.startswith("LENS_1-US-") for a, _ in us)
    assert names[("LENS 1", "JP", "Acme", "", "")] == ("LENS_1-JP", "LENS 1 → JP")
