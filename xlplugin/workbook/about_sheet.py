"""The About sheet: what the workbook estimates, how to use it, the legend, the version."""

from __future__ import annotations

from openpyxl.styles import Alignment
from openpyxl.workbook.defined_name import DefinedName

import xlplugin

from . import styles
from .layout import FLAG_COLUMN, PRINT, WHY_CELL
from .published import PUBLISHED, SEED_CITATION
from .scenarios_sheet import SEED_SCENARIO

__all__ = ["BUILD_DATE_CELL", "write_about"]

# The seed's own GPU count, by its FLOPs formula, as the Estimate's Seed figure column shows.
_SEED_GPUS = f"{PUBLISHED['flops_gpu_count'][0]:,.0f}"


_WORDS = {2: "two", 3: "three", 4: "four"}


def _printing() -> str:
    """How the sheets print, as layout.PRINT sets it up."""
    fitted = [sheet for sheet, how in PRINT.items() if how.get("fit_width") == 1]
    across = [
        f"the {sheet} sheet {_WORDS.get(how['fit_width'], how['fit_width'])} pages wide"
        for sheet, how in PRINT.items()
        if (how.get("fit_width") or 1) > 1
    ]
    scaled = [
        f"the {sheet} sheet at {how['scale']} % on as many pages as its columns take"
        + (", across then down" if how.get("order") == "overThenDown" else "")
        for sheet, how in PRINT.items()
        if how.get("fit_width") is None and how.get("scale")
    ]
    first, *others = across + scaled
    printed = first.replace(" sheet ", " sheet prints ", 1)
    if others:
        printed = ", ".join([printed, *others[:-1]]) + f" and {others[-1]}"
    return (
        "Every sheet prints landscape with the workbook, the sheet, the version, the build "
        "date and the page number (page x of y) in its header and footer. "
        f"{', '.join(fitted[:-1])} and {fitted[-1]} fit the page width; "
        f"{printed}; wide tables repeat their header rows and name "
        "column on every page."
    )


_USE = (
    (
        "What it estimates",
        "Storage, inference servers (GPUs), bandwidth and monthly cost of a "
        "generative-AI service, from its daily users, model and GPU.",
    ),
    (
        "How to use it",
        "1. Change the Input-style (orange) cells on Inputs (the Models sheet has presets of "
        "common models to copy). 2. Read the Estimate, and its Charts. "
        "3. Compare cases on Scenarios (one row each; add rows under the table; the + "
        "buttons above it show the inputs no row sets yet). "
        "4. Pick a scenario on Inputs to show it on the Estimate. 5. See growth on Projection "
        "and what moves the cost most on Sensitivity.",
    ),
    (
        "Checks",
        'The master flag "All checks pass", at the top of every sheet, is TRUE (green) when '
        "every check on the Checks sheet holds and FALSE (red) when one fails: an input out "
        "of range, a model that does not fit in GPU memory or cannot exist (more KV heads "
        "than attention heads, more active parameters than parameters), or two independent "
        "routes to a "
        "figure (total cost and its parts, stored bytes and what is stored per day, GPUs and "
        "peak demand) that disagree. The first failure's message shows beside the flag on "
        "every sheet and on the Checks sheet; an output that a failure leaves without "
        "meaning shows that message instead of a figure.",
    ),
    (
        "Sensitivity",
        "Each key input is swung to a low and a high value (Inputs, columns J and K; an "
        "empty cell is the value in use minus or plus the Sensitivity swing, 25 %), and the "
        "total cost and GPU count are recalculated for each; the inputs are sorted by their "
        "effect on cost, with a tornado chart.",
    ),
    (
        "Formulas",
        "Every figure is a native Excel formula (INDEX, MATCH, IF, IFERROR, ISNUMBER, "
        "ROUNDUP, ROUND, SUMIF, SUMPRODUCT, LARGE, MIN, MAX, ABS: Excel 2010 or later, "
        "LibreOffice); constants are named cells on Inputs, catalogue figures on Catalog. Each "
        "input and output is a workbook name equal to its vocabulary name (Formulas > Name "
        "Manager).",
    ),
    (
        "Engine",
        "The same model as the xlplugin Python package (formulas): the tests recalculate "
        "this workbook in LibreOffice and compare every figure with it to 1e-9.",
    ),
    (
        "Defaults",
        "The inputs are the seed document's workload; the Estimate sizes it with the "
        "roofline (compute, memory bandwidth and memory: what a real deployment needs) and "
        f"shows the seed's own figures beside it (its FLOPs formula: {_SEED_GPUS} GPUs); the "
        f'Scenarios row "{SEED_SCENARIO}" reproduces every figure the seed states. '
        + SEED_CITATION
        + ". GPU figures "
        "and prices: vendor datasheets and dated cloud price pages (Catalog sheet, each row with "
        "its source and date). Storage and egress prices: AWS S3 and data-transfer pricing.",
    ),
    (
        "Units",
        "Cells hold base units: bytes (decimal SI: 1 GB = 10^9 B), seconds, bit/s, FLOP/s, "
        "USD. Number formats show them scaled (16.20 GB, 1.25 PB/day, 92.59 Gbit/s, "
        "0.00519 s, $11.97M); the formula bar shows the number the cell holds.",
    ),
    (
        "Protection",
        "Every sheet is protected without a password (Review > Unprotect Sheet), to keep "
        "formulas from being overwritten by accident; Input-style cells stay unlocked, and "
        "rows can still be added to the Scenarios table.",
    ),
    ("Printing", _printing()),
)
_PLUGIN_PROTECTION = (
    " In this plugin variant the Estimate is not protected: add-in functions stay "
    "#NAME? on protected sheets."
)
# What the plugin variant says instead: its outputs are not native formulas.
_PLUGIN_USE = {
    "Formulas": "The Estimate's outputs call the xlplugin Excel functions (=GPU_COUNT(...), "
    "=TOTAL_USD_PER_MONTH(...), ...): they are NOT native formulas and need the xlplugin "
    "add-in (xlwings Lite: the files `xlplugin lite` writes; xlwings Server: `xlplugin "
    "serve`; classic xlwings on Windows: see the README). Without it, Excel shows the "
    "figures saved in the file until it recalculates them, then #NAME?; LibreOffice keeps "
    "them unless set to recalculate on load. Every other figure is a native Excel formula. "
    "Inputs are workbook names equal to their vocabulary names; outputs are not, since such "
    "a name would hide the function of the same name. To share the model, send the native "
    "variant.",
    "Engine": "The functions run the xlplugin Python package (formulas), the model the "
    "native variant's formulas follow; the figures saved in the file were computed by it "
    "when the workbook was built.",
}
_LEGEND_ROW = 4 + len(_USE) + 1
_VERSION_ROW = _LEGEND_ROW + len(styles.LEGEND) + 2
BUILD_DATE_CELL = f"B{_VERSION_ROW + 2}"
_SAMPLES = {
    "Input": 100_000_000,
    "Calculation": 11_574.07,
    "Output": 61,
    "Linked Cell": 0.05,
    "Check Cell": 1,  # shown TRUE, as the master flag
    "Note": 61,
}


