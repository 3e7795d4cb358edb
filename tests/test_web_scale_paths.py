"""The web's fast paths at 100k (#21 item 2) answer what the slow ones answered, on the
small synthetic catalogue: a material's "coming up" (an indexed test per interval of the
window instead of a list built from every item), and a searched or filtered catalogue
page's facets (counted in the writer's ``summary_documents`` instead of through the view),
which a count of the page's own rows must equal; a facet past its time limit is named on
the page."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

import pytest
from sqlite_utils import Database

from web.app import make_datasette
from web.home import coming_up

FACETS = ("issuers", "materials", "year", "state", "source")


def _naming(db: Database, materials: set[str]) -> set[str]:
    """Announcements with an item (any version) naming one of ``materials``: read row by
    row, the slow way."""
    out = set()
    for number, found in db.execute("select announcement, materials from items").fetchall():
        if number and found and materials & set(json.loads(found)):
            out.add(number)
    return out


def test_a_materials_coming_up_is_the_whole_coming_up_of_its_announcements(smoke_catalogue):
    db = Database(smoke_catalogue)
    starts = [r[0] for r in db.execute(
        "select start from intervals where retired_in is null and subject_kind in "
        "('announcement', 'provision') order by start").fetchall()]
    today = starts[len(starts) // 2]
    everything = coming_up(db, today, 365)
    assert everything
    checked = 0
    for materials in (["gallium"], ["rare earths", "neodymium", "dysprosium"], ["antimony"],
                      ["graphite", "lithium"], ["no such material"]):
        numbers = _naming(db, set(materials))
        expected = [m for m in everything if m["announcement"] in numbers]
        assert coming_up(db, today, 365, materials=materials) == expected, materials
        checked += 0 < len(expected) < len(everything)
    assert checked >= 2  # the filter kept some and left some out


def _page(ds: Any, path: str) -> dict[str, Any]:
    async def get() -> dict[str, Any]:
        return (await ds.client.get(path)).json()
    return asyncio.run(get())


def _html(ds: Any, path: str) -> str:
    async def get() -> str:
        return (await ds.client.get(path)).text
    return asyncio.run(get())


def _counted(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Each facet counted over the page's rows: each row once per value."""
    out: dict[str, Counter] = {name: Counter() for name in FACETS}
    for row in rows:
        for name in ("issuers", "materials"):
            out[name].update(str(v) for v in set(json.loads(row[name] or "[]")))
        for name in ("year", "state", "source"):
            if row[name] is not None:
                out[name][str(row[name])] += 1
    return {name: dict(c) for name, c in out.items()}


def _facets(data: dict[str, Any]) -> dict[str, dict[str, int]]:
    return {name: {str(v["value"]): v["count"] for v in facet["results"]}
            for name, facet in data["facet_results"].items()}


@pytest.mark.parametrize("query", ["gallium", "rare earths", "镓", "gallium&state=in_force",
                                   "MOFCOM&source=gacc"])
def test_searched_and_filtered_facets_equal_a_count_of_the_rows(smoke_catalogue, query):
    ds = make_datasette(smoke_catalogue, settings={"trace_debug": True})
    base = f"/regwatch/catalogue.json?_search={query}"
    data = _page(ds, base + "&_facet_size=max&_trace=1")
    rows = _page(ds, base + "&_shape=array&_size=max")
    assert 0 < len(rows) < 1000 and set(data["facet_results"]) == set(FACETS)
    assert _facets(data) == _counted(rows)
    # counted in the summary (the fast path), in one pass the five facets share
    sqls = [t.get("sql") or "" for t in data["_trace"]["traces"]]
    assert sum("from summary_documents d where d.id in (select" in s for s in sqls) == 1, sqls
    assert not any("json_each(x." in s or "select state as value" in s for s in sqls)


def test_facets_of_a_stale_summary_are_counted_through_the_view(smoke_catalogue, tmp_path):
    path = tmp_path / "stale.db"
    Database(smoke_catalogue).execute(f"vacuum into '{path}'")
    Database(path).execute("insert into summary_dirty (kind, key) select 'doc', min(id) "
                           "from documents")
    ds = make_datasette(path, settings={"trace_debug": True})
    base = "/regwatch/catalogue.json?_search=gallium"
    data = _page(ds, base + "&_facet_size=max&_trace=1")
    assert _facets(data) == _counted(_page(ds, base + "&_shape=array&_size=max"))
    sqls = [t.get("sql") or "" for t in data["_trace"]["traces"]]
    assert not any("from summary_documents d" in s for s in sqls)


def test_a_facet_past_its_time_limit_is_named_on_the_page(smoke_catalogue):
    ds = make_datasette(smoke_catalogue, settings={"facet_time_limit_ms": 0.001})
    html = _html(ds, "/regwatch/catalogue?_search=gallium")
    note = html.split('class="facets-timed-out"', 1)[1].split("</p>", 1)[0]
    assert all(name in note for name in FACETS), note
