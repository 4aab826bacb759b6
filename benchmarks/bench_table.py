"""formulas.estimate_table on a million scenario rows, against the scalar path.

    python benchmarks/bench_table.py [--quick]

The rows are random but realistic: users, requests, parameters and utilization vary, the GPU
and the precision are catalogue names (text columns), the other inputs take their defaults.
The scalar path is formulas.estimate called once per row, timed on a sample of the same rows
and extrapolated per row; its results are checked against the table's.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np
import pandas as pd
from _common import PEAK, Row, Timing, in_child, table, timed
from kernel import KERNEL_OUTPUTS, kernel

from xlplugin import formulas

ROWS = 1_000_000
GPUS = ("A100", "H100", "H200", "L4", "MI300X")
PRECISIONS = ("FP16", "BF16", "FP8")


def scenario_frame(rows: int, seed: int = 0) -> pd.DataFrame:
    """``rows`` scenarios: numbers in float columns, GPU and precision as text."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "dau": rng.uniform(1e5, 1e9, rows).round(),
            "requests_per_user": rng.uniform(1, 50, rows).round(1),
            "params": rng.uniform(1e8, 3e10, rows).round(-6),
            "gpu": np.array(GPUS)[rng.integers(0, len(GPUS), rows)],
            "precision": np.array(PRECISIONS)[rng.integers(0, len(PRECISIONS), rows)],
            "utilization": rng.uniform(0.2, 1.0, rows).round(2),
            "peak_factor": rng.uniform(1, 3, rows).round(1),
        }
    )


def _scalar(frame: pd.DataFrame) -> list[float]:
    return [formulas.estimate(**row)["total_usd_per_month"] for row in frame.to_dict("records")]


_MEMORY = (
    PEAK
    + """
import json, sys, tracemalloc
sys.path.insert(0, "benchmarks")
from bench_table import scenario_frame
from xlplugin import formulas
frame = scenario_frame({rows})
formulas.estimate_table(frame.iloc[:1000])  # imports and caches, not the measured call
tracemalloc.start()
formulas.estimate_table(frame)
call = tracemalloc.get_traced_memory()[1] / 2**20
tracemalloc.stop()
print(json.dumps({{"call": call, "process": peak_mb()}}))
"""
)


def rows(quick: bool = False) -> list[Row]:
    out = []
    frame = scenario_frame(ROWS)
    table_time = timed(lambda: formulas.estimate_table(frame), 3 if quick else 10, warmup=2)
    memory = in_child(_MEMORY.format(rows=ROWS))
    sample = 2_000 if quick else 20_000
    part = frame.iloc[:sample]
    scalar_time = timed(lambda: _scalar(part), 1, warmup=0)
    per_row = scalar_time.median / sample
    expected = formulas.estimate_table(part)["total_usd_per_month"].to_numpy()
    assert np.allclose(_scalar(part.iloc[:200]), expected[:200], rtol=1e-12, atol=0)
    rate = ROWS / table_time.median
    ratio = per_row * ROWS / table_time.median
    out.append(
        Row(
            "estimate_table",
            f"{ROWS:,} rows",
            table_time,
            unit="ms",
            peak_mb=memory["call"],
            baseline=f"scalar estimate × {ROWS:,} (extrapolated)",
            ratio=ratio,
            extra=f"{rate / 1e6:.1f} M rows/s; peak MB: allocated by the call (tracemalloc); "
            f"whole process {memory['process']:,.0f} MB (VmHWM)",
            target="≥ 5 M rows/s, ≥ 100×, < 1 GB",
            met=rate >= 5e6 and ratio >= 100 and memory["call"] < 1024,
        )
    )
    coded = frame.astype({"gpu": "category", "precision": "category"})
    coded_time = timed(lambda: formulas.estimate_table(coded), 3 if quick else 10, warmup=2)
    out.append(
        Row(
            "estimate_table, names as Categorical",
            f"{ROWS:,} rows",
            coded_time,
            unit="ms",
            baseline="the same rows with text names",
            ratio=coded_time.median / table_time.median,
            extra=f"{ROWS / coded_time.median / 1e6:.1f} M rows/s",
            target="≥ 5 M rows/s",
            met=ROWS / coded_time.median >= 5e6,
        )
    )
    out.append(
        Row(
            "estimate per row (scalar)",
            f"{sample:,}-row sample",
            scalar_time,
            unit="s",
            baseline="",
            extra=f"{per_row * 1e6:.1f} µs/row → {per_row * ROWS:,.0f} s for {ROWS:,} rows",
        )
    )
    out.append(against_kernel(frame, 3 if quick else 9))
    out.extend(scaling(quick))
    out.append(broadcast_grid())
    return out


_GRID = (
    PEAK
    + """
import json, time
import numpy as np
from xlplugin import formulas
from xlplugin.formulas import _arrays
_arrays.CHUNK_CELLS = {chunk}
dau = np.geomspace(1e5, 1e9, 10_000).reshape(-1, 1)
tokens = np.linspace(100, 1_000, 10_000).reshape(-1, 1)
params = np.linspace(1e9, 7e10, 1_000).reshape(1, -1)
start = time.perf_counter()
formulas.total_usd_per_month(
    dau, 10, params, gpu="H100", modality="text", output_tokens=tokens, input_tokens=tokens
)
print(json.dumps({{"seconds": time.perf_counter() - start, "peak": peak_mb()}}))
"""
)


