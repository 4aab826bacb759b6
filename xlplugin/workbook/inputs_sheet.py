"""The Inputs sheet: the scenario selector, every vocabulary input, and the constants."""

from __future__ import annotations

from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from formulas.vocabulary import INPUTS, PROJECTION_INPUTS, Input

from . import styles
from .excel_formulas import CONSTANTS
from .layout import INPUTS_HEADER, SCENARIO_ROW_ROW, SELECTOR_ROW, Layout, absolute

__all__ = ["write_inputs"]

COLUMNS = ("Label", "Value", "Unit", "Name", "Source / note", "Lower bound", "Upper bound")
SELECTOR_NOTE = ("Empty: the Estimate shows this sheet's values. A scenario name: the Estimate "
                 "shows that Scenarios row (its empty cells take this sheet's values).")


def write_inputs(wb, ws, layout: Layout) -> None:
    styles.title(ws, "Inputs", "Yellow cells are inputs: change them. Everything else is "
                 "calculated or fixed. Units are base units (bytes, seconds, USD); "
                 "an empty optional input takes the catalogue's figure.")
    _selector(wb, ws, layout)
    styles.header(ws, INPUTS_HEADER, COLUMNS)
    for q in INPUTS:
        _input_row(wb, ws, layout, q)
    styles.section(ws, layout.projection_section, "Projection", len(COLUMNS))
    for q in PROJECTION_INPUTS:
        _input_row(wb, ws, layout, q, locked=q.name == "months")
    styles.section(ws, layout.constants_section, "Constants used by the formulas (fixed)",
                   len(COLUMNS))
    for c in CONSTANTS:
        row = layout.input_row[c.name]
        _describe(ws, row, c.label, c.value, c.unit, c.name, c.source)
        ws.cell(row, 2).style = "Calculation"
        ws.cell(row, 2).number_format = "#,##0"
        _name(wb, c.name, absolute("Inputs", 2, row))
    styles.widths(ws, (40, 20, 20, 26, 90, 13, 13))
    ws.freeze_panes = ws.cell(INPUTS_HEADER + 1, 1)
    ws.print_title_rows = f"{INPUTS_HEADER}:{INPUTS_HEADER}"
    ws.protection.sheet = True


def _selector(wb, ws, layout: Layout) -> None:
    row = SELECTOR_ROW
    _describe(ws, row, "Scenario shown on the Estimate", None, "name", "scenario", SELECTOR_NOTE)
    ws.cell(row, 2).style = "Input"
    ws.cell(row, 2).protection = styles.UNLOCKED
    names = (f"Scenarios!$A${layout.scenario_first}:"
             f"$A${layout.scenario_last + 50}")
    check = DataValidation(type="list", formula1=names, allow_blank=True,
                           errorStyle="warning", promptTitle="Scenario shown",
                           prompt=SELECTOR_NOTE[:255])
    check.add(ws.cell(row, 2))
    ws.add_data_validation(check)
    _name(wb, "scenario", absolute("Inputs", 2, row))
    found = "MATCH(scenario,Scenarios!$A:$A,0)"
    row = SCENARIO_ROW_ROW
    _describe(ws, row, "Row of that scenario (calculated)", None, "row", "scenario_row",
              "Empty when the Estimate shows this sheet's values.")
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
    for column, bound in ((6, q.low), (7, q.high)):
        if bound is not None:
            ws.cell(row, column, bound).style = "Note"
    _name(wb, q.name, absolute("Inputs", 2, row))


def _describe(ws, row, label, value, unit, name, note) -> None:
    for column, text in enumerate((label, value, unit, name, note), start=1):
        ws.cell(row, column, text)


def _validate(ws, cell, q: Input, layout: Layout) -> None:
    prompt = f"{q.description} Accepts {q.accepts}."
    if q.default is None:
        prompt += " Leave empty for the catalogue's figure."
    kwargs = dict(allow_blank=True, promptTitle=q.label[:32], prompt=prompt[:255],
                  error=f"{q.label} accepts {q.accepts}."[:255], errorTitle=q.label[:32])
    if q.kind == "name":
        table = "gpus" if q.name == "gpu" else "precisions"
        first, last = layout.catalog_rows[table]
        check = DataValidation(type="list", formula1=f"Catalog!$A${first + 1}:$A${last}",
                               errorStyle="warning", **kwargs)
    else:
        check = DataValidation(type="whole" if q.integer else "decimal", **_bounds(q), **kwargs)
    check.add(cell)
    ws.add_data_validation(check)


def _bounds(q: Input) -> dict:
    if q.low is not None and q.high is not None:
        return {"operator": "between", "formula1": f"{q.low:g}", "formula2": f"{q.high:g}"}
    if q.low is not None:
        return {"operator": "greaterThan" if q.low_open else "greaterThanOrEqual",
                "formula1": f"{q.low:g}"}
    return {"operator": "lessThanOrEqual", "formula1": f"{q.high:g}"}


def _name(wb, name: str, target: str) -> None:
    wb.defined_names[name] = DefinedName(name, attr_text=target)
