"""The About sheet: what the workbook estimates, how to use it, the legend, the version."""

from __future__ import annotations

from openpyxl.styles import Alignment
from openpyxl.workbook.defined_name import DefinedName

import xlplugin

from . import styles
from .published import SEED_CITATION

__all__ = ["BUILD_DATE_CELL", "write_about"]

BUILD_DATE_CELL = "B22"

_USE = (
    (
        "What it estimates",
        "Storage, inference servers (GPUs), bandwidth and monthly cost of a "
        "generative-AI service, from its daily users, model and GPU.",
    ),
    (
        "How to use it",
        "1. Change the Input-style (orange) cells on Inputs. 2. Read the Estimate. "
        "3. Compare cases on Scenarios (one row each; add rows under the table). "
        "4. Pick a scenario on Inputs to show it on the Estimate. 5. See growth on Projection.",
    ),
    (
        "Checks",
        "The master flag on Estimate and Checks turns red when any check fails "
        "(model does not fit in GPU memory, an input out of range, totals inconsistent).",
    ),
    (
        "Formulas",
        "Every figure is a native Excel formula (INDEX, MATCH, IF, IFERROR, ISNUMBER, "
        "ROUNDUP, SUMIF: Excel 2010 or later, LibreOffice); constants are named cells on "
        "Inputs, catalogue figures on Catalog. Each input "
        "and output is a workbook name equal to its vocabulary name (Formulas > Name Manager).",
    ),
    (
        "Engine",
        "The same model as the xlplugin Python package (formulas): the tests recalculate "
        "this workbook in LibreOffice and compare every figure with it to 1e-9.",
    ),
    (
        "Defaults",
        "Inputs reproduce the seed estimate. " + SEED_CITATION + ". GPU figures "
        "and prices: vendor datasheets and dated cloud price pages (Catalog sheet, each row with "
        "its source and date). Storage and egress prices: AWS S3 and data-transfer pricing.",
    ),
    ("Units", "Base units: bytes (decimal SI: 1 GB = 10^9 B), seconds, bit/s, FLOP/s, USD."),
    (
        "Protection",
        "Calculation sheets are protected without a password (Review > Unprotect "
        "Sheet) to keep formulas from being overwritten by accident.",
    ),
)
_LEGEND = (
    ("Input", "Input: change it"),
    ("Calculation", "Calculation: a formula"),
    ("Output", "Output: a result"),
    ("Check Cell", "Check: TRUE when it holds"),
    ("Note", "Note: a published or reference figure"),
)


def write_about(wb, ws, variant: str, build_date: str) -> None:
    styles.title(
        ws,
        "xlplugin: capacity and cost estimate",
        "A finance-style model of a generative-AI service. It works without Python or add-ins."
        if variant == "native"
        else "Plugin variant: the Estimate calls the xlplugin Excel functions.",
    )
    row = 4
    for label, text in _USE:
        ws.cell(row, 1, label).style = "Headline 4"
        ws.cell(row, 2, text).alignment = Alignment(wrap_text=True, vertical="top")
        row += 1
    row += 1
    ws.cell(row, 1, "Colour legend").style = "Headline 3"
    for style, text in _LEGEND:
        row += 1
        ws.cell(row, 1, text).style = style
    row += 2
    for label, value in (
        ("Variant", variant),
        ("Version", xlplugin.__version__),
        ("Build date", None),
    ):
        ws.cell(row, 1, label).style = "Headline 4"
        ws.cell(row, 2, value)
        row += 1
    assert f"B{row - 1}" == BUILD_DATE_CELL, f"B{row - 1}"
    ws[BUILD_DATE_CELL] = build_date
    wb.defined_names["build_date"] = DefinedName("build_date", attr_text="About!$B$22")
    styles.widths(ws, (26, 110))
    for r, (_, text) in enumerate(_USE, start=4):  # wrapped text needs room: ~95 chars a line
        ws.row_dimensions[r].height = 15 * (len(text) // 95 + 1) + 4
    ws.protection.sheet = True
