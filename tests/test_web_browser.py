"""End to end in a real headless Chromium against ``regwatch serve`` in a subprocess.

Debian's /usr/bin/chromium (installed by ``make test``, never downloaded at run time)
driven by Playwright: open the home page, search 镓 and gallium, open MOFCOM-2025-61 and
see its suspension by MOFCOM-2025-70 in the timeline; open the hostile site's crawled
announcement and check that no script ran. Screenshots go to tests/artefacts/.
The server fixture is also the real-server smoke test of the CLI command.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from conftest import ARTEFACTS, CHROMIUM, serve_web

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed")


@pytest.fixture(scope="module")
def servers(catalogue: dict[str, Any], hostile: dict[str, Any]) -> Iterator[dict[str, str]]:
    with ExitStack() as stack:
        main = stack.enter_context(serve_web(catalogue["path"]))
        other = stack.enter_context(serve_web(hostile["path"]))
        yield {"main": main, "hostile": other, "number": hostile["number"]}


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    tab = context.new_page()
    tab.dialogs = []
    tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    yield tab
    context.close()


def _shot(page: Any, name: str) -> None:
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def test_real_server_smoke(servers):
    """The CLI's server answers over HTTP: home, a feed, and 405 for a POST."""
    with urllib.request.urlopen(servers["main"] + "/") as response:
        assert response.status == 200 and b'action="/-/search"' in response.read()
    with urllib.request.urlopen(servers["main"] + "/-/feeds/changes.atom") as response:
        assert response.headers["content-type"].startswith("application/atom+xml")
    request = urllib.request.Request(servers["main"] + "/regwatch/documents", data=b"x=1",
                                     method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 405


def test_search_and_announcement_timeline_in_chromium(servers, page):
    base = servers["main"]
    page.goto(base + "/")
    assert page.locator("input#q").is_visible()
    _shot(page, "web-home")

    for query, shot in (("镓", "web-search-gallium-zh"), ("gallium", "web-search-gallium-en")):
        page.goto(base + "/")
        page.fill("input#q", query)
        page.press("input#q", "Enter")
        page.wait_for_url("**/-/search?q=*")
        results = page.locator("ol.regwatch-results a.result-link")
        assert int(page.locator("#result-count").inner_text()) >= 2
        assert "MOFCOM-2023-23" in results.all_inner_texts()
        _shot(page, shot)

    page.locator("a", has_text="See them as a table with facets").click()
    page.wait_for_url("**/regwatch/catalogue?_search=*")
    assert page.locator("input#_search").input_value() == "gallium"
    facets = page.locator(".facet-results").inner_text()
    assert "issuers" in facets and "materials" in facets and "gallium" in facets
    assert page.locator("td a", has_text="MOFCOM-2023-23").count() >= 1
    _shot(page, "web-catalogue-facets")

    page.goto(base + "/")
    page.fill("input#q", "稀土")
    page.press("input#q", "Enter")
    page.wait_for_url("**q=%E7%A8%80%E5%9C%9F*")
    page.locator("a.result-link", has_text="MOFCOM-2025-61").first.click()
    page.wait_for_url("**/announcement/MOFCOM-2025-61")
    suspended = page.locator("#timeline tr.interval-suspended")
    assert suspended.count() == 1
    row = suspended.inner_text()
    assert "MOFCOM-2025-70" in row and "suspends" in row and "2025-11-07" in row
    assert page.locator("#references-in", has_text="MOFCOM-2025-70").is_visible()
    assert page.locator(".diff-add").count() >= 1
    _shot(page, "web-announcement-MOFCOM-2025-61")
    page.locator("#timeline a", has_text="MOFCOM-2025-70").first.click()
    page.wait_for_url("**/announcement/MOFCOM-2025-70")
    assert page.locator("#references-out", has_text="MOFCOM-2025-61").is_visible()
    assert page.dialogs == []


def test_hostile_title_is_shown_escaped_and_no_script_runs(servers, page):
    base = servers["hostile"]
    for path, shot in ((f"/announcement/{servers['number']}", "web-xss-announcement"),
                       ("/-/search?q=%E9%95%93", "web-xss-search"),
                       ("/regwatch/catalogue", "web-xss-table"),
                       ("/regwatch/versions", "web-xss-versions")):
        page.goto(base + path)
        page.wait_for_load_state("load")
        assert page.evaluate("typeof window.__xss") == "undefined", path
        assert page.evaluate("document.querySelectorAll('img[onerror]').length") == 0, path
        assert "<script>window.__xss" in page.locator("body").inner_text(), path
        _shot(page, shot)
    page.goto(base + f"/announcement/{servers['number']}")
    title = page.locator("#title").inner_text()
    assert '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">' in title
    assert "<script>window.__xss=5</script>" in page.locator("pre.diff").inner_text()
    assert page.dialogs == []
