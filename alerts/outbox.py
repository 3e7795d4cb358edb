"""The outbox: one row per (subscription, event), written with the event, marked when sent.

The state machine of an alert row::

    pending ──claim──▶ (claimed: claim_token, claimed_until) ──sent──▶ sent
       ▲                    │ failure, retry allowed: attempts+1, next_attempt_at backs off
       └────────────────────┘ failure, permanent or attempts exhausted ──▶ failed

A claim is a lease, taken from the clock when the row is claimed and renewed while the
sender holds it: a sender that dies after sending but before marking leaves the row
claimed; once the lease ends the row is sent again with the *same* idempotency key
(webhook ``Idempotency-Key``, e-mail ``Message-ID``), so the receiver can drop it. A
sender whose lease was taken over reports it and counts nothing as sent.
A digest is the set of a subscription's alerts with the same ``due_at``; they share one
``delivery_key`` and are claimed, sent and marked together.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from alerts.settings import Settings, iso, load_settings
from store.catalogue import transaction as write_transaction

STATUSES = ("pending", "sent", "failed", "cancelled")
log = logging.getLogger("regwatch.alerts")


def instance_token(db: Database) -> str:
    row = db.execute("select value from alert_state where key = 'instance'").fetchone()
    return row[0] if row else "regwatch"


def idempotency_key(token: str, subscription_id: int, event_id: int) -> str:
    """Stable per (catalogue, subscription, event): the same alert always has the same key."""
    return hashlib.sha256(f"{token}:alert:{subscription_id}:{event_id}".encode()).hexdigest()[:40]


def digest_key(token: str, subscription_id: int, due_at: str) -> str:
    return hashlib.sha256(f"{token}:digest:{subscription_id}:{due_at}".encode()).hexdigest()[:40]


def next_digest(sub: dict[str, Any], after: datetime) -> datetime:
    """The first digest time (the subscription's HH:MM in its zone) strictly after ``after``."""
    zone = ZoneInfo(sub.get("timezone") or "UTC")
    hour, minute = (int(x) for x in sub["digest_at"].split(":"))
    local = after.astimezone(zone)
    candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if candidate <= local:
        candidate = (local + timedelta(days=1)).replace(hour=hour, minute=minute, second=0,
                                                        microsecond=0)
    return candidate


def enqueue(db: Database, matches: list[tuple[dict[str, Any], dict[str, Any]]], event_id: int,
            at: datetime, token: str | None = None) -> int:
    """Queue one alert per (subscription, matched) for an event; returns how many were new.

    Call inside the transaction that wrote the event. A (subscription, event) already
    queued is left as it is (``insert or ignore`` on the unique pair).
    """
    token = token or instance_token(db)
    created = iso(at)
    bodies: dict[int, str] = {}  # subscribers that matched alike share one matched dict
    rows = []
    for sub, matched in matches:
        key = idempotency_key(token, sub["id"], event_id)
        if sub.get("mode") == "digest" and sub.get("digest_at"):
            due = iso(next_digest(sub, at))
            delivery = digest_key(token, sub["id"], due)
        else:
            due, delivery = created, key
        body = bodies.get(id(matched))
        if body is None:
            body = bodies[id(matched)] = json.dumps(matched, ensure_ascii=False)
        rows.append((sub["id"], event_id, key, delivery, sub.get("mode") or "immediate", body,
                     created, due, due))
    if not rows:
        return 0
    cursor = db.conn.executemany(
        "insert or ignore into outbox (subscription_id, event_id, idempotency_key, delivery_key, "
        "status, mode, matched, created_at, due_at, next_attempt_at, attempts) "
        "values (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, 0)", rows)
    return cursor.rowcount


CLAIMABLE = ("status = 'pending' and next_attempt_at <= :now "
             "and (claimed_until is null or claimed_until < :now) "
             "and subscription_id in (select id from subscriptions where active = 1{channel})")


def _channel_filter(channels: tuple[str, ...] | None, other_than: tuple[str, ...] | None,
                    skip: tuple[int, ...]) -> tuple[str, dict[str, Any]]:
    """The extra subscription condition of a claim: SQL and its named parameters."""
    sql, params = "", {}

    def names(prefix: str, values: tuple) -> str:
        keys = [f"{prefix}{i}" for i in range(len(values))]
        params.update(zip(keys, values, strict=True))
        return ",".join(f":{k}" for k in keys)

    if channels is not None:
        sql += f" and channel in ({names('ch', channels)})"
    if other_than:
        sql += f" and channel not in ({names('other', other_than)})"
    if skip:
        sql += f" and id not in ({names('skip', skip)})"
    return sql, params


def claim_due(db: Database, at: datetime, settings: Settings | None = None,
              limit: int | None = None, channels: tuple[str, ...] | None = None,
              other_than: tuple[str, ...] | None = None,
              skip_subscriptions: tuple[int, ...] = ()) -> list[dict[str, Any]]:
    """Lease up to ``limit`` due deliveries to this sender, whole (a digest is never split).

    ``at`` is the clock *now*, at claim time: the lease runs ``outbox_claim_seconds`` from
    it, so a sender claims small batches as it goes (one ``BEGIN IMMEDIATE`` each) and
    renews what it still holds (:func:`renew`). ``channels`` / ``other_than`` /
    ``skip_subscriptions`` narrow the claim to what the caller has room for.
    Each delivery is ``{"delivery_key", "subscription", "digest", "alerts": [...]}``,
    where each alert carries its event (payload decoded).
    """
    settings = settings or load_settings()
    limit = limit or settings.outbox_claim_batch
    token = secrets.token_hex(8)
    narrow, params = _channel_filter(channels, other_than, skip_subscriptions)
    claimable = CLAIMABLE.format(channel=narrow)
    with write_transaction(db):
        db.execute(
            f"update outbox set claim_token = :token, claimed_until = :until where {claimable} "
            f"and delivery_key in (select delivery_key from outbox where {claimable} "
            f"group by delivery_key order by min(id) limit :limit)",
            {"token": token, "until": lease_end(at, settings), "now": iso(at), "limit": limit,
             **params})
    rows = list(db.query(
        "select a.*, e.kind as event_kind, e.created_at as event_created_at, e.baseline, "
        "e.priority, e.source as event_source, e.document_id, e.version_id, e.number, e.title, "
        "e.url, e.payload from outbox a join events e on e.id = a.event_id "
        "where a.claim_token = ? and a.status = 'pending' order by a.id", [token]))
    from alerts.subscriptions import get as get_subscription

    deliveries: dict[str, dict[str, Any]] = {}
    subs: dict[int, dict[str, Any]] = {}
    for row in rows:
        row["payload"] = json.loads(row["payload"] or "{}")
        row["matched"] = json.loads(row["matched"] or "{}")
        sid = row["subscription_id"]
        if sid not in subs:
            subs[sid] = get_subscription(db, sid)
        delivery = deliveries.setdefault(row["delivery_key"], {
            "delivery_key": row["delivery_key"], "subscription": subs[sid],
            "digest": row["mode"] == "digest", "claim_token": token, "alerts": [],
            "due_at": row["due_at"],
        })
        delivery["alerts"].append(row)
    return list(deliveries.values())


def lease_end(at: datetime, settings: Settings) -> str:
    return iso(at + timedelta(seconds=settings.outbox_claim_seconds))


def renew(db: Database, deliveries: list[dict[str, Any]], at: datetime,
          settings: Settings) -> list[str]:
    """Extend this sender's leases from ``at``; returns the keys whose lease is gone
    (another sender claimed the delivery after the lease ran out)."""
    until = lease_end(at, settings)
    lost = []
    with write_transaction(db):
        for delivery in deliveries:
            changed = db.execute(
                "update outbox set claimed_until = ? where delivery_key = ? and claim_token = ? "
                "and status = 'pending'",
                [until, delivery["delivery_key"], delivery["claim_token"]]).rowcount
            if not changed and not holds_lease(db, delivery):
                lost.append(delivery["delivery_key"])
    return lost


def holds_lease(db: Database, delivery: dict[str, Any]) -> bool:
    """Whether some alert of the delivery still carries this sender's claim token."""
    return db.execute("select 1 from outbox where delivery_key = ? and claim_token = ? limit 1",
                      [delivery["delivery_key"], delivery["claim_token"]]).fetchone() is not None


def _attempt(db: Database, delivery: dict[str, Any], at: datetime, ok: bool, retry: bool,
             detail: str) -> None:
    db["alert_attempts"].insert({
        "delivery_key": delivery["delivery_key"], "subscription_id": delivery["subscription"]["id"],
        "alerts": len(delivery["alerts"]), "channel": delivery["subscription"]["channel"],
        "at": iso(at), "ok": int(ok), "retry": int(retry), "detail": detail[:2000],
    })


LEASE_LOST = "lease lost: another sender claimed this delivery after its lease ran out"


def mark_sent(db: Database, delivery: dict[str, Any], at: datetime, detail: str = "") -> int:
    """Mark a delivered message's alerts sent; returns how many rows this sender marked.

    0 with the lease gone (another sender holds the alerts now) is reported, in the log
    and the attempt's detail, and counts nothing as sent by this sender.
    """
    with write_transaction(db):
        count = db.execute(
            "update outbox set status = 'sent', sent_at = ?, last_attempt_at = ?, "
            "attempts = attempts + 1, last_error = null, claimed_until = null "
            "where delivery_key = ? and claim_token = ? and status = 'pending'",
            [iso(at), iso(at), delivery["delivery_key"], delivery["claim_token"]]).rowcount
        if not count and not holds_lease(db, delivery):
            log.warning("alerts: %s sent, but %s", delivery["delivery_key"], LEASE_LOST)
            detail = f"{detail}; {LEASE_LOST}" if detail else LEASE_LOST
        _attempt(db, delivery, at, True, False, detail)
    return count


def mark_failed(db: Database, delivery: dict[str, Any], at: datetime, reason: str, retry: bool,
                settings: Settings | None = None) -> str:
    """Record a failed try: back off and stay pending, or give up. Returns the new status,
    or ``"lost"`` when another sender holds the alerts now (they are left to it)."""
    settings = settings or load_settings()
    attempts = max(a["attempts"] for a in delivery["alerts"]) + 1
    give_up = not retry or attempts >= settings.outbox_max_attempts
    delay = min(settings.outbox_retry_max_seconds,
                settings.outbox_retry_base_seconds * 2 ** (attempts - 1))
    status = "failed" if give_up else "pending"
    with write_transaction(db):
        changed = db.execute(
            "update outbox set status = ?, attempts = ?, last_attempt_at = ?, last_error = ?, "
            "next_attempt_at = ?, claimed_until = null "
            "where delivery_key = ? and claim_token = ? and status = 'pending'",
            [status, attempts, iso(at), reason[:2000], iso(at + timedelta(seconds=delay)),
             delivery["delivery_key"], delivery["claim_token"]]).rowcount
        if not changed and not holds_lease(db, delivery):
            log.warning("alerts: %s failed (%s), and %s", delivery["delivery_key"], reason,
                        LEASE_LOST)
            reason, status = f"{reason}; {LEASE_LOST}", "lost"
        _attempt(db, delivery, at, False, status == "pending", reason)
    return status


def release(db: Database, delivery: dict[str, Any]) -> None:
    """Give a claim back untried (the sender is stopping)."""
    with write_transaction(db):
        db.execute("update outbox set claimed_until = null, claim_token = null "
                   "where delivery_key = ? and claim_token = ?",
                   [delivery["delivery_key"], delivery["claim_token"]])


def listing(db: Database, status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """The queue, newest first, with each alert's subscription and event in one row."""
    where, args = ("where a.status = ?", [status]) if status else ("", [])
    return [dict(r) for r in db.query(
        "select a.id, a.status, a.subscription_id, s.channel, s.name as subscription, "
        "a.event_id, e.kind, e.number, a.mode, a.attempts, a.created_at, a.due_at, "
        "a.next_attempt_at, a.sent_at, a.last_error, a.idempotency_key, a.delivery_key "
        f"from outbox a join events e on e.id = a.event_id "
        f"join subscriptions s on s.id = a.subscription_id {where} "
        "order by a.id desc limit ?", [*args, limit])]


def requeue(db: Database, alert_ids: list[int] | None, at: datetime) -> int:
    """Put failed alerts back in the queue, due now (all failed ones when ids is None)."""
    with write_transaction(db):
        if alert_ids is None:
            return db.execute("update outbox set status = 'pending', attempts = 0, next_attempt_at = ? "
                              "where status = 'failed'", [iso(at)]).rowcount
        marks = ",".join("?" * len(alert_ids))
        # a digest goes back whole: every alert that shares the message
        return db.execute(
            f"update outbox set status = 'pending', attempts = 0, next_attempt_at = ? "
            f"where status = 'failed' and delivery_key in "
            f"(select delivery_key from outbox where id in ({marks}))",
            [iso(at), *alert_ids]).rowcount


def counts(db: Database) -> dict[str, int]:
    out = {status: 0 for status in STATUSES}
    for status, n in db.execute("select status, count(*) from outbox group by status"):
        out[status] = n
    return out
