"""A second, independent Excel engine -- PyPI's ``formulas`` -- calculates the workbooks.

LibreOffice is one engine; PyPI's ``formulas`` (a Python implementation of Excel's
functions, unrelated to this project's ``xlplugin.formulas``) is another. It calculates
the committed templates and a workbook of random scenarios, and every formula cell it
calculates must equal the cached value the builder stored (to 1e-9 relative), and every
Scenarios output ``xlplugin.formulas.estimate_table``.

The two share a top-level name: this repository's ``formulas/`` folder sits at the root,
which ``python -m pytest`` puts first on ``sys.path``. So the engine runs in a child
process started with ``python -I`` (no current folder or script folder on ``sys.path``)
from a temporary folder, and the child checks that the ``formulas`` it imported is not
ours. The plugin template's outputs call the xlplugin functions, which the child
registers with the engine under their Excel names.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from xlplugin.formulas import catalog
from xlplugin.formulas.vocabulary import OUTPUTS

from xlplugin import formulas
from xlplugin.workbook.build import build_workbook
from xlplugin.workbook.layout import Layout
from xlplugin.workbook.values import canonical_names, scenario_inputs

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = [ROOT / "workbooks" / "xlplugin-template.xlsx"]
PLUGIN = ROOT / "workbooks" / "xlplugin-template-plugin.xlsx"
RANDOM_ROWS = 30  # each row is ~100 formulas the engine compiles one by one (~0.7 s a row)
REL = 1e-9

_CHILD = r"""
import json, sys
import numpy as np
import schedula
import formulas

root = sys.argv[1]
assert not formulas.__file__.startswith(root), formulas.__file__  # PyPI's, not ours


def register_plugin_functions():
    import xlplugin.functions as plugin
    from xlplugin.formulas.vocabulary import OUTPUTS

    table = formulas.get_functions()

    def adapter(function):
        def call(*args):
            plain = []
            for arg in args:
                arg = getattr(arg, "value", arg)  # a cell reference arrives as Ranges
                value = np.asarray(arg, dtype=object).ravel()[0] if np.ndim(arg) else arg
                if isinstance(value, np.generic):
                    value = value.item()
                plain.append(None if value is schedula.EMPTY or value == "" else value)
            return function(*plain)
        return call

    for output in OUTPUTS:
        table[output.name.upper()] = adapter(getattr(plugin, output.name))


def plain(value):
    value = np.asarray(value, dtype=object)
    if value.size != 1:
        return None
    v = value.ravel()[0]
    if v is schedula.EMPTY:
        return {"v": None}
    if isinstance(v, np.generic):
        v = v.item()
    if type(v).__name__ == "XlError":
        return {"e": str(v)}
    if isinstance(v, (bool, int, float, str)):
        return {"v": v}
    return {"e": repr(v)}


path, plugin = sys.argv[2], sys.argv[3] == "plugin"
if plugin:
    register_plugin_functions()
model = formulas.ExcelModel().loads(path).finish()
cells = {}
for key, ranges in model.calculate().items():
    sheet, _, ref = key.rpartition("!")
    if not sheet or ":" in ref:
        continue
    sheet = sheet.strip("'").split("]", 1)[-1]
    cells[f"{sheet}!{ref}"] = plain(getattr(ranges, "value", ranges))
