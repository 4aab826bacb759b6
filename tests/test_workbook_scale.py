"""Building at scale: streamed Scenarios rows, bounded references, atomic replacement,
reading the table back. Timings live in benchmarks/bench_workbook.py; here only what can
be right or wrong (and one memory bound, measured in a fresh process)."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.formula import Tokenizer
from xlplugin.formulas.vocabulary import INPUTS, OUTPUTS

from xlplugin import formulas
from xlplugin.workbook import read_scenarios
from xlplugin.workbook.build import (
    MAX_SCENARIOS,
    build_workbook,
    content_fingerprint,
    default_scenarios,
    stored_fingerprint,
)
from xlplugin.workbook.excel_formulas import STEPS
from xlplugin.workbook.layout import SCENARIOS_HEADER, SHEETS, Layout
from xlplugin.workbook.values import canonical_names, scenario_inputs

ROOT = Path(__file__).resolve().parents[1]
COUNT = 10_000
# A whole column (B:B, $B:$B, Sheet!B:B) or a whole row (5:5) as a reference: no cell row
# on one side of the colon.
WHOLE = re.compile(
    r"(?<![\w$.])\$?[A-Z]{1,3}:\$?[A-Z]{1,3}(?![\w$(])|(?<![\w$.:])\$?\d+:\$?\d+(?!\w)"
)


def many(count: int) -> pd.DataFrame:
    """``count`` scenarios: the default ones over and over, with users varied, some blank."""
    base = default_scenarios()
    frame = pd.concat([base] * (count // len(base) + 1), ignore_index=True).iloc[:count].copy()
    frame["scenario"] = [f"{name} #{i + 1}" for i, name in enumerate(frame["scenario"])]
    frame["dau"] = np.geomspace(1e5, 1e9, count).round()
    frame.loc[frame.index % 11 == 0, "dau"] = np.nan  # the Inputs sheet's value
    return frame


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """The rows are streamed alike however many there are: structure is checked on 30."""
    scenarios = many(30)
    path = tmp_path_factory.mktemp("small") / "small.xlsx"
    return build_workbook(path, scenarios, build_date="2026-01-01"), scenarios


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    scenarios = many(COUNT)
    path = tmp_path_factory.mktemp("scale") / "large.xlsx"
    return build_workbook(path, scenarios, build_date="2026-01-01"), scenarios


# Reading it back --------------------------------------------------------------------------
def test_read_scenarios_gives_inputs_and_outputs_by_name(large):
    path, scenarios = large
    frame = read_scenarios(path)
    assert len(frame) == COUNT
    expected = formulas.estimate_table(scenario_inputs(canonical_names(scenarios)))
    assert list(frame["scenario"]) == list(scenarios["scenario"])
    for q in INPUTS:
        if q.name not in scenarios or q.kind == "name":
            continue
        given = scenarios[q.name].astype(float)
        np.testing.assert_array_equal(frame[q.name].to_numpy(), given.to_numpy(), err_msg=q.name)
    for o in OUTPUTS:
        np.testing.assert_allclose(
            frame[o.name].astype(float), expected[o.name].astype(float), rtol=1e-12, err_msg=o.name
        )
    assert frame["inputs_valid"].all() and frame["ok"].all()
    assert set(frame["message"]) == {""} and set(frame["bad_input"]) == {""}


def test_pandas_reads_the_table_with_the_documented_header(large):
    path, _ = large
    frame = pd.read_excel(path, sheet_name="Scenarios", header=SCENARIOS_HEADER - 1, nrows=50)
    assert list(frame.columns[: 1 + len(INPUTS)]) == ["scenario"] + [q.name for q in INPUTS]
    assert (frame["gpu_count"] > 0).all()


def test_scenario_charts_say_they_show_the_first_rows(large):
    """A chart of scenarios draws the first 30: its title says so, not 'by scenario' alone."""
    book = openpyxl.load_workbook(large[0])
    titles = []
    for chart in book["Charts"]._charts:  # (openpyxl lists a read sheet's charts so)
        if chart.title is not None:
            titles.append("".join(r.t for p in chart.title.tx.rich.p for r in (p.r or [])))
    scenario_titles = [t for t in titles if "by scenario" in t]
    assert len(scenario_titles) == 2
    assert all(t.endswith(f"(the first 30 of {COUNT:,} scenarios)") for t in scenario_titles)


def test_large_fingerprint_and_rows(large):
    path, scenarios = large
    assert stored_fingerprint(path) == content_fingerprint(path)
    layout = Layout(len(scenarios))
    with zipfile.ZipFile(path) as package:
        # openpyxl names each sheet's part by its position
        sheet = package.read(f"xl/worksheets/sheet{SHEETS.index('Scenarios') + 1}.xml").decode()
    last = get_letter(len(layout.scenario_column))
    assert f'<dimension ref="A1:{last}{layout.scenario_last}"/>' in sheet
    assert sheet.count("<row ") == SCENARIOS_HEADER + COUNT
    with zipfile.ZipFile(path) as package:
        tables = [package.read(n).decode() for n in package.namelist() if "tables/" in n]
    ref = f'ref="A{SCENARIOS_HEADER}:{last}{layout.scenario_last}"'
    assert [t for t in tables if 'displayName="ScenarioTable"' in t and ref in t]


def get_letter(column: int) -> str:
    return openpyxl.utils.get_column_letter(column)


def test_streamed_rows_keep_the_column_styles_and_protection(small):
    path, scenarios = small
    layout = Layout(len(scenarios))
    ws = openpyxl.load_workbook(path)["Scenarios"]
    column = layout.scenario_column
    for row in (layout.scenario_first, layout.scenario_last):
        dau = ws.cell(row, column["dau"])
        assert dau.style == "Input" and not dau.protection.locked
        assert not ws.cell(row, column["scenario"]).protection.locked
        gpus = ws.cell(row, column["gpu_count"])
        assert gpus.protection.locked and gpus.number_format == "#,##0"
        assert gpus.value.startswith(f'=IF({get_letter(column["message"])}{row}="",')
    assert ws.protection.sheet and not ws.protection.insertRows
    # typed under the table, a new row's inputs are not locked either
    letter = get_letter(column["dau"])
    assert ws.column_dimensions[letter].protection.locked is False


def test_every_input_column_is_validated_to_the_last_row(small):
    path, scenarios = small
    layout = Layout(len(scenarios))
    ws = openpyxl.load_workbook(path)["Scenarios"]
    found = {}
    for dv in ws.data_validations.dataValidation:
        for ref in map(str, dv.sqref.ranges):
            found[ref] = dv
    for q in INPUTS:
        letter = layout.scenario_letter(q.name)
        dv = found[f"{letter}{layout.scenario_first}:{letter}{layout.scenario_last}"]
        assert dv.showErrorMessage and dv.error, q.name
        # GPU also takes a FLOP/s number, which its Catalog dropdown cannot list: it warns.
        assert dv.errorStyle == ("warning" if q.name == "gpu" else "stop"), q.name
        if q.name in ("gpu", "precision"):
            assert dv.type == "list" and dv.formula1 == f"catalog_{q.name}_name"


# No whole-column reference -----------------------------------------------------------------
def _formula_texts(path: Path):
    """Every formula of a workbook: cells, defined names, validation and formatting rules."""
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    yield f"{ws.title}!{cell.coordinate}", cell.value
        for dv in ws.data_validations.dataValidation:
            for text in (dv.formula1, dv.formula2):
                if text:
                    yield f"{ws.title} validation {dv.sqref}", "=" + text
        for formatting in ws.conditional_formatting:
            for rule in formatting.rules:
                for text in rule.formula or ():
                    yield f"{ws.title} format {formatting.sqref}", "=" + text
        for table in ws.tables.values():
            for column in table.tableColumns:
                if column.calculatedColumnFormula is not None:
                    yield (
                        f"{table.name}[{column.name}]",
                        "=" + column.calculatedColumnFormula.attr_text,
                    )
    scoped = [ws.defined_names for ws in wb.worksheets]
    for names in (wb.defined_names, *scoped):
        for name, defined in names.items():
            yield f"name {name}", "=" + defined.attr_text


def _references(formula: str) -> list[str]:
    """The operands of a formula that are references (not strings, numbers or names)."""
    return [
        token.value
        for token in Tokenizer(formula).items
        if token.type == "OPERAND" and token.subtype == "RANGE"
    ]


@pytest.mark.parametrize("variant", ["native", "plugin"])
def test_no_whole_column_or_row_reference(tmp_path, variant, small):
    paths = [build_workbook(tmp_path / "t.xlsx", variant=variant)]
    if variant == "native":
        paths.append(small[0])
    count = 0
    for path in paths:
        for where, formula in _formula_texts(path):
            for ref in _references(formula):
                assert not WHOLE.search(ref), (path.name, where, ref, formula[:200])
                count += 1
    assert count > 1000


def test_the_whole_reference_pattern_catches_them():
    for ref in ("$B:$B", "A:A", "Scenarios!$BE:$BE", "Scenarios!AB:AC", "5:5", "$1:$3"):
        assert WHOLE.search(ref), ref
    for ref in ("$B$1:$B$105", "A1:A5", "Scenarios!$A$6:$A$10005", "catalog_gpu_name", "B$5"):
        assert not WHOLE.search(ref), ref


def test_scenario_formulas_stay_readable():
    """The per-row formulas are the bulk of a large workbook (each is repeated in every
    row): none may grow past what one person can read."""
    from xlplugin.workbook.scenarios_sheet import row_formulas

    lengths = {name: len(text) for name, text in row_formulas(Layout(10)).items()}
    assert max(lengths.values()) < 2_500, sorted(lengths.items(), key=lambda kv: -kv[1])[:3]


# Atomic replacement ----------------------------------------------------------------------------
def test_a_stale_temporary_file_is_removed_by_the_next_build(tmp_path):
    stale = tmp_path / ".t.xlsx.k1ll3d.tmp"
    stale.write_bytes(b"half a workbook")
    other = tmp_path / ".other.xlsx.k1ll3d.tmp"  # another target's: not ours to remove
    other.write_bytes(b"x")
    build_workbook(tmp_path / "t.xlsx")
    assert not stale.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.xlsx.k1ll3d.tmp", "t.xlsx"]


# zipfile's half-made writer, collected, frees the archive, whose own collection then
# fails to close it (the CLI's hook keeps that quiet): a window of a few instructions.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_stop_while_a_member_opens_is_the_stop(tmp_path, monkeypatch):
    """A stop (Ctrl-C) that lands while zipfile opens a member, after it flags a writer
    open and before it makes one, leaves as the stop and leaves no file: closing the
    archive then raised ValueError in its place (the CLI printed a traceback, exit 1)."""
    import zlib

    from xlplugin.workbook import build, stream

    real, writing = zlib.compressobj, []

    def stopped(*args, **kwargs):
        if writing:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    def write_package(*args, **kwargs):
        writing.append(True)
        return stream.write_package(*args, **kwargs)

    monkeypatch.setattr(zlib, "compressobj", stopped)
    monkeypatch.setattr(build, "write_package", write_package)
    with pytest.raises(KeyboardInterrupt):
        build_workbook(tmp_path / "t.xlsx")
    assert writing and list(tmp_path.iterdir()) == []


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_a_stop_while_rows_stream_leaves_nothing_to_fail_later(tmp_path, monkeypatch):
    """A stop while the rows stream leaves as the stop with no file, and the abandoned
    archive is closed then, not left to fail when collected (an "Exception ignored"
    traceback on stderr after the build has already stopped)."""
    import gc

    from xlplugin.workbook import stream

    real = stream.sheet_xml

    def stopped(*args, **kwargs):
        chunks = real(*args, **kwargs)
        yield next(chunks)
        raise KeyboardInterrupt

    monkeypatch.setattr(stream, "sheet_xml", stopped)
    with pytest.raises(KeyboardInterrupt):
        build_workbook(tmp_path / "t.xlsx")
    gc.collect()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.name != "posix", reason="flock: POSIX")
def test_the_temporary_file_of_a_running_build_is_kept(tmp_path):
    import fcntl

    running = tmp_path / ".t.xlsx.running.tmp"
    running.write_bytes(b"being written")
    with running.open("rb+") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        build_workbook(tmp_path / "t.xlsx")
        assert running.exists()
    build_workbook(tmp_path / "t.xlsx")
    assert not running.exists()


_KILLED_BUILD = """
import sys
sys.path.insert(0, {tests!r})
from test_workbook_scale import many
from xlplugin.workbook.build import build_workbook
build_workbook({target!r}, many(40_000), build_date="2026-01-01")
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL: POSIX")
def test_a_killed_build_leaves_the_old_file_whole(tmp_path):
    target = tmp_path / "t.xlsx"
    build_workbook(target, build_date="2026-01-01")
    before = target.read_bytes()
    code = _KILLED_BUILD.format(tests=str(Path(__file__).parent), target=str(target))
    child = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        pending = []
        while time.monotonic() < deadline and child.poll() is None:
            pending = [p for p in tmp_path.glob(".t.xlsx.*.tmp") if p.stat().st_size > 100_000]
            if pending:
                break
            time.sleep(0.05)
        assert pending, "the build never started writing its temporary file"
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert target.read_bytes() == before
    assert stored_fingerprint(target) == content_fingerprint(target)
    assert [p.exists() for p in pending] == [True]  # left by the killed build...
    build_workbook(target, build_date="2026-01-01")
    assert not pending[0].exists()  # ...and removed by the next one
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.xlsx"]


