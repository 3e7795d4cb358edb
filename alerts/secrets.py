"""Secrets: looked up by name when a message is sent, never stored, printed or logged.

A secret is named, never given: the catalogue keeps ``REGWATCH_WEBHOOK_SECRET`` or
``slack://${SLACK_TOKENS}``, and the value comes from the environment or, failing that,
from a TOML file of ``NAME = "value"`` lines (``REGWATCH_SECRETS_FILE``, default
``~/.config/regwatch/secrets.toml``). Every error text that may reach a log or the
outbox passes through :func:`redact` first.
"""

from __future__ import annotations

import re
import stat
import tomllib
from pathlib import Path

from alerts.errors import MissingSecret
from core.settings import env, env_named

DEFAULT_FILE = Path("~/.config/regwatch/secrets.toml")
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
MASK = "***"


def _file_values() -> dict[str, str]:
    path = Path(env("REGWATCH_SECRETS_FILE") or DEFAULT_FILE).expanduser()
    if not path.is_file():
        return {}
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise MissingSecret(f"secrets file {path} is readable by others; chmod 600 it")
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    return {str(k): str(v) for k, v in data.items() if not isinstance(v, dict)}


def lookup(name: str, required: bool = True) -> str | None:
    """The value of secret ``name``: the environment first, then the secrets file.

    :raises MissingSecret: when ``required`` and neither has it
    """
    value = env_named(name)
    if value:
        return value
    value = _file_values().get(name)
    if value:
        return value
    if required:
        raise MissingSecret(f"secret {name} is not set (environment or secrets file)")
    return None


def expand(template: str) -> tuple[str, list[str]]:
    """Fill ``${NAME}`` placeholders; return the filled text and the values used (to redact)."""
    used: list[str] = []

    def fill(match: re.Match[str]) -> str:
        value = lookup(match.group(1)) or ""
        used.append(value)
        return value

    return PLACEHOLDER.sub(fill, template), used


def redact(text: str, secrets: list[str | None]) -> str:
    """``text`` with every secret value (and its URL-quoted form) masked."""
    from urllib.parse import quote

    for value in sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True):
        text = text.replace(value, MASK).replace(quote(value, safe=""), MASK)
    return text
