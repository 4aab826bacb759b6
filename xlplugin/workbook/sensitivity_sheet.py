"""The Sensitivity sheet: each key input swung to a low and a high value, the total cost per
month and the GPUs at each, the inputs sorted by their effect on cost, and a tornado chart.

The base case is the one the Estimate shows (its inputs in use). An input's low and high
values are the Inputs sheet's (columns "Sensitivity: low" and "Sensitivity: high"), or,
where those are empty, the value in use minus and plus ``sensitivity_swing`` of it, kept
within the input's bounds (and whole where the input is). The cost and GPUs of a swung
case are the graph's own templates, rendered with the swung value in place of the input
(:func:`~xlplugin.workbook.excel_formulas.render`): every step that moves with the input
has its own cell in the case's row of the workings (right of the tables, out of the print
area), as on a Scenarios row, and reads the Estimate's cells for the steps that do not
move. Writing the steps out in place instead (``render(..., inline=...)``, as the
Projection does) repeats shared steps inside one formula: with the serving model, the
cost at a swung ``params`` would run to some 27,000 characters, past Excel's 8,192.

Sorting is by formula: each row's rank is the number of larger impacts plus the number of
equal ones at or above it (SUMPRODUCT, so ties keep the table's order), and row k of the
sorted table is the row whose rank is k (INDEX/MATCH); its impact is LARGE(impacts, k).
"""

from __future__ import annotations

import math

import pandas as pd
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break

from xlplugin import formulas
from xlplugin.formulas import graph
from xlplugin.formulas.estimate import steps_table
from xlplugin.formulas.graph import GRAPH
from xlplugin.formulas.vocabulary import INPUT

from . import styles
from .charts import SIGNED_USD_MILLIONS, SIGNED_USD_SMALLER, USD_IMPACT, tornado
from .checks_sheet import concurrency_check, fit_check, input_test
from .estimate_sheet import estimate_refs
from .excel_formulas import STEPS, descendants_in_excel, render
from .inputs_sheet import (
    HIGH_COLUMN,
    LOW_COLUMN,
    SWING_DEFAULTS,
    SWING_HIGH_COLUMN,
    SWING_LOW_COLUMN,
)
from .layout import (
    FLAG_COLUMN,
    SENSITIVITY_HEADER,
    SWING_DEFAULT,
    SWING_NAME,
    WHY_SPAN,
    Layout,
    absolute,
)

__all__ = [
    "RESULTS",
    "sensitivity_formulas",
    "sensitivity_values",
    "swung_value",
    "write_sensitivity",
]

# What each swing is measured on: the quantity and the sheet's columns for low and high.
RESULTS = {"total_usd_per_month": ("cost_low", "cost_high"), "gpu_count": ("gpus_low", "gpus_high")}
_HEADERS = {
    "label": "Input",
    "name": "Name",
    "base": "Base value (in use)",
    "low": "Low value",
    "high": "High value",
    "cost_low": "Total cost per month at low",
    "cost_high": "Total cost per month at high",
    "impact": "Impact on cost (high - low, absolute)",
    "gpus_low": "GPUs at low",
    "gpus_high": "GPUs at high",
    "rank": "Rank by impact",
}
_SORTED_HEADERS = {
    "rank": "Rank",
    "label": "Input",
    "low_delta": "Cost change at low",
    "high_delta": "Cost change at high",
    "impact": "Impact on cost",
    "gpus_low": "GPUs at low",
    "gpus_high": "GPUs at high",
}
BASE_COST, BASE_GPUS = "C3", "C4"
# When the swings mean nothing: a refused input, or no base case to swing from.
NO_BASE_CASE = f"OR(NOT(inputs_ok),NOT(ISNUMBER(${BASE_COST[0]}${BASE_COST[1:]})))"
WORKINGS_TITLE = (
    "Workings: each case's steps, every one from its own template (on screen, not printed)"
)
# The input as the graph uses it: a catalogue figure's resolved step.
_RESOLVED = {q.resolves: q.name for q in graph.steps() if q.resolves}


