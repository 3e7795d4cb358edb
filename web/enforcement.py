"""Datasette plugin: the enforcement page (#19 item 6), read only.

``/enforcement`` shows the customs penalty decisions read into cases: the report's
figures (count, growth on the same period a year before, category shares, mitigated
share, fine / value), three charts (cases per quarter by category, mean fine ratio per
quarter, top HS headings) and the case table, filtered by period, office and category
through a GET form. ``/enforcement/case/ID`` shows one decision with a link to the page
it was read from and to comparable decisions.

Every figure is computed by enforcement/stats.py, the code behind
``regwatch enforcement stats``: this module only chooses which cases and periods to ask
it about, so the page and the command cannot disagree.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from sqlite_utils import Database

from enforcement import stats
from enforcement.store import current_cases, filter_cases, similar
from web import enforcement_charts as charts

DATABASE = "regwatch"
CATEGORIES = ("dual_use", "military", "other")
CATEGORY_WORDS = {"dual_use": "dual-use items", "military": "military items",
                  "other": "other restricted or prohibited items"}
MATERIALS = ("graphite", "key_minerals", "magnets")
TOP_HS = 10
MAX_ROWS = 500  # a table longer than this is cut, and the page says so


def pct(x: float | None, digits: int = 1) -> str:
    """A share as the CLI prints it (regwatch enforcement stats)."""
    return "" if x is None else f"{100 * x:.{digits}f}%"


def year_before(period: str) -> str:
    """The same period a year earlier: ``2025H1`` → ``2024H1``."""
    stats.period_bounds(period)  # raises ValueError for a non-period
    text = period.strip().upper()
    return f"{int(text[:4]) - 1}{text[4:]}"


def quarter_axis(cases: list[dict[str, Any]]) -> list[str]:
    """Every quarter from the first decision's to the last's, gaps included."""
    days = [date.fromisoformat(c["decision_date"]) for c in cases if c.get("decision_date")]
    if not days:
        return []
    first, last = min(days), max(days)
    out = []
    year, q = first.year, (first.month - 1) // 3 + 1
    while (year, q) <= (last.year, (last.month - 1) // 3 + 1):
        out.append(f"{year}Q{q}")
        year, q = (year + 1, 1) if q == 4 else (year, q + 1)
    return out


def half_years(cases: list[dict[str, Any]]) -> list[str]:
    """The half-years that hold an export-control decision, newest first."""
    found = {f"{c['decision_date'][:4]}H{1 if int(c['decision_date'][5:7]) <= 6 else 2}"
             for c in cases if c.get("export_control") and c.get("decision_date")}
    return sorted(found, reverse=True)


def figures(cases: list[dict[str, Any]], period: str, compare: str | None) -> dict[str, Any]:
    """The report's figures for a period (and the one compared), from stats.summary."""
    result = stats.summary(cases, period, compare)
    periods = [result["period"]] + ([result["compare"]] if compare else [])
    rows = [{"figure": "decisions", "key": "count",
             "values": [str(p["count"]) for p in periods]}]
    for category in CATEGORIES:
        rows.append({"figure": CATEGORY_WORDS[category], "key": category, "values": [
            f"{p['category'].get(category, {}).get('count', 0)} "
            f"({pct(p['category'].get(category, {}).get('share', 0.0))})" for p in periods]})
    rows.append({"figure": "mitigated or lenient", "key": "mitigated",
                 "values": [pct(p["mitigated_share"]) for p in periods]})
    rows.append({"figure": "fine / value (mean)", "key": "fine_ratio", "values": [
        f"{pct(p['fine_ratio']['mean'], 0)} ({p['fine_ratio']['cases']} fined)" for p in periods]})
    quarters = sorted({q for p in periods for q in p["fine_ratio_by_quarter"]})
    for q in quarters:
        rows.append({"figure": f"fine / value {q}", "key": f"fine_ratio_{q}", "values": [
            f"{pct(r['mean'], 0)} ({r['cases']} fined)" if (r := p["fine_ratio_by_quarter"].get(q))
            else "" for p in periods]})
    out: dict[str, Any] = {"periods": [p["period"] for p in periods], "rows": rows,
                           "growth": None, "materials": None}
    if compare:
        growth = result["growth"]
        out["growth"] = "" if growth is None else f"{100 * growth:+.1f}%"
        combined = result["material_combined"]
        out["materials"] = {
            "periods": " + ".join(combined["periods"]), "count": combined["count"],
            "shares": [{"material": m, "share": pct(combined["shares"][m]["share"], 0),
                        "count": combined["shares"][m]["count"]}
                       for m in MATERIALS if m in combined["shares"]]}
    return out


