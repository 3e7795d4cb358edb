"""Filtered table pages at 100k (#21 item 2): ``?state=`` on the catalogue and item tables
and ``?measure=`` on the items answer from the writer's summaries (timeline/summary.py,
timeline/summary_items.py; web/filters.py, web/facets.py) and give what the live lookup
gives: the same rows, count and facets; and still after the clock passes a summary's next
change, or after a write nobody has refreshed yet."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

import pytest
from sqlite_utils import Database

from store.catalogue import open_db, transaction
from timeline.summary import refresh
from web.app import make_datasette
from web.views import _STATE_TODAY, TODAY_SQL

LIVE_ITEM = _STATE_TODAY.format(subject="it.subject_id")
LIVE_DOCUMENT = ("case when d.number is not null then coalesce(" + _STATE_TODAY.format(
    subject="(select s.id from subjects s where s.key = d.number and s.kind = 'announcement')")
    + ", 'unknown') end")


def live_items(db: Database) -> dict[int, dict[str, Any]]:
    """Every current item with its state today, looked up in the intervals (no summary)."""
    return {r[0]: {"state": r[1], "measure": r[2], "materials": r[3]} for r in db.execute(
        f"select it.id, {LIVE_ITEM}, it.measure, it.materials from items it "
        "where it.current = 1").fetchall()}


def live_documents(db: Database) -> dict[int, str | None]:
    return dict(db.execute(f"select d.id, {LIVE_DOCUMENT} from documents d").fetchall())


def _get(ds: Any, path: str) -> Any:
    async def get() -> Any:
        return await ds.client.get(path)
    return asyncio.run(get())


def page(ds: Any, path: str) -> tuple[list[int], int, dict[str, dict[str, int]], str]:
    """A table page's ids (all of them), its count, its facets and the SQL it ran."""
    sep = "&" if "?" in path else "?"
    data = _get(ds, f"{path}{sep}_size=max&_facet_size=max").json()
    # (Datasette's trace breaks on a long response: traced apart, one row)
    traced = _get(ds, f"{path}{sep}_size=1&_facet_size=max&_trace=1").json()
    ids, rows, nxt = [], data["rows"], data.get("next")
    ids += [r["id"] if isinstance(r, dict) else r[0] for r in rows]
    while nxt:
        more = _get(ds, f"{path}{sep}_size=max&_nofacet=1&_next={nxt}").json()
        ids += [r["id"] if isinstance(r, dict) else r[0] for r in more["rows"]]
        nxt = more.get("next")
    facets = {name: {str(v["value"]): v["count"] for v in f["results"]}
              for name, f in data["facet_results"].items()}
    sql = " ".join(t["sql"] for t in traced["_trace"]["traces"])
    return sorted(ids), data["filtered_table_rows_count"], facets, sql


def item_facets(rows: list[dict[str, Any]], names: tuple[str, ...]) -> dict[str, dict[str, int]]:
    out: dict[str, Counter] = {name: Counter() for name in names}
    for row in rows:
        for name in names:
            if name == "materials":
                out[name].update(str(v) for v in set(json.loads(row[name] or "[]")))
            elif row[name] is not None:
                out[name][str(row[name])] += 1
    return {name: dict(c) for name, c in out.items() if c}


@pytest.fixture()
def catalogue(smoke_catalogue: str, tmp_path: Any) -> str:
    path = str(tmp_path / "filters.db")
    Database(smoke_catalogue).execute(f"vacuum into '{path}'")
    return path


def _datasette(path: str) -> Any:
    return make_datasette(path, settings={"trace_debug": True})


def assert_item_pages_are_live(path: str, served: bool) -> None:
    """Every state (alone and two at once) and measure page of the item table equals the
    live answer; ``served``: the filters and facets came from the summary."""
    db = Database(path)
    items = live_items(db)
    ds = _datasette(path)
    states = Counter(v["state"] for v in items.values() if v["state"])
    measures = Counter(v["measure"] for v in items.values() if v["measure"])
    assert len(states) >= 2 and measures
    rare = sorted(states, key=lambda s: states[s])
    asks = [(f"state={s}", {s}, None) for s in states]
    asks.append((f"state__in={rare[0]},{rare[1]}", {rare[0], rare[1]}, None))
    asks.append((f"state__in={rare[-1]},{rare[0]}", {rare[-1], rare[0]}, None))  # most items
    asks.append((f"state__exact={rare[0]}", {rare[0]}, None))
    asks += [(f"measure={m}", None, m) for m in measures]
    asks.append((f"state={rare[0]}&measure={measures.most_common(1)[0][0]}", {rare[0]},
                 measures.most_common(1)[0][0]))
    for query, want_states, measure in asks:
        expected = {i: v for i, v in items.items()
                    if (want_states is None or v["state"] in want_states)
                    and (measure is None or v["measure"] == measure)}
        ids, count, facets, sql = page(ds, f"/regwatch/items_current.json?{query}"
                                           "&_facet=state")
        assert ids == sorted(expected) and count == len(expected), query
        assert facets == item_facets(list(expected.values()),
                                     ("materials", "measure", "state")), query
        if served and want_states and sum(states[s] for s in want_states) * 4 <= len(items):
            assert "from summary_items s where s.state in" in sql, query  # candidates
        if served:  # facets added up from the groups, not counted over the rows
            assert "summary_item_groups" in sql and "json_each(x.materials)" not in sql, query
        # the count: from the summary's groups while they hold, else Datasette's own
        assert ("select count(*) from items_current" in sql) is not served, query
        assert "select coalesce(sum(count), 0) from summary_item_groups" in sql, query


