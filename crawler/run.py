"""Run crawls: in this process (``python -m crawler.run``), or as a child process.

Twisted's reactor cannot be restarted within one process, so every crawl runs in a
fresh child process (``crawl()``): a crash, hang or leak in one crawl cannot take the
caller (CLI, demo, scheduler) with it, and a hung crawl is killed at its timeout.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings

from core.settings import export_default
from crawler.sources import load_sources
from store import catalogue

DEFAULT_TIMEOUT = 30 * 60

# Set by stop_all(): a service shutting down.
STOP = threading.Event()
STOP_GRACE = 6.0  # seconds a child gets to stop cleanly (Scrapy's graceful shutdown) before SIGKILL


def stop_all() -> None:
    """Start no more crawls; running ones get one SIGTERM (Scrapy stops gracefully; a
    second would force it) from their ``crawl()`` loop and SIGKILL after STOP_GRACE."""
    STOP.set()


def _die_with_parent() -> None:
    """In the child: get SIGKILL if the parent dies (Linux), so no orphan crawl writes on."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def project_settings(db: str, mirror: str | None = None, overrides: dict[str, Any] | None = None):
    export_default("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    settings.set("REGWATCH_DB", db, priority="cmdline")
    if mirror:
        settings.set("REGWATCH_MIRROR", mirror, priority="cmdline")
        for name, value in settings.getdict("MIRROR_SETTINGS").items():
            settings.set(name, value, priority="cmdline")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def run_here(sources: list[str], db: str, mirror: str | None = None, full: bool = False,
             overrides: dict[str, Any] | None = None) -> None:
    """Crawl ``sources`` in this process (starts and stops the reactor: once per process)."""
    process = CrawlerProcess(project_settings(db, mirror, overrides))
    for source in sources:
        process.crawl(source, mirror=mirror, full=full)
    process.start()


def crawl(sources: list[str] | None, db: str, mirror: str | None = None, full: bool = False,
          timeout: float = DEFAULT_TIMEOUT, overrides: dict[str, Any] | None = None,
          progress: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """Crawl in a child process and return the crawl-run rows it wrote.

    ``progress`` is called about once a second with the runs so far. A child that
    exceeds ``timeout`` is killed; its runs are closed as 'killed' with a source error
    saying so, and the caller goes on.
    """
    sources = sources or [s for s, spec in load_sources().items() if spec.get("default", True)]
    if STOP.is_set():
        return []
    db_handle = catalogue.open_db(db)
    before = db_handle.execute("select coalesce(max(id), 0) from crawl_runs").fetchone()[0]
    cmd = [sys.executable, "-m", "crawler.run", "--db", db, *sources]
    if mirror:
        cmd += ["--mirror", mirror]
    if full:
        cmd.append("--full")
    for name, value in (overrides or {}).items():
        cmd += ["--set", f"{name}={json.dumps(value)}"]

    child: subprocess.Popen | None = None

    def runs_so_far() -> list[dict[str, Any]]:
        # only this child's runs: other crawls may be writing to the same catalogue
        return [dict(r) for r in db_handle.query(
            "select * from crawl_runs where id > ? and pid = ? order by id",
            [before, child.pid if child else -1])]

    with tempfile.TemporaryFile() as stderr_file:
        child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=stderr_file,
                                 preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        deadline = time.monotonic() + timeout
        killed = False
        stop_deadline: float | None = None
        while child.poll() is None:
            if time.monotonic() > deadline:
                child.kill()
                child.wait()
                killed = True
                break
            if STOP.is_set():
                if stop_deadline is None:
                    child.terminate()
                    stop_deadline = time.monotonic() + STOP_GRACE
                elif time.monotonic() > stop_deadline:
                    child.kill()
            time.sleep(0.2)
            if progress:
                progress({"runs": [catalogue_summary(r) for r in runs_so_far()]})
        stderr_file.seek(0)
        stderr = stderr_file.read()[-4000:].decode("utf-8", "replace")
    failed = killed or child.returncode != 0
    runs = runs_so_far()
    signalled = child.returncode is not None and child.returncode < 0
    for run in runs:
        if run["status"] == "running":
            status = "killed" if killed else "interrupted" if signalled else "crashed"
            detail = (f"crawl killed at its {timeout:.0f}s timeout" if killed
                      else f"crawl process exited with {child.returncode}: {stderr[-1500:]}")
            catalogue.record_error(db_handle, run["id"], run["source"], "", status if status != "killed"
                                   else "timeout", detail)
            catalogue.count(db_handle, run["id"], "errors")
            run.update(catalogue.finish_run(db_handle, run["id"], status=status))
    started = {run["source"] for run in runs}
    for source in sources:
        if failed and source not in started:
            run_id = catalogue.start_run(db_handle, source, mirror)
            catalogue.record_error(db_handle, run_id, source, "", "timeout" if killed else "crashed",
                                   stderr[-1500:] or "crawl process failed before the run started")
            catalogue.count(db_handle, run_id, "errors")
            runs.append(catalogue.finish_run(db_handle, run_id,
                                             status="killed" if killed else "crashed"))
    db_handle.close()
    return [catalogue_summary(run) for run in runs]


def catalogue_summary(run: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "source", "status", "started_at", "finished_at", "requests", *catalogue.RUN_COUNTERS[1:])
    return {k: run.get(k) for k in keys}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Crawl sources into the catalogue (one process).")
    parser.add_argument("sources", nargs="*")
    parser.add_argument("--db", required=True)
    parser.add_argument("--mirror")
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=JSON")
    args = parser.parse_args(argv)
    overrides = {}
    for item in args.set:
        name, _, value = item.partition("=")
        overrides[name] = json.loads(value)
    run_here(args.sources or list(load_sources()), args.db, args.mirror, args.full, overrides)


if __name__ == "__main__":
    main()