def _letter(layout: Layout, column: str) -> str:
    return get_column_letter(layout.sensitivity_column[column])


def _swing(layout: Layout, name: str, side: str) -> str:
    """The low (or high) value used: the Inputs cell, else the base less (plus) the swing,
    within the input's bounds."""
    q = INPUT[name]
    row = layout.input_row[name]
    given = absolute("Inputs", SWING_LOW_COLUMN if side == "low" else SWING_HIGH_COLUMN, row)
    base = layout.sensitivity_ref(name, "base")
    moved = f"{base}-{base}*{SWING_NAME}" if side == "low" else f"{base}+{base}*{SWING_NAME}"
    if side == "low" and q.low is not None:
        moved = f"MAX({moved},{absolute('Inputs', LOW_COLUMN, row)})"
    if side == "high" and q.high is not None:
        moved = f"MIN({moved},{absolute('Inputs', HIGH_COLUMN, row)})"
    if q.integer:
        moved = f"ROUND({moved},0)"
    # a base that is not a number (a bad input, which the Checks name) moves to nothing
    return f'=IF(ISNUMBER({given}),{given},IF(ISNUMBER({base}),{moved},""))'


def _estimate(layout: Layout) -> dict[str, str]:
    return {step: f"Estimate!{ref}" for step, ref in estimate_refs(layout).items()}


def workings_formulas(layout: Layout, name: str, side: str) -> dict[str, str]:
    """Step -> formula of a swung case's workings row: each step that moves with the input,
    from its own template, reading the swung value, the other steps of the row and the
    Estimate's cells for everything that does not move."""
    moved = [step for step in layout.workings_column if step in descendants_in_excel(name)]
    refs = _estimate(layout) | {name: layout.sensitivity_ref(name, side)}
    refs |= {step: layout.workings_ref(name, side, step) for step in moved}
    return {step: render(STEPS[step], refs) for step in moved}


def _result(layout: Layout, name: str, side: str, quantity: str) -> str:
    """Where a case's result is: its workings cell, or the Estimate's if it does not move."""
    if quantity == name:
        return layout.sensitivity_ref(name, side)
    if quantity in workings_formulas(layout, name, side):
        return layout.workings_ref(name, side, quantity)
    return _estimate(layout)[quantity]


class _Case(dict):
    """Placeholder -> the cell a swung case reads it from (:func:`_result`), looked up as
    the checks ask for them."""

    def __init__(self, layout: Layout, name: str, side: str):
        super().__init__()
        self.where = (layout, name, side)

    def __missing__(self, step: str) -> str:
        return _result(*self.where, step)


def _runs(layout: Layout, name: str, side: str) -> str:
    """TRUE when formulas would compute the swung case: it passes formulas' checks of the
    inputs together (the model fits, tensor_parallel within the cap, a replica runs a
    request within the targets; a high params may not fit)."""
    case = _Case(layout, name, side)
    return f"AND({fit_check(layout, case)[0]},{concurrency_check(layout, case)[0]})"


def sensitivity_formulas(layout: Layout, name: str) -> dict[str, str]:
    """Column -> formula of a swung input's row."""
    e = _estimate(layout)
    out = {
        "base": f"={e[_RESOLVED.get(name, name)]}",
        "low": _swing(layout, name, "low"),
        "high": _swing(layout, name, "high"),
    }
    for quantity, columns in RESULTS.items():
        for side, column in zip(("low", "high"), columns, strict=True):
            result = _result(layout, name, side, quantity)
            # a low or high value the input does not accept (the Checks name it) gives none
            value = layout.sensitivity_ref(name, side)
            test = f"AND({input_test(layout, INPUT[name], value)},{_runs(layout, name, side)})"
            out[column] = f'=IF(AND(inputs_ok,IFERROR({test},FALSE)),IFERROR({result},""),"")'
    low, high = (layout.sensitivity_ref(name, c) for c in RESULTS["total_usd_per_month"])
    out["impact"] = f"=IF(AND(ISNUMBER({low}),ISNUMBER({high})),ABS({high}-{low}),0)"
    impacts = _column_range(layout, "impact")
    impact = layout.sensitivity_ref(name, "impact").replace("$", "")
    above = f"{_column_range(layout, 'impact').split(':')[0]}:{impact}"
    # Comparisons made numbers by +0, not the usual "--", which PyPI's formulas engine
    # reads as 0 for an array of TRUE/FALSE (Excel and LibreOffice read both alike).
    out["rank"] = f"=SUMPRODUCT(({impacts}>{impact})+0)+SUMPRODUCT(({above}={impact})+0)"
    return out


