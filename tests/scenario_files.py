"""Scenario files written for the tests, and the one-line error a bad one is refused with."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from guards import no_hang

from xlplugin import formulas
from xlplugin.scenario_file import ScenarioFileError, read_scenarios


def write_csv(folder: Path, text: str, name: str = "scenarios.csv", bom: bool = False) -> Path:
    path = folder / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def write_xlsx(
    folder: Path, rows: list[list], name: str = "scenarios.xlsx", merged: tuple[str, ...] = ()
) -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    for cells in merged:
        book.active.merge_cells(cells)
    path = folder / name
    book.save(path)
    return path


def error_of(path: Path, kind=ScenarioFileError) -> str:
    """The one line ``read_scenarios`` refuses ``path`` with, named after the file."""
    with no_hang(10), pytest.raises(kind) as caught:
        read_scenarios(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(path.name)
    assert isinstance(caught.value, formulas.EstimateError)
    return message
