"""A job's second half in a forked child (core/halves.py): the same results in the same
order either way, the child's half worked on here when it fails, and no fork where
another thread runs. Each forking case runs in a fresh interpreter: a test session may
hold threads of its own (servers), and a process with threads does not fork."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from core import halves

ROOT = Path(__file__).resolve().parent.parent


def _run(script: str) -> dict:
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


WORK = """
import json, os, sys
sys.path.insert(0, ".")
from core import halves
calls = []
def work(items, where):
    calls.append((len(items), where))
    if where == halves.CHILD and FAIL:
        raise RuntimeError("the child breaks")
    return [(x * x, where, os.getpid()) for x in items]
"""


def _eleven(fail: bool) -> dict:
    """Eleven squares worked on in two processes (the child failing or not)."""
    found = _run(WORK + f"""
FAIL = {fail}
out = halves.halves(list(range(11)), work)
print(json.dumps({{"out": out, "calls": calls, "pid": os.getpid()}}))
""")
    assert [x for x, _, _ in found["out"]] == [n * n for n in range(11)]
    return found


def test_the_second_half_is_worked_on_in_a_child_process() -> None:
    found = _eleven(fail=False)
    assert {(where, pid == found["pid"]) for _, where, pid in found["out"][:5]} == {
        ("parent", True)}
    assert {(where, pid == found["pid"]) for _, where, pid in found["out"][5:]} == {
        ("child", False)}
    assert found["calls"] == [[5, "parent"]]  # the child's call is in the child


def test_a_failing_child_costs_only_time() -> None:
    found = _eleven(fail=True)
    assert found["calls"] == [[5, "parent"], [6, "alone"]]
    assert {pid for _, _, pid in found["out"]} == {found["pid"]}


SHARE = WORK.replace("FAIL", "False") + """
made = []
def share():
    made.append(os.getpid())
    if BREAK:
        raise RuntimeError("the parent cannot make it")
    return {"made in": os.getpid()}
def work_shared(items, where):
    got = halves.shared() if where == halves.CHILD else None
    return [(x, where, got) for x in items]
"""


def test_what_the_parent_shares_reaches_the_child() -> None:
    """``share`` runs once, in the parent, while the child works; the child reads it
    when it needs it (``shared``), and ``part`` is the child's part of the items."""
    found = _run(SHARE + """
BREAK = False
out = halves.halves(list(range(10)), work_shared, share=share, part=0.7)
print(json.dumps({"out": out, "made": made, "pid": os.getpid()}))
""")
    assert found["made"] == [found["pid"]]
    assert [(x, where) for x, where, _ in found["out"]] == [
        *((n, "parent") for n in range(3)), *((n, "child") for n in range(3, 10))]
    assert {str(got) for _, where, got in found["out"] if where == "child"} == {
        str({"made in": found["pid"]})}


def test_a_share_the_parent_cannot_make_fails_the_parent_not_the_child_s_part() -> None:
    found = _run(SHARE + """
BREAK = True
try:
    halves.halves(list(range(10)), work_shared, share=share)
    print(json.dumps({"raised": False}))
except RuntimeError as error:
    print(json.dumps({"raised": str(error)}))
""")
    assert found == {"raised": "the parent cannot make it"}


def test_small_jobs_and_threaded_processes_work_alone() -> None:
    seen: list[tuple[int, str]] = []

    def work(items: list[int], where: str) -> list[int]:
        seen.append((len(items), where))
        return list(items)

    assert halves.halves([1, 2, 3], work, least=4) == [1, 2, 3]
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not halves.can_fork()
        assert halves.halves(list(range(10)), work) == list(range(10))
    finally:
        stop.set()
        other.join()
    assert seen == [(3, "alone"), (10, "alone")]
