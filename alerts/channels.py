"""Delivery channels: e-mail over SMTP, signed JSON webhooks, and any Apprise URL.

Each channel sends one rendered :class:`~alerts.messages.Message` and either returns a
short detail or raises :class:`~alerts.errors.DeliveryError` saying whether a retry can
help. Every message carries the delivery's idempotency key where the medium allows
(e-mail ``Message-ID`` and ``X-Regwatch-Idempotency-Key``, the webhook
``Idempotency-Key`` header); secrets are looked up here, used, and masked out of every
error text before it leaves this module.
"""

from __future__ import annotations

import contextlib
import email.policy
import hashlib
import hmac
import logging
import smtplib
import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from http.client import HTTPException
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import unquote, urlsplit
from urllib.request import Request

from alerts import secrets
from alerts.deadline import Deadline
from alerts.errors import DeliveryError, MissingSecret
from alerts.messages import Message
from alerts.settings import Settings

USER_AGENT = "regwatch-alerts/0.1"
# Long lines are allowed up to RFC 5322's 998: folding a subject right after "Subject:"
# leaves a leading space in some readers.
MAIL_POLICY = email.policy.SMTP.clone(max_line_length=998)
RETRYABLE_HTTP = {408, 425, 429}


def message_id(key: str, sender: str) -> str:
    """The e-mail Message-ID of a delivery: the same key always gives the same id."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "regwatch.invalid"
    return f"<{key}@{domain}>"


class SmtpChannel:
    """One SMTP connection per sending run, opened on first use, reused for every e-mail."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.conn: smtplib.SMTP | None = None
        self.broken: str | None = None
        self._secrets: list[str | None] = []

    def _connect(self) -> smtplib.SMTP:
        parts = urlsplit(self.settings.smtp_url)
        scheme = parts.scheme.lower()
        if scheme not in ("smtp", "smtps", "smtp+starttls"):
            raise DeliveryError(f"REGWATCH_SMTP_URL must be smtp://, smtps:// or smtp+starttls://, "
                                f"not {scheme}://", retry=True)
        host = parts.hostname or "127.0.0.1"
        port = parts.port or (465 if scheme == "smtps" else 25)
        user = unquote(parts.username) if parts.username else secrets.lookup(
            self.settings.smtp_user_env, required=False)
        password = unquote(parts.password) if parts.password else secrets.lookup(
            self.settings.smtp_password_env, required=False)
        self._secrets = [password, parts.password]
        timeout = self.settings.smtp_timeout
        if scheme == "smtps":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                                  context=ssl.create_default_context())
        else:
            conn = smtplib.SMTP(host, port, timeout=timeout)
            if scheme == "smtp+starttls":
                conn.starttls(context=ssl.create_default_context())
        if user:
            conn.login(user, password or "")
        return conn

    def send(self, subscription: dict[str, Any], message: Message) -> str:
        if self.broken:
            raise DeliveryError(self.broken, retry=True)
        sender = self.settings.smtp_from
        mail = EmailMessage(policy=MAIL_POLICY)
        mail["From"] = sender
        mail["To"] = subscription["target"]
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = message_id(message.key, sender)
        mail["X-Regwatch-Idempotency-Key"] = message.key
        mail["Auto-Submitted"] = "auto-generated"
        mail["Content-Language"] = message.lang
        mail.set_content(message.text)
        mail.add_alternative(message.html, subtype="html")
        try:
            if self.conn is None:
                self.conn = self._connect()
            refused = self.conn.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(self._clean(f"recipient refused: {exc.recipients}"),
                                retry=all(400 <= c < 500 for c in codes)) from None
        except smtplib.SMTPAuthenticationError as exc:
            self._reset(f"SMTP authentication failed ({exc.smtp_code})")
            raise DeliveryError(self.broken or "", retry=True) from None
        except smtplib.SMTPResponseException as exc:
            self._reset(None)
            raise DeliveryError(self._clean(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"),
                                retry=not 500 <= exc.smtp_code < 600) from None
        except (OSError, smtplib.SMTPException) as exc:
            # the server is unreachable or went away: no point trying the rest now
            self._reset(self._clean(f"SMTP server unavailable: {type(exc).__name__}: {exc}"))
            raise DeliveryError(self.broken or "", retry=True) from None
        if refused:
            return self._clean(f"accepted; refused for {sorted(refused)}")
        return f"accepted by SMTP server, Message-ID {mail['Message-ID']}"

    def _clean(self, text: str) -> str:
        return secrets.redact(text, self._secrets)

    def _reset(self, broken: str | None) -> None:
        self.broken = broken
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.close()
        self.conn = None

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.quit()
        self.conn = None


class Unreachable(DeliveryError):
    """The receiver did not answer (refused, timed out): the rest of this run's deliveries
    to the same target are not tried, so a dead endpoint costs one timeout per run."""


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of the body>``, as the receiver recomputes it."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send_webhook(subscription: dict[str, Any], message: Message, settings: Settings) -> str:
    """POST the JSON body, signed, with the delivery's ``Idempotency-Key``."""
    used: list[str] = []
    try:
        url, used = secrets.expand(subscription["target"])
        secret = secrets.lookup(subscription.get("secret_env") or settings.webhook_secret_env)
    except MissingSecret as exc:
        raise DeliveryError(str(exc), retry=True) from None
    used.append(secret or "")
    body = message.json_bytes()
    request = Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8",
        "Idempotency-Key": message.key,
        "X-Regwatch-Signature": signature(secret or "", body),
        "User-Agent": USER_AGENT,
    })
    timeout = settings.webhook_timeout
    try:  # the timeout bounds the whole exchange: a trickled answer is cut at it
        with Deadline(timeout) as deadline, \
                deadline.opener.open(request, timeout=timeout) as response:
            status, cut = response.status, deadline.expired  # cut: a truncated answer
    except HTTPError as exc:
        retry = exc.code >= 500 or exc.code in RETRYABLE_HTTP
        raise DeliveryError(secrets.redact(f"webhook answered HTTP {exc.code}", used),
                            retry=retry) from None
    except (URLError, OSError, HTTPException) as exc:
        if deadline.expired:
            raise Unreachable(f"webhook unreachable: no answer within {timeout:g} s",
                              retry=True) from None
        if isinstance(exc, HTTPException):
            raise
        reason = getattr(exc, "reason", exc)
        raise Unreachable(secrets.redact(f"webhook unreachable: {reason}", used), retry=True) from None
    if cut:
        raise Unreachable(f"webhook unreachable: no answer within {timeout:g} s", retry=True)
    return f"webhook answered HTTP {status}"


