"""Screening benchmark: 10,000 counterparty names against every list.

The names are a deterministic mix: listed entities under variants (legal form, case,
Traditional characters, typos), their parents and units, and synthetic companies from
the same industries in Latin and Chinese. Two passes over the same names:

1. **Exact**: a dict look-up of the case-folded name in the listed names (what a
   spreadsheet VLOOKUP does). Fast and blind to every variant.
2. **Screen**: ``screening.match.Screener.screen`` with the default thresholds.

Reports both times, the ratio, names per second and how many names each pass flagged.
Exits non-zero when screening takes longer than the limit (5 s for 10,000 names; the
limit scales with ``--names``).

Run: ``python -m bench.screen_bench`` (``--names N``, ``--smoke`` for 1,000 names).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

from screening import lists
from screening.match import Screener

ROOT = Path(__file__).resolve().parents[1]
LISTS = ROOT / "mirror" / "data" / "entities.yaml"
LIMIT_SECONDS_PER_10K = 5.0

LATIN_WORDS = ["Aero", "Dynamics", "Precision", "Orbital", "Vector", "Quantum", "Photon", "Sentinel",
               "Falcon", "Atlas", "Summit", "Harbor", "Pacific", "Northern", "Apex", "Titan",
               "Signal", "Radar", "Sonar", "Micro", "Silicon", "Wafer", "Laser", "Optics",
               "Drone", "Rotor", "Propulsion", "Avionics", "Defense", "Marine", "Tactical",
               "Cyber", "Secure", "Fusion", "Nova", "Helix", "Cobalt", "Granite", "Meridian"]
LATIN_TAILS = ["Systems", "Technologies", "Solutions", "Industries", "Labs", "Group", "Holdings",
               "Engineering", "Aerospace", "Semiconductor", "Robotics", "Electronics"]
FORMS = ["Inc.", "LLC", "Corp.", "Co., Ltd.", "Ltd", "GmbH", "K.K.", "S.A.", ""]
HAN_WORDS = ["精密", "航空", "航天", "光电", "半导体", "无人机", "雷达", "海洋", "信息", "智能",
             "动力", "材料", "电子", "科技", "防务", "卫星", "激光", "微电子", "导航", "通信"]
HAN_PLACES = ["北京", "上海", "深圳", "苏州", "成都", "西安", "东京", "大阪", "首尔", "新加坡"]
HAN_FORMS = ["有限公司", "股份有限公司", "公司", "株式会社", "集团有限公司"]


def make_names(count: int, seed: int = 16) -> list[str]:
    """``count`` counterparty names: about one in ten a listed entity under a variant."""
    rng = random.Random(seed)
    data = lists.load(LISTS)
    entities = lists.entities(data)
    gold = [json.loads(line)["name"] for line in
            (ROOT / "tests" / "gold" / "screening.jsonl").read_text(encoding="utf-8").splitlines()]
    names: list[str] = []
    while len(names) < count:
        roll = rng.random()
        if roll < 0.05:
            entity = rng.choice(entities)
            names.append(rng.choice([entity["en"], entity["zh"], entity["en"].upper()]))
        elif roll < 0.12:
            names.append(rng.choice(gold))
        elif roll < 0.75:
            words = rng.sample(LATIN_WORDS, rng.randint(1, 3))
            names.append(" ".join([*words, rng.choice(LATIN_TAILS), rng.choice(FORMS)]).strip())
        else:
            names.append(rng.choice(HAN_PLACES) + "".join(rng.sample(HAN_WORDS, rng.randint(1, 3)))
                         + rng.choice(HAN_FORMS))
    return names


def exact_pass(names: list[str], entities: list[dict]) -> tuple[float, int]:
    """Case-folded exact look-up of each name in the listed names."""
    start = time.perf_counter()
    table = {}
    for entity in entities:
        for name in [entity["en"], entity["zh"], *entity["aliases"]]:
            table[name.casefold()] = entity["id"]
    flagged = sum(1 for name in names if name.casefold() in table)
    return time.perf_counter() - start, flagged


def screen_pass(names: list[str], screener: Screener) -> tuple[float, int, int]:
    """Screen every name; count names with a match and with a possible match only."""
    start = time.perf_counter()
    matched = possible = 0
    for name in names:
        hits = screener.screen(name)
        if any(h["band"] == "match" for h in hits):
            matched += 1
        elif hits:
            possible += 1
    return time.perf_counter() - start, matched, possible


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=10_000)
    parser.add_argument("--smoke", action="store_true", help="1,000 names (seconds)")
    args = parser.parse_args(argv)
    count = 1_000 if args.smoke else args.names
    limit = LIMIT_SECONDS_PER_10K * count / 10_000

    data = lists.load(LISTS)
    start = time.perf_counter()
    screener = Screener(lists.listings(data), lists.events(data))
    build = time.perf_counter() - start
    names = make_names(count)

    exact_s, exact_flagged = exact_pass(names, lists.entities(data))
    screen_s, matched, possible = screen_pass(names, screener)
    ratio = screen_s / exact_s if exact_s else float("inf")
    report = {
        "names": count,
        "listings": len(lists.listings(data)),
        "index_build_s": round(build, 3),
        "exact_s": round(exact_s, 4),
        "exact_flagged": exact_flagged,
        "screen_s": round(screen_s, 3),
        "screen_matched": matched,
        "screen_possible": possible,
        "names_per_s": round(count / screen_s) if screen_s else None,
        "ratio_screen_to_exact": round(ratio, 1),
        "limit_s": limit,
        "ok": screen_s < limit,
    }
    print(json.dumps(report, indent=2))
    if not report["ok"]:
        print(f"FAIL: screening {count} names took {screen_s:.2f} s (limit {limit:.2f} s)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
