"""Issue #14 finding 2: two crawl loops and four reader loops on one catalogue.

Each crawl loop crawls the mirror and processes what it brought (extraction, timeline,
events); each reader loop runs `regwatch runs` and `regwatch documents` as processes.
No process may meet "database is locked", and at the end every announcement is stored
once and has its events, none of them twice. Smoke length here (REGWATCH_SOAK_SECONDS, default 8); the issue's 60 s on a
~2,000-announcement mirror is ``REGWATCH_SOAK_SECONDS=60 REGWATCH_SOAK_SIZE=2000``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from crawler.run import crawl
from mirror.server import start_in_thread
from mirror.site import Mirror, detail_path
from regwatch.jobs import process_new
from store import catalogue

SECONDS = float(os.environ.get("REGWATCH_SOAK_SECONDS", "8"))
SIZE = int(os.environ.get("REGWATCH_SOAK_SIZE", "120"))
REAL = {"gacc": "http://www.customs.gov.cn", "mofcom": "https://www.mofcom.gov.cn",
        "mofcom_en": "https://english.mofcom.gov.cn"}


def test_two_crawls_and_four_readers(db_path):
    site = Mirror(day=1, generate=SIZE)
    server = start_in_thread(site)
    catalogue.open_db(db_path).close()
    stop = time.monotonic() + SECONDS
    problems: list[str] = []
    counts = {"crawls": 0, "reads": 0}
    lock = threading.Lock()

    def crawler() -> None:
        while time.monotonic() < stop:
            try:
                runs = crawl(None, db_path, mirror=server.url, timeout=600)
                process_new(db_path, runs)
                for run in runs:
                    if run["status"] != "ok":
                        problems.append(f"run {run['id']}: {run['status']}")
            except Exception as exc:  # noqa: BLE001 - every failure is a finding here
                problems.append(f"crawl: {exc!r}")
            with lock:
                counts["crawls"] += 1

    def reader() -> None:
        while time.monotonic() < stop:
            for command in ("runs", "documents"):
                result = subprocess.run(
                    [sys.executable, "-c", "from regwatch.cli import cli; cli()", command,
                     "--db", db_path, "--json"], capture_output=True, text=True, timeout=120)
                if result.returncode != 0 or "locked" in result.stderr:
                    problems.append(f"{command}: {result.returncode} {result.stderr[-300:]}")
                with lock:
                    counts["reads"] += 1

    threads = [threading.Thread(target=crawler) for _ in range(2)]
    threads += [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        db = catalogue.open_db(db_path)
        errors = db.execute("select count(*) from source_errors where detail like '%locked%'"
                            ).fetchone()[0]
        stored = {r[0] for r in db.execute("select url from documents")}
        duplicates = db.execute("select count(*) - count(distinct url) from documents").fetchone()[0]
        numbers = {r[0] for r in db.execute(
            "select distinct number from documents where coalesce(number, '') != ''")}
        evented = {r[0] for r in db.execute(
            "select distinct number from events where coalesce(number, '') != ''")}
        doubled = [r[0] for r in db.execute(
            "select number from events where kind = 'new' and coalesce(number, '') != '' "
            "group by number having count(*) > 1")]
        db.close()
    finally:
        server.shutdown()
        server.server_close()
    want = {REAL[e["site"]] + detail_path(e) for e in site.visible
            if not e.get("fault") and e["site"] in REAL}
    print(f"soak {SECONDS:g}s size {SIZE}: {counts['crawls']} crawls, {counts['reads']} reads, "
          f"{len(problems)} problems, {errors} locked errors, {len(stored)} stored of {len(want)}, "
          f"{len(evented & numbers)} of {len(numbers)} numbers with events, {len(doubled)} doubled")
    assert problems == [] and errors == 0 and duplicates == 0
    assert numbers and numbers <= evented, sorted(numbers - evented)[:5]  # no lost events
    assert doubled == []  # and none twice
    assert want <= stored, sorted(want - stored)[:5]
