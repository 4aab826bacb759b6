"""The roofline against published measurements: how close, and how long the check takes.

    python benchmarks/bench_calibration.py

The ratio is the geometric mean, over the points in the fit, of predicted/measured taken
either way (max(p/m, m/p)); the worst point is shown beside it. The efficiencies are the
vocabulary's defaults: one set for every point.
"""

from __future__ import annotations

import sys

from _common import Row, table, timed
from xlplugin.formulas import calibration


def rows(quick: bool = False) -> list[Row]:
    timing = timed(calibration.calibration_table, 1 if quick else 3, warmup=1)
    found = calibration.summary(calibration.calibration_table())
    return [
        Row(
            "roofline vs published measurements",
            f"{found['points']} points",
            timing,
            unit="s",
            baseline="measured (formulas/data/measurements.csv)",
            ratio=found["geometric_mean"],
            extra=f"worst point {found['worst']:.2f}×",
            target="geometric mean ≤ 1.25×, no point beyond 2×",
            met=found["geometric_mean"] <= 1.25 and found["worst"] <= 2.0,
        )
    ]


def main() -> int:
    print(table(rows("--quick" in sys.argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
