"""``xlplugin build``: output paths, scenario files, atomic writes and edited workbooks."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import PatternFill

import xlplugin.workbook.build as build_module
from xlplugin.cli import main
from xlplugin.workbook.build import content_fingerprint, stored_fingerprint
from xlplugin.workbook.layout import SCENARIOS_HEADER

SCENARIOS = "scenario,dau,gpu\nSmall,1M,H100\nLarge,1B,H200\n"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["build", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def names_in(path: Path) -> list[str]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        first = SCENARIOS_HEADER + 1
        rows = book["Scenarios"].iter_rows(min_row=first, max_col=1, values_only=True)
        return [row[0] for row in rows if row and row[0] is not None]
    finally:
        book.close()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or p.suffix == ".tmp")


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_default_output_in_the_current_folder(folder, capsys):
    status, out, err = run(capsys)
    target = folder / "xlplugin-template.xlsx"
    assert (status, err) == (0, "")
    assert out == "wrote xlplugin-template.xlsx (the default scenarios, native variant)\n"
    assert stored_fingerprint(target) == content_fingerprint(target)
    assert names_in(target)[0] == "Seed (as published)"
    assert leftovers(folder) == []


def test_new_file_gets_ordinary_permissions(folder, capsys):
    run(capsys, "-o", "p.xlsx")
    umask = os.umask(0)
    os.umask(umask)
    assert (folder / "p.xlsx").stat().st_mode & 0o777 == 0o666 & ~umask


def test_scenarios_file_and_variant(folder, capsys):
    (folder / "s.csv").write_text(SCENARIOS)
    status, out, _ = run(capsys, "-o", "out.xlsx", "--scenarios", "s.csv", "--variant", "plugin")
    assert status == 0 and out == "wrote out.xlsx (2 scenarios, plugin variant)\n"
    assert names_in(folder / "out.xlsx") == ["Small", "Large"]


def test_scenarios_from_xlsx(folder, capsys):
    book = openpyxl.Workbook()
    for row in (["dau", "requests_per_user"], [5e6, 3], ["20M", 1]):
        book.active.append(row)
    book.save(folder / "s.xlsx")
    assert run(capsys, "-o", "out.xlsx", "--scenarios", "s.xlsx")[0] == 0
    assert names_in(folder / "out.xlsx") == ["Scenario 1", "Scenario 2"]


def test_bad_scenarios_exit_2_with_one_line_and_write_nothing(folder, capsys):
    (folder / "s.csv").write_text("scenario,dau\nA,1\nB,-5\n")
    status, out, err = run(capsys, "-o", "out.xlsx", "--scenarios", "s.csv")
    assert (status, out) == (2, "")
    assert err == "xlplugin: error: s.csv row 3, column dau: got -5; accepts a number > 0\n"
    assert sorted(p.name for p in folder.iterdir()) == ["s.csv"]


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("out.xls", "--output: got 'out.xls'; accepts a path ending in .xlsx"),
        (
            "missing/out.xlsx",
            "--output: got 'missing/out.xlsx'; accepts a path in a folder that exists "
            "('missing' does not)",
        ),
        (
            "a" * 5000 + ".xlsx",
            f"--output: got '{'a' * 49}...{'a' * 21}.xlsx'; accepts a path this system can "
            "write (File name too long)",
        ),
    ],
)
def test_bad_destination(folder, capsys, output, message):
    assert run(capsys, "-o", output)[::2] == (2, f"xlplugin: error: {message}\n")


def test_destination_that_is_a_folder(folder, capsys):
    (folder / "dir.xlsx").mkdir()
    status, _, err = run(capsys, "-o", "dir.xlsx")
    assert status == 2 and "--output: got 'dir.xlsx', a folder; accepts a file path" in err


def test_a_scenario_file_that_is_not_there_is_named_with_its_flag(folder, capsys):
    status, out, err = run(capsys, "-o", "out.xlsx", "--scenarios", "absent.csv")
    assert (status, out, sorted(p.name for p in folder.iterdir())) == (2, "", [])
    assert err == (
        "xlplugin: error: --scenarios: got 'absent.csv'; accepts a .csv or .xlsx scenario "
        "file that exists\n"
    )


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ("--scenarios", ""),
            "--scenarios: got an empty value; accepts a .csv or .xlsx scenario file",
        ),
        (("-o", " "), "--output: got an empty value; accepts a path ending in .xlsx"),
    ],
)
def test_an_empty_value_is_refused_not_taken_for_the_default(folder, capsys, flags, message):
    assert run(capsys, *flags)[::2] == (2, f"xlplugin: error: {message}\n")
    assert not any(folder.iterdir())  # nothing written, not even the default scenarios


# Edited workbooks -----------------------------------------------------------------------
def test_untouched_build_is_overwritten_freely(folder, capsys):
    assert run(capsys, "-o", "out.xlsx")[0] == 0
    (folder / "s.csv").write_text(SCENARIOS)
    assert run(capsys, "-o", "out.xlsx", "--scenarios", "s.csv")[0] == 0
    assert names_in(folder / "out.xlsx") == ["Small", "Large"]


def test_edited_workbook_is_kept_unless_force(folder, capsys):
    run(capsys, "-o", "out.xlsx")
    target = folder / "out.xlsx"
    book = openpyxl.load_workbook(target)
    book["Scenarios"][f"B{SCENARIOS_HEADER + 1}"] = 123456789  # a user's change to an input
    book.save(target)
    assert content_fingerprint(target) != stored_fingerprint(target)
    before = target.read_bytes()
    status, out, err = run(capsys, "-o", "out.xlsx")
    assert (status, out) == (2, "")
    assert err == (
        "xlplugin: error: out.xlsx: was edited or saved again since it was built; "
        "use --force to overwrite\n"
    )
    assert target.read_bytes() == before
    assert run(capsys, "-o", "out.xlsx", "--force")[0] == 0
    assert content_fingerprint(target) == stored_fingerprint(target)


def test_an_untouched_build_is_known_by_its_parts_and_a_resaved_one_is_kept(
    folder, capsys, monkeypatch
):
    """Every byte as built: known from the zip's directory, no cell read (the cells of a
    10,000-scenario workbook took 30 s to read). Saved again, the bytes differ: kept,
    without reading a cell, for what may have changed beside the cells."""
    run(capsys, "-o", "out.xlsx")
    target = folder / "out.xlsx"
    assert build_module.untouched_parts(target)
    monkeypatch.setattr(build_module, "content_fingerprint", None)  # never needed
    assert run(capsys, "-o", "out.xlsx")[0] == 0
    book = openpyxl.load_workbook(target)
    book.save(target)  # the same cells, other bytes
    assert not build_module.untouched_parts(target)
    status, _, err = run(capsys, "-o", "out.xlsx")
    assert status == 2 and "was edited or saved again since it was built" in err


def _note(book):
    book["Inputs"]["A1"].comment = Comment("keep this note", "me")


def _fill(book):
    book["Estimate"]["B5"].fill = PatternFill("solid", fgColor="FFFF00")


def _width(book):
    book["Estimate"].column_dimensions["A"].width = 80


def _hidden(book):
    book["Catalog"].sheet_state = "hidden"


def _no_validation(book):
    book["Inputs"].data_validations.dataValidation.clear()


@pytest.mark.parametrize("edit", [_note, _fill, _width, _hidden, _no_validation])
def test_an_edit_beside_the_cells_is_kept(folder, capsys, edit):
    """A note, a fill, a column width, a hidden sheet, validation removed: lost when the
    equal cells let the build overwrite them."""
    run(capsys, "-o", "out.xlsx")
    target = folder / "out.xlsx"
    book = openpyxl.load_workbook(target)
    edit(book)
    book.save(target)
    before = target.read_bytes()
    status, _, err = run(capsys, "-o", "out.xlsx")
    assert status == 2 and "was edited or saved again since it was built" in err
    assert target.read_bytes() == before


def _without_parts(book):
    del book.custom_doc_props[build_module.PARTS_PROPERTY]


def _empty_parts(book):
    book.custom_doc_props[build_module.PARTS_PROPERTY].value = ""


def _a_property_of_ours(book):
    book.custom_doc_props.append(StringProperty(name="Status", value="approved by the CFO"))


@pytest.mark.parametrize("edit", [_without_parts, _empty_parts, _a_property_of_ours])
def test_the_properties_are_the_builds_own_or_the_workbook_is_kept(folder, capsys, edit):
    """Without its parts' record (deleted, emptied) the cells alone were compared, so a
    width or a hidden sheet was lost; a property someone added (docProps/custom.xml is
    not among the parts recorded) was lost too."""
    run(capsys, "-o", "out.xlsx")
    target = folder / "out.xlsx"
    book = openpyxl.load_workbook(target)
    edit(book)
    book["Estimate"].column_dimensions["A"].width = 80
    book.save(target)
    before = target.read_bytes()
    status, _, err = run(capsys, "-o", "out.xlsx")
    assert status == 2 and "was edited or saved again since it was built" in err
    assert target.read_bytes() == before


def test_a_second_properties_part_is_an_edit(folder, capsys):
    run(capsys, "-o", "out.xlsx")
    target = folder / "out.xlsx"
    with zipfile.ZipFile(target, "a") as package, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name
        package.writestr("docProps/custom.xml", package.read("docProps/custom.xml"))
    status, _, err = run(capsys, "-o", "out.xlsx")
    assert status == 2 and "was edited or saved again since it was built" in err


def _build_in_child(folder: Path, *argv: str) -> subprocess.CompletedProcess:
    """``xlplugin build`` in a child process: a regression that blocks is a failure, not a
    test run that never ends."""
    command = [sys.executable, "-m", "xlplugin.cli", "build", *argv]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=300)


def test_a_destination_that_is_not_a_regular_file_is_not_read(folder):
    """A FIFO blocked the check that reads the old workbook; /dev/zero filled the memory."""
    os.mkfifo(folder / "fifo.xlsx")
    (folder / "zero.xlsx").symlink_to("/dev/zero")
    for name in ("fifo.xlsx", "zero.xlsx"):
        done = _build_in_child(folder, "-o", name)
        assert done.returncode == 2, (name, done.stderr)
        assert done.stderr == (
            f"xlplugin: error: {name}: is not a regular file; use --force to overwrite\n"
        )
    assert (folder / "zero.xlsx").is_symlink() and not leftovers(folder)


def test_an_edit_far_past_the_tables_is_seen_without_reading_every_empty_cell(folder, capsys):
    """A note at XFD1048576 made the check read the 17 billion cells of the range the sheet
    then declares (still running after two minutes)."""
    run(capsys, "-o", "out.xlsx")
    book = openpyxl.load_workbook(folder / "out.xlsx")
    book["Checks"]["XFD1048576"] = "a note"
    book.save(folder / "out.xlsx")
    done = _build_in_child(folder, "-o", "out.xlsx")
    assert (done.returncode, done.stderr) == (
        2,
        "xlplugin: error: out.xlsx: was edited or saved again since it was built; "
        "use --force to overwrite\n",
    )


def test_an_edit_past_the_range_the_sheet_declares_is_seen(folder, capsys):
    """A tool that adds a cell without updating the sheet's <dimension>: the check reads the
    rows there are, not the rows declared."""
    run(capsys, "-o", "out.xlsx")
    target, edited = folder / "out.xlsx", folder / "edited.xlsx"
    with zipfile.ZipFile(target) as source, zipfile.ZipFile(edited, "w") as output:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":  # About
                row = b'<row r="999"><c r="A999" t="inlineStr"><is><t>x</t></is></c></row>'
                data = data.replace(b"</sheetData>", row + b"</sheetData>")
            output.writestr(info, data)
    edited.replace(target)
    assert content_fingerprint(target) != stored_fingerprint(target)
    assert "was edited or saved again since it was built" in run(capsys, "-o", "out.xlsx")[2]


def test_renamed_sheet_counts_as_an_edit(folder, capsys):
    run(capsys, "-o", "out.xlsx")
    book = openpyxl.load_workbook(folder / "out.xlsx")
    book["Checks"].title = "My checks"
    book.save(folder / "out.xlsx")
    assert "was edited or saved again since it was built" in run(capsys, "-o", "out.xlsx")[2]


def test_build_with_hostile_names_is_still_untouched(folder, capsys):
    """Names that look like formulas or carry line breaks round-trip through the fingerprint."""
    (folder / "s.csv").write_text('scenario,dau\n"=1+1",1\n"-cmd|x",2\n"a\r\nb",3\n@x,4\n')
    assert run(capsys, "-o", "out.xlsx", "--scenarios", "s.csv")[0] == 0
    target = folder / "out.xlsx"
    assert content_fingerprint(target) == stored_fingerprint(target)
    assert run(capsys, "-o", "out.xlsx")[0] == 0  # an untouched build: no --force needed


# Atomic write ---------------------------------------------------------------------------
@pytest.mark.parametrize("failure", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_interrupted_build_keeps_the_old_file(folder, capsys, monkeypatch, failure):
    run(capsys, "-o", "out.xlsx")
    before = (folder / "out.xlsx").read_bytes()

    def fail_midway(small, temporary, *args):  # once the temporary file exists
        assert Path(temporary).exists() and Path(temporary).parent == folder
        raise failure

    monkeypatch.setattr(build_module, "_write_package", fail_midway)
    if isinstance(failure, KeyboardInterrupt):  # Ctrl-C: one line, status 130
        assert main(["build", "-o", "out.xlsx", "--force"]) == 130
        assert capsys.readouterr().err == "xlplugin: interrupted\n"
    else:
        with pytest.raises(type(failure)):
            main(["build", "-o", "out.xlsx", "--force"])
    assert (folder / "out.xlsx").read_bytes() == before
    assert leftovers(folder) == []
    assert sorted(p.name for p in folder.iterdir()) == ["out.xlsx"]


@pytest.mark.parametrize(
    ("stop", "status", "said"),
    [("KeyboardInterrupt", 130, "interrupted"), ("cli.Terminated", 143, "terminated")],
)
def test_a_stop_is_one_line_even_if_what_it_interrupted_fails_again(folder, stop, status, said):
    # A stop inside zipfile's constructor leaves a half-built writer whose __del__ fails
    # when the traceback lets go of it: Python printed "Exception ignored in ..." and a
    # traceback after our line. A child process, so that pytest's own hook is not involved.
    code = textwrap.dedent(f"""
        import sys
        from xlplugin import cli
        import xlplugin.workbook.build as build

        class HalfBuilt:
            def __del__(self):
                raise ValueError("seek of closed file")

        def stop(*args):
            half = HalfBuilt()
            raise {stop}

        build._write_package = stop
        hook = sys.unraisablehook
        status = cli.main(["build", "-o", "o.xlsx"])
        assert sys.unraisablehook is hook  # restored once main returns
        sys.exit(status)
    """)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=folder, capture_output=True, text=True, timeout=120
    )
    assert (done.returncode, done.stderr) == (status, f"xlplugin: {said}\n")
    assert list(folder.iterdir()) == []


def test_ctrl_c_while_the_libraries_load_is_one_line(folder):
    """Ctrl-C in the first half second, while numpy and pandas load, printed a traceback."""
    code = textwrap.dedent("""
        import runpy, sys

        class Interrupt:  # Ctrl-C arrives while pandas is imported
            def find_spec(self, name, path=None, target=None):
                if name == "pandas":
                    raise KeyboardInterrupt

        sys.meta_path.insert(0, Interrupt())
        sys.argv = ["xlplugin", "build", "-o", "o.xlsx"]
        runpy.run_module("xlplugin.cli", run_name="__main__")
    """)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=folder, capture_output=True, text=True, timeout=120
    )
    assert (done.returncode, done.stderr) == (130, "xlplugin: interrupted\n")
    assert list(folder.iterdir()) == []


def test_interrupted_first_build_leaves_nothing(folder, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("stop")

    monkeypatch.setattr(build_module, "_write_package", fail)
    with pytest.raises(RuntimeError):
        main(["build", "-o", "new.xlsx"])
    assert list(folder.iterdir()) == []


def test_unwritable_folder_is_one_line(folder, capsys, monkeypatch):
    import xlplugin.workbook.atomic as atomic

    def refuse(*args, **kwargs):  # what a read-only folder does (root ignores chmod)
        raise PermissionError(13, "Permission denied", kwargs.get("dir"))

    monkeypatch.setattr(atomic.tempfile, "mkstemp", refuse)
    (folder / "locked").mkdir()
    status, _, err = run(capsys, "-o", "locked/out.xlsx")
    assert status == 2 and err.count("\n") == 1 and "locked/out.xlsx" in err
    assert list((folder / "locked").iterdir()) == []


def test_failed_rename_is_one_line_and_cleans_up(folder, capsys, monkeypatch):
    import xlplugin.workbook.atomic as atomic

    def refuse(source, destination):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(atomic.os, "replace", refuse)
    status, _, err = run(capsys, "-o", "out.xlsx")
    assert (status, err) == (2, "xlplugin: error: out.xlsx: cannot write: Permission denied\n")
    assert list(folder.iterdir()) == []


# A real process -------------------------------------------------------------------------
def test_subprocess_build_and_refusal(tmp_path):
    (tmp_path / "s.csv").write_text(SCENARIOS)
    command = [sys.executable, "-m", "xlplugin.cli", "build", "-o", "out.xlsx"]
    done = subprocess.run(
        [*command, "--scenarios", "s.csv"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "wrote out.xlsx (2 scenarios, native variant)\n"
    (tmp_path / "bad.csv").write_text("dau,dau\n1,2\n")
    done = subprocess.run(
        [*command, "--scenarios", "bad.csv"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2
    assert done.stderr == (
        "xlplugin: error: bad.csv row 1, column B: column 'dau' appears "
        "twice (also column A); accepts each name once\n"
    )
