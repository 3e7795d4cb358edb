"""When to check a source next: a daily request budget spent where announcements appear.

A check is one conditional request (If-None-Match / If-Modified-Since) for a source's
first list page; a 304 costs the site almost nothing and tells us nothing changed. The
announcements come out in Beijing office hours and, often, in the evening (facts sheet:
No. 61 about 09:00, No. 10 at 13:19, No. 58's repost 17:37, No. 68 17:45, No. 18 18:00,
No. 70 in the evening, 2026 No. 1 in the afternoon; No. 72 on a Sunday). So the checks
are spread over the week by a weight per half hour of the week: dense in office hours
and evenings, sparse at night and at weekends, never zero.

Budget: ``budget_per_day`` is a cap on every Beijing calendar day, not an average. Of
it, ``reserve_per_day`` is kept for what a check sets off: the crawl of a changed list
(new detail pages, attachments) and the daily re-visit of known pages. The rest is the
polling allocation; the heaviest day's allocation equals it exactly, lighter days
(weekends) get less.

Checks are evenly spaced in "allocation time": the next check is due when the
allocation accrued since ``now`` reaches one request, so each slot gets its share
whatever the phase. On errors the gap grows exponentially up to a cap (and honours a
server's Retry-After); the first success returns to the profile.

Everything here is pure: ``next_check(policy, now, last_outcome)`` reads no clock (the
service, regwatch/polling.py, gives it the time).
Time is Asia/Shanghai (no daylight saving, so a week is always 336 half hours).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

from core import yamldata
from core.clock import ZONE as TZ

SLOT_MINUTES = 30
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES
SLOTS_PER_WEEK = 7 * SLOTS_PER_DAY
SLOT_SECONDS = SLOT_MINUTES * 60

# The profiles and the defaults. Bands are Beijing local time, [from, to); a weight is
# relative (a band of weight 8 is checked 8x as often as one of weight 1). Each source
# names its budget and profile in crawler/sources.yaml (``schedule: budget_per_day,
# profile``), read through crawler/sources.py.
POLICY_DATA = """
profiles:
  beijing_office:
    weekday:                 # Mon-Fri
      "00:00-07:00": 1.5     # night: still checked, about every 20 min at 300/day
      "07:00-08:30": 3
      "08:30-12:00": 8       # morning office hours (No. 61 ~09:00)
      "12:00-13:30": 5       # lunch (No. 10 at 13:19)
      "13:30-18:00": 8       # afternoon office hours (No. 58 repost 17:37, No. 68 17:45)
      "18:00-22:00": 8       # evenings (No. 18 18:00, No. 70 evening)
      "22:00-24:00": 3
    weekend:                 # Sat, Sun (No. 72 came out on a Sunday)
      "00:00-08:00": 1.5
      "08:00-22:00": 3
      "22:00-24:00": 1.5
defaults:
  budget_per_day: 300
  reserve_fraction: 0.2      # share of the budget kept for crawls a check sets off
  reserve_min_per_day: 50    # ... but no less than this (a busy day's crawls + re-visits)
  min_interval_minutes: 1    # never closer than this, whatever the budget
  backoff_factor: 2.0
  backoff_cap_minutes: 30
