"""Which subscriptions an event concerns, and what in it matched each of them.

Semantics (docs/alerts.md): a subscription's *topic* filters (materials, HS prefixes,
control-code prefixes, keywords) are alternatives: an event that touches any of them
matches, and a subscription with none takes every event. Its *scope* filters (event
kinds, sources, issuers) must all hold. Source-health events have no topic, so only
the scope filters apply to them: a silent site concerns everyone who reads it. Watched
counterparties are a topic too, and the only one an entity-list event (a listing,
suspension or removal) has: such an event concerns the subscriptions with a counterparty
the screening matcher matches to the entity, and nobody else (not even a subscription
without topics: 129 listings are not news to everyone).

The index is built once per batch of events, so matching never tests each subscription
against each event (10,000 subscriptions x 1,000 events in well under a second,
``bench/alerts_bench.py``):

- topic values point at the subscriptions that hold them; an event looks up its own
  materials, the prefixes of its codes, and the keywords whose rarest trigram occurs
  in its text, and only those keywords are searched for;
- subscriptions with the same scope filters form one class; an event checks each class
  once and drops the classes it is out of with one set difference;
- the per-subscription work left is set arithmetic in C, and Python only for the few
  subscribers hit by more than one value.

:func:`match_each` is the plain each-against-each reading of the same semantics, kept
as the reference the index is tested against (tests/test_alerts_matching.py).
"""

from __future__ import annotations

from collections import Counter, defaultdict
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
    entities: list[str] = field(default_factory=list)  # listed entity ids (entity events)


def _norm_code(code: str) -> str:
    return code.replace(" ", "").lower()


Pair = tuple[str, str]  # ("materials" | "hs_codes" | "control_codes" | "keywords"
#                          | "counterparties", value)
Scope = tuple[frozenset, bool, frozenset, frozenset, tuple[int, ...]]


def _scope(sub: dict[str, Any], alert_on_baseline: bool) -> Scope:
    """The scope filters of a subscription: kinds, baseline, sources, issuers, reminders."""
    return (frozenset(sub.get("event_kinds") or kinds.DEFAULT_KINDS),
            bool(sub.get("include_baseline") or alert_on_baseline),
            frozenset(s.lower() for s in sub.get("sources") or ()),
            frozenset(i.upper() for i in sub.get("issuers") or ()),
            tuple(sorted(sub.get("reminder_days") or ())))


def _in_scope(scope: Scope, facts: Facts) -> bool:
    event_kinds, wants_baseline, sources, wanted_issuers, reminder_days = scope
    if facts.kind not in event_kinds:
        return False
    if facts.baseline and not wants_baseline:
        return False
    if sources and (facts.source or "").lower() not in sources:
        return False
    if (wanted_issuers and facts.kind not in kinds.HEALTH_KINDS
            and not {i.upper() for i in facts.issuers} & wanted_issuers):
        return False
    if facts.kind in kinds.REMINDER_KINDS and facts.days_left is not None:
        slot = reminder_slot({"reminder_days": reminder_days}, facts.days_left)
        return slot == facts.reminder_slot
    return True


class _Keywords:
    """Keywords found in a text by substring, without searching for each of them.

    A keyword of three characters or more is filed under its rarest trigram; a text's
    trigrams, taken with ``zip`` and intersected as sets, name the few keywords worth a
    real ``in`` test. The (few) shorter keywords are tested directly.
    """

    def __init__(self, keywords: dict[str, set[int]]) -> None:
        self.sids = keywords
        self.short = sorted(k for k in keywords if len(k) < 3)
        own = {k: {tuple(k[i:i + 3]) for i in range(len(k) - 2)} for k in keywords if len(k) >= 3}
        counts = Counter(g for grams in own.values() for g in grams)
        table: dict[tuple, list[str]] = defaultdict(list)
        for keyword, grams in own.items():
            table[min(grams, key=lambda g: (counts[g], g))].append(keyword)
        self.by_trigram = dict(table)

    def found(self, text: str) -> list[str]:
        """Every keyword that occurs in ``text`` (already lower-cased), sorted."""
        out = [k for k in self.short if k in text]
        for gram in set(zip(text, text[1:], text[2:], strict=False)) & self.by_trigram.keys():
            out.extend(k for k in self.by_trigram[gram] if k in text)
        return sorted(out)


