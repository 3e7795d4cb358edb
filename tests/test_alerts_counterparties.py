"""A watched counterparty file (#16 item 5): the mirror crawled over days, a subscription
watching a CSV, a real aiosmtpd server on 127.0.0.1.

Universal Logistics Holdings is listed by MOFCOM 2025 No. 21 (mirror day 1: listed on
2025-04-04, its measures suspended for a year from 2025-11-10) and suspended again by the
invented day-3 notice (to 2027-03-01). The subscription watches it under a
variant of its name, plus two names that are not listed. The subscription takes
first-load events (``--include-baseline``), since the mirror's list announcements are all
on day 1: the listing and the 2025 suspension are one alert each on day 1, the day-3
suspension one more, and a re-crawl adds none. It takes the entity kinds only, so the
catalogue's source-health alerts (which go to everyone) stay out of the count.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from alerts import kinds, subscriptions
from alerts.matching import Facts, SubscriptionIndex, match_each
from alerts.sink import SmtpSink
from mirror.server import start_in_thread
from mirror.site import Mirror
from regwatch.cli import cli
from regwatch.jobs import run_once
from screening import lists
from screening.match import Screener
from store import catalogue

WATCHED = ("name,country,address,aliases\n"
           "\"UNIVERSAL LOGISTICS HOLDINGS INC\",US,,\n"
           "Universal Robots A/S,DK,,\n"
           "\"Acme Widgets Co., Ltd.\",CN,,Acme\n")
ULH = "universal-logistics-holdings"  # the id read from the crawled No. 21 annex


def _outbox(path: str) -> list[dict]:
    db = catalogue.open_db(path)
    rows = [dict(r) for r in db.query(
        "select o.status, o.matched, e.kind, e.dedupe_key, e.payload from outbox o "
        "join events e on e.id = o.event_id order by o.id")]
    db.close()
    return rows


def _send(path: str) -> None:
    result = CliRunner().invoke(cli, ["alerts", "send", "--db", path])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def watched(tmp_path_factory):
    root = tmp_path_factory.mktemp("counterparties")
    path, csv_path = str(root / "catalogue.db"), root / "watched.csv"
    csv_path.write_text(WATCHED, encoding="utf-8")
    catalogue.open_db(path).close()  # subscribe needs a catalogue; only crawl/init create one
    result = CliRunner().invoke(cli, ["subscribe", "--db", path, "--email", "cp@example.com",
                                      "--name", "cp", "--counterparties", str(csv_path),
                                      "--include-baseline", "--json",
                                      *(a for k in kinds.ENTITY_KINDS for a in ("--event", k))])
    assert result.exit_code == 0, result.output
    assert [c["name"] for c in json.loads(result.output)["counterparties"]] == [
        "UNIVERSAL LOGISTICS HOLDINGS INC", "Universal Robots A/S", "Acme Widgets Co., Ltd."]
    return path


def test_listing_then_suspension_one_alert_each_and_none_on_recrawl(watched, monkeypatch):
    monkeypatch.setenv("REGWATCH_ALERTS_NOW", "2026-11-29T04:00:00Z")
    server = start_in_thread(Mirror(day=1))
    try:
        with SmtpSink() as sink:
            monkeypatch.setenv("REGWATCH_SMTP_URL", sink.url)
            day1 = run_once(watched, mirror=server.url)
            assert day1["alerts"]["by_kind"].get(kinds.ENTITY_LISTED, 0) >= 60  # every listing
            rows = [r for r in _outbox(watched) if r["kind"] in kinds.ENTITY_KINDS]
            assert [(r["kind"], json.loads(r["payload"])["entity"]["id"]) for r in rows] == [
                (kinds.ENTITY_LISTED, ULH), (kinds.ENTITY_SUSPENDED, ULH)]
            assert json.loads(rows[1]["payload"])["until"] == "2026-11-10"
            matched = json.loads(rows[0]["matched"])
            assert matched["counterparties"] == ["UNIVERSAL LOGISTICS HOLDINGS INC"]
            assert matched["screening"][0]["score"] >= 0.85
            _send(watched)
            assert len(sink.messages) == 2
            mail = sink.messages[0]
            assert "Universal Logistics Holdings, Inc." in mail["Subject"]
            assert "counterparty listed" in mail["Subject"] and "control" in mail["Subject"]
            body = mail.get_body(("plain",)).get_content()
            assert "MOFCOM-2025-21" in body and "UNIVERSAL LOGISTICS HOLDINGS INC" in body

            server.mirror.set_day(3)
            day3 = run_once(watched, mirror=server.url)
            assert day3["lists"]["events"] == 3
            assert day3["alerts"]["by_kind"].get(kinds.ENTITY_SUSPENDED) == 2
            assert day3["alerts"]["by_kind"].get(kinds.ENTITY_REMOVED) == 1
            rows = [r for r in _outbox(watched) if r["kind"] in kinds.ENTITY_KINDS]
            assert [(r["kind"], json.loads(r["payload"])["entity"]["id"]) for r in rows] == [
                (kinds.ENTITY_LISTED, ULH), (kinds.ENTITY_SUSPENDED, ULH),
                (kinds.ENTITY_SUSPENDED, ULH)]
            assert json.loads(rows[2]["payload"])["until"] == "2027-03-01"
            _send(watched)
            assert len(sink.messages) == 3
            assert "suspended" in sink.messages[2]["Subject"]
            assert "2027-03-01" in sink.messages[2]["Subject"]

            again = run_once(watched, mirror=server.url)
            assert again["alerts"]["events"] == 0 and again["alerts"]["alerts"] == 0
            _send(watched)
            assert len(sink.messages) == 3
    finally:
        server.shutdown()
        server.server_close()
    assert {r["status"] for r in _outbox(watched) if r["kind"] in kinds.ENTITY_KINDS} == {"sent"}


def test_entity_events_concern_only_matching_watchers_index_and_reference_agree():
    data = lists.load("mirror/data/entities.yaml")
    screener = Screener(lists.listings(data), lists.events(data))
    subs = [
        {**subscriptions.build("email", "a@example.com", counterparties=[
            {"name": "Skydio Inc.", "country": "US"}]), "id": 1},
        {**subscriptions.build("email", "b@example.com"), "id": 2},  # no topics
        {**subscriptions.build("email", "c@example.com", materials=["gallium"], counterparties=[
            {"name": "斯凱迪奧公司"}]), "id": 3},
        {**subscriptions.build("email", "d@example.com", counterparties=[
            {"name": "Acme Widgets Ltd"}]), "id": 4},
    ]
    index = SubscriptionIndex(subs)
    index.screener = screener
    for kind in kinds.ENTITY_KINDS:
        facts = Facts(kind=kind, source="mofcom", entities=["skydio"])
        got = [(s["id"], m["counterparties"]) for s, m in index.match(facts)]
        assert got == [(1, ["Skydio Inc."]), (3, ["斯凱迪奧公司"])]
        reference = [(s["id"], m) for s, m in match_each(subs, facts, screener=screener)]
        assert [(sid, m) for sid, m in reference] == [(s["id"], m) for s, m in index.match(facts)]
    new = Facts(kind=kinds.NEW, source="mofcom", materials=["gallium"])
    assert [s["id"] for s, _ in index.match(new)] == [2, 3]  # a counterparty file is a topic
