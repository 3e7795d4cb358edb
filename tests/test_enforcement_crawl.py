"""Crawl the mirror's penalty lists for real, read the stored pages into cases, and get the
report's figures from `regwatch enforcement stats` (issue #19's first acceptance point)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from crawler.run import crawl
from crawler.sources import load_sources
from enforcement.store import current_cases, extract_cases
from regwatch.cli import cli
from store import catalogue

PENALTY_SOURCES = [sid for sid, s in load_sources().items() if s.get("kind") == "penalties"]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    from mirror.server import start_in_thread
    from mirror.site import Mirror

    server = start_in_thread(Mirror(day=1))
    path = str(tmp_path_factory.mktemp("enforcement") / "catalogue.db")
    try:
        runs = crawl(PENALTY_SOURCES, path, mirror=server.url)
    finally:
        server.shutdown()
        server.server_close()
    return {"path": path, "runs": runs}


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_sources_are_declared_and_not_default():
    assert len(PENALTY_SOURCES) == 8
    assert all(load_sources()[s].get("default") is False for s in PENALTY_SOURCES)


def test_crawl_stores_pages_and_pdfs_then_cases(crawled):
    runs = crawled["runs"]
    assert {r["source"] for r in runs} == set(PENALTY_SOURCES)
    assert sum(r["errors"] for r in runs) == 0
    assert sum(r["new_documents"] for r in runs) == 190
    db = catalogue.open_db(crawled["path"])
    assert db.execute("select count(*) from attachments where kind = 'pdf' and status = 'ok'"
                      ).fetchone()[0] >= 30
    first = extract_cases(db, PENALTY_SOURCES)
    assert first == {"read": 190, "cases": 190}
    assert extract_cases(db, PENALTY_SOURCES) == {"read": 0, "cases": 0}  # versioned, once
    cases = current_cases(db)
    assert {c["source"] for c in cases} == {"page", "attachment 1"}
    assert all(c["url"].startswith("http://") and ".customs.gov.cn/" in c["url"] for c in cases)


def test_stats_command_reproduces_the_report(crawled):
    out = json.loads(run("enforcement", "stats", "--period", "2025H1", "--compare", "2024H1",
                         "--json", "--db", crawled["path"]))
    now, before = out["period"], out["compare"]
    assert (now["count"], before["count"]) == (79, 46)
    assert round(100 * out["growth"], 1) == 71.7
    assert {k: v["count"] for k, v in now["category"].items()} == {
        "dual_use": 52, "military": 22, "other": 5}
    assert [round(100 * now["category"][k]["share"], 1) for k in ("dual_use", "military", "other")
            ] == [65.8, 27.8, 6.3]
    shares = out["material_combined"]["shares"]
    assert [round(100 * shares[m]["share"]) for m in ("graphite", "key_minerals", "magnets")
            ] == [29, 7, 6]
    assert round(before["mitigated_share"], 1) == 0.9
    assert round(100 * now["fine_ratio"]["mean"]) == 106
    assert round(100 * before["fine_ratio"]["mean"]) == 25
    quarters = now["fine_ratio_by_quarter"]
    assert [round(100 * quarters[q]["mean"]) for q in ("2025Q1", "2025Q2")] == [44, 178]


def test_stats_table_and_grouping(crawled):
    out = run("enforcement", "stats", "--period", "2025H1", "--compare", "2024H1",
              "--by", "region", "--db", crawled["path"])
    assert "growth 2024H1 → 2025H1: +71.7%" in out
    assert "graphite 29% (36)" in out and "key_minerals 7% (9)" in out and "magnets 6% (7)" in out
    assert "上海海关" in out


def test_cases_case_and_similar(crawled):
    db = crawled["path"]
    graphite = json.loads(run("enforcement", "cases", "--period", "2025H1", "--material",
                              "graphite", "--json", "--db", db))
    assert len(graphite) == 23
    one = json.loads(run("enforcement", "case", "甬梅关缉违字〔2025〕307号", "--json", "--db", db))
    assert one["goods"]["control_code"] == "1C905.a.4"
    assert one["values"]["controlled_value"] == 3348.25
    assert "1C905.a.4" in run("enforcement", "case", str(one["id"]), "--db", db)
    near = json.loads(run("enforcement", "similar", "--hs", "8505111000", "--json", "--db", db))
    assert near and all(c["match"]["hs_digits"] >= 4 for c in near)
    assert near[0]["match"]["hs_digits"] == 10
    result = CliRunner().invoke(cli, ["enforcement", "case", "nosuch", "--db", db])
    assert result.exit_code == 1 and "no case" in result.output