print(json.dumps(cells))
"""


def _engine_available() -> bool:
    done = subprocess.run(
        [sys.executable, "-I", "-c", "import formulas, schedula"],
        cwd="/",
        capture_output=True,
    )
    return done.returncode == 0


pytestmark = pytest.mark.skipif(
    not _engine_available() and os.environ.get("CI") != "true",
    reason="PyPI's formulas (the test extra) is not installed; CI must have it",
)


def _calculate_all(jobs: list[tuple[Path, str]], folder: Path) -> list[dict]:
    """Run the engine on each workbook, in parallel child processes."""
    script = folder / "engine.py"
    script.write_text(_CHILD)
    children = [
        subprocess.Popen(
            [sys.executable, "-I", str(script), str(ROOT), str(path), variant],
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path, variant in jobs
    ]
    results = []
    for child in children:
        out, err = child.communicate(timeout=600)
        assert child.returncode == 0, err[-3000:]
        results.append(json.loads(out.splitlines()[-1]))
    return results


def _random_scenarios(count: int, seed: int = 20260102) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    priced = [g for g in catalog.gpu_names() if catalog.gpu_spec(g, "hourly_usd") is not None]

    def log(lo, hi):
        return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))

    rows = []
    while len(rows) < count:
        row = {
            "scenario": f"random {len(rows) + 1:03d}",
            "dau": log(1e3, 1e10),
            "requests_per_user": rng.uniform(0.5, 100),
            "params": log(1e8, 4e11),
            "precision": str(rng.choice(catalog.precision_names())),
            "gpu": str(rng.choice(priced)) if rng.random() < 0.9 else log(1e13, 5e15),
            "steps": log(1, 2000),
            "utilization": rng.uniform(0.05, 1),
            "peak_factor": rng.uniform(1, 5),
            "headroom": rng.uniform(0, 1),
            "response_bytes": log(1e3, 1e8),
            "gpu_hourly_usd": rng.uniform(0.1, 20),
            "retention_months": int(rng.integers(0, 61)),
        }
        for name in list(row)[1:]:  # some cells left empty: they take the Inputs sheet's
            if rng.random() < 0.05:
                row[name] = None
        try:
            formulas.estimate_table(scenario_inputs(canonical_names(pd.DataFrame([row]))))
        except formulas.EstimateError:
            continue  # not a valid scenario (the model does not fit, ...)
        rows.append(row)
    return pd.DataFrame(rows)


def _same(got: dict | None, want) -> bool:
    if got is None or "e" in got:
        return False
    value = got["v"]
    if isinstance(want, bool) or isinstance(value, bool):
        return bool(value) == bool(want) and isinstance(want, bool | int)
    if isinstance(want, int | float) and isinstance(value, int | float):
        return math.isclose(value, want, rel_tol=REL, abs_tol=1e-300)
    return (value or "") == (want or "")


@pytest.fixture(scope="module")
def calculated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("engine")
    scenarios = _random_scenarios(RANDOM_ROWS)
    random = build_workbook(folder / "random.xlsx", scenarios, build_date="2026-01-01")
    jobs = [(path, "native") for path in COMMITTED] + [(PLUGIN, "plugin"), (random, "native")]
    results = _calculate_all(jobs, folder)
    return dict(zip([path for path, _ in jobs], results, strict=True)), random, scenarios


def _formula_cells(path: Path):
    text = openpyxl.load_workbook(path)
    cached = openpyxl.load_workbook(path, data_only=True)
    for ws in text.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    want = cached[ws.title][cell.coordinate].value
                    yield f"{ws.title.upper()}!{cell.coordinate}", cell.value, want


@pytest.mark.parametrize("which", ["native", "plugin", "random"])
def test_every_formula_cell_equals_its_cached_value(calculated, which):
    results, random, _ = calculated
    path = {"native": COMMITTED[0], "plugin": PLUGIN, "random": random}[which]
    engine = results[path]
    wrong, count = [], 0
    for key, formula, want in _formula_cells(path):
        count += 1
        if not _same(engine.get(key), want):
            wrong.append((key, engine.get(key), want, formula[:120]))
    assert not wrong, f"{len(wrong)} of {count} formula cells differ, e.g. {wrong[:5]}"
    assert count > 500


def test_random_scenarios_equal_estimate_table(calculated):
    results, random, scenarios = calculated
    engine = results[random]
    layout = Layout(len(scenarios))
    expected = formulas.estimate_table(scenario_inputs(canonical_names(scenarios)))
    for offset in range(len(scenarios)):
        row = layout.scenario_first + offset
        for o in OUTPUTS:
            key = f"SCENARIOS!{layout.scenario_letter(o.name)}{row}"
            want = expected[o.name].iloc[offset]
            assert _same(engine.get(key), want.item() if hasattr(want, "item") else want), (
                offset,
                o.name,
                engine.get(key),
                want,
            )


def test_the_child_refuses_our_own_formulas_package(tmp_path):
    """The guard works: run from the repository root without -I, ``import formulas``
    would find our folder, and the child says so."""
    script = tmp_path / "engine.py"
    script.write_text(_CHILD)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; sys.argv = ['x', {str(ROOT)!r}, 'x', 'native']; "
            f"exec(open({str(script)!r}).read())",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and "AssertionError" in done.stderr
