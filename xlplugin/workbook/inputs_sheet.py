"""The Inputs sheet: the scenario selector, every vocabulary input, and the constants."""

from __future__ import annotations

from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from xlplugin.formulas import catalog
from xlplugin.formulas.vocabulary import INPUTS, PROJECTION_INPUTS, Input

from . import styles
from .excel_formulas import CONSTANTS
from .layout import INPUTS_HEADER, SCENARIO_ROW_ROW, SELECTOR_ROW, Layout, absolute

__all__ = [
    "ACCEPTS_COLUMN",
    "DEFAULT_COLUMN",
    "accepts_formula",
    "accepts_text",
    "name_choices",
    "write_inputs",
]

COLUMNS = (
    "Label",
    "Value",
    "Unit",
    "Name",
    "Source / note",
    "Lower bound",
    "Upper bound",
    "Used when empty",
    "Accepts",
)
NAME_COLUMN, LOW_COLUMN, HIGH_COLUMN, DEFAULT_COLUMN, ACCEPTS_COLUMN = 4, 6, 7, 8, 9
SELECTOR_NOTE = (
    "Empty: the Estimate shows this sheet's values. A scenario name: the Estimate "
    "shows that Scenarios row (its empty cells take this sheet's values)."
)


def write_inputs(wb, ws, layout: Layout) -> None:
    styles.title(
        ws,
        "Inputs",
        "Orange (Input-style) cells are inputs: change them. Everything else is "
        "calculated or fixed. Units are base units (bytes, seconds, USD); "
        "an empty optional input takes the catalogue's figure.",
    )
    _selector(wb, ws, layout)
    styles.header(ws, INPUTS_HEADER, COLUMNS)
    for q in INPUTS:
        _input_row(wb, ws, layout, q)
    styles.section(ws, layout.projection_section, "Projection", len(COLUMNS))
    for q in PROJECTION_INPUTS:
        _input_row(wb, ws, layout, q, locked=q.name == "months")
    styles.section(
        ws, layout.constants_section, "Constants used by the formulas (fixed)", len(COLUMNS)
    )
    for c in CONSTANTS:
        row = layout.input_row[c.name]
        _describe(ws, row, c.label, c.value, c.unit, c.name, c.source)
        ws.cell(row, 2).style = "Calculation"
        ws.cell(row, 2).number_format = "#,##0"
        _name(wb, c.name, absolute("Inputs", 2, row))
    styles.widths(ws, (40, 20, 20, 26, 90, 13, 13, 16, 60))
    ws.freeze_panes = ws.cell(INPUTS_HEADER + 1, 1)
    ws.print_title_rows = f"{INPUTS_HEADER}:{INPUTS_HEADER}"
    ws.protection.sheet = True


def _selector(wb, ws, layout: Layout) -> None:
    row = SELECTOR_ROW
    _describe(ws, row, "Scenario shown on the Estimate", None, "name", "scenario", SELECTOR_NOTE)
    ws.cell(row, 2).style = "Input"
    ws.cell(row, 2).protection = styles.UNLOCKED
    names = f"Scenarios!$A${layout.scenario_first}:$A${layout.scenario_last + 50}"
    check = DataValidation(
        type="list",
        formula1=names,
        allow_blank=True,
        errorStyle="warning",
        promptTitle="Scenario shown",
        prompt=SELECTOR_NOTE[:255],
    )
    check.add(ws.cell(row, 2))
    ws.add_data_validation(check)
    _name(wb, "scenario", absolute("Inputs", 2, row))
    found = f"MATCH(scenario,{layout.scenario_range('scenario')},0)"
    row = SCENARIO_ROW_ROW
    _describe(
        ws,
        row,
        "Row of that scenario (calculated)",
        None,
        "row",
        "scenario_row",
        "Empty when the Estimate shows this sheet's values.",
    )
    ws.cell(row, 2, f'=IF(scenario="","",IF(ISNUMBER({found}),{found},""))')
    ws.cell(row, 2).style = "Calculation"
    _name(wb, "scenario_row", absolute("Inputs", 2, row))


