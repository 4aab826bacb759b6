"""The Inputs sheet: the scenario selector, every vocabulary input, and the constants."""

from __future__ import annotations

from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.pagebreak import Break

from xlplugin.formulas import catalog
from xlplugin.formulas.vocabulary import INPUTS, PROJECTION_INPUTS, Input, bound_text

from . import styles
from .excel_formulas import CONSTANTS
from .layout import (
    FLAG_COLUMN,
    INPUTS_HEADER,
    SCENARIO_ROW_ROW,
    SELECTOR_ROW,
    SWING_DEFAULT,
    SWING_NAME,
    SWUNG,
    WHY_SPAN,
    Layout,
    absolute,
)

__all__ = [
    "ACCEPTS_COLUMN",
    "DEFAULT_COLUMN",
    "SWING",
    "SWING_HIGH_COLUMN",
    "SWING_LOW_COLUMN",
    "accepts_formula",
    "accepts_text",
    "input_validation",
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
    "Sensitivity: low",
    "Sensitivity: high",
)
NAME_COLUMN, LOW_COLUMN, HIGH_COLUMN, DEFAULT_COLUMN, ACCEPTS_COLUMN = 4, 6, 7, 8, 9
SWING_LOW_COLUMN, SWING_HIGH_COLUMN = 10, 11
WIDTHS = (30, 15, 17, 26, 42, 14, 9, 12, 28, 12, 12)  # F: "≥ 1.0 TFLOP/s"
# Text columns right of a column of numbers: a space apart (styles.text_alignment).
_INDENTED = (COLUMNS.index("Unit") + 1, NAME_COLUMN, ACCEPTS_COLUMN)
SELECTOR_NOTE = (
    "Empty: the Estimate shows this sheet's values. A scenario name: the Estimate "
    "shows that Scenarios row (its empty cells take this sheet's values)."
)
SWING_NOTE = (
    "Sensitivity: low and high values of the inputs the Sensitivity sheet swings. An empty "
    "cell is the Estimate's value minus or plus this share (within the input's bounds)."
)
# Where a range is plain, the sensitivity's low and high values are given; the other
# swung inputs go down and up by sensitivity_swing from the value in use.
SWING_DEFAULTS = {"headroom": (None, 0.25)}


def write_inputs(wb, ws, layout: Layout) -> None:
    styles.title(
        ws,
        "Inputs",
        "Orange (Input-style) cells are inputs: change them. Everything else is "
        "calculated or fixed. Values are in base units (bytes, seconds, USD), shown scaled "
        "(GB, Gbit/s, $k); an empty optional input takes the catalogue's figure.",
    )
    styles.master_flag(ws, FLAG_COLUMN["Inputs"], span=WHY_SPAN["Inputs"])
    _selector(wb, ws, layout)
    styles.header(ws, INPUTS_HEADER, COLUMNS)
    for q in INPUTS:
        _input_row(wb, ws, layout, q)
    styles.section(ws, layout.serving_section, "Serving model", len(COLUMNS))
    # The workload's rows fill the first page: the serving model's heading opens the next
    # (it printed alone at the foot of the first).
    ws.row_breaks.append(Break(id=layout.serving_section - 1))
    styles.section(ws, layout.projection_section, "Projection and sensitivity", len(COLUMNS))
    for q in PROJECTION_INPUTS:
        _input_row(wb, ws, layout, q, locked=q.name == "months")
    _swing_row(wb, ws, layout)
    styles.section(
        ws, layout.constants_section, "Constants used by the formulas (fixed)", len(COLUMNS)
    )
    ws.row_breaks.append(Break(id=layout.constants_section - 1))  # the constants print whole
    for c in CONSTANTS:
        row = layout.input_row[c.name]
        _describe(ws, row, c.label, c.value, c.unit, c.name, c.source)
        ws.cell(row, 2).style = "Note"  # a fixed reference figure (the legend's Note)
        ws.cell(row, 2).number_format = "#,##0"
        _name(wb, c.name, absolute("Inputs", 2, row))
    styles.widths(ws, WIDTHS)
    for column in (COLUMNS.index("Unit") + 1, NAME_COLUMN):
        rows = range(INPUTS_HEADER + 1, layout.inputs_last + 1)
        styles.fit_width(ws, column, [ws.cell(row, column).value for row in rows], indent=1)
    accepts = {layout.input_row[q.name]: accepts_text(q) for q in INPUTS + PROJECTION_INPUTS}
    sections = (layout.serving_section, layout.projection_section, layout.constants_section)
    for row in range(INPUTS_HEADER + 1, layout.inputs_last + 1):
        if row in sections or ws.cell(row, 1).value is None:
            continue
        for column in range(1, len(COLUMNS) + 1):
            ws.cell(row, column).alignment = styles.text_alignment(
                "top", wrap_text=column in (1, 5, ACCEPTS_COLUMN), indent=column in _INDENTED
            )
        texts = {1: ws.cell(row, 1).value, 5: ws.cell(row, 5).value}
        # (a word's worth of room more: the sheet draws its bounds wider than counted)
        texts[ACCEPTS_COLUMN] = f"{accepts.get(row, ws.cell(row, ACCEPTS_COLUMN).value)} xxxxxx"
        styles.fit_height(ws, row, texts)
    ws.row_dimensions[INPUTS_HEADER].height = 30  # two-line headers
    styles.wrap_subtitle(ws, 8)
    ws.freeze_panes = ws.cell(INPUTS_HEADER + 1, 2)
    ws.print_title_rows = f"{INPUTS_HEADER}:{INPUTS_HEADER}"
    ws.protection.sheet = True