class SubscriptionIndex:
    """Active subscriptions indexed by topic value and grouped by scope."""

    def __init__(self, subscriptions: list[dict[str, Any]], alert_on_baseline: bool = False) -> None:
        self.subs = {s["id"]: s for s in subscriptions}
        self.alert_on_baseline = alert_on_baseline
        self.token: str | None = None  # the catalogue's idempotency-key salt, set by the caller
        self.screener: Any = None  # a screening Screener over the stored lists, set by the caller
        self.counterparties: dict[int, list[dict[str, Any]]] = {}
        self._by_entity: dict[str, dict[str, set[int]]] | None = None
        self._hits: dict[tuple[str, str], dict[str, Any]] = {}
        self.everything: set[int] = set()
        self.by_material: dict[str, set[int]] = defaultdict(set)
        self.by_hs: dict[str, set[int]] = defaultdict(set)
        self.by_control: dict[str, set[int]] = defaultdict(set)
        by_keyword: dict[str, set[int]] = defaultdict(set)
        self.classes: dict[Scope, set[int]] = defaultdict(set)
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
                if keyword:
                    by_keyword[keyword.lower()].add(sid)
                topics += 1
            if sub.get("counterparties"):
                self.counterparties[sid] = sub["counterparties"]
                topics += 1
            if not topics:
                self.everything.add(sid)
            self.classes[_scope(sub, alert_on_baseline)].add(sid)
        self.keywords = _Keywords(dict(by_keyword))
        self._blocked: dict[tuple, set[int]] = {}

    @property
    def reminder_days(self) -> set[int]:
        return {d for s in self.subs.values() for d in s.get("reminder_days") or []}

    def match(self, facts: Facts) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """``[(subscription, matched)]`` for every subscription the event concerns, by id."""
        if facts.kind in kinds.HEALTH_KINDS:
            signatures: dict[int, tuple[Pair, ...]] = dict.fromkeys(self.subs, ())
        elif facts.kind in kinds.ENTITY_KINDS:
            signatures = self._signatures(self._entity_hits(facts), everyone=False)
        else:
            signatures = self._signatures(self._topic_hits(facts))
        concerned = signatures.keys() - self._out_of_scope(facts)
        if not concerned:
            return []
        items = _ItemIndex(facts.items)
        order = sorted(concerned)
        sigs = list(map(signatures.__getitem__, order))
        described = {sig: _describe(sig, items, self._hits, facts.entities) for sig in set(sigs)}
        return list(zip(map(self.subs.__getitem__, order), map(described.__getitem__, sigs),
                        strict=True))

    def _topic_hits(self, facts: Facts) -> dict[Pair, set[int]]:
        """Each matched value and the subscriptions that hold it (shared sets: read only)."""
        hits: dict[Pair, set[int]] = {}

        def hit(pair: Pair, sids: set[int]) -> None:
            known = hits.get(pair)
            hits[pair] = sids if known is None else known | sids

        for material in facts.materials:
            sids = self.by_material.get(material.lower())
            if sids:
                hit(("materials", material), sids)
        if self.by_hs:
            for code in facts.hs_codes:
                for length in range(1, min(len(code), self.max_hs) + 1):
                    sids = self.by_hs.get(code[:length])
                    if sids:
                        hit(("hs_codes", code), sids)
        if self.by_control:
            for code in facts.control_codes:
                norm = _norm_code(code)
                for length in range(1, min(len(norm), self.max_control) + 1):
                    sids = self.by_control.get(norm[:length])
                    if sids:
                        hit(("control_codes", code), sids)
        if self.keywords.sids and facts.text:
            for keyword in self.keywords.found(facts.text.lower()):
                hit(("keywords", keyword), self.keywords.sids[keyword])
        return hits

    def _entity_hits(self, facts: Facts) -> dict[Pair, set[int]]:
        """Each watched counterparty that matches one of the event's entities, and the
        subscriptions that watch it (every distinct counterparty screened once)."""
        if self._by_entity is None:
            self._by_entity = self._screen_counterparties()
        hits: dict[Pair, set[int]] = {}
        for entity_id in facts.entities:
            for name, sids in self._by_entity.get(entity_id, {}).items():
                pair = ("counterparties", name)
                hits[pair] = hits.get(pair, set()) | sids
        return hits

    def _screen_counterparties(self) -> dict[str, dict[str, set[int]]]:
        """entity id -> counterparty name -> subscriptions, through the screening matcher."""
        from screening.counterparties import entities_matched

        by_entity: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
        if self.screener is None or not self.counterparties:
            return {}
        screened: dict[str, dict[str, dict[str, Any]]] = {}
        for sid, rows in self.counterparties.items():
            for row in rows:
                key = _counterparty_key(row)
                if key not in screened:
                    screened[key] = entities_matched(self.screener, row)
                for entity_id, hit in screened[key].items():
                    by_entity[entity_id][row["name"]].add(sid)
                    self._hits[(row["name"], entity_id)] = hit
        return by_entity

    def _signatures(self, hits: dict[Pair, set[int]],
                    everyone: bool = True) -> dict[int, tuple[Pair, ...]]:
        """Subscription id -> the values it matched, in a fixed order (one tuple per set)."""
        base = self.everything if everyone else set()
        signatures: dict[int, tuple[Pair, ...]] = dict.fromkeys(base, ())
        seen: set[int] = set(base)
        for pair in sorted(hits):
            sids = hits[pair]
            again = sids & seen
            if again:
                for sid in again:
                    signatures[sid] += (pair,)
                signatures.update(dict.fromkeys(sids - again, (pair,)))
            else:
                signatures.update(dict.fromkeys(sids, (pair,)))
            seen |= sids
        return signatures

    def _out_of_scope(self, facts: Facts) -> set[int]:
        """The subscriptions whose scope filters the event fails (cached per event shape)."""
        key = (facts.kind, facts.baseline, (facts.source or "").lower(),
               frozenset(i.upper() for i in facts.issuers), facts.days_left, facts.reminder_slot)
        blocked = self._blocked.get(key)
        if blocked is None:
            blocked = set().union(*(sids for scope, sids in self.classes.items()
                                    if not _in_scope(scope, facts)))
            self._blocked[key] = blocked
        return blocked


