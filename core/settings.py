"""The service's TOML configuration: defaults, loading, and checks with line numbers.

Secrets are never in this file: it names the environment variables that hold them.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
        for key, item in value.items():
            if key not in SCHEMA[section]:
                problems.append(f"{_where(text, section, key)}: unknown key")
            elif not isinstance(item, SCHEMA[section][key][0]) or isinstance(item, bool):
                problems.append(f"{_where(text, section, key)}: expected {_type_name(SCHEMA[section][key][0])}")
        for key, (_, required) in SCHEMA[section].items():
            if required and key not in value:
                problems.append(f"{_where(text, section)}: missing key {key!r}")
    for name, spec in data.get("sources", {}).items():
        where = f"sources.{name}"
        if known_sources is not None and name not in known_sources:
            problems.append(f"{_where(text, where)}: unknown source (known: {', '.join(sorted(known_sources))})")
            continue
        for key, item in spec.items():
            if key not in SOURCE_KEYS:
                problems.append(f"{_where(text, where, key)}: unknown key")
            elif not isinstance(item, SOURCE_KEYS[key]) or (isinstance(item, bool) and key != "enabled"):
                problems.append(f"{_where(text, where, key)}: expected {_type_name(SOURCE_KEYS[key])}")
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
