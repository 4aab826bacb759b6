"""The template workbook's structure and content, without a spreadsheet engine."""

from __future__ import annotations

import math
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.formula import Tokenizer
from openpyxl.utils.cell import coordinate_to_tuple
from xlplugin.formulas.vocabulary import INPUT, INPUTS, OUTPUTS

from xlplugin import formulas
from xlplugin.workbook.build import (
    build_workbook,
    content_fingerprint,
    default_scenarios,
    stored_fingerprint,
)
from xlplugin.workbook.excel_formulas import CONSTANTS, plugin_arguments
from xlplugin.workbook.layout import SCENARIOS_HEADER, SHEETS, Layout
from xlplugin.workbook.scenarios_sheet import rule_rows
from xlplugin.workbook.sentences import SENTENCES
from xlplugin.workbook.values import projection_frame, scenario_inputs

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = {
    "native": ROOT / "workbooks" / "xlplugin-template.xlsx",
    "plugin": ROOT / "workbooks" / "xlplugin-template-plugin.xlsx",
}
ALLOWED = {
    "ROUNDDOWN",
    "INDEX",
    "MATCH",
    "IF",
    "ISNUMBER",
    "ROUNDUP",
    "SUM",
    "MAX",
    "MIN",
    "AND",
    "INT",
    "ISLOGICAL",
    "IFERROR",
    "OR",
    "NOT",
    "COUNT",
    "COUNTA",
    "COUNTIF",
    "ISERROR",
    "ISNA",
    "SUMIF",
    # The Sensitivity sheet: rounding a whole-number input, sorting by impact.
    "ROUND",
    "ABS",
    "SUMPRODUCT",
    "LARGE",
    # A replica's tensor-parallel size: a power of two that divides the attention heads.
    "LOG",
    "GCD",
    "MOD",
    # A figure in a message, rounded to significant digits as formulas writes it; a bound
    # with thousands separators.
    "LOG10",
    "FIXED",
    # The Scenarios rows' check: which input a row gets wrong.
    "ISTEXT",
    "COLUMN",
    "N",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return build_workbook(tmp_path_factory.mktemp("wb") / "t.xlsx", build_date="2026-01-01")


@pytest.fixture(scope="module")
def book(built):
    return openpyxl.load_workbook(built)


@pytest.fixture(scope="module")
def cached(built):
    return openpyxl.load_workbook(built, data_only=True)


def _formula_cells(wb):
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    yield ws.title, cell


def _close(a, b) -> bool:
    if isinstance(b, str) or isinstance(a, str) or a is None or b is None:
        return (a or "") == (b or "")
    return math.isclose(a, b, rel_tol=1e-9)


def test_each_shared_sentence_is_written_once_as_a_name(book):
    """formulas' sentences that many cells share live in one workbook name each, holding
    the sentence; no formula writes one out (a Scenarios row would repeat it 10,000 times)."""
    for name, text in SENTENCES.items():
        assert book.defined_names[name].attr_text == f'"{text}"', name
    used = set()
    for title, cell in _formula_cells(book):
        for name, text in SENTENCES.items():
            assert text not in cell.value, (title, cell.coordinate, name)
            used.update(n for n in SENTENCES if re.search(rf"\b{n}\b", cell.value))
    assert used == set(SENTENCES), "every name is read somewhere"


def test_sheets_in_reading_order(book):
    assert book.sheetnames == list(SHEETS)


@pytest.mark.parametrize("variant", ["native", "plugin"])
def test_committed_workbooks_are_up_to_date(tmp_path, variant):
    fresh = build_workbook(tmp_path / "fresh.xlsx", variant=variant)
    assert COMMITTED[variant].exists(), "run the builder: the template is not committed"
    assert content_fingerprint(COMMITTED[variant]) == content_fingerprint(fresh), (
        f"{COMMITTED[variant].name} is out of date: rebuild it with xlplugin.workbook.build"
    )


def test_fingerprint_is_stored_and_detects_an_edit(built, tmp_path):
    assert stored_fingerprint(built) == content_fingerprint(built)
    wb = openpyxl.load_workbook(built)
    wb["Inputs"]["B8"] = 5
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    assert content_fingerprint(edited) != stored_fingerprint(edited)


def test_fingerprint_ignores_build_date(tmp_path):
    a = build_workbook(tmp_path / "a.xlsx", build_date="2020-01-01")
    b = build_workbook(tmp_path / "b.xlsx", build_date="2030-12-31")
    assert content_fingerprint(a) == content_fingerprint(b)


def test_every_input_output_and_constant_is_a_workbook_name(book):
    names = book.defined_names
    layout = Layout(len(default_scenarios()))
    for q in INPUTS:
        assert names[q.name].attr_text == f"Inputs!$B${layout.input_row[q.name]}"
    for o in OUTPUTS:
        step = o.name
        assert names[step].attr_text == f"Estimate!$B${layout.estimate_row[step]}"
    for c in CONSTANTS:
        assert (
            book["Inputs"][names[c.name].attr_text.split("!")[1].replace("$", "")].value == c.value
        )


def test_formulas_type_no_numbers_and_use_portable_functions(book):
    for title, cell in _formula_cells(book):
        tokens = Tokenizer(cell.value).items
        for i, token in enumerate(tokens):
            if token.type == "FUNC" and token.subtype == "OPEN":
                assert token.value[:-1] in ALLOWED, (title, cell.coordinate, token.value)
            if token.type == "OPERAND" and token.subtype == "NUMBER":
                # Only 0 is allowed: ROUNDUP's digits, MATCH's match type, a count > 0,
                # TRUE/FALSE made a number (+0), a test for zero (=0: "0 or >= 1,000").
                after = tokens[i - 1]
                assert token.value == "0" and (
                    after.type == "SEP"
                    or (after.type == "OPERATOR-INFIX" and after.value in (">", "+", "="))
                ), (
                    title,
                    cell.coordinate,
                    cell.value,
                )


def test_inputs_are_styled_unlocked_and_validated(book):
    ws = book["Inputs"]
    assert ws.protection.sheet
    layout = Layout(1)
    validated = set()
    for dv in ws.data_validations.dataValidation:
        validated |= {str(r) for r in dv.sqref.ranges}
        assert dv.prompt
    for q in INPUTS:
        cell = ws.cell(layout.input_row[q.name], 2)
        assert cell.style == "Input" and not cell.protection.locked
        assert cell.coordinate in validated
    assert book["Estimate"].protection.sheet and book["Checks"].protection.sheet


def test_cached_values_equal_formulas(cached):
    layout = Layout(len(default_scenarios()))
    expected = formulas.estimate()
    ws = cached["Estimate"]
    for o in OUTPUTS:
        value = ws.cell(layout.estimate_row[o.name], 2).value
        assert _close(value, expected[o.name]), o.name
    assert cached["Checks"]["B3"].value is True and ws["E3"].value == 1  # the flag: TRUE


def test_cached_scenarios_and_projection_equal_formulas(cached):
    scenarios = default_scenarios()
    layout = Layout(len(scenarios))
    table = formulas.estimate_table(scenario_inputs(scenarios))
    ws = cached["Scenarios"]
    for offset in range(len(scenarios)):
        for o in OUTPUTS:
            cell = ws.cell(layout.scenario_first + offset, layout.scenario_column[o.name])
            assert _close(cell.value, table[o.name].iloc[offset]), (offset, o.name)
    plan = projection_frame()
    for name in layout.projection_columns:
        for offset, value in enumerate(plan[name]):
            cell = cached["Projection"].cell(
                layout.projection_first + offset, layout.projection_column[name]
            )
            assert _close(cell.value, value), (name, offset)


def test_every_part_is_compressed(built):
    # openpyxl saves the package uncompressed; writing the cached values compresses it.
    with zipfile.ZipFile(built) as package:
        assert {info.compress_type for info in package.infolist()} == {zipfile.ZIP_DEFLATED}
    assert built.stat().st_size < 200_000


def test_pandas_reads_numbers(built):
    frame = pd.read_excel(built, sheet_name="Scenarios", header=SCENARIOS_HEADER - 1)
    assert (frame["gpu_count"] > 0).all()
    assert frame.loc[0, "gpu_count"] == 61


def test_the_reader_finds_the_header_a_row_higher_and_refuses_a_sheet_without_one(built, tmp_path):
    """Earlier builds, with fewer hidden rows (no zero_allowed rule, no row of the Inputs
    sheet's values), had the header a row or two higher: the reader finds it there too; a
    sheet without the header is refused in one line."""
    from xlplugin.workbook import read_scenarios

    book = openpyxl.load_workbook(built)
    for higher in (1, 2):
        book["Scenarios"].delete_rows(rule_rows()["zero_allowed"])
        book.save(older := tmp_path / "older.xlsx")
        assert book["Scenarios"][f"A{SCENARIOS_HEADER - higher}"].value == "scenario"
        frame = read_scenarios(older)
        assert list(frame["scenario"]) == list(read_scenarios(built)["scenario"])
    book["Scenarios"][f"A{SCENARIOS_HEADER - 2}"] = "Scenario"
    book.save(bad := tmp_path / "bad.xlsx")
    with pytest.raises(ValueError, match=r"Scenarios has no row starting with 'scenario'"):
        read_scenarios(bad)


def test_the_reader_refuses_a_header_it_would_misread(built, tmp_path):
    """An empty or repeated header cell is named (read past, the columns after it were
    dropped, or read under the first name); a "scenario" typed over the title is not
    taken for the header; a file that is no workbook is refused in one line."""
    from xlplugin.workbook import read_scenarios

    header = SCENARIOS_HEADER
    for cell, value, message in (
        (f"B{header}", None, rf"Scenarios!B{header} is empty in the table's header"),
        (f"C{header}", "dau", rf"Scenarios!C{header} repeats 'dau' \(B{header}\)"),
    ):
        book = openpyxl.load_workbook(built)
        book["Scenarios"][cell] = value
        book.save(edited := tmp_path / f"{cell}.xlsx")
        with pytest.raises(ValueError, match=message):
            read_scenarios(edited)
    book = openpyxl.load_workbook(built)
    book["Scenarios"]["A3"] = "scenario"
    book.save(typed := tmp_path / "typed.xlsx")
    assert list(read_scenarios(typed)["scenario"]) == list(read_scenarios(built)["scenario"])
    (text := tmp_path / "plan.xlsx").write_text("scenario,dau\nA,1\n")
    with pytest.raises(ValueError, match=r"plan.xlsx: not an .xlsx workbook \(.*\); expected"):
        read_scenarios(text)


def test_the_reader_refuses_xml_it_will_not_read_in_one_typed_line(built, tmp_path):
    """A DTD (an entity bomb's carrier) in a sheet: openpyxl refuses it with a ValueError
    of three lines, which came through as they were."""
    from xlplugin.scenario_file import ScenarioFileError
    from xlplugin.workbook import read_scenarios

    dtd = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "a">]>'
    with (
        zipfile.ZipFile(built) as source,
        zipfile.ZipFile(bad := tmp_path / "dtd.xlsx", "w") as out,
    ):
        for member in source.infolist():
            data = source.read(member)
            if member.filename.startswith("xl/worksheets/sheet"):
                data = dtd + data[data.index(b"<worksheet") :]
            out.writestr(member, data)
    with pytest.raises(ScenarioFileError) as caught:
        read_scenarios(bad)
    message = str(caught.value)
    assert message.startswith(f"{bad}: not an .xlsx workbook ("), message
    assert "\n" not in message and message.endswith("; expected an xlplugin build"), message