def _column_range(layout: Layout, column: str) -> str:
    letter = _letter(layout, column)
    return f"${letter}${layout.sensitivity_first}:${letter}${layout.sensitivity_last}"


def _sorted_formulas(layout: Layout, row: int) -> dict[str, str]:
    rank = f"$A{row}"
    at = f"MATCH({rank},{_column_range(layout, 'rank')},0)"

    def pick(column: str) -> str:
        return f"INDEX({_column_range(layout, column)},{at})"

    return {
        "label": f"={pick('label')}",
        "low_delta": f'=IFERROR({pick("cost_low")}-{BASE_COST},"")',
        "high_delta": f'=IFERROR({pick("cost_high")}-{BASE_COST},"")',
        "impact": f"=LARGE({_column_range(layout, 'impact')},{rank})",
        "gpus_low": f"={pick('gpus_low')}",
        "gpus_high": f"={pick('gpus_high')}",
    }


def write_sensitivity(wb, ws, layout: Layout) -> None:
    styles.title(
        ws,
        "Sensitivity",
        "Each input at its low and high value, every other input as the Estimate uses it: "
        "total cost per month and GPUs, then the inputs sorted by their effect on cost. Low "
        "and high values: Inputs columns J and K; empty, the value in use minus or plus the "
        "Sensitivity swing (Inputs), within the input's bounds; a case that does not fit, "
        "or runs no request within the targets, is left empty. An input the model in use "
        "does not read moves nothing: utilization is the seed's FLOPs formula's, the "
        "efficiencies are the roofline's, and an image transformer's work follows its layers "
        "and width, not its parameter count.",
    )
    styles.master_flag(ws, FLAG_COLUMN["Sensitivity"], span=WHY_SPAN["Sensitivity"])
    for row, label, ref, unit in (
        (3, "Base case: total cost per month", "total_usd_per_month", "USD/month"),
        (4, "Base case: GPUs", "gpu_count", "GPUs"),
    ):
        ws.cell(row, 1, label)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        cell = ws.cell(row, 3, f"=Estimate!{estimate_refs(layout)[ref]}")
        cell.style, cell.number_format = "Linked Cell", styles.number_format(unit)
        cell.alignment = Alignment(horizontal="right")  # a message: cut, not run into E3
    swing = ws.cell(3, 5, "Swing when low or high is empty")
    swing.alignment = Alignment(horizontal="right")
    link = ws.cell(3, 6, f"={SWING_NAME}")
    link.style, link.number_format = "Linked Cell", "0.0%"
    styles.header(ws, SENSITIVITY_HEADER, [_HEADERS[c] for c in layout.sensitivity_column])
    for name, row in layout.sensitivity_row.items():
        q = INPUT[name]
        ws.cell(row, 1, q.label)
        ws.cell(row, 2, name)
        for column, formula in sensitivity_formulas(layout, name).items():
            cell = ws.cell(row, layout.sensitivity_column[column], formula)
            cell.style = "Linked Cell" if column == "base" else "Calculation"
            cell.number_format = _format(column, q.unit)
    styles.section(ws, layout.sorted_header - 1, "Sorted by impact on total cost", 7)
    styles.header(ws, layout.sorted_header, list(_SORTED_HEADERS.values()))
    for rank, row in enumerate(range(layout.sorted_first, layout.sorted_last + 1), start=1):
        ws.cell(row, 1, rank).alignment = Alignment(horizontal="center")
        for column, formula in _sorted_formulas(layout, row).items():
            cell = ws.cell(row, layout.sorted_column[column], formula)
            cell.style = "Calculation"
            cell.number_format = _sorted_format(column)
    # Under a refused input every swing and impact is of nothing (a message, or the bad
    # value): drawn blank, as the Estimate's steps are, beside the red flag's reason. So
    # where the base case is no figure (the plugin variant without its add-in: #NAME?),
    # whose impacts would all read $0.0k, as if no input moved the cost.
    table = [c for n, c in layout.sensitivity_column.items() if n not in ("label", "name", "base")]
    sorted_ = [c for n, c in layout.sorted_column.items() if n != "rank"]
    for first, last, columns in (
        (min(layout.sensitivity_row.values()), max(layout.sensitivity_row.values()), table),
        (layout.sorted_first, layout.sorted_last, sorted_),
    ):
        ref = f"{get_column_letter(min(columns))}{first}:{get_column_letter(max(columns))}{last}"
        styles.hidden_when(ws, ref, NO_BASE_CASE)
    low, high = (get_column_letter(layout.sorted_column[c]) for c in ("low_delta", "high_delta"))
    deltas = f"{low}{layout.sorted_first}:{high}{layout.sorted_last}"
    styles.scaled_when_smaller(ws, deltas, SIGNED_USD_SMALLER)
    styles.widths(ws, (26, 30, 17, 17, 17, 17, 17, 17, 12, 12, 9))
    styles.fit_width(ws, 1, [ws.cell(row, 1).value for row in layout.sensitivity_row.values()])
    ws.row_dimensions[SENSITIVITY_HEADER].height = 45
    ws.row_dimensions[layout.sorted_header].height = 30
    styles.wrap_subtitle(ws, len(layout.sensitivity_column))
    chart = tornado(ws, layout)
    ws.add_chart(chart, f"A{layout.sorted_last + 3}")
    ws.row_breaks.append(Break(id=layout.sorted_last + 1))  # the chart prints whole
    _workings(ws, layout)
    last = get_column_letter(len(layout.sensitivity_column))
    # Down to the row under the chart (a default row is 15 pt, 0.529 cm): a printed object
    # is cut where the print area ends. The workings, to the right, stay on screen.
    below = layout.sorted_last + 3 + math.ceil(chart.height / _ROW_CM) + 1
    ws.print_area = f"A1:{last}{below}"
    ws.freeze_panes = ws.cell(SENSITIVITY_HEADER + 1, 2)
    ws.protection.sheet = True


