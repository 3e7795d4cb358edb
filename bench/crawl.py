"""Crawl benchmark: a generated mirror of N announcements, crawled twice.

Reports the first crawl's time and pages/s, and how many requests a second crawl of
the unchanged mirror needs (goal: under 5% of the first). Run: ``python -m bench.crawl``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from crawler.run import crawl
from mirror.server import start_in_thread
from mirror.site import Mirror


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--announcements", type=int, default=2000)
    parser.add_argument("--out", type=Path, help="default bench/out/crawl.json; none in --smoke")
    parser.add_argument("--smoke", action="store_true",
                        help="60 announcements (seconds); the 5%% goal is not checked at that size")
    args = parser.parse_args()
    if args.smoke:
        args.announcements = 60
    out = args.out or (None if args.smoke else Path("bench/out/crawl.json"))

    site = Mirror(day=1, generate=args.announcements)
    server = start_in_thread(site)
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        started = time.perf_counter()
        first = crawl(None, db, mirror=server.url)
        first_seconds = time.perf_counter() - started
        first_requests = server.stats["total"]
        server.stats.clear()
        started = time.perf_counter()
        second = crawl(None, db, mirror=server.url)
        second_seconds = time.perf_counter() - started
        second_requests = server.stats["total"]
    server.shutdown()
    pages = sum(r["fetched"] for r in first)
    result = {
        "announcements_served": len(site.visible),
        "first_crawl": {"seconds": round(first_seconds, 2), "requests": first_requests,
                        "pages_stored": pages, "pages_per_second": round(pages / first_seconds, 1)},
        "second_crawl": {"seconds": round(second_seconds, 2), "requests": second_requests,
                         "new_versions": sum(r["new_versions"] for r in second),
                         "share_of_first": round(second_requests / first_requests, 4)},
        "goal_second_share_below": 0.05,
    }
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    if not args.smoke and result["second_crawl"]["share_of_first"] >= 0.05:
        raise SystemExit("second crawl needed 5% or more of the first crawl's requests")


if __name__ == "__main__":
    main()
