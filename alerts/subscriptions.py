"""Subscriptions: who wants to hear about what, how, when and in which language.

Stored in the catalogue, managed by ``regwatch subscribe / subscriptions / unsubscribe``
and loadable from a TOML file (``[[subscription]]`` tables, upserted by ``name``).
A subscription stores the *names* of its secrets (``secret_env``, ``${VAR}``
placeholders in URLs), never their values: :func:`validate` refuses a URL that carries
a token in clear.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlite_utils import Database

from alerts import kinds
from alerts.errors import InvalidSubscription, SubscriptionNotFound
from alerts.labels import material_code
from alerts.secrets import PLACEHOLDER
from alerts.settings import iso, load_settings, now
from store.catalogue import transaction as write_transaction

CHANNELS = ("email", "webhook", "apprise")
MODES = ("immediate", "digest")
LANGS = ("zh", "en")
LIST_FIELDS = ("materials", "hs_prefixes", "control_code_prefixes", "issuers", "sources",
               "keywords", "event_kinds", "reminder_days", "counterparties")
EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$|^[^@\s<>\"']+@localhost$")
HS_PREFIX = re.compile(r"^[0-9]{1,10}$")
CONTROL_PREFIX = re.compile(r"^[0-9]([A-Ea-e]([0-9]{0,3}(\.[a-z0-9.]*)?)?)?$")
HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
# Keys a TOML [[subscription]] table may use, and the column each fills.
TOML_KEYS = {
    "name": "name", "email": "email", "webhook": "webhook", "apprise": "apprise",
    "webhook_secret_env": "secret_env", "materials": "materials", "hs_prefixes": "hs_prefixes",
    "control_code_prefixes": "control_code_prefixes", "issuers": "issuers",
    "sources": "sources", "keywords": "keywords", "events": "event_kinds",
    "digest": "digest_at", "timezone": "timezone", "lang": "lang",
    "reminder_days": "reminder_days", "include_baseline": "include_baseline",
    "counterparties": "counterparties", "portfolio": "portfolio",
}


def _clean_list(values: Any) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for value in values:
        value = str(value).strip()
        if value and value not in out:
            out.append(value)
    return out


def build(channel: str, target: str, *, name: str | None = None,
          materials: Any = None, hs_prefixes: Any = None, control_code_prefixes: Any = None,
          issuers: Any = None, sources: Any = None, keywords: Any = None,
          event_kinds: Any = None, digest_at: str | None = None, timezone: str | None = None,
          lang: str | None = None, reminder_days: Any = None, secret_env: str | None = None,
          include_baseline: bool = False, origin: str = "cli",
          counterparties: Any = None, portfolio: str | None = None) -> dict[str, Any]:
    """A validated subscription row (not yet stored).

    :raises InvalidSubscription: on anything that could not work as written
    """
    row: dict[str, Any] = {
        "name": (name or "").strip() or None, "channel": channel, "target": (target or "").strip(),
        "materials": [material_code(m) for m in _clean_list(materials)],
        "hs_prefixes": [p.replace(".", "").replace(" ", "") for p in _clean_list(hs_prefixes)],
        "control_code_prefixes": _clean_list(control_code_prefixes),
        "issuers": [i.upper() for i in _clean_list(issuers)],
        "sources": [s.lower() for s in _clean_list(sources)],
        "keywords": _clean_list(keywords),
        "event_kinds": _clean_list(event_kinds) or list(
            kinds.PORTFOLIO_KINDS if (portfolio or "").strip() else kinds.DEFAULT_KINDS),
        "mode": "digest" if digest_at else "immediate",
        "digest_at": digest_at or None, "timezone": timezone or "UTC", "lang": lang or load_settings().default_lang,
        "reminder_days": sorted({int(d) for d in _clean_list(reminder_days)})
        or list(load_settings().reminder_days),
        "secret_env": secret_env or None, "include_baseline": int(bool(include_baseline)),
        "active": 1, "origin": origin,
        "counterparties": _counterparties(counterparties),
        "portfolio": (portfolio or "").strip() or None,  # alerts/portfolio.py
    }
    if channel == "webhook" and not row["secret_env"]:
        row["secret_env"] = load_settings().webhook_secret_env
    validate(row)
    return row


def _counterparties(value: Any) -> list[dict[str, Any]]:
    """Watched counterparties: rows of ``screening.counterparties.read_csv``, or a CSV path.

    :raises InvalidSubscription: when the file cannot be read
    """
    from screening.counterparties import BadCounterparties, read_csv

    if not value:
        return []
    if isinstance(value, str | Path):
        try:
            return read_csv(value)
        except BadCounterparties as exc:
            raise InvalidSubscription(str(exc)) from exc
    return [{"name": str(r["name"]).strip(), "country": r.get("country") or None,
             "address": r.get("address") or None, "aliases": list(r.get("aliases") or [])}
            for r in value if str(r.get("name") or "").strip()]


def validate(row: dict[str, Any]) -> None:
    """:raises InvalidSubscription: with the first problem found"""
    channel, target = row["channel"], row["target"]
    if channel not in CHANNELS:
        raise InvalidSubscription(f"channel must be one of {', '.join(CHANNELS)}")
    if channel == "email" and not EMAIL.match(target):
        raise InvalidSubscription(f"not an e-mail address: {target!r}")
    if channel == "webhook":
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidSubscription("a webhook is an http:// or https:// URL")
        if parts.password:
            raise InvalidSubscription(
                "the webhook URL carries a password; put it in an environment variable and "
                "write ${VAR} in the URL instead")
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", row.get("secret_env") or ""):
            raise InvalidSubscription("--webhook-secret-env must name an environment variable")
    if channel == "apprise":
        _check_apprise(target)
    bad_kinds = [k for k in row["event_kinds"] if k not in kinds.KINDS]
    if bad_kinds:
        raise InvalidSubscription(f"unknown event kind(s) {', '.join(bad_kinds)}; "
                                  f"known: {', '.join(kinds.KINDS)}")
    for prefix in row["hs_prefixes"]:
        if not HS_PREFIX.match(prefix):
            raise InvalidSubscription(f"an HS code prefix is 1-10 digits, not {prefix!r}")
    for prefix in row["control_code_prefixes"]:
        if not CONTROL_PREFIX.match(prefix):
            raise InvalidSubscription(f"not a control-code prefix: {prefix!r} (e.g. 1C, 1C902, 1C902.a)")
    if row["lang"] not in LANGS:
        raise InvalidSubscription("--lang is zh or en")
    if row["digest_at"] and not HHMM.match(row["digest_at"]):
        raise InvalidSubscription(f"--digest is a time of day HH:MM, not {row['digest_at']!r}")
    try:
        ZoneInfo(row["timezone"])
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidSubscription(f"unknown time zone {row['timezone']!r}") from exc
    if any(d < 0 or d > 366 for d in row["reminder_days"]):
        raise InvalidSubscription("reminder days are between 0 and 366")


def _check_apprise(url: str) -> None:
    """A valid Apprise URL whose tokens are ``${VAR}`` placeholders, not values."""
    import apprise

    probe = PLACEHOLDER.sub(lambda m: f"PLACEHOLDER{len(m.group(1))}x", url)
    plugin = apprise.Apprise.instantiate(probe)
    if plugin is None:
        raise InvalidSubscription(f"not an Apprise URL Apprise understands: {_mask(url)}")
    if PLACEHOLDER.search(url):
        return
    if plugin.url(privacy=True) != plugin.url(privacy=False):
        raise InvalidSubscription(
            "this Apprise URL carries tokens in clear; they would be stored in the catalogue. "
            "Put them in environment variables and write e.g. "
            "slack://${SLACK_TOKEN_A}/${SLACK_TOKEN_B}/${SLACK_TOKEN_C} instead")


def _mask(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://…" if parts.scheme else "…"


def _to_db(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (json.dumps(v, ensure_ascii=False) if k in LIST_FIELDS else v) for k, v in row.items()}


def _from_db(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for key in LIST_FIELDS:
        out[key] = json.loads(out[key]) if out.get(key) else []
    return out


def add(db: Database, row: dict[str, Any]) -> dict[str, Any]:
    """Store a subscription built by :func:`build`; a row with a known name replaces it.

    :raises InvalidSubscription: when validation fails
    """
    validate(row)
    stamp = iso(now())
    with write_transaction(db):
        existing = None
        if row.get("name"):
            existing = db.execute("select id from subscriptions where name = ?",
                                  [row["name"]]).fetchone()
        if existing:
            db["subscriptions"].update(existing[0], {**_to_db(row), "updated_at": stamp})
            sub_id = existing[0]
        else:
            sub_id = db["subscriptions"].insert(
                {**_to_db(row), "created_at": stamp, "updated_at": stamp}).last_pk
    return get(db, sub_id)


def get(db: Database, sub_id: int) -> dict[str, Any]:
    """:raises SubscriptionNotFound: when there is no such subscription"""
    row = db.execute("select * from subscriptions where id = ?", [sub_id]).fetchone()
    if row is None:
        raise SubscriptionNotFound(f"no subscription {sub_id}")
    columns = [d[0] for d in db.execute("select * from subscriptions limit 0").description]
    return _from_db(dict(zip(columns, row, strict=True)))


def active(db: Database) -> list[dict[str, Any]]:
    return [_from_db(r) for r in db.query("select * from subscriptions where active = 1 order by id")]


def listing(db: Database, include_inactive: bool = False) -> list[dict[str, Any]]:
    where = "" if include_inactive else "where active = 1"
    return [_from_db(r) for r in db.query(f"select * from subscriptions {where} order by id")]


def remove(db: Database, sub_id: int) -> dict[str, Any]:
    """Deactivate a subscription and cancel what it has not been sent yet (history kept).

    :raises SubscriptionNotFound: when there is no such subscription
    """
    sub = get(db, sub_id)
    with write_transaction(db):
        db["subscriptions"].update(sub_id, {"active": 0, "updated_at": iso(now())})
        cancelled = db.execute(
            "update outbox set status = 'cancelled', last_error = 'unsubscribed' "
            "where subscription_id = ? and status = 'pending'", [sub_id]).rowcount
    return {**sub, "active": 0, "cancelled": cancelled}


def from_toml(data: dict[str, Any], origin: str = "file",
              base: Path | None = None) -> list[dict[str, Any]]:
    """Subscription rows from a parsed TOML document (``[[subscription]]`` tables).

    A ``counterparties`` key names a CSV, relative to ``base`` (the TOML file's folder).

    :raises InvalidSubscription: naming the table at fault
    """
    tables = data.get("subscription") or data.get("subscriptions") or []
    if not isinstance(tables, list) or not tables:
        raise InvalidSubscription("no [[subscription]] tables in the file")
    rows = []
    for index, table in enumerate(tables, start=1):
        unknown = set(table) - set(TOML_KEYS)
        label = table.get("name") or f"#{index}"
        if unknown:
            raise InvalidSubscription(f"subscription {label}: unknown key(s) {', '.join(sorted(unknown))}")
        channels = [c for c in ("email", "webhook", "apprise") if table.get(c)]
        if len(channels) != 1:
            raise InvalidSubscription(f"subscription {label}: give exactly one of email, webhook, apprise")
        if not table.get("name"):
            raise InvalidSubscription(f"subscription {label}: a name is required in a file "
                                      "(loading the file again updates it by name)")
        kwargs = {TOML_KEYS[k]: v for k, v in table.items() if k not in channels}
        if isinstance(kwargs.get("counterparties"), str) and base is not None:
            kwargs["counterparties"] = base / kwargs["counterparties"]
        try:
            rows.append(build(channels[0], table[channels[0]], origin=origin, **kwargs))
        except InvalidSubscription as exc:
            raise InvalidSubscription(f"subscription {label}: {exc}") from exc
    return rows


def load_file(db: Database, path: str | Path) -> list[dict[str, Any]]:
    """Validate every subscription of a TOML file, then store them all (or none).

    :raises InvalidSubscription: when the file or any subscription in it is invalid
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidSubscription(f"{path}: {exc}") from exc
    rows = from_toml(data, origin=f"file:{path.name}", base=path.parent)
    with write_transaction(db):
        return [add(db, row) for row in rows]
