"""``regwatch_materials``: materials whose export the document controls, from a closed vocabulary.

One longest-first pass over the text with every term of ``data/materials.jsonl``:
element names (simplified, traditional, English), aliases (白银 → silver), groups
(稀土 → rare earths), compound words with a fixed meaning (磷酸铁锂 → lithium,
钕铁硼 → nothing, 钐钴 → samarium) and stop words (银行, 铁路, 无锡). A single
character inside an unlisted compound is a *weak* mention: 锑 and 镓 in 锑化镓, 铁 and
锂 in …铁锂…; 氧化镓 names gallium (the other part is not a metal of the vocabulary),
and the first element of an alloy (钨镍铁合金) is strong.

A material is reported when a strong mention names the *subject* of the measure: in
the title, as the first material of a controlled item, or in a list framed as the
object of control (对钨、碲…相关物项, 镓、锗、锑相关两用物项, "controls on X",
"X-related items", a heading line such as "Part B – Superhard materials"). A document
without a number of its own (news, a Q&A, a listing) controls nothing, so reports
nothing: what it names is kept as ``discussed`` (the result's ``mentions``), not as
``materials``. ``rare earths`` is reported only when no single rare-earth element is.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from .. import scorer as _scorer  # noqa: F401  (registers the scorer)
from ..lexicon import RuleComponent, gate, state, view

RARE_EARTHS = {
    "lanthanum", "cerium", "praseodymium", "neodymium", "promethium", "samarium", "europium",
    "gadolinium", "terbium", "dysprosium", "holmium", "erbium", "thulium", "ytterbium",
    "lutetium", "scandium", "yttrium",
}


# Gaps that always join a list (钨、碲 / samarium, gadolinium and yttrium), and what breaks one.
PLAIN_GAPS = frozenset(("", "、", ",", "，", "和", "及", "与", "/", ", ", " and ", ", and ", " or "))
RUN_BREAK = re.compile(r"[。;:\n()（）.]")
# An annex line that only lists forms of materials (五、金属镱、镱合金、氧化镱 /
# 其他物项：金属镝、氧化镝、金属钇) names what it lists: what is left once the mentions,
# these form words, list separators and a leading label are taken out must be nothing.
FORM_WORDS = re.compile(r"金属|单质|氧化物?|合金|靶材|化合物|混合物|及其|的|粉末?|锭|"
                        r"(?i:\b(?:metals?|oxides?|alloys?|targets?|compounds?|mixtures?|powders?|"
                        r"and|or|its|their|of)\b)")
LIST_LABEL = re.compile(r"^\s*(?:[0-9]{1,2}[.、)]|[一二三四五六七八九十]{1,3}[、.]|[(（][^)）]{1,3}[)）]|"
                        r"[A-Za-z][.)])?\s*(?:[^:：\n]{1,8}[:：])?")
LIST_SEP = re.compile(r"[、,，;；和及与/]")


class Materials(RuleComponent):
    """Longest-match vocabulary tagging with compound, stop-word and context rules."""

    data_name = "materials.jsonl"

    def _compile(self) -> None:
        self.zh_terms: dict[str, tuple[str, list[str]]] = {}
        self.en_terms: dict[str, tuple[str, list[str]]] = {}
        self.element_chars: dict[str, str] = {}
        self.sets: dict[str, set[str]] = {"anion": set(), "nonmetal_prefix": set(),
                                          "alloy_tail": set()}
        self.frames: dict[str, list[re.Pattern[str]]] = {}
        for row in self.patterns:
            kind = row.get("kind", "element")
            mats = [row["material"]] if "material" in row else list(row.get("materials", []))
            if kind in self.sets:
                self.sets[kind].update(row.get("zh", []) + [w.lower() for w in row.get("en", [])])
                continue
            if kind in ("frame_after", "frame_before", "run_gap", "heading"):
                for lang in ("zh", "en"):
                    self.frames.setdefault(f"{kind}:{lang}", []).extend(
                        re.compile(p) for p in row.get(lang, []))
                continue
            for term in row.get("zh", []):
                self.zh_terms.setdefault(term, (kind, mats))
                if kind == "element" and len(term) == 1:
                    self.element_chars[term] = mats[0]
            for term in row.get("en", []):
                self.en_terms.setdefault(self._en_key(term), (kind, mats))
        # One search per frame kind: the zh and en patterns of a kind as one alternation.
        self.frame_any: dict[str, re.Pattern[str]] = {}
        for kind in ("frame_after", "frame_before", "run_gap", "heading"):
            pats = [rx.pattern for lang in ("zh", "en") for rx in self.frames.get(f"{kind}:{lang}", [])]
            if pats:
                self.frame_any[kind] = re.compile("|".join(
                    f"(?i:{p[4:]})" if p.startswith("(?i)") else f"(?:{p})" for p in pats))
        zh_sorted = sorted(self.zh_terms, key=lambda t: (-len(t), t))
        self.zh_re = re.compile(gate(zh_sorted) + "(?:" + "|".join(re.escape(t) for t in zh_sorted)
                                + ")" if zh_sorted else "(?!)")
        en_sorted = sorted(self.en_terms, key=lambda t: (-len(t), t))
        self.en_re = re.compile(
            gate(en_sorted) + r"(?i:\b(?:" + "|".join(
                r"[\s-]+".join(map(re.escape, t.split())) for t in en_sorted)
            + r")(?![A-Za-z]))" if en_sorted else "(?!)")
        self.word_re = re.compile(r"[A-Za-z][A-Za-z\-]*")

    @staticmethod
    def _en_key(term: str) -> str:
        return re.sub(r"[\s-]+", " ", term.lower()).strip()

    def _frame(self, kind: str, text: str) -> bool:
        rx = self.frame_any.get(kind)
        return bool(rx and rx.search(text))

    def __call__(self, doc: Doc) -> Doc:
        self._check_ready()
        st = state(doc)
        text = view(doc)
        mentions = self.find(text, st.get("glosses"))
        st["material_mentions"] = mentions
        subjects = self.subjects(st, text, mentions)
        kind = st.get("kind")
        has_effect = bool(st.get("number")) or bool(
            kind in (None, "announcement") and st.get("items") and st.get("issuer_spans"))
        if st["ctx"].get("item_source", "text") != "text":
            has_effect = True  # an attachment is judged by the document it belongs to
        named: dict[str, list[list[int]]] = {}
        for m in subjects:
            for mat in m["materials"]:
                named.setdefault(mat, []).append([m["start"], m["end"]])
        if "rare earths" in named and RARE_EARTHS & set(named):
            del named["rare earths"]
        spans = sorted(({"value": mat, "start": s, "end": e} for mat in named for s, e in named[mat]),
                       key=lambda sp: (sp["start"], sp["value"]))
        # A document that acts controls what it names; a report or a Q&A only discusses it.
        reported = named if has_effect else {}
        st["materials"] = sorted(reported)
        st["material_spans"] = spans if has_effect else []
        st["discussed"] = [] if has_effect else sorted(named)
        st["discussed_spans"] = [] if has_effect else spans
        starts = [m["start"] for m in mentions]  # sorted: find() returns them in order
        for item in st.get("items", []):
            s, e = item["vspan"]
            inside = mentions[bisect_left(starts, s):bisect_left(starts, e)]
            found = {mat for m in inside for mat in m["materials"]}
            item["materials"] = sorted(found & set(reported))
        return doc

    def subjects(self, st: dict[str, Any], text: str,
                 mentions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Mentions that name the subject of the measure (title, item heads, framed lists)."""
        strong = [m for m in mentions if m["strong"]]
        chosen: dict[int, dict[str, Any]] = {}
        title = st["structure"].get("title")
        if title and title["start"] >= 0:
            for m in strong:
                if title["start"] <= m["start"] < title["end"]:
                    chosen[m["start"]] = m
        strong_starts = [m["start"] for m in strong]
        for item in st.get("items", []):
            s, e = item["vspan"]
            k = bisect_left(strong_starts, s)  # the first strong mention inside the item
            if k < len(strong) and strong[k]["start"] < e:
                chosen[strong[k]["start"]] = strong[k]
        for run in self._runs(text, strong):
            before = text[max(0, run[0]["start"] - 40):run[0]["start"]]
            after = text[run[-1]["end"]:run[-1]["end"] + 12]
            line_start = text.rfind("\n", 0, run[0]["start"]) + 1
            line_end = text.find("\n", run[-1]["end"])
            line_end = len(text) if line_end < 0 else line_end
            heading = (line_end - line_start <= 40
                       and self._frame("heading", text[line_start:run[0]["start"]]))
            # three or more elements listed together name what the list is about
            listed = len(run) >= 3 and len({mat for m in run for mat in m["materials"]}) >= 3
            if (listed or self._frame("frame_after", after) or self._frame("frame_before", before)
                    or heading):
                for m in run:
                    chosen[m["start"]] = m
        for line in self._form_lists(text, mentions):
            for m in line:
                chosen[m["start"]] = m
        return [chosen[k] for k in sorted(chosen)]

    @staticmethod
    def _form_lists(text: str, mentions: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        """Lines that are only a list of material forms: two or more strong mentions, every
        gap between two mentions holds a list separator (spaces alone do not), and nothing
        but form words, separators and a leading label is left over."""
        by_line: dict[int, list[dict[str, Any]]] = {}
        for m in mentions:
            by_line.setdefault(text.rfind("\n", 0, m["start"]) + 1, []).append(m)
        out = []
        for start, found in by_line.items():
            strong = [m for m in found if m["strong"]]
            if len(strong) < 2:
                continue
            end = text.find("\n", start)
            end = len(text) if end < 0 else end
            parts, pos = [], start
            for m in found:
                parts.append(text[pos:m["start"]])
                pos = max(pos, m["end"])
            parts.append(text[pos:end])
            parts[0] = LIST_LABEL.sub("", parts[0], count=1)
            if not all(LIST_SEP.search(p) or not p for p in parts[1:-1]):
                continue
            if all(not LIST_SEP.sub("", FORM_WORDS.sub("", p)).strip() for p in parts):
                out.append(strong)
        return out

    def _runs(self, text: str, mentions: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        """Mentions listed together: 钨、碲、铋 / samarium, gadolinium and yttrium."""
        runs: list[list[dict[str, Any]]] = []
        for m in mentions:
            if runs:
                gap = text[runs[-1][-1]["end"]:m["start"]]
                if gap in PLAIN_GAPS or (len(gap) <= 40 and not RUN_BREAK.search(gap)
                                         and self._frame("run_gap", gap)):
                    runs[-1].append(m)
                    continue
            runs.append([m])
        return runs

    def find(self, text: str,
             glosses: list[tuple[int, int]] | None = None) -> list[dict[str, Any]]:
        """Every vocabulary hit with its strength (see the module docstring).

        With ``glosses`` (spans the view blanked as pinyin: 石(shí)墨(mò)), the terms are
        matched on the text without them and the offsets mapped back, so a two-character
        term split by a gloss is still one term.
        """
        if glosses:
            keep = []
            pos = 0
            for lo, hi in glosses:
                keep.extend(range(pos, lo))
                pos = hi
            keep.extend(range(pos, len(text)))
            found = self._find("".join(text[i] for i in keep))
            for m in found:
                m["start"], m["end"] = keep[m["start"]], keep[m["end"] - 1] + 1
            return found
        return self._find(text)

    def _find(self, text: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for m in self.zh_re.finditer(text):
            kind, mats = self.zh_terms[m.group(0)]
            if kind == "stop" or not mats:
                continue
            strong = True
            if kind == "element" and len(m.group(0)) == 1:
                strong = self._zh_strength(text, m.start())
            out.append({"start": m.start(), "end": m.end(), "materials": mats, "strong": strong,
                        "text": m.group(0)})
        if self.en_terms and re.search(r"[A-Za-z]{4}", text):
            for m in self.en_re.finditer(text):
                kind, mats = self.en_terms.get(self._en_key(m.group(0)), ("stop", []))
                if kind == "stop" or not mats:
                    continue
                strong = True
                if kind == "element":
                    nxt = self.word_re.match(text, m.end() + 1) if m.end() < len(text) else None
                    if nxt and text[m.end()] in " -" and nxt.group(0).lower() in self.sets["anion"]:
                        strong = False
                out.append({"start": m.start(), "end": m.end(), "materials": mats,
                            "strong": strong, "text": m.group(0)})
        out.sort(key=lambda x: x["start"])
        return out

    def _zh_strength(self, text: str, pos: int) -> bool:
        chars = self.element_chars
        prev = text[pos - 1] if pos > 0 else ""
        nxt = text[pos + 1] if pos + 1 < len(text) else ""
        if prev == "化":  # X化Y: Y is named unless X is itself a metal of the vocabulary
            return not (pos >= 2 and text[pos - 2] in chars)
        if nxt == "化":
            return not (pos + 2 < len(text) and text[pos + 2] in chars)
        if prev in chars:
            return False
        if nxt in chars:  # first element of a cluster: an alloy (钨镍铁合金) names it
            end = pos + 1
            while end < len(text) and text[end] in chars:
                end += 1
            return any(text.startswith(t, end) for t in self.sets["alloy_tail"])
        return True


@Language.factory(
    "regwatch_materials",
    assigns=["doc._.rw"],
    default_config={"scorer": {"@scorers": "regwatch.field_scorer.v1",
                               "fields": ["materials"]}},
    default_score_weights={"materials_f": 1.0},
)
def make_materials(nlp: Language, name: str,
                   scorer: Callable[..., dict[str, float]] | None) -> Materials:
    return Materials(nlp, name, scorer=scorer)
