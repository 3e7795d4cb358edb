"""Alerts end to end: the mirror crawled day 1 → day 2, delivered to real servers.

A real aiosmtpd SMTP server and a real HTTP webhook receiver on 127.0.0.1; the mirror
is crawled through the real spiders and extractor (``regwatch.jobs.run_once``). The
catalogue is built once per module and copied for each test. The clock is frozen at
2026-01-07 09:00 Beijing time (the day after day 2's announcement) so that no
effective-date reminder depends on the day the tests run.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import sqlite3
import threading
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from alerts import outbox
from alerts.delivery import send_due
from alerts.events import record_events
from alerts.sink import SmtpSink, free_port
from crawler.run import crawl
from mirror.server import start_in_thread
from mirror.site import Mirror
from regwatch.cli import cli
from regwatch.jobs import run_once
from store import catalogue

NOW = datetime(2026, 1, 7, 1, 0, tzinfo=UTC)
HOOK_SECRET = "test-hook-secret-9f2"
NEW = "MOFCOM-2026-1"        # day 2: new announcement (Japan, dual-use items)
CHANGED = "MOFCOM-2025-61"   # day 2: correction adds the 2025-12-01 effective date


class Receiver(ThreadingHTTPServer):
    """A webhook endpoint that records every request and answers from a script."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)
        self.requests: list[dict] = []
        self.script: dict[str, list[int]] = defaultdict(list)  # path -> statuses to answer
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.script.clear()

    def to(self, path: str) -> list[dict]:
        return [r for r in self.requests if r["path"] == path]


class _ReceiverHandler(BaseHTTPRequestHandler):
    server: Receiver

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            script = self.server.script[self.path]
            status = script.pop(0) if script else 200
            self.server.requests.append({"path": self.path, "headers": dict(self.headers),
                                         "body": body, "status": status})
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


def subscriptions(receiver: Receiver) -> list[tuple[str, list[str], set[str]]]:
    """(name, `regwatch subscribe` options, numbers it must be alerted about on day 2)."""
    port = receiver.server_address[1]
    return [
        ("rare-earths", ["--email", "re@example.com", "--material", "rare earths"], {CHANGED}),
        ("japan", ["--email", "jp@example.com", "--keyword", "日本", "--lang", "zh"], {NEW}),
        ("gallium", ["--email", "ga@example.com", "--material", "gallium"], set()),
        ("hs-8112", ["--email", "hs@example.com", "--hs-prefix", "8112"], set()),
        ("samarium-codes", ["--email", "sm@example.com", "--control-code-prefix", "1C902"],
         {CHANGED}),  # 61's annex lists 1C902.a-c
        ("tungsten-codes", ["--email", "w@example.com", "--control-code-prefix", "1C117"], set()),
        ("customs", ["--email", "gacc@example.com", "--source", "gacc"], set()),
        ("digest", ["--email", "digest@example.com", "--digest", "08:00",
                    "--timezone", "Asia/Shanghai"], {NEW, CHANGED}),
        ("hook", ["--webhook", f"{receiver.url}/hook", "--material", "稀土"], {CHANGED}),
        ("chat", ["--apprise", f"json://127.0.0.1:{port}/chat", "--keyword", "日本"], {NEW}),
    ]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    env = pytest.MonkeyPatch()
    for name in ("REGWATCH_CONFIG", "REGWATCH_ALERTS_LANG", "REGWATCH_REMINDER_DAYS"):
        env.delenv(name, raising=False)  # the defaults, whatever the developer's shell says
    env.setenv("REGWATCH_ALERTS_NOW", NOW.isoformat())
    env.setenv("REGWATCH_WEBHOOK_SECRET", HOOK_SECRET)
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    server = start_in_thread(Mirror(day=1))
    path = str(tmp_path_factory.mktemp("alerts") / "template.db")
    catalogue.open_db(path).close()  # subscribe needs a catalogue; only crawl/init create one
    ids = {}
    for name, options, _ in subscriptions(receiver):
        result = CliRunner().invoke(cli, ["subscribe", "--db", path, "--name", name, *options,
                                          "--json"])
        assert result.exit_code == 0, result.output
        ids[name] = json.loads(result.output)["id"]
    day1 = run_once(path, mirror=server.url)
    server.mirror.set_day(2)
    day2 = run_once(path, mirror=server.url)
    yield {"path": path, "mirror": server, "receiver": receiver, "ids": ids,
           "day1": day1, "day2": day2}
    server.shutdown()
    server.server_close()
    receiver.shutdown()
    receiver.server_close()
    env.undo()


