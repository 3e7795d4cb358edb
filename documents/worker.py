"""The parse process: a worker that reads one attachment at a time, killed on a deadline.

A parser stuck in a pathological PDF cannot be interrupted from inside Python, so
parsing happens in a separate process that the caller can kill. A fresh interpreter
per file costs ~0.5 s of imports, and multiprocessing's fork and forkserver modes either
copy the caller's threads and locks or re-import the caller's ``__main__`` per child. So one
long-lived worker is started with ``python -m``, preloads the parsers once and serves
files in turn. It is killed and replaced when it misses a deadline, dies, or runs out
of memory, and it is recycled every :data:`RECYCLE_AFTER` files so that heap growth
cannot wear down its memory cap.

Protocol on the worker's stdin/stdout: each message is an 8-byte big-endian length plus
a JSON header, followed, for requests, by the raw file bytes. JSON rather than pickle,
so a compromised worker cannot send objects that run code in the caller.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import select
import struct
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from typing import IO, TYPE_CHECKING, Any

from core.settings import child_env

if TYPE_CHECKING:
    from documents.attachments import Limits

log = logging.getLogger(__name__)

RECYCLE_AFTER = 200  # files served before a worker is replaced
_LEN = struct.Struct(">Q")


class WorkerGone(Exception):
    """The worker died or stopped answering mid-message."""


# --- caller side -----------------------------------------------------------------------------


class Worker:
    """One worker process, started on first use and restarted as needed."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.pid_owner = 0  # the caller process that started it (a fork must not share it)
        self.served = 0
        self.lock = threading.Lock()

    def run(self, data: bytes, family: str, kind: str, limits: Limits) -> tuple[dict, dict]:
        """Parse ``data`` in the worker; returns (payload, stats). Serialised by a lock.

        :raises OSError: if no worker can be started at all
        """
        with self.lock:
            header = {"family": family, "kind": kind, "limits": asdict(limits), "size": len(data)}
            for attempt in (1, 2):  # a worker that died between files is replaced once
                proc = self._ensure()
                try:
                    _write(proc.stdin, header, data)
                    break
                except OSError:
                    self.stop()
                    if attempt == 2:
                        raise
            started = time.perf_counter()
            try:
                payload = _read(proc.stdout, deadline=started + limits.timeout_seconds)
            except TimeoutError:
                self.stop()
                detail = f"no result after {limits.timeout_seconds:g} s; killed"
                payload = {"kind": kind, "flag": ["timeout", detail]}
            except WorkerGone:
                code = self.stop()
                detail = f"the parser process died (exit code {code})"
                payload = {"kind": kind, "flag": ["corrupt", detail]}
            self.served += 1
            if payload.pop("retire", False) or self.served >= RECYCLE_AFTER:
                self.stop()
            stats = {"isolated": True, "wall_seconds": time.perf_counter() - started,
                     **payload.pop("stats", {})}
            return payload, stats

    def warm(self) -> float:
        """Start the worker now; returns the seconds its start-up took (0 if running)."""
        started = time.perf_counter()
        with self.lock:
            running = self._running()
            self._ensure()
        return 0.0 if running else time.perf_counter() - started

    def _running(self) -> bool:
        return (self.proc is not None and self.pid_owner == os.getpid()
                and self.proc.poll() is None)

    def _ensure(self, startup_timeout: float = 60) -> subprocess.Popen[bytes]:
        """The running worker, or a new one that has finished its imports.

        Waiting for a ping answer keeps the import time out of the first file's time cap.
        """
        if self._running():
            return self.proc  # type: ignore[return-value]
        if self.pid_owner != os.getpid():
            self.proc = None  # inherited across a fork: leave the parent's worker alone
        else:
            self.stop()
        env = child_env(PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "documents.worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, close_fds=True,
        )
        self.pid_owner = os.getpid()
        self.served = 0
        try:
            _write(self.proc.stdin, {"ping": True})
            _read(self.proc.stdout, deadline=time.perf_counter() + startup_timeout)
        except (OSError, TimeoutError, WorkerGone, ValueError) as exc:
            code = self.stop()
            raise OSError(f"attachment worker did not start (exit code {code})") from exc
        return self.proc

    def stop(self) -> int | None:
        """Kill the worker (if any) and reap it; returns its exit code."""
        proc, self.proc = self.proc, None
        if proc is None or self.pid_owner != os.getpid():
            return None
        if proc.poll() is None:
            proc.kill()
        for stream in (proc.stdin, proc.stdout):
            try:
                if stream:
                    stream.close()
            except OSError:
                pass
        return proc.wait()


WORKER = Worker()
atexit.register(WORKER.stop)


def _write(stream: IO[bytes] | None, header: dict[str, Any], body: bytes = b"") -> None:
    if stream is None:
        raise BrokenPipeError("no pipe to the worker")
    raw = json.dumps(header, ensure_ascii=False).encode()
    stream.write(_LEN.pack(len(raw)) + raw)
    if body:
        stream.write(body)
    stream.flush()


def _read(stream: IO[bytes] | None, deadline: float | None = None) -> dict[str, Any]:
    if stream is None:
        raise WorkerGone
    size = _LEN.unpack(_read_exact(stream, _LEN.size, deadline))[0]
    return json.loads(_read_exact(stream, size, deadline))


def _read_exact(stream: IO[bytes], size: int, deadline: float | None) -> bytes:
    fd = stream.fileno()
    chunks, left = [], size
    while left:
        if deadline is not None:
            remaining = deadline - time.perf_counter()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise WorkerGone
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


# --- worker side -------------------------------------------------------------------------------


def _status_kb(name: str) -> int:
    """A ``/proc/self/status`` figure in KiB (0 where there is no /proc)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(name + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cap_memory(base_bytes: int, allowance: int) -> None:
    """Cap the address space at the worker's size after imports plus ``allowance``."""
    try:
        import resource

        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = base_bytes + allowance
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):
        pass  # no rlimits here: the deadline still bounds the worker


def _reset_peak() -> None:
    """Reset VmHWM so each file's peak is its own (Linux ``clear_refs`` 5)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def main() -> None:
    """Serve parse requests until stdin closes."""
    from documents.attachments import Limits
    from documents.formats import OUT_OF_MEMORY, parse

    logging.basicConfig(level=logging.ERROR)  # pdfminer warns about every odd PDF
    requests = os.fdopen(os.dup(0), "rb", buffering=0)
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a library that prints must not corrupt the protocol
    base = _status_kb("VmSize") * 1024
    while True:
        try:
            header = _read(requests)
        except (WorkerGone, struct.error, ValueError):
            return
        if header.get("ping"):
            _write(replies, {"pong": True})
            continue
        data = _read_exact(requests, header["size"], None)
        limits = Limits(**header["limits"])
        if base:
            _cap_memory(base, limits.max_memory_bytes)
        _reset_peak()
        rss_start = _status_kb("VmRSS")
        started = time.perf_counter()
        payload = parse(data, header["family"], header["kind"], limits)
        payload["stats"] = {"seconds": time.perf_counter() - started, "rss_start_kb": rss_start,
                            "rss_peak_kb": _status_kb("VmHWM")}
        del data
        flag = payload.get("flag")
        payload["retire"] = bool(flag and flag[1] == OUT_OF_MEMORY)  # the heap may be fragmented
        try:
            _write(replies, payload)
        except MemoryError:
            _write(replies, {"kind": payload["kind"], "flag": ["too-large", OUT_OF_MEMORY],
                             "retire": True})


if __name__ == "__main__":
    main()
