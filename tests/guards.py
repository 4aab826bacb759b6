"""Guards the tests share: LibreOffice's presence, and failing instead of hanging."""

import contextlib
import os
import signal

import pytest

from xlplugin.libreoffice import find_soffice

__all__ = ["needs_soffice", "no_hang"]

# Tests that recalculate or render with LibreOffice: skipped only outside CI.
needs_soffice = pytest.mark.skipif(
    find_soffice() is None and os.environ.get("CI") != "true",
    reason="LibreOffice (soffice) is not installed; CI must have it",
)


@contextlib.contextmanager
def no_hang(seconds: float):
    """Fail a block that runs ``seconds`` (far beyond its usual time) instead of hanging.

    A guard against a reader walking a billion cells or expanding a billion entities, not
    a speed check: speed is measured in benchmarks/.
    """

    def stop(signum, frame):
        raise TimeoutError(f"still running after {seconds} s: it would hang")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
