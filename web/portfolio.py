"""Datasette plugin: a portfolio's page (#17 item 6), read only.

``/portfolio`` lists the imported portfolios; ``/portfolio/NAME`` shows every product
(lane) with its verdict on a day (today in Beijing, or ``?on=``), filtered by verdict and
destination with a plain GET form (no script), each product's verdict over time as a
server-side bar chart (web/gantt.py geometry; suspension windows are bars of their own),
and the dates ahead that change a verdict. Verdicts, changes and dates come from
``portfolio.status`` and ``portfolio.changes``: the page says what ``regwatch portfolio
status / changes / upcoming`` say.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import Response
from sqlite_utils import Database

from core import clock
from portfolio.lanes import lane_key
from web import gantt

DATABASE = "regwatch"
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
HISTORY_FROM = "2023-01-01"  # the chart's left edge: before the oldest watched measure
AHEAD_DAYS = 365  # how far the chart and the coming dates look past the day shown
# verdict → (class, label in the filter and legend), strictest first
CLASSES = (("prohibited", "prohibited"), ("denied", "denied in principle"),
           ("strict", "stricter review"), ("licence", "licence required"),
           ("suspended", "control suspended"), ("pending", "pending"),
           ("notfound", "not found in the catalogue"))
LABELS = dict(CLASSES)


def verdict_class(verdict: str) -> str:
    """``control suspended until 2026-11-10`` → ``suspended``; the class the filter and
    the chart's bars use."""
    for name, label in CLASSES:
        if verdict.startswith(label) or (name == "pending" and verdict.startswith("pending")):
            return name
    return "notfound"


def _day(value: str, days: int) -> str:
    return (dt.date.fromisoformat(value) + dt.timedelta(days=days)).isoformat()


def portfolios(db: Database) -> list[dict[str, Any]]:
    """Every portfolio with its current lane count and last import."""
    if "portfolios" not in db.table_names():
        return []
    return [dict(r) for r in db.query(
        "select p.name, p.updated_at, (select count(*) from portfolio_rows r where "
        "r.portfolio_id = p.id and r.retired_in is null) as lanes from portfolios p "
        "order by p.name")]


def _history(db: Database, lanes: list[dict[str, Any]],
             on: str) -> tuple[dict[str, list[dict]], list[dict[str, Any]]]:
    """(lane → its verdict intervals from HISTORY_FROM to a year past ``on``, the verdict
    changes after ``on``: what ``portfolio.changes.upcoming`` says, read off the same pass)."""
    from portfolio.changes import verdict_changes
    from portfolio.status import portfolio_status

    until = _day(on, AHEAD_DAYS)
    start = {lane_key(r): r["verdict"]
             for r in portfolio_status(db, lanes, _day(HISTORY_FROM, -1), screen=False)}
    found = verdict_changes(db, lanes, HISTORY_FROM, until, basis=False)["changes"]
    steps: dict[tuple[str, ...], list[tuple[str, str, list[str]]]] = {
        key: [(HISTORY_FROM, verdict, [])] for key, verdict in start.items()}
    for change in sorted(found, key=lambda c: c["date"]):
        if change["verdict_changed"]:
            steps[lane_key(change)].append(
                (change["date"], change["after"], change["announcements_after"]))
    out: dict[str, list[dict]] = {}
    for key, path in steps.items():
        intervals = []
        for n, (since, verdict, numbers) in enumerate(path):
            last = n + 1 == len(path)
            intervals.append({"state": verdict_class(verdict), "verdict": verdict,
                              "since": since,
                              "until": None if last else _day(path[n + 1][0], -1),
                              "cause": ", ".join(numbers)})
        out["\x1f".join(key)] = intervals
    ahead = sorted((c for c in found if c["verdict_changed"] and c["date"] > on),
                   key=lambda c: (c["date"], *lane_key(c)))
    return out, ahead


