"""An index of listed names, so a query is scored only against names it could match.

Latin names are indexed by token, by glued form (``ironmountainsolutions``) and by
initials (``gdls``); Han names by character bigram. Token weights are inverse document
frequencies over the listed names: a word many listed names share (``systems``) says
less than a rare one (``kratos``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz, process

from screening.normalise import LEGAL_SYMBOL, forms, tables


class NameIndex:
    """Every name of every entity, in its comparable form, with look-ups by key.

    :param entities: dicts with ``id``, ``zh``, ``en`` and optional ``aliases``.
    :param config: the screening thresholds (``screening.config.thresholds()``).
    """

    def __init__(self, entities: list[dict[str, Any]], config: dict[str, Any]) -> None:
        self.config = config
        self.names: list[dict[str, Any]] = []
        self.by_token: dict[str, set[int]] = defaultdict(set)
        self.by_bigram: dict[str, set[int]] = defaultdict(set)
        self.by_compact: dict[str, set[int]] = defaultdict(set)
        self.by_acronym: dict[str, set[int]] = defaultdict(set)
        stopwords = tables()["stopwords"]
        for entity in entities:
            raw = [entity.get("en") or "", entity.get("zh") or "", *entity.get("aliases", [])]
            for text in raw:
                if not text:
                    continue
                for form in forms(text):
                    idx = len(self.names)
                    self.names.append({**form, "entity_id": entity["id"]})
                    if form["script"] == "han":
                        for gram in form["bigrams"]:
                            self.by_bigram[gram].add(idx)
                        continue
                    for token in set(form["core"]):
                        if token not in stopwords:
                            self.by_token[token].add(idx)
                    self.by_compact[form["compact"]].add(idx)
                    for acronym in acronyms(form):
                        self.by_acronym[acronym].add(idx)
        latin = [n for n in self.names if n["script"] == "latin"]
        self.latin_count = max(len(latin), 1)
        self.vocabulary = sorted(self.by_token)
        self.max_weight = math.log(1 + self.latin_count)
        self._similar = lru_cache(maxsize=65536)(self._similar_tokens)

    def weight(self, token: str) -> float:
        """How much a token says: IDF over listed names; legal forms, stopwords and generic
        words (``Systems``, ``International``) low."""
        if token == LEGAL_SYMBOL:
            return self.config["legal_form_weight"]
        if token in tables()["stopwords"]:
            return self.config["stopword_weight"]
        df = len(self.by_token.get(token, ()))
        weight = self.max_weight if df == 0 else math.log(1 + self.latin_count / df)
        if token in tables()["generic_words"]:
            return min(weight, self.config["generic_weight"])
        return weight

    def _similar_tokens(self, token: str) -> tuple[str, ...]:
        if token in self.by_token:
            return (token,)
        if len(token) < 4:
            return ()
        found = process.extract(
            token,
            self.vocabulary,
            scorer=fuzz.ratio,
            score_cutoff=self.config["vocabulary_cutoff"],
            limit=3,
        )
        return tuple(match for match, _score, _i in found)

    def candidates(self, form: dict[str, Any]) -> set[int]:
        """Indices of listed names that share a key with a query form."""
        found: set[int] = set()
        if form["script"] == "han":
            for gram in form["bigrams"]:
                found |= self.by_bigram.get(gram, set())
            return found
        stopwords = tables()["stopwords"]
        for token in form["core"]:
            if token in stopwords:
                continue
            for similar in self._similar(token):
                found |= self.by_token[similar]
        found |= self.by_compact.get(form["compact"], set())
        found |= self.by_acronym.get(form["compact"], set())
        return found


def acronyms(form: dict[str, Any]) -> list[str]:
    """Initials of a Latin name of three or more words, with and without its legal form."""
    stopwords = tables()["stopwords"]
    words = [t for t in form["core"] if t not in stopwords]
    if len(words) < 3:
        return []
    base = "".join(w[0] for w in words)
    out = [base]
    if form["legal_forms"]:
        out.append(base + form["legal_forms"][-1][0])
    return out
