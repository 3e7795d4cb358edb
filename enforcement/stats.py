"""Enforcement figures over extracted case dicts: counts, growth, shares, fine ratios.

Pure functions over the plain dicts that :func:`extract.cases.extract_case` returns, so
the same figures come out of a test, the CLI and the web page. Each figure is defined
once, here, in the way the published report (issue #19) can be reproduced:

- a case belongs to the period that holds its **decision date** (the signature's date);
- only **export-control** decisions count (dual-use, military or another controlled
  item); ordinary customs penalties on the same lists are left out;
- **growth** is ``(n - n_before) / n_before``;
- a **share** is a count over the period's count; material shares can be taken over
  several periods together (the report's graphite / key minerals / magnet shares are
  shares of both half-years it compiled: no whole number of 79 cases is 7 %);
- the **mitigated share** counts decisions that mitigate (减轻) or are lenient (从轻);
  a decision not to punish is neither;
- the **fine ratio** of a case is fine / value, the value being the controlled items'
  value when the decision states one, else the goods value; a period's figure is the
  **mean of the per-case ratios** over its fined cases with a value.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

Case = dict[str, Any]
PERIOD = re.compile(r"^(\d{4})(?:(H[12])|(Q[1-4]))?$")
BY = ("category", "material", "office", "region", "quarter", "hs", "case_type", "leniency")


def period_bounds(period: str) -> tuple[date, date]:
    """``2025H1`` / ``2025Q2`` / ``2025`` as inclusive (first day, last day).

    :raises ValueError: for anything else
    """
    m = PERIOD.match(period.strip().upper())
    if not m:
        raise ValueError(f"not a period: {period!r} (use 2025, 2025H1 or 2025Q2)")
    year = int(m[1])
    if m[2]:
        first_month, months = (1 if m[2] == "H1" else 7), 6
    elif m[3]:
        first_month, months = 3 * int(m[3][1]) - 2, 3
    else:
        first_month, months = 1, 12
    last_month = first_month + months - 1
    end = date(year + last_month // 12, last_month % 12 + 1, 1) if last_month < 12 else date(year + 1, 1, 1)
    return date(year, first_month, 1), date.fromordinal(end.toordinal() - 1)


def quarter(case: Case) -> str | None:
    day = case.get("decision_date")
    if not day:
        return None
    d = date.fromisoformat(day)
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


def in_period(cases: Iterable[Case], period: str) -> list[Case]:
    """Export-control decisions whose decision date falls in ``period``."""
    first, last = period_bounds(period)
    return [c for c in cases if c.get("export_control") and c.get("decision_date")
            and first <= date.fromisoformat(c["decision_date"]) <= last]


def growth(count: int, before: int) -> float | None:
    return (count - before) / before if before else None


def key_of(by: str) -> Callable[[Case], Any]:
    """The grouping key for ``--by``.

    :raises ValueError: for an unknown grouping
    """
    keys: dict[str, Callable[[Case], Any]] = {
        "category": lambda c: c.get("category"),
        "material": lambda c: c.get("material"),
        "office": lambda c: c.get("office"),
        "region": lambda c: c.get("region"),
        "quarter": quarter,
        "hs": lambda c: c.get("hs_heading"),
        "case_type": lambda c: c.get("case_type"),
        "leniency": lambda c: c.get("leniency"),
    }
    if by not in keys:
        raise ValueError(f"unknown grouping {by!r}; use one of {', '.join(BY)}")
    return keys[by]


def shares(cases: list[Case], by: str) -> dict[str, dict[str, float | int]]:
    """``{value: {count, share}}``, most frequent first; cases without a value are ``None``."""
    counts = Counter(key_of(by)(c) for c in cases)
    total = len(cases)
    return {str(k): {"count": n, "share": n / total if total else 0.0}
            for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))}


def value_ratio(case: Case) -> float | None:
    """Fine / value (controlled items' value when stated, else goods value), or None."""
    fine = (case.get("penalty") or {}).get("fine")
    values = case.get("values") or {}
    base = values.get("controlled_value") or values.get("goods_value")
    if not fine or not base:
        return None
    return fine / base


def mean_fine_ratio(cases: list[Case]) -> dict[str, Any]:
    """Mean of per-case fine ratios, with how many cases it was taken over."""
    ratios = [r for r in map(value_ratio, cases) if r is not None]
    return {"mean": sum(ratios) / len(ratios) if ratios else None, "cases": len(ratios)}


def mitigated_share(cases: list[Case]) -> float | None:
    if not cases:
        return None
    return sum(c.get("leniency") in ("mitigated", "lenient") for c in cases) / len(cases)


def period_stats(cases: list[Case], period: str) -> dict[str, Any]:
    """Every figure of one period."""
    mine = in_period(cases, period)
    quarters = sorted({q for q in map(quarter, mine) if q})
    return {
        "period": period,
        "count": len(mine),
        "category": shares(mine, "category"),
        "material": shares(mine, "material"),
        "mitigated_share": mitigated_share(mine),
        "fine_ratio": mean_fine_ratio(mine),
        "fine_ratio_by_quarter": {q: mean_fine_ratio([c for c in mine if quarter(c) == q])
                                  for q in quarters},
    }


def summary(cases: list[Case], period: str, compare: str | None = None,
            by: str | None = None) -> dict[str, Any]:
    """The report's figures for ``period`` (and ``compare``), plus an optional grouping.

    Material shares over both periods together are under ``material_combined``.
    """
    out: dict[str, Any] = {"period": period_stats(cases, period)}
    if compare:
        out["compare"] = period_stats(cases, compare)
        out["growth"] = growth(out["period"]["count"], out["compare"]["count"])
        both = in_period(cases, period) + in_period(cases, compare)
        out["material_combined"] = {"periods": [compare, period], "count": len(both),
                                    "shares": shares(both, "material")}
    if by:
        out["by"] = {by: shares(in_period(cases, period), by)}
    return out