@pytest.fixture
def scenario(crawled, tmp_path, monkeypatch):
    """A private copy of the crawled catalogue, a reset receiver, the frozen clock."""
    monkeypatch.setenv("REGWATCH_ALERTS_NOW", NOW.isoformat())
    monkeypatch.setenv("REGWATCH_WEBHOOK_SECRET", HOOK_SECRET)
    path = str(tmp_path / "catalogue.db")
    source, target = sqlite3.connect(crawled["path"]), sqlite3.connect(path)
    source.backup(target)
    source.close()
    target.close()
    crawled["receiver"].reset()
    return {**crawled, "path": path}


def _outbox(path: str, name: str) -> list[dict]:
    db = catalogue.open_db(path)
    rows = [dict(r) for r in db.query(
        "select o.*, e.number from outbox o join events e on e.id = o.event_id "
        "join subscriptions s on s.id = o.subscription_id where s.name = ? order by o.id", [name])]
    db.close()
    return rows


def _mails(sink: SmtpSink) -> dict[str, list]:
    by_rcpt: dict[str, list] = defaultdict(list)
    for message in sink.messages:
        by_rcpt[message["To"]].append(message)
    return dict(by_rcpt)


def _send(path: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["alerts", "send", "--db", path, *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_first_load_records_events_but_alerts_nobody(crawled):
    alerts = crawled["day1"]["alerts"]
    assert alerts["events"] > 30 and alerts["baseline"] == alerts["events"]
    assert alerts["alerts"] == 0
    day2 = crawled["day2"]["alerts"]
    assert day2["by_kind"] == {"new": 1, "changed": 1}
    assert day2["baseline"] == 0


def test_day2_alerts_each_matching_subscription_once_and_no_one_else(scenario, monkeypatch):
    receiver = scenario["receiver"]
    with SmtpSink() as sink:
        monkeypatch.setenv("REGWATCH_SMTP_URL", sink.url)
        output = _send(scenario["path"])
        assert output.startswith("sent 5 alert(s) in 5 message(s) (0 digest(s)); 0 to retry, 0 failed")
        mails = _mails(sink)
    assert sorted(mails) == ["jp@example.com", "re@example.com", "sm@example.com"]
    assert [len(m) for m in mails.values()] == [1, 1, 1]
    codes = mails["sm@example.com"][0].get_body(("plain",)).get_content()
    assert "Control codes: 1C902.a, 1C902.b, 1C902.c" in codes and "· 1C902.a " in codes
    (re_mail,), (jp_mail,) = mails["re@example.com"], mails["jp@example.com"]
    assert CHANGED in re_mail["Subject"] and "Effective dates" in re_mail["Subject"]
    assert NEW in jp_mail["Subject"] and "新公告" in jp_mail["Subject"]
    body = re_mail.get_body(("plain",)).get_content()
    assert "2025-10-09 → 2025-10-09, 2025-12-01" in body
    assert "https://www.mofcom.gov.cn/zwgk/zcfb/art/2025/art_7fc9bff0fb4546ecb02f66ee77d0e5f6.html" in body
    assert re.search(r"Materials: .*(rare earths|samarium)", body) and "regwatch show " in body
    html = re_mail.get_body(("html",)).get_content()
    assert "<ins>2025-10-09, 2025-12-01</ins>" in html
    (re_row,) = _outbox(scenario["path"], "rare-earths")
    assert re_mail["Message-ID"] == f"<{re_row['idempotency_key']}@localhost>"
    assert re_mail["X-Regwatch-Idempotency-Key"] == re_row["idempotency_key"]

    (hook,) = receiver.to("/hook")
    (hook_row,) = _outbox(scenario["path"], "hook")
    assert hook["headers"]["Idempotency-Key"] == hook_row["idempotency_key"]
    expected = hmac.new(HOOK_SECRET.encode(), hook["body"], hashlib.sha256).hexdigest()
    assert hook["headers"]["X-Regwatch-Signature"] == f"sha256={expected}"
    payload = json.loads(hook["body"])
    assert [a["event"]["number"] for a in payload["alerts"]] == [CHANGED]
    assert payload["alerts"][0]["event"]["payload"]["changes"]["effective_dates"]["added"] == ["2025-12-01"]
    (chat,) = receiver.to("/chat")
    assert NEW in json.loads(chat["body"])["title"]

    for name, _, numbers in subscriptions(receiver):
        rows = _outbox(scenario["path"], name)
        assert {r["number"] for r in rows} == numbers, name
        status = "pending" if name == "digest" else "sent"
        assert {r["status"] for r in rows} <= {status}, name
    pending = CliRunner().invoke(cli, ["alerts", "--pending", "--json", "--db", scenario["path"]])
    assert sorted(r["number"] for r in json.loads(pending.output)) == sorted([NEW, CHANGED])


def test_crawling_day2_again_sends_nothing_new(scenario, monkeypatch):
    receiver = scenario["receiver"]
    with SmtpSink() as sink:
        monkeypatch.setenv("REGWATCH_SMTP_URL", sink.url)
        _send(scenario["path"])
        assert len(sink.messages) == 3 and len(receiver.requests) == 2
        result = CliRunner().invoke(cli, ["crawl", "--db", scenario["path"],
                                          "--mirror", scenario["mirror"].url, "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["new_versions"] == 0
        output = _send(scenario["path"], "--json")
        report = json.loads(output)
        assert report["recorded"]["events"] == 0
        assert (report["sent"], report["messages"]) == (0, 0)
        assert len(sink.messages) == 3 and len(receiver.requests) == 2


def test_smtp_down_keeps_alerts_pending_then_delivers_each_once(scenario, monkeypatch):
    port = free_port()
    monkeypatch.setenv("REGWATCH_SMTP_URL", f"smtp://127.0.0.1:{port}")
    db = catalogue.open_db(scenario["path"])
    report = send_due(db, now=NOW)
    assert (report["sent"], report["retrying"], report["failed"]) == (2, 3, 0)  # webhook + chat sent
    for name in ("rare-earths", "japan", "samarium-codes"):
        (row,) = _outbox(scenario["path"], name)
        assert (row["status"], row["attempts"]) == ("pending", 1)
        assert row["last_error"].startswith("SMTP server unavailable")
    with SmtpSink(port) as sink:
        assert send_due(db, now=NOW + timedelta(seconds=30))["sent"] == 0  # backing off
        report = send_due(db, now=NOW + timedelta(minutes=2))
        assert (report["sent"], report["retrying"]) == (3, 0)
        assert send_due(db, now=NOW + timedelta(hours=1))["sent"] == 0
        mails = _mails(sink)
    assert {k: len(v) for k, v in mails.items()} == \
        {"re@example.com": 1, "jp@example.com": 1, "sm@example.com": 1}
    for name in ("rare-earths", "japan", "samarium-codes"):
        (row,) = _outbox(scenario["path"], name)
        assert (row["status"], row["attempts"]) == ("sent", 2)
    assert len(scenario["receiver"].requests) == 2


def test_webhook_500_then_200_gets_the_alert_once_with_one_key(scenario, monkeypatch):
    receiver = scenario["receiver"]
    receiver.script["/hook"] = [500]
    with SmtpSink() as sink:
        monkeypatch.setenv("REGWATCH_SMTP_URL", sink.url)
        db = catalogue.open_db(scenario["path"])
        first = send_due(db, now=NOW)
        assert first["retrying"] == 1 and first["errors"][0]["reason"] == "webhook answered HTTP 500"
        assert send_due(db, now=NOW + timedelta(minutes=2))["sent"] == 1
        assert send_due(db, now=NOW + timedelta(hours=2))["sent"] == 0
    tries = receiver.to("/hook")
    assert [t["status"] for t in tries] == [500, 200]
    keys = {t["headers"]["Idempotency-Key"] for t in tries}
    (row,) = _outbox(scenario["path"], "hook")
    assert keys == {row["idempotency_key"]}
    assert tries[0]["body"] == tries[1]["body"]
    assert (row["status"], row["attempts"]) == ("sent", 2)


def test_digest_subscription_gets_one_message_for_the_day(scenario, monkeypatch):
    with SmtpSink() as sink:
        monkeypatch.setenv("REGWATCH_SMTP_URL", sink.url)
        _send(scenario["path"])
        assert "digest@example.com" not in _mails(sink)  # due at 08:00 Beijing, 2026-01-08
        output = _send(scenario["path"], "--now", "2026-01-08T00:00:05Z")
        assert output.startswith("sent 2 alert(s) in 1 message(s) (1 digest(s))")
        _send(scenario["path"], "--now", "2026-01-08T09:00:00Z")
        digests = _mails(sink)["digest@example.com"]
    assert len(digests) == 1
    (digest,) = digests
    rows = _outbox(scenario["path"], "digest")
    first, second = (r["number"] for r in rows)  # in the order the events were recorded
    assert digest["Subject"] == f"[regwatch] Daily digest 2026-01-08: 2 alerts ({first}, {second})"
    text = digest.get_body(("plain",)).get_content()
    assert f"\n1. {first} — " in "\n" + text and f"\n2. {second} — " in text
    assert f"{NEW} — new announcement" in text and f"{CHANGED} — announcement changed" in text
    assert {r["status"] for r in rows} == {"sent"} and len({r["delivery_key"] for r in rows}) == 1
    assert digest["Message-ID"] == f"<{rows[0]['delivery_key']}@localhost>"


class Crash(BaseException):
    """The process dies (not an error the sender could catch)."""


@pytest.mark.parametrize("name", ["rare-earths", "hook"])
def test_a_crash_between_sending_and_marking_resends_with_the_same_key(scenario, monkeypatch, name):
    real_mark = outbox.mark_sent
    crashed = []

    def mark_then_die(db, delivery, at, detail=""):
        if delivery["subscription"]["name"] == name and not crashed:
            crashed.append(delivery["delivery_key"])
            raise Crash
        return real_mark(db, delivery, at, detail)

    receiver = scenario["receiver"]
    with SmtpSink() as sink:
        monkeypatch.setenv("REGWATCH_SMTP_URL", sink.url)
        monkeypatch.setattr(outbox, "mark_sent", mark_then_die)
        db = catalogue.open_db(scenario["path"])
        with pytest.raises(Crash):
            send_due(db, now=NOW)
        db.close()
        db = catalogue.open_db(scenario["path"])  # a new process
        assert send_due(db, now=NOW + timedelta(seconds=60))["sent"] == 0  # still leased
        send_due(db, now=NOW + timedelta(minutes=6))
        send_due(db, now=NOW + timedelta(minutes=12))
        mails = _mails(sink)
    if name == "hook":
        tries = receiver.to("/hook")
        assert len(tries) == 2
        assert {t["headers"]["Idempotency-Key"] for t in tries} == set(crashed)
        assert {k: len(v) for k, v in mails.items()} == \
            {"re@example.com": 1, "jp@example.com": 1, "sm@example.com": 1}
    else:
        resent = mails["re@example.com"]
        assert len(resent) == 2
        assert {m["Message-ID"] for m in resent} == {f"<{crashed[0]}@localhost>"}
        assert len(mails["jp@example.com"]) == 1 and len(receiver.to("/hook")) == 1
    assert len(receiver.to("/chat")) == 1
    for sub_name in ("rare-earths", "japan", "hook", "chat"):
        assert [r["status"] for r in _outbox(scenario["path"], sub_name)] == ["sent"], sub_name


def test_a_list_that_stops_yielding_alerts_source_unhealthy_then_recovered(make_mirror, db_path,
                                                                          monkeypatch):
    """Source health needs no extraction: crawl runs and their errors are enough."""
    monkeypatch.setenv("REGWATCH_ALERTS_NOW", NOW.isoformat())
    catalogue.open_db(db_path).close()
    result = CliRunner().invoke(cli, ["subscribe", "--db", db_path, "--email", "ops@example.com",
                                      "--material", "gallium", "--source", "gacc"])
    assert result.exit_code == 0, result.output
    clear, broken = make_mirror(day=1), make_mirror(day=1, faults={"empty-list"})
    kinds = []
    for server in (clear, broken, clear):
        runs = crawl(["gacc"], db_path, mirror=server.url)
        db = catalogue.open_db(db_path)
        kinds.append(record_events(db, runs)["by_kind"])
        db.close()
    assert kinds == [{}, {"source_unhealthy": 1}, {"source_recovered": 1}]
    with SmtpSink() as sink:
        monkeypatch.setenv("REGWATCH_SMTP_URL", sink.url)
        _send(db_path)
        subjects = [m["Subject"] for m in sink.messages]
        body = sink.messages[0].get_body(("plain",)).get_content()
    assert subjects == ["[regwatch] gacc — source unhealthy", "[regwatch] gacc — source recovered"]
    assert "the list page yields no announcements (it used to)" in body
    assert "empty-list: http://www.customs.gov.cn/customs/302249/302266/302267/index.html" in body
