"""Both cores on one pure-Python job: part of it in a forked child process.

Python runs one thread's bytecode at a time, so reading 5,000 lanes' answers as rows uses
one core of two however it is threaded. A forked child holds the parent's memory as it
stands (nothing copied until written), works on its part of the list while the parent
works on the rest, and sends its results back pickled through a pipe. What both parts
need, the parent may make first and send to the child, which starts on its own part
meanwhile and takes it when it needs it (``share``, :func:`shared`: a portfolio's
materials, which any lane may ask).

A child that cannot be forked, or fails, costs only time: the parent then works on that
part itself, so the results are the same either way. Forking is safe only where no other
thread runs (one may hold a lock the child would wait on for ever: a web server's
workers, SQLite's own mutex), so a process with threads works on the whole list itself;
and the child must not use its parent's SQLite connections: ``work`` is told it runs in
the child, and opens its own there.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import threading
import traceback
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger("regwatch.halves")


def can_fork() -> bool:
    """Whether this process may fork a worker: the platform forks and no other thread runs."""
    return hasattr(os, "fork") and threading.active_count() == 1 and "child" not in _inbox


ALONE, PARENT, CHILD = "alone", "parent", "child"  # where a call of ``work`` runs
# in a child: that it is one, and the pipe ``share`` comes through, then its value
_inbox: dict[str, Any] = {}


def halves(items: Sequence[T], work: Callable[[Sequence[T], str], list[R]],
           least: int = 2, share: Callable[[], Any] | None = None,
           part: float = 0.5) -> list[R]:
    """``work(items, ALONE)``, computed as ``work(first part, PARENT) + work(the rest,
    CHILD)`` with the rest in a forked child at the same time, when there are at least
    ``least`` items and :func:`can_fork`. In the child, ``work`` opens anew what the
    parent holds open (a database connection); in either, it has one core, not two.

    ``share``: what both parts need and the parent makes first, while the child starts
    on its own (a portfolio's materials): sent to the child, where :func:`shared` returns
    it once made (None if the parent could not make it: the child then makes what it
    needs itself). ``part``: the child's part of the items (it does not make ``share``)."""
    if len(items) < max(least, 2) or not can_fork():
        return work(items, ALONE)
    cut = max(1, min(len(items) - 1, len(items) - round(len(items) * part)))
    first, second = items[:cut], items[cut:]
    results, outbox = os.pipe()  # child → parent: its results
    inbox, sending = os.pipe()  # parent → child: what ``share`` makes
    try:
        pid = os.fork()
    except OSError:
        for fd in (results, outbox, inbox, sending):
            os.close(fd)
        return work(items, ALONE)
    if pid == 0:  # the child: its part, pickled into the pipe, then out without cleaning up
        code = 1  # what belongs to the parent (its connections, its buffered output)
        try:
            os.close(results)
            os.close(sending)
            _inbox.update(fd=inbox, child=True)  # a child forks no further
            try:
                answer: Any = ("done", work(second, CHILD))
            except BaseException:  # noqa: BLE001 - the parent works on the part itself
                answer = ("failed", traceback.format_exc())
            with os.fdopen(outbox, "wb") as pipe:
                pipe.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
            code = 0
        finally:
            os._exit(code)
    os.close(outbox)
    os.close(inbox)
    data = b""
    sender = None
    reading = True  # the results pipe, until read
    try:
        made = share() if share is not None else None
        sender = threading.Thread(target=_send, args=(sending, made), daemon=True)
        sender.start()  # the child reads it when it needs it
        mine = work(first, PARENT)
        reading = False
        with os.fdopen(results, "rb") as pipe:
            data = pipe.read()
    except BaseException:
        os.kill(pid, signal.SIGKILL)  # the parent failed: the child's part is not wanted
        raise
    finally:
        if reading:
            os.close(results)
        if sender is None:
            os.close(sending)  # ``share`` failed: the child reads nothing, and goes on
        _, status = os.waitpid(pid, 0)
        if sender is not None:
            sender.join()
    theirs = _unpickled(data) if status == 0 else None
    if theirs is None:
        theirs = work(second, ALONE)
    return mine + theirs


def shared() -> Any:
    """In a child of :func:`halves`, what the parent's ``share`` made (waiting until it is
    sent); None elsewhere, or when the parent made nothing."""
    if "fd" in _inbox:
        with os.fdopen(_inbox.pop("fd"), "rb") as pipe:
            data = pipe.read()
        try:
            _inbox["value"] = pickle.loads(data) if data else None
        except Exception:  # noqa: BLE001 - a truncated pipe: the child makes it itself
            _inbox["value"] = None
    return _inbox.get("value")


def _send(fd: int, value: Any) -> None:
    """Write ``value`` pickled to the child (a pipe holds 64 KB: the child reads the rest
    when it needs it); a child that has gone needs none of it."""
    try:
        with os.fdopen(fd, "wb") as pipe:
            pipe.write(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    except (BrokenPipeError, OSError):
        pass


def _unpickled(data: bytes) -> list[Any] | None:
    """The child's results, or None (logged) when it failed or sent nothing whole."""
    try:
        kind, value = pickle.loads(data)
    except Exception:  # noqa: BLE001 - a truncated pipe: the parent works on the part
        log.warning("the forked part sent no whole answer; working on it here")
        return None
    if kind != "done":
        log.warning("the forked part failed; working on it here:\n%s", value)
        return None
    return value