def test_seed_figures_beside_outputs(cached):
    layout = Layout(len(default_scenarios()))
    ws = cached["Estimate"]
    assert ws.cell(layout.estimate_row["flops_gpu_count"], 4).value == 61
    for name, row in layout.estimate_row.items():
        seed = ws.cell(row, 4).value
        if seed is not None:
            assert math.isclose(ws.cell(row, 2).value, seed, rel_tol=0.01), name


@pytest.mark.parametrize(("name", "width"), [("Short", 32), ("x" * 40, 42), ("y" * 200, 48)])
def test_scenario_name_column_fits_the_names(tmp_path, name, width):
    """The name column, repeated on every printed page, is as wide as the longest name
    needs: at least 32, at most 48 (a longer name is cut there)."""
    frame = pd.DataFrame({"scenario": ["Base", name], "dau": [1e8, 2e8]})
    ws = openpyxl.load_workbook(build_workbook(tmp_path / "n.xlsx", frame))["Scenarios"]
    assert ws.column_dimensions["A"].width == width


def test_preloaded_scenarios():
    names = list(default_scenarios()["scenario"])
    assert len(names) == 9 and names[0] == "Seed (as published)"
    assert names[1] == "Seed workload, roofline" and names[-1].startswith("LLM chat")


def test_scenario_table_columns_are_calculated_columns(book):
    table = book["Scenarios"].tables["ScenarioTable"]
    calculated = [c.name for c in table.tableColumns if c.calculatedColumnFormula is not None]
    assert "gpu_count" in calculated and "dau" not in calculated


