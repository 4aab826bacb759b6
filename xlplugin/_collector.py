"""Pausing Python's cyclic garbage collector while many objects are made at once."""

from __future__ import annotations

import contextlib
import gc

__all__ = ["collector_paused"]


@contextlib.contextmanager
def collector_paused():
    """Pause the cyclic garbage collector, and restore it as it was.

    Each few hundred new lists or dicts set it off, and now and then it walks every object
    in the process: making a workbook of hundreds of thousands of cells, or a SCENARIOS
    answer of 10,000 rows, would pay for that walk again and again. Nothing those make
    needs the collector while they are made; it runs again on the next allocations.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
