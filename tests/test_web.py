"""The web catalogue in-process: pages, Chinese search, facets, canned queries, CSV/JSON
export, Atom feeds and the read-only / private-data guarantees.

The catalogue is built once per session the way production builds it: the offline
mirror crawled over HTTP on day 1, a subscription and its feed token added, day 2
crawled (MOFCOM-2025-61 gains a clause date, MOFCOM-2026-1 appears). A second catalogue
is crawled from a hostile MOFCOM-shaped site whose title and text carry script
payloads. Both are session fixtures in conftest.py (``catalogue``, ``hostile``), shared
with tests/test_web_browser.py.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import feedparser
import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from web.announcement import announcement_page
from web.app import make_datasette

SCRIPT_TITLE = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def ds(catalogue: dict[str, Any]) -> Any:
    datasette = make_datasette(catalogue["path"])
    await datasette.invoke_startup()
    return datasette


async def _json(ds: Any, path: str) -> Any:
    response = await ds.client.get(path)
    assert response.status_code == 200, (path, response.text[:500])
    return response.json()


def _numbers(rows: list[dict[str, Any]]) -> set[str]:
    return {r["number"] for r in rows if r.get("number")}


# -- pages and search ------------------------------------------------------------------

@pytest.mark.anyio
async def test_home_page_offers_search_and_catalogue(ds):
    response = await ds.client.get("/")
    assert response.status_code == 200
    assert 'action="/-/search"' in response.text
    assert "/regwatch/catalogue" in response.text and "/-/feeds" in response.text


@pytest.mark.anyio
@pytest.mark.parametrize("query", ["镓", "gallium", "鎵"])  # 鎵: Traditional for 镓
async def test_search_page_finds_gallium_in_chinese_and_english(ds, query):
    response = await ds.client.get("/-/search", params={"q": query})
    assert response.status_code == 200
    assert 'href="/announcement/MOFCOM-2023-23"' in response.text
    assert 'href="/announcement/MOFCOM-2025-22"' not in response.text  # an entity list


@pytest.mark.anyio
async def test_table_search_is_chinese_aware_and_faceted(ds):
    data = await _json(ds, "/regwatch/catalogue.json?_search=稀土&_size=100&_shape=objects")
    numbers = _numbers(data["rows"])
    assert {"MOFCOM-2025-61", "MOFCOM-2025-18"} <= numbers
    assert "MOFCOM-2023-23" not in numbers
    assert 'search matches "稀土"' in data["human_description_en"]
    gallium = await _json(ds, "/regwatch/catalogue.json?_search=gallium&_size=100&_shape=objects")
    assert "MOFCOM-2023-23" in _numbers(gallium["rows"])
    nothing = await _json(ds, "/regwatch/catalogue.json?_search=%21%21%21&_shape=objects")
    assert nothing["rows"] == []  # punctuation only: no match, no FTS syntax error


@pytest.mark.anyio
async def test_facets_issuer_material_year_state(ds):
    data = await _json(ds, "/regwatch/catalogue.json?_size=0")
    facets = {name: {str(v["value"]): v["count"] for v in facet["results"]}
              for name, facet in data["facet_results"].items()}
    assert facets["issuers"]["MOFCOM"] >= 20 and facets["issuers"]["GACC"] >= 5
    assert facets["materials"]["gallium"] >= 2
    assert "2025" in facets["year"] and "2023" in facets["year"]
    states = {"pending", "in_force", "suspended", "repealed", "superseded", "unknown"}
    assert set(facets["state"]) <= states and sum(facets["state"].values()) >= 30
    # the state column is the timeline's state today (MOFCOM-2025-61 was suspended by
    # No. 70 from 2025-11-07 until 2026-11-10, so it depends on the clock)
    row = (await _json(ds, "/regwatch/catalogue.json?number=MOFCOM-2025-61&source=mofcom"
                           "&_shape=array"))[0]
    db = ds.get_database("regwatch")
    page = await db.execute_fn(lambda conn: announcement_page(Database(conn), "MOFCOM-2025-61"))
    assert row["state"] == page["state"]["state"]
    same = await _json(ds, f"/regwatch/catalogue.json?state={row['state']}&_shape=array")
    assert "MOFCOM-2025-61" in _numbers(same)
    gallium = await _json(ds, "/regwatch/catalogue.json?materials__arraycontains=gallium"
                              "&_shape=array")
    assert "MOFCOM-2023-23" in _numbers(gallium) and "MOFCOM-2025-61" not in _numbers(gallium)


@pytest.mark.anyio
async def test_announcement_page_versions_items_references_timeline(ds):
    response = await ds.client.get("/announcement/MOFCOM-2025-61")
    assert response.status_code == 200
    html = response.text
    # the timeline: suspended by 2025 No. 70 from 2025-11-07
    timeline = html.split('id="timeline"')[1].split('id="references"')[0]
    assert 'class="interval interval-suspended"' in timeline
    assert '<a href="/announcement/MOFCOM-2025-70">MOFCOM-2025-70</a> suspends' in timeline
    assert "2025-11-07" in timeline
    # references both ways
    refs = html.split('id="references-in"')[1].split("</ul>")[0]
    assert "MOFCOM-2025-70" in refs and "suspends" in refs
    # versions with the day-2 diff, escaped text in a diff line
    assert "Version 2" in html
    assert '<span class="diff-add">+第一条第（一）项、第（二）项自2025年12月1日起正式实施。</span>' in html
    seventy = (await ds.client.get("/announcement/MOFCOM-2025-70")).text
    out = seventy.split('id="references-out"')[1].split("</ul>")[0]
    assert 'suspends <a href="/announcement/MOFCOM-2025-61">MOFCOM-2025-61</a>' in out


@pytest.mark.anyio
async def test_announcement_page_items_and_codes(ds):
    html = (await ds.client.get("/announcement/MOFCOM-2023-23")).text
    items = html.split('id="items"')[1].split("</section>")[0]
    assert "金属镓" in items and "8110929010" in items and "gallium" in items
    assert (await ds.client.get("/announcement/MOFCOM-1999-1")).status_code == 404
    assert (await ds.client.get("/announcement/not-a-number")).status_code == 404


def test_snippet_marks_query_words_only():
    from web.search import snippet_parts

    parts = snippet_parts("对[镓]、锗 [2025] 和 [<b>Gallium</b>]", "镓 gallium")
    assert [p["text"] for p in parts if p["hit"]] == ["镓", "<b>Gallium</b>"]
    assert {"text": "[2025]", "hit": False} in parts  # the page's own brackets stay text


def test_suspension_visible_without_timeline_tables(catalogue, tmp_path):
    """References come from the extraction when the timeline stage has not run."""
    copy = tmp_path / "no-timeline.db"
    source = sqlite3.connect(catalogue["path"])
    target = sqlite3.connect(copy)
    source.backup(target)
    source.close()
    for table in ("announcement_refs", "intervals", "items", "subjects", "announcements"):
        target.execute(f"drop table {table}")
    target.commit()
    target.close()
    page = announcement_page(Database(copy), "MOFCOM-2025-61")
    assert page is not None and not page["has_timeline"]
    assert {"source": "MOFCOM-2025-70", "relation": "suspends"}.items() <= \
        page["referenced_by"][0].items()


# -- canned queries and export ---------------------------------------------------------

@pytest.mark.anyio
async def test_canned_queries(ds):
    in_force = await _json(ds, "/regwatch/in_force_on.json?date=2025-06-01&_shape=array")
    assert {"MOFCOM-2025-18", "MOFCOM-2024-46"} <= _numbers(in_force)
    assert "MOFCOM-2025-61" not in _numbers(in_force)  # issued 2025-10-09
    later = await _json(ds, "/regwatch/in_force_on.json?date=2025-11-20&_shape=array")
    assert "MOFCOM-2025-61" not in _numbers(later)  # suspended since 2025-11-07
    hs = await _json(ds, "/regwatch/by_hs_prefix.json?prefix=8110.92&_shape=array")
    assert {r["announcement"] for r in hs} >= {"MOFCOM-2023-23"}
    assert all(any(code.startswith("811092") for code in json.loads(r["hs_codes"])) for r in hs)
    since = await _json(ds, "/regwatch/changes_since.json?since=2025-11-01&_shape=array")
    assert any(r["announcement"] == "MOFCOM-2025-61" and r["to_state"] == "suspended"
               and r["cause"] == "MOFCOM-2025-70" for r in since)


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["/regwatch/catalogue", "/regwatch/items_current",
                                  "/regwatch/state_changes", "/regwatch/changes",
                                  "/regwatch/in_force_on?date=2025-06-01&",
                                  "/regwatch/by_hs_prefix?prefix=8110&"])
async def test_csv_and_json_export_of_views_and_queries(ds, path):
    base, _, query = path.partition("?")
    csv = await ds.client.get(f"{base}.csv?{query}_size=max")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/plain")
    lines = csv.text.strip().splitlines()
    assert len(lines) >= 2, csv.text[:300]
    rows = await _json(ds, f"{base}.json?{query}_shape=array")
    assert len(rows) >= 1
    assert lines[0].split(",")[:2] == list(rows[0])[:2]


# -- feeds -----------------------------------------------------------------------------

def _parse(response: Any) -> Any:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


@pytest.mark.anyio
async def test_changes_feed_holds_day_two_changes(ds):
    feed = _parse(await ds.client.get("/-/feeds/changes.atom"))
    titles = [e.title for e in feed.entries]
    assert any(t.startswith("announcement changed: MOFCOM-2025-61") for t in titles)
    assert any(t.startswith("new announcement: MOFCOM-2026-1 ") for t in titles)
    changed = next(e for e in feed.entries if "MOFCOM-2025-61" in e.title)
    assert changed.link.endswith("/announcement/MOFCOM-2025-61")
    assert "2025-12-01" in changed.content[0].value  # the effective date added on day 2
    assert len({e.id for e in feed.entries}) == len(feed.entries)
    assert feed.entries[0].title == titles[0] and feed.feed.title == "regwatch: all changes"


@pytest.mark.anyio
async def test_material_feeds(ds):
    rare = _parse(await ds.client.get("/-/feeds/material/rare%20earths.atom"))
    assert any("MOFCOM-2025-61" in e.title for e in rare.entries)
    gallium = _parse(await ds.client.get("/-/feeds/material/gallium.atom"))
    assert gallium.entries and all("MOFCOM-2025-61" not in e.title for e in gallium.entries)
    assert any("MOFCOM-2023-23" in e.title for e in gallium.entries)
    chinese = _parse(await ds.client.get("/-/feeds/material/%E9%95%93.atom"))  # 镓
    assert [e.id for e in chinese.entries] == [e.id for e in gallium.entries]


@pytest.mark.anyio
async def test_subscription_feed_behind_token(ds, catalogue):
    token = catalogue["token"]
    feed = _parse(await ds.client.get(f"/-/feeds/subscription/{token}.atom"))
    assert feed.feed.title == "regwatch: rare-earth desk"
    titles = [e.title for e in feed.entries]
    assert any(t.startswith("announcement changed: MOFCOM-2025-61") for t in titles)
    assert not any("MOFCOM-2026-1 " in t for t in titles)  # Japan measures: no rare earths
    wrong = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert (await ds.client.get(f"/-/feeds/subscription/{wrong}.atom")).status_code == 404
    assert (await ds.client.get("/-/feeds/subscription/short.atom")).status_code == 404


@pytest.mark.anyio
async def test_canned_query_as_atom(ds):
    feed = _parse(await ds.client.get("/regwatch/catalogue_changes_since.atom?since=2000-01-01"))
    assert any("MOFCOM-2025-61" in e.title for e in feed.entries)
    bad = await ds.client.get("/regwatch/catalogue.atom")
    assert bad.status_code in (400, 404)  # no atom_* columns: not a feed


# -- security --------------------------------------------------------------------------

def _digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.mark.anyio
async def test_no_write_path(ds, catalogue):
    before = _digest(catalogue["path"])
    for path in ("/regwatch/documents", "/regwatch/documents/-/insert", "/regwatch/-/create",
                 "/regwatch/documents/1/-/delete", "/regwatch/catalogue"):
        for method in ("post", "put", "patch", "delete"):
            response = await getattr(ds.client, method)(path)
            assert response.status_code == 405, (method, path, response.status_code)
    for sql in ("delete from documents", "update documents set title = 'x'",
                "insert into documents (title) values ('x')", "drop table documents",
                "attach database ':memory:' as x", "create table x (a)"):
        response = await ds.client.get("/regwatch.json", params={"sql": sql})
        assert response.status_code in (400, 403), sql
    assert (await ds.client.get("/regwatch.db")).status_code == 403
    headers = (await ds.client.get("/announcement/MOFCOM-2025-61")).headers
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    rows = await _json(ds, "/regwatch.json?sql=select+count(*)+as+n+from+documents&_shape=array")
    assert rows[0]["n"] >= 40
    assert _digest(catalogue["path"]) == before
    assert ".execute_write(" not in "".join(
        p.read_text() for p in (Path(__file__).parent.parent / "web").glob("*.py"))


@pytest.mark.anyio
@pytest.mark.parametrize("path", [
    "/regwatch/subscriptions", "/regwatch/subscriptions.json", "/regwatch/SUBSCRIPTIONS.json",
    "/regwatch/feed_tokens.json", "/regwatch/outbox.csv",
    "/regwatch.json?sql=select+target+from+subscriptions",
    "/regwatch.json?sql=select+*+from+SubScriptions",
    "/regwatch.json?sql=select+token_sha256+from+feed_tokens",
    "/regwatch.json?sql=select+e.id,+(select+group_concat(target)+from+subscriptions)+from+events+e",
    "/regwatch/catalogue.json?_where=id+in+(select+id+from+subscriptions+where+target+like+'%25@%25')",
])
async def test_private_tables_are_not_readable(ds, path):
    response = await ds.client.get(path)
    assert response.status_code in (200, 400, 403, 404), (path, response.status_code)
    assert "team@example.com" not in response.text
    assert "rare-earth desk" not in response.text


@pytest.mark.anyio
async def test_private_tables_not_listed(ds):
    html = (await ds.client.get("/regwatch")).text
    for table in ("subscriptions", "feed_tokens", "outbox", "alert_attempts"):
        assert f'href="/regwatch/{table}"' not in html
    assert 'href="/regwatch/catalogue"' in html


def test_feed_token_is_random_and_stored_hashed(catalogue):
    token = catalogue["token"]
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    raw = b"".join(Path(catalogue["path"] + suffix).read_bytes()
                   for suffix in ("", "-wal") if Path(catalogue["path"] + suffix).exists())
    assert token.encode() not in raw
    conn = sqlite3.connect(catalogue["path"])
    stored = conn.execute("select token_sha256 from feed_tokens").fetchall()
    conn.close()
    assert (hashlib.sha256(token.encode()).hexdigest(),) in stored


@pytest.mark.anyio
async def test_crawled_markup_is_escaped(hostile):
    datasette = make_datasette(hostile["path"])
    await datasette.invoke_startup()
    pages = {
        "announcement": f"/announcement/{hostile['number']}",
        "search": "/-/search?q=%E9%95%93",
        "table": "/regwatch/catalogue",
        "versions": "/regwatch/versions",
        "changes": "/regwatch/changes",
    }
    for name, path in pages.items():
        response = await datasette.client.get(path)
        assert response.status_code == 200, (name, response.text[:300])
        assert "<script>window.__xss" not in response.text, name
        assert "<img src=x onerror" not in response.text, name
    html = (await datasette.client.get(pages["announcement"])).text
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html
    assert 'class="diff-add">+第二版：新增 &lt;script&gt;window.__xss=5&lt;/script&gt; 一行。' in html
    feed = _parse(await datasette.client.get("/-/feeds/changes.atom"))
    assert any(SCRIPT_TITLE in e.title for e in feed.entries)  # escaped in XML, intact as text
    assert b"<script>" not in (await datasette.client.get("/-/feeds/changes.atom")).content


# -- the CLI ---------------------------------------------------------------------------

def test_cli_feed_tokens(catalogue):
    from regwatch.cli_web import COMMANDS, feeds_group, serve_command

    assert serve_command in COMMANDS and feeds_group in COMMANDS
    runner = CliRunner()
    issued = runner.invoke(feeds_group, ["token", str(catalogue["subscription_id"]), "--db",
                                         catalogue["path"], "--json", "--base-url",
                                         "http://example.test"])
    assert issued.exit_code == 0, issued.output
    answer = json.loads(issued.output)
    assert answer["url"] == f"http://example.test/-/feeds/subscription/{answer['token']}.atom"
    listed = runner.invoke(feeds_group, ["list", "--db", catalogue["path"], "--json"])
    assert listed.exit_code == 0 and answer["token"] not in listed.output
    assert answer["id"] in [row["id"] for row in json.loads(listed.output)]
    revoked = runner.invoke(feeds_group, ["revoke", str(answer["id"]), "--db", catalogue["path"]])
    assert revoked.exit_code == 0, revoked.output
    from web.tokens import subscription_for

    conn = sqlite3.connect(catalogue["path"])
    assert subscription_for(conn, answer["token"]) is None
    assert subscription_for(conn, catalogue["token"])["id"] == catalogue["subscription_id"]
    conn.close()
    missing = runner.invoke(feeds_group, ["token", "9999", "--db", catalogue["path"]])
    assert missing.exit_code == 1 and "no subscription 9999" in missing.output
    nodb = runner.invoke(serve_command, ["--db", "/nonexistent/regwatch.db"])
    assert nodb.exit_code == 2 and "no catalogue" in nodb.output



@pytest.mark.anyio
async def test_private_columns_read_as_null_in_sql(ds):
    rows = await _json(ds, "/regwatch.json?sql=select+target,+name+from+subscriptions"
                           "&_shape=array")
    assert rows == [{"target": None, "name": None}]
    hashes = await _json(ds, "/regwatch.json?sql=select+token_sha256+from+feed_tokens"
                             "&_shape=array")
    assert hashes and all(r["token_sha256"] is None for r in hashes)
    for path in ("/regwatch/subscriptions", "/regwatch/subscriptions.json",
                 "/regwatch/feed_tokens.json", "/regwatch/outbox.csv"):
        assert (await ds.client.get(path)).status_code == 403, path


@pytest.mark.anyio
async def test_immutable_snapshot_serves_pages_and_private_feed(catalogue):
    frozen = make_datasette(catalogue["path"], immutable=True)
    await frozen.invoke_startup()
    assert (await frozen.client.get("/announcement/MOFCOM-2025-61")).status_code == 200
    feed = _parse(await frozen.client.get(f"/-/feeds/subscription/{catalogue['token']}.atom"))
    assert feed.entries
    listing = (await frozen.client.get("/-/feeds")).text
    assert 'href="/-/feeds/material/gallium.atom"' in listing
    assert catalogue["token"] not in listing


@pytest.mark.anyio
async def test_read_side_tables_are_not_listed(ds):
    """What status adds up at scale (lots, spans) is bookkeeping, not a table to browse."""
    tables = {t["name"]: t for t in (await _json(ds, "/regwatch.json"))["tables"]}
    for name in ("lots", "lot_terms", "lot_spans", "lot_shapes"):
        assert name in tables and tables[name]["hidden"], name
    assert not tables["announcements"]["hidden"]
