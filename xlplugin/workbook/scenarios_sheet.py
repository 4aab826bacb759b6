"""The Scenarios sheet: one scenario per table row, every output calculated across.

A blank input cell means "the Inputs sheet's value" (through that input's workbook
name), so a row only states what differs. Formulas use plain row-relative references,
which LibreOffice evaluates and Excel's table auto-fill copies to a row a user adds
(each formula column is a calculated column of the table).
"""

from __future__ import annotations

import math

import pandas as pd
from openpyxl.cell import Cell
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.table import Table, TableColumn, TableFormula, TableStyleInfo

from xlplugin.formulas.vocabulary import INPUT, INPUTS, OUTPUTS

from . import styles
from .checks_sheet import input_test
from .estimate_sheet import default_ref
from .excel_formulas import HELPER_LABELS, STEPS, render
from .inputs_sheet import HIGH_COLUMN, LOW_COLUMN
from .layout import SCENARIOS_HEADER, Layout

__all__ = ["default_scenarios", "row_formulas", "write_scenarios"]

_ROW = "\u00a7"  # stands for the row number in a column's formula template
_SEED = {
    "dau": 100e6,
    "requests_per_user": 10,
    "params": 8.1e9,
    "precision": "FP16",
    "gpu": "A100",
    "steps": 100,
    "utilization": 1.0,
    "peak_factor": 1.0,
    "headroom": 0.0,
    "profile_bytes": 10e3,
    "stored_bytes_per_request": 1e6,
    "index_overhead": 0.25,
    "request_bytes": 2e3,
    "response_bytes": 1e6,
}
_PLANNING = {"utilization": 0.4, "peak_factor": 2.5, "headroom": 0.2}


BAD_ROW = "check this row: an input is outside what the Inputs sheet accepts"
BAD_ROW_NAME = "bad_row"


def default_scenarios() -> pd.DataFrame:
    """The preloaded scenarios: the seed, a planning case and its variations."""
    rows = [
        {"scenario": "Seed (theoretical)", **_SEED},
        {"scenario": "Planning (A100)", **_PLANNING},
        {"scenario": "Planning H100", **_PLANNING, "gpu": "H100"},
        {"scenario": "Planning H200", **_PLANNING, "gpu": "H200"},
        {"scenario": "Planning H100 FP8", **_PLANNING, "gpu": "H100", "precision": "FP8"},
        {
            "scenario": "Planning 1024x1024 images",
            **_PLANNING,
            "stored_bytes_per_request": 4e6,
            "response_bytes": 4e6,
        },
        {"scenario": "Planning 10x DAU", **_PLANNING, "dau": 1e9},
    ]
    return pd.DataFrame(rows, columns=["scenario"] + [q.name for q in INPUTS])


def input_ref(name: str, letter: str, default: str = "") -> str:
    """A scenario's input: its own cell, or the Inputs sheet's value when blank (and that
    input's default, ``default`` a cell reference, when the Inputs cell is empty too)."""
    cell = f"{letter}{_ROW}"
    if INPUT[name].default is None:
        return f'IF({cell}="",IF(ISNUMBER({name}),{name},""),{cell})'
    return f'IF({cell}="",IF({name}="",{default},{name}),{cell})'


def row_formulas(layout: Layout) -> dict[str, str]:
    """Column name -> formula template for one row (the row number as a placeholder)."""
    refs = {
        q.name: input_ref(q.name, layout.scenario_letter(q.name), default_ref(layout, q.name))
        for q in INPUTS
    }
    refs |= {step: f"{layout.scenario_letter(step)}{_ROW}" for step in STEPS}
    formulas = {step: render(template, refs) for step, template in STEPS.items()}
    # A row whose own cells hold a bad value shows a sentence, not numbers computed from
    # it (a negative dau would otherwise give negative GPUs that look like a result).
    valid = f"{layout.scenario_letter('inputs_valid')}{_ROW}"
    formulas["inputs_valid"] = f"=IFERROR(AND({_row_tests(layout)}),FALSE)"
    for o in OUTPUTS:
        formulas[o.name] = f"=IF({valid},{formulas[o.name][1:]},{BAD_ROW_NAME})"
    fits = (
        f"AND(ISNUMBER({refs['total_usd_per_month']}),"
        f"{refs['gpus_per_replica']}<={refs['max_gpus_per_replica']})"
    )
    formulas["ok"] = f"=IF(ISERROR({fits}),FALSE,{fits})"
    return formulas


def _row_tests(layout: Layout) -> str:
    """Tests of a row's own cells (empty ones take the Inputs sheet's checked values).

    Written with few references to the row, since each one is repeated in every row of a
    10,000-scenario workbook: numbers only in number columns (COUNTA = COUNT counts text,
    TRUE/FALSE and error values), and one COUNTIF per bound, which skips empty cells.
    """
    cell = {q.name: f"{layout.scenario_letter(q.name)}{_ROW}" for q in INPUTS}
    low_letter, high_letter = get_column_letter(LOW_COLUMN), get_column_letter(HIGH_COLUMN)
    numeric = [q for q in INPUTS if q.kind == "number"]
    runs = _runs([layout.scenario_column[q.name] for q in numeric])
    ranges = ",".join(f"{get_column_letter(a)}{_ROW}:{get_column_letter(b)}{_ROW}" for a, b in runs)
    tests = [f"COUNTA({ranges})=COUNT({ranges})"]
    bounds = []
    for q in numeric:
        row = layout.input_row[q.name]
        if q.low is not None:
            op = "<=" if q.low_open else "<"
            bounds.append(f'COUNTIF({cell[q.name]},"{op}"&Inputs!${low_letter}${row})')
        if q.high is not None:
            op = ">=" if q.high_open else ">"
            bounds.append(f'COUNTIF({cell[q.name]},"{op}"&Inputs!${high_letter}${row})')
        if q.integer:
            tests.append(f"INT({cell[q.name]})={cell[q.name]}")
    tests.append(f"NOT({'+'.join(bounds)})")  # no bound is broken
    for q in INPUTS:
        if q.kind == "name":
            tests.append(f'OR({cell[q.name]}="",{input_test(layout, q, cell[q.name])})')
    return ",".join(tests)


