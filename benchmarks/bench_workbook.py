"""Building the template workbook, and LibreOffice recalculating it.

    python benchmarks/bench_workbook.py [--quick]

Workbooks: the default template (7 scenarios), and 10,000 and 100,000 scenarios (the
default ones repeated with varied users; --quick skips 100,000). Each large build runs in
a fresh process, which reports its time and peak resident memory; its baseline is
openpyxl in write-only mode writing the same cells (values and formula text, without
styles or cached values) in another fresh process. LibreOffice's rows open, recalculate
and save the default template and the 10,000-scenario workbook side by side.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from _common import PEAK, Row, Timing, in_child, table, timed

from xlplugin import libreoffice
from xlplugin.workbook.build import build_workbook, default_scenarios

SCENARIOS = 10_000
LARGEST = 100_000  # the documented limit (build.MAX_SCENARIOS); skipped by --quick
BUILD_DATE = "2026-01-01"


def many_scenarios(count: int) -> pd.DataFrame:
    """``count`` scenarios: the default ones over and over, with users varied."""
    base = default_scenarios()
    frame = pd.concat([base] * (count // len(base) + 1), ignore_index=True).iloc[:count].copy()
    frame["scenario"] = [f"{name} #{i + 1}" for i, name in enumerate(frame["scenario"])]
    frame["dau"] = np.geomspace(1e5, 1e9, count).round()
    return frame


_BUILD = (
    PEAK
    + """
import json, sys, time
sys.path.insert(0, "benchmarks")
from bench_workbook import many_scenarios, BUILD_DATE
from xlplugin.workbook.build import build_workbook
scenarios = many_scenarios({count})
build_workbook("{path}.warm.xlsx", many_scenarios(7), build_date=BUILD_DATE)  # imports, caches
started = time.perf_counter()
build_workbook("{path}", scenarios, build_date=BUILD_DATE)
print(json.dumps({{"seconds": time.perf_counter() - started, "peak": peak_mb()}}))
"""
)

# openpyxl in write-only mode writing the same cells: every sheet's cells read from the built
# workbook (the small sheets before the clock starts), the Scenarios rows generated from the
# same scenarios and formula templates as the build writes them (values and formula text;
# no styles, no cached values).
_PLAIN = (
    PEAK
    + """
import json, math, sys, time
import openpyxl
sys.path.insert(0, "benchmarks")
from bench_workbook import many_scenarios
from xlplugin.workbook.layout import Layout
from xlplugin.workbook.scenarios_sheet import ROW, row_formulas
from xlplugin.workbook.values import canonical_names
scenarios = canonical_names(many_scenarios({count}))
layout = Layout(len(scenarios))
templates = row_formulas(layout)
names = list(layout.scenario_column)
book = openpyxl.load_workbook("{built}", read_only=True)
small = {{}}
for ws in book.worksheets:
    last = layout.scenario_first - 1 if ws.title == "Scenarios" else None
    small[ws.title] = [list(r) for r in ws.iter_rows(max_row=last, values_only=True)]
book.close()
columns = [scenarios[n].tolist() if n in scenarios else [None] * len(scenarios) for n in names]

def rows():
    for offset, values in enumerate(zip(*columns)):
        number = str(layout.scenario_first + offset)
        yield [
            templates[n].replace(ROW, number) if n in templates
            else (None if isinstance(v, float) and math.isnan(v) else v)
            for n, v in zip(names, values)
        ]

before = peak_mb()
started = time.perf_counter()
wb = openpyxl.Workbook(write_only=True)
for title, cells in small.items():
    ws = wb.create_sheet(title)
    for row in cells:
        ws.append(row)
    if title == "Scenarios":
        for row in rows():
            ws.append(row)
