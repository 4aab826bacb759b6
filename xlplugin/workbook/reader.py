"""Read the Scenarios table of a built workbook back: ``read_scenarios``.

The table's header (sheet row :data:`~.layout.SCENARIOS_HEADER`, under the title, the
hidden rule rows, the column groups and the captions) holds the vocabulary names, so a
reader keys every column by them. With pandas alone::

    pandas.read_excel(path, sheet_name="Scenarios", header=SCENARIOS_HEADER - 1)

(``header`` counts from 0: row 12 of the sheet is ``header=11``; earlier builds, with fewer
hidden rows above it, put it on row 10 or 11, which ``read_scenarios`` finds too). Both read
the cached values: the numbers as built, or as last saved by the application that
recalculated them.
"""

from __future__ import annotations

import itertools
import numbers
import os
import zipfile

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from ..scenario_file import ScenarioFileError
from .layout import SCENARIOS_HEADER

__all__ = ["SCENARIOS_HEADER", "read_scenarios"]

_SHEET = "Scenarios"
# Empty when the row is right: "" rather than NaN.
_TEXT = ("message", "bad_input", "fit_message")


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
        ``message``, ``bad_input`` (the first input the row gets wrong) and
        ``fit_message`` (why its model does not fit, where its inputs hold). Columns of
        numbers only are float; a column that also holds text (an output showing a row's
        message) keeps its values as they are.

    Raises
    ------
    ScenarioFileError
        (a ValueError) If the file is not an .xlsx workbook, has no Scenarios sheet, or its
        table's header is missing, has an empty cell or repeats a name.
    """
    wb = _open(path)
    try:
        if _SHEET not in wb.sheetnames:
            raise ScenarioFileError(
                os.fspath(path), f"no {_SHEET} sheet; expected an xlplugin build"
            )
        number, header, rows = _header(wb[_SHEET].iter_rows(values_only=True))
        names = _names(path, number, header)
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


def _open(path):
    """The workbook at ``path``, read only; a file that is not one is refused in a line."""
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise
    # openpyxl raises ValueError, in three lines, for XML it will not read (a DTD)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ScenarioFileError(
            os.fspath(path), f"not an .xlsx workbook ({reason}); expected an xlplugin build"
        ) from None


def _header(rows) -> tuple[int, tuple, object]:
    """The header's row number and cells, and the rows after it (from ``rows``): the row a
    build puts it on if it starts with "scenario", else the nearest above it that does (an
    earlier build's), else the first below, within the first rows; (0, (), rows) if none.
    A "scenario" typed higher up, over the title, is not taken for it."""
    first = list(itertools.islice(rows, _HEADER_SEARCH))
    found = [i for i, row in enumerate(first, start=1) if row and row[0] == "scenario"]
    if not found:
        return 0, (), rows
    above = [n for n in found if n <= SCENARIOS_HEADER]
    number = max(above) if above else found[0]
    return number, first[number - 1], itertools.chain(first[number:], rows)


def _names(path, number: int, header: tuple) -> list[str]:
    """The table's column names: the header's cells up to its last; one left empty or
    repeated is refused, naming its cell (read past it, the columns after it were
    dropped, or read under the first name)."""
    file = os.fspath(path)
    if not number:
        raise ScenarioFileError(
            file,
            f"{_SHEET} has no row starting with 'scenario' among its first {_HEADER_SEARCH}; "
            "expected the table header of an xlplugin build",
        )
    cells = list(header)
    while cells and cells[-1] is None:
        cells.pop()
    seen: dict[str, str] = {}
    for column, value in enumerate(cells, start=1):
        cell = f"{get_column_letter(column)}{number}"
        if value is None or not str(value).strip():
            raise ScenarioFileError(
                file, f"{_SHEET}!{cell} is empty in the table's header; expected a name"
            )
        if str(value) in seen:
            raise ScenarioFileError(
                file,
                f"{_SHEET}!{cell} repeats {str(value)!r} ({seen[str(value)]}) in the table's "
                "header; expected each name once",
            )
        seen[str(value)] = cell
    return list(seen)


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
