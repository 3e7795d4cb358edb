"""A synthetic catalogue: 100,000 announcements and 1,000,000 items with realistic references.

Each announcement is stored as the crawler and the extractor would store it (a document,
one version with its Chinese text, one extraction following the extraction contract),
then :func:`timeline.build.update_timeline` builds items, intervals and the search index
exactly as it does after a crawl. What makes it realistic:

- issue dates over 2000–2026, numbered per series (MOFCOM, GACC) and year in order;
- effective on publication, two weeks to two months later, or the first of a month;
  some announcements bring clauses into force later (like 2025 No. 61);
- a quarter of the announcements control no items (entity lists, procedures); the rest
  list items under （一）（二）… with control codes of a family (1C902.a, .b, …), HS codes
  drawn from ~1,200 headings with Zipf weights (2846 is common, most headings rare) and
  materials drawn with Zipf weights (rare earths are in a quarter of all items, lutetium
  in 1%: harsher than reality, on purpose), some limited to destinations (US, JP, …);
- references to earlier announcements: suspensions with windows (some of a single
  clause, some of several announcements at once, like 2025 No. 70), repeals (by lists,
  which supersede), amendments (some of a clause), citations, and references to
  announcements older than the catalogue.

Run ``python -m bench.synthetic --db bench/synthetic.db`` (figures: docs/timeline.md).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import sys
import time
import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

# English vocabulary name, Chinese name, Zipf rank weight (most common first).
MATERIALS: list[tuple[str, str]] = [
    ("rare earths", "稀土"), ("gallium", "镓"), ("germanium", "锗"), ("graphite", "石墨"),
    ("antimony", "锑"), ("tungsten", "钨"), ("lithium", "锂"), ("superhard materials", "超硬材料"),
    ("samarium", "钐"), ("dysprosium", "镝"), ("terbium", "铽"), ("gadolinium", "钆"),
    ("indium", "铟"), ("molybdenum", "钼"), ("bismuth", "铋"), ("tellurium", "碲"),
    ("yttrium", "钇"), ("scandium", "钪"), ("silver", "银"), ("holmium", "钬"),
    ("erbium", "铒"), ("thulium", "铥"), ("europium", "铕"), ("ytterbium", "镱"),
    ("lutetium", "镥"), ("beryllium", "铍"), ("niobium", "铌"), ("tantalum", "钽"),
    ("zirconium", "锆"), ("hafnium", "铪"), ("titanium", "钛"), ("vanadium", "钒"),
    ("cobalt", "钴"), ("nickel", "镍"), ("magnesium", "镁"), ("platinum", "铂"),
]
WEIGHTS = [1 / (rank + 1) for rank in range(len(MATERIALS))]
FORMS = ["金属", "的氧化物及其混合物", "的化合物及其混合物", "靶材", "合金", "粉末", "单晶",
         "相关技术", "生产设备", "前驱体"]
# HS headings most named by export controls come first; the rest of chapters 25-97 follow.
# Codes are drawn by heading with Zipf weights (s = 0.8), so heading 2846 is common and
# most of the ~1,200 headings are rare, as in a real tariff.
KEY_HEADINGS = ["2805", "2846", "8112", "8110", "2825", "2850", "2853", "3818", "8479", "8486",
                "8507", "7105", "6804", "9032", "2504", "3801", "2841", "3824", "3825", "8101"]
HEADING_ZIPF = 0.8
CODES_PER_HEADING = 16
DESTINATIONS = ["US", "JP", "NL", "KR", "TW", "DE", "GB", "IN"]
ZH_NUM = "一二三四五六七八九十"
START, END = date(2000, 1, 1), date(2026, 6, 30)
EXTRACTOR_VERSION = "synthetic-1"
BATCH = 2000


@dataclass
class Spec:
    """One planned announcement: its identity, dates, item count and references."""

    index: int
    number: str
    series: str
    year: int
    seq: int
    issue: date
    effective: date
    later: date | None
    n_items: int
    materials: list[int]
    title_kind: str
    refs: list[dict[str, Any]] = field(default_factory=list)


def _zh(n: int) -> str:
    if n <= 10:
        return ZH_NUM[n - 1]
    return ("" if n < 20 else ZH_NUM[n // 10 - 1]) + "十" + (ZH_NUM[n % 10 - 1] if n % 10 else "")


def _effective(rng: random.Random, issue: date) -> date:
    roll = rng.random()
    if roll < 0.45:
        return issue
    if roll < 0.85:
        return issue + timedelta(days=rng.randint(14, 60))
    month = issue.replace(day=1) + timedelta(days=62)
    return month.replace(day=1)


def _item_counts(rng: random.Random, announcements: int, items: int) -> list[int]:
    """Item counts per announcement summing to exactly ``items`` (a quarter have none)."""
    with_items = [i for i in range(announcements) if rng.random() >= 0.25]
    mean = items / max(1, len(with_items))
    counts = [0] * announcements
    for i in with_items:
        counts[i] = max(1, min(200, int(rng.expovariate(1 / mean)) + 1))
    diff = items - sum(counts)
    while diff:
        i = with_items[rng.randrange(len(with_items))]
        step = 1 if diff > 0 else -1
        if counts[i] + step >= 1:
            counts[i] += step
            diff -= step
    return counts


def plan(announcements: int, items: int, seed: int) -> list[Spec]:
    """Every announcement's identity, dates and references (small: no texts yet)."""
    rng = random.Random(seed)
    span = (END - START).days
    days = sorted(rng.randrange(span) for _ in range(announcements))
    counts = _item_counts(rng, announcements, items)
    seqs: dict[tuple[str, int], int] = {}
    specs: list[Spec] = []
    for index, offset in enumerate(days):
        issue = START + timedelta(days=offset)
        series = "GACC" if rng.random() < 0.25 else "MOFCOM"
        seq = seqs[(series, issue.year)] = seqs.get((series, issue.year), 0) + 1
        effective = _effective(rng, issue)
        later = effective + timedelta(days=rng.randint(30, 90)) if rng.random() < 0.08 else None
        mats = sorted({rng.choices(range(len(MATERIALS)), WEIGHTS)[0]
                       for _ in range(rng.choice((1, 1, 1, 2, 3)))})
        kind = "list" if rng.random() < 0.03 else "control" if counts[index] else "notice"
        spec = Spec(index, f"{series}-{issue.year}-{seq}", series, issue.year, seq, issue,
                    effective, later, counts[index], mats, kind)
        if index > 50:
            spec.refs = _references(rng, spec, specs)
        specs.append(spec)
    return specs


