"""Delivery: ``regwatch alerts send`` (and the service) hand what is due to its channel, once each.

Each channel kind (e-mail, webhook, Apprise) has its own few workers, so a webhook that
never answers holds up only webhooks, and those for at most its timeout. Only the
calling thread touches the catalogue: it claims small batches for the kinds with room
(a lease per delivery, from the clock at claim time), renews the leases of what is in
flight every third of the lease, and marks each delivery sent — or failed with its
reason and a backed-off next try — as its worker finishes. Marking comes *after*
sending: a crash in between means a resend with the same idempotency key, never a lost
alert. A delivery whose lease another sender took over is reported, not counted as sent.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from alerts import channels, messages, outbox
from alerts.errors import DeliveryError
from alerts.settings import Settings, load_settings
from alerts.settings import now as current_time

log = logging.getLogger("regwatch.alerts")
KINDS = ("email", "webhook", "apprise")  # each has its own workers; any other channel: "other"


def send_due(db: Database, now: datetime | None = None, settings: Settings | None = None) -> dict[str, Any]:
    """Deliver every due alert; return counts (alerts sent / retrying / failed / lease lost,
    messages) and each failure's reason."""
    settings = settings or load_settings()
    run = _Run(db, settings, running_clock(now or current_time()))
    run.loop()
    return run.report()


def running_clock(start: datetime) -> Callable[[], datetime]:
    """Now, moving on from ``start`` as the run goes (a frozen or given time included)."""
    base = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - base)


def _kind(subscription: dict[str, Any]) -> str:
    return subscription["channel"] if subscription["channel"] in KINDS else "other"


