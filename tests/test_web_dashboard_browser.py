"""The morning page and the timeline charts in a real headless Chromium (#18).

``regwatch serve`` runs in a subprocess with the one clock pinned (REGWATCH_ALERTS_NOW)
to 2025-12-20 in Beijing, over the session's crawl of the mirror's two days. Debian's
/usr/bin/chromium, driven by Playwright, opens the home page, a material page, an
announcement page and the catalogue table at 1400 px and 390 px (a phone), checks the
chart's bars and the "coming up" entries as the browser laid them out, that no request
left 127.0.0.1 (the charts need no CDN), and saves screenshots in tests/artefacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ARTEFACTS, CHROMIUM, open_tab, serve_web

TODAY_UTC = "2025-12-20T04:00:00Z"  # 2025-12-20 in Beijing
WIDTHS = (1400, 390)

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed")


@pytest.fixture(scope="module")
def server(catalogue: dict[str, Any]) -> Iterator[str]:
    with serve_web(catalogue["path"], env={"REGWATCH_ALERTS_NOW": TODAY_UTC}) as url:
        yield url


def _shot(tab: Any, name: str) -> None:
    ARTEFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def _bars(tab: Any) -> list[dict[str, Any]]:
    return tab.eval_on_selector_all("svg.gantt-chart rect.bar", """els => els.map(e => {
        const box = e.getBoundingClientRect();
        return {state: e.dataset.state, since: e.dataset.since, until: e.dataset.until,
                cause: e.dataset.cause, width: box.width, height: box.height,
                row: e.closest('g').dataset.label};
    })""")


@pytest.mark.parametrize("width", WIDTHS)
def test_home_page_in_chromium(server, chromium, width):
    context, tab, requests = open_tab(chromium, server + "/", width)
    try:
        coming = tab.locator("#coming-up li.coming")
        entries = [(li.get_attribute("data-date"), li.get_attribute("data-announcement"))
                   for li in coming.all()]
        assert ("2026-01-01", "MOFCOM-2025-79") in entries
        assert ("2026-01-06", "MOFCOM-2026-1") in entries
        assert coming.first.is_visible()
        assert "takes effect" in tab.locator("#coming-up").inner_text()
        changed = tab.locator("#what-changed").inner_text()
        assert "MOFCOM-2026-1" in changed and "new page" in changed
        assert tab.locator("input#q").is_visible()
        cell = tab.locator('tr[data-material="gallium"] td a').first
        assert cell.inner_text().startswith("in force")
        # nothing on the page is wider than the phone's screen but the matrix's own scroller
        overflow = tab.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width + 1, overflow
        _shot(tab, f"home-{width}")
        cell.click()
        tab.wait_for_url("**/material/gallium")
        assert all(u.startswith(server) for u in requests), requests
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_material_page_chart_in_chromium(server, chromium, width):
    context, tab, requests = open_tab(chromium, server + "/material/gallium", width)
    try:
        bars = _bars(tab)
        rows = {b["row"] for b in bars}
        assert {"MOFCOM-2023-23", "MOFCOM-2024-51", "MOFCOM-2024-46"} <= rows
        superseded = [b for b in bars if b["row"] == "MOFCOM-2023-23"
                      and b["state"] == "superseded"]
        assert superseded and superseded[0]["cause"] == "MOFCOM-2024-51"
        assert all(b["width"] > 0 and b["height"] > 0 for b in bars)
        assert all(u.startswith(server) for u in requests), requests
        _shot(tab, f"material-gallium-{width}")
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_announcement_chart_in_chromium(server, chromium, width):
    context, tab, requests = open_tab(chromium, server + "/announcement/MOFCOM-2025-61", width)
    try:
        bars = _bars(tab)
        whole = [b for b in bars if b["row"] == "MOFCOM-2025-61"]
        assert [b["state"] for b in whole] == ["in_force", "suspended", "in_force"]
        suspended = whole[1]
        assert (suspended["since"], suspended["until"], suspended["cause"]) == (
            "2025-11-07", "2026-11-10", "MOFCOM-2025-70")
        # the suspension lasts a year, the first in-force spell four weeks: widths agree
        assert suspended["width"] > 5 * whole[0]["width"] > 0
        pending = [b for b in bars if b["state"] == "pending"]
        assert pending and pending[0]["row"].startswith("一(一)")
        tooltip = tab.locator("svg.gantt-chart rect.bar-suspended title").first.text_content()
        assert "by MOFCOM-2025-70" in tooltip
        assert all(u.startswith(server) for u in requests), requests
        _shot(tab, f"announcement-MOFCOM-2025-61-{width}")
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_catalogue_table_in_chromium(server, chromium, width):
    context, tab, _ = open_tab(chromium, server + "/regwatch/catalogue", width)
    try:
        assert tab.locator("table.rows-and-columns td a", has_text="MOFCOM-2025-61").count() >= 1
        _shot(tab, f"catalogue-{width}")
    finally:
        context.close()


def test_feed_opens_as_a_page_in_chromium(server, chromium):
    context, tab, _ = open_tab(chromium, server + "/-/feeds/changes.atom", 1400)
    try:
        assert tab.locator("h1.feed-title").inner_text() == "regwatch: all changes"
        assert tab.locator(".feed-entry").count() >= 10
        assert "issued 2026-01-05" in tab.locator(".feed-entry").first.inner_text() or \
            "issued" in tab.locator(".feed-entries, body").first.inner_text()
        _shot(tab, "feed-changes-1400")
    finally:
        context.close()
