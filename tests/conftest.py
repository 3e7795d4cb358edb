"""Shared fixtures: a real HTTP mirror on 127.0.0.1, a fresh catalogue file, and the web
catalogues (the mirror's, and a hostile site's) built once per session."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mirror.server import MirrorServer, start_in_thread
from mirror.site import Mirror


@pytest.fixture
def make_mirror() -> Iterator[Callable[..., MirrorServer]]:
    """Start mirror servers (day, faults) on free loopback ports; stopped after the test."""
    servers: list[MirrorServer] = []

    def start(day: int = 1, faults: set[str] | None = None, **kwargs) -> MirrorServer:
        server = start_in_thread(Mirror(day=day, faults=faults, **kwargs))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def mirror_server(make_mirror) -> MirrorServer:
    return make_mirror()


@pytest.fixture
def db_path(tmp_path) -> str:
    return str(tmp_path / "catalogue.db")


@pytest.fixture(scope="session")
def synthetic() -> Any:
    """bench/synthetic.py, the benchmarks' catalogue generator (``bench`` is not an
    installed package, so it is loaded from its file)."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(
        "synthetic", Path(__file__).resolve().parent.parent / "bench" / "synthetic.py")
    module = sys.modules.setdefault("synthetic", importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def smoke_catalogue(tmp_path_factory: pytest.TempPathFactory, synthetic: Any) -> str:
    """The benchmarks' seconds-long synthetic catalogue, prepared for the web as
    ``regwatch serve`` prepares it; shared read-only (copy it to change it)."""
    from web.app import prepare

    path = str(tmp_path_factory.mktemp("smoke") / "smoke.db")
    synthetic.build(path, *synthetic.SMOKE)
    prepare(path)
    return path


@pytest.fixture(scope="session")
def mirror_history(tmp_path_factory) -> str:
    """ONE catalogue of the mirror's history for the whole session: crawled on day 1, then
    on day 2 (2026 No. 1 and the correction of 2025 No. 61), extracted, timeline built.
    Tests read it (tests/test_questions.py asks the compliance questions of it)."""
    import regwatch.cli  # noqa: F401  (every stage's migrations, so read-only opens work)
    from regwatch.jobs import run_once

    path = str(tmp_path_factory.mktemp("mirror-history") / "catalogue.db")
    server = start_in_thread(Mirror(day=1))
    # the events are recorded as on 2026-11-29 (Beijing), whatever day the tests run
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REGWATCH_ALERTS_NOW", MIRROR_HISTORY_NOW)
        try:
            run_once(path, mirror=server.url)
            server.mirror.set_day(2)
            run_once(path, mirror=server.url)
        finally:
            server.shutdown()
            server.server_close()
    return path


MIRROR_HISTORY_NOW = "2026-11-29T04:00:00Z"
SAMPLE_PORTFOLIO = Path(__file__).parent.parent / "portfolio" / "samples" / "exporter.csv"


def with_sample_portfolio(mirror_history: str, folder: Path) -> str:
    """A copy of the mirror catalogue in ``folder`` with the sample portfolio imported
    (as ``exporter``), the way a user does it: ``regwatch portfolio import``."""
    import sqlite3

    from click.testing import CliRunner

    from regwatch.cli import cli

    path = str(folder / "catalogue.db")
    source, target = sqlite3.connect(mirror_history), sqlite3.connect(path)
    source.backup(target)
    source.close()
    target.close()
    result = CliRunner().invoke(cli, ["portfolio", "import", str(SAMPLE_PORTFOLIO),
                                      "--db", path])
    assert result.exit_code == 0, result.output
    return path


# -- the web catalogues (tests/test_web.py, tests/test_web_browser.py) -----------------

HOSTILE_NUMBER = "MOFCOM-2025-999"
HOSTILE_HEX = "0123456789abcdef0123456789abcdef"


# -- catalogues ------------------------------------------------------------------------

def _build_catalogue(root: Path) -> dict[str, Any]:
    """Day 1, a subscription with a feed token, then day 2."""
    from alerts import subscriptions
    from regwatch.jobs import run_once
    from store.catalogue import open_db
    from web.tokens import issue

    path = str(root / "catalogue.db")
    server = start_in_thread(Mirror(day=1))
    try:
        run_once(path, mirror=server.url)
        db = open_db(path)
        sub = subscriptions.add(db, subscriptions.build(
            "email", "team@example.com", name="rare-earth desk", materials=["rare earths"]))
        token = issue(db, sub["id"], label="test")
        db.close()
        server.mirror.set_day(2)
        run_once(path, mirror=server.url)
    finally:
        server.shutdown()
        server.server_close()
    from web.app import prepare

    prepare(path)
    return {"path": path, "token": token["token"], "token_id": token["id"],
            "subscription_id": sub["id"]}


def _hostile_detail(version: int) -> str:
    extra = "<p>第二版：新增 &lt;script&gt;window.__xss=5&lt;/script&gt; 一行。</p>" if version > 1 else ""
    title = ("商务部公告2025年第999号 关于镓相关物项的公告"
             "&lt;script&gt;window.__xss=1&lt;/script&gt;&lt;img src=x onerror=\"window.__xss=2\"&gt;")
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>{title}_中华人民共和国商务部</title></head><body>
<div class="art-title"><h1>{title}</h1></div>
<div class="art-meta">来源：安全与管制局　2025-12-01</div>
<div class="article" id="zoom">
<p>【发布单位】安全与管制局</p><p>【发布文号】商务部公告2025年第999号</p>
<p>【发文日期】2025年12月01日</p>
<p>为维护国家安全和利益，决定对镓相关物项实施出口管制。本页用于测试转义：
&lt;script&gt;window.__xss=3&lt;/script&gt; 与 &lt;img src=x onerror=window.__xss=4&gt;。</p>
{extra}
<p>本公告自2025年12月1日起正式实施。</p>
</div></body></html>"""


def _hostile_list(base: str) -> str:
    url = f"{base}/zwgk/zcfb/art/2025/art_{HOSTILE_HEX}.html"
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>政策发布_中华人民共和国商务部</title></head><body><ul class="txtList_01">
<li><a href="{url}" title="&lt;script&gt;window.__xss=9&lt;/script&gt;">商务部公告2025年第999号
&lt;script&gt;window.__xss=9&lt;/script&gt;</a><span class="date">[2025-12-01]</span></li>
</ul></body></html>"""


class HostileSite:
    """A MOFCOM-shaped site on 127.0.0.1 whose announcement carries script payloads."""

    def __init__(self) -> None:
        self.version = 1
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                base = f"http://127.0.0.1:{self.server.server_address[1]}"
                if self.path.startswith("/zwgk/zcfb/index.html"):
                    body = _hostile_list(base)
                elif self.path.startswith(f"/zwgk/zcfb/art/2025/art_{HOSTILE_HEX}.html"):
                    body = _hostile_detail(site.version)
                else:
                    self.send_error(404)
                    return
                data = body.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _build_hostile(root: Path) -> dict[str, Any]:
    """A catalogue crawled (twice, the page changed between) from the hostile site."""
    from regwatch.jobs import run_once

    path = str(root / "hostile.db")
    site = HostileSite()
    try:
        run_once(path, sources=["mofcom"], mirror=site.url)
        site.version = 2
        run_once(path, sources=["mofcom"], mirror=site.url, full=True)
    finally:
        site.close()
    from web.app import prepare

    prepare(path)
    return {"path": path, "number": HOSTILE_NUMBER}


@pytest.fixture(scope="session")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The mirror crawled on day 1 and day 2, with a subscription and its feed token."""
    return _build_catalogue(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A catalogue of a hostile site whose announcement carries script payloads."""
    return _build_hostile(tmp_path_factory.mktemp("hostile"))


# -- helpers shared by several test modules (import them from here, not from a test file) --

import hashlib  # noqa: E402
import json  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

from alerts import subscriptions as _subscriptions  # noqa: E402
from crawler.sources import get_source as _get_source  # noqa: E402
from store import catalogue as _store  # noqa: E402  (the name `catalogue` is a fixture here)
from store.extractions import record_extraction as _record_extraction  # noqa: E402

EXTRACTOR = "hand-1"  # the extractor version of results written by hand (timeline tests)

NOW = datetime(2026, 1, 7, 1, 0, tzinfo=UTC)  # 09:00 in Beijing

GALLIUM = {
    "number": "MOFCOM-2023-23", "issuers": ["MOFCOM", "GACC"], "title": "关于对镓、锗相关物项实施出口管制的公告",
    "issue_date": "2023-07-03", "effective_dates": ["2023-08-01"],
    "control_codes": [], "hs_codes": ["8112929090", "2850001901"], "materials": ["gallium", "germanium"],
    "references": [], "conditions": [],
    "items": [
        {"control_code": None, "text": "金属镓（单质）", "hs_codes": ["8112929090"], "materials": ["gallium"],
         "provision": "一(一)", "effective_date": "2023-08-01", "source": "table", "span": [10, 20]},
        {"control_code": None, "text": "氮化镓", "hs_codes": ["2850001901"], "materials": ["gallium"],
         "provision": "一(一)", "effective_date": "2023-08-01", "source": "table", "span": [21, 30]},
    ],
    "text": "依照出口管制法……决定对镓、锗相关物项实施出口管制。",
}
RARE_EARTH = {
    "number": "MOFCOM-2025-18", "issuers": ["MOFCOM", "GACC"], "title": "公布对部分中重稀土相关物项实施出口管制的决定",
    "issue_date": "2025-04-04", "effective_dates": ["2025-04-04"],
    "control_codes": ["1C902.a", "1C903.b"], "hs_codes": ["2805301910", "2846901930"],
    "materials": ["samarium", "gadolinium"], "references": [], "conditions": [],
    "items": [
        {"control_code": "1C902.a", "text": "钐金属；钐钴永磁体", "hs_codes": ["2805301910"],
         "materials": ["samarium"], "effective_date": "2025-04-04", "span": [1, 2]},
        {"control_code": "1C903.b", "text": "钆的氧化物及其混合物", "hs_codes": ["2846901930"],
         "materials": ["gadolinium"], "effective_date": "2025-04-04", "span": [3, 4]},
    ],
    "text": "决定对钐、钆相关物项实施出口管制。",
}
class Catalogue:
    """A real catalogue file filled through the store's own functions."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.db = _store.open_db(path)

    def run(self, source: str = "mofcom", pages: list[tuple[str, dict, str]] = (),
            status: str = "ok", errors: list[str] = (), unchanged: int = 0) -> int:
        """One crawl run storing ``pages`` as (url key, extraction, page text)."""
        db = self.db
        _store.ensure_source(db, _get_source(source))  # as the crawler's pipeline does
        run_id = _store.start_run(db, source)
        for key, extraction, text in pages:
            page = {"source": source, "url": f"https://www.mofcom.gov.cn/art/{key}.html",
                    "title": extraction.get("title"), "text": text,
                    "content_hash": hashlib.sha256(text.encode()).hexdigest(), "raw": text.encode()}
            outcome = _store.record_page(db, run_id, page)
            _store.count(db, run_id, "fetched")
            if outcome["outcome"] == "new_document":
                _store.count(db, run_id, "new_documents")
            if outcome["version_id"]:
                _store.count(db, run_id, "new_versions")
                _record_extraction(db, outcome["version_id"], "test-1", extraction)
            else:
                _store.count(db, run_id, "unchanged")
        if unchanged:
            _store.count(db, run_id, "unchanged", unchanged)
        for reason in errors:
            _store.record_error(db, run_id, source, f"https://example.org/{reason}", reason, reason)
            _store.count(db, run_id, "errors")
        _store.finish_run(db, run_id, status=status)
        return run_id

    def subscribe(self, channel: str = "email", target: str = "officer@example.com", **kw) -> int:
        return _subscriptions.add(self.db, _subscriptions.build(channel, target, **kw))["id"]

    def alerts(self, sub_id: int | None = None) -> list[dict]:
        where, args = ("where o.subscription_id = ?", [sub_id]) if sub_id else ("", [])
        return [dict(r) for r in self.db.query(
            f"select o.*, e.kind, e.number, e.payload from outbox o join events e on e.id = o.event_id "
            f"{where} order by o.id", args)]

    def events(self, kind: str | None = None) -> list[dict]:
        where, args = ("where kind = ?", [kind]) if kind else ("", [])
        rows = [dict(r) for r in self.db.query(f"select * from events {where} order by id", args)]
        for row in rows:
            row["payload"] = json.loads(row["payload"])
        return rows



def _with(extraction: dict, **changes) -> dict:
    return {**json.loads(json.dumps(extraction)), **changes}


def add(db, number: str, text: str, result: dict[str, Any], source: str = "mofcom",
        url: str | None = None, extractor: str = EXTRACTOR) -> int:
    """Store a page and its extraction; return the version id."""
    url = url or f"http://example.test/{source}/{number}.html"
    page = {"source": source, "url": url, "title": result.get("title"), "text": text,
            "content_hash": hashlib.sha1(text.encode()).hexdigest(), "raw": text.encode()}
    stored = _store.record_page(db, None, page)
    version_id = stored["version_id"] or db.execute(
        "select current_version_id from documents where id = ?",
        [stored["document_id"]]).fetchone()[0]
    _record_extraction(db, version_id, extractor, {"number": number, **result})
    return version_id


# -- the web in a real browser (tests/test_web_enforcement.py, tests/test_web_lists_browser.py) --

import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from contextlib import contextmanager  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"  # Debian's, never downloaded
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTEFACTS = Path(__file__).resolve().parent / "artefacts"


@contextmanager
def serve_web(db_path: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """``regwatch serve`` on a free loopback port in a subprocess; yields its address."""
    root = Path(__file__).resolve().parent.parent
    process = subprocess.Popen(
        [sys.executable, "-c", "from regwatch.cli_web import serve_command; serve_command()",
         "--db", db_path, "--port", "0"], cwd=root, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
    try:
        line = process.stdout.readline()
        assert "http://" in line, line + process.stderr.read()
        url = "http://" + line.split("http://", 1)[1].split("/", 1)[0]
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(url + "/-/versions.json", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "serve did not answer"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Headless Chromium through Playwright's sync API (module scope: the sync API must not
    outlive the module, or it would share the thread with the next module's event loops)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_tab(chromium: Any, url: str, width: int) -> tuple[Any, Any, list[str]]:
    """A fresh context ``width`` px wide opened at ``url``; also every URL it requested, so a
    test can check that nothing left 127.0.0.1. The caller closes the context."""
    context = chromium.new_context(viewport={"width": width, "height": 900})
    tab = context.new_page()
    requests: list[str] = []
    tab.on("request", lambda request: requests.append(request.url))
    tab.goto(url)
    return context, tab, requests


# -- a real Scrapyd on 127.0.0.1 (tests/test_scrapyd.py, tests/test_scrapyd_nodes.py) --

import json as _json  # noqa: E402
import socket  # noqa: E402
import urllib.parse  # noqa: E402

BIN = Path(sys.executable).parent  # the venv's scripts: scrapyd, scrapyd-deploy, regwatch


def scrapyd_get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return _json.loads(response.read())


def scrapyd_post(url: str, fields: list[tuple[str, str]]) -> dict:
    with urllib.request.urlopen(url, data=urllib.parse.urlencode(fields).encode(),
                                timeout=10) as response:
        return _json.loads(response.read())


def scrapyd_deploy(url: str, project: Path) -> None:
    """``scrapyd-deploy local`` from a copy of the project, its scrapy.cfg aimed at ``url``."""
    root = Path(__file__).resolve().parent.parent
    cfg = (root / "scrapy.cfg").read_text().replace("http://127.0.0.1:6800/", url + "/")
    (project / "scrapy.cfg").write_text(cfg)
    done = subprocess.run([str(BIN / "scrapyd-deploy"), "local", "-p", "regwatch"],
                          cwd=project, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def scrapyd_run(url: str, fields: list[tuple[str, str]], seconds: float, what: str) -> None:
    """Schedule a job of project regwatch and wait until Scrapyd lists it as finished."""
    job = scrapyd_post(f"{url}/schedule.json", [("project", "regwatch"), *fields])
    assert job["status"] == "ok", job
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        jobs = scrapyd_get(f"{url}/listjobs.json?project=regwatch")
        if any(j["id"] == job["jobid"] for j in jobs["finished"]):
            return
        time.sleep(0.5)
    pytest.fail(f"{what} did not finish")


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Start Scrapyd nodes, each in its own folder under tmp_path on a free port; yields
    ``start(name, max_proc=1) -> url`` and stops every node it started."""
    if not (BIN / "scrapyd").exists():
        pytest.skip("scrapyd is not installed (make test installs it)")
    started: list[subprocess.Popen] = []

    def start(name: str, max_proc: int = 1) -> str:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        home = tmp_path / name
        home.mkdir()
        (home / "scrapyd.conf").write_text(
            f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\n"
            f"eggs_dir = {home}/eggs\nlogs_dir = {home}/logs\ndbs_dir = {home}/dbs\n"
            f"items_dir =\nmax_proc = {max_proc}\npoll_interval = 0.5\n")
        proc = subprocess.Popen([str(BIN / "scrapyd")], cwd=home, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        started.append(proc)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                scrapyd_get(f"{url}/daemonstatus.json")
                return url
            except OSError:
                assert time.monotonic() < deadline, f"scrapyd {name} did not answer"
                time.sleep(0.3)

    yield start
    for proc in started:
        proc.terminate()
        proc.wait(timeout=10)
