"""An entity's state on a list on a date, from its change events.

States: ``not_listed`` (before its listing), ``listed``, ``suspended`` (measures
suspended until a date, after which it is listed again unless a later notice says
otherwise) and ``removed`` (measures stopped). Each answer names the announcement
behind it and the interval it holds for.
"""

from __future__ import annotations

from typing import Any


def state_on(entity_events: list[dict[str, Any]], on: str) -> dict[str, Any]:
    """The state on date ``on`` (``YYYY-MM-DD``) given one entity's events on one list.

    :param entity_events: dicts with ``date``, ``action`` (``add``, ``suspend``,
        ``resume``, ``remove``), optional ``until`` and ``announcement``.
    :returns: ``{"state", "since", "until", "announcement"}``.
    """
    current: dict[str, Any] = {"state": "not_listed", "since": None, "until": None,
                               "announcement": None}
    for event in sorted(entity_events, key=lambda e: e["date"]):
        if event["date"] > on:
            break
        current = _expire(current, event["date"])
        action = event["action"]
        if action in ("add", "resume"):
            current = {"state": "listed", "since": event["date"], "until": None,
                       "announcement": event["announcement"]}
        elif action == "suspend":
            current = {"state": "suspended", "since": event["date"],
                       "until": event.get("until"), "announcement": event["announcement"]}
        elif action == "remove":
            current = {"state": "removed", "since": event["date"], "until": None,
                       "announcement": event["announcement"]}
        else:
            raise ValueError(f"unknown entity event action: {action}")
    return _expire(current, on)


def _expire(current: dict[str, Any], on: str) -> dict[str, Any]:
    """A suspension whose ``until`` has come reverts to listed from that day."""
    until = current.get("until")
    if current["state"] == "suspended" and until and until <= on:
        return {"state": "listed", "since": until, "until": None,
                "announcement": current["announcement"]}
    return current


def history(entity_events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entity's intervals on one list: state, from, until, announcement."""
    dates = sorted({e["date"] for e in entity_events} | {e["until"] for e in entity_events
                                                          if e.get("until")})
    intervals: list[dict[str, Any]] = []
    for day in dates:
        state = state_on(entity_events, day)
        if intervals and intervals[-1]["state"] == state["state"] \
                and intervals[-1]["announcement"] == state["announcement"]:
            continue
        if intervals:
            intervals[-1]["until"] = day
        intervals.append({"state": state["state"], "from": day, "until": None,
                          "announcement": state["announcement"]})
    return intervals
