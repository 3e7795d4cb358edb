"""Extraction benchmark: throughput on the mirror and dates against dateparser.

1. Throughput, one core: every page of the offline mirror (day 2, plus ``--generate``
   synthetic announcements) is rendered, its main text found with ``parse_page``, then
   the texts are run ``--rounds`` times through

   - ``nlp.make_doc`` alone (our tokenizer: normalised view + tokens),
   - the whole pipeline (make_doc + every rule component),
   - ``Extractor.extract(html=...)`` end to end (parse_page included),
   - spaCy's default ``spacy.blank("zh").make_doc`` (character segmenter), for scale.

   Reported: documents/s, characters/s and the pipeline/make_doc ratio (goal ≤ 3×).

2. Dates on the dev gold set, side by side with ``dateparser.search.search_dates``:
   - as a *finder*: how many gold dates (issue ∪ effective) each finds, and how many of
     the dates it finds are gold dates;
   - as *fields*: issue_date and effective_dates F1 of our extractor against a
     dateparser baseline (issue = first date found; effective = dates found in a
     sentence with an effect cue such as 实施/施行/生效/"take effect"/"in force").

Run: ``python -m bench.extract_bench`` (needs ``pip install dateparser`` for part 2).
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import time
from pathlib import Path
from typing import Any

import spacy

from documents.content import parse_page
from extract.datetext import find_dates
from extract.evaluate import prf, read_jsonl
from extract.lexicon import state
from extract.normalise import normalise_view
from extract.pipeline import load_extractor
from mirror.site import Mirror, detail_path

DEV = Path("tests/gold/dev.jsonl")
EFFECT_CUE = re.compile(r"实施|施行|生效|执行|effect|force|implement|appl", re.I)


def mirror_pages(generate: int) -> list[dict[str, Any]]:
    """Rendered detail pages of the mirror (day 2), decoded as the crawler would."""
    site = Mirror(day=2, generate=generate)
    pages = []
    for entry in site.visible:
        response = site.respond(detail_path(entry), {})
        if response.status != 200:
            continue
        encoding = "gb18030" if entry["site"] == "gacc" else "utf-8"
        html = response.body.decode(encoding)
        source = entry["site"] if entry["site"] in ("mofcom", "gacc") else "other"
        pages.append({"html": html, "url": "http://mirror" + detail_path(entry),
                      "source": source})
    return pages


def timed_all(fns: dict[str, tuple[Any, list[Any]]], rounds: int) -> dict[str, float]:
    """Seconds per method: the sum over items of each item's best time across rounds.

    Methods are interleaved item by item, so a busy machine slows them alike, and the
    per-item minimum drops the rounds another process happened to interrupt.
    """
    best = {name: [float("inf")] * len(items) for name, (_, items) in fns.items()}
    count = len(next(iter(fns.values()))[1])
    for _ in range(rounds):
        for i in range(count):
            for name, (fn, items) in fns.items():
                started = time.perf_counter()
                fn(items[i])
                elapsed = time.perf_counter() - started
                if elapsed < best[name][i]:
                    best[name][i] = elapsed
    return {name: sum(times) for name, times in best.items()}


def throughput(generate: int, rounds: int) -> dict[str, Any]:
    ex = load_extractor()
    pages = mirror_pages(generate)
    parsed = [parse_page(p["html"], p["url"]) for p in pages]
    texts = [p["text"] for p in parsed]
    chars = sum(len(t) for t in texts)
    zh, en = ex.nlp("zh"), ex.nlp("en")

    def pipeline(text: str) -> None:
        nlp = zh if re.search(r"[\u4e00-\u9fff]", text[:2000]) else en
        doc = nlp.make_doc(text)
        state(doc)["ctx"] = {"lang": nlp.lang}
        for _, proc in nlp.pipeline:
            doc = proc(doc)

    default_zh = spacy.blank("zh")
    results = timed_all({
        "make_doc": (zh.make_doc, texts),
        "pipeline": (pipeline, texts),
        "extract_html": (lambda p: ex.extract(html=p["html"], url=p["url"],
                                              source=p["source"]), pages),
        "spacy_default_zh_make_doc": (default_zh.make_doc, texts),
        "normalised_view_only": (normalise_view, texts),
    }, rounds)
    out: dict[str, Any] = {"documents": len(texts), "characters": chars, "rounds": rounds,
                           "extractor_version": ex.version}
    for name, seconds in results.items():
        out[name] = {"seconds": round(seconds, 4), "docs_per_s": round(len(texts) / seconds, 1),
                     "chars_per_s": round(chars / seconds)}
    out["ratio_pipeline_to_make_doc"] = round(results["pipeline"] / results["make_doc"], 2)
    out["ratio_pipeline_to_default_zh_make_doc"] = round(
        results["pipeline"] / results["spacy_default_zh_make_doc"], 2)
    return out


def gold_text(doc: dict[str, Any]) -> str:
    return parse_page(doc["html"], doc.get("url"))["text"] if doc.get("html") else doc["text"]


def dates_vs_dateparser(path: Path) -> dict[str, Any]:
    from dateparser.search import search_dates

    ex = load_extractor()
    counts = {k: [0, 0, 0] for k in ("ours_finder", "dateparser_finder", "ours_issue",
                                     "dateparser_issue", "ours_effective",
                                     "dateparser_effective")}
    seconds = {"ours": 0.0, "dateparser": 0.0}

    def add(key: str, gold: set[str], pred: set[str]) -> None:
        counts[key][0] += len(gold & pred)
        counts[key][1] += len(pred - gold)
        counts[key][2] += len(gold - pred)

    for _, doc in read_jsonl(path):
        gold = doc["gold"]
        text = gold_text(doc)
        lang = doc.get("lang") or "zh"
        gold_issue = {gold["issue_date"]} if gold.get("issue_date") else set()
        gold_eff = set(gold.get("effective_dates") or [])
        gold_all = gold_issue | gold_eff

        started = time.perf_counter()
        result = ex.extract(html=doc.get("html"), text=doc.get("text"), url=doc.get("url"),
                            source=doc.get("source"), lang=doc.get("lang"))
        found = {d.iso for d in find_dates(normalise_view(text), lang=lang) if d.iso}
        seconds["ours"] += time.perf_counter() - started
        add("ours_finder", gold_all, found)
        add("ours_issue", gold_issue, {result["issue_date"]} if result["issue_date"] else set())
        add("ours_effective", gold_eff, set(result["effective_dates"]))

        started = time.perf_counter()
        hits = search_dates(text, languages=["zh", "en"],
                            settings={"PREFER_DAY_OF_MONTH": "first",
                                      "REQUIRE_PARTS": ["day", "month", "year"]}) or []
        seconds["dateparser"] += time.perf_counter() - started
        dp = [(frag, d.date().isoformat()) for frag, d in hits]
        add("dateparser_finder", gold_all, {iso for _, iso in dp})
        add("dateparser_issue", gold_issue, {dp[0][1]} if dp else set())
        effective = set()
        for frag, iso in dp:
            pos = text.find(frag)
            sentence = text[max(0, pos - 60):pos + len(frag) + 60] if pos >= 0 else frag
            if EFFECT_CUE.search(sentence):
                effective.add(iso)
        add("dateparser_effective", gold_eff, effective)
    out = {k: {m: round(v, 3) if isinstance(v, float) else v for m, v in prf(*c).items()}
           for k, c in counts.items()}
    out["seconds"] = {k: round(v, 2) for k, v in seconds.items()}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generate", type=int, default=0,
                        help="add this many synthetic announcements to the mirror")
    parser.add_argument("--rounds", type=int, default=5, help="best of N timing rounds")
    parser.add_argument("--gold", type=Path, default=DEV)
    parser.add_argument("--no-dateparser", action="store_true")
    parser.add_argument("--out", type=Path, help="default bench/out/extract.json; none in --smoke")
    parser.add_argument("--smoke", action="store_true", help="one timing round (seconds)")
    args = parser.parse_args()
    if args.smoke:
        args.rounds = 1
    out = args.out or (None if args.smoke else Path("bench/out/extract.json"))

    report: dict[str, Any] = {"python": platform.python_version(), "spacy": spacy.__version__,
                              "throughput": throughput(args.generate, args.rounds)}
    t = report["throughput"]
    print(f"mirror: {t['documents']} documents, {t['characters']} characters "
          f"(per document, best of {t['rounds']} rounds, one core)")
    for name in ("make_doc", "pipeline", "extract_html", "spacy_default_zh_make_doc",
                 "normalised_view_only"):
        row = t[name]
        print(f"  {name:<28}{row['docs_per_s']:>10.1f} docs/s{row['chars_per_s']:>12,} chars/s")
    print(f"  pipeline / make_doc          {t['ratio_pipeline_to_make_doc']:.2f}x (goal <= 3x)")
    print(f"  pipeline / default zh make_doc {t['ratio_pipeline_to_default_zh_make_doc']:.2f}x")

    if not args.no_dateparser and args.gold.exists():
        try:
            report["dates"] = dates_vs_dateparser(args.gold)
        except ImportError:
            print("dateparser is not installed: pip install dateparser")
        else:
            d = report["dates"]
            print(f"dates on {args.gold} (P / R / F1):")
            for key in ("finder", "issue", "effective"):
                for who in ("ours", "dateparser"):
                    s = d[f"{who}_{key}"]
                    print(f"  {key:<10}{who:<12}{s['precision']:.3f} / {s['recall']:.3f} / "
                          f"{s['f1']:.3f}")
            print(f"  time: ours {d['seconds']['ours']}s (whole extraction), "
                  f"dateparser {d['seconds']['dateparser']}s")
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
        print(f"written {out}")


if __name__ == "__main__":
    main()
