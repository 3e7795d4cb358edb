"""Every extracted value can be checked against the page in one step (#15 item 4).

``regwatch show ID --json`` carries each value's spans into the stored text; the web
announcement page marks them in the page text (server-side ``<mark id>`` anchors, no
script) and links each value to its mark. The CLI is run in-process on the mirror's
crawled history; the page is opened in a real headless Chromium against
``regwatch serve`` on 127.0.0.1.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import serve_web

from regwatch.cli import cli
from web.announcement import evidence

ZH_DIGITS = "〇一二三四五六七八九"


def _show(db: str, ident: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["show", ident, "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _ascii_digits(text: str) -> str:
    return "".join(str(ZH_DIGITS.index(c)) if c in ZH_DIGITS else c for c in text)


def test_show_json_spans_slice_the_stored_text_to_each_value(mirror_history):
    listing = CliRunner().invoke(cli, ["documents", "--db", mirror_history, "--json"])
    numbered = [d for d in json.loads(listing.output) if d.get("number")]
    assert len(numbered) >= 15
    checked: dict[str, int] = {}
    for row in numbered:
        doc = _show(mirror_history, str(row["id"]))
        assert doc["spans_into"] == "text", row
        text = doc["text"]
        extraction = doc["extraction"]
        for field, spans in doc["spans"].items():
            for span in spans:
                piece = text[span["start"]:span["end"]]
                assert piece.strip(), (row["id"], field, span)
                value = str(span["value"])
                if field == "hs_codes":
                    assert re.sub(r"\D", "", piece) == value
                elif field == "control_codes":
                    assert piece.upper().startswith(value[:5])
                elif field in ("number", "references"):
                    assert value.rsplit("-", 1)[1] in re.findall(r"\d+", _ascii_digits(piece)) \
                        or field == "references"  # a range "第55号至58号" names 56 inside it
                elif field == "issue_date":
                    digits = re.findall(r"\d+", _ascii_digits(piece))
                    compact = value.replace("-", "") in digits  # 【发文日期】20251009
                    assert int(value[8:]) in map(int, digits) or compact or not digits, \
                        (piece, value)
                elif field == "title":
                    assert " ".join(piece.split()) == " ".join(value.split())
                checked[field] = checked.get(field, 0) + 1
        # every value the extraction reports has a span
        for field in ("issue_date", "number"):
            if extraction.get(field):
                assert any(s["value"] == extraction[field] for s in doc["spans"].get(field, [])), \
                    (row["id"], field)
        for code in extraction.get("hs_codes") or []:
            on_page = [s for s in doc["spans"].get("hs_codes", []) if s["value"] == code]
            from_attachment = any(code in (i.get("hs_codes") or []) and
                                  str(i.get("source", "")).startswith("attachment")
                                  for i in extraction.get("items") or [])
            assert on_page or from_attachment, (row["id"], code)
    assert checked.get("hs_codes", 0) > 20 and checked.get("number", 0) >= 15
    assert checked.get("issue_date", 0) >= 15 and checked.get("materials", 0) > 10


def test_show_text_lists_each_value_with_its_evidence(mirror_history):
    result = CliRunner().invoke(cli, ["show", "MOFCOM-2025-18", "--db", mirror_history])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "←" in line]
    assert any("2805301910" in line and "[" in line for line in lines), lines[:5]


def test_evidence_marks_are_escaped_balanced_and_lossless():
    text = "商务部公告2025年第9号<script>x()</script> 自2025年1月2日起实施"
    start = text.index("2025年1月2日")
    extraction = {"text": text, "spans": {
        "number": [{"value": "MOFCOM-2025-9", "start": 0, "end": 13}],
        "issuers": [{"value": "MOFCOM", "start": 0, "end": 3}],
        "issue_date": [{"value": "2025-01-02", "start": start, "end": start + 9}],
        # crosses the end of the date span: split, only its first part has the id
        "effective_dates": [{"value": "2025-01-02", "start": start + 2, "end": start + 11}],
        "hs_codes": [{"value": "x", "start": 5, "end": 999}],  # out of the text: dropped
    }}
    out = evidence(extraction)
    html = str(out["html"])
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.count("<mark") == html.count("</mark>")
    assert html.count('id="ev-effective_dates-0"') == 1 and html.count('data-ev="ev-effective_dates-0"') == 2
    plain = re.sub(r"<[^>]+>", "", html).replace("&lt;", "<").replace("&gt;", ">")
    assert plain == text
    assert out["links"] == {"number": {"MOFCOM-2025-9": "ev-number-0"},
                            "issuers": {"MOFCOM": "ev-issuers-0"},
                            "issue_date": {"2025-01-02": "ev-issue_date-0"},
                            "effective_dates": {"2025-01-02": "ev-effective_dates-0"}}
    marked = re.search(r'<mark[^>]*id="ev-issuers-0"[^>]*>(.*?)</mark>', html)
    assert marked and marked.group(1) == "商务部"


# -- in the browser ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def served(catalogue: dict[str, Any]) -> Iterator[str]:
    with serve_web(catalogue["path"]) as url:
        yield url


def test_clicking_a_value_highlights_its_span_in_the_page_text(served, chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(served + "/announcement/MOFCOM-2025-18")
        link = page.locator("#fact-hs_codes a.ev-link", has_text="2805301910")
        assert link.count() == 1
        link.click()
        anchor = link.get_attribute("href")[1:]
        assert page.url.endswith("#" + anchor)
        target = page.locator(":target")
        assert target.count() == 1 and target.get_attribute("id") == anchor
        assert re.sub(r"\D", "", target.inner_text()) == "2805301910"
        assert target.evaluate("e => e.tagName") == "MARK"
        assert target.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 179, 71)"
        box, height = target.bounding_box(), page.viewport_size["height"]
        assert box and 0 <= box["y"] < height  # scrolled into view
        # the issue date: its mark holds the date as printed on the page
        page.locator("#fact-issue_date a.ev-link").click()
        assert re.search(r"2025\D+0?4\D+0?4", page.locator(":target").inner_text())
        # an unmarked value is not a link, and the other marks are shown but not outlined
        others = page.locator("mark.ev:not(:target)")
        assert others.count() > 10
        assert others.first.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 244, 194)"
    finally:
        context.close()