def _workings(ws, layout: Layout) -> None:
    """The workings: each swung case's steps, in cells (out of the print area)."""
    lead = len(layout.sensitivity_column) + 2
    ws.cell(SENSITIVITY_HEADER - 1, lead, WORKINGS_TITLE).font = styles.SECTION_FONT
    labels = ["Input", "Case", "Value"] + [GRAPH[s].label for s in layout.workings_column]
    styles.header(ws, SENSITIVITY_HEADER, labels, first_column=lead)
    for (name, side), row in layout.workings_row.items():
        ws.cell(row, lead, name)
        ws.cell(row, lead + 1, side)
        value = ws.cell(row, lead + 2, f"={layout.sensitivity_ref(name, side)}")
        value.style, value.number_format = "Linked Cell", styles.number_format(INPUT[name].unit)
        for step, formula in workings_formulas(layout, name, side).items():
            cell = ws.cell(row, layout.workings_column[step], formula)
            cell.style = "Calculation"
            cell.number_format = styles.number_format(GRAPH[step].unit)
    ws.column_dimensions[get_column_letter(lead)].width = 24
    styles.fit_width(ws, lead, [name for name, _ in layout.workings_row])
    for column in layout.workings_column.values():
        ws.column_dimensions[get_column_letter(column)].width = 16


