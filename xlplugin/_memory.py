"""Freed memory kept for reuse in a server worker: glibc's malloc thresholds.

A 10,000-row SCENARIOS call makes about 12 MB of arrays and answer and frees them. By
default glibc hands such blocks back to the kernel (a block of 128 kB or more is mapped on
its own, and the top of the heap is trimmed past 128 kB free), so the next call maps them
again and faults them in a page at a time: about 1,300 page faults a call, which on the
virtual machine the benchmarks ran on cost 3-4 ms of the call's 24 ms. Kept in the heap,
the same call takes about 21 ms and its trivial twin 6.8 instead of 7.3
(benchmarks/bench_excel.py, SCENARIOS over HTTP). The heap keeps at most
``TRIM_THRESHOLD`` free at its top; what the worker holds is reused, not grown.

``mallopt`` is the C library's public interface for this; a threshold the user set in
the environment (``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_``, read by glibc at
start) is left as set. Other C libraries (musl, macOS, Windows) are left alone.
"""

from __future__ import annotations

import ctypes
import os
import sys

__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "keep_freed_memory"]

# The largest block glibc's own dynamic threshold would serve from the heap on 64 bits
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 64 << 20  # free memory the heap's top may keep instead of trimming

_M_TRIM_THRESHOLD = -1  # glibc's malloc.h
_M_MMAP_THRESHOLD = -3


def keep_freed_memory(environ: dict | None = None) -> bool:
    """Set glibc's mmap and trim thresholds unless ``environ`` sets them; True if set."""
    environ = os.environ if environ is None else environ
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 (raises AttributeError on other C libraries)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    done = True
    for variable, option, value in (
        ("MALLOC_MMAP_THRESHOLD_", _M_MMAP_THRESHOLD, MMAP_THRESHOLD),
        ("MALLOC_TRIM_THRESHOLD_", _M_TRIM_THRESHOLD, TRIM_THRESHOLD),
    ):
        if variable not in environ:
            done = mallopt(option, value) == 1 and done
    return done
