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
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from mirror.site import load_entries, state_on
from store import catalogue

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def _post(url: str, fields: list[tuple[str, str]]) -> dict:
    with urllib.request.urlopen(url, data=urllib.parse.urlencode(fields).encode(),
                                timeout=10) as response:
        return json.loads(response.read())


def _node(home: Path) -> tuple[str, subprocess.Popen]:
    port = _free_port()
    home.mkdir()
    (home / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\n"
        f"eggs_dir = {home}/eggs\nlogs_dir = {home}/logs\ndbs_dir = {home}/dbs\n"
        "items_dir =\nmax_proc = 1\npoll_interval = 0.5\n")
    proc = subprocess.Popen([str(BIN / "scrapyd")], cwd=home, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            _get(f"{url}/daemonstatus.json")
            return url, proc
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.3)


@pytest.fixture
def nodes(tmp_path):
    if not (BIN / "scrapyd").exists():
        pytest.skip("scrapyd is not installed (make test installs it)")
    started = [_node(tmp_path / "node-a"), _node(tmp_path / "node-b")]
    yield [url for url, _ in started]
    for _, proc in started:
        proc.terminate()
        proc.wait(timeout=10)


def _deploy(url: str, tmp_path: Path, name: str) -> None:
    project = tmp_path / f"project-{name}"
    project.mkdir()
    for package in sorted(p.parent.name for p in ROOT.glob("*/__init__.py")
                          if p.parent.name not in ("tests", "bench")):
        shutil.copytree(ROOT / package, project / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    for file in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / file, project / file)
    cfg = (ROOT / "scrapy.cfg").read_text().replace("http://127.0.0.1:6800/", url + "/")
    (project / "scrapy.cfg").write_text(cfg)
    done = subprocess.run([str(BIN / "scrapyd-deploy"), "local", "-p", "regwatch"],
                          cwd=project, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def _crawl(url: str, spider: str, mirror: str, spool: Path) -> None:
    feeds = {f"file://{spool}/%(name)s-%(time)s.jsonl": {"format": "jsonlines"}}
    job = _post(f"{url}/schedule.json", [
        ("project", "regwatch"), ("spider", spider), ("mirror", mirror),
        ("setting", 'ITEM_PIPELINES={"crawler.spool.SpoolPipeline": 300}'),
        ("setting", f"REGWATCH_SNAPSHOT={spool}/snapshot.json"),
        ("setting", f"FEEDS={json.dumps(feeds)}"),
        ("setting", "AUTOTHROTTLE_ENABLED=False"), ("setting", "DOWNLOAD_DELAY=0"),
    ])
    assert job["status"] == "ok", job
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        jobs = _get(f"{url}/listjobs.json?project=regwatch")
        if any(j["id"] == job["jobid"] for j in jobs["finished"]):
            return
        time.sleep(0.5)
    pytest.fail(f"the {spider} job on {url} did not finish")


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