"""


@cache
def policy_data() -> dict[str, Any]:
    return yamldata.load(POLICY_DATA)


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def day_weights(bands: dict[str, float]) -> list[float]:
    """One weight per half hour of a day from ``{"HH:MM-HH:MM": weight}`` bands.

    :raises ValueError: when the bands leave a slot uncovered, overlap, or weigh <= 0.
    """
    weights: list[float | None] = [None] * SLOTS_PER_DAY
    for band, weight in bands.items():
        start, end = (_minutes(part) for part in band.split("-"))
        if start % SLOT_MINUTES or end % SLOT_MINUTES or not 0 <= start < end <= 24 * 60:
            raise ValueError(f"band {band!r} must run forward on {SLOT_MINUTES}-minute boundaries")
        if float(weight) <= 0:
            raise ValueError(f"band {band!r} has weight {weight}; every slot needs a check")
        for slot in range(start // SLOT_MINUTES, end // SLOT_MINUTES):
            if weights[slot] is not None:
                raise ValueError(f"band {band!r} overlaps another band")
            weights[slot] = float(weight)
    if any(w is None for w in weights):
        raise ValueError("bands leave part of the day without a weight")
    return weights  # type: ignore[return-value]


def week_weights(profile: dict[str, Any]) -> list[float]:
    """336 weights, Monday 00:00 first (a profile has ``weekday`` and ``weekend`` bands)."""
    weekday, weekend = day_weights(profile["weekday"]), day_weights(profile["weekend"])
    return [w for day in range(7) for w in (weekday if day < 5 else weekend)]


def make_policy(source: str = "", *, budget_per_day: float | None = None,
                profile: str | dict[str, Any] = "beijing_office", **options: Any) -> dict[str, Any]:
    """A resolved policy: the declared values plus ``rate``, checks per half-hour slot.

    ``rate`` is scaled so the heaviest day sums to the polling allocation
    (``budget_per_day - reserve_per_day``).
    """
    data = policy_data()
    spec = {**data["defaults"], **options}
    budget = float(budget_per_day if budget_per_day is not None else spec["budget_per_day"])
    reserve = float(spec.get("reserve_per_day", max(budget * float(spec["reserve_fraction"]),
                                                    float(spec["reserve_min_per_day"]))))
    if not 0 <= reserve < budget:
        raise ValueError(f"reserve {reserve} must be below the budget {budget}")
    weights = week_weights(data["profiles"][profile] if isinstance(profile, str) else profile)
    heaviest = max(sum(weights[d * SLOTS_PER_DAY:(d + 1) * SLOTS_PER_DAY]) for d in range(7))
    scale = (budget - reserve) / heaviest
    return {
        "source": source, "budget_per_day": budget, "reserve_per_day": reserve,
        "profile": profile if isinstance(profile, str) else "custom",
        "min_interval_minutes": float(spec["min_interval_minutes"]),
        "backoff_factor": float(spec["backoff_factor"]),
        "backoff_cap_minutes": float(spec["backoff_cap_minutes"]),
        "rate": [w * scale for w in weights],
    }


def policy_for(source: str, **overrides: Any) -> dict[str, Any]:
    """The policy ``source`` declares in sources.yaml, with ``overrides`` on top."""
    from crawler.sources import get_source

    schedule = get_source(source).get("schedule") or {}
    declared = {k: schedule[k] for k in ("budget_per_day", "profile") if k in schedule}
    return make_policy(source, **{**declared, **overrides})


def daily_allocation(policy: dict[str, Any]) -> list[float]:
    """Polling checks planned per weekday, Monday first."""
    rate = policy["rate"]
    return [sum(rate[d * SLOTS_PER_DAY:(d + 1) * SLOTS_PER_DAY]) for d in range(7)]


def _week_position(now: datetime) -> float:
    """Seconds since Monday 00:00 Beijing time."""
    if now.tzinfo is None:
        raise ValueError("next_check needs an aware datetime")
    local = now.astimezone(TZ)
    return (local.weekday() * 86400 + local.hour * 3600 + local.minute * 60 + local.second
            + local.microsecond / 1e6)


def normal_gap(policy: dict[str, Any], now: datetime) -> float:
    """Seconds until one request of allocation has accrued from ``now``."""
    rate = policy["rate"]
    position = _week_position(now)
    slot = int(position // SLOT_SECONDS) % SLOTS_PER_WEEK
    remaining_in_slot = (slot + 1) * SLOT_SECONDS - position
    need, gap = 1.0, 0.0
    while True:
        per_second = rate[slot] / SLOT_SECONDS
        available = per_second * remaining_in_slot
        if available >= need:
            gap += need / per_second
            break
        need -= available
        gap += remaining_in_slot
        slot = (slot + 1) % SLOTS_PER_WEEK
        remaining_in_slot = SLOT_SECONDS
    return max(gap, policy["min_interval_minutes"] * 60)


def record_outcome(previous: dict[str, Any] | None, status: str,
                   retry_after_seconds: float | None = None) -> dict[str, Any]:
    """The outcome to pass to the next ``next_check``: status plus the error streak.

    ``status`` is ``not_modified`` (304), ``changed`` (200, new entries) or ``error``
    (network failure, 5xx, challenge not passed, …).
    """
    if status not in ("not_modified", "changed", "error"):
        raise ValueError(f"unknown check status {status!r}")
    streak = (previous or {}).get("consecutive_errors", 0) + 1 if status == "error" else 0
    outcome: dict[str, Any] = {"status": status, "consecutive_errors": streak}
    if retry_after_seconds is not None:
        outcome["retry_after_seconds"] = float(retry_after_seconds)
    return outcome


def next_check(policy: dict[str, Any], now: datetime,
               last_outcome: dict[str, Any] | None = None) -> datetime:
    """When to check next, given the check made at ``now`` and how it went.

    After ``n`` consecutive errors the gap is ``normal * factor**n``, capped at
    ``backoff_cap_minutes`` (but never shorter than the normal gap, so backing off never
    spends more than the profile), and at least a server's Retry-After.
    """
    gap = normal_gap(policy, now)
    outcome = last_outcome or {}
    errors = outcome.get("consecutive_errors", 0) if outcome.get("status") == "error" else 0
    if errors:
        backed_off = gap * policy["backoff_factor"] ** errors
        gap = max(gap, min(backed_off, policy["backoff_cap_minutes"] * 60))
    gap = max(gap, outcome.get("retry_after_seconds", 0.0))
    return (now + timedelta(seconds=gap)).astimezone(TZ)
