"""Score one query form against one listed name, and say why.

Latin: tokens are paired one to one by rapidfuzz OSA similarity (best pairs first); the
score weighs how much of the query the listed name explains against how much of the
listed name the query contains. Han: the same two shares, over character bigrams of
the cores. Exact cores, glued forms and initials short-cut to fixed scores.
"""

from __future__ import annotations

from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from screening.index import NameIndex, acronyms
from screening.normalise import LEGAL_SYMBOL, tables

# A query glued like the listed name once generic words are set aside ("L3Harris").
GLUED_DISTINCT = 0.95


def score(query: dict[str, Any], listed: dict[str, Any], index: NameIndex) -> dict[str, Any]:
    """The score of ``query`` against ``listed`` (both forms of one script) and the reasons.

    :returns: ``{"score": float, "why": {...}}``; the score is in [0, 1].
    """
    if query["script"] == "han":
        return _score_han(query, listed, index.config)
    return _score_latin(query, listed, index)


def _blend(query_share: float, listed_share: float, config: dict[str, Any]) -> float:
    alpha = config["query_side_weight"]
    return alpha * query_share + (1 - alpha) * listed_share


def _score_han(query: dict[str, Any], listed: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    why: dict[str, Any] = {
        "script": "han",
        "query_core": query["core"],
        "listed_core": listed["core"],
        "legal_forms": query["legal_forms"],
    }
    if query["core"] == listed["core"]:
        why["rule"] = "same core"
        return {"score": 1.0, "why": why}
    q_grams, l_grams = query["bigrams"], listed["bigrams"]
    shared = _multiset_overlap(q_grams, l_grams)
    query_share = shared / len(q_grams) if q_grams else 0.0
    listed_share = shared / len(l_grams) if l_grams else 0.0
    why.update(
        rule="bigrams",
        shared_bigrams=shared,
        query_bigrams=len(q_grams),
        listed_bigrams=len(l_grams),
    )
    value = _blend(query_share, listed_share, config)
    if value < config["contained_score"] and len(listed["core"]) >= 2 \
            and listed["core"] in query["core"]:
        # the listed name whole within the query: a subsidiary, a unit (美国立方公司)
        value, why["rule"] = config["contained_score"], "the listed name within the query"
    return {"score": round(value, 4), "why": why}


def _multiset_overlap(a: list[str], b: list[str]) -> int:
    remaining: dict[str, int] = {}
    for gram in b:
        remaining[gram] = remaining.get(gram, 0) + 1
    shared = 0
    for gram in a:
        if remaining.get(gram, 0) > 0:
            remaining[gram] -= 1
            shared += 1
    return shared


def _score_latin(query: dict[str, Any], listed: dict[str, Any], index: NameIndex) -> dict[str, Any]:
    config = index.config
    why: dict[str, Any] = {"script": "latin", "legal_forms": query["legal_forms"]}
    if query["core"] == listed["core"]:
        why["rule"] = "same tokens"
        why["matched"] = [[t, t, 1.0] for t in query["core"]]
        return {"score": 1.0, "why": why}
    if query["compact"] and query["compact"] == listed["compact"]:
        why["rule"] = "same glued form"
        why["matched"] = [[query["compact"], listed["compact"], 1.0]]
        return {"score": 1.0, "why": why}
    pairs, extra, missing = _pair_tokens(query["tokens"], listed["tokens"], config)
    q_weight = sum(index.weight(t) for t in query["tokens"]) or 1.0
    l_weight = sum(index.weight(t) for t in listed["tokens"]) or 1.0
    q_share = sum(index.weight(q) * sim for q, _l, sim in pairs) / q_weight
    l_share = sum(index.weight(l_tok) * sim for _q, l_tok, sim in pairs) / l_weight
    value = _blend(q_share, l_share, config)
    rule = "tokens"
    glued = fuzz.ratio(query["compact"], listed["compact"]) / 100 if query["compact"] else 0.0
    if glued >= config["compact_min_similarity"] and glued > value:
        value, rule = glued, "glued form"
    distinct = query.get("compact_distinct", "")
    if len(distinct) >= 4 and distinct == listed.get("compact_distinct") and value < GLUED_DISTINCT:
        value, rule = GLUED_DISTINCT, "glued form without generic words"
    if len(query["core"]) <= 2 and query["compact"] in acronyms(listed):
        if config["acronym_score"] > value:
            value, rule = config["acronym_score"], "initials"
    if value < config["contained_score"] and _holds(listed["tokens"], missing, pairs):
        value, rule = config["contained_score"], "every distinctive word of the listed name"
    tail = _missing_tail(listed["tokens"], missing)
    if tail and rule == "tokens":
        value *= config["tail_missing_factor"]
        why["missing_tail"] = tail
    places = [t for t in extra if t in tables()["place_words"]]
    if places:
        value *= config["place_mismatch_factor"]
        why["extra_place"] = places
    why.update(
        rule=rule,
        matched=[[q, l_tok, round(sim, 3)] for q, l_tok, sim in pairs if q != LEGAL_SYMBOL],
        extra=[t for t in extra if t != LEGAL_SYMBOL],
        missing=[t for t in missing if t != LEGAL_SYMBOL],
    )
    return {"score": round(value, 4), "why": why}


def token_similarity(a: str, b: str) -> float:
    """Optimal-string-alignment similarity (rapidfuzz; a transposition is one edit, so
    "Dnyamics" is close to "Dynamics" but "Marine" is two edits from "Marvin"). Short
    tokens and tokens with different digits must be equal ("ACT" is not "ACT1")."""
    if a == b:
        return 1.0
    if LEGAL_SYMBOL in (a, b) or min(len(a), len(b)) <= 4:
        return 0.0
    if any(c.isdigit() for c in a + b) and [c for c in a if c.isdigit()] != [c for c in b if c.isdigit()]:
        return 0.0
    return OSA.normalized_similarity(a, b)


def _holds(listed: list[str], missing: list[str], pairs: list[tuple[str, str, float]]
           ) -> bool:
    """Whether the query holds every distinctive word of the listed name (not a legal form,
    stopword or generic word), each written alike (a typo at most), one of them of at
    least four letters."""
    ignored = tables()["stopwords"] | tables()["generic_words"] | {LEGAL_SYMBOL}
    distinct = [t for t in listed if t not in ignored]
    alike = {l_tok for _q, l_tok, sim in pairs if sim >= 0.9}
    return (any(len(t) >= 4 for t in distinct) and not set(distinct) & set(missing)
            and set(distinct) <= alike)


def _missing_tail(listed: list[str], missing: list[str]) -> list[str]:
    """Listed tokens after the last one the query matched, when one of them is a real
    word: the query names the front of the listed name ("Lockheed Martin" of "Lockheed
    Martin Aeronautics"), which is how a parent or sister is written."""
    words = [t for t in listed if t != LEGAL_SYMBOL]
    unmatched = list(missing)
    last = -1
    for i, token in enumerate(words):
        if token in unmatched:
            unmatched.remove(token)
        else:
            last = i
    tail = words[last + 1 :]
    plain = tables()["generic_words"] | tables()["stopwords"]
    return tail if any(t not in plain for t in tail) else []


def _pair_tokens(
    query: list[str], listed: list[str], config: dict[str, Any]
) -> tuple[list[tuple[str, str, float]], list[str], list[str]]:
    """Pair tokens one to one, most similar first; return (pairs, unpaired query, unpaired listed)."""
    floor = config["token_min_similarity"]
    candidates = []
    for i, q in enumerate(query):
        for j, l_tok in enumerate(listed):
            sim = token_similarity(q, l_tok)
            if sim >= floor:
                candidates.append((sim, i, j))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    used_q: set[int] = set()
    used_l: set[int] = set()
    pairs = []
    for sim, i, j in candidates:
        if i in used_q or j in used_l:
            continue
        used_q.add(i)
        used_l.add(j)
        pairs.append((query[i], listed[j], sim))
    extra = [t for i, t in enumerate(query) if i not in used_q]
    missing = [t for j, t in enumerate(listed) if j not in used_l]
    return pairs, extra, missing