def _counterparty_key(row: dict[str, Any]) -> str:
    return "\x1f".join([row["name"], row.get("country") or "", *(row.get("aliases") or [])])


def _describe(signature: tuple[Pair, ...], items: _ItemIndex,
              hits: dict[tuple[str, str], dict[str, Any]] | None = None,
              entities: list[str] | None = None) -> dict[str, Any]:
    """The matched values, sorted, plus the items that carry them (or, for counterparties,
    the screening score and rule for each)."""
    if len(signature) == 1:  # the common case, kept cheap
        matched: dict[str, Any] = {signature[0][0]: [signature[0][1]]}
    else:
        grouped: dict[str, set[str]] = defaultdict(set)
        for key, value in signature:
            grouped[key].add(value)
        matched = {k: sorted(v) for k, v in sorted(grouped.items())}
    if matched and items.items:
        chosen = items.carrying(signature)
        if chosen:
            matched["items"] = chosen
    if hits and matched.get("counterparties"):
        matched["screening"] = [{"counterparty": name, "entity_id": entity_id,
                                 **hits[(name, entity_id)]}
                                for name in matched["counterparties"] for entity_id in entities or ()
                                if (name, entity_id) in hits]
    return matched


class _ItemIndex:
    """An event's items by the values they carry, built once per event, not per subscriber."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items
        self.by: dict[Pair, set[int]] = defaultdict(set)
        for index, item in enumerate(items):
            if item.get("control_code"):
                self.by["control_codes", item["control_code"]].add(index)
            for code in item.get("hs_codes") or []:
                self.by["hs_codes", code].add(index)
            for material in item.get("materials") or []:
                self.by["materials", material].add(index)
        self.texts = [(item.get("text") or "").lower() for item in items]

    def carrying(self, signature: tuple[Pair, ...]) -> list[dict[str, Any]]:
        chosen: set[int] = set()
        for pair in signature:
            if pair[0] == "keywords" and pair not in self.by:
                self.by[pair] = {i for i, text in enumerate(self.texts) if pair[1] in text}
            chosen |= self.by.get(pair, chosen)
        return list(map(self.items.__getitem__, sorted(chosen)))


def match_each(subscriptions: list[dict[str, Any]], facts: Facts,
               alert_on_baseline: bool = False,
               screener: Any = None) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The same answer as :meth:`SubscriptionIndex.match`, testing each subscription in turn.

    Slow on purpose (no index): the reference the index is compared with.
    """
    from screening.counterparties import entities_matched

    items = _ItemIndex(facts.items)
    hits: dict[tuple[str, str], dict[str, Any]] = {}
    text = facts.text.lower()
    out = []
    for sub in sorted(subscriptions, key=lambda s: s["id"]):
        if not _in_scope(_scope(sub, alert_on_baseline), facts):
            continue
        pairs: list[Pair] = []
        topics = [*(sub.get(f) or [] for f in ("materials", "hs_prefixes",
                                                "control_code_prefixes", "keywords",
                                                "counterparties"))]
        if facts.kind in kinds.ENTITY_KINDS:
            for row in sub.get("counterparties") or [] if screener is not None else []:
                matched = entities_matched(screener, row)
                for entity_id in facts.entities:
                    if entity_id in matched:
                        pairs.append(("counterparties", row["name"]))
                        hits[(row["name"], entity_id)] = matched[entity_id]
            if not pairs:
                continue
        elif facts.kind not in kinds.HEALTH_KINDS and any(topics):
            names = {n for m in sub.get("materials") or [] for n in expand_material(m.lower())}
            pairs += [("materials", m) for m in facts.materials if m.lower() in names]
            pairs += [("hs_codes", c) for c in facts.hs_codes
                      if any(c.startswith(p) for p in sub.get("hs_prefixes") or [])]
            pairs += [("control_codes", c) for c in facts.control_codes
                      if any(_norm_code(c).startswith(_norm_code(p))
                             for p in sub.get("control_code_prefixes") or [])]
            pairs += [("keywords", k.lower()) for k in sub.get("keywords") or []
                      if k and k.lower() in text]
            if not pairs:
                continue
        out.append((sub, _describe(tuple(sorted(set(pairs))), items, hits, facts.entities)))
    return out


def reminder_slot(sub: dict[str, Any], days_left: int) -> int | None:
    """The one reminder (N days before) a subscription gets when ``days_left`` remain.

    The smallest of its reminder days that is not below ``days_left``: with [7, 1] a
    subscriber hears 7 days before and again 1 day before, never twice for one window.
    """
    slots = [d for d in sub.get("reminder_days") or [] if d >= days_left]
    return min(slots) if slots else None