def _references(rng: random.Random, spec: Spec, earlier: list[Spec]) -> list[dict[str, Any]]:
    refs: list[dict[str, Any]] = []
    recent = earlier[max(0, len(earlier) - 3000):]

    def pick() -> Spec:
        return recent[rng.randrange(len(recent))]

    roll = rng.random()
    if roll < 0.06:  # suspensions: one clause, one announcement, or several (like No. 70)
        until = spec.issue + timedelta(days=rng.randint(90, 730))
        start = spec.issue.isoformat() if rng.random() < 0.7 else None
        targets = {pick().number for _ in range(rng.choice((1, 1, 1, 2, 4, 6)))}
        clause = rng.choice(("第二款", "第一条第（二）项")) if rng.random() < 0.35 else None
        for target in sorted(targets):
            refs.append({"target": target, "relation": "suspends", "from": start,
                         "until": until.isoformat(), "clause": clause})
    elif roll < 0.10:  # repeals (a list announcement supersedes what it absorbs)
        for target in sorted({pick().number for _ in range(rng.randint(1, 3))}):
            refs.append({"target": target, "relation": "repeals", "from": None, "until": None,
                         "clause": None})
    elif roll < 0.18:  # amendments, some of one clause
        clause = "第一条第（一）项" if rng.random() < 0.4 else None
        refs.append({"target": pick().number, "relation": "amends", "from": None,
                     "until": None, "clause": clause})
    if rng.random() < 0.25:
        for target in {pick().number for _ in range(rng.randint(1, 2))}:
            refs.append({"target": target, "relation": "cites", "from": None, "until": None,
                         "clause": None})
    if rng.random() < 0.02:  # an announcement older than the catalogue
        refs.append({"target": f"MOFCOM-{rng.randint(1995, 1999)}-{rng.randint(1, 80)}",
                     "relation": rng.choice(("repeals", "amends", "cites")), "from": None,
                     "until": None, "clause": None})
    seen: set[str] = set()
    return [r for r in refs if r["target"] != spec.number
            and not (r["target"] in seen or seen.add(r["target"]))]


def _zh_number(spec: Spec) -> str:
    who = "海关总署" if spec.series == "GACC" else "商务部 海关总署"
    return f"{who}公告{spec.year}年第{spec.seq}号"


