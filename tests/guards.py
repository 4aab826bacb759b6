"""A guard that makes a test fail, instead of hang, when a hostile input is not refused."""

import contextlib
import signal

__all__ = ["no_hang"]


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
