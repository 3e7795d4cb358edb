"""The morning page, the material pages, the Gantt charts and the iCalendar feeds (#18),
in-process through Datasette's client, on the session's crawl of the mirror's two days.

"Today" is pinned through the one clock's override (REGWATCH_ALERTS_NOW, core/clock.py)
to 2025-12-20 in Beijing: the suspensions by MOFCOM-2025-70 are running, and the day-2
history holds dates to come (MOFCOM-2025-79 and -89 take effect on 2026-01-01,
MOFCOM-2026-1 on 2026-01-06). Calendars are read with a real parser (icalendar).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import icalendar
import pytest

from web.app import make_datasette

TODAY_UTC = "2025-12-20T04:00:00Z"  # 2025-12-20 12:00 in Beijing


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def ds(catalogue: dict[str, Any], monkeypatch) -> Any:
    monkeypatch.setenv("REGWATCH_ALERTS_NOW", TODAY_UTC)
    datasette = make_datasette(catalogue["path"])
    await datasette.invoke_startup()
    return datasette


def _coming(html: str) -> list[tuple[str, str]]:
    return re.findall(r'class="coming" data-date="([0-9-]+)" data-announcement="([^"]+)"', html)


def _bars(html: str) -> list[dict[str, str]]:
    found = re.findall(r'<rect class="bar bar-(\w+)[^"]*"[^>]*data-since="([^"]*)" '
                       r'data-until="([^"]*)"\s+data-cause="([^"]*)"', html)
    return [{"state": s, "since": a, "until": b, "cause": c} for s, a, b, c in found]


def _events(text: str) -> list[dict[str, Any]]:
    cal = icalendar.Calendar.from_ical(text)
    out = []
    for event in cal.walk("VEVENT"):
        out.append({"uid": str(event["UID"]), "date": event.decoded("DTSTART"),
                    "summary": str(event["SUMMARY"]), "url": str(event.get("URL", ""))})
    return out


@pytest.mark.anyio
async def test_home_page_what_changed_coming_up_state_and_health(ds):
    response = await ds.client.get("/")
    assert response.status_code == 200, response.text[:500]
    html = response.text
    assert 'action="/-/search"' in html and "2025-12-20 (Beijing)" in html
    coming = _coming(html)
    assert ("2026-01-01", "MOFCOM-2025-79") in coming
    assert ("2026-01-01", "MOFCOM-2025-89") in coming
    assert ("2026-01-06", "MOFCOM-2026-1") in coming
    assert all("2025-12-20" < day <= "2026-03-20" for day, _ in coming), coming
    # what changed: the day-2 crawl found MOFCOM-2026-1 new and MOFCOM-2025-61 changed
    section = html.split('id="what-changed"', 1)[1].split("</section>", 1)[0]
    assert "MOFCOM-2026-1" in section and "new page" in section
    assert "MOFCOM-2025-61" in section and "page changed" in section
    # state today: gallium is in force under licence, cells link to the material page
    row = re.search(r'<tr data-material="gallium">(.*?)</tr>', html, re.S).group(1)
    assert 'href="/material/gallium"' in row and "in force (" in row
    assert re.search(r'<tr data-material="erbium">.*?suspended \(\d+\)', html, re.S)
    assert "<th class=\"group\"" in html and ">rare earths<" in html
    health = html.split('id="source-health"', 1)[1]
    for source in ("mofcom", "gacc", "mofcom_en"):
        assert f"<td>{source}</td>" in health
    matrix = html.split('id="state-today"', 1)[1].split("</section>")[0]
    assert "in_force" not in re.sub(r"<[^>]+>", " ", matrix)  # words, not enums, are shown


@pytest.mark.anyio
async def test_material_page_status_and_chart(ds):
    response = await ds.client.get("/material/gallium")
    assert response.status_code == 200, response.text[:500]
    html = response.text
    assert "licence" in html.split('id="headline"', 1)[1][:200]
    rows = re.findall(r'<g class="gantt-row" data-label="([^"]+)"', html)
    assert {"MOFCOM-2023-23", "MOFCOM-2024-51", "MOFCOM-2024-46"} <= set(rows)
    bars = _bars(html)
    superseded = [b for b in bars if b["state"] == "superseded"]
    assert superseded and superseded[0]["cause"] == "MOFCOM-2024-51"
    assert (await ds.client.get("/material/no-such-thing-at-all")).status_code == 404


@pytest.mark.anyio
async def test_announcement_page_chart_shows_the_suspension(ds):
    response = await ds.client.get("/announcement/MOFCOM-2025-61")
    assert response.status_code == 200
    bars = _bars(response.text)
    assert {"state": "suspended", "since": "2025-11-07", "until": "2026-11-10",
            "cause": "MOFCOM-2025-70"} in bars
    assert {"state": "in_force", "since": "2026-11-11", "until": "",
            "cause": "MOFCOM-2025-70"} in bars  # in force again, open-ended
    assert any(b["state"] == "pending" and b["since"] == "2025-10-09" for b in bars)
    assert "<script" not in response.text.split('<figure class="gantt">', 1)[1].split(
        "</figure>", 1)[0]


@pytest.mark.anyio
async def test_calendar_holds_the_coming_dates(ds):
    response = await ds.client.get("/-/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    events = _events(response.text)
    found = {(e["date"], e["summary"].split(":")[0]) for e in events}
    assert (date(2026, 1, 1), "MOFCOM-2025-79") in found
    assert (date(2026, 1, 1), "MOFCOM-2025-89") in found
    assert (date(2026, 1, 6), "MOFCOM-2026-1") in found
    # the suspensions by MOFCOM-2025-70 end within the year: the date they are in force again
    again = {e["summary"].split(":")[0] for e in events
             if e["date"] == date(2026, 11, 11) and "in force again" in e["summary"]}
    assert {"MOFCOM-2025-61", "MOFCOM-2025-62"} <= again
    assert all(date(2025, 12, 20) < e["date"] <= date(2026, 12, 20) for e in events)
    assert len({e["uid"] for e in events}) == len(events)
    assert all(e["url"].endswith("/announcement/" + e["summary"].split(":")[0]) for e in events)
    assert all(len(line.encode()) <= 75 for line in response.text.split("\r\n"))


@pytest.mark.anyio
async def test_material_and_subscription_calendars(ds, catalogue):
    rare = _events((await ds.client.get("/-/calendar/material/rare%20earths.ics")).text)
    everything = _events((await ds.client.get("/-/calendar.ics")).text)
    numbers = {e["summary"].split(":")[0] for e in rare}
    assert "MOFCOM-2025-61" in numbers  # rare earths: in force again on 2026-11-11
    assert "MOFCOM-2025-58" not in numbers  # lithium batteries and graphite anodes
    assert "MOFCOM-2025-58" in {e["summary"].split(":")[0] for e in everything}
    chinese = _events((await ds.client.get("/-/calendar/material/稀土.ics")).text)
    assert {e["uid"] for e in chinese} == {e["uid"] for e in rare}
    token = catalogue["token"]
    sub = await ds.client.get(f"/-/calendar/subscription/{token}.ics")
    assert sub.status_code == 200
    assert {e["uid"] for e in _events(sub.text)} == {e["uid"] for e in rare}
    wrong = await ds.client.get("/-/calendar/subscription/" + "x" * 43 + ".ics")
    assert wrong.status_code == 404


# -- readable tables and feeds ----------------------------------------------------------

@pytest.mark.anyio
async def test_catalogue_table_speaks_words_and_chips(ds):
    response = await ds.client.get("/regwatch/catalogue")
    assert response.status_code == 200
    html = response.text
    cells = re.findall(r"<td class=\"col-[^\"]+ type-\w+\">(.*?)</td>", html, re.S)
    assert cells
    assert not [c for c in cells if c.strip().startswith("[")], "a list shown as JSON"
    assert '<span class="chip">MOFCOM</span>' in html
    assert '<a class="chip" href="/material/gallium">gallium</a>' in html
    assert re.search(r'<span class="state state-in_force">in force</span>', html)
    assert ">Issued by<" in html and ">State today<" in html  # human column labels
    assert re.search(r'<span class="clip" title="([^"]{41,})">\1</span>', html)
    items = (await ds.client.get("/regwatch/items_current")).text
    measures = {c.strip() for c in re.findall(r'<td class="col-measure[^"]*">(.*?)</td>', items)}
    assert "licence required" in measures and "licence" not in measures


@pytest.mark.anyio
async def test_feed_dated_by_the_announcement_styled_and_without_duplicates(ds):
    import feedparser

    response = await ds.client.get("/-/feeds/changes.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    assert '<?xml-stylesheet type="text/xsl" href="/regwatch-assets/feed.xsl"?>' in response.text
    feed = feedparser.parse(response.text)
    assert not feed.bozo, feed.bozo_exception
    ids = [e.id for e in feed.entries]
    assert len(ids) == len(set(ids))
    new = next(e for e in feed.entries if "MOFCOM-2026-1" in e.title and e.title.startswith("new"))
    # issued 2026-01-06 in Beijing = 2026-01-05T16:00Z; updated = when the crawl saw it
    assert new.published == "2026-01-05T16:00:00Z"
    assert new.updated != new.published
    browser = await ds.client.get("/-/feeds/changes.atom",
                                  headers={"accept": "text/html,application/xml;q=0.9"})
    assert browser.headers["content-type"].startswith("application/xml")
    xsl = await ds.client.get("/regwatch-assets/feed.xsl")
    assert xsl.status_code == 200 and "xsl:stylesheet" in xsl.text
