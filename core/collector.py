"""The cyclic garbage collector, paused while a batch builds many small objects.

A portfolio's status or changes builds millions of short-lived dicts and lists, which
reference counting frees as they go. With the collector on, every few hundred
allocations start a collection, and each pass over the older generations walks every
object kept so far. At 100k announcements that was a quarter of a 5,000-lane status and
a third of its verdict changes (``bench/portfolio_bench.py``). These structures hold no
cycles, so pausing loses no memory. Pauses nest and are shared by threads; the collector
is switched back on when the outermost ends, if it was on before.

What the block built and still holds (a portfolio's answers, its rows) is then handed to
the oldest generation at once (``gc.freeze`` then ``gc.unfreeze``: two list moves). Left
in the youngest, the first allocation after the pause would start a collection walking
every one of those objects: a tenth of a second at 100k, paid by the caller. In the
oldest they are walked only by a full collection, as any survivor of two would be, and
freed by reference counting as before. A process that froze objects itself (``gc.freeze``
before forking workers) keeps them frozen: the hand-off is then left out.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_state = {"depth": 0, "was_enabled": False}


@contextmanager
def paused() -> Iterator[None]:
    """Run the block with the cyclic collector off (reference counting still frees)."""
    with _lock:
        if _state["depth"] == 0:
            _state["was_enabled"] = gc.isenabled()
            gc.disable()
        _state["depth"] += 1
    try:
        yield
    finally:
        with _lock:
            _state["depth"] -= 1
            if _state["depth"] == 0 and _state["was_enabled"]:
                if not gc.get_freeze_count():  # the caller's frozen objects stay frozen
                    gc.freeze()  # the survivors to the oldest generation (see above)
                    gc.unfreeze()
                gc.enable()