def _input_row(wb, ws, layout: Layout, q: Input, locked: bool = False) -> None:
    row = layout.input_row[q.name]
    value = q.default
    note = f"{q.description} Source: {q.source}."
    if locked:
        note += f" The Projection sheet has {layout.projection_months} rows: rebuild to change."
    _describe(ws, row, q.label, value, q.unit, q.name, note)
    cell = ws.cell(row, 2)
    cell.style = "Calculation" if locked else "Input"
    cell.number_format = styles.number_format(q.unit)
    if not locked:
        cell.protection = styles.UNLOCKED
        _validate(ws, cell, q, layout)
    for column, bound in ((LOW_COLUMN, q.low), (HIGH_COLUMN, q.high)):
        if bound is not None:
            ws.cell(row, column, bound).style = "Note"
    if q.default is not None:
        ws.cell(row, DEFAULT_COLUMN, q.default).style = "Note"
        ws.cell(row, DEFAULT_COLUMN).number_format = cell.number_format
    ws.cell(row, ACCEPTS_COLUMN, accepts_formula(q, row)).style = "Note"
    _name(wb, q.name, absolute("Inputs", 2, row))


def _describe(ws, row, label, value, unit, name, note) -> None:
    for column, text in enumerate((label, value, unit, name, note), start=1):
        ws.cell(row, column, text)


def _validate(ws, cell, q: Input, layout: Layout) -> None:
    prompt = f"{q.description} Accepts {q.accepts}."
    if q.default is None:
        prompt += " Leave empty for the catalogue's figure."
    kwargs = dict(
        allow_blank=True,
        promptTitle=q.label[:32],
        prompt=prompt[:255],
        error=f"{q.label} accepts {q.accepts}."[:255],
        errorTitle=q.label[:32],
    )
    if q.kind == "name":
        table = "gpus" if q.name == "gpu" else "precisions"
        first, last = layout.catalog_rows[table]
        check = DataValidation(
            type="list",
            formula1=f"Catalog!$A${first + 1}:$A${last}",
            errorStyle="warning",
            **kwargs,
        )
    else:
        check = DataValidation(type="whole" if q.integer else "decimal", **_bounds(q), **kwargs)
    check.add(cell)
    ws.add_data_validation(check)


def _bounds(q: Input) -> dict:
    if q.low is not None and q.high is not None:
        return {"operator": "between", "formula1": f"{q.low:g}", "formula2": f"{q.high:g}"}
    if q.low is not None:
        return {
            "operator": "greaterThan" if q.low_open else "greaterThanOrEqual",
            "formula1": f"{q.low:g}",
        }
    return {"operator": "lessThanOrEqual", "formula1": f"{q.high:g}"}


def _name(wb, name: str, target: str) -> None:
    wb.defined_names[name] = DefinedName(name, attr_text=target)


# What an input accepts, in words: the Checks sheet's messages quote it -----------------------
def name_choices(q: Input) -> str:
    """``one of A100, A100-80GB, ...``: the catalogue names, as formulas' UnknownNameError."""
    names = catalog.gpu_names() if q.name == "gpu" else catalog.precision_names()
    return "one of " + ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")


def _number_text(x: float) -> str:
    """A number as ``&`` turns it into text in Excel and LibreOffice (for the bounds)."""
    return repr(int(x)) if float(x).is_integer() else repr(float(x))


def _accepts_parts(q: Input, row: int) -> list[tuple[str, object]]:
    """The accepts text as pieces: ("text", str) or ("cell", (column, bound value))."""
    if q.kind == "name":
        return [("text", name_choices(q))]
    what = "a whole number" if q.integer else "a number"
    low, high = (LOW_COLUMN, q.low), (HIGH_COLUMN, q.high)
    if q.low is not None and q.high is not None:
        parts = [
            ("text", f"{what} in {'(' if q.low_open else '['}"),
            ("cell", low),
            ("text", ", "),
            ("cell", high),
            ("text", ")" if q.high_open else "]"),
        ]
    elif q.low is not None:
        parts = [("text", f"{what} {'>' if q.low_open else '>='} "), ("cell", low)]
    elif q.high is not None:
        parts = [("text", f"{what} {'<' if q.high_open else '<='} "), ("cell", high)]
    else:
        parts = [("text", what)]
    if q.hint:
        parts.append(("text", f" {q.hint}"))
    return parts


def accepts_formula(q: Input, row: int) -> str:
    """The Accepts column: formulas' ``Input.accepts``, with the bounds read from this row's
    Lower bound and Upper bound cells (so editing a bound edits the messages too)."""
    pieces = []
    for kind, value in _accepts_parts(q, row):
        if kind == "cell":
            pieces.append(f"{get_column_letter(value[0])}{row}")
        else:
            pieces.append('"' + value.replace('"', '""') + '"')
    return "=" + "&".join(pieces)


def accepts_text(q: Input) -> str:
    """What :func:`accepts_formula` shows (the cached value): ``Input.accepts``, except that
    a bound of 1,000 or more has no thousands separator (``&`` writes plain digits)."""
    return "".join(
        value if kind == "text" else _number_text(value[1]) for kind, value in _accepts_parts(q, 0)
    )
