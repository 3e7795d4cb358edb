"""Delivery: ``regwatch alerts send`` (and the service) hand what is due to its channel, once each.

Claim (lease) the due alerts, render each delivery (one alert, or one subscription's
digest), hand it to its channel, then mark it sent — or failed with its reason and a
backed-off next try. Marking comes *after* sending: a crash in between means a resend
with the same idempotency key, never a lost alert.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from alerts import channels, messages, outbox
from alerts.errors import DeliveryError
from alerts.schema import ensure_tables
from alerts.settings import Settings, load_settings
from alerts.settings import now as current_time

log = logging.getLogger("regwatch.alerts")
CLAIM_SLICE = 50  # deliveries leased at a time


def send_due(db: Database, now: datetime | None = None, settings: Settings | None = None) -> dict[str, Any]:
    """Deliver every due alert; return counts (alerts sent / retrying / failed, messages)."""
    ensure_tables(db)
    settings = settings or load_settings()
    at = now or current_time()
    report: Counter[str] = Counter()
    errors: list[dict[str, Any]] = []
    smtp = channels.SmtpChannel(settings)
    try:
        for delivery in _due(db, at, settings):
            sub = delivery["subscription"]
            count = len(delivery["alerts"])
            try:
                message = messages.render(sub, delivery["alerts"], delivery["delivery_key"],
                                          digest=delivery["digest"])
                detail = channels.deliver(sub, message, settings, smtp)
            except Exception as exc:  # one bad delivery must not hold up the others
                if not isinstance(exc, DeliveryError):
                    # no traceback: an unexpected error's text may hold a filled-in secret
                    log.error("alerts: unexpected %s delivering %s", type(exc).__name__,
                              delivery["delivery_key"])
                    exc = DeliveryError(f"internal error: {type(exc).__name__}", retry=True)
                status = outbox.mark_failed(db, delivery, at, exc.reason, exc.retry, settings)
                report["failed" if status == "failed" else "retrying"] += count
                errors.append({"subscription": sub["id"], "channel": sub["channel"],
                               "alerts": count, "status": status, "reason": exc.reason})
                log.warning("alerts: subscription %s (%s): %s; %s", sub["id"], sub["channel"],
                            exc.reason, status)
                continue
            outbox.mark_sent(db, delivery, at, detail)
            report["sent"] += count
            report["messages"] += 1
            report["digests"] += int(delivery["digest"])
    finally:
        smtp.close()
    return {"sent": report["sent"], "messages": report["messages"], "digests": report["digests"],
            "retrying": report["retrying"], "failed": report["failed"], "errors": errors,
            "queue": outbox.counts(db)}


def _due(db: Database, at: datetime, settings: Settings) -> Iterator[dict[str, Any]]:
    """Every due delivery, claimed slice by slice (each slice is marked before the next)."""
    while True:
        deliveries = outbox.claim_due(db, at, settings, limit=CLAIM_SLICE)
        if not deliveries:
            return
        yield from deliveries