def test_more_scenarios_than_the_limit_are_refused_at_once(tmp_path):
    frame = pd.DataFrame({"scenario": ["x"] * (MAX_SCENARIOS + 1)})
    started = time.perf_counter()
    with pytest.raises(ValueError, match=f"accepts at most {MAX_SCENARIOS:,}"):
        build_workbook(tmp_path / "t.xlsx", frame)
    assert time.perf_counter() - started < 1
    assert list(tmp_path.iterdir()) == []


# Memory -----------------------------------------------------------------------------------------
# The peak is the child's own high-water mark (VmHWM, which exec starts afresh): Linux
# carries ru_maxrss over from the parent, so a child of a pytest process that built the
# 10,000-row fixture would report the parent's peak.
_PEAK = """
import json, re, sys
sys.path.insert(0, {tests!r})
from test_workbook_scale import many
from xlplugin.workbook.build import build_workbook
scenarios = many({count})
build_workbook({target!r}, scenarios, build_date="2026-01-01")
with open("/proc/self/status") as status:
    print(json.dumps(int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read())[1]) / 1024))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="/proc/self/status: Linux")
def test_building_10000_scenarios_stays_under_400_mb(tmp_path):
    """The whole process, imports included (openpyxl in memory took 830-900 MB)."""
    code = _PEAK.format(
        tests=str(Path(__file__).parent), count=COUNT, target=str(tmp_path / "m.xlsx")
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    peak = json.loads(done.stdout.splitlines()[-1])
    assert peak < 400, f"peak resident memory {peak:.0f} MB"


# Private openpyxl API ----------------------------------------------------------------------------
def test_the_builder_uses_no_private_openpyxl_api():
    folder = ROOT / "xlplugin" / "workbook"
    private = re.compile(r"\._cells\b|\._style\b|\._cell_styles\b|StyleArray|\._cf_rules\b")
    for path in sorted(folder.glob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            assert not private.search(line), f"{path.name}:{number}: {line.strip()}"


def test_cached_steps_are_finite_numbers_or_empty(small):
    path, _ = small
    frame = read_scenarios(path)
    for name in STEPS:
        values = frame[name]
        numbers = values[values.map(lambda v: isinstance(v, float))]
        assert all(math.isfinite(v) or math.isnan(v) for v in numbers), name
