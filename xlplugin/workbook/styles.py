"""Looks: Excel's built-in cell styles, number formats by unit, headers and widths."""

from __future__ import annotations

from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter

__all__ = [
    "TAB",
    "UNLOCKED",
    "header",
    "number_format",
    "section",
    "title",
    "widths",
]

UNLOCKED = Protection(locked=False)
TAB = {
    "About": "1F3864",
    "Inputs": "FFC000",
    "Catalog": "808080",
    "Estimate": "2F75B5",
    "Scenarios": "70AD47",
    "Projection": "70AD47",
    "Checks": "C00000",
}
HEADER_FILL = PatternFill("solid", fgColor="1F3864")
HEADER_FONT = Font(bold=True, color="FFFFFF")
SECTION_FONT = Font(bold=True, size=12, color="1F3864")
SECTION_FILL = PatternFill("solid", fgColor="D9E1F2")

_FORMATS = {
    "fraction": "0.0%",
    "fraction/month": "0.0%",
    "ratio": "0.00",
    "s": "0.000000",
    "USD/GPU-hour": "#,##0.0000",
    "USD/GB-month": "#,##0.0000",
    "USD/GB": "#,##0.0000",
    "USD/month": "#,##0",
    "USD/1k requests": "#,##0.0000",
    "requests/s": "#,##0.00",
    "FLOP/s": "#,##0",
    "B/parameter": "#,##0.0",
    "FLOP/parameter/step": "#,##0",
    "B/GB": "#,##0",
}


def number_format(unit: str) -> str:
    """A number format for a unit, thousands-separated."""
    return _FORMATS.get(unit, "#,##0")


def title(ws, text: str, subtitle: str = "") -> None:
    ws["A1"] = text
    ws["A1"].style = "Title"
    if subtitle:
        ws["A2"] = subtitle
        ws["A2"].style = "Explanatory Text"


def header(ws, row: int, labels, first_column: int = 1) -> None:
    for column, label in enumerate(labels, start=first_column):
        cell = ws.cell(row, column, label)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(vertical="center", wrap_text=True)


def section(ws, row: int, text: str, columns: int) -> None:
    for column in range(1, columns + 1):
        ws.cell(row, column).fill = SECTION_FILL
    ws.cell(row, 1, text).font = SECTION_FONT


def widths(ws, sizes) -> None:
    for column, size in enumerate(sizes, start=1):
        ws.column_dimensions[get_column_letter(column)].width = size