def test_scenario_workings_start_folded(built):
    """Each scenario's outputs follow its inputs on screen and on paper: the inputs in use
    (outline level 2) and the look-ups and steps (level 1) are hidden, and the column after
    each folded group carries its + button, as XlsxWriter writes nested collapsed groups."""
    layout = Layout(len(default_scenarios()))
    with zipfile.ZipFile(built) as package:
        part = f"xl/worksheets/sheet{SHEETS.index('Scenarios') + 1}.xml"
        xml = package.read(part).decode()
    assert 'outlineLevelCol="2"' in re.search(r"<sheetFormatPr[^>]*>", xml)[0]
    columns = {}
    for attributes in re.findall(r"<col ([^>]*)/>", xml):
        values = dict(re.findall(r'(\w+)="([^"]*)"', attributes))
        for column in range(int(values["min"]), int(values["max"]) + 1):
            columns[column] = values
    names = list(layout.scenario_column)
    level = {
        n: int(columns.get(layout.scenario_column[n], {}).get("outlineLevel", 0)) for n in names
    }
    hidden = {n for n in names if columns.get(layout.scenario_column[n], {}).get("hidden") == "1"}
    collapsed = [n for n in names if columns.get(layout.scenario_column[n], {}).get("collapsed")]
    in_use = [n for n in names if n.endswith("_in_use")]
    steps = [n for n in names if level[n] == 1]
    # the inputs no scenario sets fold too (level 1), each run of them with its + after it
    frame = default_scenarios()
    unset = {q.name for q in INPUTS if q.name not in frame or frame[q.name].isna().all()}
    assert "gpu_hourly_usd" in unset and "dau" not in unset and len(unset) > 20
    assert {n for n in names if level[n] == 1 and n in INPUT} == unset
    steps = [n for n in steps if n not in unset]
    assert len(in_use) == len(INPUTS) and {level[n] for n in in_use} == {2}
    assert "compute_unit" in steps and "gpu_count" not in steps and len(steps) > 30
    assert hidden == set(in_use) | set(steps) | unset
    after_unset = [
        names[i + 1] for i, n in enumerate(names) if n in unset and names[i + 1] not in unset
    ]
    after_in_use = names[names.index(in_use[-1]) + 1]
    # the fit's message, a working of the row's message, folds after the outputs
    assert collapsed == [*after_unset[:-1], after_in_use, OUTPUTS[0].name, "inputs_valid"]
    assert steps[-1] == "fit_message" and names.index("fit_message") + 1 == names.index(
        "inputs_valid"
    )
    assert names.index(steps[-2]) + 1 == names.index(OUTPUTS[0].name)


