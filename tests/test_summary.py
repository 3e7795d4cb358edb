"""The writer's summary tables (timeline/summary.py) answer what a scan of the web's views
answers: facet counts, each document's state today, the state-today matrix; after a
build, after rows change under the triggers, and through the web's facet pages."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlite_utils import Database

from store.catalogue import open_db, transaction
from timeline.summary import refresh
from web.app import make_datasette

KEPT = [("catalogue", "source", False), ("catalogue", "year", False),
        ("catalogue", "issuers", True), ("catalogue", "materials", True),
        ("items_current", "measure", False), ("items_current", "materials", True)]


def live(db: Database, view: str, column: str, array: bool) -> dict[Any, int]:
    if array:
        return dict(db.execute(
            f"select value, count(*) from (select distinct x.id, j.value from {view} x, "
            f"json_each(x.{column}) j) group by value").fetchall())
    return dict(db.execute(f"select {column}, count(*) from {view} where {column} is not null "
                           f"group by {column}").fetchall())


def summarised(db: Database, view: str, column: str) -> dict[Any, int]:
    return dict(db.execute("select value, count from summary_facets where view = ? and "
                           "facet = ? and count > 0", [view, column]).fetchall())


def assert_equal_to_the_views(db: Database) -> None:
    for view, column, array in KEPT:
        expected = live(db, view, column, array)
        assert expected, (view, column)
        assert summarised(db, view, column) == expected, (view, column)
    states = dict(db.execute("select state, count(*) from catalogue where state is not null "
                             "group by state").fetchall())
    assert states and dict(db.execute(
        "select state, count(*) from summary_documents where state is not null "
        "group by state").fetchall()) == states
    today = db.execute("select date('now', '+8 hours')").fetchone()[0]
    sums = db.execute("select term, measure, dest, state, sum(delta) from material_deltas "
                      "where day <= ? group by 1, 2, 3, 4 having sum(delta) > 0 order by 1, 2, 3, 4",
                      [today]).fetchall()
    assert sums and db.execute("select term, measure, dest, state, count from summary_materials "
                               "where count > 0 order by 1, 2, 3, 4").fetchall() == sums


def test_a_build_leaves_the_summaries_equal_to_the_views(smoke_catalogue):
    db = Database(smoke_catalogue)
    assert db.execute("select count(*) from summary_dirty").fetchone()[0] == 0
    assert_equal_to_the_views(db)


def test_changed_rows_are_counted_by_the_triggers_and_the_refresh(smoke_catalogue, tmp_path):
    path = tmp_path / "changed.db"
    Database(smoke_catalogue).execute(f"vacuum into '{path}'")
    db = open_db(path)
    number, materials = db.execute(
        "select number, materials from announcements where in_catalogue = 1 "
        "and materials like '[\"%' limit 1").fetchone()
    with transaction(db):
        db.execute("update items set current = 0 where announcement = ?", [number])
        db.execute("update items set measure = 'denied' where id = (select min(id) from items "
                   "where current = 1)")
        db.execute("update announcements set materials = '[\"hafnium\"]', issue_date = "
                   "'1999-01-02' where number = ?", [number])
        db.execute("update documents set source = 'mofcom_en' where number = ?", [number])
    assert db.execute("select count(*) from summary_dirty").fetchone()[0] > 0
    for view, column, array in KEPT[4:]:  # items: the triggers alone
        assert summarised(db, view, column) == live(db, view, column, array)
    with transaction(db):
        assert refresh(db)["documents"] >= 1
    assert_equal_to_the_views(db)
    assert summarised(db, "catalogue", "materials").get("hafnium", 0) >= 1
    assert summarised(db, "catalogue", "year").get(1999) >= 1


def _facets(ds: Any, path: str) -> dict[str, dict[str, int]]:
    async def get() -> dict[str, Any]:
        return (await ds.client.get(path)).json()
    data = asyncio.run(get())
    return {name: {str(v["value"]): v["count"] for v in facet["results"]}
            for name, facet in data["facet_results"].items()}


def test_the_table_pages_facets_equal_a_scan(smoke_catalogue):
    db = Database(smoke_catalogue)
    ds = make_datasette(smoke_catalogue)
    whole = _facets(ds, "/regwatch/catalogue.json?_facet_size=max")
    for view, column, array in KEPT[:4]:
        assert whole[column] == {str(k): v for k, v in live(db, view, column, array).items()}
    assert whole["state"] == dict(db.execute(
        "select state, count(*) from catalogue where state is not null group by state"))
    items = _facets(ds, "/regwatch/items_current.json?_facet_size=max")
    assert items["materials"] == live(db, "items_current", "materials", True)
    # a searched page: counted over its own rows, each row once per value
    word = db.execute("select j.value from announcements a, json_each(a.materials) j "
                      "limit 1").fetchone()[0]
    found = _facets(ds, f"/regwatch/catalogue.json?_search={word}&_facet_size=max")

    async def rows() -> list[dict[str, Any]]:
        return (await ds.client.get(
            f"/regwatch/catalogue.json?_search={word}&_shape=array&_size=max")).json()
    expected: dict[str, int] = {}
    matched = asyncio.run(rows())
    assert 0 < len(matched) < 300
    for row in matched:
        for value in set(json.loads(row["materials"] or "[]")):
            expected[value] = expected.get(value, 0) + 1
    assert found["materials"] == expected