def assert_catalogue_pages_are_live(path: str, served: bool) -> None:
    db = Database(path)
    states = live_documents(db)
    ds = _datasette(path)
    present = Counter(s for s in states.values() if s)
    assert len(present) >= 2
    for state in present:
        ids, count, facets, sql = page(ds, f"/regwatch/catalogue.json?state={state}")
        expected = sorted(i for i, s in states.items() if s == state)
        assert ids == expected and count == len(expected), state
        assert facets["state"] == {state: len(expected)}
        rows = db.execute(f"select id, source, year, issuers, materials from catalogue "
                          f"where id in ({','.join(map(str, expected))})").fetchall()
        assert facets["source"] == dict(Counter(r[1] for r in rows))
        assert facets["materials"] == dict(Counter(
            str(v) for r in rows for v in set(json.loads(r[4] or "[]"))))
        if served:  # candidates from the state index, facets from the summary's groups
            assert "from summary_documents s where s.state in" in sql, state
            assert "group by d.state, d.source" in sql, state
        # the count: from summary_documents while every row holds, else Datasette's own
        assert ("select count(*) from catalogue" in sql) is not served, state
        assert "select count(*) from summary_documents where" in sql, state


def test_filtered_pages_served_from_the_summary_equal_the_live_answer(catalogue):
    db = Database(catalogue)
    assert db.execute(f"select count(*) from summary_items where state_next <= {TODAY_SQL} "
                      "or state_as_of is null").fetchone()[0] == 0
    summarised = dict(db.execute("select id, state from summary_items").fetchall())
    assert summarised == {i: v["state"] for i, v in live_items(db).items()}
    groups = Counter()
    for v in live_items(db).values():
        groups[(v["state"], v["measure"], v["materials"])] += 1
    assert dict(groups) == {(s, m, t): n for s, m, t, n in db.execute(
        "select state, measure, materials, count from summary_item_groups").fetchall()}
    assert_item_pages_are_live(catalogue, served=True)
    assert_catalogue_pages_are_live(catalogue, served=True)


def test_the_view_reads_a_holding_summary_and_the_live_state_once_it_lapses(catalogue):
    """A summary row that holds is what the page shows (the fast path is taken); once
    its next change has come it is not used."""
    db = open_db(catalogue)
    item = db.execute("select id from summary_items where state is not null limit 1"
                      ).fetchone()[0]
    real = live_items(db)[item]["state"]
    db.execute("update summary_items set state = 'planted' where id = ?", [item])
    # the groups moved with it, as refresh moves them (the page's count adds them up)
    _, measure, materials = db.execute("select state, measure, materials from summary_items "
                                       "where id = ?", [item]).fetchone()
    db.execute("update summary_item_groups set count = count - 1 where state = ? and "
               "measure is ? and materials is ?", [real, measure, materials])
    db.execute("insert into summary_item_groups (state, measure, materials, count) "
               "values ('planted', ?, ?, 1)", [measure, materials])
    ds = _datasette(catalogue)
    ids, count, _, _ = page(ds, "/regwatch/items_current.json?state=planted")
    assert ids == [item] and count == 1
    db.execute(f"update summary_items set state_next = {TODAY_SQL} where id = ?", [item])
    ids, count, _, _ = page(ds, "/regwatch/items_current.json?state=planted")
    assert ids == [] and count == 0
    assert item in page(ds, f"/regwatch/items_current.json?state={real}")[0]


