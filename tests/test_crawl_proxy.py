"""A source's requests through its own proxy or fetch node (#20 item 2): the customs site
refuses requests from outside China, so its crawl must be able to go through a node inside.

A small forwarding HTTP proxy runs on 127.0.0.1 and logs every request that passes; the
GACC source is crawled from the mirror with ``REGWATCH_PROXIES`` naming that proxy for
``gacc`` only: every GACC request passes through it, a MOFCOM crawl in the same run none.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from crawler.middlewares import source_proxy
from crawler.run import crawl
from store.catalogue import open_db


class LoggingProxy(ThreadingHTTPServer):
    """Forwards absolute-URI GETs (plain HTTP proxying) and remembers each."""

    daemon_threads = True

    def __init__(self) -> None:
        self.seen: list[str] = []
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - stdlib name
                server.seen.append(self.path)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("proxy-connection", "connection", "host")}
                try:
                    with opener.open(urllib.request.Request(self.path, headers=headers),
                                     timeout=20) as answer:
                        status, body, reply = answer.status, answer.read(), answer.headers
                except urllib.error.HTTPError as exc:
                    status, body, reply = exc.code, exc.read(), exc.headers
                self.send_response(status)
                for name, value in reply.items():
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        server = self
        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


def test_declared_proxy_and_the_setting_over_it():
    source = {"id": "gacc", "fetch": {"proxy": "http://node.example:3128"}}
    assert source_proxy(source, {}) == "http://node.example:3128"
    assert source_proxy(source, {"gacc": "http://other:8080"}) == "http://other:8080"
    assert source_proxy(source, {"gacc": ""}) is None  # switched off for this run
    assert source_proxy({"id": "mofcom"}, {"gacc": "http://other:8080"}) is None


def test_one_sources_crawl_goes_through_its_proxy(mirror_server, db_path):
    proxy = LoggingProxy()
    try:
        runs = crawl(["gacc", "mofcom_xkzj"], db_path, mirror=mirror_server.url, timeout=240,
                     overrides={"REGWATCH_PROXIES": {"gacc": proxy.url}})
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert {r["source"]: r["status"] for r in runs} == {"gacc": "ok", "mofcom_xkzj": "ok"}
    db = open_db(db_path)
    gacc = {r[0] for r in db.execute("select url from documents where source = 'gacc'")}
    assert len(gacc) == 6
    passed = [urlsplit(u).path for u in proxy.seen]
    assert all(u.startswith(mirror_server.url) for u in proxy.seen)
    # every GACC page (and attachment) came through the proxy; nothing of the other source
    assert {urlsplit(u).path for u in gacc} <= set(passed)
    assert not [p for p in passed if p.startswith("/tzgg/")]
    assert len(passed) >= 7  # the list and six pages at least
