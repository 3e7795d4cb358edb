"""Web catalogue response times on the 100k-announcement synthetic catalogue, over HTTP.

Starts the real server (``regwatch serve``: uvicorn + Datasette + this project's
plugins, the catalogue opened read-only) on a free port of 127.0.0.1, and requests
every kind of page a reader opens, as a browser would (one connection per request,
the whole body read):

- ``home``: ``/`` (what changed, coming up, the state-today matrix, source health);
- ``announcement``: ``/announcement/NUMBER`` for random announcements;
- ``material``: ``/material/NAME`` for random materials of the matrix;
- ``search``: ``/-/search?q=…`` (ranked, with snippets), Chinese and English words;
- ``catalogue``: ``/regwatch/catalogue``, the announcement table with its facets;
- ``items``: ``/regwatch/items_current``, the item table with its facets;
- ``table_search``: ``/regwatch/catalogue?_search=…`` (the faceted table, searched);
- ``catalogue_state``: ``/regwatch/catalogue?state=in_force`` (the announcement table
  filtered by its state today, with its facets and count: the commonest state, the
  slowest; a rare one takes about 30 ms);
- ``items_state``: ``/regwatch/items_current?state=…`` (suspended, superseded, repealed);
- ``items_in_force``: ``/regwatch/items_current?state=in_force`` and
  ``?state__in=in_force,suspended`` (90% of the items: rows are found at once, the
  count is the summary's, web/counts.py);
- ``items_measure``: ``/regwatch/items_current?measure=…`` (the measures the items have);
- ``feed``: ``/-/feeds/changes.atom``.

Each kind gets one untimed request first (the server's caches and SQLite's pages
warm, as on a server that has been up), then ``--runs`` timed ones. It prints the
median and 95th percentile per kind and exits 1 when a kind misses its target (median
< 300 ms and p95 < 1 s) or answers anything but 200. A kind whose requests take too
long is cut short after ``--budget`` seconds (its figures say how many ran).

Run ``python -m bench.web_bench --db bench/out/synthetic.db``; ``--smoke`` runs on a
small synthetic catalogue in a temporary file and checks only that every page answers.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
SEARCH_WORDS = ["镓", "稀土", "gallium", "锗", "出口管制", "rare earths", "钨", "antimony"]
MEDIAN_MS, P95_MS = 300.0, 1000.0
TIMEOUT_S = 60.0
SERVE = "from regwatch.cli_web import serve_command; serve_command()"
# State filters: the announcements' commonest; the items' rarer states, and their
# commonest alone or with another (in force: 90% of 1.2M items)
ITEM_STATES = ("suspended", "superseded", "repealed")
ITEMS_IN_FORCE = ("state=in_force", "state__in=in_force,suspended")


def _figures(ms: list[float]) -> dict[str, Any]:
    ms = sorted(ms)
    if not ms:
        return {"runs": 0}
    p95 = ms[min(len(ms) - 1, max(0, round(0.95 * len(ms)) - 1))]
    return {"runs": len(ms), "median_ms": round(statistics.median(ms), 1),
            "p95_ms": round(p95, 1), "max_ms": round(ms[-1], 1)}


def _get(url: str) -> tuple[float, int]:
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        exc.read()
        status = exc.code
    except OSError:  # timed out or refused
        status = 0
    return (time.perf_counter() - start) * 1000, status


class Server:
    """``regwatch serve`` on a free port of 127.0.0.1, stopped on exit."""

    def __init__(self, db_path: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVE, "--db", db_path, "--port", "0"], cwd=ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)})
        line = self.process.stdout.readline() if self.process.stdout else ""
        if "http://" not in line:
            self.stop()
            raise RuntimeError(f"regwatch serve did not start: {line}"
                               f"{self.process.stderr.read() if self.process.stderr else ''}")
        self.url = "http://" + line.split("http://", 1)[1].split("/", 1)[0]
        deadline = time.monotonic() + 60
        while _get(self.url + "/-/versions.json")[1] != 200:
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError("regwatch serve did not answer")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream:
                stream.close()


def page_paths(db_path: str, runs: int, seed: int) -> dict[str, list[str]]:
    """The addresses requested, per kind of page (random but fixed by ``seed``)."""
    from sqlite_utils import Database

    rng = random.Random(seed)
    db = Database(db_path)
    numbers = [r[0] for r in db.execute(
        "select number from announcements where in_catalogue = 1").fetchall()]
    materials = [r[0] for r in db.execute(
        "select distinct term from material_deltas order by term").fetchall()] \
        if "material_deltas" in db.table_names() else []
    measures = [r[0] for r in db.execute(
        "select distinct measure from items where current = 1 and measure is not null "
        "order by measure").fetchall()] or ["licence"]
    db.close()
    materials = materials or ["gallium"]

    def words(n: int) -> list[str]:
        return [quote(rng.choice(SEARCH_WORDS)) for _ in range(n)]

    return {
        "home": ["/"] * runs,
        "announcement": [f"/announcement/{n}" for n in rng.choices(numbers, k=runs)],
        "material": [f"/material/{quote(rng.choice(materials))}" for _ in range(runs)],
        "search": [f"/-/search?q={w}" for w in words(runs)],
        "catalogue": ["/regwatch/catalogue"] * runs,
        "items": ["/regwatch/items_current"] * runs,
        "table_search": [f"/regwatch/catalogue?_search={w}" for w in words(runs)],
        "catalogue_state": ["/regwatch/catalogue?state=in_force"] * runs,
        "items_state": [f"/regwatch/items_current?state={ITEM_STATES[i % 3]}"
                        for i in range(runs)],
        "items_in_force": [f"/regwatch/items_current?{ITEMS_IN_FORCE[i % 2]}"
                           for i in range(runs)],
        "items_measure": [f"/regwatch/items_current?measure={measures[i % len(measures)]}"
                          for i in range(runs)],
        "feed": ["/-/feeds/changes.atom"] * runs,
    }


def measure(url: str, kinds: dict[str, list[str]], budget: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind, paths in kinds.items():
        _get(url + paths[0])  # warm
        times, statuses, started = [], set(), time.monotonic()
        for path in paths:
            ms, status = _get(url + path)
            times.append(ms)
            statuses.add(status)
            if time.monotonic() - started > budget:
                break
        figures = _figures(times)
        figures["statuses"] = sorted(statuses)
        figures["ok"] = (statuses == {200} and figures["median_ms"] < MEDIAN_MS
                         and figures["p95_ms"] < P95_MS)
        out[kind] = figures
        print(f"  {kind:<15} median {figures['median_ms']:>8.1f} ms  p95 "
              f"{figures['p95_ms']:>8.1f} ms  ({figures['runs']} runs, status "
              f"{','.join(map(str, figures['statuses']))})  "
              f"{'ok' if figures['ok'] else 'MISS'}", file=sys.stderr, flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="bench/out/synthetic.db")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--budget", type=float, default=90.0,
                        help="seconds of timed requests per kind at most")
    parser.add_argument("--out", help="default bench/out/web.json; none in --smoke")
    parser.add_argument("--smoke", action="store_true",
                        help="a small synthetic catalogue in a temporary file, 5 runs; "
                             "fails only when a page does not answer 200")
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
        kinds = page_paths(args.db, args.runs, args.seed)
        server = Server(args.db)  # serve prepares the catalogue (migrations, views) first
        try:
            print(f"web_bench: {server.url} serving {args.db}", file=sys.stderr)
            pages = measure(server.url, kinds, args.budget)
        finally:
            server.stop()
    figures = {"db": args.db, "runs": args.runs,
               "targets": {"median_ms": MEDIAN_MS, "p95_ms": P95_MS}, "pages": pages}
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    json.dump(figures, sys.stdout, indent=2, ensure_ascii=False)
    print()
    answered = all(p["statuses"] == [200] for p in pages.values())
    if args.smoke:
        return 0 if answered else 1
    return 0 if all(p["ok"] for p in pages.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