def test_pages_stay_right_after_the_clock_passes_the_summaries_next_change(catalogue):
    """Summarised as of a past day, many rows' next change has come by today: the
    pages take the live answer for those (and the facets are counted, not added up)."""
    db = open_db(catalogue)
    starts = sorted(r[0] for r in db.execute(
        "select start from intervals where retired_in is null").fetchall())
    past = starts[len(starts) // 3]
    with transaction(db):
        db.execute("update summary_items set state_next = ''")
        db.execute("insert or ignore into summary_dirty (kind, key) select 'doc', id "
                   "from documents")
        refresh(db, day=past)
    assert db.execute(f"select count(*) from summary_items where state_next <= {TODAY_SQL}"
                      ).fetchone()[0] > 0
    assert db.execute(f"select count(*) from summary_documents where state_next <= "
                      f"{TODAY_SQL}").fetchone()[0] > 0
    assert_item_pages_are_live(catalogue, served=False)
    assert_catalogue_pages_are_live(catalogue, served=False)
    with transaction(db):
        refresh(db)  # today again: served from the summary, same answers
    assert_item_pages_are_live(catalogue, served=True)
    assert_catalogue_pages_are_live(catalogue, served=True)


def test_pages_stay_right_after_a_write_nobody_refreshed(catalogue):
    """New intervals (an item and an announcement suspended from yesterday) and a changed
    measure, written without a refresh: the triggers mark the rows and the pages give
    the live answer; a refresh brings the summary back."""
    db = open_db(catalogue)
    yesterday = db.execute(f"select date({TODAY_SQL}, '-1 day')").fetchone()[0]
    item, subject, kind = db.execute(
        "select it.id, it.subject_id, j.kind from items it join summary_items s on "
        "s.id = it.id join subjects j on j.id = it.subject_id where it.current = 1 and "
        "s.state = 'in_force' limit 1").fetchone()
    number, ann_subject = db.execute(
        "select d.number, s.id from documents d join subjects s on s.key = d.number "
        "and s.kind = 'announcement' join summary_documents m on m.id = d.id "
        "where m.state = 'in_force' limit 1").fetchone()
    other = db.execute("select id from items where current = 1 and id != ? and measure is "
                       "not null limit 1", [item]).fetchone()[0]
    with transaction(db):
        for sid, sort in ((subject, kind), (ann_subject, "announcement")):
            db.execute("insert into intervals (subject_id, subject_kind, state, start, "
                       "prev_state, cause) values (?, ?, 'suspended', ?, 'in_force', 'test')",
                       [sid, sort, yesterday])
        db.execute("update items set measure = 'denied' where id = ?", [other])
    assert live_items(db)[item]["state"] == "suspended"
    assert_item_pages_are_live(catalogue, served=False)
    assert_catalogue_pages_are_live(catalogue, served=False)
    ds = _datasette(catalogue)
    assert item in page(ds, "/regwatch/items_current.json?state=suspended")[0]
    assert other in page(ds, "/regwatch/items_current.json?measure=denied")[0]
    with transaction(db):
        assert refresh(db)["items"] >= 2
    assert_item_pages_are_live(catalogue, served=True)
    assert_catalogue_pages_are_live(catalogue, served=True)


def _html_count(ds: Any, path: str) -> int | None:
    """The count a table page's HTML shows ("1,234 rows where …"), None when none."""
    import re

    found = re.search(r"<h3>([\d,]+) rows?", _get(ds, path).text)
    return int(found.group(1).replace(",", "")) if found else None


def test_a_state_page_shows_the_summary_count_while_it_holds_and_counts_once_it_lapses(
        catalogue):
    """The count of the commonest state's page (HTML and JSON) is the summary's: planted
    groups show through; once a row lapses, or the page has another filter, Datasette
    counts the rows again (the live count)."""
    db = open_db(catalogue)
    states = Counter(v["state"] for v in live_items(db).values() if v["state"])
    common = states.most_common(1)[0][0]
    path = f"/regwatch/items_current?state={common}"
    ds = _datasette(catalogue)
    assert _html_count(ds, path) == states[common]
    assert _get(ds, path.replace("?", ".json?")).json()["filtered_table_rows_count"] \
        == states[common]
    db.execute("update summary_item_groups set count = count + 1000 where state = ?", [common])
    planted = states[common] + 1000 * db.execute(
        "select count(*) from summary_item_groups where state = ?", [common]).fetchone()[0]
    assert _html_count(ds, path) == planted
    assert _get(ds, path.replace("?", ".json?")).json()["filtered_table_rows_count"] == planted
    # another filter beside the state: the summary cannot tell, Datasette counts
    number = db.execute("select announcement from items where current = 1 group by 1 "
                        "order by count(*) desc limit 1").fetchone()[0]
    want = sum(1 for i, v in live_items(db).items() if v["state"] == common and db.execute(
        "select announcement from items where id = ?", [i]).fetchone()[0] == number)
    traced = _get(ds, f"/regwatch/items_current.json?state={common}&announcement={number}"
                      "&_size=1&_trace=1").json()
    assert traced["filtered_table_rows_count"] == want
    assert any(t["sql"].startswith("select count(*) from items_current")
               for t in traced["_trace"]["traces"])
    # one row past its next change: the summary does not hold, the rows are counted
    db.execute(f"update summary_items set state_next = {TODAY_SQL} where id = "
               "(select min(id) from summary_items)")
    assert _html_count(ds, path) == states[common]
    assert _get(ds, path.replace("?", ".json?")).json()["filtered_table_rows_count"] \
        == states[common]
