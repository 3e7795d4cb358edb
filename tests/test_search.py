"""Full-text search: one- and two-character Chinese terms, English terms, snippets."""

from __future__ import annotations

import sqlite3

import pytest
from conftest import add

from store import catalogue
from timeline.build import update_timeline
from timeline.search import fold, fts_query, index_text, search, snippet

DOCS = {
    "MOFCOM-2023-23": ("关于对镓、锗相关物项实施出口管制的公告",
                       "决定对镓、锗相关物项实施出口管制。金属镓（单质）8110929010",
                       ["gallium", "germanium"]),
    "MOFCOM-2025-18": ("公布对部分中重稀土相关物项实施出口管制的决定",
                       "决定对钐、钆、铽、镝、镥、钪、钇相关物项实施出口管制。1C902.a 钐金属",
                       ["samarium", "dysprosium"]),
    "MOFCOM-2025-62": ("公布对稀土相关技术实施出口管制的决定",
                       "稀土开采、冶炼分离、金属冶炼、磁材制造相关技术", ["rare earths"]),
    "MOFCOM-2025-13": ("关于将15家美国实体列入出口管制管控名单的公告",
                       "禁止出口经营者向上述实体出口两用物项。土地、稀有", []),
}


@pytest.fixture
def db(tmp_path):
    database = catalogue.open_db(tmp_path / "s.db")
    for number, (title, body, materials) in DOCS.items():
        add(database, number, title + "\n" + body,
            {"title": title, "issue_date": "2025-01-01", "materials": materials, "items": [],
             "references": []})
    update_timeline(database)
    return database


def numbers(result: dict) -> list[str]:
    return [hit["number"] for hit in result["results"]]


def test_plain_fts5_tokenizers_miss_short_chinese_terms():
    """Why the index spaces out Han characters: unicode61 and trigram both miss 镓."""
    conn = sqlite3.connect(":memory:")
    conn.execute("create virtual table a using fts5(t)")
    conn.execute("create virtual table b using fts5(t, tokenize='trigram')")
    for table in ("a", "b"):
        conn.execute(f"insert into {table} values ('决定对镓、锗相关物项实施出口管制')")
    assert conn.execute("select count(*) from a where a match '镓'").fetchone()[0] == 0
    assert conn.execute("select count(*) from b where b match '镓'").fetchone()[0] == 0


def test_query_and_index_forms():
    assert fts_query("稀土") == '"稀 土"'
    assert fts_query("稀土 gallium") == '"稀 土" AND "gallium"'
    assert fts_query('1C902.a OR "x') == '"1c902 a" AND "or" AND "x"'
    assert fts_query("  ") == ""
    assert index_text("对镓、锗 Gallium").split() == ["对", "镓", "、", "锗", "gallium"]
    assert fold("鎵稀土ＡＢ") == "镓稀土ab"


def test_one_and_two_character_terms(db):
    assert numbers(search(db, "镓")) == ["MOFCOM-2023-23"]
    assert numbers(search(db, "稀土")) == ["MOFCOM-2025-62", "MOFCOM-2025-18"]
    # 稀 and 土 both occur in No. 13, but not next to each other
    assert "MOFCOM-2025-13" not in numbers(search(db, "稀土"))
    assert numbers(search(db, "鎵")) == ["MOFCOM-2023-23"]  # Traditional folded to Simplified


def test_english_and_codes(db):
    assert numbers(search(db, "gallium")) == ["MOFCOM-2023-23"]
    assert numbers(search(db, "Rare Earths")) == ["MOFCOM-2025-62"]
    assert numbers(search(db, "1C902.a")) == ["MOFCOM-2025-18"]
    assert numbers(search(db, "8110929010")) == ["MOFCOM-2023-23"]
    assert search(db, "tungsten")["total"] == 0


def test_snippets_come_from_the_original_text(db):
    hit = search(db, "镝")["results"][0]
    assert "[镝]" in hit["snippet"] and "钐、钆、铽、[镝]、镥" in hit["snippet"]
    assert snippet("ＡＢ鎵x", ["镓"]) == "ＡＢ[鎵]x"


def test_reindex_on_new_version(db):
    add(db, "MOFCOM-2025-13", "关于将15家美国实体列入出口管制管控名单的公告\n镓", {
        "title": "关于将15家美国实体列入出口管制管控名单的公告", "issue_date": "2025-01-01",
        "items": [], "references": []})
    summary = update_timeline(db)
    assert (summary["search"]["indexed"], summary["search"]["reindexed"]) == (0, 1)
    assert sorted(numbers(search(db, "镓"))) == ["MOFCOM-2023-23", "MOFCOM-2025-13"]
    assert "MOFCOM-2025-13" not in numbers(search(db, "土地"))  # old text left the index
