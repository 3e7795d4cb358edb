"""A small hostile HTTP server for tests: serves what a test tells it to, logs every request.

Each route is a path mapped to a handler ``(request) -> (status, headers, body)``, or to
bytes (an HTML 200). A body given as a list of byte strings is sent chunked, with no
Content-Length. Unknown paths are 404. Every request (method, path, Host header) is
appended to ``server.log`` before it is answered, so a test can prove what was, and what
was never, asked for.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = tuple[int, dict[str, str], bytes | list[bytes]]
Route = bytes | Callable[["HostileHandler"], Answer]


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, routes: dict[str, Route] | None = None) -> None:
        super().__init__(("127.0.0.1", 0), HostileHandler)
        self.routes: dict[str, Route] = dict(routes or {})
        self.log: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def paths(self) -> list[str]:
        with self.lock:
            return [entry["path"] for entry in self.log]


class HostileHandler(BaseHTTPRequestHandler):
    server: HostileServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        with self.server.lock:
            self.server.log.append({"method": self.command, "path": self.path,
                                    "host": self.headers.get("Host")})
        route = self.server.routes.get(self.path.split("?", 1)[0])
        if route is None:
            status, headers, body = 404, {}, b"<html><body>not here</body></html>"
        elif isinstance(route, bytes):
            status, headers, body = 200, {"Content-Type": "text/html; charset=utf-8"}, route
        else:
            status, headers, body = route(self)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        try:
            if isinstance(body, list):  # chunked: the client cannot know the size up front
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for chunk in body:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client hung up (a size cap): its business

    do_HEAD = do_GET  # noqa: N815 - stdlib name


def start(routes: dict[str, Route] | None = None) -> HostileServer:
    server = HostileServer(routes)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def redirect(location: str, status: int = 302) -> Callable[[HostileHandler], Answer]:
    return lambda _handler: (status, {"Location": location}, b"")


def page(title: str, body_html: str) -> bytes:
    """An announcement-shaped page: a title and enough text to be one."""
    return (f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>"
            f"<div class='article'><h1>{title}</h1>{body_html}</div></body></html>").encode()


def nested(levels: int, title: str) -> bytes:
    inner = "<div>" * levels + "本公告所列物项自发布之日起实施出口管制。" + "</div>" * levels
    return page(title, inner)
