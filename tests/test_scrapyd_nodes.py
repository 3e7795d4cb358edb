"""Two Scrapyd nodes, one writer (docs/scrapyd.md): the nodes never open the catalogue.

Each node is a real Scrapyd with its own working directory and port on 127.0.0.1 (two
machines, as far as the catalogue can tell). Node A crawls gacc, node B mofcom, from the
mirror; both deliver through Scrapy's feed exports into one spool. ``regwatch ingest`` is
run twice: the second run adds nothing. A second crawl then reads the snapshot the writer
published and asks conditionally for what it knows.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from conftest import BIN, scrapyd_deploy, scrapyd_run

from mirror.site import load_entries, state_on
from store import catalogue

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def nodes(scrapyd):
    return [scrapyd("node-a"), scrapyd("node-b")]


def _deploy(url: str, tmp_path: Path, name: str) -> None:
    project = tmp_path / f"project-{name}"
    project.mkdir()
    for package in sorted(p.parent.name for p in ROOT.glob("*/__init__.py")
                          if p.parent.name not in ("tests", "bench")):
        shutil.copytree(ROOT / package, project / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    for file in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / file, project / file)
    scrapyd_deploy(url, project)


def _crawl(url: str, spider: str, mirror: str, spool: Path) -> None:
    feeds = {f"file://{spool}/%(name)s-%(time)s.jsonl": {"format": "jsonlines"}}
    scrapyd_run(url, [
        ("spider", spider), ("mirror", mirror),
        ("setting", 'ITEM_PIPELINES={"crawler.spool.SpoolPipeline": 300}'),
        ("setting", f"REGWATCH_SNAPSHOT={spool}/snapshot.json"),
        ("setting", f"FEEDS={json.dumps(feeds)}"),
        ("setting", "AUTOTHROTTLE_ENABLED=False"), ("setting", "DOWNLOAD_DELAY=0"),
    ], 120, f"the {spider} job on {url}")


def _ingest(db_path: str, spool: Path) -> dict:
    done = subprocess.run([str(BIN / "regwatch"), "ingest", str(spool), "--db", db_path,
                           "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _rows(db_path: str) -> tuple:
    db = catalogue.open_db(db_path)
    try:
        return tuple(db.execute(f"select count(*) from {t}").fetchone()[0]
                     for t in ("documents", "versions", "crawl_runs", "source_errors"))
    finally:
        db.close()


def test_two_nodes_feed_one_writer(nodes, make_mirror, tmp_path):
    spool = tmp_path / "spool"
    spool.mkdir()
    db_path = str(tmp_path / "writer" / "regwatch.db")
    Path(db_path).parent.mkdir()
    node_a, node_b = nodes
    _deploy(node_a, tmp_path, "a")
    _deploy(node_b, tmp_path, "b")
    server = make_mirror(day=1)
    _ingest(db_path, spool)  # an empty catalogue publishes an empty snapshot
    _crawl(node_a, "gacc", server.url, spool)
    _crawl(node_b, "mofcom", server.url, spool)
    for path in tmp_path.glob("node-*/**/*.db"):  # Scrapyd's own queues, never a catalogue
        with sqlite3.connect(path) as conn:
            tables = {r[0] for r in conn.execute("select name from sqlite_master")}
        assert "documents" not in tables, path

    first = _ingest(db_path, spool)
    assert first["feeds_ingested"] == 2
    db = catalogue.open_db(db_path)
    entries = state_on(load_entries(), 1)
    for source in ("gacc", "mofcom"):
        expected = len([e for e in entries if e["site"] == source])
        got = db.execute("select count(*) from documents where source = ?", [source]).fetchone()[0]
        assert got == expected, source
    assert sorted(r[0] for r in db.execute("select source from crawl_runs")) == ["gacc", "mofcom"]
    db.close()
    rows = _rows(db_path)

    again = _ingest(db_path, spool)
    assert again["feeds_ingested"] == 0 and again["feeds_already_ingested"] == 2
    assert _rows(db_path) == rows  # nothing added

    snapshot = json.loads((spool / "snapshot.json").read_text())
    assert len(snapshot["sources"]["gacc"]["known"]) == rows[0] - len(
        snapshot["sources"]["mofcom"]["known"])

    # a second crawl of gacc reads the snapshot: it asks conditionally, stores no duplicate
    server.stats.clear()
    _crawl(node_a, "gacc", server.url, spool)
    third = _ingest(db_path, spool)
    assert third["feeds_ingested"] == 1
    run = third["runs"][0]
    assert run["new_documents"] == 0 and run["new_versions"] == 0
    assert _rows(db_path)[:2] == rows[:2]
