"""The one clock: what time it is, and which day it is for the regulator.

Announcements are dated in Beijing time, so "today" is the calendar day in
Asia/Shanghai (UTC+8, no daylight saving), wherever regwatch runs: a query at 20:00 UTC
on 9 October already asks about 10 October. ``REGWATCH_ALERTS_NOW`` (an ISO time) freezes
the clock for demos, tests and replays (core/settings.py documents it).

Timestamps written to the catalogue (``stamp``) are sortable UTC text of the wall clock,
so the order of recorded events stays real even while the clock is frozen.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from core.settings import env

ZONE = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """The current time (UTC, aware); ``REGWATCH_ALERTS_NOW`` freezes it."""
    frozen = env("REGWATCH_ALERTS_NOW")
    if frozen:
        moment = datetime.fromisoformat(frozen.replace("Z", "+00:00"))
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    return datetime.now(UTC)


def today() -> str:
    """The regulator's calendar day now, ``YYYY-MM-DD`` (Asia/Shanghai)."""
    return now().astimezone(ZONE).date().isoformat()


def wall() -> datetime:
    """The real current time (UTC), never frozen: for recording when something happened."""
    return datetime.now(UTC)


def stamp(moment: datetime | None = None) -> str:
    """``moment`` (default: the wall clock) as the catalogue's sortable UTC text."""
    return (moment or wall()).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse(text: str) -> datetime:
    """A stored timestamp back to an aware UTC datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
