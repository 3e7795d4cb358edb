"""The outbox, messages, subscriptions and secrets, without a crawl.

Delivery here goes to closed loopback ports (a real connection refused), or renders
messages without sending; the real SMTP and webhook servers are in
test_alerts_delivery.py.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from conftest import GALLIUM, NOW, RARE_EARTH, Catalogue, _with

from alerts import messages, outbox, subscriptions
from alerts.delivery import send_due
from alerts.errors import InvalidSubscription
from alerts.events import record_events
from alerts.secrets import redact
from alerts.settings import load_settings
from alerts.sink import free_port
from regwatch.cli import cli


@pytest.fixture
def cat(db_path) -> Catalogue:
    return Catalogue(db_path)


def _queue_one(cat: Catalogue, **sub) -> int:
    """A first load, then one new announcement that the subscription matches."""
    sub_id = cat.subscribe(**sub)
    cat.run(pages=[("a", GALLIUM, "镓 v1")])
    record_events(cat.db, [], now=NOW)
    cat.run(pages=[("b", RARE_EARTH, "钐 钆 v1")])
    assert record_events(cat.db, [], now=NOW)["alerts"] == 1
    return sub_id


# -- retries, failures, requeue ---------------------------------------------------------

def test_unreachable_webhook_backs_off_then_fails_with_its_reason(cat, monkeypatch):
    monkeypatch.setenv("REGWATCH_WEBHOOK_SECRET", "s3cret-value")
    sub = _queue_one(cat, channel="webhook", target=f"http://127.0.0.1:{free_port()}/hook",
                     materials=["samarium"])
    settings = load_settings(outbox_max_attempts=3, outbox_retry_base_seconds=60)
    report = send_due(cat.db, now=NOW, settings=settings)
    assert (report["sent"], report["retrying"], report["failed"]) == (0, 1, 0)
    row = cat.alerts(sub)[0]
    assert row["status"] == "pending" and row["attempts"] == 1
    assert "webhook unreachable" in row["last_error"]
    assert row["next_attempt_at"].startswith("2026-01-07T01:01:00")
    # not due yet: nothing is tried
    assert send_due(cat.db, now=NOW + timedelta(seconds=30), settings=settings)["retrying"] == 0
    assert send_due(cat.db, now=NOW + timedelta(seconds=61), settings=settings)["retrying"] == 1
    assert cat.alerts(sub)[0]["next_attempt_at"].startswith("2026-01-07T01:03:01")  # 120 s
    assert send_due(cat.db, now=NOW + timedelta(hours=1), settings=settings)["failed"] == 1
    row = cat.alerts(sub)[0]
    assert (row["status"], row["attempts"]) == ("failed", 3)
    tries = list(cat.db.query("select ok, retry from alert_attempts order by id"))
    assert [(t["ok"], t["retry"]) for t in tries] == [(0, 1), (0, 1), (0, 0)]
    assert "s3cret-value" not in json.dumps(tries)

    result = CliRunner().invoke(cli, ["alerts", "--failed", "--json", "--db", cat.path])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [(r["status"], r["number"]) for r in listed] == [("failed", "MOFCOM-2025-18")]
    assert "webhook unreachable" in listed[0]["last_error"]
    result = CliRunner().invoke(cli, ["alerts", "retry", "--db", cat.path])
    assert result.output.strip() == "1 alert(s) queued again"
    assert cat.alerts(sub)[0]["status"] == "pending"


def test_unsubscribe_cancels_what_was_not_sent(cat):
    sub = _queue_one(cat, materials=["samarium"])
    result = CliRunner().invoke(cli, ["unsubscribe", str(sub), "--db", cat.path])
    assert result.exit_code == 0, result.output
    assert "1 unsent alert(s) cancelled" in result.output
    assert cat.alerts(sub)[0]["status"] == "cancelled"
    assert send_due(cat.db, now=NOW)["messages"] == 0
    assert CliRunner().invoke(cli, ["unsubscribe", "999", "--db", cat.path]).exit_code == 1


def test_a_claimed_alert_is_not_sent_twice_by_two_senders(cat):
    _queue_one(cat, materials=["samarium"])
    first = outbox.claim_due(cat.db, NOW)
    assert [len(d["alerts"]) for d in first] == [1]
    assert outbox.claim_due(cat.db, NOW + timedelta(seconds=10)) == []
    # the lease ends: the same alert (same key) is claimable again
    later = outbox.claim_due(cat.db, NOW + timedelta(seconds=load_settings().outbox_claim_seconds + 1))
    assert [d["delivery_key"] for d in later] == [first[0]["delivery_key"]]


def test_idempotency_key_is_stable_and_per_subscription_and_event(cat):
    a = outbox.idempotency_key("t", 1, 2)
    assert a == outbox.idempotency_key("t", 1, 2)
    assert len({a, outbox.idempotency_key("t", 2, 1), outbox.idempotency_key("u", 1, 2)}) == 3


def test_digest_time_is_the_next_local_hour():
    sub = {"digest_at": "08:00", "timezone": "Asia/Shanghai"}
    assert outbox.next_digest(sub, NOW).astimezone(UTC) == datetime(2026, 1, 8, 0, 0, tzinfo=UTC)
    early = datetime(2026, 1, 6, 23, 0, tzinfo=UTC)  # 07:00 in Beijing
    assert outbox.next_digest(sub, early).astimezone(UTC) == datetime(2026, 1, 7, 0, 0, tzinfo=UTC)


# -- messages ---------------------------------------------------------------------------

def _alert(payload: dict, kind: str = "new", matched: dict | None = None) -> dict:
    return {"id": 1, "event_id": 7, "event_kind": kind, "idempotency_key": "k" * 40,
            "payload": payload, "matched": matched or {}, "number": payload.get("number"),
            "title": payload.get("title"), "url": payload.get("url"), "priority": "high",
            "document_id": 3, "due_at": "2026-01-08T00:00:00.000000Z"}


def test_html_escapes_everything_from_the_page():
    payload = {"number": "MOFCOM-2026-1", "title": "<script>alert(1)</script>公告",
               "issuers": ["MOFCOM"], "effective_dates": ["2026-01-06"], "document_id": 3,
               "url": "javascript:alert(2)"}
    matched = {"items": [{"text": "<b>镓</b>", "hs_codes": ["8112929090"]}], "materials": ["gallium"]}
    msg = messages.render({"id": 5, "lang": "en"}, [_alert(payload, matched=matched)], "k" * 40)
    assert "<script>" not in msg.html and "&lt;script&gt;alert(1)&lt;/script&gt;" in msg.html
    assert "<b>镓</b>" not in msg.html and "&lt;b&gt;镓&lt;/b&gt;" in msg.html
    assert "javascript:" not in msg.html  # not a link anyone can click
    assert "<script>alert(1)</script>公告" in msg.text  # the plain text is the text
    assert msg.subject.startswith("[regwatch] MOFCOM-2026-1 — new announcement")
    assert "document #3 (regwatch show 3), event #7" in msg.text


def test_message_language_follows_the_subscription():
    payload = {"number": "MOFCOM-2025-61", "title": "稀土", "issuers": ["MOFCOM", "GACC"],
               "issue_date": "2025-10-09", "effective_dates": ["2025-10-09", "2025-12-01"],
               "changes": {"effective_dates": {"before": ["2025-10-09"],
                                               "after": ["2025-10-09", "2025-12-01"],
                                               "added": ["2025-12-01"], "removed": []}}}
    zh = messages.render({"id": 1, "lang": "zh"}, [_alert(payload, "changed",
                                                          {"materials": ["samarium"]})], "k")
    en = messages.render({"id": 1, "lang": "en"}, [_alert(payload, "changed",
                                                          {"materials": ["samarium"]})], "k")
    assert zh.subject == "【regwatch】MOFCOM-2025-61 — 公告内容变更: 生效日期"
    assert "发布机关: 商务部, 海关总署" in zh.text and "物项材料: 钐" in zh.text
    assert en.subject == "[regwatch] MOFCOM-2025-61 — announcement changed: Effective dates"
    assert "Effective dates: 2025-10-09 → 2025-10-09, 2025-12-01" in en.text
    assert "Materials: samarium" in en.text


@pytest.mark.parametrize("url", [
    "tgram://123456789:abcdefg_hijklmnop/12315544/",
    "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general",
    "json://127.0.0.1:9/hook",
])
def test_chat_messages_fit_each_services_limits(url):
    import apprise

    plugin = apprise.Apprise.instantiate(url)
    items = [{"control_code": f"1C9{i:02d}.a", "text": "钐金属；钐钴永磁体" * 20,
              "hs_codes": ["2805301910"]} for i in range(400)]
    payload = {"number": "MOFCOM-2025-18", "title": "稀土" * 300, "issuers": ["MOFCOM"],
               "effective_dates": ["2025-04-04"], "url": "https://www.mofcom.gov.cn/a.html",
               "document_id": 3}
    msg = messages.render({"id": 1, "lang": "en"},
                          [_alert(payload, matched={"materials": ["samarium"], "items": items})], "k")
    title, body = msg.chat(plugin.title_maxlen, plugin.body_maxlen)
    assert len(body) <= plugin.body_maxlen and len(title) <= max(plugin.title_maxlen, 0)
    assert "MOFCOM-2025-18" in (title + body)
    small_title, small = msg.chat(0, 500)
    assert len(small) <= 500 and small.startswith("[regwatch] MOFCOM-2025-18")
    assert "https://www.mofcom.gov.cn/a.html" in body


# -- subscriptions and secrets ----------------------------------------------------------

def test_apprise_url_with_tokens_in_clear_is_refused(cat):
    with pytest.raises(InvalidSubscription, match="tokens in clear"):
        subscriptions.build("apprise", "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general")
    row = subscriptions.build("apprise", "slack://${SLACK_A}/${SLACK_B}/${SLACK_C}/#general")
    assert subscriptions.add(cat.db, row)["target"].startswith("slack://${SLACK_A}")
    result = CliRunner().invoke(cli, ["subscribe", "--db", cat.path, "--apprise",
                                      "tgram://123456789:abcdefg_hijklmnop/12315544/"])
    assert result.exit_code == 1 and "abcdefg_hijklmnop" not in result.output


def test_secrets_never_reach_the_catalogue_or_the_output(cat, monkeypatch):
    token = "tok-Zq81xxYY"
    monkeypatch.setenv("HOOK_TOKEN", token)
    monkeypatch.setenv("REGWATCH_WEBHOOK_SECRET", "hmac-K3y-value")
    port = free_port()
    sub = _queue_one(cat, channel="webhook", target=f"http://127.0.0.1:{port}/h?token=${{HOOK_TOKEN}}",
                     materials=["samarium"])
    send_due(cat.db, now=NOW)
    assert "webhook unreachable" in cat.alerts(sub)[0]["last_error"]
    listing = CliRunner().invoke(cli, ["subscriptions", "--json", "--db", cat.path]).output
    queue = CliRunner().invoke(cli, ["alerts", "--json", "--db", cat.path]).output
    cat.db.close()
    raw = b"".join(open(cat.path + s, "rb").read() for s in ("", "-wal") if os.path.exists(cat.path + s))
    for secret in (token, "hmac-K3y-value"):
        assert secret.encode() not in raw
        assert secret not in listing and secret not in queue
    assert "REGWATCH_WEBHOOK_SECRET" in listing  # the name is kept, not the value


def test_redact_masks_plain_and_quoted_values():
    assert redact("GET /h?t=a%2Fb&x=a/b failed", ["a/b"]) == "GET /h?t=***&x=*** failed"


def test_secrets_file_must_be_private(tmp_path, monkeypatch):
    from alerts import secrets
    from alerts.errors import MissingSecret

    path = tmp_path / "secrets.toml"
    path.write_text('HOOK_KEY = "from-file"\n')
    monkeypatch.setenv("REGWATCH_SECRETS_FILE", str(path))
    monkeypatch.delenv("HOOK_KEY", raising=False)
    path.chmod(0o644)
    with pytest.raises(MissingSecret, match="readable by others"):
        secrets.lookup("HOOK_KEY")
    path.chmod(0o600)
    assert secrets.lookup("HOOK_KEY") == "from-file"
    monkeypatch.setenv("HOOK_KEY", "from-env")
    assert secrets.lookup("HOOK_KEY") == "from-env"


TOML = """
[[subscription]]
name = "gallium desk"
email = "ga@example.com"
materials = ["镓", "germanium"]
hs_prefixes = ["8112"]
digest = "08:00"
timezone = "Asia/Shanghai"
lang = "zh"

