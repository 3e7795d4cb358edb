"""CLI commands for customs penalty decisions: ``regwatch enforcement cases|case|stats|similar``.

Each opens the catalogue, reads the current cases (enforcement/store.py) and prints them
or the figures of enforcement/stats.py; ``--json`` prints the same as JSON.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from regwatch.cli_options import db_option, emit_json, emit_table, json_option

CASE_COLUMNS = ["id", "case_number", "decision_date", "office", "category", "material", "hs",
                "fine", "leniency"]
MATERIALS = ("graphite", "key_minerals", "magnets")


def _errors(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from store import NotFound

        try:
            return fn(*args, **kwargs)
        except (NotFound, ValueError) as exc:
            raise click.ClickException(str(exc)) from exc
    return wrapper


def _cases(db_path: str) -> list[dict[str, Any]]:
    from enforcement.store import current_cases
    from store import catalogue

    return current_cases(catalogue.open_db(db_path))


def _row(case: dict[str, Any]) -> dict[str, Any]:
    goods = case.get("goods") or {}
    return {"id": case["id"], "case_number": case["case_number"],
            "decision_date": case["decision_date"], "office": case["office"],
            "category": case["category"], "material": case["material"],
            "hs": goods.get("actual_hs_code") or goods.get("hs_code"),
            "fine": case["penalty"]["fine"], "leniency": case["leniency"]}


def _pct(x: float | None, digits: int = 1) -> str:
    return "" if x is None else f"{100 * x:.{digits}f}%"


@click.group("enforcement")
def enforcement() -> None:
    """Customs penalty decisions for export-control violations, read into cases."""


@enforcement.command("cases")
@click.option("--period", help="Decision date in 2025, 2025H1 or 2025Q2.")
@click.option("--category", type=click.Choice(["dual_use", "military", "other"]))
@click.option("--material", type=click.Choice(MATERIALS))
@click.option("--office", help="Office or regional customs (part of its name).")
@click.option("--hs", help="HS code prefix (declared or correct code).")
@click.option("--type", "case_type", type=click.Choice(["violation", "smuggling"]))
@click.option("--all", "all_penalties", is_flag=True, help="Also ordinary customs penalties.")
@db_option
@json_option
@_errors
def cases_command(period: str | None, category: str | None, material: str | None,
                  office: str | None, hs: str | None, case_type: str | None,
                  all_penalties: bool, db_path: str, as_json: bool) -> None:
    """List export-control penalty decisions, oldest first, filtered."""
    from enforcement.store import filter_cases

    found = filter_cases(_cases(db_path), period=period, category=category, material=material,
                         office=office, hs=hs, case_type=case_type, all_penalties=all_penalties)
    if as_json:
        emit_json(found)
    else:
        emit_table([_row(c) for c in found], CASE_COLUMNS)


@enforcement.command("case")
@click.argument("key")
@db_option
@json_option
@_errors
def case_command(key: str, db_path: str, as_json: bool) -> None:
    """One decision by id or case number, every field with where it was read."""
    from enforcement.store import find_case
    from store import catalogue

    case = find_case(catalogue.open_db(db_path), key)
    if as_json:
        emit_json(case)
        return
    party, decl, goods, values = case["party"], case["declaration"], case["goods"], case["values"]
    lines = [
        ("case", f"{case['case_number']} ({case['case_type']})"), ("office", case["office"]),
        ("regional customs", case["region"]), ("decided", case["decision_date"]),
        ("party", party["name"]), ("credit code", party["uscc"]), ("address", party["address"]),
        ("declared", f"{decl['date']} {decl['trade_mode'] or ''} {decl['number'] or ''}"),
        ("goods", goods["name"]), ("HS code", goods["hs_code"]),
        ("correct HS code", goods["actual_hs_code"]), ("control code", goods["control_code"]),
        ("goods value", values["goods_value"]), ("controlled value", values["controlled_value"]),
        ("category", case["category"]), ("material", case["material"]),
        ("legal basis", ", ".join(case["legal_basis"])),
        ("circumstances", ", ".join(case["circumstances"]["mitigating"]
                                    + case["circumstances"]["aggravating"])),
        ("leniency", case["leniency"]), ("fine", case["penalty"]["fine"]),
        ("confiscation", case["penalty"]["confiscation"]), ("read from", case["source"]),
        ("page", case["url"]),
    ]
    for label, value in lines:
        if value not in (None, "", " "):
            click.echo(f"{label:<18} {value}")


@enforcement.command("stats")
@click.option("--period", required=True, help="2025, 2025H1 or 2025Q2.")
@click.option("--compare", help="A period to compare with (growth, both periods' figures).")
@click.option("--by", type=click.Choice(["category", "material", "office", "region", "quarter",
                                         "hs", "case_type", "leniency"]),
              help="Also count the period's cases by this.")
@db_option
@json_option
@_errors
def stats_command(period: str, compare: str | None, by: str | None, db_path: str,
                  as_json: bool) -> None:
    """Counts, growth, category and material shares, mitigated share and fine ratios.

    The fine ratio is the mean of per-case fine / value (the controlled items' value when
    stated, else the goods value) over fined cases; material shares with --compare are
    taken over both periods together (docs/enforcement.md).
    """
    from enforcement.stats import summary

    result = summary(_cases(db_path), period, compare, by)
    if as_json:
        emit_json(result)
        return
    periods = [result["period"]] + ([result["compare"]] if compare else [])
    rows = [{"figure": "decisions", **{p["period"]: p["count"] for p in periods}}]
    for category in ("dual_use", "military", "other"):
        rows.append({"figure": category, **{
            p["period"]: f"{p['category'].get(category, {}).get('count', 0)} "
                         f"({_pct(p['category'].get(category, {}).get('share', 0.0))})"
            for p in periods}})
    rows.append({"figure": "mitigated or lenient",
                 **{p["period"]: _pct(p["mitigated_share"]) for p in periods}})
    rows.append({"figure": "fine / value (mean)", **{
        p["period"]: f"{_pct(p['fine_ratio']['mean'], 0)} ({p['fine_ratio']['cases']} fined)"
        for p in periods}})
    for p in periods:
        for q, r in p["fine_ratio_by_quarter"].items():
            rows.append({"figure": f"  fine / value {q}", p["period"]: f"{_pct(r['mean'], 0)} ({r['cases']} fined)"})
    emit_table(rows, ["figure"] + [p["period"] for p in periods])
    if compare:
        growth = result["growth"]
        click.echo(f"\ngrowth {compare} → {period}: "
                   + ("" if growth is None else f"{100 * growth:+.1f}%"))
        combined = result["material_combined"]
        parts = [f"{m} {_pct(combined['shares'][m]['share'], 0)} ({combined['shares'][m]['count']})"
                 for m in MATERIALS if m in combined["shares"]]
        click.echo(f"materials ({' + '.join(combined['periods'])}, {combined['count']} cases): "
                   + ", ".join(parts))
    if by:
        click.echo("")
        emit_table([{by: k, "cases": v["count"], "share": _pct(v["share"])}
                    for k, v in result["by"][by].items()], [by, "cases", "share"])


@enforcement.command("similar")
@click.option("--hs", required=True, help="The shipment's HS code (any length).")
@click.option("--control-code", help="The control code that may apply, e.g. 1C902.a.")
@click.option("--limit", default=20, show_default=True, type=int)
@db_option
@json_option
@_errors
def similar_command(hs: str, control_code: str | None, limit: int, db_path: str,
                    as_json: bool) -> None:
    """Comparable decisions for a shipment: longest shared HS prefix, then control code."""
    from enforcement.store import similar

    found = similar(_cases(db_path), hs, control_code, limit)
    if as_json:
        emit_json(found)
        return
    emit_table([{**_row(c), "hs digits": c["match"]["hs_digits"],
                 "same code": "yes" if c["match"]["control_code"] else ""} for c in found],
               CASE_COLUMNS + ["hs digits", "same code"])


COMMANDS = [enforcement]
