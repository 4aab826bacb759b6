"""Tests of xlplugin.libreoffice: LibreOffice headless as the reference engine."""

from __future__ import annotations

import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openpyxl
import pytest
from defusedxml import ElementTree
from guards import needs_soffice

from xlplugin import libreoffice
from xlplugin.libreoffice import (
    ConversionError,
    ConversionTimeoutError,
    SofficeNotFoundError,
    convert,
    find_soffice,
    recalculate,
    to_pdf,
    write_profile,
)
from xlplugin.workbook.cached_values import write_cached_values

OOR = "{http://openoffice.org/2001/registry}"
WRONG = 999


def _wrongly_cached(path: Path, a1: int = 21) -> Path:
    """A workbook whose formulas carry cached values that are plainly wrong."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Input Sheet"
    ws["A1"] = a1
    ws["B1"] = "=A1*2"
    ws["B2"] = '=IF(A1>10,"big","small")'
    results = wb.create_sheet("Results")
    results["A1"] = "='Input Sheet'!B1+1"
    wb.save(path)
    write_cached_values(
        path, {"Input Sheet": {"B1": WRONG, "B2": "wrong"}, "Results": {"A1": WRONG}}
    )
    cached = openpyxl.load_workbook(path, data_only=True)
    assert cached["Input Sheet"]["B1"].value == WRONG  # the trap is set
    return path


def _values(path: Path) -> tuple[object, object, object]:
    wb = openpyxl.load_workbook(path, data_only=True)
    return wb["Input Sheet"]["B1"].value, wb["Input Sheet"]["B2"].value, wb["Results"]["A1"].value


def test_find_soffice_returns_an_executable_or_none() -> None:
    found = find_soffice()
    assert found is None or os.access(found, os.X_OK)


def test_write_profile_sets_recalculation_to_always(tmp_path: Path) -> None:
    write_profile(tmp_path)

    root = ElementTree.parse(tmp_path / "user" / "registrymodifications.xcu").getroot()
    settings = {
        (item.get(f"{OOR}path"), prop.get(f"{OOR}name")): (
            prop.get(f"{OOR}op"),
            prop.findtext("value"),
        )
        for item in root.iter("item")
        for prop in item.iter("prop")
    }
    load = "/org.openoffice.Office.Calc/Formula/Load"
    assert settings == {
        (load, "OOXMLRecalcMode"): ("fuse", "0"),
        (load, "ODFRecalcMode"): ("fuse", "0"),
    }


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.xlsx: no such file"):
        recalculate(tmp_path / "nope.xlsx", tmp_path / "out")


def test_missing_soffice_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = tmp_path / "book.xlsx"
    openpyxl.Workbook().save(book)
    monkeypatch.setattr(libreoffice, "find_soffice", lambda: None)

    with pytest.raises(SofficeNotFoundError, match=r"book\.xlsx: LibreOffice .* not installed"):
        recalculate(book, tmp_path / "out")


@pytest.mark.libreoffice
@needs_soffice
def test_recalculate_replaces_wrong_cached_values(tmp_path: Path) -> None:
    book = _wrongly_cached(tmp_path / "book.xlsx")
    before = book.read_bytes()

    result = recalculate(book, tmp_path / "out")

    assert result == (tmp_path / "out" / "book.xlsx").resolve()
    assert _values(result) == (42, "big", 43)
    assert book.read_bytes() == before
    assert openpyxl.load_workbook(result)["Input Sheet"]["B1"].value == "=A1*2"


@pytest.mark.libreoffice
@needs_soffice
def test_without_the_seeded_profile_libreoffice_reads_the_cache(tmp_path: Path) -> None:
    """The control: shows the test above would catch a profile that is not applied."""
    book = _wrongly_cached(tmp_path / "book.xlsx")
    profile = tmp_path / "plain-profile"
    command = [
        find_soffice(),
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        "xlsx",
        "--outdir",
        str(tmp_path / "out"),
        str(book),
    ]
    subprocess.run(command, capture_output=True, timeout=180, check=True)

    values = _values(tmp_path / "out" / "book.xlsx")
    if values == (42, "big", 43):
        pytest.skip("this LibreOffice recalculates xlsx on load even by default")
    assert values == (WRONG, "wrong", WRONG)


@pytest.mark.libreoffice
@needs_soffice
def test_output_may_go_to_the_input_folder(tmp_path: Path) -> None:
    book = _wrongly_cached(tmp_path / "book.xlsx")

    result = recalculate(book, tmp_path)

    assert result == book.resolve()
    assert _values(book) == (42, "big", 43)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]


@pytest.mark.libreoffice
@needs_soffice
def test_concurrent_recalculations_do_not_collide(tmp_path: Path) -> None:
    books = [_wrongly_cached(tmp_path / f"book{n}.xlsx", a1=n * 10) for n in (1, 2)]

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda b: recalculate(b, tmp_path / "out"), books))
    elapsed = time.perf_counter() - started

    assert [_values(r)[0] for r in results] == [20, 40]
    assert [_values(r)[1] for r in results] == ["small", "big"]
    assert elapsed < 170


@pytest.mark.libreoffice
@needs_soffice
def test_to_pdf_writes_a_pdf(tmp_path: Path) -> None:
    book = _wrongly_cached(tmp_path / "book.xlsx")

    pdf = to_pdf(book, tmp_path / "out")

    assert pdf.name == "book.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")


@pytest.mark.libreoffice
@needs_soffice
def test_convert_to_csv_uses_recalculated_values(tmp_path: Path) -> None:
    book = _wrongly_cached(tmp_path / "book.xlsx")

    csv = convert(book, tmp_path / "out", "csv")

    assert csv.read_text().splitlines()[0].split(",") == ["21", "42"]


@pytest.mark.libreoffice
@needs_soffice
def test_unreadable_file_is_a_conversion_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.xlsx"
    junk.write_text("not a workbook")

    # soffice exits 0 here: only the missing output shows the failure.
    with pytest.raises(ConversionError, match=r"junk\.xlsx: .*wrote no junk\.xlsx: .*could not"):
        recalculate(junk, tmp_path / "out")


@pytest.mark.libreoffice
@needs_soffice
def test_timeout_kills_soffice(tmp_path: Path) -> None:
    book = _wrongly_cached(tmp_path / "book.xlsx")

    started = time.perf_counter()
    with pytest.raises(ConversionTimeoutError, match=r"book\.xlsx: .*timed out after 0\.2 s"):
        recalculate(book, tmp_path / "out", timeout=0.2)

    assert time.perf_counter() - started < 30
    assert not (tmp_path / "out" / "book.xlsx").exists()


@pytest.mark.libreoffice
@needs_soffice
def test_the_rounding_limits_the_readme_states(tmp_path):
    """LibreOffice 7.4's ROUNDUP and ROUNDDOWN give #NUM! for a number below about 1e-299,
    and ROUNDUP drops digits from 1e11 up (README, Limits of the model): the workbook
    shows the overflow sentence, or fails the GPUs check, there while formulas computes.
    Fails when a LibreOffice lifts a limit, so that the README can."""
    from xlplugin.formulas._arrays import roundup

    wb = openpyxl.Workbook()
    ws = wb.active
    values = (1e-290, 1e-300, 1e-310, 99999999999.3, 100000000000.3, 19982602395931.32)
    for row, value in enumerate(values, start=1):
        ws.cell(row, 1, value)
        ws.cell(row, 2, f"=ROUNDUP(A{row},0)")
        ws.cell(row, 3, f"=ROUNDDOWN(A{row},0)")
    wb.save(tmp_path / "round.xlsx")
    got = openpyxl.load_workbook(recalculate(tmp_path / "round.xlsx", tmp_path), data_only=True)
    rows = [[c.value for c in row[1:]] for row in got.active.iter_rows()]
    assert rows[:3] == [[1, 0], ["#NUM!", "#NUM!"], ["#NUM!", "#NUM!"]]
    assert rows[3][0] == roundup(values[3]) == 100000000000  # right below 1e11
    assert rows[4][0] == 100000000000 != roundup(values[4])  # from 1e11: digits dropped
    assert rows[5][0] == 19982602395900 != roundup(values[5]) == 19982602395932
