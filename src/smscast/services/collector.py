"""Keeping Python's cyclic garbage collector out of the way of bulk work.

A campaign or an import allocates millions of short-lived containers (rows, tuples, lists),
all freed by reference counting; meanwhile the cyclic collector keeps walking every live
object of the process (the web stack, the ORM, phone-number metadata) again and again:
measured at 20-35% of the time of a million-row campaign or import. While bulk work runs,
what existed before it is frozen out of the collector's sight and collections run less
often. The collector is process-wide, so overlapping bulk tasks share one pause: the first
in starts it, the last out ends it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_GENERATION0 = 50_000


class _Pause:
    def __init__(self) -> None:
        self.holders = 0
        self.thresholds = gc.get_threshold()


_pause = _Pause()


@contextmanager
def bulk_allocations(enabled: bool = True) -> Iterator[None]:
    """``enabled=False``: small work, no pause. (A pause is not free: while any holder is in,
    garbage cycles made by everything else in the process are frozen out of reach too; an
    API answering many small campaigns at once was measured growing ~8 MB a minute.)"""
    if not enabled:
        yield
        return
    if _pause.holders == 0:
        _pause.thresholds = gc.get_threshold()
        gc.freeze()
        gc.set_threshold(max(_pause.thresholds[0], _GENERATION0), *_pause.thresholds[1:])
    _pause.holders += 1
    try:
        yield
    finally:
        _pause.holders -= 1
        if _pause.holders == 0:
            gc.set_threshold(*_pause.thresholds)
            gc.unfreeze()
