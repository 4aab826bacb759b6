"""Parity of the template workbook with ``formulas``, proved by LibreOffice recalculating it."""

from __future__ import annotations

import math

import numpy as np
import openpyxl
import pandas as pd
import pytest
from guards import needs_soffice
from xlplugin.formulas import catalog
from xlplugin.formulas.estimate import steps_table
from xlplugin.formulas.vocabulary import INPUTS, OUTPUTS

from xlplugin import formulas
from xlplugin.libreoffice import recalculate
from xlplugin.workbook.build import build_workbook, default_scenarios
from xlplugin.workbook.checks_sheet import FIRST_CHECK_ROW
from xlplugin.workbook.layout import Layout, why_cells
from xlplugin.workbook.values import canonical_names, projection_frame, scenario_inputs

pytestmark = [pytest.mark.libreoffice, needs_soffice]
REL = 1e-9


def _same(got, expected) -> bool:
    if isinstance(expected, str) or isinstance(got, str) or got is None:
        return (got or "") == (expected or "")
    return math.isclose(got, expected, rel_tol=REL)


def _true(value) -> bool:
    """TRUE as LibreOffice saves it: a boolean, or 1 in a cell of number type."""
    return value is True or (isinstance(value, int) and value == 1)


def _recalculated(path, tmp_path):
    return openpyxl.load_workbook(recalculate(path, tmp_path / "lo"), data_only=True)


def _estimate_outputs(wb, layout):
    ws = wb["Estimate"]
    return {o.name: ws.cell(layout.estimate_row[o.name], 2).value for o in OUTPUTS}


def _assert_scenarios(wb, layout, scenarios, base=None):
    expected = formulas.estimate_table(scenario_inputs(canonical_names(scenarios)))
    ws = wb["Scenarios"]
    for offset in range(len(scenarios)):
        row = layout.scenario_first + offset
        for o in OUTPUTS:
            got = ws.cell(row, layout.scenario_column[o.name]).value
            assert _same(got, expected[o.name].iloc[offset]), (offset, o.name, got)
        assert _true(ws.cell(row, layout.scenario_column["ok"]).value)


def test_every_formula_cell_matches_its_cached_value(tmp_path):
    """LibreOffice's value of every formula cell equals what formulas computed for it."""
    built = build_workbook(tmp_path / "t.xlsx")
    text = openpyxl.load_workbook(built)
    cached = openpyxl.load_workbook(built, data_only=True)
    engine = _recalculated(built, tmp_path)
    count = 0
    for ws in text.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    got = engine[ws.title][cell.coordinate].value
                    want = cached[ws.title][cell.coordinate].value
                    assert _same(got, want), (ws.title, cell.coordinate, got, want)
                    count += 1
    assert count > 500


def test_the_accepts_column_reads_as_formulas_writes_it(tmp_path):
    """Recalculated, each input's Accepts cell is formulas' own text, bounds with their
    thousands separators ("a number >= 1,000", not "1000"): the messages the workbook
    builds from it read as formulas' do."""
    from xlplugin.workbook.inputs_sheet import ACCEPTS_COLUMN

    layout = Layout(len(default_scenarios()))
    ws = _recalculated(build_workbook(tmp_path / "t.xlsx"), tmp_path)["Inputs"]
    shown = {q.name: ws.cell(layout.input_row[q.name], ACCEPTS_COLUMN).value for q in INPUTS}
    numbers = [q for q in INPUTS if q.kind != "name"]
    assert {q.name: shown[q.name] for q in numbers} == {q.name: q.accepts for q in numbers}
    assert shown["params"].startswith("a number >= 1,000 ")


def test_estimate_scenarios_and_projection_match_formulas(tmp_path):
    scenarios = default_scenarios()
    layout = Layout(len(scenarios))
    wb = _recalculated(build_workbook(tmp_path / "t.xlsx"), tmp_path)
    expected = formulas.estimate()
    for name, got in _estimate_outputs(wb, layout).items():
        assert _same(got, expected[name]), name
    _assert_scenarios(wb, layout, scenarios)
    plan = projection_frame()
    for name in layout.projection_columns:
        for offset, value in enumerate(plan[name]):
            got = (
                wb["Projection"]
                .cell(layout.projection_first + offset, layout.projection_column[name])
                .value
            )
            assert _same(got, value), (name, offset)
    assert _true(wb["Checks"]["B3"].value)


