"""Issue #14 finding 5: no silent gaps after a crawl that stopped short.

A first crawl is killed with SIGKILL at a random point; the next normal crawl must page
on past the entries the killed one stored and fetch every announcement. A crawl capped
by its source's ``max_new_documents_per_run`` leaves the same resume point.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

from crawler.run import crawl
from mirror.server import start_in_thread
from mirror.site import Mirror, detail_path
from store import backfill, catalogue
from store.health import source_health

REAL = {"gacc": "http://www.customs.gov.cn", "mofcom": "https://www.mofcom.gov.cn",
        "mofcom_en": "https://english.mofcom.gov.cn"}


def expected_urls(site: Mirror, source: str) -> set[str]:
    return {REAL[source] + detail_path(e) for e in site.visible if e["site"] == source}


def stored(db_path: str, source: str) -> set[str]:
    db = catalogue.open_db(db_path)
    try:
        return {r[0] for r in db.execute("select url from documents where source = ?", [source])}
    finally:
        db.close()


def test_kill_9_during_first_crawl_then_a_normal_crawl_has_everything(db_path):
    site = Mirror(day=1, generate=240)
    server = start_in_thread(site)
    try:
        want = expected_urls(site, "mofcom")
        assert len(want) > 60  # several list pages
        child = subprocess.Popen([sys.executable, "-m", "crawler.run", "--db", db_path,
                                  "--mirror", server.url, "mofcom"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        threshold = random.randint(5, len(want) // 2)
        deadline = time.monotonic() + 60
        have: set[str] = set()
        while time.monotonic() < deadline and child.poll() is None:
            try:
                have = stored(db_path, "mofcom")
            except Exception:  # the child may be creating the catalogue
                have = set()
            if len(have) >= threshold:
                break
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait()
        killed_with = len(stored(db_path, "mofcom"))
        assert 0 < killed_with < len(want), "the kill must land part-way through"
        db = catalogue.open_db(db_path)  # a writer's open closes the dead run
        assert db.execute("select status from crawl_runs order by id limit 1").fetchone()[0] \
            == "interrupted"
        assert backfill.incomplete(db)[0]["source"] == "mofcom"
        health = source_health(db, "mofcom", datetime.now(UTC), 3, 48)
        assert not health["healthy"]
        assert any(p.startswith("incomplete backfill") for p in health["problems"])
        db.close()
        runs = crawl(["mofcom"], db_path, mirror=server.url, timeout=120)
        assert runs[-1]["status"] == "ok"
        assert stored(db_path, "mofcom") == want
        db = catalogue.open_db(db_path)
        assert backfill.incomplete(db) == []
        assert backfill.state(db, "mofcom")["since"] is None
        db.close()
    finally:
        server.shutdown()
        server.server_close()


def test_a_capped_crawl_resumes_on_the_next(db_path):
    site = Mirror(day=1, generate=240)
    server = start_in_thread(site)
    try:
        want = expected_urls(site, "mofcom")
        first = crawl(["mofcom"], db_path, mirror=server.url, timeout=120,
                      overrides={"REGWATCH_SOURCE_LIMITS": {"max_new_documents_per_run": 25}})
        db = catalogue.open_db(db_path)
        reasons = [r["reason"] for r in db["source_errors"].rows_where("crawl_run_id = ?",
                                                                         [first[0]["id"]])]
        assert "new-document-cap" in reasons
        assert len(stored(db_path, "mofcom")) == 25
        assert backfill.incomplete(db)[0]["source"] == "mofcom"
        db.close()
        crawl(["mofcom"], db_path, mirror=server.url, timeout=120)
        assert stored(db_path, "mofcom") == want
    finally:
        server.shutdown()
        server.server_close()


def test_overlapping_first_crawls_are_all_baseline(db_path, mirror_server):
    from regwatch.jobs import process_new

    catalogue.open_db(db_path).close()
    runs: list[dict] = []

    def one() -> None:
        runs.extend(crawl(["mofcom"], db_path, mirror=mirror_server.url, timeout=120))

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(runs) == 2 and all(r["status"] == "ok" for r in runs)
    db = catalogue.open_db(db_path)
    by_run = dict(db.execute("select crawl_run_id, count(*) from versions group by crawl_run_id"))
    db.close()
    report = process_new(db_path, runs)
    db = catalogue.open_db(db_path)
    events = db.execute("select count(*), sum(baseline) from events").fetchone()
    db.close()
    assert events[0] > 0 and events[0] == events[1], (by_run, report["alerts"])
