"""Run every benchmark and print one table.

    python benchmarks/run.py            # the full run (about 18 minutes on 2 cores)
    python benchmarks/run.py --quick    # a short run (about 5 minutes)

Each row: what was measured, its size, the median, 95th percentile and range over the runs,
the peak resident memory of a fresh process doing it (where it matters), the baseline
measured in the same run and the ratio to it, and the target with whether it is met.
Benchmarks measure; the tests check correctness and hold no timing assertion.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path

import _common  # noqa: F401 (sets the xlwings environment before anything imports xlwings)
import bench_calibration
import bench_excel
import bench_table
import bench_workbook
from _common import table

SUITES = (
    ("formulas.estimate_table", bench_table),
    ("roofline calibration", bench_calibration),
    ("Excel functions", bench_excel),
    ("workbooks", bench_workbook),
)


def machine() -> str:
    """nproc, CPU model, memory, and the versions that matter."""
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    cpu = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")),
        platform.processor(),
    )
    memory = next(
        (int(line.split()[1]) / 2**20 for line in meminfo if line.startswith("MemTotal")), 0.0
    )
    versions = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("numpy", "pandas", "openpyxl", "xlwings", "xlwings-server")
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {memory:.0f} GiB memory, Python "
        f"{platform.python_version()}, {versions}; load average before the run: {load}"
    )


def main() -> int:
    quick = "--quick" in sys.argv
    started = time.perf_counter()
    rows = []
    for name, suite in SUITES:
        print(f"running {name} benchmarks...", file=sys.stderr, flush=True)
        rows += suite.rows(quick)
    print(table(rows))
    print(f"\nMachine: {machine()}.")
    print(f"{'Quick' if quick else 'Full'} run: {time.perf_counter() - started:.0f} s.")
    missed = [r.what + " (" + r.size + ")" for r in rows if r.met is False]
    print("Targets missed: " + (", ".join(missed) if missed else "none") + ".")
    return 0


if __name__ == "__main__":
    sys.exit(main())
