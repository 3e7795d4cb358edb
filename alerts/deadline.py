"""An HTTP opener whose timeout bounds the whole exchange, not each socket read.

urllib's ``timeout`` applies to every ``recv``: a receiver that trickles its answer a
byte at a time can hold a sending worker for ever, and with it the end of the sending
run. Here a timer shuts the request's sockets when the time is up, so a webhook costs at
most its timeout. Proxies, redirects and HTTP errors stay urllib's own.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from http.client import HTTPConnection, HTTPSConnection
from urllib.request import HTTPHandler, HTTPSHandler, OpenerDirector, build_opener


class Deadline:
    """``with Deadline(seconds) as deadline: deadline.opener.open(...)``; ``expired`` after."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self.opener = _opener(self)

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def track(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _tracked(base: type[HTTPConnection], deadline: Deadline) -> type[HTTPConnection]:
    class Tracked(base):  # type: ignore[valid-type, misc]
        def connect(self) -> None:
            super().connect()
            deadline.track(self.sock)

    return Tracked


def _opener(deadline: Deadline) -> OpenerDirector:
    plain, tls = _tracked(HTTPConnection, deadline), _tracked(HTTPSConnection, deadline)

    class Http(HTTPHandler):
        def http_open(self, req):  # type: ignore[no-untyped-def]
            return self.do_open(plain, req)

    class Https(HTTPSHandler):
        def https_open(self, req):  # type: ignore[no-untyped-def]
            return self.do_open(tls, req, context=self._context)

    return build_opener(Http, Https)

