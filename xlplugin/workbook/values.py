"""The value of every formula cell, computed by ``formulas``, to store as cached values.

A reader that does not calculate (Protected View, previews, pandas) then sees the same
numbers Excel and LibreOffice compute.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter

from xlplugin import formulas
from xlplugin.formulas import catalog
from xlplugin.formulas._arrays import is_blank, number_array
from xlplugin.formulas.estimate import steps_table as estimate_table_steps
from xlplugin.formulas.vocabulary import INPUT, INPUTS, PROJECTION_INPUTS

from .checks_sheet import FIRST_CHECK_ROW, GUARD_ROW, checks, in_range
from .estimate_sheet import overflow_workings_values
from .excel_formulas import STEPS
from .inputs_sheet import ACCEPTS_COLUMN, accepts_text
from .layout import SCENARIO_INHERITED, SCENARIO_ROW_ROW, Layout, in_use
from .projection_sheet import projection_formulas

__all__ = [
    "VALID_ROW",
    "cached_values",
    "canonical_names",
    "inputs_sheet_values",
    "numbers_as_cells",
    "scenario_inputs",
    "scenario_values",
]


def inputs_sheet_values() -> dict[str, object]:
    """The Inputs sheet's values as built: the vocabulary defaults."""
    return {q.name: q.default for q in INPUTS}


def canonical_names(frame: pd.DataFrame) -> pd.DataFrame:
    """Catalogue names in their catalogue spelling (Excel's MATCH knows no aliases), and a
    GPU written as FLOP/s text ("989T") as a number."""
    frame = frame.copy()
    if "gpu" in frame.columns:
        frame["gpu"] = frame["gpu"].astype(object).map(_canonical_gpu)
    if "precision" in frame.columns:
        frame["precision"] = (
            frame["precision"]
            .astype(object)
            .map(lambda v: v if is_blank(v) else catalog.canonical_precision(v))
        )
    return frame


def _canonical_gpu(value):
    if not isinstance(value, str) or is_blank(value):
        return value
    try:
        return catalog.canonical_gpu(value)  # names first: the alias "4090" is a GPU
    except formulas.UnknownNameError:
        return formulas.parse_quantity(value, "gpu")


def scenario_inputs(scenarios: pd.DataFrame) -> pd.DataFrame:
    """Each scenario's inputs with its blank cells filled from the Inputs sheet."""
    base = inputs_sheet_values()
    columns = {}
    for q in INPUTS:
        column = scenarios[q.name] if q.name in scenarios else pd.Series(np.nan, scenarios.index)
        if column.dtype.kind == "f" and q.kind == "number":  # numbers: NaN is blank, at once
            columns[q.name] = column if base[q.name] is None else column.fillna(base[q.name])
            continue
        blank = column.map(is_blank)
        columns[q.name] = column.astype(object).where(~blank, base[q.name])
    return pd.DataFrame(columns, index=scenarios.index)


def numbers_as_cells(scenarios: pd.DataFrame) -> pd.DataFrame:
    """``scenarios`` with number inputs given as text ("150%", "100M", as a scenario file
    keeps a fraction above 1) as the numbers the cells hold: a text cell would not be a
    number to the workbook's formulas. Already validated (:func:`scenario_values`)."""
    texts = [
        name
        for name in scenarios.columns
        if name in INPUT and INPUT[name].kind != "name" and scenarios[name].dtype == object
    ]
    if not texts:
        return scenarios
    cells = scenarios.copy()
    for name in texts:
        cells[name] = cells[name].map(lambda v, n=name: _number(n, v)).astype(float)
    return cells


def _number(name: str, value: object) -> float:
    return number_array(name, value) if isinstance(value, str) and not is_blank(value) else value


