"""``regwatch_dates``: the issue date, the effective dates and clause-level provisions.

The issue date is the document's own date (the 发文日期 field, else the date under the
signature, else a date line under the title), never the web posting time unless
nothing else is printed. A date is an effective date only when a cue says so
(自…起实施, 于…生效, "takes effect on", "with effect from") or when the text says the
document applies on publication (自公布之日起, 自即日起, "takes effect immediately"),
which means the issue date. Deadlines (…前报送), "until" dates (至…), posting times and
licence-period years are left out by the ``not_before``/``not_after`` cues.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from .. import scorer as _scorer  # noqa: F401  (registers the scorer)
from ..datetext import DateMention, find_dates, infer_year, make_iso
from ..lexicon import RuleComponent, gate, state, view
from .structure import clause_int, clause_label

ZH_NUM = "一二三四五六七八九十"
SENTENCE_END = re.compile(r"[。;\n!?]")
CLAUSE_END = re.compile(r"[。;\n!?,，]")
LATIN_WORD = re.compile(r"[A-Za-z]{2}")
TIME = re.compile(r"(?<![0-9])[0-2]?[0-9]:[0-5][0-9](?![0-9])")
POSTING = re.compile(r"来源|浏览|点击|发布时间|阅读|字号|打印|分享|Source|Views|Posted", re.I)
ORG_TAIL = re.compile(r"(?:部|署|局|机制|办公室|委员会|委|厅|司)$|(?i:ministry|administration|"
                      r"commission|office|mechanism|bureau|customs|commerce|mofcom|gacc)")
# Cheap gates before the "upon publication" patterns run over the whole text.
IMMEDIATE_HINT_ZH = re.compile(r"(?=[之即立])(?:之\s*日\s*起|即\s*日|立\s*即)")
_HINT_WORDS = ("effect", "force", "publication", "promulgation", "issuance", "immediate", "today",
               "release", "announcement", "signature", "implement", "appl")
IMMEDIATE_HINT_EN = re.compile(gate(_HINT_WORDS) + "(?i:" + "|".join(_HINT_WORDS) + ")")
WITHIN_DAYS = re.compile(r"(?i)within\s+\d+\s+\w*\s*days?\s*$")
MENTION_HINT = re.compile(r"公\s*告|(?i:announcement)|第\s*[0-9]+\s*号")
RELATIVE_DEADLINE = re.compile(r"^\s*(?:[0-9一二三四五六七八九十]+\s*(?:个)?\s*(?:工作)?日|内|后)")
PROV_ZH = re.compile(
    rf"第\s*(?P<top>[{ZH_NUM}0-9]+)\s*(?:条|款)(?:\s*第?\s*\(\s*(?P<sub>[{ZH_NUM}0-9]+)\s*\)\s*项?)?"
    rf"|第\s*\(\s*(?P<sub2>[{ZH_NUM}0-9]+)\s*\)\s*项|第\s*(?P<sub3>[{ZH_NUM}]+)\s*项"
)
PROV_EN = re.compile(
    r"(?i)(?:(?:items?|sub-?paragraphs?|points?|sub-?clauses?)\s*(?P<subs>\(\s*\w+\s*\)"
    r"(?:\s*(?:,|and|&)\s*\(\s*\w+\s*\))*)\s*(?:of|under|in)\s+(?:article|paragraph|section|"
    r"clause|part)\s+(?P<top>\d+))"
    r"|(?:article|paragraph|section|clause|part)\s+(?P<top2>\d+)\s*(?P<subs2>(?:\(\s*\w+\s*\)"
    r"(?:\s*(?:,|and|&)\s*\(\s*\w+\s*\))*)?)"
)


# A date in a headline or lead that says when something starts (…8月1日起实施) is not
# the issue date.
TITLE_EFFECT_AFTER = re.compile(r"\s*(?:起|开始|生效|实施|施行|执行|前)")
TITLE_EFFECT_BEFORE = re.compile(r"(?:自|从|于|(?i:from|effective|effect\s+on|until|by|starting))\s*$")

class Dates(RuleComponent):
    """Finds every date, then decides which one is the issue date and which are effective."""

    data_name = "effective.jsonl"

    def _compile(self) -> None:
        self.rx: dict[tuple[str, str], list[re.Pattern[str]]] = {}
        for row in self.patterns:
            self.rx.setdefault((row["kind"], row["lang"]), []).append(re.compile(row["pattern"]))
        # _any only asks "does one of them match?": an alternation answers it in one pass
        # (kept apart when the patterns cannot be joined, e.g. a repeated group name).
        self.joined: dict[tuple[str, str], re.Pattern[str]] = {}
        for key, pats in self.rx.items():
            parts = [f"(?i:{p.pattern[4:]})" if p.pattern.startswith("(?i)") else f"(?:{p.pattern})"
                     for p in pats]
            if len(parts) > 1 and not any("(?" in p.pattern[4:] and "(?i)" in p.pattern[4:]
                                          for p in pats):
                try:
                    self.joined[key] = re.compile("|".join(parts))
                except re.error:
                    pass

    def _any(self, kind: str, lang: str, text: str, search: bool = True) -> re.Match[str] | None:
        one = self.joined.get((kind, lang))
        if one is not None:  # the patterns of a kind as one alternation: one pass, not many
            return one.search(text) if search else one.match(text)
        for rx in self.rx.get((kind, lang), []):
            m = rx.search(text) if search else rx.match(text)
            if m:
                return m
        return None

    def __call__(self, doc: Doc) -> Doc:
        self._check_ready()
        st = state(doc)
        text = view(doc)
        lang = st["ctx"].get("lang", "zh")
        dates = find_dates(text, lang=lang)
        st["dates"] = dates
        issue = self._issue_date(st, text, dates, lang)
        st["issue_date"] = issue
        effective, provisions = self._effective(st, text, dates, lang, issue)
        st["effective"] = effective
        st["provisions"] = provisions
        return doc

    # -- issue date ------------------------------------------------------------------
    def _issue_date(self, st: dict[str, Any], text: str, dates: list[DateMention],
                    lang: str) -> dict[str, Any] | None:
        fields = st["structure"]["fields"]
        field = fields.get("issue_date")
        if field and field["start"] >= 0:
            found = find_dates(field["value"], lang=lang, compact=True)
            full = [d for d in found if d.iso]
            if full:
                s = field["start"] + full[0].start
                return {"date": full[0].iso, "start": s, "end": field["start"] + full[0].end,
                        "how": "field"}
        lines = st["structure"]["lines"]
        full_dates = [d for d in dates if d.iso]
        # The date under the signature: the last date-only (or "issuers + date") line.
        for start, end in reversed(lines[-15:]):
            hit = self._date_line(text, start, end, full_dates)
            if hit:
                return {"date": hit.iso, "start": hit.start, "end": hit.end, "how": "signature"}
        for start, end in lines[:5]:
            hit = self._date_line(text, start, end, full_dates, signature=False)
            if hit:
                return {"date": hit.iso, "start": hit.start, "end": hit.end, "how": "heading"}
        title = st["structure"].get("title")
        if title and title["start"] >= 0:
            # not a date the title gives as the start of the measure (…8月1日起实施…)
            in_title = [d for d in full_dates if title["start"] <= d.start < title["end"]
                        and not TITLE_EFFECT_AFTER.match(text, d.end)
                        and not TITLE_EFFECT_BEFORE.search(text[max(0, d.start - 24):d.start])]
            if in_title:
                d = in_title[0]
                return {"date": d.iso, "start": d.start, "end": d.end, "how": "title"}
        posted = (st["ctx"].get("meta") or {}).get("posted")
        if posted:
            found = [d for d in find_dates(posted) if d.iso]
            if found:
                return {"date": found[0].iso, "start": -1, "end": -1, "how": "posted"}
        # News and reports: the dateline under the headline (2025-12-18 16:05 来源：…).
        for start, end in lines[:4]:
            inside = [d for d in full_dates if start <= d.start < end]
            if inside and end - start <= 80 and not MENTION_HINT.search(text, start, end):
                d = inside[0]
                return {"date": d.iso, "start": d.start, "end": d.end, "how": "dateline"}
        return self._lead_date(st, text, dates, lines)

    @staticmethod
    def _lead_date(st: Any, text: str, dates: list[DateMention],
                   lines: list[tuple[int, int]]) -> dict[str, Any] | None:
        """A dated lead without a year ("7月3日，商务部、海关总署发布公告…"): the year of the
        first announcement number the page names, else of the nearest full date."""
        for start, end in lines[:3]:
            lead = next((d for d in dates if start <= d.start < end and not d.iso
                         and not TITLE_EFFECT_AFTER.match(text, d.end)
                         and not TITLE_EFFECT_BEFORE.search(text[max(0, d.start - 24):d.start])),
                        None)
            if lead is None:
                continue
            years = [t["year"] for m in st.get("mentions", []) for t in m["targets"] if t["year"]]
            full = [d for d in dates if d.iso]
            year = years[0] if years else (
                int(min(full, key=lambda d: abs(d.start - lead.start)).iso[:4]) if full else None)
            iso = make_iso(year, lead.month, lead.day) if year else None
            if iso:
                return {"date": iso, "start": lead.start, "end": lead.end, "how": "lead"}
        return None

    @staticmethod
    def _date_line(text: str, start: int, end: int, dates: list[DateMention],
                   signature: bool = True) -> DateMention | None:
        inside = [d for d in dates if start <= d.start and d.end <= end]
        # one date, or the same date twice on a bilingual line (2025年10月9日 October 9, 2025)
        if not inside or len({d.iso for d in inside}) != 1:
            return None
        line = text[start:end]
        if TIME.search(line) or POSTING.search(line):
            return None
        d = inside[0]
        rest = line
        for other in sorted(inside, key=lambda x: -x.start):
            rest = rest[: other.start - start] + " " + rest[other.end - start:]
        rest = rest.strip()
        rest = re.sub(r"[\s()\[\]【】〔〕:,.、\-]+", " ", rest).strip()
        if not rest:
            return d
        if signature and len(rest) <= 60 and not re.search(r"[,，。;]", rest):
            words = [w for w in rest.split(" ") if w]
            if all(ORG_TAIL.search(w) for w in words):
                return d
        return None

    # -- effective dates ---------------------------------------------------------------
    def _effective(self, st: dict[str, Any], text: str, dates: list[DateMention], lang: str,
                   issue: dict[str, Any] | None) -> tuple[list[dict[str, Any]],
                                                          list[dict[str, Any]]]:
        issue_iso = issue["date"] if issue else None
        cues: list[dict[str, Any]] = []
        langs = ("zh", "en") if lang == "zh" else ("en", "zh")
        for d in dates:
            iso = infer_year(d, issue_iso)
            if not iso:
                continue
            if self._is_effective(text, d, langs):
                cues.append({"date": iso, "start": d.start, "end": d.end, "how": "explicit"})
        if issue_iso:
            seen: set[tuple[int, int]] = set()
            for lg in langs:
                for lo, hi in self._hint_windows(text, lg):
                    for rx in self.rx.get(("immediate", lg), []):
                        for m in rx.finditer(text, lo, hi):
                            if m.span() in seen or RELATIVE_DEADLINE.match(
                                    text[m.end():m.end() + 8]):
                                continue
                            if WITHIN_DAYS.search(text[max(0, m.start() - 30):m.start()]):
                                continue
                            seen.add(m.span())
                            cues.append({"date": issue_iso, "start": m.start(), "end": m.end(),
                                         "how": "immediate"})
        field = st["structure"]["fields"].get("effective_date")
        if field and field["start"] >= 0:
            for d in find_dates(field["value"], lang=lang, compact=True):
                if d.iso:
                    cues.append({"date": d.iso, "start": field["start"] + d.start,
                                 "end": field["start"] + d.end, "how": "field"})
            if issue_iso and self._any("immediate", lang, field["value"]):
                cues.append({"date": issue_iso, "start": field["start"], "end": field["end"],
                             "how": "field"})
        cues.sort(key=lambda c: (c["start"], c["end"]))
        uniq: list[dict[str, Any]] = []
        for cue in cues:
            if uniq and cue["start"] < uniq[-1]["end"] and cue["date"] == uniq[-1]["date"]:
                continue
            uniq.append(cue)
        provisions = self._provisions(st, text, uniq, lang)
        return uniq, provisions

    @staticmethod
    def _hint_windows(text: str, lang: str) -> list[tuple[int, int]]:
        """Stretches of text around 之日起/即日/"effect" where "upon publication" may be said.

        The immediate patterns then run on these windows only, not on the whole text.
        """
        hint, reach = (IMMEDIATE_HINT_ZH, 24) if lang == "zh" else (IMMEDIATE_HINT_EN, 200)
        windows: list[tuple[int, int]] = []
        for m in hint.finditer(text):
            lo, hi = max(0, m.start() - reach), min(len(text), m.end() + reach)
            if windows and lo <= windows[-1][1]:
                windows[-1] = (windows[-1][0], hi)
            else:
                windows.append((lo, hi))
        return windows

    def _is_effective(self, text: str, d: DateMention, langs: tuple[str, ...]) -> bool:
        line_start = max(text.rfind("\n", 0, d.start) + 1, d.start - 200)
        before = text[line_start:d.start]
        stop = SENTENCE_END.search(text, d.end, d.end + 80)
        after = text[d.end:stop.start() if stop else d.end + 80]
        # English cues need English words: skip their patterns around a date in Chinese.
        latin = bool(LATIN_WORD.search(before) or LATIN_WORD.search(after))
        langs = langs if latin else tuple(lg for lg in langs if lg != "en")
        for lg in langs:
            if self._any("not_before", lg, before) or self._any("not_after", lg, after, False):
                return False
        if self._any("before", "zh", before[-12:]):
            if (self._any("after_from", "zh", after, False)
                    or self._any("after", "zh", after, False)):
                return True
            if re.search(r"(?:实施|生效|施行|执行)日期", before[-12:]):
                return True
        if self._any("after", "zh", after, False):
            return True
        if latin and (self._any("before", "en", before) or self._any("after", "en", after, False)):
            return True
        return False

    # -- clause-level provisions ----------------------------------------------------------
    def _provisions(self, st: dict[str, Any], text: str, cues: list[dict[str, Any]],
                    lang: str) -> list[dict[str, Any]]:
        provisions: list[dict[str, Any]] = []
        clauses = st["structure"]["clauses"]
        seen: set[tuple[str, str]] = set()
        for cue in cues:
            if cue["how"] == "field":
                continue
            bounds = [m.end() for m in CLAUSE_END.finditer(text, max(0, cue["start"] - 200),
                                                            cue["start"])]
            seg_start = bounds[-1] if bounds else max(0, cue["start"] - 200)
            subject = text[seg_start:cue["start"]]
            for top, sub in self._labels(subject, lang):
                label = clause_label(top, sub, lang)
                if (label, cue["date"]) in seen:
                    continue
                seen.add((label, cue["date"]))
                clause = next((c for c in clauses if c["top"] == top and c["sub"] == sub), None)
                if clause is None:
                    clause = next((c for c in clauses if c["top"] == top and sub is None
                                   and c["level"] == 1), None)
                if clause:
                    span = [clause["start"], clause["end"]]
                else:
                    stop = SENTENCE_END.search(text, cue["end"])
                    span = [seg_start, stop.start() if stop else len(text)]
                body = text[span[0]:span[1]].strip()
                provisions.append({"label": label, "effective_date": cue["date"],
                                   "text": body, "span": span})
        provisions.sort(key=lambda p: (p["label"], p["effective_date"] or ""))
        return provisions

    @staticmethod
    def _labels(subject: str, lang: str) -> list[tuple[int | None, int | None]]:
        labels: list[tuple[int | None, int | None]] = []
        top: int | None = None
        for m in PROV_ZH.finditer(subject):
            if m["top"]:
                top = clause_int(m["top"])
                labels.append((top, clause_int(m["sub"]) if m["sub"] else None))
            elif m["sub2"] or m["sub3"]:
                labels.append((top, clause_int(m["sub2"] or m["sub3"])))
        for m in PROV_EN.finditer(subject):
            top = int(m["top"] or m["top2"])
            subs = re.findall(r"\(\s*(\w+)\s*\)", m["subs"] or m["subs2"] or "")
            if subs:
                labels += [(top, clause_int(s)) for s in subs if clause_int(s)]
            else:
                labels.append((top, None))
        # "第一条第（一）项、第（二）项" gives (1,1),(1,2); a bare (1,None) before them is a prefix.
        tops_with_subs = {t for t, s in labels if s is not None}
        return [(t, s) for t, s in labels if s is not None or t not in tops_with_subs]


@Language.factory(
    "regwatch_dates",
    assigns=["doc._.rw"],
    default_config={"scorer": {"@scorers": "regwatch.field_scorer.v1",
                               "fields": ["issue_date", "effective_dates"]}},
    default_score_weights={"issue_date_f": 1.0, "effective_dates_f": 1.0},
)
def make_dates(nlp: Language, name: str,
               scorer: Callable[..., dict[str, float]] | None) -> Dates:
    return Dates(nlp, name, scorer=scorer)
