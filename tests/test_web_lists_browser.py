"""The entity-list pages (#16 item 6) in a real headless Chromium.

``regwatch serve`` runs in a subprocess over the session's crawl of the mirror's two days
(conftest.py ``catalogue``). Chromium, driven by Playwright, opens ``/lists`` on a day,
changes the day through the form, follows a listing to its announcement, and screens a
pasted list on ``/-/screen`` by typing it into the form: the states and hits as the
browser shows them, no request leaving 127.0.0.1, the list and screening pages no wider
than a phone's screen, the screening results labelled on a phone, and screenshots at
1400 px and 390 px in tests/artefacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import ARTEFACTS, open_tab, serve_web

WIDTHS = (1400, 390)


@pytest.fixture(scope="module")
def server(catalogue: dict[str, Any]) -> Iterator[str]:
    with serve_web(catalogue["path"]) as url:
        yield url


@pytest.mark.parametrize("width", WIDTHS)
def test_lists_page_in_chromium(server, chromium, width):
    context, tab, requests = open_tab(chromium, server + "/lists?on=2026-01-01", width)
    try:
        sections = [s.get_attribute("id") for s in tab.locator("section.regwatch-list").all()]
        assert sorted(sections) == ["list-control", "list-unreliable"]
        assert tab.locator("#list-control tr.entity").count() == 15 + 16 + 12
        row = tab.locator('tr[data-entity="universal-logistics-holdings"]')
        assert row.get_attribute("data-state") == "suspended"
        assert "until 2026-11-10" in row.locator("td.state").inner_text()
        assert row.locator("td.state").is_visible()
        assert tab.evaluate("document.documentElement.scrollWidth") <= width + 1
        ARTEFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTEFACTS / f"lists-{width}.png"), full_page=False)
        # a later day through the form: the year's suspension has run out
        tab.fill("input#on", "2026-12-01")
        tab.locator('form.regwatch-lists input[type="submit"]').click()
        tab.wait_for_url("**/lists?on=2026-12-01")
        row = tab.locator('tr[data-entity="universal-logistics-holdings"]')
        assert row.get_attribute("data-state") == "listed"
        # the listing links to its announcement's page
        row.locator('a[href="/announcement/MOFCOM-2025-21"]').first.click()
        tab.wait_for_url("**/announcement/MOFCOM-2025-21")
        assert "MOFCOM-2025-21" in tab.locator("h1").inner_text()
        assert all(u.startswith(server) for u in requests), requests
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_screening_page_in_chromium(server, chromium, width):
    context, tab, requests = open_tab(chromium, server + "/-/screen", width)
    try:
        names = "Skydio, Inc.\n斯凱迪奧公司\nAcme Widgets Ltd, CN\n<img src=x onerror=alert(1)>"
        dialogs: list[str] = []
        tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        tab.fill("textarea#names", names)
        tab.fill("input#on", "2025-06-01")
        tab.locator('form.regwatch-screen input[type="submit"]').click()
        tab.wait_for_url("**/-/screen?names=*")
        assert tab.locator("textarea#names").input_value() == names  # the form keeps the list
        hits = tab.locator('tr.screened.hit[data-entity="skydio"][data-band="match"]')
        cells = {tuple(h.locator("td").nth(i).inner_text().strip() for i in (0, 4, 5))
                 for h in hits.all()}
        assert {c[1:] for c in cells} == {("control", "MOFCOM-2025-13"), ("unreliable", "UEL-2025-7")}
        assert {c[0] for c in cells} == {"Skydio, Inc.", "斯凱迪奧公司"}
        assert all(float(h.locator("td.score").inner_text()) >= 0.85 for h in hits.all())
        misses = [r.locator("td").first.inner_text() for r in tab.locator("tr.screened.no-hit").all()]
        assert "Acme Widgets Ltd (CN)" in misses
        assert any("<img src=x" in m for m in misses)  # pasted markup shown as text ...
        assert tab.locator("img[src=x]").count() == 0 and not dialogs  # ... never run
        # nothing wider than the screen: the form and every result cell fit
        widest = tab.evaluate("""() => Math.max(document.documentElement.scrollWidth, ...[
            ...document.querySelectorAll('form.regwatch-screen *, .regwatch-screen-results td')
        ].map(e => e.getBoundingClientRect().right))""")
        assert widest <= width + 1, widest
        if width < 576:  # a phone: the rows are cards, each cell labelled with its header
            headers = [th.text_content() for th in tab.locator(
                "table.regwatch-screen-results thead th").all()]
            labels = tab.eval_on_selector_all("tr.screened.hit", """rows => rows.map(r =>
                [...r.cells].map(c => getComputedStyle(c, '::before').content.slice(1, -1)))""")
            assert labels and all(row == headers for row in labels), (headers, labels)
        ARTEFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTEFACTS / f"screen-{width}.png"), full_page=False)
        tab.locator('tr.screened.hit[data-entity="skydio"] a[href="/announcement/MOFCOM-2025-13"]'
                    ).first.click()
        tab.wait_for_url("**/announcement/MOFCOM-2025-13")
        assert all(u.startswith(server) for u in requests), requests
    finally:
        context.close()
