"""The package installs as xlplugin.formulas: a package named formulas (PyPI's Excel
engine, say) first on the path changes nothing for the CLI, the functions or the builder."""

import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path


def _run(tmp_path, code: str) -> subprocess.CompletedProcess:
    foreign = tmp_path / "foreign" / "formulas"
    foreign.mkdir(parents=True)
    (foreign / "__init__.py").write_text("FOREIGN = True\n")
    env = dict(os.environ, PYTHONPATH=str(foreign.parent), XLWINGS_LICENSE_KEY="noncommercial")
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_foreign_formulas_package_first_on_the_path_changes_nothing(tmp_path):
    done = _run(
        tmp_path,
        """
        import contextlib, io, json, sys
        import formulas
        assert formulas.FOREIGN  # the foreign package is the one named formulas
        from xlplugin.cli import main
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(["estimate", "--format", "json", "--compact"]) == 0
        from xlplugin import functions
        from xlplugin.workbook.build import build_workbook
        path = build_workbook("built.xlsx")
        print(json.dumps([json.loads(out.getvalue())["gpu_count"],
                          functions.gpu_count(1e8, 10, 8.1e9, "A100"), path.stat().st_size]))
        """,
    )
    assert done.returncode == 0, done.stderr
    gpu_count, cells, size = json.loads(done.stdout)
    assert cells == [[gpu_count]] and gpu_count > 61 and size > 10_000  # the roofline


def test_the_wheel_holds_xlplugin_alone_with_formulas_inside(tmp_path):
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(root),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    [wheel] = tmp_path.glob("xlplugin-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")} == {
        "xlplugin"
    }
    assert "xlplugin/formulas/graph.py" in names
    assert "xlplugin/formulas/data/gpus.csv" in names