wb.save("{path}")
print(json.dumps({{"seconds": time.perf_counter() - started, "peak": peak_mb()}}))
"""
)


def _build_row(count: int, folder: Path, limit_s: float, limit_mb: float) -> Row:
    path = folder / f"b{count}.xlsx"
    built = in_child(_BUILD.format(count=count, path=path), timeout=1200)
    plain = in_child(
        _PLAIN.format(count=count, built=path, path=folder / f"p{count}.xlsx"), timeout=1800
    )
    cells = _cell_count(path) if count <= SCENARIOS else None
    ratio = built["seconds"] / plain["seconds"]
    return Row(
        f"build {count:,}-scenario workbook",
        f"{count:,} scenarios" + (f", {cells:,} cells" if cells else ""),
        Timing([built["seconds"]]),
        unit="s",
        peak_mb=built["peak"],
        baseline=(
            f"openpyxl write-only, same cells: {plain['seconds']:.1f} s, "
            f"{plain['peak']:,.0f} MB peak"
        ),
        ratio=ratio,
        extra=f"{path.stat().st_size / 1e6:.1f} MB on disk",
        target=f"< {limit_s:g} s and <= 1.5x write-only, < {limit_mb:,g} MB peak",
        met=built["seconds"] < limit_s and ratio <= 1.5 and built["peak"] < limit_mb,
    )


def _cell_count(path: Path) -> int:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return sum(
            1
            for ws in wb.worksheets
            for row in ws.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    finally:
        wb.close()


def rows(quick: bool = False) -> list[Row]:
    out = []
    with tempfile.TemporaryDirectory(prefix="xlplugin-bench-") as folder:
        folder = Path(folder)
        default = folder / "default.xlsx"
        build = timed(lambda: build_workbook(default, build_date=BUILD_DATE), 1 if quick else 5)
        out.append(
            Row(
                "build default template",
                "7 scenarios",
                build,
                unit="s",
                extra=f"{default.stat().st_size / 1e6:.2f} MB on disk",
                target="< 2 s",
                met=build.median < 2.0,
            )
        )
        out.append(_build_row(SCENARIOS, folder, 15.0, 400.0))
        if not quick:
            out.append(_build_row(LARGEST, folder, 60.0, 1500.0))
        if libreoffice.find_soffice():
            out += _recalculation_rows(folder, default, folder / f"b{SCENARIOS}.xlsx", quick)
    return out


def _recalculation_rows(folder: Path, default: Path, large: Path, quick: bool) -> list[Row]:
    """LibreOffice opening, recalculating every formula and saving each workbook, side by
    side: the large one within 4x the default template."""
    one = folder / "one.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = 1
    wb.save(one)
    repeat = 1 if quick else 3
    startup = timed(lambda: libreoffice.recalculate(one, folder / "lo"), repeat)
    small = timed(lambda: libreoffice.recalculate(default, folder / "lo"), repeat)
    big = timed(lambda: libreoffice.recalculate(large, folder / "lo"), repeat, warmup=0)
    kept = timed(  # the same open and save, the cached values kept: what the ratio is made of
        lambda: libreoffice.convert(large, folder / "lo", "xlsx", timeout=600, recalc=False),
        repeat,
        warmup=0,
    )
    ratio = big.median / small.median
    return [
        Row(
            "LibreOffice recalculation, default template",
            "7 scenarios",
            small,
            unit="s",
            baseline=f"soffice on a one-cell workbook: {startup.median:.2f} s",
            ratio=small.median / startup.median,
        ),
        Row(
            f"LibreOffice recalculation, {SCENARIOS:,}-scenario workbook",
            f"{SCENARIOS:,} scenarios",
            big,
            unit="s",
            baseline=f"the default template: {small.median:.2f} s",
            ratio=ratio,
            target="<= 4x the default template",
            met=ratio <= 4,
        ),
        Row(
            f"LibreOffice open and save, {SCENARIOS:,}-scenario workbook, not recalculated",
            f"{SCENARIOS:,} scenarios",
            kept,
            unit="s",
            baseline=f"recalculated: {big.median:.2f} s",
            ratio=kept.median / big.median,
            extra="reading and writing the formula cells, not calculating them, takes the time",
        ),
    ]


def main() -> int:
    print(table(rows("--quick" in sys.argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
