"""Pure derivation of state intervals from dates and references (no database).

A subject (an announcement, one of its provisions or one of its items) is ``pending``
from its issue date until the day before it takes effect, then ``in_force``. Effects of
other announcements cut into that: ``suspended`` for a window, ``repealed`` or
``superseded`` from a day on. Intervals are day ranges with both ends inclusive (``end``
None means open), the way the announcements write them: "自即日起至2026年11月10日" is
suspended up to and including 10 November 2026.

Precedence on any day: an end (repealed/superseded) beats a suspension, a suspension beats
the subject's own pending/in-force state. Each interval carries its cause (the
announcement that put it in that state), a reason in words and the chain of
announcements that explains it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from extract.clauses import (  # noqa: F401  (re-exported: one clause reading)
    clause_covers,
    clause_parts,
    clause_text,
)

ENDS = ("repeals", "supersedes")
END_STATE = {"repeals": "repealed", "supersedes": "superseded"}


@dataclass(frozen=True)
class Effect:
    """What another announcement does to a subject: ``by`` acts from ``start`` to ``end``."""

    by: str
    relation: str  # suspends | repeals | supersedes | amends
    start: str
    end: str | None = None
    clause: str | None = None  # normalised clause label; None = the whole announcement
    chain: tuple[dict[str, Any], ...] = field(default=(), compare=False, hash=False)


@dataclass
class Interval:
    state: str
    start: str
    end: str | None
    cause: str | None
    relation: str | None
    clause: str | None
    reason: str
    chain: list[dict[str, Any]] = field(default_factory=list)
    prev_state: str | None = None

    def key(self) -> tuple:
        """What makes two derivations of an interval the same (for keeping history)."""
        return (self.state, self.start, self.end, self.cause, self.relation, self.clause,
                self.reason, self.prev_state,
                json.dumps(self.chain, ensure_ascii=False, sort_keys=True))


# -- dates --------------------------------------------------------------------------------

def day_after(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def day_before(day: str) -> str:
    return (date.fromisoformat(day) - timedelta(days=1)).isoformat()


ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def iso_or_none(value: Any) -> str | None:
    """A ``YYYY-MM-DD`` string, or None for anything else (the extractor may give null)."""
    if isinstance(value, dict):
        value = value.get("date")
    if isinstance(value, str) and ISO.match(value[:10]):
        try:
            date.fromisoformat(value[:10])
        except ValueError:
            return None
        return value[:10]
    return None


# -- clause labels: one reading for the project, in extract/clauses.py --------------------

# -- derivation ---------------------------------------------------------------------------

def _state_on(day: str, issue: str | None, effective: str | None,
              effects: list[Effect], notes: list[Effect],
              pending_parts: dict[str, str]) -> tuple[str, str | None, str | None, str | None,
                                                       str, list[dict[str, Any]]] | None:
    """(state, cause, relation, clause, reason, chain) on ``day``; None when unknown."""
    ends = [e for e in effects if e.relation in ENDS and e.start <= day]
    if ends:
        e = min(ends, key=lambda x: (x.start, x.by))
        verb = "repealed" if e.relation == "repeals" else "superseded"
        return (END_STATE[e.relation], e.by, e.relation, e.clause,
                f"{verb} by {e.by} from {e.start}" + _of_clause(e.clause), list(e.chain))
    active = [e for e in effects if e.relation == "suspends" and e.start <= day
              and (e.end is None or e.end >= day)]
    if active:
        e = max(active, key=lambda x: (x.start, x.end or "9999", x.by))
        until = f" until {e.end}" if e.end else " until further notice"
        return ("suspended", e.by, "suspends", e.clause,
                f"suspended by {e.by} from {e.start}{until}" + _of_clause(e.clause),
                list(e.chain))
    if issue is None and effective is None:
        # Known only through references (not in the catalogue): in force again after a
        # suspension ended, otherwise unknown.
        ended = [e for e in effects if e.relation == "suspends" and e.end and e.end < day]
        if not ended:
            return None
        e = max(ended, key=lambda x: (x.end or "", x.by))
        return ("in_force", e.by, "suspends", e.clause,
                f"in force again from {day_after(e.end or day)}: the suspension by {e.by} "
                f"ended {e.end}", list(e.chain))
    if effective is None or day < effective:
        when = f"takes effect {effective}" if effective else "effective date unknown"
        return ("pending", None, None, None, f"issued {issue}; {when}", [])
    state, cause, relation, clause, chain = "in_force", None, None, None, []
    reason = f"in force since {effective}"
    ended = [e for e in effects if e.relation == "suspends" and e.end and e.end < day]
    amended = [e for e in effects if e.relation == "amends" and e.start <= day]
    if ended:
        e = max(ended, key=lambda x: (x.end or "", x.by))
        cause, relation, clause, chain = e.by, "suspends", e.clause, list(e.chain)
        reason = (f"in force again from {day_after(e.end or day)}: the suspension by {e.by} "
                  f"ended {e.end}")
    if amended:
        e = max(amended, key=lambda x: (x.start, x.by))
        if not ended or e.start > (max(x.end or "" for x in ended)):
            cause, relation, clause, chain = e.by, "amends", e.clause, list(e.chain)
        reason += f"; amended by {e.by} from {e.start}" + _of_clause(e.clause)
    parts: list[str] = []
    for note in sorted(notes, key=lambda x: (x.start, x.by)):
        if note.start > day or (note.end is not None and note.end < day):
            continue
        what = {"suspends": "suspended", "repeals": "repealed", "supersedes": "superseded",
                "amends": "amended"}[note.relation]
        until = f" until {note.end}" if note.relation == "suspends" and note.end else ""
        parts.append(f"clause {note.clause} {what} by {note.by} from {note.start}{until}")
        cause, relation, clause, chain = note.by, note.relation, note.clause, list(note.chain)
    waiting = sorted((d, label) for label, d in pending_parts.items() if d > day)
    if waiting:
        labels = "、".join(label for _, label in waiting)
        parts.append(f"{labels} take effect {waiting[0][0]}")
    if parts:
        reason = f"in force since {effective}, in part: " + "; ".join(parts)
    return (state, cause, relation, clause, reason, chain)


def _of_clause(clause: str | None) -> str:
    return f" (clause {clause})" if clause else ""


def derive_intervals(issue: str | None, effective: str | None, effects: list[Effect],
                     notes: list[Effect] | None = None,
                     pending_parts: dict[str, str] | None = None) -> list[Interval]:
    """The intervals of one subject, oldest first.

    :param issue: the day the announcement was issued (None when known only by reference)
    :param effective: the day the subject takes effect (None: not known)
    :param effects: effects reaching this subject (already filtered by clause)
    :param notes: effects on single clauses of an announcement, for its own intervals:
        they leave the announcement in force but change the reason and cause
    :param pending_parts: provisions of an announcement that take effect later, label → day
    """
    notes = notes or []
    pending_parts = pending_parts or {}
    if issue and effective and effective < issue:
        effective = issue  # a retroactive date: in force from the day it was issued
    days: set[str] = set()
    for d in (issue, effective, *pending_parts.values()):
        if d:
            days.add(d)
    for e in (*effects, *notes):
        days.add(e.start)
        if e.end:
            days.add(day_after(e.end))
    floor = issue or (min(days) if days else None)
    if floor is None:
        return []
    points = sorted(d for d in days if d >= floor)
    result: list[Interval] = []
    for index, start in enumerate(points):
        end = day_before(points[index + 1]) if index + 1 < len(points) else None
        value = _state_on(start, issue, effective, effects, notes, pending_parts)
        if value is None:
            continue
        state, cause, relation, clause, reason, chain = value
        last = result[-1] if result else None
        if (last and last.end is not None and day_after(last.end) == start
                and (last.state, last.cause, last.reason) == (state, cause, reason)):
            last.end = end
            continue
        result.append(Interval(state, start, end, cause, relation, clause, reason, chain))
        if state in ("repealed", "superseded"):
            result[-1].end = None
            break
    for before, after in zip(result, result[1:], strict=False):
        if before.end is not None and day_after(before.end) == after.start:
            after.prev_state = before.state
    return result


def state_on(intervals: list[Interval], day: str) -> Interval | None:
    """The interval covering ``day`` (None: not issued yet, or unknown)."""
    for interval in intervals:
        if interval.start <= day and (interval.end is None or interval.end >= day):
            return interval
    return None