def _selector(wb, ws, layout: Layout) -> None:
    row = SELECTOR_ROW
    _describe(ws, row, "Scenario shown on the Estimate", None, "name", "scenario", SELECTOR_NOTE)
    ws.cell(row, 2).style = "Input"
    ws.cell(row, 2).protection = styles.UNLOCKED
    names = layout.scenario_range("scenario")
    check = DataValidation(
        type="list",
        formula1=names,
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=True,
        errorStyle="stop",
        promptTitle="Scenario shown",
        prompt=SELECTOR_NOTE[:255],
        errorTitle="Scenario shown",
        error="Pick a name from the Scenarios sheet's first column, or leave the cell empty.",
    )
    check.add(ws.cell(row, 2))
    ws.add_data_validation(check)
    _name(wb, "scenario", absolute("Inputs", 2, row))
    found = f"MATCH(scenario,{layout.scenario_range('scenario')},0)"
    row = SCENARIO_ROW_ROW
    _describe(
        ws,
        row,
        "Row in the Scenarios table",
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
    cell.style = "Note" if locked else "Input"  # fixed: a reference figure, not a formula
    cell.number_format = styles.number_format(q.unit)
    if not locked:
        cell.protection = styles.UNLOCKED
        ws.add_data_validation(input_validation(q, cell.coordinate))
    for column, bound, sign in (
        (LOW_COLUMN, q.low, ("0 or " if q.zero_allowed else "") + (">" if q.low_open else "≥")),
        (HIGH_COLUMN, q.high, "<" if q.high_open else "≤"),
    ):
        if bound is not None and (q.kind != "name" or q.name == "gpu"):  # GPU: as FLOP/s
            shown = ws.cell(row, column, bound)
            shown.style = "Note"
            # (the GPU's bound is a FLOP/s number)
            unit = "FLOP/s" if q.name == "gpu" else q.unit
            shown.number_format = styles.bound_format(sign, bound, unit)
    if q.default is not None:
        ws.cell(row, DEFAULT_COLUMN, q.default).style = "Note"
        ws.cell(row, DEFAULT_COLUMN).number_format = cell.number_format
    ws.cell(row, ACCEPTS_COLUMN, accepts_formula(q, row)).style = "Note"
    if q.name in SWUNG:
        low, high = SWING_DEFAULTS.get(q.name, (None, None))
        for column, value in ((SWING_LOW_COLUMN, low), (SWING_HIGH_COLUMN, high)):
            swing = ws.cell(row, column, value)
            swing.style = "Input"
            swing.number_format = cell.number_format
            swing.protection = styles.UNLOCKED
            ws.add_data_validation(input_validation(q, swing.coordinate))
    _name(wb, q.name, absolute("Inputs", 2, row))


# The share the Sensitivity sheet swings an input by: the workbook's own input, with the
# vocabulary's fields so that it is validated and checked as the others are.
SWING = Input(
    SWING_NAME,
    "fraction",
    SWING_DEFAULT,
    "Sensitivity swing",
    "Share an input goes down and up by on the Sensitivity sheet (0.25 = 25 %).",
    "the issue's default of +-25 % where a range is not obvious",
    low=0.0,
    high=1.0,
    high_open=True,
)


def _swing_row(wb, ws, layout: Layout) -> None:
    """The share the Sensitivity sheet swings an input by when its low or high is empty."""
    row = layout.input_row[SWING_NAME]
    _describe(ws, row, SWING.label, SWING.default, SWING.unit, SWING_NAME, SWING_NOTE)
    cell = ws.cell(row, 2)
    cell.style, cell.number_format, cell.protection = "Input", "0.0%", styles.UNLOCKED
    for column, sign in ((LOW_COLUMN, ">"), (HIGH_COLUMN, "<")):
        bound = ws.cell(row, column, SWING.low if column == LOW_COLUMN else SWING.high)
        bound.style, bound.number_format = "Note", styles.bound_format(sign)
    ws.cell(row, DEFAULT_COLUMN, SWING.default).style = "Note"
    ws.cell(row, DEFAULT_COLUMN).number_format = "0.0%"
    ws.cell(row, ACCEPTS_COLUMN, SWING.accepts).style = "Note"
    ws.add_data_validation(input_validation(SWING, cell.coordinate))
    _name(wb, SWING_NAME, absolute("Inputs", 2, row))


def _describe(ws, row, label, value, unit, name, note) -> None:
    for column, text in enumerate((label, value, unit, name, note), start=1):
        ws.cell(row, column, text)


# Data validation: the Inputs cells, the Sensitivity's low and high, the Scenarios columns ----
def input_validation(q: Input, cells: str) -> DataValidation:
    """The data validation of input ``q`` over ``cells`` (``"B8"``, ``"C6:C105"``): an
    input message saying what it accepts and a stop alert that refuses anything else
    (bounds as they are: > 0 is not >= 0; whole numbers where the input is one).

    GPU and precision offer the Catalog's names (the ``catalog_gpu_name`` and
    ``catalog_precision_name`` ranges, which grow when rows are inserted in the tables);
    a GPU may also be a FLOP/s number, so its alert warns instead of refusing. Empty cells
    are allowed (they take the default). Add the result with ``ws.add_data_validation``.
    """
    first = cells.split(":")[0].replace("$", "")
    prompt = f"{q.description} Accepts {_accepts_plain(q)}."
    if q.default is None:
        prompt += f" Leave empty for {q.blank}."
    kwargs = dict(
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=True,
        promptTitle=q.label[:32],
        prompt=prompt[:255],
        errorTitle=q.label[:32],
    )
    if q.kind == "name":
        names = catalog_list(q) or '"' + ",".join(choices(q)) + '"'
        error = f"{q.label} accepts {name_choices(q)}" + (
            " (see the Catalog sheet)." if catalog_list(q) else "."
        )
        if q.name == "gpu":
            error = (
                f"GPU accepts a Catalog name, or a peak FLOP/s number ≥ {q.low:,.0f}. "
                "Yes keeps what you typed; No lets you change it."
            )
        check = DataValidation(
            type="list",
            formula1=names,
            errorStyle="warning" if q.name == "gpu" else "stop",
            error=error[:255],
            **kwargs,
        )
    else:
        check = DataValidation(
            errorStyle="stop",
            error=f"{q.label} accepts {_accepts_plain(q)}."[:255],
            **_rule(q, first),
            **kwargs,
        )
    check.add(cells)
    return check


def _accepts_plain(q: Input) -> str:
    """``Input.accepts`` with the signs people write (≥, ≤) and no hint in parentheses."""
    if q.kind == "name":
        if choices(q):
            return "one of " + ", ".join(choices(q))
        flops = f" or a peak FLOP/s number ≥ {q.low:,.0f}" if q.name == "gpu" else ""
        return "a Catalog name" + flops
    what = "a whole number" if q.integer else "a number"
    if q.low is not None and q.high is not None:
        left, right = "(" if q.low_open else "[", ")" if q.high_open else "]"
        return f"{what} in {left}{q.low:,g}, {q.high:,g}{right}"
    if q.low is not None:
        zero = "0 or " if q.zero_allowed else ""
        return f"{zero}{what} {'>' if q.low_open else '≥'} {q.low:,g}"
    if q.high is not None:
        return f"{what} {'<' if q.high_open else '≤'} {q.high:,g}"
    return what


def _rule(q: Input, first: str) -> dict:
    """Type, operator and formulas of a number input's validation. Excel's ``between`` is
    closed at both ends, so a range open at one end is a custom formula of the first cell
    (relative: each cell of the range tests itself)."""
    kind = "whole" if q.integer else "decimal"
    low, high = q.low, q.high
    if low is not None and high is not None:
        if not (q.low_open or q.high_open):
            return {
                "type": kind,
                "operator": "between",
                "formula1": f"{low:g}",
                "formula2": f"{high:g}",
            }
        tests = [f"ISNUMBER({first})", f"{first}{'>' if q.low_open else '>='}{low:g}"]
        tests.append(f"{first}{'<' if q.high_open else '<='}{high:g}")
        if q.integer:
            tests.append(f"INT({first})={first}")
        return {"type": "custom", "formula1": f"AND({','.join(tests)})"}
    if low is not None and q.zero_allowed:
        above = f"{first}{'>' if q.low_open else '>='}{low:g}"
        return {"type": "custom", "formula1": f"AND(ISNUMBER({first}),OR({first}=0,{above}))"}
    if low is not None:
        operator = "greaterThan" if q.low_open else "greaterThanOrEqual"
        return {"type": kind, "operator": operator, "formula1": f"{low:g}"}
    if high is not None:
        operator = "lessThan" if q.high_open else "lessThanOrEqual"
        return {"type": kind, "operator": operator, "formula1": f"{high:g}"}
    return {"type": kind, "operator": "between", "formula1": "-1E+307", "formula2": "1E+307"}


def _name(wb, name: str, target: str) -> None:
    wb.defined_names[name] = DefinedName(name, attr_text=target)


# What an input accepts, in words: the Checks sheet's messages quote it -----------------------
def choices(q: Input) -> tuple[str, ...]:
    """The words a name input takes when they are not catalogue names (``modality``)."""
    return tuple(getattr(q, "choices", ()) or ())


def catalog_list(q: Input) -> str | None:
    """The Catalog range a name input's names come from (None: its own words)."""
    if q.kind != "name" or choices(q):
        return None
    return "catalog_gpu_name" if q.name == "gpu" else "catalog_precision_name"


def name_choices(q: Input) -> str:
    """``one of A100, A100-80GB, ...``: the catalogue names, as formulas' UnknownNameError."""
    if choices(q):
        return "one of " + ", ".join(choices(q))
    names = catalog.gpu_names() if q.name == "gpu" else catalog.precision_names()
    return "one of " + ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")


def _accepts_parts(q: Input, row: int) -> list[tuple[str, object]]:
    """The accepts text as pieces: ("text", str), or ("cell", (column, bound value)) of a
    range, or ("bound", (column, bound value)) alone."""
    if q.kind == "name":  # (gpu's FLOP/s floor: its Lower bound cell and input message;
        # the text stays formulas' message for an unknown name, which the checks quote)
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
    elif q.low is not None:  # a bound alone with its thousands separators, as formulas
        zero = "0 or " if q.zero_allowed else ""  # writes it (in a range, "[0, 1200]")
        parts = [("text", f"{zero}{what} {'>' if q.low_open else '>='} "), ("bound", low)]
    elif q.high is not None:
        parts = [("text", f"{what} {'<' if q.high_open else '<='} "), ("bound", high)]
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
        cell = f"{get_column_letter(value[0])}{row}" if kind != "text" else ""
        if kind == "bound":  # a whole one with thousands separators, as formulas writes it
            pieces.append(f'IF(INT({cell})={cell},FIXED({cell},0),{cell}&"")')
        elif kind == "cell":
            pieces.append(cell)
        else:
            pieces.append('"' + value.replace('"', '""') + '"')
    return "=" + "&".join(pieces)


def accepts_text(q: Input) -> str:
    """What :func:`accepts_formula` shows (the cached value): ``Input.accepts``."""
    return "".join(
        value if kind == "text" else bound_text(value[1]) if kind == "bound" else _g(value[1])
        for kind, value in _accepts_parts(q, 0)
    )


def _g(x: float) -> str:
    """A range's bound as ``&`` writes it in Excel and LibreOffice, and formulas with ``g``."""
    return f"{x:g}"
