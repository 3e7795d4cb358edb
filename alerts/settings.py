"""Settings of the alerts stage: every default in one place, environment overrides read here.

Grouped by feature, alphabetical inside a group, one ``REGWATCH_`` prefix. Secrets
(SMTP password, webhook keys, Apprise tokens) are *not* settings: they are looked up by
:mod:`alerts.secrets` at the moment they are used and never kept anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core import clock
from core.settings import env, env_named

# -- Events ---------------------------------------------------------------------------
ALERT_ON_BASELINE = False      # queue alerts for a source's first load (normally: record only)
HEALTH_FAILED_RUNS = 3         # consecutive failed crawls that make a source unhealthy
HEALTH_STALE_HOURS = 26.0      # no successful crawl for this long: unhealthy
REMINDER_DAYS = (7,)           # default "N days before" for reminders, per subscription
REMINDER_TIMEZONE = "Asia/Shanghai"  # announcements' dates are Beijing dates

# -- Subscriptions ----------------------------------------------------------------------
DEFAULT_LANG = "en"            # a subscription's language when none is given

# -- Outbox ---------------------------------------------------------------------------
OUTBOX_CLAIM_BATCH = 10        # deliveries leased per claim (one BEGIN IMMEDIATE each)
OUTBOX_CLAIM_SECONDS = 300.0   # lease per claimed alert, from the clock at claim time,
                               # renewed every third of it while the sender holds it
OUTBOX_MAX_ATTEMPTS = 8        # then the alert is 'failed' (kept, with its reason)
OUTBOX_RETRY_BASE_SECONDS = 60.0   # wait before the 2nd try; doubled after each failure
OUTBOX_RETRY_MAX_SECONDS = 6 * 3600.0

# -- Sending: deliveries in flight at once, per channel kind (a dead webhook cannot
#    hold up e-mail: each kind has its own workers) -----------------------------------
APPRISE_TIMEOUT = 4.0          # connect and read timeout of Apprise's HTTP services (its default)
APPRISE_WORKERS = 2
EMAIL_WORKERS = 2              # one SMTP connection per worker
WEBHOOK_WORKERS = 4

# -- E-mail (SMTP) --------------------------------------------------------------------
SMTP_FROM = "regwatch <regwatch@localhost>"
SMTP_TIMEOUT = 20.0
SMTP_PASSWORD_ENV = "REGWATCH_SMTP_PASSWORD"  # names of the secrets, not their values
SMTP_URL = "smtp://127.0.0.1:25"   # smtp://, smtps:// or smtp+starttls://host:port
SMTP_USER_ENV = "REGWATCH_SMTP_USER"

# -- Webhooks -------------------------------------------------------------------------
WEBHOOK_SECRET_ENV = "REGWATCH_WEBHOOK_SECRET"  # default env var holding the HMAC key
WEBHOOK_TIMEOUT = 15.0

# -- Clock ----------------------------------------------------------------------------
# REGWATCH_ALERTS_NOW=2026-01-07T09:00:00+08:00 freezes "now" (demos, tests, replaying a
# digest hour); unset in production.


@dataclass(frozen=True)
class Settings:
    alert_on_baseline: bool = ALERT_ON_BASELINE
    health_failed_runs: int = HEALTH_FAILED_RUNS
    health_stale_hours: float = HEALTH_STALE_HOURS
    reminder_days: tuple[int, ...] = REMINDER_DAYS
    reminder_timezone: str = REMINDER_TIMEZONE
    default_lang: str = DEFAULT_LANG
    outbox_claim_batch: int = OUTBOX_CLAIM_BATCH
    outbox_claim_seconds: float = OUTBOX_CLAIM_SECONDS
    outbox_max_attempts: int = OUTBOX_MAX_ATTEMPTS
    outbox_retry_base_seconds: float = OUTBOX_RETRY_BASE_SECONDS
    outbox_retry_max_seconds: float = OUTBOX_RETRY_MAX_SECONDS
    apprise_timeout: float = APPRISE_TIMEOUT
    apprise_workers: int = APPRISE_WORKERS
    email_workers: int = EMAIL_WORKERS
    webhook_workers: int = WEBHOOK_WORKERS
    smtp_from: str = SMTP_FROM
    smtp_timeout: float = SMTP_TIMEOUT
    smtp_url: str = SMTP_URL
    smtp_user_env: str = SMTP_USER_ENV
    smtp_password_env: str = SMTP_PASSWORD_ENV
    webhook_secret_env: str = WEBHOOK_SECRET_ENV
    webhook_timeout: float = WEBHOOK_TIMEOUT


_ENV = {
    "alert_on_baseline": ("REGWATCH_ALERTS_ON_BASELINE", lambda v: v.lower() in ("1", "true", "yes")),
    "health_failed_runs": ("REGWATCH_HEALTH_FAILED_RUNS", int),
    "health_stale_hours": ("REGWATCH_HEALTH_STALE_HOURS", float),
    "reminder_days": ("REGWATCH_REMINDER_DAYS",
                      lambda v: tuple(int(x) for x in v.replace(" ", "").split(",") if x)),
    "reminder_timezone": ("REGWATCH_REMINDER_TIMEZONE", str),
    "default_lang": ("REGWATCH_ALERTS_LANG", str),
    "outbox_claim_batch": ("REGWATCH_OUTBOX_CLAIM_BATCH", int),
    "outbox_claim_seconds": ("REGWATCH_OUTBOX_CLAIM_SECONDS", float),
    "outbox_max_attempts": ("REGWATCH_OUTBOX_MAX_ATTEMPTS", int),
    "outbox_retry_base_seconds": ("REGWATCH_OUTBOX_RETRY_BASE_SECONDS", float),
    "outbox_retry_max_seconds": ("REGWATCH_OUTBOX_RETRY_MAX_SECONDS", float),
    "apprise_timeout": ("REGWATCH_APPRISE_TIMEOUT", float),
    "apprise_workers": ("REGWATCH_APPRISE_WORKERS", int),
    "email_workers": ("REGWATCH_EMAIL_WORKERS", int),
    "webhook_workers": ("REGWATCH_WEBHOOK_WORKERS", int),
    "smtp_from": ("REGWATCH_SMTP_FROM", str),
    "smtp_timeout": ("REGWATCH_SMTP_TIMEOUT", float),
    "smtp_url": ("REGWATCH_SMTP_URL", str),
    "webhook_secret_env": ("REGWATCH_WEBHOOK_SECRET_ENV", str),
    "webhook_timeout": ("REGWATCH_WEBHOOK_TIMEOUT", float),
}


def from_config(config: Any) -> dict[str, Any]:
    """Values from the service's TOML configuration (:class:`core.settings.Config`).

    The file names environment variables for the SMTP URL and credentials; their values
    are read here (URL) or when sending (credentials), never copied into the file.
    """
    values: dict[str, Any] = {}
    get = config.get
    if get("health", "unhealthy_after_failures") is not None:
        values["health_failed_runs"] = int(get("health", "unhealthy_after_failures"))
    if get("health", "stale_after_hours") is not None:
        values["health_stale_hours"] = float(get("health", "stale_after_hours"))
    if get("alerts", "reminder_days") is not None:
        days = get("alerts", "reminder_days")
        values["reminder_days"] = tuple(days) if isinstance(days, list) else (int(days),)
    if get("alerts", "default_lang"):
        values["default_lang"] = get("alerts", "default_lang")
    if get("smtp", "sender"):
        values["smtp_from"] = get("smtp", "sender")
    url_env = get("smtp", "url_env")
    if url_env and env_named(url_env):
        values["smtp_url"] = env_named(url_env)
    for key, name in (("user_env", "smtp_user_env"), ("password_env", "smtp_password_env")):
        if get("smtp", key):
            values[name] = get("smtp", key)
    return values


def _config_values() -> dict[str, Any]:
    path = env("REGWATCH_CONFIG")
    if not path:
        return {}
    from core.settings import load  # the service's file, when one is in use

    return from_config(load(path))


def load_settings(config: Any = None, **overrides) -> Settings:
    """Defaults, then the service configuration (``config``, or the file named by
    ``REGWATCH_CONFIG``), then the environment, then ``overrides`` (keyword per field)."""
    values = from_config(config) if config is not None else _config_values()
    for name, (var, convert) in _ENV.items():
        raw = env(var)
        if raw not in (None, ""):
            try:
                values[name] = convert(raw)
            except ValueError as exc:
                raise ValueError(f"{var}={raw!r}: {exc}") from exc
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)


def iso(moment: datetime) -> str:
    """Timestamps are stored as sortable UTC text, like the rest of the catalogue."""
    return clock.stamp(moment)


# The clock is core/clock.py's (``REGWATCH_ALERTS_NOW`` freezes it); alerts read it here.
now = clock.now
parse_iso = clock.parse