def _format(column: str, unit: str) -> str:
    if column in ("base", "low", "high"):
        return styles.number_format(unit)
    if column == "impact":
        return USD_IMPACT
    if column in ("cost_low", "cost_high"):
        return styles.number_format("USD/month")
    if column in ("gpus_low", "gpus_high"):
        return styles.number_format("GPUs")
    return "0"


_ROW_CM = 15 / 72 * 2.54  # a default row's height: 15 points


def _sorted_format(column: str) -> str:
    if column in ("low_delta", "high_delta"):
        return SIGNED_USD_MILLIONS
    if column == "impact":
        return USD_IMPACT
    if column in ("gpus_low", "gpus_high"):
        return styles.number_format("GPUs")
    return "General"


# Python's values of the same cells, for the workbook's cached values ------------------------
def _plain(value):
    """A value as a cell holds it: NaN (not given) is empty text, numpy numbers Python's."""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return value.item() if hasattr(value, "item") else value


def swung_value(name: str, base: float, side: str, swing: float = SWING_DEFAULT) -> float:
    """The low or high value the sheet uses when the Inputs cell holds the build's default."""
    given = SWING_DEFAULTS.get(name, (None, None))[0 if side == "low" else 1]
    if given is not None:
        return given
    q = INPUT[name]
    value = base - base * swing if side == "low" else base + base * swing
    if side == "low" and q.low is not None:
        value = max(value, q.low)
    if side == "high" and q.high is not None:
        value = min(value, q.high)
    if q.integer:
        value = float(math.floor(value + 0.5))
    return value


def sensitivity_values(layout: Layout) -> dict[str, object]:
    """Cell -> value of every formula cell of the sheet, for the Inputs sheet's defaults."""
    base = formulas.estimate()
    out: dict[str, object] = {
        BASE_COST: base["total_usd_per_month"],
        BASE_GPUS: base["gpu_count"],
        "F3": SWING_DEFAULT,
    }
    rows = {}
    lead = len(layout.sensitivity_column) + 2
    for name in layout.sensitivity_row:
        value = base[name]
        cells = {"base": value}
        for side in ("low", "high"):
            cells[side] = swung_value(name, value, side)
            result = formulas.estimate(**{name: cells[side]})
            for quantity, columns in RESULTS.items():
                cells[columns[0 if side == "low" else 1]] = result[quantity]
            row = layout.workings_row[(name, side)]
            out[f"{get_column_letter(lead + 2)}{row}"] = cells[side]
            steps = steps_table(pd.DataFrame([{name: cells[side]}])).iloc[0]
            for step in workings_formulas(layout, name, side):
                letter = get_column_letter(layout.workings_column[step])
                out[f"{letter}{row}"] = _plain(steps[step])
        cells["impact"] = abs(cells["cost_high"] - cells["cost_low"])
        rows[name] = cells
    impacts = [rows[name]["impact"] for name in layout.sensitivity_row]
    for i, name in enumerate(layout.sensitivity_row):
        mine = impacts[i]
        rows[name]["rank"] = sum(v > mine for v in impacts) + sum(
            v == mine for v in impacts[: i + 1]
        )
    for name, cells in rows.items():
        row = layout.sensitivity_row[name]
        for column, value in cells.items():
            out[f"{_letter(layout, column)}{row}"] = value
    ordered = sorted(rows.items(), key=lambda item: item[1]["rank"])
    for (name, cells), row in zip(
        ordered, range(layout.sorted_first, layout.sorted_last + 1), strict=True
    ):
        values = {
            "label": INPUT[name].label,
            "low_delta": cells["cost_low"] - base["total_usd_per_month"],
            "high_delta": cells["cost_high"] - base["total_usd_per_month"],
            "impact": cells["impact"],
            "gpus_low": cells["gpus_low"],
            "gpus_high": cells["gpus_high"],
        }
        for column, value in values.items():
            out[f"{get_column_letter(layout.sorted_column[column])}{row}"] = value
    return out