def _zh_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


class HsPool:
    """10-digit HS codes grouped by heading; :meth:`draw` picks a heading by Zipf weight."""

    def __init__(self, rng: random.Random) -> None:
        rest = [f"{ch:02d}{h:02d}" for ch in range(25, 98) for h in range(1, 17)]
        rest = [h for h in rest if h not in KEY_HEADINGS]
        rng.shuffle(rest)
        self.headings = KEY_HEADINGS + rest
        self.codes = {h: sorted({h + f"{rng.randrange(1_000_000):06d}"
                                 for _ in range(CODES_PER_HEADING)}) for h in self.headings}
        total, self.cumulative = 0.0, []
        for rank in range(len(self.headings)):
            total += (rank + 1) ** -HEADING_ZIPF
            self.cumulative.append(total)

    def draw(self, rng: random.Random) -> str:
        heading = rng.choices(self.headings, cum_weights=self.cumulative)[0]
        codes = self.codes[heading]
        return codes[rng.randrange(len(codes))]


def document(spec: Spec, rng: random.Random, hs_pool: HsPool) -> tuple[str, str,
                                                                       dict[str, Any]]:
    """(title, text, extraction result) of one planned announcement."""
    names = [MATERIALS[m] for m in spec.materials]
    what = "、".join(zh for _, zh in names)
    title = {"list": f"公布《两用物项出口管制清单》（{what}部分）",
             "control": f"关于对{what}相关物项实施出口管制的公告",
             "notice": f"关于{what}出口管制有关事项的公告"}[spec.title_kind]
    lines = [f"{_zh_number(spec)} {title}",
             f"依照《中华人民共和国出口管制法》等法律法规有关规定，决定对{what}相关物项实施出口"
             f"管制。现将有关事项公告如下："]
    items: list[dict[str, Any]] = []
    conditions: list[dict[str, Any]] = []
    provisions: list[dict[str, Any]] = []
    if spec.n_items:
        lines.append("一、下列物项，未经许可，不得出口：")
        family = f"{rng.randint(0, 9)}{'ABCDE'[rng.randrange(5)]}{rng.randint(1, 999):03d}"
        groups = max(1, min(len(names), spec.n_items))
        per_group = -(-spec.n_items // groups)
        made = 0
        for g in range(groups):
            en, zh = names[g]
            label = f"一({_zh(g + 1)})"
            effective = spec.later if spec.later and g == 1 else spec.effective
            lines.append(f"（{_zh(g + 1)}）{zh}相关物项")
            if effective != spec.effective:
                provisions.append({"label": label, "effective_date": effective.isoformat(),
                                   "text": lines[-1]})
            for k in range(per_group):
                if made == spec.n_items:
                    break
                code = f"{family}.{'abcdefghijklmnopqrstuvwxyz'[k % 26]}" \
                    + (f".{k // 26}" if k >= 26 else "")
                hs = sorted({hs_pool.draw(rng) for _ in range(rng.choice((1, 1, 2, 3)))})
                form = FORMS[rng.randrange(len(FORMS))]
                text = f"{code} {zh}{form} {'、'.join(hs)}"
                items.append({"control_code": code, "text": text, "hs_codes": hs,
                              "materials": [en], "provision": label,
                              "effective_date": effective.isoformat(), "source": "table"})
                lines.append(text)
                made += 1
        if rng.random() < 0.1:
            conditions.append({"kind": "destination", "value": rng.choice(DESTINATIONS),
                               "text": "出口至", "provision": "一(一)"})
        if rng.random() < 0.05:
            conditions.append({"kind": "end_use", "value": "military", "text": "军事用途",
                               "provision": None})
    lines.append("二、出口经营者应当依照有关规定向商务部申请许可，如实提交最终用户和最终用途证明。")
    for ref in spec.refs:
        verb = {"suspends": "暂停实施", "repeals": "废止", "amends": "调整", "cites": "依照"}
        lines.append(f"{verb[ref['relation']]}{ref['target']}号公告"
                     + (ref["clause"] or "") + "。")
    when = "自公布之日起" if spec.effective == spec.issue else f"自{_zh_date(spec.effective)}起"
    lines.append(f"三、本公告{when}正式实施。")
    lines.append(_zh_date(spec.issue))
    text = "\n".join(lines)
    dates = sorted({spec.effective.isoformat(), *(p["effective_date"] for p in provisions)})
    result = {
        "number": spec.number, "issuers": ["GACC"] if spec.series == "GACC" else
        ["MOFCOM", "GACC"], "title": title, "issue_date": spec.issue.isoformat(),
        "effective_dates": dates,
        "control_codes": sorted({i["control_code"] for i in items}),
        "hs_codes": sorted({h for i in items for h in i["hs_codes"]}),
        "materials": [en for en, _ in names] if items else [], "references": spec.refs,
        "items": items, "provisions": provisions, "conditions": conditions, "text": text,
        "lang": "zh",
    }
    return title, text, result


def write(db_path: str, specs: list[Spec], seed: int) -> None:
    """Store every announcement as document + version + extraction (bulk inserts)."""
    from store import catalogue

    db = catalogue.open_db(db_path)
    conn = db.conn
    rng = random.Random(seed + 1)
    hs_pool = HsPool(rng)
    stamp = catalogue.now()
    for start in range(0, len(specs), BATCH):
        docs, versions, extractions = [], [], []
        for spec in specs[start:start + BATCH]:
            title, text, result = document(spec, rng, hs_pool)
            doc_id = spec.index + 1
            source = spec.series.lower()
            url = f"http://synthetic.test/{source}/{spec.number}.html"
            raw = text.encode("utf-8")
            docs.append((doc_id, source, url, title, spec.number, stamp, stamp, stamp, stamp, 1,
                         doc_id))
            versions.append((doc_id, doc_id, 1, stamp, hashlib.sha1(raw).hexdigest(), title,
                             text, "{}", "{}", "[]", zlib.compress(raw, 1), "utf-8", 200,
                             len(raw)))
            extractions.append((doc_id, doc_id, EXTRACTOR_VERSION, stamp, spec.number,
                                spec.issue.isoformat(),
                                json.dumps(result, ensure_ascii=False, separators=(",", ":"))))
        with db.atomic():
            conn.executemany(
                "insert into documents (id, source, url, title, number, first_seen, last_seen, "
                "last_checked, last_changed, version_count, current_version_id) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", docs)
            conn.executemany(
                "insert into versions (id, document_id, seq, fetched_at, content_hash, title, "
                "text, fields, meta, attachments, raw_html_gz, encoding, http_status, size) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", versions)
            conn.executemany(
                "insert into extractions (id, version_id, extractor_version, created_at, number, "
                "issue_date, result) values (?, ?, ?, ?, ?, ?, ?)", extractions)
    db.close()


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


SMOKE = (300, 3_000)  # announcements, items: the seconds-long size of every bench on it


def build(db_path: str, announcements: int = 100_000, items: int = 1_000_000,
          seed: int = 7) -> dict[str, Any]:
    """Generate the catalogue, then derive the timeline and the search index; timed."""
    from store import catalogue
    from timeline.build import update_timeline

    path = Path(db_path)
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    t0 = time.perf_counter()
    specs = plan(announcements, items, seed)
    t1 = time.perf_counter()
    write(db_path, specs, seed)
    t2 = time.perf_counter()
    refs = sum(len(s.refs) for s in specs)
    del specs
    db = catalogue.open_db(db_path)
    summary = update_timeline(db, trigger="bench")
    t3 = time.perf_counter()
    counts = {table: db.execute(f"select count(*) from {table}").fetchone()[0]
              for table in ("announcements", "items", "subjects", "intervals", "item_terms",
                            "search_docs")}
    db.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "announcements": announcements, "items": items, "references": refs, "seed": seed,
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "seconds": {"plan": round(t1 - t0, 1), "write_catalogue": round(t2 - t1, 1),
                    "derive_timeline_and_index": round(t3 - t2, 1), "total": round(t3 - t0, 1)},
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "db_size_mb": round(path.stat().st_size / 2**20, 1), "rows": counts,
        "derivation": {k: v for k, v in summary.items() if k != "search"},
        "search": summary.get("search"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="bench/synthetic.db")
    parser.add_argument("--announcements", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--smoke", action="store_true",
                        help="300 announcements, 3,000 items, in a temporary file (seconds)")
    args = parser.parse_args(argv)
    if args.smoke:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            figures = build(str(Path(tmp) / "smoke.db"), *SMOKE, args.seed)
        json.dump(figures, sys.stdout, indent=2, ensure_ascii=False)
        print()
        return 0
    figures = build(args.db, args.announcements, args.items, args.seed)
    json.dump(figures, sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