def _cell(value):
    """A value as Excel holds it: NaN (not given) is an empty string."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return value.item() if isinstance(value, np.generic) else value


def step_values(frame: pd.DataFrame) -> pd.DataFrame:
    """Every step of :data:`STEPS` for each row of complete inputs (a DataFrame)."""
    return estimate_table_steps(frame)


def cached_values(layout: Layout) -> dict[str, dict[str, object]]:
    """Sheet -> cell -> value for every formula cell of the workbook but the Scenarios
    rows (:func:`scenario_values`, streamed with the rows)."""
    base = pd.DataFrame([inputs_sheet_values()])
    steps = step_values(base).iloc[0]
    values = {
        "Inputs": _inputs(layout),
        "Estimate": {"B3": "Inputs sheet values", "E3": 1},  # the master flag: TRUE as 1
        "Projection": _projection(layout),
        "Checks": {},
        "Scenarios": {  # what an empty input cell of a row takes
            f"{layout.scenario_letter(q.name)}{SCENARIO_INHERITED}": _cell(base.iloc[0][q.name])
            for q in INPUTS
        },
    }
    estimate = values["Estimate"]
    for name, row in layout.estimate_row.items():
        value = steps[name] if name in STEPS else base.iloc[0][name]
        estimate[f"B{row}"] = _cell(value)
    used = {q.name: _cell(base.iloc[0][q.name]) for q in INPUTS}
    estimate |= overflow_workings_values(layout, used)
    values["Checks"] = _checks(layout, steps)
    return values


# The Scenarios check columns of a row that builds: every scenario was validated (a
# scenario ``formulas`` refuses stops the build before a row is written).
VALID_ROW = {
    "inputs_valid": True,
    "ok": True,
    "message": "",
    "bad_input": "",
    "fit_message": "",
}


def scenario_values(scenarios: pd.DataFrame) -> pd.DataFrame:
    """The value of every formula column of the Scenarios rows: each input as used and
    each step of :data:`STEPS` (NaN where Excel shows an empty string), and the check
    columns."""
    used = scenario_inputs(scenarios)
    steps = step_values(used) if len(scenarios) else pd.DataFrame()
    steps = steps.reindex(columns=list(STEPS))
    steps.index = scenarios.index
    columns = {in_use(q.name): _in_use_column(q, used[q.name]) for q in INPUTS}
    steps = pd.concat([pd.DataFrame(columns, index=scenarios.index), steps], axis=1)
    for name, value in VALID_ROW.items():
        steps[name] = value
    return steps


def _in_use_column(q, values: pd.Series) -> pd.Series:
    """An input as a row uses it; an optional input left empty everywhere is None or NaN
    (the empty string Excel shows). Numbers as floats, so that they stream as numbers."""
    if q.kind == "number" and values.dtype.kind == "f":
        return values
    if q.kind == "number":  # scenario_inputs left None only where no default applies
        return values.map(lambda v: _number(q.name, v)).astype(float)
    return values.astype(object)


def projection_frame(months: int | None = None) -> pd.DataFrame:
    """formulas.projection of the Inputs sheet, with the extra columns the sheet shows."""
    growth = INPUT["dau_growth"].default
    months = months or int(INPUT["months"].default)
    plan = formulas.projection(months=months, dau_growth=growth, **inputs_sheet_values())
    monthly = formulas.estimate(**{**inputs_sheet_values(), "dau": plan["dau"]})
    for name in (
        "peak_rps",
        "profile_storage_bytes",
        "interaction_storage_bytes_per_day",
        "storage_bytes_per_day",
    ):
        plan[name] = np.asarray(monthly[name])
    return plan


def _projection(layout: Layout) -> dict[str, object]:
    plan = projection_frame(layout.projection_months)
    out: dict[str, object] = {"B3": INPUT["dau_growth"].default}
    for offset, record in enumerate(plan.to_dict("records")):
        row = layout.projection_first + offset
        for name in projection_formulas(layout, row):
            out[f"{layout.projection_letter(name)}{row}"] = _cell(record[name])
    return out


def _checks(layout: Layout, steps: pd.Series) -> dict[str, object]:
    base = inputs_sheet_values()
    holds = [in_range(q, base[q.name]) for q in INPUTS]
    holds.append(steps["weights_gpus_per_replica"] <= base["max_gpus_per_replica"])
    holds.append(not pd.isna(steps["gpu_hourly_usd_used"]))
    holds.append(True)  # the scenario shown: none (the selector is left empty)
    holds.append(bool(steps["flops_model"]) or steps["concurrency_limit"] >= 1)
    holds.append(in_range(INPUT["dau_growth"], INPUT["dau_growth"].default))
    holds += [True] * (len(checks(layout)) - len(holds))  # outputs and consistency: hold
    assert len(holds) == len(checks(layout))
    assert all(holds), "the default build passes every check: its messages are empty"
    out: dict[str, object] = {}
    for row, h in enumerate(holds, start=FIRST_CHECK_ROW):
        out[f"B{row}"], out[f"C{row}"] = bool(h), ""
    out["B3"], out["C3"] = True, ""
    out[f"B{GUARD_ROW}"], out[f"C{GUARD_ROW}"] = True, ""
    return out


def _inputs(layout: Layout) -> dict[str, object]:
    out: dict[str, object] = {f"B{SCENARIO_ROW_ROW}": ""}
    letter = get_column_letter(ACCEPTS_COLUMN)
    for q in INPUTS + PROJECTION_INPUTS:
        out[f"{letter}{layout.input_row[q.name]}"] = accepts_text(q)
    return out