def _random_scenarios(count: int, seed: int = 20260101) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    priced = [g for g in catalog.gpu_names() if catalog.gpu_spec(g, "hourly_usd") is not None]

    def log(lo, hi):
        return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))

    def maybe(value, p=0.2):
        return value if rng.random() < p else None

    rows = []
    while len(rows) < count:
        numeric_gpu = rng.random() < 0.1
        row = {
            "scenario": f"random {len(rows) + 1:03d}",
            "dau": log(1e3, 1e10),
            "requests_per_user": rng.uniform(0.5, 100),
            "params": log(1e8, 4e11),
            "precision": rng.choice(catalog.precision_names()),
            "bytes_per_param": maybe(rng.uniform(0.5, 4)),
            "profile_bytes": rng.uniform(0, 1e6),
            "stored_bytes_per_request": log(1e3, 1e8),
            "index_overhead": rng.uniform(0, 1),
            "days_per_month": rng.uniform(28, 31),
            "steps": log(1, 2000),
            "flops_per_param": rng.uniform(1, 6),
            "gpu": log(1e13, 5e15) if numeric_gpu else str(rng.choice(priced)),
            "gpu_flops": maybe(log(1e13, 5e15), 0.15),
            "gpu_memory_bytes": maybe(log(1e10, 3e11), 0.15),
            "usable_memory_fraction": rng.uniform(0.5, 1),
            "max_gpus_per_replica": int(rng.integers(1, 17)),
            "utilization": rng.uniform(0.05, 1),
            "peak_factor": rng.uniform(1, 5),
            "headroom": rng.uniform(0, 1),
            "measured_inference_seconds": maybe(log(1e-3, 10), 0.15),
            "request_bytes": log(100, 1e6),
            "response_bytes": log(1e3, 1e8),
            "gpu_hourly_usd": rng.uniform(0.1, 20) if numeric_gpu else maybe(rng.uniform(0.1, 20)),
            "storage_usd_per_gb_month": rng.uniform(0, 0.1),
            "egress_usd_per_gb": rng.uniform(0, 0.2),
            "retention_months": int(rng.integers(0, 61)),
            # The serving model: most rows by the roofline, across modalities and shapes.
            "inference_model": "roofline" if rng.random() < 0.9 else "flops",
            "modality": str(rng.choice(["text", "image", "speech"])),
            "input_tokens": log(16, 8000),
            "output_tokens": log(16, 4000),
            "image_width": float(rng.choice([256, 512, 768, 1024])),
            "image_height": float(rng.choice([256, 512, 768, 1024])),
            "guidance_passes": int(rng.integers(1, 3)),
            "backbone": str(rng.choice(["transformer", "unet"])),
            "layers": int(rng.integers(8, 128)),
            "attention_heads": int(rng.integers(8, 128)),
            "kv_heads": int(rng.integers(1, 32)),
            "head_dim": float(rng.choice([64, 128])),
            "active_params": maybe(log(1e8, 1e11)),
            "kv_precision": maybe(str(rng.choice(catalog.precision_names()))),
            "audio_seconds": rng.uniform(5, 600),
            "tensor_parallel": maybe(int(rng.integers(1, 9)), 0.5),
            "max_batch": maybe(int(rng.integers(1, 1024)), 0.5),
            "ttft_target_seconds": maybe(log(0.05, 100), 0.15),
            "tpot_target_seconds": maybe(log(0.005, 1), 0.15),
            "compute_efficiency": rng.uniform(0.2, 0.9),
            "memory_bandwidth_efficiency": rng.uniform(0.3, 0.95),
            "parallel_efficiency": rng.uniform(0.5, 1),
        }
        for q in INPUTS:  # some cells left empty: they take the Inputs sheet's value
            if rng.random() < 0.05:
                row[q.name] = None
        try:
            formulas.estimate_table(scenario_inputs(pd.DataFrame([row])))
        except formulas.EstimateError:
            continue  # does not fit in max_gpus_per_replica: not a valid scenario
        rows.append(row)
    return pd.DataFrame(rows)


def test_random_scenarios_match_formulas(tmp_path):
    scenarios = _random_scenarios(125)
    assert (scenarios["inference_model"] == "roofline").sum() >= 100
    assert scenarios["modality"].nunique() == 3
    assert scenarios["gpu"].map(lambda g: isinstance(g, float)).any()
    assert scenarios["precision"].nunique() >= 4
    layout = Layout(len(scenarios))
    wb = _recalculated(build_workbook(tmp_path / "r.xlsx", scenarios), tmp_path)
    _assert_scenarios(wb, layout, scenarios)


