"""Portfolio timings on the synthetic catalogue: status and changes of a 5,000-lane portfolio.

``python -m bench.portfolio_bench --db bench/out/synthetic.db`` (build the catalogue with
``python -m bench.synthetic``); ``--smoke`` builds a small synthetic catalogue in a
temporary file and times a 200-lane portfolio (seconds). Lanes are drawn (seeded) from
what the catalogue holds: HS codes of its items (and as many codes it does not hold),
materials of its items, and the issue's six destinations; the catalogue is only read.
Targets (issue #17): status < 2 s and changes < 2 s (every change, ``--basis``).
``verdict_changes_seconds`` times what ``portfolio changes`` shows by default, the verdict
changes alone. Exits non-zero on a miss (not in ``--smoke``).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_SECONDS = 2.0
DESTINATIONS = ("US", "JP", "DE", "KR", "VN", "MX")


def lanes(db: Any, count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` lanes with codes and materials drawn from the catalogue's own terms."""
    rng = random.Random(seed)
    codes = [r[0] for r in db.execute(
        "select distinct term from item_terms where kind = 'hs' and length(term) >= 8 limit 20000")]
    materials = [r[0] for r in db.execute(
        "select distinct term from item_terms where kind = 'material'")]
    out = []
    for n in range(count):
        code = rng.choice(codes) if codes and rng.random() < 0.5 else \
            f"{rng.randrange(1000, 9800)}{rng.randrange(10**6):06d}"
        picked = rng.sample(materials, k=min(len(materials), rng.choice((0, 1, 1, 2))))
        out.append({"sku": f"SKU-{n:05d}", "destination": rng.choice(DESTINATIONS),
                    "description": "", "hs_code": code, "materials": picked,
                    "end_use": rng.choice(("", "", "", "military: test")), "counterparty": None})
    return out


def run(db_path: str, count: int, seed: int, on: str, since: str, until: str,
        changes: bool = True) -> dict[str, Any]:
    import sqlite3

    from sqlite_utils import Database

    from portfolio.changes import verdict_changes
    from portfolio.status import Lookups, portfolio_status

    # read-only, without the migration check: the synthetic catalogue has no portfolio
    # tables and needs none (the lanes are passed in, not stored)
    db = Database(sqlite3.connect(f"file:{Path(db_path).resolve()}?mode=ro", uri=True))
    portfolio = lanes(db, count, seed)
    # each phase frees its answers and runs the collection the pause deferred
    # (core/collector.py) before its clock stops: that collection is its cost too
    t0 = time.perf_counter()
    asked = Lookups(db)
    rows = portfolio_status(db, portfolio, on, screen=False, lookups=asked)
    status_calls = _calls(asked)
    del asked
    gc.collect()
    t1 = time.perf_counter()
    again = Lookups(db)  # changes starts afresh: the status answers are not reused
    found = verdict_changes(db, portfolio, since, until, lookups=again) if changes \
        else {"changes": []}
    changes_calls, changed = _calls(again), len(found["changes"])
    del again, found  # one reading's answers in memory at a time
    gc.collect()
    t2 = time.perf_counter()
    # what `portfolio changes` shows by default (and upcoming dates read): verdict changes
    verdicts_only = verdict_changes(db, portfolio, since, until, basis=False) if changes \
        else {"changes": []}
    gc.collect()
    t3 = time.perf_counter()
    verdicts: dict[str, int] = {}
    for row in rows:
        key = row["verdict"].split(" until ")[0].split(" from ")[0]
        verdicts[key] = verdicts.get(key, 0) + 1
    return {"catalogue": db_path, "lanes": count, "seed": seed, "on": on,
            "announcements": db.execute("select count(*) from announcements").fetchone()[0],
            "status_seconds": round(t1 - t0, 2), "verdicts": verdicts,
            "changes_period": [since, until],
            "changes_seconds": round(t2 - t1, 2) if changes else None,
            "changes": changed,
            "verdict_changes_seconds": round(t3 - t2, 2) if changes else None,
            "verdict_changes": len(verdicts_only["changes"]), "target_seconds": TARGET_SECONDS,
            "status_calls": status_calls, "changes_status_calls": changes_calls}


def _calls(lookups: Any) -> dict[str, dict[str, float]]:
    """Query kind → status calls, their seconds and the mean per call (where time goes)."""
    return {kind: {"calls": n, "seconds": round(s, 2), "mean_ms": round(1000 * s / n, 1)}
            for kind, (n, s) in sorted(lookups.asked.items())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="bench/out/synthetic.db")
    parser.add_argument("--lanes", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--on", default="2025-11-15")
    parser.add_argument("--since", default="2025-10-01")
    parser.add_argument("--until", default="2025-12-31")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here too")
    parser.add_argument("--status-only", action="store_true",
                        help="time status only (changes is not timed; the run fails)")
    parser.add_argument("--smoke", action="store_true",
                        help="a small synthetic catalogue in a temporary file, 200 lanes")
    args = parser.parse_args(argv)
    if args.smoke:
        from bench.synthetic import SMOKE, build

        with tempfile.TemporaryDirectory() as tmp:
            path = str(Path(tmp) / "smoke.db")
            build(path, *SMOKE, args.seed)
            figures = run(path, 200, args.seed, args.on, args.since, args.until)
    else:
        figures = run(args.db, args.lanes, args.seed, args.on, args.since, args.until,
                      changes=not args.status_only)
    text = json.dumps(figures, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    missed = [k for k in ("status_seconds", "changes_seconds")
              if figures[k] is None or figures[k] >= TARGET_SECONDS]
    if missed and not args.smoke:
        print("missed the target: " + ", ".join(missed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
