"""The entity-list pages in-process (#16 item 6): the list browser and the screening page,
on the catalogue crawled from the mirror (conftest.py ``catalogue``: days 1 and 2)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup

from web.app import make_datasette


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def ds(catalogue: dict[str, Any]) -> Any:
    datasette = make_datasette(catalogue["path"])
    await datasette.invoke_startup()
    return datasette


async def _page(ds: Any, path: str) -> BeautifulSoup:
    response = await ds.client.get(path)
    assert response.status_code == 200, (path, response.text[:500])
    return BeautifulSoup(response.text, "html.parser")


@pytest.mark.anyio
async def test_list_browser_shows_state_history_and_announcements(ds):
    soup = await _page(ds, "/lists?on=2026-01-01")
    sections = {s["id"]: s for s in soup.select("section.regwatch-list")}
    assert set(sections) == {"list-control", "list-unreliable"}
    control = {r["data-entity"]: r for r in sections["list-control"].select("tr.entity")}
    assert len(control) == 15 + 16 + 12  # Nos. 13, 21 and 22 as crawled
    row = control["universal-logistics-holdings"]
    assert row["data-state"] == "suspended"
    assert "until 2026-11-10" in row.select_one("td.state").get_text()
    history = [li.get_text(" ", strip=True) for li in row.select("ol.history li")]
    assert history[0].startswith("listed 2025-04-04 – 2025-11-10")
    assert history[1].startswith("suspended 2025-11-10 – 2026-11-10")
    links = [a["href"] for a in row.select("a")]
    assert links[0] == "/announcement/MOFCOM-2025-21"
    assert any(re.fullmatch(r"/document/\d+", h) for h in links[1:])
    later = await _page(ds, "/lists?on=2026-12-01")
    row = later.select_one('tr[data-entity="universal-logistics-holdings"]')
    assert row["data-state"] == "listed"  # the year's suspension ran out


@pytest.mark.anyio
async def test_screening_page_takes_a_pasted_list(ds):
    names = "Skydio, Inc.\n斯凱迪奧公司\nAcme Widgets Ltd, CN\n<script>x</script>"
    soup = await _page(ds, "/-/screen?" + urlencode({"names": names, "on": "2025-06-01"}))
    assert soup.select_one("textarea#names").get_text() == names
    hits = soup.select("tr.screened.hit")
    skydio = [h for h in hits if h["data-entity"] == "skydio" and h["data-band"] == "match"]
    assert {tuple(td.get_text(strip=True) for td in h.select("td")[4:6]) for h in skydio} == {
        ("control", "MOFCOM-2025-13"), ("unreliable", "UEL-2025-7")}
    first = skydio[0].select("td")
    assert float(first[1].get_text()) >= 0.85 and first[7].get_text().strip()
    assert {h.select("td")[0].get_text() for h in skydio} == {"Skydio, Inc.", "斯凱迪奧公司"}
    misses = [r.select_one("td").get_text() for r in soup.select("tr.screened.no-hit")]
    assert "Acme Widgets Ltd (CN)" in misses
    assert soup.find("script", string="x") is None  # the pasted markup is text


@pytest.mark.anyio
async def test_lists_pages_are_get_only(ds):
    for path in ("/lists", "/-/screen"):
        response = await ds.client.post(path, data={"names": "Skydio"})
        assert response.status_code in (403, 405), (path, response.status_code)