def half_year_rows(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per half-year: count, growth on a year before, categories, fine ratio."""
    rows = []
    for half in half_years(cases):
        result = stats.summary(cases, half, year_before(half))
        now = result["period"]
        rows.append({
            "period": half, "count": now["count"],
            "growth": "" if result["growth"] is None else f"{100 * result['growth']:+.1f}%",
            "categories": {k: now["category"].get(k, {}).get("count", 0) for k in CATEGORIES},
            "mitigated": pct(now["mitigated_share"]),
            "fine_ratio": pct(now["fine_ratio"]["mean"], 0)})
    return rows


def chart_data(cases: list[dict[str, Any]], period: str | None) -> dict[str, Any]:
    """The three charts' figures: per-quarter counts and ratios (from the compared period's
    first quarter to the period's last, or over every case), and the period's HS headings."""
    exported = [c for c in cases if c.get("export_control")]
    if period:
        first = stats.period_bounds(year_before(period))[0]
        last = stats.period_bounds(period)[1]
        axis = quarter_axis([{"decision_date": first.isoformat()},
                             {"decision_date": last.isoformat()}])
    else:
        axis = quarter_axis(exported)
    per_quarter = {q: stats.in_period(cases, q) for q in axis}
    by_category = [{"label": q, "counts": {k: v["count"] for k, v in
                                           stats.shares(per_quarter[q], "category").items()}}
                   for q in axis]
    ratios = [{"label": q, **stats.mean_fine_ratio(per_quarter[q])} for q in axis]
    chosen = stats.in_period(cases, period) if period else exported
    headings = [{"label": k if k != "None" else "no HS code", **v}
                for k, v in list(stats.shares(chosen, "hs").items())[:TOP_HS]]
    return {"category": charts.stacked_bars(by_category, list(CATEGORIES), CATEGORY_WORDS),
            "fine_ratio": charts.line_points(ratios),
            "hs": charts.horizontal_bars(headings)}


def case_row(case: dict[str, Any]) -> dict[str, Any]:
    goods, values = case.get("goods") or {}, case.get("values") or {}
    ratio = stats.value_ratio(case)
    return {
        "id": case["id"], "case_number": case["case_number"], "case_type": case.get("case_type"),
        "decision_date": case.get("decision_date"), "office": case.get("office"),
        "region": case.get("region"), "party": (case.get("party") or {}).get("name"),
        "category": case.get("category"), "material": case.get("material"),
        "hs": goods.get("actual_hs_code") or goods.get("hs_code"),
        "control_code": goods.get("control_code"),
        "value": values.get("controlled_value") or values.get("goods_value"),
        "fine": (case.get("penalty") or {}).get("fine"), "ratio": pct(ratio, 0),
        "leniency": case.get("leniency"), "url": case.get("url"),
        "document_id": case.get("document_id"), "href": f"/enforcement/case/{case['id']}",
    }


def offices(cases: list[dict[str, Any]]) -> list[str]:
    """Regional customs and offices that decided an export-control case, for the form."""
    ec = [c for c in cases if c.get("export_control")]
    return sorted({c["region"] for c in ec if c.get("region")}
                  | {c["office"] for c in ec if c.get("office")})


def enforcement_page(db: Database, period: str | None, office: str | None,
                     category: str | None) -> dict[str, Any]:
    """Figures, charts and table for the filters (each may be empty)."""
    every = current_cases(db)
    page: dict[str, Any] = {"period": period or "", "office": office or "",
                            "category": category or "", "errors": [],
                            "periods": [], "offices": offices(every),
                            "categories": [{"key": k, "word": CATEGORY_WORDS[k]} for k in CATEGORIES]}
    if period:
        try:
            stats.period_bounds(period)
            period = period.strip().upper()
            page["period"] = period
        except ValueError as exc:
            page["errors"].append(str(exc))
            page["period"], period = "", None
    if category and category not in CATEGORIES:
        page["errors"].append(f"not a category: {category!r} (use {', '.join(CATEGORIES)})")
        page["category"] = category = None
    if office and office not in page["offices"]:
        page["errors"].append(f"no export-control case from {office!r}")
        page["office"], office = "", None
    scope = filter_cases(every, office=office, category=category)
    halves = half_years(every)
    years = sorted({h[:4] for h in halves}, reverse=True)
    page["periods"] = [p for y in years for p in [y] + [h for h in halves if h.startswith(y)]]
    page["half_years"] = half_year_rows(scope)
    page["figures"] = figures(scope, period, year_before(period)) if period else None
    page["charts"] = chart_data(scope, period)
    chosen = stats.in_period(scope, period) if period else scope
    rows = [case_row(c) for c in sorted(chosen, key=lambda c: (c.get("decision_date") or "",
                                                                c["case_number"]), reverse=True)]
    page["count"], page["rows"], page["cut"] = len(rows), rows[:MAX_ROWS], max(0, len(rows) - MAX_ROWS)
    return page


def case_page(db: Database, case_id: int) -> dict[str, Any] | None:
    """One decision's fields, where it was read, and comparable decisions."""
    every = current_cases(db)
    case = next((c for c in every if c["id"] == case_id), None)
    if case is None:
        return None
    goods = case.get("goods") or {}
    code = goods.get("actual_hs_code") or goods.get("hs_code")
    near = [case_row(c) | {"hs_digits": c["match"]["hs_digits"]}
            for c in (similar(every, code, goods.get("control_code"), 11) if code else [])
            if c["id"] != case_id][:10]
    return {"case": case, "row": case_row(case), "similar": near,
            "ratio": pct(stats.value_ratio(case), 0)}


def _arg(request: Any, name: str) -> str | None:
    return (request.args.get(name) or "").strip() or None


async def enforcement_view(datasette: Any, request: Any) -> Response:
    period, office, category = _arg(request, "period"), _arg(request, "office"), _arg(request, "category")
    db = datasette.get_database(DATABASE)
    page = await db.execute_fn(lambda conn: enforcement_page(Database(conn), period, office, category))
    return Response.html(await datasette.render_template(
        "regwatch_enforcement.html", {"page": page}, request=request))


async def case_view(datasette: Any, request: Any) -> Response:
    case_id = int(request.url_vars["id"])
    db = datasette.get_database(DATABASE)
    page = await db.execute_fn(lambda conn: case_page(Database(conn), case_id))
    if page is None:
        raise NotFound(f"case {case_id} is not in the catalogue")
    return Response.html(await datasette.render_template(
        "regwatch_case.html", {"page": page}, request=request))


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/enforcement$", enforcement_view),
            (r"^/enforcement/case/(?P<id>\d{1,12})$", case_view)]

