"""Which subscriptions an event concerns, and what in it matched each of them.

Semantics (docs/alerts.md): a subscription's *topic* filters (materials, HS prefixes,
control-code prefixes, keywords) are alternatives: an event that touches any of them
matches, and a subscription with none takes every event. Its *scope* filters (event
kinds, sources, issuers) must all hold. Source-health events have no topic, so only
the scope filters apply to them: a silent site concerns everyone who reads it.

The index is built once per batch of events: topic values point at the subscriptions
that hold them, so an event is checked against the few candidates that share a topic
rather than against every subscription.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from alerts import kinds
from alerts.labels import expand_material


@dataclass
class Facts:
    """What an event is about, as the matcher sees it."""

    kind: str
    source: str | None = None
    issuers: list[str] = field(default_factory=list)
    materials: list[str] = field(default_factory=list)
    hs_codes: list[str] = field(default_factory=list)
    control_codes: list[str] = field(default_factory=list)
    text: str = ""
    items: list[dict[str, Any]] = field(default_factory=list)
    baseline: bool = False
    days_left: int | None = None
    reminder_slot: int | None = None


def _norm_code(code: str) -> str:
    return code.replace(" ", "").lower()


class SubscriptionIndex:
    """Active subscriptions indexed by topic value."""

    def __init__(self, subscriptions: list[dict[str, Any]], alert_on_baseline: bool = False) -> None:
        self.subs = {s["id"]: s for s in subscriptions}
        self.alert_on_baseline = alert_on_baseline
        self.everything: set[int] = set()
        self.by_material: dict[str, set[int]] = defaultdict(set)
        self.by_hs: dict[str, set[int]] = defaultdict(set)
        self.by_control: dict[str, set[int]] = defaultdict(set)
        self.by_keyword: dict[str, set[int]] = defaultdict(set)
        self.scopes: dict[int, tuple] = {}
        self.token: str | None = None  # the catalogue's idempotency-key salt, set by the caller
        self.max_hs = self.max_control = 0
        for sub in subscriptions:
            sid = sub["id"]
            topics = 0
            for material in sub.get("materials") or []:
                for name in expand_material(material.lower()):
                    self.by_material[name].add(sid)
                topics += 1
            for prefix in sub.get("hs_prefixes") or []:
                self.by_hs[prefix].add(sid)
                self.max_hs = max(self.max_hs, len(prefix))
                topics += 1
            for prefix in sub.get("control_code_prefixes") or []:
                self.by_control[_norm_code(prefix)].add(sid)
                self.max_control = max(self.max_control, len(prefix))
                topics += 1
            for keyword in sub.get("keywords") or []:
                self.by_keyword[keyword.lower()].add(sid)
                topics += 1
            if not topics:
                self.everything.add(sid)
            self.scopes[sid] = (
                frozenset(sub.get("event_kinds") or kinds.DEFAULT_KINDS),
                bool(sub.get("include_baseline") or alert_on_baseline),
                frozenset(s.lower() for s in sub.get("sources") or ()),
                frozenset(i.upper() for i in sub.get("issuers") or ()),
            )

    @property
    def reminder_days(self) -> set[int]:
        return {d for s in self.subs.values() for d in s.get("reminder_days") or []}

    def match(self, facts: Facts) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """``[(subscription, matched)]`` for every subscription the event concerns."""
        if facts.kind in kinds.HEALTH_KINDS:
            hits: dict[int, list[tuple[str, str]]] = {sid: [] for sid in self.subs}
        else:
            hits = self._topic_hits(facts)
        out = []
        items = _ItemIndex(facts.items)
        described: dict[frozenset, dict[str, Any]] = {}  # many subscribers match alike
        source = (facts.source or "").lower()
        issuers = {i.upper() for i in facts.issuers}
        for sid in sorted(hits):
            if not self._in_scope(sid, facts, source, issuers):
                continue
            signature = frozenset(hits[sid])
            if signature not in described:
                described[signature] = self._describe(signature, items)
            out.append((self.subs[sid], described[signature]))
        return out

    def _topic_hits(self, facts: Facts) -> dict[int, list[tuple[str, str]]]:
        hits: dict[int, list[tuple[str, str]]] = {sid: [] for sid in self.everything}

        def hit(sids: set[int], key: str, value: str) -> None:
            pair = (key, value)
            for sid in sids:
                found = hits.get(sid)
                if found is None:
                    hits[sid] = [pair]
                else:
                    found.append(pair)

        for material in facts.materials:
            sids = self.by_material.get(material.lower())
            if sids:
                hit(sids, "materials", material)
        if self.by_hs:
            for code in facts.hs_codes:
                for length in range(1, min(len(code), self.max_hs) + 1):
                    sids = self.by_hs.get(code[:length])
                    if sids:
                        hit(sids, "hs_codes", code)
        if self.by_control:
            for code in facts.control_codes:
                norm = _norm_code(code)
                for length in range(1, min(len(norm), self.max_control) + 1):
                    sids = self.by_control.get(norm[:length])
                    if sids:
                        hit(sids, "control_codes", code)
        if self.by_keyword and facts.text:
            haystack = facts.text.lower()
            for keyword, sids in self.by_keyword.items():
                if keyword in haystack:
                    hit(sids, "keywords", keyword)
        return hits

    def _in_scope(self, sid: int, facts: Facts, source: str, issuers: set[str]) -> bool:
        event_kinds, wants_baseline, sources, wanted_issuers = self.scopes[sid]
        if facts.kind not in event_kinds:
            return False
        if facts.baseline and not wants_baseline:
            return False
        if sources and source not in sources:
            return False
        if wanted_issuers and facts.kind not in kinds.HEALTH_KINDS and not issuers & wanted_issuers:
            return False
        if facts.kind in kinds.REMINDER_KINDS and facts.days_left is not None:
            return reminder_slot(self.subs[sid], facts.days_left) == facts.reminder_slot
        return True

    @staticmethod
    def _describe(pairs: frozenset, items: _ItemIndex) -> dict[str, Any]:
        """The matched values, sorted, plus the items that carry them."""
        grouped: dict[str, set[str]] = defaultdict(set)
        for key, value in pairs:
            grouped[key].add(value)
        matched: dict[str, Any] = {k: sorted(v) for k, v in sorted(grouped.items())}
        if matched and items.items:
            chosen = items.carrying(matched)
            if chosen:
                matched["items"] = chosen
        return matched


class _ItemIndex:
    """An event's items by the values they carry, built once per event, not per subscriber."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items
        self.by: dict[tuple[str, str], list[int]] = defaultdict(list)
        for index, item in enumerate(items):
            if item.get("control_code"):
                self.by["control_codes", item["control_code"]].append(index)
            for code in item.get("hs_codes") or []:
                self.by["hs_codes", code].append(index)
            for material in item.get("materials") or []:
                self.by["materials", material].append(index)
        self.texts = [(item.get("text") or "").lower() for item in items]

    def carrying(self, matched: dict[str, list[str]]) -> list[dict[str, Any]]:
        chosen: set[int] = set()
        for key in ("control_codes", "hs_codes", "materials"):
            for value in matched.get(key, ()):
                chosen.update(self.by.get((key, value), ()))
        for keyword in matched.get("keywords", ()):
            chosen.update(i for i, text in enumerate(self.texts) if keyword in text)
        return [self.items[i] for i in sorted(chosen)]


def reminder_slot(sub: dict[str, Any], days_left: int) -> int | None:
    """The one reminder (N days before) a subscription gets when ``days_left`` remain.

    The smallest of its reminder days that is not below ``days_left``: with [7, 1] a
    subscriber hears 7 days before and again 1 day before, never twice for one window.
    """
    slots = [d for d in sub.get("reminder_days") or [] if d >= days_left]
    return min(slots) if slots else None
