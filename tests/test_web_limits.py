"""Issue #14 finding 6 (web): arbitrary SQL is bounded in memory and time and sees neither
the file's path nor other visitors' SQL."""

from __future__ import annotations

import time

import pytest

import regwatch  # noqa: F401 - registers every package's tables
from store import catalogue
from web.app import make_datasette

QUERIES = {
    "huge printf": "select length(printf('%.*c', 200000000, 'x'))",
    "zeroblob": "select length(zeroblob(500000000))",
    "randomblob": "select length(randomblob(300000000))",
    "recursive CTE": "with recursive c(x) as (select 1 union all select x + 1 from c) "
                     "select count(*) from c",
    "other visitors' SQL": "select sql from sqlite_stmt",
    "file path": "select file from pragma_database_list",
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def ds(tmp_path):
    path = tmp_path / "regwatch.db"
    catalogue.open_db(path).close()
    return make_datasette(path)


@pytest.mark.anyio
@pytest.mark.parametrize("name", list(QUERIES))
async def test_hostile_sql_is_refused_fast_and_small(ds, name):
    started = time.monotonic()
    response = await ds.client.get("/regwatch.json", params={"sql": QUERIES[name]})
    elapsed = time.monotonic() - started
    assert elapsed < 3, (name, elapsed)
    if "printf" in name:  # SQLite's printf gives NULL past the length cap: never built
        assert response.status_code >= 400 or response.json()["rows"] == [[None]], response.text
        return
    assert response.status_code >= 400, (name, response.text[:300])
    if "blob" in name:  # refused by the length cap, never built
        assert "too big" in response.text, response.text[:300]


@pytest.mark.anyio
async def test_no_file_path_and_plain_sql_still_works(ds, tmp_path):
    for path in ("/-/databases.json", "/-/databases"):
        response = await ds.client.get(path)
        assert response.status_code == 404 and str(tmp_path) not in response.text
    response = await ds.client.get("/regwatch.json", params={"sql": "select 1 + 1 as two",
                                                             "_shape": "array"})
    assert response.status_code == 200 and response.json() == [{"two": 2}]
