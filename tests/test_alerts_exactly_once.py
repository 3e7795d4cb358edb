"""Every alert once with two senders, and a dead webhook holding up no e-mail.

Real servers on 127.0.0.1: a webhook receiver that answers slowly and counts POSTs per
``Idempotency-Key``, a webhook that accepts connections and never answers, and an
aiosmtpd server. Each sender is a thread with its own catalogue connection, as two
``regwatch alerts send`` processes would be; the clock is the real one.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import GALLIUM, NOW, RARE_EARTH, Catalogue, _with

from alerts import outbox
from alerts.delivery import send_due
from alerts.events import record_events
from alerts.settings import load_settings
from alerts.settings import now as clock_now
from alerts.sink import SmtpSink
from store import catalogue

REGWATCH = str(Path(sys.executable).with_name("regwatch"))
EVENTS = 30     # new announcements, each matched by every subscription below
HOOKS = 4       # webhook subscriptions: EVENTS * HOOKS alerts
POST_SECONDS = 0.3
SECOND_SENDER_AFTER = 2.0  # seconds into the first sender's run


class SlowReceiver(ThreadingHTTPServer):
    """Answers every POST after ``delay`` seconds; keeps each request's idempotency key."""

    daemon_threads = True

    def __init__(self, delay: float) -> None:
        super().__init__(("127.0.0.1", 0), _SlowHandler)
        self.delay = delay
        self.keys: list[str] = []
        self.arrived = threading.Event()
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _SlowHandler(BaseHTTPRequestHandler):
    server: SlowReceiver

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.arrived.set()
        time.sleep(self.server.delay)
        with self.server.lock:
            self.server.keys.append(self.headers["Idempotency-Key"])
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