def write_about(wb, ws, variant: str, build_date: str) -> None:
    styles.title(
        ws,
        "xlplugin: capacity and cost estimate",
        "A finance-style model of a generative-AI service. It works without Python or add-ins."
        if variant == "native"
        else "Plugin variant: the Estimate calls the xlplugin Excel functions.",
    )
    styles.master_flag(ws, FLAG_COLUMN["About"], why=WHY_CELL["About"])
    row = 4
    for label, text in _USE:
        if variant == "plugin":
            text = _PLUGIN_USE.get(label, text)
            text += _PLUGIN_PROTECTION if label == "Protection" else ""
        ws.cell(row, 1, label).style = "Headline 4"
        ws.cell(row, 1).alignment = Alignment(vertical="top")
        styles.wrap(ws.cell(row, 2, text))
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=4)
        # Rows do not grow to fit wrapped text in a file opened: B:D hold ~125 characters.
        ws.row_dimensions[row].height = styles.LINE_HEIGHT * styles.lines(text, 105) + 3
        row += 1
    assert row + 1 == _LEGEND_ROW, row
    row = _LEGEND_ROW
    ws.cell(row, 1, "Legend: cell styles").style = "Headline 3"
    ws.cell(row, 2, "A sample of each style (left) and what it marks.").style = "Explanatory Text"
    for style, text in styles.LEGEND:
        row += 1
        sample = ws.cell(row, 1, _SAMPLES[style])
        sample.style = style
        sample.number_format = {
            "Input": styles.number_format("users/day"),
            "Calculation": styles.number_format("requests/s"),
            "Linked Cell": "0.0%",
            "Check Cell": styles.FLAG_FORMAT,
        }.get(style, "#,##0")
        if style == "Check Cell":
            styles.master_flag_rules(ws, sample.coordinate)
        if style == "Input":
            sample.protection = styles.UNLOCKED  # as every input is
        # set off from the sample's right-aligned figure ("100,000,000Input: ...")
        ws.cell(row, 2, text).alignment = Alignment(horizontal="left", indent=1)
    row += 2
    assert row == _VERSION_ROW, row
    for label, value in (
        ("Variant", variant),
        ("Version", xlplugin.__version__),
        ("Build date", None),
    ):
        ws.cell(row, 1, label).style = "Headline 4"
        ws.cell(row, 2, value).alignment = Alignment(horizontal="left")
        row += 1
    assert f"B{row - 1}" == BUILD_DATE_CELL, f"B{row - 1}"
    ws[BUILD_DATE_CELL] = build_date
    wb.defined_names["build_date"] = DefinedName(
        "build_date", attr_text="About!" + "$B$" + BUILD_DATE_CELL[1:]
    )
    styles.widths(ws, (26, 86, 16, 9))
    styles.wrap_subtitle(ws, 2)
    ws.protection.sheet = True