[[subscription]]
name = "rare-earth hook"
webhook = "https://hooks.example.org/regwatch"
webhook_secret_env = "RE_HOOK_SECRET"
control_code_prefixes = ["1C90"]
events = ["new", "changed", "suspended"]
reminder_days = [30, 7]
"""


def test_subscriptions_load_from_toml_and_reload_updates(cat, tmp_path):
    path = tmp_path / "subs.toml"
    path.write_text(TOML, encoding="utf-8")
    for _ in range(2):
        result = CliRunner().invoke(cli, ["subscriptions", "load", str(path), "--db", cat.path])
        assert result.exit_code == 0, result.output
    rows = subscriptions.listing(cat.db)
    assert [r["name"] for r in rows] == ["gallium desk", "rare-earth hook"]
    desk, hook = rows
    assert desk["materials"] == ["gallium", "germanium"] and desk["mode"] == "digest"
    assert (desk["digest_at"], desk["timezone"], desk["lang"]) == ("08:00", "Asia/Shanghai", "zh")
    assert hook["secret_env"] == "RE_HOOK_SECRET" and hook["reminder_days"] == [7, 30]
    assert hook["event_kinds"] == ["new", "changed", "suspended"]

    bad = tmp_path / "bad.toml"
    bad.write_text(TOML.replace('"8112"', '"81.x"') + '\n[[subscription]]\nname="x"\nemail="y@example.com"\n')
    result = CliRunner().invoke(cli, ["subscriptions", "load", str(bad), "--db", cat.path])
    assert result.exit_code == 1 and "gallium desk" in result.output
    assert len(subscriptions.listing(cat.db)) == 2  # all or nothing


@pytest.mark.parametrize("args,message", [
    (["--email", "a@example.com", "--webhook", "https://x.example.org/"], "exactly one"),
    (["--email", "not-an-address"], "not an e-mail address"),
    (["--email", "a@example.com", "--digest", "25:00"], "HH:MM"),
    (["--email", "a@example.com", "--digest", "08:00", "--timezone", "Mars/Base"], "time zone"),
    (["--email", "a@example.com", "--hs-prefix", "81x2"], "HS code prefix"),
    (["--webhook", "ftp://x.example.org/"], "http"),
    (["--webhook", "https://user:pw@x.example.org/"], "password"),
])
def test_subscribe_refuses_what_cannot_work(cat, args, message):
    result = CliRunner().invoke(cli, ["subscribe", "--db", cat.path, *args])
    assert result.exit_code != 0
    assert message in result.output


def test_subscribe_cli_round_trip(cat):
    result = CliRunner().invoke(cli, [
        "subscribe", "--db", cat.path, "--email", "officer@example.com", "--material", "gallium",
        "--hs-prefix", "8112", "--control-code-prefix", "1C902", "--keyword", "镓",
        "--keyword", "gallium nitride", "--digest", "08:30", "--timezone", "Europe/Berlin",
        "--lang", "zh", "--json"])
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["keywords"] == ["镓", "gallium nitride"]
    listed = json.loads(CliRunner().invoke(cli, ["subscriptions", "--json", "--db", cat.path]).output)
    assert [(s["id"], s["channel"], s["when"]) for s in listed] == \
        [(created["id"], "email", "digest 08:30 Europe/Berlin")]


def test_text_changed_only_in_messages_when_asked(cat):
    sub = cat.subscribe(materials=["gallium"], event_kinds=["text_changed"])
    cat.run(pages=[("a", GALLIUM, "镓 v1")])
    record_events(cat.db, [], now=NOW)
    cat.run(pages=[("a", _with(GALLIUM), "镓 v1 排版")])
    record_events(cat.db, [], now=NOW)
    delivery = outbox.claim_due(cat.db, NOW)[0]
    msg = messages.render(delivery["subscription"], delivery["alerts"], delivery["delivery_key"])
    assert msg.subject == "[regwatch] MOFCOM-2023-23 — page text changed"
    assert "+镓 v1 排版" in msg.text and len(cat.alerts(sub)) == 1


def test_a_large_batch_is_claimed_in_slices_and_each_sent_once(cat, monkeypatch):
    from alerts.sink import SmtpSink

    batch = 4
    monkeypatch.setenv("REGWATCH_OUTBOX_CLAIM_BATCH", str(batch))
    for i in range(batch * 2 + 3):
        cat.subscribe(target=f"officer{i}@example.com", materials=["samarium"])
    digest = cat.subscribe(target="digest@example.com", materials=["samarium", "gallium"],
                           digest_at="08:00", timezone="Asia/Shanghai")
    cat.run(pages=[("a", GALLIUM, "镓 v1")])
    record_events(cat.db, [], now=NOW)
    cat.run(pages=[("b", RARE_EARTH, "钐 v1"), ("c", _with(RARE_EARTH, number="MOFCOM-2025-19"), "钐 v2")])
    record_events(cat.db, [], now=NOW)
    with SmtpSink() as sink:
        monkeypatch.setenv("REGWATCH_SMTP_URL", sink.url)
        report = send_due(cat.db, now=NOW + timedelta(days=1))
        rcpts = [m["To"] for m in sink.messages]
    assert report["messages"] == 11 * 2 + 1
    assert len(rcpts) == len(set(rcpts)) + 11  # two each, the digest once
    assert rcpts.count("digest@example.com") == 1
    assert {a["status"] for a in cat.alerts()} == {"sent"} and len(cat.alerts(digest)) == 2