class Hanging:
    """A webhook that accepts every connection and never answers."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.connections:
            conn.close()


class Trickle(Hanging):
    """A webhook that starts its answer and then sends one byte every 0.2 s, for ever:
    every read succeeds within any socket timeout, the answer never ends."""

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    @staticmethod
    def _drip(conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            while True:
                time.sleep(0.2)
                conn.sendall(b"z")
        except OSError:
            return


@pytest.fixture
def serve():
    """Start servers (``serve(server)``); they are stopped after the test."""
    started: list = []

    def start(server):
        if isinstance(server, ThreadingHTTPServer):
            threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        return server

    yield start
    for server in started:
        if isinstance(server, ThreadingHTTPServer):
            server.shutdown()
            server.server_close()
        else:
            server.close()


@pytest.fixture
def env(monkeypatch):
    monkeypatch.delenv("REGWATCH_ALERTS_NOW", raising=False)  # the real clock
    monkeypatch.delenv("REGWATCH_CONFIG", raising=False)
    monkeypatch.setenv("REGWATCH_WEBHOOK_SECRET", "hook-secret-e1")
    return monkeypatch


def _queue(path: str, targets: list[tuple[str, str]], events: int) -> Catalogue:
    """Subscriptions (channel, target) in this order, then ``events`` new matched events."""
    cat = Catalogue(path)
    for channel, target in targets:
        cat.subscribe(channel=channel, target=target, materials=["samarium"])
    cat.run(pages=[("a", GALLIUM, "镓 v1")])
    record_events(cat.db, [], now=NOW)  # the first load: baseline, no alerts
    cat.run(pages=[(f"re{i}", _with(RARE_EARTH, number=f"MOFCOM-2025-{100 + i}"), f"钐 v{i}")
                   for i in range(events)])
    assert record_events(cat.db, [], now=NOW)["alerts"] == events * len(targets)
    return cat


def _senders(path: str, delays: list[float], settings) -> list[dict]:
    """One sender per delay (seconds after the first starts), each with its own
    connection, as cron starting ``alerts send`` during a long run; their reports."""
    reports: list[dict] = [{} for _ in delays]
    start = threading.Barrier(len(delays))

    def sender(i: int) -> None:
        db = catalogue.open_db(path)
        try:
            start.wait()
            time.sleep(delays[i])
            reports[i] = send_due(db, settings=settings)
        finally:
            db.close()

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(len(delays))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return reports


def _send_in_thread(path: str, settings) -> tuple[threading.Thread, list[dict]]:
    reports: list[dict] = []

    def send() -> None:
        db = catalogue.open_db(path)
        try:
            reports.append(send_due(db, settings=settings))
        finally:
            db.close()

    thread = threading.Thread(target=send)
    thread.start()
    return thread, reports


def test_two_senders_and_a_slow_receiver_deliver_every_alert_once(db_path, env, serve):
    receiver = serve(SlowReceiver(POST_SECONDS))
    cat = _queue(db_path, [("webhook", f"{receiver.url}/hook/{i}") for i in range(HOOKS)], EVENTS)
    expected = {row["idempotency_key"] for row in cat.alerts()}
    # a lease far shorter than the run: it holds only if it is renewed while sending
    settings = load_settings(outbox_claim_seconds=1.5)
    started = time.monotonic()
    first, second = _senders(db_path, [0.0, SECOND_SENDER_AFTER], settings)
    elapsed = time.monotonic() - started

    posts = Counter(receiver.keys)
    assert len(expected) == EVENTS * HOOKS >= 100
    assert set(posts) == expected
    assert sorted(set(posts.values())) == [1], posts.most_common(3)
    assert first["sent"] > 0 and second["sent"] > 0  # both senders took part
    assert first["sent"] + second["sent"] == len(expected)
    assert first["messages"] + second["messages"] == len(expected)
    assert first["lease_lost"] == second["lease_lost"] == 0
    assert {a["status"] for a in cat.alerts()} == {"sent"}
    tries = list(cat.db.query("select ok, detail from alert_attempts"))
    assert len(tries) == len(expected) and all(t["ok"] for t in tries)
    print(f"\n{len(expected)} alerts, 2 senders ({SECOND_SENDER_AFTER} s apart), {POST_SECONDS} s "
          f"per POST: {len(receiver.keys)} POSTs, "
          f"{first['sent']} + {second['sent']} sent, max POSTs per key {max(posts.values())}, "
          f"{elapsed:.1f} s")


def test_two_send_processes_deliver_every_alert_once(db_path, env, serve):
    """``regwatch alerts send`` twice, the second (cron) starting during the first's run."""
    receiver = serve(SlowReceiver(POST_SECONDS))
    cat = _queue(db_path, [("webhook", f"{receiver.url}/hook/{i}") for i in range(HOOKS)], EVENTS)
    expected = {row["idempotency_key"] for row in cat.alerts()}
    env.setenv("REGWATCH_OUTBOX_CLAIM_SECONDS", "1.5")
    cmd = [REGWATCH, "alerts", "send", "--db", db_path, "--no-record", "--json"]
    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while len(receiver.keys) < 8 and time.monotonic() < deadline:  # the first is sending
        time.sleep(0.05)
    second = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    reports = [json.loads(proc.communicate(timeout=120)[0]) for proc in (first, second)]

    posts = Counter(receiver.keys)
    assert set(posts) == expected and sorted(set(posts.values())) == [1]
    assert sum(r["sent"] for r in reports) == len(expected)
    assert [r["lease_lost"] for r in reports] == [0, 0]
    print(f"\n{len(expected)} alerts, 2 processes: {len(receiver.keys)} POSTs, "
          f"{' + '.join(str(r['sent']) for r in reports)} sent")


def test_a_lease_is_renewed_while_sending(db_path, env, serve):
    receiver = serve(SlowReceiver(1.5))
    cat = _queue(db_path, [("webhook", f"{receiver.url}/hook")], 1)
    settings = load_settings(outbox_claim_seconds=0.5)
    sender, reports = _send_in_thread(db_path, settings)
    assert receiver.arrived.wait(10)
    time.sleep(1.0)  # twice the lease: claimed at the start, it is held only if renewed
    other = catalogue.open_db(db_path)
    assert outbox.claim_due(other, clock_now(), settings) == []
    sender.join(10)
    assert reports[0]["sent"] == 1 and len(receiver.keys) == 1
    assert [a["status"] for a in cat.alerts()] == ["sent"]


