"""What every benchmark shares: timing, memory in a fresh process, and the result rows.

Timings are wall-clock (``time.perf_counter``) over repeated runs after a warm-up; a row
reports the median, the 95th percentile and the range. Peak memory is measured in a child
process (its own high-water mark, VmHWM, minus the same process's peak before the measured
call), so one benchmark's allocations do not hide another's.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # benchmarks: noncommercial use
os.environ.setdefault("XLWINGS_ON_SERVER", "true")  # before xlwings is imported anywhere


@dataclass
class Timing:
    """Seconds per run: every run, sorted."""

    runs: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def p95(self) -> float:
        return self.runs[min(len(self.runs) - 1, round(0.95 * (len(self.runs) - 1)))]

    @property
    def low(self) -> float:
        return self.runs[0]

    @property
    def high(self) -> float:
        return self.runs[-1]


def timed(
    function: Callable[[], object], repeat: int, warmup: int = 1, budget: float | None = None
) -> Timing:
    """Run ``function`` ``warmup`` times, then ``repeat`` times (or until ``budget`` seconds
    have passed, at least 3 runs), and return the timings."""
    for _ in range(warmup):
        function()
    runs: list[float] = []
    started = time.perf_counter()
    while len(runs) < repeat:
        start = time.perf_counter()
        function()
        runs.append(time.perf_counter() - start)
        if budget is not None and len(runs) >= 3 and time.perf_counter() - started > budget:
            break
    return Timing(sorted(runs))


@dataclass
class Row:
    """One line of the table: a measurement, its baseline ratio and its target."""

    what: str
    size: str
    timing: Timing | None = None
    unit: str = "ms"  # how median/p95/range are shown: "us", "ms" or "s"
    peak_mb: float | None = None
    baseline: str = ""
    ratio: float | None = None
    ratio_text: str = ""  # overrides the ratio's format, e.g. "+4 %"
    extra: str = ""  # throughput, size on disk, extrapolation...
    target: str = ""
    met: bool | None = None
    notes: list[str] = field(default_factory=list)


_SCALE = {"us": 1e6, "ms": 1e3, "s": 1.0}


def show(value: float, unit: str) -> str:
    scaled = value * _SCALE[unit]
    if scaled >= 100:
        return f"{scaled:,.0f}"
    return f"{scaled:.3g}" if scaled < 10 else f"{scaled:.1f}"


def table(rows: list[Row]) -> str:
    """The rows as a Markdown table."""
    head = [
        "what",
        "size",
        "median",
        "p95",
        "min–max",
        "runs",
        "peak MB",
        "baseline",
        "ratio",
        "also",
        "target",
        "met",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        t = r.timing
        cells = [
            r.what,
            r.size,
            f"{show(t.median, r.unit)} {r.unit}" if t else "",
            f"{show(t.p95, r.unit)} {r.unit}" if t else "",
            f"{show(t.low, r.unit)}–{show(t.high, r.unit)} {r.unit}" if t else "",
            str(len(t.runs)) if t else "",
            f"{r.peak_mb:,.0f}" if r.peak_mb is not None else "",
            r.baseline,
            r.ratio_text or (f"{r.ratio:,.3g}×" if r.ratio is not None else ""),
            r.extra,
            r.target,
            {True: "yes", False: "**NO**", None: ""}[r.met],
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def in_child(code: str, timeout: float = 600) -> dict:
    """Run ``code`` in a fresh Python; it prints one JSON object as its last line."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=os.environ.copy(),
    )
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# Prepended to child code: the child's own peak resident memory so far, in MB. VmHWM, which
# exec starts afresh: Linux carries ru_maxrss over from the parent (after fork), so a child
# of a process that once held 1 GB would report 1 GB whatever it used itself.
PEAK = (
    "import re\n"
    "def peak_mb():\n"
    "    with open('/proc/self/status') as status:\n"
    "        return int(re.search(r'VmHWM:\\s+(\\d+) kB', status.read())[1]) / 1024\n"
)