class _Redact(logging.Filter):
    def __init__(self, values: list[str]) -> None:
        super().__init__()
        self.values = values

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = secrets.redact(record.getMessage(), self.values)
        record.args = ()
        return True


@contextlib.contextmanager
def _apprise_logs_redacted(values: list[str]) -> Iterator[None]:
    logger = logging.getLogger("apprise")
    flt = _Redact(values)
    logger.addFilter(flt)
    try:
        yield
    finally:
        logger.removeFilter(flt)


def send_apprise(subscription: dict[str, Any], message: Message,
                 settings: Settings | None = None) -> str:
    """Notify through Apprise, with the text cut to that service's title and body limits."""
    import apprise

    try:
        url, used = secrets.expand(subscription["target"])
    except MissingSecret as exc:
        raise DeliveryError(str(exc), retry=True) from None
    with _apprise_logs_redacted(used):
        plugin = apprise.Apprise.instantiate(url)
        if plugin is None:
            raise DeliveryError("Apprise does not understand this URL (after filling secrets)",
                                retry=False)
        if settings is not None:  # one timeout per channel kind, from the settings
            plugin.socket_connect_timeout = plugin.socket_read_timeout = settings.apprise_timeout
        title, body = message.chat(plugin.title_maxlen, plugin.body_maxlen)
        notify_type = apprise.NotifyType.WARNING if any(
            v.get("priority") == "high" for v in message.views) else apprise.NotifyType.INFO
        ok = plugin.notify(body=body, title=title, notify_type=notify_type)
    if not ok:
        raise DeliveryError(f"{type(plugin).__name__}: the service did not accept the message",
                            retry=True)
    return f"{type(plugin).__name__} accepted ({len(body)} characters)"


def deliver(subscription: dict[str, Any], message: Message, settings: Settings,
            smtp: SmtpChannel) -> str:
    channel = subscription["channel"]
    if channel == "email":
        return smtp.send(subscription, message)
    if channel == "webhook":
        return send_webhook(subscription, message, settings)
    if channel == "apprise":
        return send_apprise(subscription, message, settings)
    raise DeliveryError(f"unknown channel {channel!r}", retry=False)
