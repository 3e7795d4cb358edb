"""The screener: a counterparty name in, hits against the listed entities out.

``Screener(listings).screen("Skydio, Inc.")`` returns plain dicts, best first, one per
(entity, list announcement): the score, the band (``match`` or ``possible``), the
list, the announcement, the entity's names, the state on a date when events are given,
and why it matched (the token pairs, extra and missing words). Chinese names are
compared with Chinese names and Latin with Latin; a query in one script never scores
against a name in the other.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from screening.config import thresholds
from screening.index import NameIndex
from screening.normalise import forms
from screening.score import score
from screening.state import state_on

# Rules by which a query is the listed name itself, not merely close to it.
EXACT_RULES = ("same core", "same tokens", "same glued form")


class Screener:
    """Screens names against listings.

    :param listings: rows from ``screening.lists.listings`` (entity id, names, country,
        list, announcement, applies_from).
    :param events: optional ``screening.lists.events`` output, for states on a date.
    :param config: overrides of ``screening.config.DEFAULTS``.
    """

    def __init__(
        self,
        listings: list[dict[str, Any]],
        events: dict[tuple[str, str], list[dict[str, Any]]] | None = None,
        config: dict[str, Any] | None = None,
    ) -> None:
        self.config = thresholds(config)
        self.listings_by_entity: dict[str, list[dict[str, Any]]] = defaultdict(list)
        entities: dict[str, dict[str, Any]] = {}
        for row in listings:
            self.listings_by_entity[row["entity_id"]].append(row)
            entity = entities.setdefault(
                row["entity_id"],
                {"id": row["entity_id"], "zh": row["zh"], "en": row["en"], "aliases": []},
            )
            for name in [row["zh"], row["en"], *row.get("aliases", [])]:
                if name and name not in (entity["zh"], entity["en"], *entity["aliases"]):
                    entity["aliases"].append(name)
        self.index = NameIndex(list(entities.values()), self.config)
        self.events = events or {}

    def best_by_entity(self, name: str) -> dict[str, dict[str, Any]]:
        """The best-scoring listed name per entity for a raw query string."""
        best: dict[str, dict[str, Any]] = {}
        for query in forms(name):
            for idx in self.index.candidates(query):
                listed = self.index.names[idx]
                if listed["script"] != query["script"]:
                    continue
                result = score(query, listed, self.index)
                entity_id = listed["entity_id"]
                if entity_id not in best or result["score"] > best[entity_id]["score"]:
                    best[entity_id] = {**result, "query": query["name"], "listed": listed["name"]}
        return best

    def screen(self, name: str, country: str | None = None, on: str | None = None) -> list[dict[str, Any]]:
        """Hits at or above the possible-match threshold, best first.

        :param name: the counterparty as written (any script, with its other names in
            parentheses or after ``d/b/a``).
        :param country: ISO code; a different country lowers the score.
        :param on: ``YYYY-MM-DD``; adds each hit's state on that date.
        """
        hits = []
        scored = self.best_by_entity(name)
        exact = {e for e, b in scored.items() if b["why"].get("rule") in EXACT_RULES}
        for entity_id, best in scored.items():
            for row in self.listings_by_entity[entity_id]:
                value = best["score"]
                why = dict(best["why"], query_name=best["query"], listed_name=best["listed"])
                if country and row.get("country") and country.upper() != row["country"]:
                    value = round(value * self.config["country_mismatch_factor"], 4)
                    why["country_mismatch"] = [country.upper(), row["country"]]
                if value < self.config["possible"]:
                    continue
                band = "match" if value >= self.config["match"] else "possible"
                if exact and entity_id not in exact and band == "match":
                    # The query is exactly another listed name; this one merely contains
                    # it (a unit of that entity): left for review.
                    band = "possible"
                    why["dominated_by"] = sorted(exact)
                hit = {
                    "score": value,
                    "band": band,
                    "entity_id": entity_id,
                    "name_zh": row["zh"],
                    "name_en": row["en"],
                    "country": row.get("country"),
                    "list": row["list"],
                    "announcement": row["announcement"],
                    "applies_from": row["applies_from"],
                    "why": why,
                }
                if on:
                    hit["state"] = state_on(self.events.get((entity_id, row["list"]), []), on)
                hits.append(hit)
        hits.sort(key=lambda h: (-h["score"], h["entity_id"], h["list"], h["announcement"]))
        return hits

    def is_match(self, name: str, country: str | None = None) -> bool:
        """Whether any hit reaches the match threshold."""
        return any(h["band"] == "match" for h in self.screen(name, country))