class _Run:
    """One sending run: claim, hand to the kind's workers, renew, mark."""

    def __init__(self, db: Database, settings: Settings, clock: Callable[[], datetime]) -> None:
        self.db, self.settings, self.clock = db, settings, clock
        workers = {"email": settings.email_workers, "webhook": settings.webhook_workers,
                   "apprise": settings.apprise_workers, "other": 1}
        workers = {kind: max(1, n) for kind, n in workers.items()}
        self.pools = {kind: ThreadPoolExecutor(n, thread_name_prefix=f"alerts-{kind}")
                      for kind, n in workers.items()}
        self.room = {kind: 2 * n for kind, n in workers.items()}  # running + one queued each
        self.inflight: dict[Future[str], dict[str, Any]] = {}
        self.drained: set[str] = set()       # kinds with nothing left to claim in this run
        self.dead_targets: dict[str, str] = {}  # target -> why, shared with the workers
        self.dead_subscriptions: set[int] = set()  # not claimed again in this run
        self.lock = threading.Lock()
        # A subscription's deliveries go out one at a time, in the order they were claimed,
        # so its alerts arrive in order even when several workers hold them.
        self.order = threading.Condition()
        self.turns: dict[int, list[str]] = {}
        self.local = threading.local()
        self.smtps: list[channels.SmtpChannel] = []
        self.counts: Counter[str] = Counter()
        self.errors: list[dict[str, Any]] = []

    # -- the calling thread -------------------------------------------------------------
    def loop(self) -> None:
        every = self.settings.outbox_claim_seconds / 3
        renew_at = time.monotonic() + every
        try:
            while True:
                self._claim()
                if not self.inflight:
                    return
                done, _ = wait(list(self.inflight), timeout=max(0.0, renew_at - time.monotonic()),
                               return_when=FIRST_COMPLETED)
                for future in done:
                    self._finish(future)
                if time.monotonic() >= renew_at:
                    self._renew()
                    renew_at = time.monotonic() + every
        except BaseException:
            self._drain()
            raise
        finally:
            self._close()

    def _claim(self) -> None:
        busy = Counter(_kind(d["subscription"]) for d in self.inflight.values())
        for kind in self.pools:
            free = self.room[kind] - busy[kind]
            if kind in self.drained or free <= 0:
                continue
            deliveries = outbox.claim_due(
                self.db, self.clock(), self.settings, limit=min(free, self.settings.outbox_claim_batch),
                channels=None if kind == "other" else (kind,),
                other_than=KINDS if kind == "other" else None,
                skip_subscriptions=tuple(sorted(self.dead_subscriptions)))
            if not deliveries:
                self.drained.add(kind)
            for delivery in deliveries:
                with self.order:
                    self.turns.setdefault(delivery["subscription"]["id"], []).append(
                        delivery["delivery_key"])
                self.inflight[self.pools[kind].submit(self._send, delivery)] = delivery

    def _renew(self) -> None:
        lost = set(outbox.renew(self.db, list(self.inflight.values()), self.clock(), self.settings))
        for future, delivery in list(self.inflight.items()):
            if delivery["delivery_key"] in lost and future.cancel():  # not started: never sent
                del self.inflight[future]
                self._done(delivery)
                self._lost(delivery, "not sent")

    def _finish(self, future: Future[str]) -> None:
        delivery = self.inflight.pop(future)
        sub, count = delivery["subscription"], len(delivery["alerts"])
        exc = future.exception()
        if exc is None:
            if outbox.mark_sent(self.db, delivery, self.clock(), future.result()):
                self.counts["sent"] += count
                self.counts["messages"] += 1
                self.counts["digests"] += int(delivery["digest"])
            elif not outbox.holds_lease(self.db, delivery):
                self._lost(delivery, "sent")
            return
        if not isinstance(exc, Exception):
            raise exc
        if isinstance(exc, channels.Unreachable):
            self.dead_subscriptions.add(sub["id"])
        if not isinstance(exc, DeliveryError):
            # no traceback: an unexpected error's text may hold a filled-in secret
            log.error("alerts: unexpected %s delivering %s", type(exc).__name__,
                      delivery["delivery_key"])
            exc = DeliveryError(f"internal error: {type(exc).__name__}", retry=True)
        status = outbox.mark_failed(self.db, delivery, self.clock(), exc.reason, exc.retry,
                                    self.settings)
        if status == "lost":
            self._lost(delivery, "failed")
            return
        self.counts["failed" if status == "failed" else "retrying"] += count
        self.errors.append({"subscription": sub["id"], "channel": sub["channel"],
                            "alerts": count, "status": status, "reason": exc.reason})
        log.warning("alerts: subscription %s (%s): %s; %s", sub["id"], sub["channel"],
                    exc.reason, status)

    def _lost(self, delivery: dict[str, Any], what: str) -> None:
        sub, count = delivery["subscription"], len(delivery["alerts"])
        self.counts["lease_lost"] += count
        self.errors.append({"subscription": sub["id"], "channel": sub["channel"], "alerts": count,
                            "status": "lease lost", "reason": f"{what}; {outbox.LEASE_LOST}"})

    def _drain(self) -> None:
        """On the way out of an error: mark what the workers sent. What they never started
        keeps its lease and is sent once it ends, as after a crash."""
        for future in list(self.inflight):
            if future.cancel():
                self._done(self.inflight.pop(future))
        for future in list(self.inflight):
            with contextlib.suppress(Exception):
                wait([future])
                self._finish(future)

    def _close(self) -> None:
        for pool in self.pools.values():
            pool.shutdown(wait=True, cancel_futures=True)
        for smtp in self.smtps:
            smtp.close()

    def report(self) -> dict[str, Any]:
        counts = self.counts
        return {"sent": counts["sent"], "messages": counts["messages"],
                "digests": counts["digests"], "retrying": counts["retrying"],
                "failed": counts["failed"], "lease_lost": counts["lease_lost"],
                "errors": self.errors, "queue": outbox.counts(self.db)}

    # -- the workers ----------------------------------------------------------------------
    def _done(self, delivery: dict[str, Any]) -> None:
        """Let the subscription's next delivery go (this one was sent, failed or dropped)."""
        with self.order:
            queue = self.turns.get(delivery["subscription"]["id"], [])
            if delivery["delivery_key"] in queue:
                queue.remove(delivery["delivery_key"])
            self.order.notify_all()

    def _send(self, delivery: dict[str, Any]) -> str:
        sub, key = delivery["subscription"], delivery["delivery_key"]
        with self.order:  # earlier deliveries of this subscription are running or done
            self.order.wait_for(lambda: self.turns[sub["id"]][0] == key)
        try:
            return self._send_now(delivery)
        finally:
            self._done(delivery)

    def _send_now(self, delivery: dict[str, Any]) -> str:
        sub = delivery["subscription"]
        with self.lock:
            dead = self.dead_targets.get(sub["target"]) if sub["channel"] != "email" else None
        if dead:
            raise channels.Unreachable(f"not tried: {dead} (earlier in this run)", retry=True)
        message = messages.render(sub, delivery["alerts"], delivery["delivery_key"],
                                  digest=delivery["digest"])
        try:
            return channels.deliver(sub, message, self.settings, self._smtp())
        except channels.Unreachable as exc:
            with self.lock:
                self.dead_targets.setdefault(sub["target"], exc.reason)
            raise

    def _smtp(self) -> channels.SmtpChannel:
        """This worker's SMTP connection (opened on first use, kept for the run)."""
        smtp = getattr(self.local, "smtp", None)
        if smtp is None:
            smtp = self.local.smtp = channels.SmtpChannel(self.settings)
            with self.lock:
                self.smtps.append(smtp)
        return smtp
