"""Read the Scenarios table of a built workbook back: ``read_scenarios``.

The table's header (sheet row :data:`~.layout.SCENARIOS_HEADER`, under the title, the
hidden rule rows, the column groups and the captions) holds the vocabulary names, so a
reader keys every column by them. With pandas alone::

    pandas.read_excel(path, sheet_name="Scenarios", header=SCENARIOS_HEADER - 1)

(``header`` counts from 0: row 11 of the sheet is ``header=10``; builds before 0.1.0's
zero_allowed rule row put it on row 10, which ``read_scenarios`` finds too). Both read the cached
values: the numbers as built, or as last saved by the application that recalculated them.
"""

from __future__ import annotations

import numbers
import os

import numpy as np
import openpyxl
import pandas as pd

from .layout import SCENARIOS_HEADER

__all__ = ["SCENARIOS_HEADER", "read_scenarios"]

_SHEET = "Scenarios"
# Empty when the row is right: "" rather than NaN.
_TEXT = ("message", "bad_input")


def read_scenarios(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The Scenarios table of a workbook built by xlplugin, one scenario per row.

    Parameters
    ----------
    path : path-like
        A workbook written by :func:`xlplugin.workbook.build.build_workbook` (or saved
        since by Excel or LibreOffice, which store the values they calculated).

    Returns
    -------
    pandas.DataFrame
        One column per table column, named as in the vocabulary: ``scenario``, every
        input (NaN where the row's cell is empty, meaning the Inputs sheet's value), each
        input as the row uses it (``dau_in_use``, ...), the catalogue look-ups and other
        intermediate steps, every output, and the checks ``inputs_valid``, ``ok``,
        ``message`` and ``bad_input`` (the first input the row gets wrong). Columns of
        numbers only are float; a column that also holds text (an output showing a row's
        message) keeps its values as they are.

    Raises
    ------
    ValueError
        If the workbook has no Scenarios sheet or its header is not where it belongs.
    """
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        if _SHEET not in wb.sheetnames:
            raise ValueError(f"{os.fspath(path)}: no {_SHEET} sheet; expected an xlplugin build")
        rows = wb[_SHEET].iter_rows(values_only=True)
        names = _names(path, _header(rows))
        width = len(names)
        body = [row[:width] for row in rows if any(v is not None for v in row[:width])]
    finally:
        wb.close()
    frame = pd.DataFrame(body, columns=names)
    for name in names:
        frame[name] = frame[name].fillna("") if name in _TEXT else _column(frame[name])
    return frame


# Builds put the header at SCENARIOS_HEADER; earlier versions had fewer rule rows above it.
_HEADER_SEARCH = SCENARIOS_HEADER + 10


def _header(rows) -> tuple:
    """The first row whose first cell is "scenario" (left in ``rows`` are the table's),
    within the first rows; else the row a build puts the header on, for the message."""
    for number, row in enumerate(rows, start=1):
        if row and row[0] == "scenario":
            return row
        if number >= _HEADER_SEARCH:
            break
    return ()


def _names(path, header) -> list[str]:
    names = []
    for value in header:
        if value is None:
            break
        names.append(str(value))
    if not names or names[0] != "scenario":
        raise ValueError(
            f"{os.fspath(path)}: no {_SHEET} row among the first {_HEADER_SEARCH} starts "
            "with 'scenario'; expected the table header of an xlplugin build"
        )
    return names


def _column(values: pd.Series) -> pd.Series:
    """Numbers as float (empty cells NaN); anything with text or booleans as it is."""
    present = values.dropna()
    numeric = all(
        isinstance(v, numbers.Real) and not isinstance(v, bool | np.bool_) for v in present
    )
    if numeric:
        return values.astype(float)
    if len(present) and all(isinstance(v, bool | np.bool_) for v in present):
        return values.astype(object)
    return values.where(values.notna(), np.nan)
