"""``regwatch status --offset``: a long answer read page by page, with its totals."""

from __future__ import annotations

import json

from click.testing import CliRunner


def _status(path: str, *args: str) -> tuple[int, str]:
    from regwatch.cli import cli

    result = CliRunner().invoke(cli, ["status", *args, "--db", path], catch_exceptions=False)
    return result.exit_code, result.output


def test_pages_follow_on_and_say_where_they_are(mirror_history: str) -> None:
    ask = ["rare earths", "--on", "2026-11-29"]
    code, whole = _status(mirror_history, *ask, "--limit", "6", "--json")
    assert code == 0
    whole = json.loads(whole)
    assert whole["total_items"] > 6, whole["total_items"]
    ids = [item["subject_id"] for item in whole["items"]]
    pages = []
    for offset in (0, 3):
        code, page = _status(mirror_history, *ask, "--limit", "3", "--offset", str(offset),
                             "--json")
        page = json.loads(page)
        assert page["total_items"] == whole["total_items"]
        assert page["items_more"] == whole["total_items"] - offset - 3
        pages += [item["subject_id"] for item in page["items"]]
    assert pages == ids
    code, text = _status(mirror_history, *ask, "--limit", "3", "--offset", "3")
    assert code == 0
    assert f"items 4–6 of {whole['total_items']}" in text
    assert "--offset 6" in text


def test_a_negative_offset_is_a_usage_error(mirror_history: str) -> None:
    code, output = _status(mirror_history, "gallium", "--offset", "-1")
    assert code == 2
    assert "offset" in output