def test_kv_head_copies_match_formulas(tmp_path):
    """Replicas wider than their KV heads hold copies of them (the random rows seldom make
    one): recalculated, the rows' requests in flight, step times and GPUs are formulas'."""
    wide = {**formulas.model_preset("Llama-3.1-405B"), "gpu": "H100", "precision": "FP8"}
    wide |= {"input_tokens": 32_000, "max_gpus_per_replica": 16}
    rows = [{**wide, "scenario": f"405B on {tp} GPUs", "tensor_parallel": tp} for tp in (8, 16)]
    sized = {**formulas.model_preset("Llama-3.1-70B"), "gpu": "L4", "max_gpus_per_replica": 16}
    scenarios = pd.DataFrame([*rows, {**sized, "scenario": "70B sized on L4"}])
    steps = steps_table(scenario_inputs(scenarios.drop(columns="scenario")))
    assert steps["kv_cache_copies"].tolist() == [1, 2, 2]
    layout = Layout(len(scenarios))
    wb = _recalculated(build_workbook(tmp_path / "c.xlsx", scenarios), tmp_path)
    _assert_scenarios(wb, layout, scenarios)


def test_kv_heads_that_bound_the_split_match_formulas(tmp_path):
    """KV heads that are not a power of two keep the replica to their divisors (the GCD
    with them in tensor_parallel_limit): Phi-3-medium's shape, 40 heads and 10 KV heads,
    sized over 2 GPUs or given 5; Qwen2.5-7B's, 28 and 4, over 4; recalculated, as
    formulas."""
    phi = {"modality": "text", "params": 14e9, "attention_heads": 40, "kv_heads": 10}
    phi |= {"layers": 40, "gpu": "L4", "max_gpus_per_replica": 16}
    qwen = {"modality": "text", "params": 7.6e9, "attention_heads": 28, "kv_heads": 4}
    qwen |= {"layers": 28, "gpu": "T4", "max_gpus_per_replica": 8, "tpot_target_seconds": 0.05}
    scenarios = pd.DataFrame(
        [
            {**phi, "scenario": "40 heads, 10 KV, sized"},
            {**phi, "scenario": "40 heads, 10 KV, on 5", "tensor_parallel": 5},
            {**qwen, "scenario": "28 heads, 4 KV, sized"},
        ]
    )
    steps = steps_table(scenario_inputs(scenarios.drop(columns="scenario")))
    assert steps["tensor_parallel_limit"].tolist() == [2, 2, 4]
    assert steps["gpus_per_replica"].tolist() == [2, 5, 4]
    layout = Layout(len(scenarios))
    wb = _recalculated(build_workbook(tmp_path / "k.xlsx", scenarios), tmp_path)
    _assert_scenarios(wb, layout, scenarios)


def test_every_check_holds_for_valid_scenarios_shown_on_the_estimate(tmp_path):
    """A check that fails a valid scenario is as wrong as one that passes a bad one: each of
    these random scenarios, which formulas accepts, shown on the Estimate in turn, passes
    every check, and every Scenarios row is ok."""
    from xlplugin.libreoffice import recalculate_many
    from xlplugin.workbook.layout import SELECTOR_ROW

    scenarios = _random_scenarios(40, seed=20261130)
    flops_split = scenarios[
        (scenarios["inference_model"] == "flops") & scenarios["tensor_parallel"].notna()
    ]
    shown = list(dict.fromkeys([*flops_split["scenario"][:2], *scenarios["scenario"][:10]]))
    built = build_workbook(tmp_path / "r.xlsx", scenarios)
    paths = []
    for name in shown:
        wb = openpyxl.load_workbook(built)
        wb["Inputs"].cell(SELECTOR_ROW, 2).value = name
        paths.append(tmp_path / f"shown{len(paths)}.xlsx")
        wb.save(paths[-1])
    layout = Layout(len(scenarios))
    ok = layout.scenario_column["ok"]
    for name, path in zip(shown, recalculate_many(paths, tmp_path / "lo"), strict=True):
        wb = openpyxl.load_workbook(path, data_only=True)
        assert wb["Checks"]["B3"].value in (True, 1), (name, wb["Checks"]["C3"].value)
        rows = range(layout.scenario_first, layout.scenario_last + 1)
        assert all(wb["Scenarios"].cell(r, ok).value in (True, 1) for r in rows), name


