"""A random sweep of the Inputs sheet against formulas: the workbook accepts what formulas
accepts, with its numbers, and refuses what formulas refuses, with its message.

Each case types one to four inputs, each within its own bounds (so that what is refused is
refused for how the inputs go together: a model that does not fit, a replica that runs no
request within the targets, a result that overflows), into a copy of the template; one
LibreOffice run recalculates them all. A sweep like this found three checks that failed
valid inputs or passed refused ones; the cases are drawn from a fixed seed.

Left out, as the README says: a demand of 1e11 GPUs or more, where LibreOffice's ROUNDUP
drops digits, and which input an overflow names (formulas searches for it; the sheet names
the output that overflows).
"""

from __future__ import annotations

import math
import random

import openpyxl
import pandas as pd
import pytest
from guards import needs_soffice
from test_workbook_guards import _comparable, _no_error_values, _typed_over_inputs, _write
from xlplugin.formulas import catalog
from xlplugin.formulas.vocabulary import INPUTS, OUTPUTS, Input

from xlplugin import formulas
from xlplugin.libreoffice import recalculate_many
from xlplugin.workbook.build import build_workbook
from xlplugin.workbook.layout import Layout

pytestmark = [pytest.mark.libreoffice, needs_soffice]
CASES, SEED = 48, 20261130
ROUNDUP_EXACT_BELOW = 1e11  # LibreOffice's ROUNDUP drops digits from here up


def _value(q: Input, rng: random.Random) -> object:
    """A value input ``q`` accepts, log-uniform over its range, with 10 significant digits
    (the sheet writes 15 of them in a message, formulas the shortest that reads back)."""
    if q.kind == "name":
        names = q.choices or (catalog.gpu_names() if q.name == "gpu" else None)
        return rng.choice(names or catalog.precision_names())
    low = q.low if q.low is not None else 1e-6
    high = q.high if q.high is not None else low * 1e12 + 1e12
    if q.unit.startswith("fraction") and not q.plain_above_one:
        high = min(high, 1.0)  # a cell's 20 is 2,000 %; formulas' 20 asks "did you mean 20%?"
    if q.integer:
        return float(rng.randint(max(1, math.ceil(low)), int(min(high, 4096))))
    if low <= 0:
        if rng.random() < 0.2 and not q.low_open:
            return 0.0
        low = 1e-9
    if high <= low:
        return low
    return float(f"{math.exp(rng.uniform(math.log(low), math.log(high))):.10g}")


def _cases() -> list[dict]:
    rng = random.Random(SEED)
    found = []
    while len(found) < CASES:
        picks = {}
        for _ in range(rng.randint(1, 4)):
            q = rng.choice(INPUTS)
            picks[q.name] = _value(q, rng)
        found.append(picks)
    return found


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    cases = _cases()
    layout, books = _typed_over_inputs(tmp_path_factory.mktemp("sweep"), cases)
    return layout, list(zip(cases, books, strict=True))


def _expected(picks: dict) -> dict | str:
    try:
        return formulas.estimate(**picks)
    except formulas.EstimateError as error:
        return str(error)


def test_the_sweep_reaches_both_outcomes(swept):
    _, cases = swept
    outcomes = [isinstance(_expected(picks), str) for picks, _ in cases]
    assert 3 <= sum(outcomes) <= len(cases) - 30, sum(outcomes)


@pytest.mark.parametrize("number", range(CASES))
def test_the_workbook_agrees_with_formulas(swept, number):
    layout, cases = swept
    picks, wb = cases[number]
    expected = _expected(picks)
    _no_error_values(wb, layout)
    holds, message = wb["Checks"]["B3"].value, wb["Checks"]["C3"].value
    if isinstance(expected, str):
        assert holds in (False, 0), (picks, expected)
        if "overflow" not in expected:
            assert _comparable(message) == _comparable(expected), (picks, message, expected)
        return
    if expected["gpu_count"] >= ROUNDUP_EXACT_BELOW:
        return  # LibreOffice's ROUNDUP (README, Limits of the model)
    assert holds in (True, 1), (picks, message)
    estimate = wb["Estimate"]
    for o in OUTPUTS:
        got = estimate.cell(layout.estimate_row[o.name], 2).value
        assert math.isclose(got, expected[o.name], rel_tol=1e-9), (picks, o.name, got)


def _fit_prefix(message: str) -> str:
    """A message up to the figures of a model that does not fit, which the sheet writes in
    full at sizes where formulas writes powers of ten (317000000000000, 3.17e+14)."""
    return _comparable(message).split(" GPUs: ")[0]


def test_scenarios_rows_agree_with_formulas(tmp_path):
    """The same kind of cases typed over Scenarios rows, 150 of them in one workbook: a
    row formulas accepts is ok with formulas' figures; a row it refuses is not ok and
    names formulas' first refusal (a replica that runs no request within the targets is
    judged by the ok column only; see checks_sheet.concurrency_check)."""
    from test_workbook_guards import no_request

    rng = random.Random(SEED + 1)
    rows = []
    for _ in range(150):
        picks = {}
        for _ in range(rng.randint(1, 4)):
            q = rng.choice(INPUTS)
            picks[q.name] = _value(q, rng)
        rows.append(picks)
    layout = Layout(len(rows))
    names = [f"case {i + 1}" for i in range(len(rows))]
    path = build_workbook(tmp_path / "rows.xlsx", pd.DataFrame({"scenario": names}))
    wb = openpyxl.load_workbook(path)
    for offset, picks in enumerate(rows):
        for name, value in picks.items():
            _write(wb["Scenarios"], layout.scenario_first + offset, value, name, layout)
    wb.save(path)
    (done,) = recalculate_many([path], tmp_path / "lo")
    sheet = openpyxl.load_workbook(done, data_only=True)["Scenarios"]
    refused = 0
    for offset, picks in enumerate(rows):
        cells = {
            n: sheet.cell(layout.scenario_first + offset, layout.scenario_column[n]).value
            for n in ("ok", "message", "gpu_count", "total_usd_per_month")
        }
        assert not any(str(v).startswith(("#", "Err:")) for v in cells.values()), cells
        expected = _expected(picks)
        if isinstance(expected, str):
            refused += 1
            assert cells["ok"] in (False, 0), (picks, expected)
            if no_request(expected):
                assert not cells["message"], (picks, cells)
            elif "overflow" not in expected:
                assert _fit_prefix(cells["message"] or "") == _fit_prefix(expected), (picks, cells)
        elif expected["gpu_count"] < ROUNDUP_EXACT_BELOW:
            assert cells["ok"] in (True, 1), (picks, cells)
            for name in ("gpu_count", "total_usd_per_month"):
                assert math.isclose(cells[name], expected[name], rel_tol=1e-9), (picks, name)
    assert 10 <= refused <= len(rows) - 50, refused
