"""A portfolio is a subscription (#17 item 4): the sample portfolio watched over the
mirror's history, with a real aiosmtpd server and a real webhook receiver on 127.0.0.1.

The clock is frozen at 2026-11-25 (Beijing). What the sample portfolio's verdicts do then
(tests/gold/portfolio_expected.csv, and `regwatch portfolio upcoming`):

- day 1 (the mirror's first load): the verdicts are only recorded (baseline); 2026-11-28
  is 3 days ahead, when MOFCOM-2025-72's resumption makes seven US lanes stricter (six
  licence required → denied in principle, BAT-AG-US → stricter review): one reminder
  (slot 7);
- day 2 (2026 No. 1, Japan): the seven JP lanes go licence required → stricter review:
  one ``portfolio_changed`` naming them;
- day 3 (an entity-list notice) and a re-crawl: nothing;
- the clock on 2026-11-27: the 1-day reminder; on 2026-11-28: the seven US lanes'
  change itself (a day passing is news); again on that day: nothing.

The e-mail subscription is immediate; the webhook one takes a daily digest.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from alerts import kinds
from alerts.sink import SmtpSink
from mirror.server import start_in_thread
from mirror.site import Mirror
from regwatch.cli import cli
from regwatch.jobs import run_once
from store import catalogue

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "portfolio" / "samples" / "exporter.csv"
HOOK_SECRET = "portfolio-hook-secret-3c1"
JP = {"BAT-CELL-JP", "BAT-SPG-JP", "MAG-NDDY-44SH", "MAG-SC217-30H", "SEM-GAAS-6SI",
      "SEM-GEO2", "W-WC-POW-JP"}
US_ON_28 = {"BAT-AG-US": "stricter review", "SB-ATO-4N": "denied in principle",
            "SEM-GA-6N": "denied in principle", "SEM-GAAS-4N": "denied in principle",
            "SEM-GE-WIN": "denied in principle", "SEM-INSB": "denied in principle",
            "SH-DIA-US": "denied in principle"}


class Receiver(ThreadingHTTPServer):
    """A webhook endpoint that keeps every request."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.requests.append({"path": self.path, "headers": dict(self.headers),
                                         "body": json.loads(body)})
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def _cli(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    gc.collect()  # the command's catalogue connection is closed before anything else runs
    assert result.exit_code == 0, result.output
    return result.output


def _regwatch(*args: str) -> str:
    """A command in its own process, as a user or cron runs it (``alerts send`` between
    crawls: an in-process command would share this process's SQLite file locks)."""
    done = subprocess.run([sys.executable, "-c", "from regwatch.cli import cli; cli()", *args],
                          cwd=ROOT, env=dict(os.environ), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _alerts(path: str) -> list[dict]:
    db = catalogue.open_db(path)
    try:
        return [{**dict(r), "payload": json.loads(r["payload"])} for r in db.query(
            "select s.name, e.kind, e.baseline, e.dedupe_key, e.payload, o.status, o.matched "
            "from outbox o join events e on e.id = o.event_id "
            "join subscriptions s on s.id = o.subscription_id order by o.id")]
    finally:
        db.close()


def _events(path: str, kind: str) -> list[dict]:
    db = catalogue.open_db(path)
    try:
        return [{**dict(r), "payload": json.loads(r["payload"])} for r in db.query(
            "select kind, baseline, dedupe_key, payload from events where kind = ? order by id",
            [kind])]
    finally:
        db.close()


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """The whole story, run once; each test reads one chapter of it."""
    path = str(tmp_path_factory.mktemp("portfolio-alerts") / "catalogue.db")
    env = pytest.MonkeyPatch()
    for name in ("REGWATCH_CONFIG", "REGWATCH_ALERTS_LANG", "REGWATCH_REMINDER_DAYS"):
        env.delenv(name, raising=False)
    env.setenv("REGWATCH_WEBHOOK_SECRET", HOOK_SECRET)
    env.setenv("REGWATCH_ALERTS_NOW", "2026-11-25T04:00:00Z")
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    server = start_in_thread(Mirror(day=1))
    out: dict = {"path": path, "receiver": receiver}
    try:
        with SmtpSink() as sink:
            env.setenv("REGWATCH_SMTP_URL", sink.url)
            out["sink"] = sink
            catalogue.open_db(path).close()  # an empty catalogue, before the first crawl
            _cli("portfolio", "import", str(SAMPLE), "--db", path)
            refused = CliRunner().invoke(cli, ["subscribe", "--db", path, "--email",
                                               "x@example.com", "--portfolio", "nope"])
            # keep the answer, not the traceback: its frames hold the command's connection
            out["unknown"] = (refused.exit_code, refused.output)
            del refused
            gc.collect()
            out["mail_sub"] = json.loads(_cli(
                "subscribe", "--db", path, "--email", "trade@example.com", "--name", "mail",
                "--portfolio", "exporter", "--remind-days", "7", "--remind-days", "1", "--json"))
            out["hook_sub"] = json.loads(_cli(
                "subscribe", "--db", path, "--webhook", f"{receiver.url}/hook", "--name", "hook",
                "--portfolio", "exporter", "--digest", "09:00", "--timezone", "Asia/Shanghai",
                "--remind-days", "7", "--json"))
            out["listing"] = _cli("subscriptions", "--db", path)
            out["day1"] = run_once(path, mirror=server.url)
            out["after_day1"] = _alerts(path)
            _regwatch("alerts", "send", "--db", path)
            out["mails_day1"] = list(sink.messages)
            server.mirror.set_day(2)
            out["day2"] = run_once(path, mirror=server.url)
            out["after_day2"] = _alerts(path)
            _regwatch("alerts", "send", "--db", path)
            out["mails_day2"] = list(sink.messages)
            server.mirror.set_day(3)
            out["day3"] = run_once(path, mirror=server.url)
            out["again"] = run_once(path, mirror=server.url)
            out["after_again"] = _alerts(path)
            # the digest is due at 09:00 Beijing the next morning
            _regwatch("alerts", "send", "--db", path, "--now", "2026-11-26T01:30:00Z")
            out["hooks_26"] = list(receiver.requests)
            env.setenv("REGWATCH_ALERTS_NOW", "2026-11-27T04:00:00Z")
            out["send_27"] = _regwatch("alerts", "send", "--db", path, "--json")
            out["after_27"] = _alerts(path)
            env.setenv("REGWATCH_ALERTS_NOW", "2026-11-28T04:00:00Z")
            out["on_28"] = run_once(path, mirror=server.url)
            out["on_28_again"] = run_once(path, mirror=server.url)
            _regwatch("alerts", "send", "--db", path)
            out["after_28"] = _alerts(path)
            out["mails"] = list(sink.messages)
    finally:
        server.shutdown()
        server.server_close()
        receiver.shutdown()
        receiver.server_close()
        env.undo()
    return out


def _portfolio_alerts(rows: list[dict], name: str | None = None) -> list[dict]:
    return [r for r in rows if r["kind"] in kinds.PORTFOLIO_KINDS
            and (name is None or r["name"] == name)]


def test_subscribing_needs_a_portfolio_and_takes_its_kinds(history):
    assert history["unknown"][0] == 1
    assert "no portfolio named 'nope'" in history["unknown"][1]
    sub = history["mail_sub"]
    assert sub["portfolio"] == "exporter" and sub["reminder_days"] == [1, 7]
    assert sorted(sub["event_kinds"]) == sorted(kinds.PORTFOLIO_KINDS)
    assert "portfolio:exporter" in history["listing"]


def test_first_load_records_verdicts_and_reminds_of_the_date_ahead(history):
    assert history["day1"]["alerts"]["by_kind"].get(kinds.PORTFOLIO_CHANGED) is None
    rows = _portfolio_alerts(history["after_day1"])
    assert [(r["name"], r["kind"]) for r in rows] == [
        ("mail", kinds.PORTFOLIO_UPCOMING), ("hook", kinds.PORTFOLIO_UPCOMING)]
    payload = rows[0]["payload"]
    assert payload["date"] == "2026-11-28"
    assert payload["reminder"] == {"date": "2026-11-28", "days_left": 3, "days_before": 7}
    assert {c["sku"]: c["after"] for c in payload["changes"]} == US_ON_28
    assert {c["before"] for c in payload["changes"]} == {"licence required"}
    assert all(c["destination"] == "US" for c in payload["changes"])
    mails = history["mails_day1"]
    assert len(mails) == 1
    assert "portfolio exporter" in mails[0]["Subject"] and "in 3 days" in mails[0]["Subject"]
    body = mails[0].get_body(("plain",)).get_content()
    assert "SEM-GAAS-4N → US" in body and "licence required → denied in principle" in body


def test_a_new_notice_alerts_the_products_it_changes_once(history):
    assert history["day2"]["alerts"]["by_kind"].get(kinds.PORTFOLIO_CHANGED) == 1
    new = _portfolio_alerts(history["after_day2"])[len(_portfolio_alerts(history["after_day1"])):]
    assert [(r["name"], r["kind"], r["baseline"]) for r in new] == [
        ("mail", kinds.PORTFOLIO_CHANGED, 0), ("hook", kinds.PORTFOLIO_CHANGED, 0)]
    changes = new[0]["payload"]["changes"]
    assert {c["sku"] for c in changes} == JP
    assert {(c["before"], c["after"]) for c in changes} == {("licence required",
                                                             "stricter review")}
    assert all("MOFCOM-2026-1" in c["announcements_after"]
               and "MOFCOM-2026-1" not in c["announcements_before"] for c in changes)
    assert json.loads(new[0]["matched"])["portfolio"] == ["exporter"]
    mails = history["mails_day2"][len(history["mails_day1"]):]
    assert len(mails) == 1
    subject = mails[0]["Subject"]
    assert "7 product verdict(s) changed on 2026-11-25" in subject and "SEM-GEO2" in subject
    body = mails[0].get_body(("plain",)).get_content()
    assert "SEM-GEO2 → JP" in body and "licence required → stricter review" in body


def test_day_three_and_a_recrawl_add_nothing(history):
    for run in ("day3", "again"):
        by_kind = history[run]["alerts"]["by_kind"]
        assert not set(by_kind) & set(kinds.PORTFOLIO_KINDS), (run, by_kind)
    def keys(rows: list[dict]) -> list[tuple]:
        return [(r["name"], r["dedupe_key"]) for r in _portfolio_alerts(rows)]

    assert keys(history["after_again"]) == keys(history["after_day2"])
    on_25 = [e for e in _events(history["path"], kinds.PORTFOLIO_CHANGED)
             if e["payload"]["date"] == "2026-11-25"]
    assert len(on_25) == 1


def test_the_digest_carries_both_alerts_in_one_signed_post(history):
    hooks = history["hooks_26"]
    assert len(hooks) == 1
    body = hooks[0]["body"]
    assert body["digest"] is True
    assert [a["event"]["kind"] for a in body["alerts"]] == [kinds.PORTFOLIO_UPCOMING,
                                                            kinds.PORTFOLIO_CHANGED]
    assert {c["sku"] for c in body["alerts"][1]["event"]["payload"]["changes"]} == JP
    assert hooks[0]["headers"]["X-Regwatch-Signature"]


def test_reminder_slots_then_the_day_itself(history):
    upcoming = _events(history["path"], kinds.PORTFOLIO_UPCOMING)
    assert [(e["payload"]["reminder"]["days_left"], e["payload"]["reminder"]["days_before"])
            for e in upcoming] == [(3, 7), (1, 1)]  # slot 7 is one window: heard once
    after_27 = _portfolio_alerts(history["after_27"], "mail")
    assert [r["payload"]["reminder"]["days_before"] for r in after_27
            if r["kind"] == kinds.PORTFOLIO_UPCOMING] == [7, 1]
    assert [r["payload"]["reminder"]["days_before"] for r in
            _portfolio_alerts(history["after_27"], "hook")
            if r["kind"] == kinds.PORTFOLIO_UPCOMING] == [7]  # reminder_days [7]: once
    assert history["on_28"]["alerts"]["by_kind"].get(kinds.PORTFOLIO_CHANGED) == 1
    assert not set(history["on_28_again"]["alerts"]["by_kind"]) & set(kinds.PORTFOLIO_KINDS)
    changed = _events(history["path"], kinds.PORTFOLIO_CHANGED)
    assert len(changed) == 2 and changed[1]["baseline"] == 0
    assert {c["sku"]: c["after"] for c in changed[1]["payload"]["changes"]} == US_ON_28
    mail = _portfolio_alerts(history["after_28"], "mail")
    assert [r["kind"] for r in mail] == [kinds.PORTFOLIO_UPCOMING, kinds.PORTFOLIO_CHANGED,
                                         kinds.PORTFOLIO_UPCOMING, kinds.PORTFOLIO_CHANGED]
    assert {r["status"] for r in mail} == {"sent"}
    subjects = [m["Subject"] for m in history["mails"]]
    assert len(subjects) == 4, subjects
    assert "in 1 day" in subjects[2] and "changed on 2026-11-28" in subjects[3]


def test_kept_verdicts_tell_two_customers_of_one_sku_apart():
    """Two lanes of one SKU to the US, one per customer (portfolio/lanes.py): each keeps its
    own verdict, and only the lane whose verdict moved is named. Verdicts kept before a
    lane had its counterparty in its key (sku and destination alone) are still compared,
    for the lane whose content they were kept for."""
    from alerts.portfolio import verdict_changes

    def lane(customer: str) -> dict:
        return {"sku": "LENS", "destination": "US", "description": "germanium lenses",
                "hs_code": "90019090", "materials": ["germanium"], "end_use": None,
                "end_user": None, "counterparty": customer}

    def row(customer: str, verdict: str) -> dict:
        return {**lane(customer), "verdict": verdict, "announcements": ["MOFCOM-2025-46"],
                "why": verdict}

    lanes = [lane("Acme"), lane("Army Optics")]
    kept, changes = verdict_changes(None, lanes, [row("Acme", "licence required"),
                                                  row("Army Optics", "licence required")])
    assert sorted(kept) == ["LENS\x1fUS\x1fAcme", "LENS\x1fUS\x1fArmy Optics"] and changes == []
    _, changes = verdict_changes({"lanes": kept}, lanes, [
        row("Acme", "licence required"), row("Army Optics", "prohibited")])
    assert [(c["counterparty"], c["before"], c["after"]) for c in changes] == [
        ("Army Optics", "licence required", "prohibited")]
    old = {"lanes": {"LENS\x1fUS": kept["LENS\x1fUS\x1fAcme"]}}  # as kept before
    _, changes = verdict_changes(old, lanes, [row("Acme", "denied in principle"),
                                              row("Army Optics", "prohibited")])
    assert [(c["counterparty"], c["after"]) for c in changes] == [("Acme", "denied in principle")]
