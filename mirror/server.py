"""Serve the mirror over real HTTP on the loopback interface.

A threaded stdlib server is enough for a few hundred requests a second and needs no
extra dependency. ``POST /__mirror__/day`` switches the day while the server runs, so a
long-running service can watch versions form; ``GET /__mirror__/stats`` counts requests
so benchmarks can check how few a re-crawl needs.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from mirror.site import Mirror

CONTROL = "/__mirror__/"


class MirrorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mirror: Mirror, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), MirrorHandler)
        self.mirror = mirror
        self.stats: Counter[str] = Counter()
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class MirrorHandler(BaseHTTPRequestHandler):
    server: MirrorServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and status != 304:
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (e.g. a crawler's download-size cap): its business

    def _control(self) -> None:
        mirror = self.server.mirror
        if self.path.startswith(CONTROL + "day") and self.command == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            day = int(self.rfile.read(length).decode() or "1")
            with self.server.lock:
                mirror.set_day(day)
        elif self.path.startswith(CONTROL + "stats/reset"):
            self.server.stats.clear()
        state = {"day": mirror.day, "faults": sorted(mirror.faults), "entries": len(mirror.visible),
                 "requests": dict(self.server.stats)}
        self._send(200, json.dumps(state).encode(), {"Content-Type": "application/json"})

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        if self.path.startswith(CONTROL):
            return self._control()
        self.server.stats["total"] += 1
        headers = {k.lower(): v for k, v in self.headers.items()}
        with self.server.lock:
            response = self.server.mirror.respond(self.path, headers)
        self.server.stats[str(response.status)] += 1
        if response.delay:
            time.sleep(response.delay)
        self._send(response.status, response.body, response.headers)

    do_HEAD = do_GET

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        if self.path.startswith(CONTROL):
            return self._control()
        self._send(405, b"", {})


def start_in_thread(mirror: Mirror, host: str = "127.0.0.1", port: int = 0) -> MirrorServer:
    """Start a server in a daemon thread and return it (``server.url``, ``server.shutdown()``)."""
    server = MirrorServer(mirror, host, port)
    threading.Thread(target=server.serve_forever, name="regwatch-mirror", daemon=True).start()
    return server