def test_plugin_variant_calls_the_functions(tmp_path):
    wb = openpyxl.load_workbook(build_workbook(tmp_path / "p.xlsx", variant="plugin"))
    layout = Layout(len(default_scenarios()))
    cell = wb["Estimate"].cell(layout.estimate_row["gpu_count"], 2).value
    assert re.match(r"=GPU_COUNT\(\$B\$\d+(,\$B\$\d+)+\)$", cell)
    assert cell.count(",") == len(plugin_arguments("gpu_count")) - 1
    assert "NEEDS THE PLUGIN" in wb["Estimate"]["A2"].value


def test_charts_present(book):
    assert len(book["Charts"]._charts) == 3
    assert len(book["Projection"]._charts) == 2


def test_unknown_variant_is_refused(tmp_path):
    with pytest.raises(ValueError, match="variant"):
        build_workbook(tmp_path / "x.xlsx", variant="macro")


def test_scenario_rule_rows_are_hidden_and_hold_the_vocabulary_bounds(book):
    """The rule rows above the Scenarios header, which every row's input check reads: one
    value per input column, each input's bounds as the vocabulary gives them."""
    ws, layout = book["Scenarios"], Layout(len(default_scenarios()))
    rows = rule_rows()
    assert max(rows.values()) < SCENARIOS_HEADER - 2  # above the groups and units rows
    for row in rows.values():
        assert ws.row_dimensions[row].hidden and ws.cell(row, 1).value.startswith("Rule: ")
    for q in INPUTS:
        rule = {n: ws.cell(r, layout.scenario_column[q.name]).value for n, r in rows.items()}
        assert rule["number"] == (q.kind != "name"), q.name
        if q.low is not None:
            assert rule["low"] == q.low and rule["low_excluded"] == q.low_open, q.name
        else:
            assert rule["low"] < -1e307 and rule["low_excluded"] == 0, q.name
        if q.high is not None:
            assert rule["high"] == q.high and rule["high_excluded"] == q.high_open, q.name
        else:
            assert rule["high"] > 1e307 and rule["high_excluded"] == 0, q.name


