"""Every listing command fits an 80-column terminal, in words, not enums or JSON (#18).

Each command runs as a real ``regwatch`` process whose stdout is a pseudo-terminal 80
columns wide (TIOCSWINSZ), so rich measures the width as it would in a user's terminal;
lines are measured in terminal cells (a Han character is two) after colour codes are
removed. The catalogue is the session's crawl of the mirror's two days (conftest).
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from rich.cells import cell_len

ROOT = Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
COLUMNS = 80
RUN = "from regwatch.cli import cli; cli()"


def run_in_terminal(args: list[str], db: str, columns: int = COLUMNS) -> tuple[int, str]:
    """``regwatch ARGS`` with stdout and stderr on a pty of ``columns``; (status, text)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    env["REGWATCH_DB"] = db
    process = subprocess.Popen([sys.executable, "-c", RUN, *args], cwd=ROOT, stdout=slave,
                               stderr=slave, stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    status = process.wait(timeout=120)
    text = ANSI.sub("", b"".join(chunks).decode("utf-8")).replace("\r\n", "\n")
    return status, text


LISTINGS = [
    ["status"],  # health of the sources
    ["status", "gallium"],
    ["status", "rare earths", "--destination", "US"],
    ["status", "MOFCOM-2025-61", "--on", "2025-11-15"],
    ["changes", "--since", "2025-01-01"],
    ["changes", "--since", "2025-01-01", "--subject", "all"],
    ["timeline", "MOFCOM-2025-61"],
    ["timeline", "MOFCOM-2024-46"],
    ["search", "gallium"],
    ["search", "稀土"],
    ["show", "MOFCOM-2025-72"],
    ["history", "MOFCOM-2025-61"],
    ["documents"],
    ["runs"],
    ["errors"],
    ["translations"],
    ["events"],
    ["alerts"],
    ["subscriptions"],
    ["entities"],
]


@pytest.fixture(scope="module")
def outputs(mirror_history) -> dict[str, tuple[int, str]]:
    return {" ".join(args): run_in_terminal(args, mirror_history) for args in LISTINGS}


@pytest.mark.parametrize("command", [" ".join(a) for a in LISTINGS])
def test_listing_fits_80_columns(outputs, command):
    status, text = outputs[command]
    assert status in (0, 1, 3), text  # 1: health with no service running; 3: nothing found
    assert "Traceback" not in text, text
    assert text.strip(), command
    wide = [(cell_len(line), line) for line in text.split("\n") if cell_len(line) > COLUMNS]
    assert not wide, f"{command}: lines over {COLUMNS} columns: {wide[:3]}"


def test_text_output_speaks_words_not_enums_or_json(outputs):
    for command, (_, text) in outputs.items():
        assert not re.search(r"\b(in_force|in_force_again|not_in_catalogue)\b", text), command
        assert '["' not in text and '{"' not in text, command
    assert "in force" in outputs["status gallium"][1]
    assert "suspended" in outputs["timeline MOFCOM-2025-61"][1]


def test_search_snippets_come_from_the_text(outputs):
    text = outputs["search gallium"][1]
    assert "[镓]" in text  # gallium found in a Chinese page shows the Chinese word in its text
    assert " ; " not in text and "; MOFCOM ;" not in text


def test_show_history_timeline_take_the_announcement_id_or_the_document_id(mirror_history):
    from store.catalogue import open_readonly

    db = open_readonly(mirror_history)
    doc_id = db.execute("select d.id from documents d join sources s on s.id = d.source "
                        "where d.number = 'MOFCOM-2025-61' and s.lang = 'zh'").fetchone()[0]
    by_number = run_in_terminal(["show", "MOFCOM-2025-61", "--wide"], mirror_history)
    by_id = run_in_terminal(["show", str(doc_id), "--wide"], mirror_history)
    assert by_number[0] == by_id[0] == 0
    assert by_number[1] == by_id[1] and "MOFCOM-2025-61" in by_id[1]
    history = run_in_terminal(["history", "商务部公告2025年第61号"], mirror_history)
    assert history[0] == 0 and "version 2" in history[1], history[1]
    life = run_in_terminal(["timeline", str(doc_id)], mirror_history)
    assert life[0] == 0 and life[1].startswith("MOFCOM-2025-61"), life[1]
    missing = run_in_terminal(["show", "MOFCOM-1999-1"], mirror_history)
    assert missing[0] == 1 and "no document with the announcement ID MOFCOM-1999-1" in missing[1]


def test_wide_prints_whole_values(mirror_history):
    status, fitted = run_in_terminal(["changes", "--since", "2025-01-01"], mirror_history)
    status_wide, wide = run_in_terminal(["changes", "--since", "2025-01-01", "--wide"],
                                        mirror_history)
    assert status == status_wide == 0
    assert max(cell_len(line) for line in wide.split("\n")) > COLUMNS
    assert "…" in fitted
    # every column is there at full width: the cause of a suspension is printed whole
    assert "cause" in wide.split("\n")[1] and "MOFCOM-2025-70" in wide
