"""Screening thresholds and weights in one place.

The settings module may override any key later (``thresholds(overrides)``); nothing
else in the package holds a number that changes a decision.
"""

from __future__ import annotations

from typing import Any

DEFAULTS: dict[str, Any] = {
    # A hit at or above `match` is a match; [possible, match) is a possible match for review.
    "match": 0.85,
    "possible": 0.70,
    # Weight of "the query is explained by the listed name" against "the listed name is
    # present in the query": extra words in a query (often another company) cost more
    # than missing words (often an abbreviated form of the same one).
    "query_side_weight": 0.5,
    # Two Latin tokens below this rapidfuzz ratio do not pair at all.
    "token_min_similarity": 0.8,
    # Legal forms (Inc., 有限公司 …) are one symbol with this weight; stopwords likewise.
    "legal_form_weight": 0.1,
    "stopword_weight": 0.1,
    # Generic descriptive words (Systems, Technologies, International …) weigh at most this.
    "generic_weight": 1.0,
    # A query whose country differs from the entity's keeps this share of its score.
    "country_mismatch_factor": 0.8,
    # A query with a place word the listed name lacks ("Skydio Japan") is a national unit.
    "place_mismatch_factor": 0.85,
    # A query that names only the front of a listed name ("Lockheed Martin" of "Lockheed
    # Martin Aeronautics") is how a parent or sister is written.
    "tail_missing_factor": 0.9,
    # Score of a query that equals the initials of a listed name of 3+ words ("GDLS").
    "acronym_score": 0.9,
    # Least score of a query holding every distinctive word of a listed name, one of them
    # at least four letters long: how a subsidiary or a division is written ("Cubic
    # Defense Applications" of "Cubic Corporation"). Reviewed, not passed as "no hit".
    "contained_score": 0.70,
    # Vocabulary look-up for misspelt tokens (rapidfuzz ratio, 0–100).
    "vocabulary_cutoff": 80,
    # Glued forms ("IronMountain" / "Iron Mountain") count only at or above this ratio.
    "compact_min_similarity": 0.95,
}


def thresholds(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The defaults with ``overrides`` applied; unknown keys are refused, not ignored.

    :raises KeyError: for a key the screener does not know.
    """
    merged = dict(DEFAULTS)
    for key, value in (overrides or {}).items():
        if key not in DEFAULTS:
            raise KeyError(f"unknown screening setting: {key}")
        merged[key] = value
    if not 0 <= merged["possible"] <= merged["match"] <= 1:
        raise ValueError("screening thresholds must satisfy 0 <= possible <= match <= 1")
    return merged