def test_changing_inputs_changes_outputs_as_formulas_predicts(tmp_path):
    layout = Layout(len(default_scenarios()))
    built = build_workbook(tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(built)
    wb["Inputs"].cell(layout.input_row["dau"], 2).value = 3.5e8
    wb["Inputs"].cell(layout.input_row["gpu"], 2).value = "H100"
    wb["Inputs"].cell(layout.input_row["headroom"], 2).value = 0.3
    wb.save(tmp_path / "changed.xlsx")
    engine = _recalculated(tmp_path / "changed.xlsx", tmp_path)
    expected = formulas.estimate(dau=3.5e8, gpu="H100", headroom=0.3)
    for name, got in _estimate_outputs(engine, layout).items():
        assert _same(got, expected[name]), name
    assert engine["Estimate"].cell(layout.estimate_row["gpu_count"], 2).value != 61


def test_selector_shows_a_scenario_on_the_estimate(tmp_path):
    scenarios = default_scenarios()
    layout = Layout(len(scenarios))
    wb = openpyxl.load_workbook(build_workbook(tmp_path / "t.xlsx"))
    wb["Inputs"]["B4"] = "Planning H100 FP8"
    wb.save(tmp_path / "picked.xlsx")
    engine = _recalculated(tmp_path / "picked.xlsx", tmp_path)
    picked = list(scenarios["scenario"]).index("Planning H100 FP8")
    expected = formulas.estimate_table(scenario_inputs(scenarios)).iloc[picked]
    for name, got in _estimate_outputs(engine, layout).items():
        assert _same(got, expected[name]), name
    assert engine["Estimate"]["B3"].value == "Scenario: Planning H100 FP8"
    assert engine["Inputs"]["B5"].value == picked + 1  # scenario_row: its place in the table
    first = (
        engine["Projection"]
        .cell(layout.projection_first, layout.projection_column["gpu_count"])
        .value
    )
    assert first == expected["gpu_count"]


def test_a_row_added_under_the_table_can_be_shown_on_the_estimate(tmp_path):
    """A row typed under the Scenarios table (Excel grows the table and fills its formulas
    down) can be picked on the Inputs sheet and shown on the Estimate, and the checks pass:
    the picker, its look-ups and the checks reach the rows a user may add."""
    from openpyxl.formula.translate import Translator

    scenarios = default_scenarios()
    layout = Layout(len(scenarios))
    wb = openpyxl.load_workbook(build_workbook(tmp_path / "t.xlsx"))
    ws, last = wb["Scenarios"], layout.scenario_last
    for column in range(1, ws.max_column + 1):
        cell = ws.cell(last, column)
        value = cell.value
        if isinstance(value, str) and value.startswith("="):
            value = Translator(value, cell.coordinate).translate_formula(
                ws.cell(last + 1, column).coordinate
            )
        ws.cell(last + 1, column).value = value
    ws.cell(last + 1, layout.scenario_column["scenario"]).value = "Added under the table"
    ws.cell(last + 1, layout.scenario_column["dau"]).value = 2.5e7
    table = ws.tables["ScenarioTable"]
    table.ref = table.ref.replace(str(last), str(last + 1))
    wb["Inputs"]["B4"] = "Added under the table"
    wb.save(tmp_path / "added.xlsx")
    engine = _recalculated(tmp_path / "added.xlsx", tmp_path)
    added = scenarios.iloc[[-1]].assign(scenario="Added under the table", dau=2.5e7)
    expected = formulas.estimate_table(scenario_inputs(added)).iloc[0]
    assert engine["Inputs"]["B5"].value == len(scenarios) + 1
    for name, got in _estimate_outputs(engine, layout).items():
        assert _same(got, expected[name]), name
    assert engine["Estimate"]["B3"].value == "Scenario: Added under the table"
    assert _true(engine["Checks"]["B3"].value), engine["Checks"]["C3"].value


def test_plugin_variant_does_not_ask_for_a_full_recalculation(tmp_path):
    """The plugin variant keeps its cached values on open where it can: no fullCalcOnLoad,
    and the calcId of current Excel (an older one makes Excel recalculate everything)."""
    built = build_workbook(tmp_path / "plugin.xlsx", variant="plugin")
    calculation = openpyxl.load_workbook(built).calculation
    assert not calculation.fullCalcOnLoad and calculation.calcId >= 191028
    native = openpyxl.load_workbook(build_workbook(tmp_path / "native.xlsx")).calculation
    assert native.fullCalcOnLoad


def test_plugin_variant_without_the_add_in_says_so_not_overflow(tmp_path):
    """Recalculated where the xlplugin functions do not exist, the Estimate's outputs are
    #NAME?: the Projection's months that read them say the add-in is missing, not that the
    inputs are too large to compute."""
    layout = Layout(len(default_scenarios()))
    built = build_workbook(tmp_path / "plugin.xlsx", variant="plugin")
    engine = _recalculated(built, tmp_path)
    column = layout.projection_column["gpu_count"]
    months = {
        engine["Projection"].cell(row, column).value
        for row in range(layout.projection_first, layout.projection_last + 1)
    }
    assert months == {"needs add-in"}
    # every column, those that read the Estimate through another month's cell included
    for name in layout.projection_columns[2:]:
        column = layout.projection_column[name]
        for row in range(layout.projection_first, layout.projection_last + 1):
            value = engine["Projection"].cell(row, column).value
            assert not isinstance(value, str) or value == "needs add-in", value
    # the Sensitivity's base case is no figure, which draws its swings blank (they read
    # "$0.0k" for every input, as if none moved the cost)
    assert isinstance(engine["Sensitivity"]["C3"].value, str), engine["Sensitivity"]["C3"].value
    # and every sheet's red flag says why, naming the add-in (it said "Fails: Every output
    # is a number")
    for sheet, ref in why_cells().items():
        why = engine[sheet][ref].value
        assert why.startswith("The Estimate's outputs show #NAME?") and "add-in" in why, sheet
    # one cause, one red check: the routes to a figure wait for the outputs to be numbers
    checks = engine["Checks"]
    failing = [
        checks.cell(row, 1).value
        for row in range(FIRST_CHECK_ROW, checks.max_row + 1)
        if checks.cell(row, 2).value is False
    ]
    assert failing == ["Every output is a number"], failing
    # the native variant types no number but 0 and no ERROR.TYPE: its checks stay as they were
    native = openpyxl.load_workbook(build_workbook(tmp_path / "native.xlsx"))["Checks"]
    assert not any("ERROR.TYPE" in str(c.value) for row in native.iter_rows() for c in row)


def test_plugin_variant_names_no_cell_after_an_excel_function(tmp_path):
    """A workbook name equal to a function hides it: GPU_COUNT( reads as the name gpu_count
    (LibreOffice: Err:509 on load, the saved value lost). The native variant, which calls no
    function, names every output."""
    from xlplugin import functions

    excel_functions = {name.lower() for name in functions.__all__}
    plugin = openpyxl.load_workbook(build_workbook(tmp_path / "p.xlsx", variant="plugin"))
    assert not excel_functions & {name.lower() for name in plugin.defined_names}
    native = openpyxl.load_workbook(build_workbook(tmp_path / "n.xlsx"))
    assert {q.name for q in formulas.OUTPUTS} <= set(native.defined_names)


@pytest.mark.parametrize("recalc", [False, None], ids=["never", "default"])
def test_plugin_variant_shows_its_cached_values_in_libreoffice(tmp_path, recalc):
    """With LibreOffice set never to recalculate on load, and with its default."""
    from xlplugin.libreoffice import convert

    layout = Layout(len(default_scenarios()))
    built = build_workbook(tmp_path / "plugin.xlsx", variant="plugin")
    opened = convert(built, tmp_path / "lo", "xlsx", recalc=recalc)
    wb = openpyxl.load_workbook(opened, data_only=True)
    expected = formulas.estimate()
    for name, got in _estimate_outputs(wb, layout).items():
        assert _same(got, expected[name]), (name, got)


def test_a_step_past_a_float_in_an_unused_branch_builds_and_matches_formulas(tmp_path):
    """A text model with an image model's VAE factor of 1e-300: hidden image steps pass a
    float's range (Excel's #NUM!), which the text model does not use. The build stopped with
    a traceback ("inf cannot be stored"); estimate gives the scenario its outputs."""
    scenarios = pd.DataFrame(
        [
            {"scenario": "text, tiny VAE factor", "modality": "text", "vae_factor": 1e-300},
            {"scenario": "seed", "modality": "image", "vae_factor": 8},
        ]
    )
    layout = Layout(len(scenarios))
    built = build_workbook(tmp_path / "v.xlsx", scenarios)
    cached = openpyxl.load_workbook(built, data_only=True)["Scenarios"]
    row = [c.value for c in cached[layout.scenario_first]]
    assert "#NUM!" in row  # the step Excel cannot compute, cached as Excel shows it
    wb = _recalculated(built, tmp_path)
    _assert_scenarios(wb, layout, scenarios)
    recalculated = [c.value for c in wb["Scenarios"][layout.scenario_first]]
    assert [v for v in recalculated if v == "#NUM!"] == [v for v in row if v == "#NUM!"]
