"""Building the template workbook, and LibreOffice recalculating it.

    python benchmarks/bench_workbook.py [--quick]

Two workbooks: the default template (7 scenarios) and one with 10,000 scenarios (the
default ones repeated with varied users). Each build's baseline is openpyxl writing the
same number of plain cells (one value each, no style, no formula): the floor of writing
that many cells with openpyxl. LibreOffice's baseline is the same command on a one-cell
workbook: the cost of starting soffice.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from _common import PEAK, Row, in_child, table, timed

from xlplugin import libreoffice
from xlplugin.workbook.build import build_workbook, default_scenarios

SCENARIOS = 10_000
BUILD_DATE = "2026-01-01"


def many_scenarios(count: int) -> pd.DataFrame:
    """``count`` scenarios: the default ones over and over, with users varied."""
    base = default_scenarios()
    frame = pd.concat([base] * (count // len(base) + 1), ignore_index=True).iloc[:count].copy()
    frame["scenario"] = [f"{name} #{i + 1}" for i, name in enumerate(frame["scenario"])]
    frame["dau"] = np.geomspace(1e5, 1e9, count).round()
    return frame


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


def _plain(path: Path, cells: int) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    width = 55  # the Scenarios sheet's width
    for start in range(0, cells, width):
        ws.append([1.0] * min(width, cells - start))
    wb.save(path)


_MEMORY = (
    PEAK
    + """
import json, sys
sys.path.insert(0, "benchmarks")
from bench_workbook import many_scenarios, BUILD_DATE
from xlplugin.workbook.build import build_workbook
scenarios = many_scenarios({count})
build_workbook("{path}", many_scenarios(7), build_date=BUILD_DATE)  # imports, caches
before = peak_mb()
build_workbook("{path}", scenarios, build_date=BUILD_DATE)
print(json.dumps({{"before": before, "peak": peak_mb()}}))
"""
)


def rows(quick: bool = False) -> list[Row]:
    out = []
    with tempfile.TemporaryDirectory(prefix="xlplugin-bench-") as folder:
        folder = Path(folder)
        one = folder / "one.xlsx"
        wb = openpyxl.Workbook()
        wb.active["A1"] = 1
        wb.save(one)
        soffice = libreoffice.find_soffice() if hasattr(libreoffice, "find_soffice") else None
        startup = (
            timed(lambda: libreoffice.recalculate(one, folder / "lo"), 1 if quick else 3)
            if soffice
            else None
        )
        cases = [
            ("default template", None, "7 scenarios", 2.0, None, 1 if quick else 3),
            (
                f"{SCENARIOS:,}-scenario workbook",
                many_scenarios(SCENARIOS),
                f"{SCENARIOS:,} scenarios",
                15.0,
                10.0,
                1 if quick else 3,
            ),
        ]
        for what, scenarios, size, limit_s, limit_mb, repeat in cases:
            path = folder / f"{len(out)}.xlsx"
            build = timed(
                lambda path=path, s=scenarios: build_workbook(path, s, build_date=BUILD_DATE),
                repeat if scenarios is not None else 10,
                warmup=1 if scenarios is None else 0,
            )
            megabytes = path.stat().st_size / 1e6
            cells = _cell_count(path)
            plain = folder / "plain.xlsx"
            floor = timed(
                lambda plain=plain, cells=cells: _plain(plain, cells),
                1 if scenarios is not None else 5,
            )
            peak = None
            if scenarios is not None:
                memory = in_child(_MEMORY.format(count=SCENARIOS, path=folder / "m.xlsx"))
                peak = memory["peak"]
            met = build.median < limit_s and (limit_mb is None or megabytes < limit_mb)
            target = f"< {limit_s:g} s" + (f", < {limit_mb:g} MB" if limit_mb else "")
            out.append(
                Row(
                    f"build {what}",
                    f"{size}, {cells:,} cells",
                    build,
                    unit="s",
                    peak_mb=peak,
                    baseline=f"openpyxl, same count of plain cells: {floor.median:.2f} s",
                    ratio=build.median / floor.median,
                    extra=f"{megabytes:.2f} MB on disk",
                    target=target,
                    met=met,
                )
            )
            if soffice:
                recalculated = timed(
                    lambda path=path: libreoffice.recalculate(path, folder / "lo"),
                    1 if quick or scenarios is not None else 3,
                )
                out.append(
                    Row(
                        f"LibreOffice recalculation, {what}",
                        f"{size}, {cells:,} cells",
                        recalculated,
                        unit="s",
                        baseline=f"soffice on a one-cell workbook: {startup.median:.2f} s",
                        ratio=recalculated.median / startup.median,
                    )
                )
    return out


def main() -> int:
    print(table(rows("--quick" in sys.argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
