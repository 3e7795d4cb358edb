"""``regwatch_conditions``: licence conditions that can be read reliably.

Destinations (对美国出口, "exports to the United States"), end users and end uses
(军事用户, "military end users"), and value thresholds (价值占比 0.1%). A destination
counts only in a frame that ties it to the export (``destination_frame`` rows) inside
a sentence with a restriction cue, so a country mentioned in passing is not a condition.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from .. import scorer as _scorer  # noqa: F401  (registers the scorer)
from ..lexicon import RuleComponent, gate, raw, state, view
from .structure import clause_at, sentence_at


class Conditions(RuleComponent):
    """Destination, end-user, end-use and value-threshold conditions."""

    data_name = "conditions.jsonl"

    def _compile(self) -> None:
        self.countries: list[tuple[str, str, str]] = []  # (name, value, lang)
        self.terms: list[tuple[re.Pattern[str], str, str]] = []
        frames_zh: list[str] = []
        frames_en: list[str] = []
        cues: list[str] = []
        self.value_rx: list[re.Pattern[str]] = []
        for row in self.patterns:
            kind = row["kind"]
            if kind == "destination":
                self.countries += [(n, row["value"], "zh") for n in row.get("zh", [])]
                self.countries += [(n, row["value"], "en") for n in row.get("en", [])]
            elif kind in ("end_user", "end_use"):
                for term in row.get("zh", []):
                    self.terms.append((re.compile(re.escape(term)), kind, row["value"]))
                for term in row.get("en", []):
                    self.terms.append((re.compile(r"(?i)\b" + re.escape(term) + r"\b"), kind,
                                       row["value"]))
            elif kind == "destination_frame":
                frames_zh += row.get("zh", [])
                frames_en += row.get("en", [])
            elif kind == "restriction_cue":
                cues += [re.escape(c) for c in row.get("zh", [])]
                cues += [r"(?i:\b" + re.escape(c) + ")" for c in row.get("en", [])]
            elif kind == "value_threshold":
                self.value_rx.append(re.compile(row["pattern"], re.I))
        self.cue_re = re.compile("|".join(cues) or "(?!)")
        self.country_value = {n.lower(): v for n, v, _ in self.countries}
        zh_names = "|".join(re.escape(n) for n, _, lg in sorted(self.countries, key=lambda c:
                                                                 -len(c[0])) if lg == "zh")
        en_names = "|".join(re.escape(n) for n, _, lg in sorted(self.countries, key=lambda c:
                                                                 -len(c[0])) if lg == "en")
        frames = [re.escape(f).replace(r"\{X\}", f"(?P<x>{zh_names})") for f in frames_zh]
        frames += [r"\b" + re.escape(f).replace(r"\{X\}", f"(?P<x>{en_names})") + r"(?![A-Za-z])"
                   for f in frames_en]
        self.frames = [re.compile(f) for f in frames]
        names = sorted({n for n, _, _ in self.countries}, key=lambda n: -len(n))
        self.country_any = re.compile(gate(names) + "(?:" + "|".join(re.escape(n) for n in names)
                                      + ")" if names else "(?!)")
        term_alt = [rx.pattern.replace("(?i)", "") for rx, _, _ in self.terms]
        words = [t for r in self.patterns if r["kind"] in ("end_user", "end_use")
                 for k in ("zh", "en") for t in r.get(k, [])]
        self.terms_any = re.compile(gate(words) + "(?i:" + "|".join(
            sorted(term_alt, key=len, reverse=True)) + ")" if term_alt else "(?!)")

    def __call__(self, doc: Doc) -> Doc:
        self._check_ready()
        st = state(doc)
        text = view(doc)
        found: dict[tuple[str, str, str | None], dict[str, Any]] = {}

        def add(kind: str, value: str, start: int, end: int) -> None:
            s, e = sentence_at(doc, start)
            clause = clause_at(doc, start)
            provision = clause["label"] if clause else None
            key = (kind, value, provision)
            if key not in found:
                found[key] = {"kind": kind, "value": value, "text": raw(doc)[s:e].strip(),
                              "provision": provision, "span": [start, end]}

        # Frames are tried only around a country name (one pass finds those).
        for c in self.country_any.finditer(text):
            lo, hi = max(0, c.start() - 24), min(len(text), c.end() + 24)
            for rx in self.frames:
                m = next((m for m in rx.finditer(text, lo, hi) if m.span("x") == c.span()),
                         None)
                if m is None:
                    continue
                s, e = sentence_at(doc, m.start())
                value = self.country_value.get(m["x"].lower())
                if value and self.cue_re.search(text, s, e):
                    add("destination", value, m.start("x"), m.end("x"))
                break
        for m in self.terms_any.finditer(text):
            for rx, kind, value in self.terms:
                if rx.fullmatch(m.group(0)):
                    add(kind, value, m.start(), m.end())
                    break
        for rx in self.value_rx if "%" in text else ():
            for m in rx.finditer(text):
                group = "v" if m["v"] else "v2"
                add("value_threshold", re.sub(r"\s+", "", m[group]), m.start(group), m.end(group))
        st["conditions"] = sorted(found.values(), key=lambda c: (c["span"][0], c["kind"],
                                                                 c["value"]))
        return doc


@Language.factory(
    "regwatch_conditions",
    assigns=["doc._.rw"],
    default_config={"scorer": {"@scorers": "regwatch.field_scorer.v1",
                               "fields": []}},
    default_score_weights={},
)
def make_conditions(nlp: Language, name: str,
                    scorer: Callable[..., dict[str, float]] | None) -> Conditions:
    return Conditions(nlp, name, scorer=scorer)
