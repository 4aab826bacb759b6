"""Time formulas.parse_quantity on typical cells and on hostile text.

    python benchmarks/bench_parse.py

Typical cells take microseconds. Text longer than 100 characters (after stripping) is
refused before it is read, so a 1 MB cell costs about as much as stripping it. The scan
itself is linear at any length: the scan-only rows bypass the limit to show it (about 10x
the time for 10x the length). The regex the scanner replaced took 15-27 s on 20,000 digits + "!".
"""

from __future__ import annotations

import contextlib
import time

import _common  # noqa: F401 (sets the xlwings environment before anything imports xlwings)
from xlplugin.formulas import InvalidInputError, parse_quantity, units

TYPICAL = [("100", ""), ("8.1B", ""), ("1,000", ""), ("16.2GB", "B"), ("90%", ""), ("1,5", "")]


def _seconds(call, repeat: int) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeat):
            call()
        best = min(best, (time.perf_counter() - start) / repeat)
    return best


def _parse(text: str, unit: str = "") -> None:
    with contextlib.suppress(InvalidInputError):
        parse_quantity(text, "x", unit)


def _row(what: str, seconds: float) -> None:
    shown = f"{seconds * 1e6:10.2f} µs" if seconds < 1e-3 else f"{seconds * 1e3:10.3f} ms"
    print(f"{what:<40}{shown}")


def main() -> None:
    for text, unit in TYPICAL:
        _row(f"parse_quantity({text!r})", _seconds(lambda t=text, u=unit: _parse(t, u), 20_000))
    for n in (20_000, 1_000_000):
        text = "1" * n + "!"
        _row(f"parse_quantity('1' * {n:,} + '!')", _seconds(lambda t=text: _parse(t), 20))
    for n in (10_000, 100_000, 1_000_000):
        text = "1" * n + "!"
        _row(f"scan only: '1' * {n:,} + '!'", _seconds(lambda t=text: units._read(t, ""), 3))


if __name__ == "__main__":
    main()