def portfolio_page(db: Database, name: str, on: str, verdict: str = "",
                   destination: str = "") -> dict[str, Any]:
    """The page's data: rows (filtered), filter choices with counts, chart, coming dates.

    :raises PortfolioNotFound: for an unknown name
    """
    from portfolio.changes import upcoming
    from portfolio.records import rows as lanes_of
    from portfolio.status import portfolio_status

    lanes = lanes_of(db, name)
    rows = portfolio_status(db, lanes, on, screen=False)
    for row in rows:
        row["class"] = verdict_class(row["verdict"])
    counts = {c: sum(r["class"] == c for r in rows) for c, _ in CLASSES}
    destinations = sorted({r["destination"] for r in rows})
    names = _names(rows)
    shown = [(lane, row) for lane, row in zip(lanes, rows, strict=True)
             if (not verdict or row["class"] == verdict)
             and (not destination or row["destination"] == destination)]
    chart, ahead = None, []
    if shown:
        history, ahead = _history(db, [lane for lane, _ in shown], on)
        if on < HISTORY_FROM:  # the pass starts later than the day shown
            ahead = upcoming(db, [lane for lane, _ in shown], AHEAD_DAYS, on)["dates"]
        chart = gantt.chart([{
            "label": names[lane_key(row)][1],
            "title": f"{names[lane_key(row)][1]}: {row.get('description') or ''}",
            "href": f"#lane-{names[lane_key(row)][0]}",
            "intervals": history["\x1f".join(lane_key(row))]}
            for _, row in shown], on)
    if chart:
        words = {}
        for chart_row, (_, row) in zip(chart["rows"], shown, strict=True):
            spans = history["\x1f".join(lane_key(row))]
            for bar, span in zip(chart_row["bars"], spans, strict=True):
                bar["word"] = span["verdict"]
                bar["title"] = (f"{span['verdict']}: {span['since']} → {span['until'] or '…'}"
                                + (f" — {span['cause']}" if span["cause"] else ""))
                words[bar["state"]] = LABELS[bar["state"]]
        chart["states"] = [c for c, _ in CLASSES if c in words]
        chart["words"] = LABELS
    return {"name": name, "on": on, "verdict": verdict, "destination": destination,
            "classes": [{"value": c, "label": label, "count": counts[c]} for c, label in CLASSES],
            "destinations": destinations, "total": len(rows),
            "rows": [{**row, "anchor": names[lane_key(row)][0]} for _, row in shown],
            "chart": chart, "ahead_days": AHEAD_DAYS,
            "upcoming": [{**c, "class_before": verdict_class(c["before"]),
                          "class_after": verdict_class(c["after"])} for c in ahead]}


def _names(rows: list[dict[str, Any]]) -> dict[tuple[str, ...], tuple[str, str]]:
    """Each lane's (anchor, label) on the page: its sku and destination, and, where
    another lane of the portfolio has the same ones (another customer or end use,
    ``portfolio.lanes``), the rest of its identity: in the label as written, in the
    anchor as a short digest."""
    keys = [lane_key(row) for row in rows]
    shared = Counter(key[:2] for key in keys)
    out = {}
    for sku, destination, *rest in keys:
        anchor = re.sub(r"[^A-Za-z0-9_-]", "_", f"{sku}-{destination}")
        label = f"{sku} → {destination}"
        if shared[(sku, destination)] > 1:
            anchor += "-" + hashlib.sha1("\x1f".join(rest).encode()).hexdigest()[:8]
            label += f" ({', '.join(v for v in rest if v) or 'no counterparty'})"
        out[(sku, destination, *rest)] = (anchor, label)
    return out


def _arg(request: Any, name: str, allowed: set[str] | None = None) -> str:
    value = (request.args.get(name) or "").strip()
    return value if allowed is None or value in allowed else ""


async def index_view(datasette: Any, request: Any) -> Response:
    db = datasette.get_database(DATABASE)
    found = await db.execute_fn(lambda conn: portfolios(Database(conn)))
    return Response.html(await datasette.render_template(
        "regwatch_portfolio.html", {"page": {"portfolios": found, "name": None}},
        request=request))


async def portfolio_view(datasette: Any, request: Any) -> Response:
    from portfolio.records import PortfolioNotFound

    name = request.url_vars["name"]
    value = _arg(request, "on")
    on = value if DAY.match(value) else clock.today()
    verdict = _arg(request, "verdict", set(LABELS))
    destination = _arg(request, "destination").upper()[:2]
    db = datasette.get_database(DATABASE)
    try:
        page = await db.execute_fn(
            lambda conn: portfolio_page(Database(conn), name, on, verdict, destination))
    except PortfolioNotFound as exc:
        return Response.html(await datasette.render_template(
            "regwatch_portfolio.html", {"page": {"missing": str(exc), "name": name,
                                                 "portfolios": []}}, request=request),
            status=404)
    return Response.html(await datasette.render_template(
        "regwatch_portfolio.html", {"page": page}, request=request))


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/portfolio$", index_view), (r"^/portfolio/(?P<name>[^/]+)$", portfolio_view)]