def _precedents(book, sheet: str, operand: str, seen_names=()) -> set[tuple[str, int, int]]:
    """The cells an operand of a formula on ``sheet`` refers to, as Excel's dependency tree
    counts them: every cell of a range (INDEX and MATCH included), names resolved."""
    if operand in book.defined_names and operand not in seen_names:
        text = book.defined_names[operand].attr_text
        if text.startswith('"') or re.fullmatch(r"-?[\d.]+(E[+-]?\d+)?", text):
            return set()  # a constant
        return set().union(
            *(_precedents(book, sheet, part, (*seen_names, operand)) for part in text.split(","))
        )
    where, _, ref = operand.rpartition("!")
    where = where.strip("'") or sheet
    ref = ref.replace("$", "")
    if not re.fullmatch(r"[A-Z]+\d+(:[A-Z]+\d+)?", ref):
        return set()
    first, _, last = ref.partition(":")
    (c1, r1), (c2, r2) = (
        coordinate_to_tuple(first)[::-1],
        coordinate_to_tuple(last or first)[::-1],
    )
    return {(where, r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}


def test_no_circular_reference_in_excels_sense(book):
    """No formula depends on itself through any range it reads, counted as Excel counts
    precedents (a whole range, whichever cell INDEX picks): Excel warns of a circular
    reference on open where LibreOffice, which follows the cells it reads, would not. (The
    Inputs sheet's scenario look-ups once read Scenarios columns from row 1, the master
    flag's row.)"""
    graph = {}
    for title, cell in _formula_cells(book):
        refs = set()
        for token in Tokenizer(cell.value).items:
            if token.type == "OPERAND" and token.subtype == "RANGE":
                refs |= _precedents(book, title, token.value)
        graph[(title, cell.row, cell.column)] = refs
    state = {}  # 1: on the path, 2: done
    for start in graph:
        if state.get(start) == 2:
            continue
        state[start] = 1
        stack = [(start, iter(graph[start]))]
        while stack:
            node, children = stack[-1]
            for child in children:
                if child not in graph or state.get(child) == 2:
                    continue
                assert state.get(child) != 1, f"circular: {child} is its own precedent via {node}"
                state[child] = 1
                stack.append((child, iter(graph[child])))
                break
            else:
                state[node] = 2
                stack.pop()
