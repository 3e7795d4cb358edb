"""The request-budget polling policy (crawler/budget.py) and its latency benchmark."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from crawler.budget import (
    TZ,
    daily_allocation,
    day_weights,
    make_policy,
    next_check,
    normal_gap,
    policy_for,
    record_outcome,
)

TUESDAY = date(2025, 11, 4)
SATURDAY = date(2025, 11, 8)
ROOT = Path(__file__).resolve().parents[1]


def latency_bench(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    """Run the benchmark as CI does (``python -m bench.latency_bench``) and read its JSON."""
    out = tmp_path / "latency.json"
    done = subprocess.run([sys.executable, "-m", "bench.latency_bench", "--smoke",
                           "--out", str(out), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    return done, json.loads(out.read_text())


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


@pytest.mark.parametrize("budget", [100, 300, 500])
def test_the_profile_sums_to_the_budget(budget):
    policy = policy_for("mofcom", budget_per_day=budget)
    days = daily_allocation(policy)
    assert max(days) + policy["reserve_per_day"] == pytest.approx(budget)
    assert days[:5] == pytest.approx([max(days)] * 5)           # every weekday gets it all
    assert days[5] == days[6] < max(days) / 2                   # weekends much less
    assert len(policy["rate"]) == 336 and min(policy["rate"]) > 0


def test_declared_sources_have_their_own_budgets():
    assert policy_for("mofcom")["budget_per_day"] == 300
    assert policy_for("mofcom_en")["budget_per_day"] == 150
    assert policy_for("mofcom_en")["reserve_per_day"] == 50        # the floor, over 20%
    assert max(daily_allocation(policy_for("mofcom_en"))) == pytest.approx(100)
    assert policy_for("mofcom")["reserve_per_day"] == pytest.approx(60)


def test_night_and_weekend_gaps_are_longer_than_office_hours():
    policy = policy_for("mofcom")
    office = normal_gap(policy, at(TUESDAY, 10))
    assert normal_gap(policy, at(TUESDAY, 15)) == pytest.approx(office)
    assert normal_gap(policy, at(TUESDAY, 19, 30)) == pytest.approx(office)   # evenings dense
    night = normal_gap(policy, at(TUESDAY, 3))
    weekend = normal_gap(policy, at(SATURDAY, 10))
    assert night > 4 * office and weekend > 2 * office
    assert office < 5 * 60 and night < 30 * 60                               # at 300/day
    # the policy reads wall time in Beijing whatever zone ``now`` is given in
    assert normal_gap(policy, at(TUESDAY, 10).astimezone(UTC)) == pytest.approx(office)


def test_a_gap_spanning_a_slot_boundary_uses_both_rates():
    policy = policy_for("mofcom")
    before_night = at(TUESDAY, 23, 59)  # weight 3 until 24:00, then the night's 1.5
    gap = normal_gap(policy, before_night)
    assert normal_gap(policy, at(TUESDAY, 23)) < gap < normal_gap(policy, at(TUESDAY, 3))


def test_backoff_grows_on_errors_is_capped_and_resets_on_success():
    policy = policy_for("mofcom")
    now = at(TUESDAY, 10)
    normal = (next_check(policy, now, None) - now).total_seconds()
    outcome, gaps = None, []
    for _ in range(6):
        outcome = record_outcome(outcome, "error")
        gaps.append((next_check(policy, now, outcome) - now).total_seconds())
    assert outcome["consecutive_errors"] == 6
    assert gaps[0] == pytest.approx(2 * normal) and gaps[1] == pytest.approx(4 * normal)
    assert gaps == sorted(gaps) and gaps[-1] == 30 * 60 and gaps[-2] == 30 * 60
    recovered = record_outcome(outcome, "not_modified")
    assert recovered["consecutive_errors"] == 0
    assert (next_check(policy, now, recovered) - now).total_seconds() == pytest.approx(normal)
    # a server's Retry-After wins over a shorter backoff
    told = record_outcome(None, "error", retry_after_seconds=3600)
    assert (next_check(policy, now, told) - now).total_seconds() == 3600
    # at night the normal gap is already long: backing off never checks more often
    night = at(TUESDAY, 3)
    assert next_check(policy, night, outcome) - night >= next_check(policy, night, None) - night


def test_a_simulated_week_of_checks_stays_within_the_budget():
    policy = policy_for("gacc", budget_per_day=300)
    clock, end = at(TUESDAY - timedelta(days=1), 0, 7), at(TUESDAY + timedelta(days=6), 0, 7)
    per_day: Counter[date] = Counter()
    outcome = None
    while clock < end:
        per_day[clock.date()] += 1
        outcome = record_outcome(outcome, "not_modified")
        following = next_check(policy, clock, outcome)
        assert following > clock and following.tzinfo is TZ
        clock = following
    allocation = daily_allocation(policy)
    for day, count in per_day.items():
        planned = allocation[day.weekday()]
        assert abs(count - planned) <= 1.5, (day, count, planned)
        assert count <= 300 - policy["reserve_per_day"] + 1


def test_bad_profiles_and_clocks_are_refused():
    with pytest.raises(ValueError, match="without a weight"):
        day_weights({"00:00-12:00": 1})
    with pytest.raises(ValueError, match="every slot needs a check"):
        day_weights({"00:00-12:00": 1, "12:00-24:00": 0})
    with pytest.raises(ValueError, match="overlaps"):
        day_weights({"00:00-12:30": 1, "12:00-24:00": 1})
    with pytest.raises(ValueError, match="boundaries"):
        day_weights({"00:00-12:15": 1, "12:15-24:00": 1})
    with pytest.raises(ValueError, match="reserve"):
        make_policy("x", budget_per_day=10, reserve_per_day=10)
    with pytest.raises(ValueError, match="aware"):
        next_check(policy_for("mofcom"), datetime(2025, 11, 4, 10))
    with pytest.raises(ValueError, match="status"):
        record_outcome(None, "teapot")


def test_latency_targets_met_on_a_small_replay(tmp_path):
    done, result = latency_bench(tmp_path, "--sources", "mofcom", "--budgets", "100", "300")
    assert done.returncode == 0, done.stderr
    assert (result["start"], result["end"]) == ("2025-09-15", "2025-11-17")
    by = {(r["scenario"], r["budget_per_day"]): r for r in result["rows"]}
    normal = by[("normal", 300)]
    assert normal["detected"] == normal["published"] >= 16   # includes the 9 October cluster
    assert normal["median_min"] <= 5 and normal["p95_min"] <= 30
    assert normal["requests_per_day_max"] <= 300
    # fewer requests cost latency; an outage over a publication costs it more
    assert by[("normal", 100)]["median_min"] > normal["median_min"]
    assert by[("normal", 100)]["requests_per_day_max"] < normal["requests_per_day_max"]
    hit = by[("outage", 300)]["in_outage"]
    assert hit["published"] > 0 and hit["max_min"] > 60
    assert hit["after_outage_end_max_min"] <= 30 + 1.5 + 1e-6   # backoff cap + processing
    assert "median min" in done.stdout and "\nmofcom   normal" in done.stdout


def test_the_gate_fails_when_latency_is_missed(tmp_path):
    done, result = latency_bench(tmp_path, "--sources", "mofcom", "--budgets", "300",
                                 "--processing-seconds", "400")
    assert done.returncode == 1
    assert "FAIL mofcom at 300/day: median" in done.stderr
    assert result["rows"][0]["median_min"] > 5
