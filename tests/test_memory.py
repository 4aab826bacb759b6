"""A server worker keeps freed memory for its next call instead of faulting it in again."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

from xlplugin import _memory

# Many arrays of 80 kB live at once, then freed, as a 10,000-row SCENARIOS call makes them:
# the page faults of the calls after the first.
_CALLS = """
import resource, sys
import numpy as np
from xlplugin._memory import keep_freed_memory

if sys.argv[1] == "keep":
    assert keep_freed_memory({})

def call():
    arrays = [np.ones(10_000) for _ in range(100)]  # 8 MB, written
    return sum(float(a[-1]) for a in arrays)

call()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):
    call()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""

glibc = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc: Linux only")


def _faults(mode: str, env: dict | None = None) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _CALLS, mode], capture_output=True, text=True, env=env, check=True
    )
    return int(done.stdout)


@glibc
def test_freed_memory_is_reused_not_faulted_in_again():
    default, kept = _faults("default"), _faults("keep")
    assert default > 5 * 1000  # 8 MB a call: ~2,000 pages handed back and faulted in again
    assert kept < 200


@glibc
def test_a_threshold_set_in_the_environment_is_left_as_set(monkeypatch):
    calls = []

    def mallopt(option, value):  # records what the C function would be given
        calls.append((option, value))
        return 1

    libc = types.SimpleNamespace(gnu_get_libc_version=lambda: b"2.36", mallopt=mallopt)
    monkeypatch.setattr(_memory.ctypes, "CDLL", lambda name: libc)
    assert _memory.keep_freed_memory({"MALLOC_TRIM_THRESHOLD_": "131072"})
    assert calls == [(_memory._M_MMAP_THRESHOLD, _memory.MMAP_THRESHOLD)]


def test_other_c_libraries_are_left_alone(monkeypatch):
    def missing(name):
        raise OSError("no C library here")

    monkeypatch.setattr(_memory.ctypes, "CDLL", missing)
    monkeypatch.setattr(_memory.sys, "platform", "linux")
    assert _memory.keep_freed_memory({}) is False
    monkeypatch.setattr(_memory.sys, "platform", "darwin")
    assert _memory.keep_freed_memory({}) is False