def test_a_sender_whose_lease_was_taken_reports_it_and_counts_nothing(db_path, env, serve,
                                                                     monkeypatch):
    """A stalled sender (its renewals never happen) loses the lease to another sender."""
    receiver = serve(SlowReceiver(1.5))
    cat = _queue(db_path, [("webhook", f"{receiver.url}/hook")], 1)
    settings = load_settings(outbox_claim_seconds=0.5)
    monkeypatch.setattr(outbox, "renew", lambda db, deliveries, at, settings: [])
    sender, reports = _send_in_thread(db_path, settings)
    assert receiver.arrived.wait(10)
    time.sleep(0.8)  # the lease has run out
    other = catalogue.open_db(db_path)
    (taken,) = outbox.claim_due(other, clock_now(), settings)
    assert outbox.mark_sent(other, taken, clock_now(), "sent by the other sender") == 1
    sender.join(10)
    (report,) = reports
    assert (report["sent"], report["messages"], report["lease_lost"]) == (0, 0, 1)
    assert report["errors"][0]["status"] == "lease lost"
    (row,) = cat.alerts()
    assert row["status"] == "sent" and row["claim_token"] == taken["claim_token"]
    details = [r["detail"] for r in cat.db.query("select detail from alert_attempts order by id")]
    assert details[0] == "sent by the other sender"
    assert outbox.LEASE_LOST in details[1]


def test_a_hanging_webhook_does_not_delay_email(db_path, env, serve):
    hanging = serve(Hanging())
    mails = 5
    # the webhook's alerts come first in the queue
    cat = _queue(db_path, [("webhook", hanging.url), ("email", "officer@example.com")], mails)
    timeout = 2.0
    arrived: list[float] = []
    with SmtpSink() as sink:
        env.setenv("REGWATCH_SMTP_URL", sink.url)
        settings = load_settings(webhook_timeout=timeout)
        done = threading.Event()

        def watch() -> None:
            while not done.is_set() and len(arrived) < mails:
                if len(sink.messages) > len(arrived):
                    arrived.extend([time.monotonic()] * (len(sink.messages) - len(arrived)))
                time.sleep(0.01)

        watcher = threading.Thread(target=watch)
        started = time.monotonic()
        watcher.start()
        report = send_due(cat.db, settings=settings)
        elapsed = time.monotonic() - started
        done.set()
        watcher.join()
        assert len(sink.messages) == mails
    last_mail = arrived[-1] - started
    assert last_mail < timeout + 0.5
    assert (report["sent"], report["retrying"]) == (mails, mails)
    # the dead webhook costs one timeout per run, not one per alert
    assert elapsed < timeout + 1.5
    assert len(hanging.connections) <= settings.webhook_workers
    hook_rows = [a for a in cat.alerts() if a["subscription_id"] == 1]
    assert {(a["status"], a["attempts"]) for a in hook_rows} == {("pending", 1)}
    assert all("webhook unreachable" in a["last_error"] for a in hook_rows)
    print(f"\nhanging webhook (timeout {timeout} s) + {mails} e-mails: last e-mail after "
          f"{last_mail:.2f} s, run {elapsed:.2f} s, {len(hanging.connections)} connection(s) "
          f"to the dead webhook")


def test_a_channel_without_workers_of_its_own_still_gets_its_answer(db_path, env):
    """A channel no kind knows (a hand-edited row) is claimed by the "other" worker and
    fails for good with its reason, as before, next to an e-mail that is sent."""
    cat = _queue(db_path, [("email", "officer@example.com"), ("email", "pager@example.com")], 1)
    cat.db.execute("update subscriptions set channel = 'pager' where target = 'pager@example.com'")
    cat.db.conn.commit()
    with SmtpSink() as sink:
        env.setenv("REGWATCH_SMTP_URL", sink.url)
        report = send_due(cat.db, settings=load_settings())
        assert [m["To"] for m in sink.messages] == ["officer@example.com"]
    assert (report["sent"], report["failed"]) == (1, 1)
    assert report["errors"][0]["reason"] == "unknown channel 'pager'"
    assert sorted(a["status"] for a in cat.alerts()) == ["failed", "sent"]


def test_a_trickling_webhook_is_cut_at_its_timeout(db_path, env, serve):
    trickle = serve(Trickle())
    cat = _queue(db_path, [("webhook", trickle.url)], 1)
    timeout = 1.0
    sender, reports = _send_in_thread(db_path, load_settings(webhook_timeout=timeout))
    sender.join(timeout + 1.0)
    assert not sender.is_alive(), "the sending run is still held by the trickling webhook"
    assert reports[0]["retrying"] == 1
    (row,) = cat.alerts()
    assert (row["status"], row["last_error"]) == ("pending", "webhook unreachable: no answer within 1 s")
