"""Alerts benchmark: matching at scale, and from the end of a crawl to the SMTP server.

1. **Matching**: 10,000 subscriptions against 1,000 events, (a) in memory with
   :class:`alerts.matching.SubscriptionIndex` (target: under 1 s; its answers on the first
   300 subscriptions x 100 events must equal :func:`alerts.matching.match_each`'s), and
   (b) through ``record_events`` on a real catalogue: 1,000 new extracted versions turned
   into events, alerts written with them.
2. **Crawl end → SMTP**: the mirror crawled day 1 (first load), then day 2 with 50
   subscriptions that each match both day-2 changes (100 alerts). Timed from the moment
   the day-2 crawl returns: extraction + timeline + events (``regwatch.jobs.process_new``),
   then ``send_due`` until a local aiosmtpd server holds all 100 messages.

Run: ``python -m bench.alerts_bench`` (``--subscriptions``, ``--events``, ``--alerts``;
``--smoke``: a seconds-long run at a small size, as ``make test`` does). Exits non-zero
when in-memory matching misses its target (checked at full size only) or disagrees with
the each-against-each matcher (checked at every size).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from alerts import subscriptions
from alerts.delivery import send_due
from alerts.events import facts_of, record_events
from alerts.matching import SubscriptionIndex, match_each
from alerts.sink import SmtpSink
from store import catalogue
from store.catalogue import transaction as write_transaction
from store.extractions import record_extraction

MATERIALS = ["gallium", "germanium", "antimony", "graphite", "tungsten", "tellurium", "bismuth",
             "molybdenum", "indium", "samarium", "gadolinium", "terbium", "dysprosium", "lutetium",
             "scandium", "yttrium", "holmium", "erbium", "thulium", "europium", "ytterbium",
             "silver", "lithium", "superhard materials", "rare earths"]
ZH = {"gallium": "镓", "germanium": "锗", "antimony": "锑", "graphite": "石墨", "tungsten": "钨",
      "samarium": "钐", "gadolinium": "钆", "terbium": "铽", "silver": "白银", "lithium": "锂"}
CATEGORIES = ["1C", "1E", "2B", "2C", "3A", "3B", "3C", "3E"]
HS_HEADS = ["2805", "2825", "2841", "2846", "2849", "2850", "2853", "3801", "3818", "3824",
            "6815", "7105", "8101", "8110", "8112", "8479", "8486", "8507"]
WORDS = ["出口管制", "两用物项", "许可", "最终用户", "稀土", "永磁", "靶材", "氧化物", "合金", "技术",
         "设备", "暂停实施", "管控名单", "不可靠实体", "日本", "美国", "海关", "报关单", "dual-use",
         "export control", "licence", "end user", "magnet", "target", "oxide"]
# Counterparties and products officers watch for: each announcement names a few.
NAMES = [f"实体{n:04d}" for n in range(1000)] + [f"Company {n:04d} Ltd" for n in range(1000)]
MATCH_TARGET = 1.0  # seconds for 10,000 subscriptions x 1,000 events (issue #21)


def synthetic_extraction(rng: random.Random, n: int) -> dict[str, Any]:
    materials = rng.sample(MATERIALS, rng.randint(0, 3))
    items = []
    for _ in range(rng.randint(0, 8)):
        code = f"{rng.choice(CATEGORIES)}{rng.randint(900, 999)}.{rng.choice('abcd')}"
        hs = [f"{rng.choice(HS_HEADS)}{rng.randint(0, 999999):06d}" for _ in range(rng.randint(0, 3))]
        items.append({"control_code": code, "text": f"{code} {rng.choice(WORDS)}{rng.choice(WORDS)}",
                      "hs_codes": hs, "materials": materials[:1]})
    words = " ".join([*(rng.choice(WORDS) for _ in range(60)), *rng.sample(NAMES, 3)])
    return {
        "number": f"MOFCOM-2030-{n}", "issuers": rng.choice([["MOFCOM"], ["MOFCOM", "GACC"], ["GACC"]]),
        "title": f"关于{'、'.join(ZH.get(m, m) for m in materials) or '有关'}物项实施出口管制的公告",
        "issue_date": "2030-01-01", "effective_dates": ["2030-02-01"],
        "materials": materials, "control_codes": sorted({i["control_code"] for i in items}),
        "hs_codes": sorted({h for i in items for h in i["hs_codes"]}), "items": items,
        "references": [], "text": words,
    }


def synthetic_subscription(rng: random.Random, i: int) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    for _ in range(rng.randint(1, 3)):
        pick = rng.random()
        if pick < 0.4:
            kw.setdefault("materials", []).append(rng.choice(MATERIALS))
        elif pick < 0.6:
            kw.setdefault("hs_prefixes", []).append(rng.choice(HS_HEADS) + str(rng.randint(0, 9)))
        elif pick < 0.8:
            kw.setdefault("control_code_prefixes", []).append(
                f"{rng.choice(CATEGORIES)}{rng.randint(90, 99)}")
        else:  # mostly a counterparty's name; sometimes a broad word
            kw.setdefault("keywords", []).append(
                rng.choice(WORDS) if rng.random() < 0.05 else rng.choice(NAMES))
    if rng.random() < 0.2:
        kw["sources"] = [rng.choice(["mofcom", "gacc"])]
    if rng.random() < 0.1:
        kw["issuers"] = ["GACC"]
    if rng.random() < 0.3:
        kw["digest_at"], kw["timezone"] = "08:00", "Asia/Shanghai"
    return subscriptions.build("email", f"officer{i}@example.com", name=f"bench-{i}", **kw)


def bench_matching(n_subs: int, n_events: int) -> dict[str, Any]:
    rng = random.Random(11)
    subs = [{**synthetic_subscription(rng, i), "id": i + 1} for i in range(n_subs)]
    extractions = [synthetic_extraction(rng, n) for n in range(n_events)]
    started = time.perf_counter()
    index = SubscriptionIndex(subs)
    built = time.perf_counter() - started
    facts = [facts_of("new", [ex], rng.choice(["mofcom", "gacc"]), ex["text"], False)
             for ex in extractions]
    started = time.perf_counter()
    matches = sum(len(index.match(f)) for f in facts)
    matched = time.perf_counter() - started
    sample_subs, sample_facts = subs[:300], facts[:100]
    sample = SubscriptionIndex(sample_subs)
    identical = all(_ids(sample.match(f)) == _ids(match_each(sample_subs, f)) for f in sample_facts)
    return {"subscriptions": n_subs, "events": n_events, "index_build_seconds": round(built, 3),
            "match_seconds": round(matched, 3),
            "microseconds_per_event": round(matched / n_events * 1e6, 1),
            "subscription_event_pairs_per_second": round(n_subs * n_events / matched),
            "alerts_matched": matches, "alerts_per_event": round(matches / n_events, 1),
            "identical_to_match_each": identical, "target_match_seconds_below": MATCH_TARGET}


def _ids(matches: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[tuple[int, Any]]:
    return [(sub["id"], matched) for sub, matched in matches]


def bench_record_events(n_subs: int, n_events: int, tmp: str) -> dict[str, Any]:
    """The same scale through the catalogue: events and their alert rows written for real."""
    rng = random.Random(11)
    db = catalogue.open_db(str(Path(tmp) / "record.db"))
    with write_transaction(db):
        for i in range(n_subs):
            subscriptions.add(db, synthetic_subscription(rng, i))
    first = catalogue.start_run(db, "mofcom")  # a first load, so the bench events are not baseline
    catalogue.count(db, first, "new_documents")
    catalogue.finish_run(db, first)
    run_id = catalogue.start_run(db, "mofcom")
    for n in range(n_events):
        ex = synthetic_extraction(rng, n)
        page = {"source": "mofcom", "url": f"https://www.mofcom.gov.cn/bench/{n}.html",
                "title": ex["title"], "text": ex["text"],
                "content_hash": hashlib.sha256(f"{n}".encode()).hexdigest(), "raw": b""}
        version_id = catalogue.record_page(db, run_id, page)["version_id"]
        record_extraction(db, version_id, "bench", ex)
    catalogue.count(db, run_id, "new_documents", n_events)
    catalogue.finish_run(db, run_id)
    started = time.perf_counter()
    report = record_events(db, [])
    seconds = time.perf_counter() - started
    db.close()
    return {"subscriptions": n_subs, "versions": n_events, "seconds": round(seconds, 2),
            "events": report["events"], "alerts_queued": report["alerts"],
            "events_per_second": round(report["events"] / seconds, 1)}


def bench_crawl_to_smtp(n_alerts: int, tmp: str) -> dict[str, Any]:
    from crawler.run import crawl
    from mirror.server import start_in_thread
    from mirror.site import Mirror
    from regwatch.jobs import process_new, run_once

    path = str(Path(tmp) / "crawl.db")
    server = start_in_thread(Mirror(day=1))
    run_once(path, mirror=server.url)                       # day 1: the first load
    db = catalogue.open_db(path)
    for i in range(n_alerts // 2):                          # each matches both day-2 changes
        subscriptions.add(db, subscriptions.build(
            "email", f"officer{i}@example.com", name=f"desk-{i}", sources=["mofcom"],
            event_kinds=["new", "changed"]))
    db.close()
    server.mirror.set_day(2)
    with SmtpSink() as sink:
        os.environ["REGWATCH_SMTP_URL"] = sink.url
        runs = crawl(None, path, mirror=server.url)
        crawl_end = time.perf_counter()
        processed = process_new(path, runs)
        queued_at = time.perf_counter()
        db = catalogue.open_db(path)
        report = send_due(db)
        db.close()
        while len(sink.messages) < report["sent"] and time.perf_counter() - queued_at < 30:
            time.sleep(0.01)
        handed = time.perf_counter()
        received = len(sink.messages)
    server.shutdown()
    return {"alerts": processed["alerts"]["alerts"], "events": processed["alerts"]["by_kind"],
            "messages_received_by_smtp": received,
            "extract_timeline_events_seconds": round(queued_at - crawl_end, 2),
            "send_seconds": round(handed - queued_at, 2),
            "crawl_end_to_smtp_seconds": round(handed - crawl_end, 2),
            "extraction": processed["extraction"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000)
    parser.add_argument("--alerts", type=int, default=100)
    parser.add_argument("--out", type=Path, help="default bench/out/alerts.json; none in --smoke")
    parser.add_argument("--smoke", action="store_true",
                        help="200 subscriptions, 50 events, 4 alerts (seconds)")
    parser.add_argument("--only", action="append", metavar="PART",
                        choices=["matching_in_memory", "matching_record_events", "crawl_end_to_smtp"],
                        help="Run only this part (repeatable).")
    args = parser.parse_args()
    if args.smoke:
        args.subscriptions, args.events, args.alerts = 200, 50, 4
    out = args.out or (None if args.smoke else Path("bench/out/alerts.json"))
    os.environ.setdefault("REGWATCH_ALERTS_NOW", "2026-01-07T01:00:00Z")  # no date-dependent reminders
    parts = {
        "matching_in_memory": lambda tmp: bench_matching(args.subscriptions, args.events),
        "matching_record_events": lambda tmp: bench_record_events(args.subscriptions, args.events, tmp),
        "crawl_end_to_smtp": lambda tmp: bench_crawl_to_smtp(args.alerts, tmp),
    }
    chosen = args.only or list(parts)
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in chosen:
            result[name] = parts[name](tmp)
            print(json.dumps({name: result[name]}, indent=2, ensure_ascii=False), flush=True)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    raise SystemExit(_misses(result.get("matching_in_memory"), args.smoke))


def _misses(matching: dict[str, Any] | None, smoke: bool) -> str | None:
    """Why the run failed, or None: a disagreement always, the time at full size only."""
    if not matching:
        return None
    if not matching["identical_to_match_each"]:
        return "the indexed matcher and match_each disagree"
    if not smoke and matching["match_seconds"] >= MATCH_TARGET:
        return f"matching took {matching['match_seconds']} s (target < {MATCH_TARGET} s)"
    return None


if __name__ == "__main__":
    main()
