"""The graph of quantities: each written once, every face derived from it."""

import inspect
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from xlplugin.formulas import graph
from xlplugin.formulas.vocabulary import INPUT

from xlplugin import formulas


def test_every_quantity_has_a_python_function_and_an_excel_template():
    for q in graph.steps():
        assert callable(q.function) and q.excel, q.name
        assert q.description and q.unit and q.label, q.name
        # Its Python inputs are its function's parameters: inputs or other quantities.
        assert all(n in INPUT or n in graph.GRAPH for n in q.inputs), q.name


def test_quantities_come_after_what_they_use():
    seen = set(INPUT) | {c.name for c in graph.CONSTANTS}
    for q in graph.steps():
        used = [n for n in (*q.inputs, *q.excel_inputs) if not n.startswith("catalog_")]
        assert set(used) <= seen, (q.name, set(used) - seen)
        seen.add(q.name)


def test_total_cost_is_the_sum_of_its_parts_not_of_raw_inputs():
    q = graph.GRAPH["total_usd_per_month"]
    assert q.inputs == ("gpu_usd_per_month", "storage_usd_per_month", "egress_usd_per_month")
    assert q.excel_inputs == list(q.inputs)


@pytest.mark.parametrize("q", formulas.OUTPUTS, ids=lambda q: q.name)
def test_each_output_function_takes_what_it_depends_on_in_vocabulary_order(q):
    parameters = list(inspect.signature(formulas.OUTPUT_FUNCTIONS[q.name]).parameters)
    assert parameters == graph.depends_on(q.name)
    order = list(INPUT)
    assert parameters == sorted(parameters, key=order.index)


def test_an_output_function_equals_the_estimate():
    seed = formulas.estimate()
    for q in formulas.OUTPUTS:
        function = formulas.OUTPUT_FUNCTIONS[q.name]
        required = {
            p.name: seed[p.name]
            for p in inspect.signature(function).parameters.values()
            if p.default is inspect.Parameter.empty
        }
        assert function(**required) == seed[q.name], q.name


def test_evaluate_takes_a_given_quantity_and_recomputes_what_follows():
    base = formulas.estimate()
    inputs = {n: base[n] for n in INPUT if n in base}
    inputs.update(bytes_per_param=None, gpu_flops=None, gpu_memory_bytes=None, gpu_hourly_usd=None)
    values = graph.evaluate({**inputs, "retained_storage_bytes": 0.0})
    assert values["storage_usd_per_month"] == 0.0
    assert values["total_usd_per_month"] == base["gpu_usd_per_month"] + base["egress_usd_per_month"]
    assert "total_usd_per_month" in graph.descendants("retained_storage_bytes")


NEW_QUANTITY = """

@quantity(
    "B/month",
    "Egress per month",
    section="Bandwidth",
    excel="{requests_per_month}*{response_bytes}",
)
def egress_bytes_per_month(requests_per_month, response_bytes):
    \"\"\"Bytes sent in a month: requests per month x response_bytes.\"\"\"
    return requests_per_month * response_bytes
"""


def test_a_new_quantity_is_one_edit_and_reaches_every_face(tmp_path):
    """A made-up quantity added to one domain module of a copy of the package appears in
    the estimate, the CLI's JSON, an Excel function and the workbook, with no other edit."""
    root = Path(__file__).resolve().parent.parent
    copy = tmp_path / "copy" / "xlplugin"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(root / "xlplugin", copy, ignore=ignore)
    shutil.copytree(root / "formulas", copy / "formulas", ignore=ignore)
    with (copy / "formulas" / "bandwidth.py").open("a") as module:
        module.write(NEW_QUANTITY)
    code = textwrap.dedent(
        """
        import contextlib, io, json
        import openpyxl
        import xlplugin
        from xlplugin import formulas, functions
        from xlplugin.cli import main
        from xlplugin.workbook.build import build_workbook

        assert formulas.__file__.startswith(xlplugin.__path__[0])  # the copy
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            main(["estimate", "--format", "json"])
        path = build_workbook("new.xlsx")
        book = openpyxl.load_workbook(path)
        sheet, cell = next(book.defined_names["egress_bytes_per_month"].destinations)
        cached = openpyxl.load_workbook(path, data_only=True)[sheet][cell.replace("$", "")]
        print(json.dumps({
            "estimate": formulas.estimate()["egress_bytes_per_month"],
            "function": formulas.egress_bytes_per_month(1e8, 10),
            "cli": json.loads(out.getvalue())["egress_bytes_per_month"],
            "excel": functions.egress_bytes_per_month(1e8, 10),
            "formula": book[sheet][cell.replace("$", "")].value,
            "cached": cached.value,
        }))
        """
    )
    env = dict(os.environ, XLWINGS_LICENSE_KEY="noncommercial", PYTHONPATH=str(copy.parent))
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    faces = json.loads(done.stdout)
    expected = 1e8 * 10 * 30 * 1e6
    assert faces["estimate"] == faces["function"] == faces["cli"] == expected
    assert faces["excel"] == [[expected]]
    assert faces["formula"].startswith("=IF(inputs_ok,") and faces["cached"] == expected
