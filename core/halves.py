"""Both cores on one pure-Python job: its second half in a forked child process.

Python runs one thread's bytecode at a time, so reading 5,000 lanes' answers as rows uses
one core of two however it is threaded. A child forked once the shared reads are done
holds the parent's memory as it stands (the answers read so far, nothing copied until
written), works on the second half of the list while the parent works on the first,
and sends its results back pickled through a pipe.

A child that cannot be forked, or fails, costs only time: the parent then works on that
half itself, so the results are the same either way. Forking is safe only where no other
thread runs (one may hold a lock the child would wait on for ever: a web server's
workers, SQLite's own mutex), so a process with threads works on the whole list itself;
and the child must not use its parent's SQLite connections: ``work`` is told it runs in
the child, and opens its own there.
"""

from __future__ import annotations

import logging
import os
import pickle
import threading
import traceback
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger("regwatch.halves")


def can_fork() -> bool:
    """Whether this process may fork a worker: the platform forks and no other thread runs."""
    return hasattr(os, "fork") and threading.active_count() == 1


ALONE, PARENT, CHILD = "alone", "parent", "child"  # where a call of ``work`` runs


def halves(items: Sequence[T], work: Callable[[Sequence[T], str], list[R]],
           least: int = 2) -> list[R]:
    """``work(items, ALONE)``, computed as ``work(first half, PARENT) + work(second half,
    CHILD)`` with the second half in a forked child at the same time, when there are at
    least ``least`` items and :func:`can_fork`. In the child, ``work`` opens anew what
    the parent holds open (a database connection); in either, it has one core, not two."""
    if len(items) < max(least, 2) or not can_fork():
        return work(items, ALONE)
    half = len(items) // 2
    first, second = items[:half], items[half:]
    read, write = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        return work(items, ALONE)
    if pid == 0:  # the child: its half, pickled into the pipe, then out without cleaning up
        code = 1  # what belongs to the parent (its connections, its buffered output)
        try:
            os.close(read)
            try:
                answer: Any = ("done", work(second, CHILD))
            except BaseException:  # noqa: BLE001 - the parent works on the half itself
                answer = ("failed", traceback.format_exc())
            with os.fdopen(write, "wb") as pipe:
                pipe.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    data = b""
    try:
        mine = work(first, PARENT)
        with os.fdopen(read, "rb") as pipe:
            data = pipe.read()
    finally:
        _, status = os.waitpid(pid, 0)
    theirs = _unpickled(data) if status == 0 else None
    if theirs is None:
        theirs = work(second, ALONE)
    return mine + theirs


def _unpickled(data: bytes) -> list[Any] | None:
    """The child's results, or None (logged) when it failed or sent nothing whole."""
    try:
        kind, value = pickle.loads(data)
    except Exception:  # noqa: BLE001 - a truncated pipe: the parent works on the half
        log.warning("the forked half sent no whole answer; working on it here")
        return None
    if kind != "done":
        log.warning("the forked half failed; working on it here:\n%s", value)
        return None
    return value
