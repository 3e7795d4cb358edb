"""Compliance questions asked of the mirror's history, as data (tests/questions/mirror.yaml).

Each question is a regwatch command line and the answer a compliance officer must get:
exit status (found / nothing found / usage error), the announcements that must and must
not appear with their state, scope and the clause cited, and for ``changes`` the order
and the events. A new question costs a few lines of YAML; the checks below are generic.
All questions share ONE catalogue: the mirror crawled on day 1, then day 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from extract.clauses import clause_parts

QUESTIONS = yaml.safe_load(
    (Path(__file__).parent / "questions" / "mirror.yaml").read_text(encoding="utf-8"))


def _run(path: str, args: list[str], as_json: bool) -> tuple[int, str]:
    from regwatch.cli import cli

    argv = [str(a) for a in args] + ["--db", path] + (["--json"] if as_json else [])
    result = CliRunner().invoke(cli, argv, catch_exceptions=False)
    return result.exit_code, result.output


def _same(field: str, want: Any, have: Any) -> bool:
    if field in ("clause", "provision"):
        return clause_parts(str(want)) == clause_parts(have)
    return want == have


def _parts(answer: dict[str, Any], number: str) -> list[dict[str, Any]]:
    """What the answer says about one announcement: its matched parts (or itself)."""
    for ann in answer.get("announcements") or []:
        if ann["number"] == number:
            return ann.get("matched") or [ann]
    return []


def _check_announcements(answer: dict[str, Any], expected: dict[str, dict]) -> None:
    for number, fields in expected.items():
        parts = _parts(answer, number)
        assert parts, f"{number} missing; announcements: " + ", ".join(
            a["number"] for a in answer.get("announcements") or [])
        fields = fields or {}
        ok = [p for p in parts if all(_same(k, v, p.get(k)) for k, v in fields.items())]
        assert ok, f"{number}: no matched part has {fields}; parts: " + json.dumps(
            [{k: p.get(k) for k in ("provision", "state", "since", "until", "cause", "match",
                                    "measure", "via_group", "via_material")} for p in parts],
            ensure_ascii=False)


def _check_wide(answer: dict[str, Any], expected: dict[str, dict]) -> None:
    wide = answer.get("destination_wide") or []
    for number, fields in expected.items():
        rows = [w for w in wide if w["announcement"] == number]
        assert rows, f"{number} not shown as destination-wide: {[w['announcement'] for w in wide]}"
        assert any(all(_same(k, v, w.get(k)) for k, v in (fields or {}).items()) for w in rows), \
            f"{number}: destination-wide rows {rows} do not have {fields}"


def _check_headline(answer: dict[str, Any], expected: dict[str, Any] | None) -> None:
    headline = answer.get("headline")
    if expected is None:
        assert headline is None, f"expected no measure in force, got {headline}"
        return
    assert headline, "no headline"
    for key, value in expected.items():
        have = (headline.get("scope") or {}).get("destinations") if key == "destinations" \
            else headline.get(key)
        assert _same(key, value, have), f"headline {key}: want {value!r}, got {have!r} ({headline})"


def _check_changes(answer: dict[str, Any], expected: dict[str, Any]) -> None:
    rows = answer["changes"]
    if expected.get("order") == "newest_first":
        dates = [r["date"] for r in rows]
        assert dates == sorted(dates, reverse=True), dates
    if expected.get("more"):
        assert answer.get("more", 0) > 0 and answer["total"] > len(rows), answer.get("more")
    if "first" in expected:
        assert rows, "no changes"
        for key, value in expected["first"].items():
            assert rows[0].get(key) == value, f"first row {key}: {rows[0]}"
    for number, fields in (expected.get("rows") or {}).items():
        mine = [r for r in rows if r["announcement"] == number]
        assert any(all(r.get(k) == v for k, v in fields.items()) for r in mine), \
            f"{number}: no change with {fields}; have {mine}"
    for number in expected.get("once") or []:
        count = sum(r["announcement"] == number for r in rows)
        assert count == 1, f"{number}: {count} rows"
    for day in expected.get("none_on") or []:
        assert not [r for r in rows if r["date"] == day], f"changes on {day}"


@pytest.mark.parametrize("question", QUESTIONS, ids=[q["id"] for q in QUESTIONS])
def test_question(mirror_history: str, question: dict[str, Any]) -> None:
    expect = question["expect"]
    code, output = _run(mirror_history, question["args"], as_json=True)
    assert code == expect["exit"], output
    if "output_mentions" in expect:
        plain_code, plain = _run(mirror_history, question["args"], as_json=False)
        assert plain_code == expect["exit"], plain
        for text in expect["output_mentions"]:
            assert text.lower() in plain.lower(), f"{text!r} not in:\n{plain}"
    if expect["exit"] == 2:
        return
    answer = json.loads(output)
    if isinstance(answer, list):  # translations, events
        if "rows" in expect:
            assert len(answer) == expect["rows"], answer
        for number, count in (expect.get("count_by_number") or {}).items():
            have = sum(r.get("number") == number for r in answer)
            assert have == count, f"{number}: {have} rows"
        return
    for key in ("kind", "value", "destination", "fallback"):
        if key in expect:
            assert answer.get(key) == expect[key], f"{key}: {answer.get(key)!r}"
    if "members" in expect:
        assert set(expect["members"]) <= set(answer.get("members") or []), answer.get("members")
    _check_announcements(answer, expect.get("announcements") or {})
    _check_wide(answer, expect.get("destination_wide") or {})
    shown = {a["number"] for a in answer.get("announcements") or []} | {
        w["announcement"] for w in answer.get("destination_wide") or []}
    for number in expect.get("absent") or []:
        assert number not in shown, f"{number} must not appear"
    if "headline" in expect:
        _check_headline(answer, expect["headline"])
    if "headline_not" in expect:
        for key, value in expect["headline_not"].items():
            assert (answer.get("headline") or {}).get(key) != value, answer.get("headline")
    if "changes" in expect:
        _check_changes(answer, expect["changes"])
