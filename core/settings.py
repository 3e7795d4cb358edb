"""The one settings module: every environment variable regwatch reads, and the TOML file.

Two parts:

- ``ENV``: each ``REGWATCH_*`` variable, grouped by what it changes, with its default
  and meaning. Code reads them only through :func:`env`, which refuses a name not
  declared here; the README's settings table is this table (tests/test_settings.py
  checks both ways, and that no module outside this one touches ``os.environ``).
- the service's TOML configuration (``DEFAULT_CONFIG``, :func:`load`): defaults,
  loading, and checks with line numbers.

Secrets are never settings: configuration names the environment variables that hold
them, and :func:`env_named` reads such a variable at the moment it is used.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# -- Environment: name → (group, default, meaning) -------------------------------------
ENV: dict[str, tuple[str, str, str]] = {
    # Catalogue and CLI
    "REGWATCH_DB": ("catalogue", "regwatch.db", "the catalogue file (`--db` overrides)"),
    "REGWATCH_CONFIG": ("catalogue", "built-in defaults",
                        "the service's TOML configuration (`--config` overrides)"),
    # Crawling
    "REGWATCH_MIRROR": ("crawl", "real sites", "crawl the mirror at this URL instead (`--mirror`)"),
    "REGWATCH_USER_AGENT": ("crawl", "regwatch/0.1 (…; contact: …)",
                            "User-Agent, with a contact address"),
    "REGWATCH_REVISIT_MAX": ("crawl", "50", "known pages re-checked per crawl"),
    "REGWATCH_LOG_LEVEL": ("crawl", "WARNING", "Scrapy's log level in the crawl process"),
    "REGWATCH_BROWSER": ("crawl", "1", "0: never start Chromium for a JavaScript challenge"),
    "REGWATCH_CHROMIUM": ("crawl", "/usr/bin/chromium", "the Chromium executable"),
    # Clock
    "REGWATCH_ALERTS_NOW": ("clock", "unset (the real clock)",
                            "freeze the clock at this ISO time (demos, tests, replays)"),
    # Alerts: events and health
    "REGWATCH_ALERTS_ON_BASELINE": ("alerts", "false", "queue alerts for a source's first load"),
    "REGWATCH_HEALTH_FAILED_RUNS": ("alerts", "3",
                                    "consecutive failed crawls that make a source unhealthy"),
    "REGWATCH_HEALTH_STALE_HOURS": ("alerts", "26", "no successful crawl for this long: unhealthy"),
    "REGWATCH_REMINDER_DAYS": ("alerts", "7", "remind this many days before a date (comma list)"),
    "REGWATCH_REMINDER_TIMEZONE": ("alerts", "Asia/Shanghai", "the day reminders count in"),
    "REGWATCH_ALERTS_LANG": ("alerts", "en", "a subscription's language when none is given"),
    # Alerts: outbox and sending
    "REGWATCH_OUTBOX_CLAIM_BATCH": ("outbox", "10", "deliveries leased per claim"),
    "REGWATCH_OUTBOX_CLAIM_SECONDS": ("outbox", "300", "lease per claimed alert"),
    "REGWATCH_OUTBOX_MAX_ATTEMPTS": ("outbox", "8", "tries before an alert is failed"),
    "REGWATCH_OUTBOX_RETRY_BASE_SECONDS": ("outbox", "60", "wait before the 2nd try, doubled after"),
    "REGWATCH_OUTBOX_RETRY_MAX_SECONDS": ("outbox", "21600", "longest wait between tries"),
    "REGWATCH_APPRISE_TIMEOUT": ("outbox", "4", "Apprise's connect and read timeout (s)"),
    "REGWATCH_APPRISE_WORKERS": ("outbox", "2", "Apprise deliveries in flight at once"),
    "REGWATCH_EMAIL_WORKERS": ("outbox", "2", "e-mail deliveries in flight (one SMTP connection each)"),
    "REGWATCH_WEBHOOK_WORKERS": ("outbox", "4", "webhook deliveries in flight at once"),
    "REGWATCH_SMTP_URL": ("outbox", "smtp://127.0.0.1:25", "smtp://, smtps:// or smtp+starttls://host:port"),
    "REGWATCH_SMTP_FROM": ("outbox", "regwatch <regwatch@localhost>", "the sender of alert e-mail"),
    "REGWATCH_SMTP_TIMEOUT": ("outbox", "20", "SMTP timeout (s)"),
    "REGWATCH_WEBHOOK_SECRET_ENV": ("outbox", "REGWATCH_WEBHOOK_SECRET",
                                    "name of the variable holding the default webhook HMAC key"),
    "REGWATCH_WEBHOOK_TIMEOUT": ("outbox", "15", "webhook timeout (s)"),
    "REGWATCH_SECRETS_FILE": ("outbox", "~/.config/regwatch/secrets.toml",
                              "secrets looked up after the environment (chmod 600)"),
    # Mirror and generated files
    "REGWATCH_CJK_FONT": ("mirror", "a system CJK font", "TrueType font for generated PDF attachments"),
}


def env(name: str, default: str | None = None) -> str | None:
    """The value of declared variable ``name`` (``default`` when unset).

    :raises KeyError: when ``name`` is not declared in :data:`ENV`
    """
    if name not in ENV:
        raise KeyError(f"{name} is not declared in core/settings.py ENV")
    return os.environ.get(name, default)


def env_named(name: str) -> str | None:
    """The value of a variable whose *name* the configuration gives (a secret's holder)."""
    return os.environ.get(name)


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a child process: ours, plus ``extra``."""
    return {**os.environ, **extra}


def export_default(name: str, value: str) -> None:
    """Set a variable a library reads (e.g. SCRAPY_SETTINGS_MODULE) unless already set."""
    os.environ.setdefault(name, value)


# -- The service's TOML configuration ----------------------------------------------------

DEFAULT_CONFIG = """\
# regwatch configuration. `regwatch config check FILE` validates it.
# Secrets (SMTP password, webhook keys, Apprise tokens) are never written here:
# each *_env key names the environment variable that holds the value.

[catalogue]
path = "regwatch.db"              # the SQLite catalogue

[service]
heartbeat_seconds = 30            # how often the service writes its liveness
late_after_seconds = 300          # `regwatch status` fails if no heartbeat for this long
crawl_timeout_seconds = 1800      # a crawl still running after this is killed and reported
send_alerts_every_seconds = 60    # deliver due alerts this often
# mirror = "http://127.0.0.1:8700"  # crawl the offline mirror instead of the real sites

# Sources and their default schedules are declared in crawler/sources.yaml; a table
# here overrides one (use either interval_minutes or cron, or enabled = false).
[sources.mofcom]
interval_minutes = 60

[sources.gacc]
cron = "15 * * * *"               # minute hour day month day_of_week, Asia/Shanghai

# [sources.mofcom_en]
# enabled = false

[health]
unhealthy_after_failures = 3      # consecutive failed crawls before a source is unhealthy
stale_after_hours = 26            # no successful crawl for this long: unhealthy

[smtp]
url_env = "REGWATCH_SMTP_URL"     # e.g. smtp://127.0.0.1:8025 or smtps://mail.example.org:465
user_env = "REGWATCH_SMTP_USER"
password_env = "REGWATCH_SMTP_PASSWORD"
sender = "regwatch@example.org"

[alerts]
default_lang = "zh"               # zh or en
reminder_days = 7                 # remind this many days before an effective date
timezone = "Asia/Shanghai"        # for digests and cron schedules
"""

# key → (type, required); sections of sources are checked separately.
SCHEMA: dict[str, dict[str, tuple[type | tuple[type, ...], bool]]] = {
    "catalogue": {"path": (str, True)},
    "service": {
        "heartbeat_seconds": ((int, float), False), "late_after_seconds": ((int, float), False),
        "crawl_timeout_seconds": ((int, float), False),
        "send_alerts_every_seconds": ((int, float), False), "mirror": (str, False),
    },
    "health": {"unhealthy_after_failures": (int, False), "stale_after_hours": ((int, float), False)},
    "smtp": {"url_env": (str, False), "user_env": (str, False), "password_env": (str, False),
             "sender": (str, False)},
    "alerts": {"default_lang": (str, False), "reminder_days": (int, False), "timezone": (str, False)},
}
SOURCE_KEYS: dict[str, type | tuple[type, ...]] = {
    "enabled": bool, "interval_minutes": (int, float), "cron": str, "jitter_seconds": (int, float),
    "timeout_seconds": (int, float), "polling": str, "budget_per_day": (int, float), "profile": str,
}


class ConfigError(ValueError):
    """A configuration file that cannot be used; ``problems`` lists each as text."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


@dataclass
class Config:
    data: dict[str, Any]
    path: str | None = None

    def get(self, section: str, key: str, default: Any = None) -> Any:
        return self.data.get(section, {}).get(key, default)

    @property
    def db_path(self) -> str:
        return self.get("catalogue", "path", "regwatch.db")

    def sources(self, declared: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Enabled sources: each declared source's schedule (``declared``: the crawler's
        sources.yaml), overridden here."""
        configured = self.data.get("sources", {})
        result = {}
        for name, source in declared.items():
            spec = {**(source.get("schedule") or {}), **configured.get(name, {})}
            if "cron" in configured.get(name, {}):
                spec.pop("interval_minutes", None)
            if spec.get("enabled", True):
                result[name] = spec
        return result


def _line_of(text: str, section: str, key: str | None = None) -> int | None:
    lines = text.splitlines()
    header = re.compile(r"^\s*\[\s*" + re.escape(section).replace(r"\.", r"\s*\.\s*") + r"\s*\]")
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    if start is None or key is None:
        return None if start is None else start + 1
    for i in range(start + 1, len(lines)):
        if lines[i].lstrip().startswith("["):
            break
        if re.match(r"^\s*" + re.escape(key) + r"\s*=", lines[i]):
            return i + 1
    return start + 1


def _where(text: str, section: str, key: str | None = None) -> str:
    line = _line_of(text, section, key)
    name = f"[{section}]" + (f" {key}" if key else "")
    return f"line {line}: {name}" if line else name


def validate(data: dict[str, Any], text: str = "",
             known_sources: set[str] | None = None) -> list[str]:
    """Every problem in a parsed configuration, each naming its line and key.

    ``known_sources`` (the crawler's declared source ids) checks the ``[sources.*]``
    names; None checks only their keys.
    """
    problems = []
    for section, value in data.items():
        if section == "sources":
            continue
        if section not in SCHEMA:
            problems.append(f"{_where(text, section)}: unknown section")
            continue
        kinds = {key: kind for key, (kind, _) in SCHEMA[section].items()}
        problems += _key_problems(text, section, value, kinds)
        for key, (_, required) in SCHEMA[section].items():
            if required and key not in value:
                problems.append(f"{_where(text, section)}: missing key {key!r}")
    for name, spec in data.get("sources", {}).items():
        where = f"sources.{name}"
        if known_sources is not None and name not in known_sources:
            problems.append(f"{_where(text, where)}: unknown source (known: {', '.join(sorted(known_sources))})")
            continue
        problems += _key_problems(text, where, spec, SOURCE_KEYS)
        if "cron" in spec and "interval_minutes" in spec:
            problems.append(f"{_where(text, where)}: give either cron or interval_minutes, not both")
        if "cron" in spec and isinstance(spec["cron"], str):
            try:
                from apscheduler.triggers.cron import CronTrigger

                CronTrigger.from_crontab(spec["cron"])
            except ValueError as exc:
                problems.append(f"{_where(text, where, 'cron')}: bad cron expression: {exc}")
        if isinstance(spec.get("interval_minutes"), int | float) and spec["interval_minutes"] <= 0:
            problems.append(f"{_where(text, where, 'interval_minutes')}: must be positive")
        if spec.get("polling", "interval") not in ("interval", "budget"):
            problems.append(f"{_where(text, where, 'polling')}: must be 'interval' or 'budget'")
    lang = data.get("alerts", {}).get("default_lang")
    if lang is not None and lang not in ("zh", "en"):
        problems.append(f"{_where(text, 'alerts', 'default_lang')}: must be 'zh' or 'en'")
    return problems


def _key_problems(text: str, where: str, values: dict[str, Any],
                  kinds: dict[str, type | tuple[type, ...]]) -> list[str]:
    """Unknown keys and values of the wrong type in one table (true/false is not a number:
    a bool passes only where bool is the declared type)."""
    problems = []
    for key, item in values.items():
        if key not in kinds:
            problems.append(f"{_where(text, where, key)}: unknown key")
        elif not isinstance(item, kinds[key]) or (isinstance(item, bool) and kinds[key] is not bool):
            problems.append(f"{_where(text, where, key)}: expected {_type_name(kinds[key])}")
    return problems


def _type_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(dict.fromkeys(names[k] for k in kinds))


def load(path: str | Path | None = None, known_sources: set[str] | None = None) -> Config:
    """Load and check a configuration file (None: the defaults).

    :raises ConfigError: with every problem found, each with its line and key
    """
    if path is None:
        return Config(tomllib.loads(DEFAULT_CONFIG))
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read: {exc.strerror}"]) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), [f"not valid TOML: {exc}"]) from exc
    problems = validate(data, text, known_sources)
    if problems:
        raise ConfigError(str(path), problems)
    return Config(data, str(path))


def write_default(path: str | Path) -> Path:
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} exists; not overwriting it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(DEFAULT_CONFIG, encoding="utf-8")
    return path