def broadcast_grid() -> Row:
    """One output over a 10,000 x 1,000 grid of scenarios (a column of users and tokens
    against a row of model sizes), computed a band of rows at a time, against the whole
    grid at once (every step of the formula then holds 10,000,000 cells), each in a fresh
    process."""
    grid = 10_000 * 1_000
    banded = in_child(_GRID.format(chunk="_arrays.CHUNK_CELLS"), timeout=900)
    whole = in_child(_GRID.format(chunk=grid), timeout=900)
    return Row(
        "per-output function, broadcast grid",
        "10,000 x 1,000 cells",
        Timing([banded["seconds"]]),
        unit="s",
        peak_mb=banded["peak"],
        baseline=f"the whole grid at once: {whole['seconds']:.2f} s, {whole['peak']:,.0f} MB peak",
        ratio=banded["peak"] / whole["peak"],
        extra="ratio: peak memory",
        target="peak < 1 GB",
        met=banded["peak"] < 1024,
    )


def against_kernel(frame: pd.DataFrame, rounds: int) -> Row:
    """estimate_table against the hand-written kernel (benchmarks/kernel.py), timed back
    to back, each first in turn; the ratio is the median of the rounds' ratios."""
    missing = [q.name for q in formulas.OUTPUTS if q.name not in KERNEL_OUTPUTS]
    if missing:  # the kernel must do the same work, or the ratio means nothing
        return Row(
            "estimate_table vs hand-written numpy kernel",
            f"{len(frame):,} rows",
            baseline="benchmarks/kernel.py",
            extra=f"not measured: the kernel writes out the seed's FLOPs model only; "
            f"{len(missing)} outputs of the default (roofline) model are not in it, "
            f"e.g. {', '.join(missing[:3])}",
        )
    expected = kernel(frame)
    assert list(expected.columns) == list(formulas.estimate_table(frame).columns)
    ours, ratios = [], []
    for i in range(rounds):
        took = {}
        for name in ("ours", "kernel") if i % 2 == 0 else ("kernel", "ours"):
            start = time.perf_counter()
            (formulas.estimate_table if name == "ours" else kernel)(frame)
            took[name] = time.perf_counter() - start
        ours.append(took["ours"])
        ratios.append(took["ours"] / took["kernel"])
    ratio = statistics.median(ratios)
    return Row(
        "estimate_table vs hand-written numpy kernel",
        f"{len(frame):,} rows",
        Timing(sorted(ours)),
        unit="ms",
        baseline="benchmarks/kernel.py, the same columns, timed alternately",
        ratio=ratio,
        target="≤ 1.5×",
        met=ratio <= 1.5,
    )


def scaling(quick: bool) -> list[Row]:
    """How time grows with rows: each size against 1,000,000 rows timed alternately with it."""
    out = []
    for power in (3, 4, 5) if quick else (3, 4, 5, 7):
        size = 10**power
        if power == 7:  # a fresh process: 10 M rows need several GB, freed at its end
            result = in_child(_SCALE.format(rows=size, rounds=2 if quick else 3), timeout=900)
            timing, ratio, peak = Timing(sorted(result["runs"])), result["ratio"], result["peak"]
        else:
            timing, ratio = paired(size, 3 if quick else 7)
            peak = None
        out.append(
            Row(
                "estimate_table scaling",
                f"{size:,} rows",
                timing,
                unit="ms",
                peak_mb=peak,
                baseline="1 M rows, timed alternately; × size / 1 M",
                ratio=ratio,
                extra=f"{size / timing.median / 1e6:.1f} M rows/s",
                target="≈ 1× above 10^5 (linear)",
                met=None if size < 10**5 else bool(ratio < 1.5),
            )
        )
    return out


def paired(size: int, rounds: int) -> tuple[Timing, float]:
    """Seconds per call on ``size`` rows, and the median over rounds of its ratio to the
    1,000,000-row time scaled to ``size``. Each round times both back to back, each first
    in turn, so that the host's changing speed (a shared machine) hits both alike; a small
    size is timed as a batch of calls of about a tenth of the million rows' time."""
    frames = {size: scenario_frame(size), ROWS: scenario_frame(ROWS)}
    calls = {size: max(1, min(100, ROWS // size // 10)), ROWS: 1}
    for frame in frames.values():
        formulas.estimate_table(frame)  # warm-up
    per_call, ratios = [], []
    for i in range(rounds):
        took = {}
        for n in (size, ROWS) if i % 2 == 0 else (ROWS, size):
            start = time.perf_counter()
            for _ in range(calls[n]):
                formulas.estimate_table(frames[n])
            took[n] = (time.perf_counter() - start) / calls[n]
        per_call.append(took[size])
        ratios.append(took[size] / (took[ROWS] * size / ROWS))
    return Timing(sorted(per_call)), statistics.median(ratios)


_SCALE = (
    PEAK
    + """
import json, sys
sys.path.insert(0, "benchmarks")
from bench_table import paired
timing, ratio = paired({rows}, {rounds})
print(json.dumps({{"runs": timing.runs, "ratio": ratio, "peak": peak_mb()}}))
"""
)


def main() -> int:
    print(table(rows("--quick" in sys.argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
