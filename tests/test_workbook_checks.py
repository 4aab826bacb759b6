"""The Checks sheet's consistency checks can fail: each compares two independent routes to a
figure, so overwriting any cell it covers with a wrong number turns it, and the master
flag, FALSE (LibreOffice recalculates the broken copies)."""

from __future__ import annotations

import openpyxl
import pytest
from guards import needs_soffice

from xlplugin.libreoffice import recalculate_many
from xlplugin.workbook.build import build_workbook, default_scenarios
from xlplugin.workbook.checks_sheet import FIRST_CHECK_ROW, checks, consistency_checks
from xlplugin.workbook.excel_formulas import STEPS
from xlplugin.workbook.layout import Layout, flag_cells


def _false(value) -> bool:
    return value is False or value == 0


def _true(value) -> bool:
    return value is True or value == 1


def test_each_consistency_check_reads_a_second_route():
    """No check restates the template of the cell it checks: its formula is not the cell's
    own formula compared with the cell."""
    layout = Layout(len(default_scenarios()))
    found = consistency_checks(layout)
    assert len(found) >= 4
    for c in found:
        assert c.covers, c.check.label
        for name in c.covers:
            assert name in STEPS and name in layout.estimate_row
    labels = [c.label for c in checks(layout)]
    assert all(c.check.label in labels for c in found)


@pytest.mark.libreoffice
@needs_soffice
def test_breaking_a_checked_cell_fails_its_check(tmp_path):
    layout = Layout(len(default_scenarios()))
    built = build_workbook(tmp_path / "t.xlsx")
    values = openpyxl.load_workbook(built, data_only=True)["Estimate"]
    rows = {c.label: FIRST_CHECK_ROW + i for i, c in enumerate(checks(layout))}
    broken = []
    for i, c in enumerate(consistency_checks(layout)):
        for name in c.covers:
            wb = openpyxl.load_workbook(built)
            cell = wb["Estimate"].cell(layout.estimate_row[name], 2)
            right = values.cell(layout.estimate_row[name], 2).value
            cell.value = right * 1.5 + 7  # a wrong number typed over the formula
            path = tmp_path / f"c{i}_{name}.xlsx"
            wb.save(path)
            broken.append((c.check.label, name, path))
    done = recalculate_many([p for _, _, p in broken], tmp_path / "out")
    for (label, name, _), path in zip(broken, done, strict=True):
        wb = openpyxl.load_workbook(path, data_only=True)
        holds = wb["Checks"].cell(rows[label], 2).value
        assert _false(holds), (label, name, holds)
        assert _false(wb["Checks"]["B3"].value), (label, name)
        for sheet, ref in flag_cells().items():
            assert _false(wb[sheet][ref].value), (label, name, sheet)
        # The inputs are untouched: the guard still accepts them.
        assert _true(wb["Checks"]["B4"].value), (label, name)


@pytest.mark.libreoffice
@needs_soffice
def test_an_unknown_scenario_shown_is_refused_and_a_known_one_shown(tmp_path):
    """A name not in the Scenarios table showed the Inputs sheet's values, silently."""
    from xlplugin.workbook.layout import SELECTOR_ROW

    layout = Layout(len(default_scenarios()))
    built = build_workbook(tmp_path / "t.xlsx")
    paths = []
    for name in ("No such scenario", default_scenarios()["scenario"][1]):
        wb = openpyxl.load_workbook(built)
        wb["Inputs"].cell(SELECTOR_ROW, 2).value = name
        paths.append(tmp_path / f"s{len(paths)}.xlsx")
        wb.save(paths[-1])
    unknown, known = (
        openpyxl.load_workbook(p, data_only=True) for p in recalculate_many(paths, tmp_path / "out")
    )
    message = (
        "scenario: got 'No such scenario'; accepts a name from the Scenarios sheet's first "
        "column, or an empty cell"
    )
    assert _false(unknown["Checks"]["B3"].value) and unknown["Checks"]["C3"].value == message
    gpus = layout.estimate_row["gpu_count"]
    assert unknown["Estimate"].cell(gpus, 2).value == message
    assert _true(known["Checks"]["B3"].value), known["Checks"]["C3"].value
    assert isinstance(known["Estimate"].cell(gpus, 2).value, int | float)


@pytest.mark.libreoffice
@needs_soffice
def test_a_replica_that_does_not_split_the_heads_fails_its_check(tmp_path):
    """A language model's GPUs per replica divide its attention heads (Llama 3.1 8B: 32):
    3 GPUs typed over the figure, within every other bound, fail the check; 4 hold."""
    from xlplugin.workbook.checks_sheet import REPLICA_LABEL
    from xlplugin.workbook.layout import SELECTOR_ROW

    layout = Layout(len(default_scenarios()))
    built = build_workbook(tmp_path / "t.xlsx")
    row = FIRST_CHECK_ROW + [c.label for c in checks(layout)].index(REPLICA_LABEL)
    paths = []
    for gpus in (3, 4):
        wb = openpyxl.load_workbook(built)
        wb["Inputs"].cell(SELECTOR_ROW, 2).value = "LLM chat (Llama 3.1 8B, H100 FP8)"
        wb["Estimate"].cell(layout.estimate_row["gpus_per_replica"], 2).value = gpus
        paths.append(tmp_path / f"g{gpus}.xlsx")
        wb.save(paths[-1])
    three, four = (
        openpyxl.load_workbook(p, data_only=True) for p in recalculate_many(paths, tmp_path / "out")
    )
    assert _false(three["Checks"].cell(row, 2).value)
    assert _true(four["Checks"].cell(row, 2).value)
