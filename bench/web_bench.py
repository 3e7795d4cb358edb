"""Web catalogue response times on the 100k-announcement synthetic catalogue.

Builds the catalogue with bench/synthetic.py when the file is missing (about 8 minutes),
creates the web views, then requests pages in-process through Datasette's own ASGI
client (what ``regwatch serve`` runs, without the socket) and reports the median, 90th
percentile and maximum per kind of page:

- ``announcement``: /announcement/NUMBER for random announcements in the catalogue;
- ``search``: /-/search?q=… (ranked, with snippets) for Chinese and English words;
- ``table_search``: /regwatch/catalogue?_search=… (the faceted table view);
- ``catalogue``: /regwatch/catalogue (whole-catalogue facets; array facets past the
  facet time limit are skipped and named);
- ``feed``: /-/feeds/changes.atom.

Run ``python -m bench.web_bench --db bench/synthetic.db`` (figures: docs/web.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

SEARCH_WORDS = ["镓", "稀土", "gallium", "锗", "出口管制", "rare earths", "钨", "antimony"]


def _figures(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    return {"runs": len(ms), "median_ms": round(statistics.median(ms), 1),
            "p90_ms": round(ms[int(0.9 * (len(ms) - 1))], 1), "max_ms": round(ms[-1], 1)}


async def _time(ds: Any, paths: list[str]) -> tuple[list[float], list[int]]:
    seconds, statuses = [], []
    for path in paths:
        start = time.perf_counter()
        response = await ds.client.get(path)
        seconds.append(time.perf_counter() - start)
        statuses.append(response.status_code)
    return seconds, statuses


async def measure(db_path: str, runs: int, seed: int) -> dict[str, Any]:
    from sqlite_utils import Database

    from web.app import make_datasette

    rng = random.Random(seed)
    db = Database(db_path)
    numbers = [r[0] for r in db.execute(
        "select number from announcements where in_catalogue = 1").fetchall()]
    db.close()
    ds = make_datasette(db_path)
    await ds.invoke_startup()
    await ds.client.get("/")  # connections opened, templates compiled
    kinds = {
        "announcement": [f"/announcement/{n}" for n in rng.sample(numbers, runs)],
        "search": [f"/-/search?q={quote(rng.choice(SEARCH_WORDS))}" for _ in range(runs)],
        "table_search": [f"/regwatch/catalogue?_search={quote(rng.choice(SEARCH_WORDS))}"
                         for _ in range(max(3, runs // 5))],
        "catalogue": ["/regwatch/catalogue"] * 3,
        "feed": ["/-/feeds/changes.atom"] * 3,
    }
    out: dict[str, Any] = {}
    for kind, paths in kinds.items():
        seconds, statuses = await _time(ds, paths)
        out[kind] = {**_figures(seconds), "statuses": sorted(set(statuses))}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="bench/synthetic.db")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", help="default bench/out/web.json; none in --smoke")
    parser.add_argument("--smoke", action="store_true",
                        help="a small synthetic catalogue in a temporary file, 5 runs (seconds)")
    args = parser.parse_args(argv)
    out = args.out or (None if args.smoke else "bench/out/web.json")
    with tempfile.TemporaryDirectory() as tmp:
        if args.smoke:
            from bench.synthetic import SMOKE, build

            args.db, args.runs = str(Path(tmp) / "smoke.db"), 5
            build(args.db, *SMOKE)
        elif not Path(args.db).exists():
            from bench.synthetic import build

            print(f"building {args.db} (100,000 announcements; several minutes)", file=sys.stderr)
            build(args.db)
        from web.app import prepare

        prepare(args.db)
        figures = {"db": args.db, "runs": args.runs,
                   "pages": asyncio.run(measure(args.db, args.runs, args.seed))}
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    json.dump(figures, sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