def _runs(columns: list[int]) -> list[tuple[int, int]]:
    """Contiguous runs in a sorted list of column numbers, as (first, last)."""
    runs = []
    for column in columns:
        if runs and runs[-1][1] == column - 1:
            runs[-1] = (runs[-1][0], column)
        else:
            runs.append((column, column))
    return runs


def write_scenarios(ws, layout: Layout, scenarios: pd.DataFrame) -> None:
    # The sentence is a named constant: written once, not in 19 cells of every row.
    ws.parent.defined_names[BAD_ROW_NAME] = DefinedName(BAD_ROW_NAME, attr_text=f'"{BAD_ROW}"')
    styles.title(
        ws,
        "Scenarios",
        "One scenario per row. An empty input cell takes the "
        "Inputs sheet's value. Add a row by typing a name under the table: its "
        "formulas fill in. Pick a scenario on the Inputs sheet to see it on the "
        "Estimate.",
    )
    _headers(ws, layout)
    templates = row_formulas(layout)
    names = list(layout.scenario_column)
    looks = _looks(ws, names, templates)
    first = layout.scenario_first
    assert ws.max_row == first - 1, "the rows are appended right under the header"
    for offset, record in enumerate(scenarios.itertuples(index=False)):
        _write_row(
            ws,
            first + offset,
            dict(zip(scenarios.columns, record, strict=True)),
            names,
            templates,
            looks,
        )
    _table(ws, layout, templates)
    # Byte counts run to 20+ digits with separators; the rest fit narrower columns.
    styles.widths(ws, [28] + [24 if _unit(n).startswith(("B", "FLOP")) else 16 for n in names[1:]])
    ws.freeze_panes = ws.cell(first, 2)
    ws.print_title_rows = f"{SCENARIOS_HEADER}:{SCENARIOS_HEADER}"


def _unit(name: str) -> str:
    if name in INPUT and name not in STEPS:
        return INPUT[name].unit
    if name in HELPER_LABELS:
        return HELPER_LABELS[name][1]
    output = {o.name: o for o in OUTPUTS}.get(name)
    return output.unit if output else ""


def _headers(ws, layout: Layout) -> None:
    groups = {
        "scenario": "Scenario",
        INPUTS[0].name: "Inputs (empty = Inputs sheet value)",
        next(iter(HELPER_LABELS)): "Catalogue look-ups",
        OUTPUTS[0].name: "Outputs",
        "ok": "Check",
    }
    for name, column in layout.scenario_column.items():
        if name in groups:
            ws.cell(SCENARIOS_HEADER - 2, column, groups[name]).style = "Headline 4"
        ws.cell(SCENARIOS_HEADER - 1, column, _unit(name)).style = "Explanatory Text"
    styles.header(ws, SCENARIOS_HEADER, list(layout.scenario_column))


def _write_row(ws, row: int, values: dict, names: list, templates: dict, looks: list) -> None:
    number = str(row)
    cells = []
    for name, look in zip(names, looks, strict=True):
        if name in templates:
            value = templates[name].replace(_ROW, number)
        else:
            value = values.get(name)
            blank = value is None or (isinstance(value, float) and math.isnan(value))
            value = None if blank else _plain(value)
        cell = Cell(ws, value=value, style_array=StyleArray(look))
        if isinstance(value, str) and name not in templates:
            cell.data_type = "s"  # text, never a formula or an error ("=1+1", "#N/A")
        cells.append(cell)
    ws.append(cells)  # the next row: openpyxl places each cell without looking it up


def _looks(ws, names: list, templates: dict) -> list:
    """Each column's cell style (named style and number format), worked out once: setting
    them cell by cell costs openpyxl a named-style and a format look-up per cell."""
    looks = []
    for column, name in enumerate(names, start=1):
        model = Cell(ws)
        if column > 1 and name not in templates:
            model.style = "Input"
        model.number_format = styles.number_format(_unit(name))
        looks.append(model._style)
    return looks


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def _table(ws, layout: Layout, templates: dict) -> None:
    names = list(layout.scenario_column)
    ref = f"A{SCENARIOS_HEADER}:{get_column_letter(len(names))}{layout.scenario_last}"
    table = Table(displayName="ScenarioTable", ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=True)
    first = str(layout.scenario_first)
    table.tableColumns = [TableColumn(id=i, name=name) for i, name in enumerate(names, start=1)]
    for column in table.tableColumns:
        if column.name in templates:
            text = templates[column.name].replace(_ROW, first)[1:]
            column.calculatedColumnFormula = TableFormula(attr_text=text)
    ws.add_table(table)
