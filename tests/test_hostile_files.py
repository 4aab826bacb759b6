"""Hostile scenario files: entity and zip bombs, lies about the type, and size limits."""

from __future__ import annotations

import glob
import os
import resource
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from defusedxml import DefusedXmlException
from guards import no_hang
from scenario_files import error_of

from xlplugin import scenario_file
from xlplugin.scenario_file import (
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    MAX_UNCOMPRESSED_BYTES,
    MAX_ZIP_MEMBERS,
    ScenarioFileError,
    ScenarioLimitError,
    read_scenarios,
)

LAUGHS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 10)
    )
    + "]>\n"
)


def good_xlsx(path: Path) -> Path:
    book = openpyxl.Workbook()
    book.active.append(["scenario", "dau"])
    book.active.append(["A", 1])
    book.save(path)
    return path


def replace_member(path: Path, member: str, change) -> Path:
    """Rewrite the package with ``member``'s bytes passed through ``change``."""
    with zipfile.ZipFile(path) as package:
        parts = [(info.filename, package.read(info)) for info in package.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts:
            package.writestr(name, change(data) if name == member else data)
    return path


def entity_bomb(path: Path, member: str = "xl/worksheets/sheet1.xml") -> Path:
    def bomb(data: bytes) -> bytes:
        text = data.decode()
        body = text.split("?>", 1)[1] if text.startswith("<?xml") else text
        return (LAUGHS + body.replace("<v>1</v>", "<v>&lol9;</v>")).encode()

    return replace_member(good_xlsx(path), member, bomb)


# XML entity expansion ("billion laughs") ------------------------------------------------
@pytest.mark.parametrize(
    "member", ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "[Content_Types].xml"]
)
def test_entity_bomb_is_refused_with_a_clear_error(tmp_path, member):
    path = entity_bomb(tmp_path / "bomb.xlsx", member)
    message = error_of(path)
    assert f"{member} declares an XML DTD or entities" in message


def test_openpyxl_itself_parses_through_defusedxml(tmp_path):
    """The second line of defence: even without our scan, openpyxl refuses the bomb."""
    assert openpyxl.DEFUSEDXML is True
    path = entity_bomb(tmp_path / "bomb.xlsx", "xl/workbook.xml")
    if openpyxl.LXML:  # lxml (PyPI formulas brings it) parses without resolving entities
        assert openpyxl.load_workbook(path).sheetnames  # read, and nothing expanded
        return
    with pytest.raises(ValueError) as caught:
        openpyxl.load_workbook(path)
    assert isinstance(caught.value.__cause__, DefusedXmlException)
    path = entity_bomb(tmp_path / "sheet-bomb.xlsx")
    with pytest.raises(ValueError) as caught:
        book = openpyxl.load_workbook(path, read_only=True)
        list(book.worksheets[0].iter_rows(values_only=True))
    error = caught.value
    assert isinstance(error, DefusedXmlException) or isinstance(
        error.__cause__, DefusedXmlException
    )


# Zip bombs ------------------------------------------------------------------------------
def test_zip_bomb_is_refused_from_the_directory(tmp_path):
    path = good_xlsx(tmp_path / "zipbomb.xlsx")
    chunk = b"\0" * 1_000_000
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as package,
        package.open("xl/media/zeros.bin", "w", force_zip64=True) as member,
    ):
        for _ in range(MAX_UNCOMPRESSED_BYTES // len(chunk) + 1):
            member.write(chunk)
    assert path.stat().st_size < 2_000_000  # small on disk ...
    message = error_of(path, ScenarioLimitError)  # ... refused before any inflating
    assert message.startswith("zipbomb.xlsx: uncompressed size: got 20")
    assert message.endswith(f"accepts at most {MAX_UNCOMPRESSED_BYTES:,} bytes")


def test_too_many_zip_members_are_refused(tmp_path):
    path = good_xlsx(tmp_path / "members.xlsx")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as package:
        for i in range(MAX_ZIP_MEMBERS):
            package.writestr(f"xl/media/m{i}.bin", b"")
    assert "zip members: got 10,00" in error_of(path, ScenarioLimitError)


def test_a_lying_directory_cannot_inflate_a_member(tmp_path):
    """A member that inflates past its declared size fails the zip's checks, in bounded time."""
    path = good_xlsx(tmp_path / "liar.xlsx")
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as package:
        info = package.getinfo("xl/worksheets/sheet1.xml")
    # Halve the declared size in the local header (offset 22) and the central directory.
    local = info.header_offset
    size = int.from_bytes(data[local + 22 : local + 26], "little")
    data[local + 22 : local + 26] = (size // 2).to_bytes(4, "little")
    central = data.rfind(b"PK\x01\x02" + data[local + 4 : local + 6])
    start = data.find(b"xl/worksheets/sheet1.xml", central) - 46
    data[start + 24 : start + 28] = (size // 2).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    error_of(path)


# Not what the extension says ------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "scenarios.xlsx",
            b"scenario,dau\nA,1\n",
            "is text (a CSV? then name it .csv); expected an .xlsx workbook",
        ),
        ("scenarios.xlsx", os.urandom(4096), "expected an .xlsx workbook (a zip package)"),
        ("scenarios.xlsx", b"", "is empty; expected an .xlsx workbook"),
        (
            "scenarios.xlsx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
            "is a legacy .xls or password-protected workbook",
        ),
        ("scenarios.csv", b"", "is empty; expected UTF-8 CSV text with a header row"),
        ("scenarios.csv", b"\x00\x01\x02binary\xff", "holds binary data (NUL bytes)"),
        # a NUL before a comma reads as one in UTF-16-BE, among characters no header has
        ("scenarios.csv", b"scenario,dau\nA\x00,100M\n", "holds binary data (NUL bytes)"),
        (
            "scenarios.csv",
            "scenario,dau\nCaf\xe9,1\n".encode("latin-1"),
            "is not UTF-8 text (byte 0xE9 at offset 16)",
        ),
        ("scenarios.csv", "scenario,dau\nA,1\n".encode("utf-16"), "is UTF-16 text; expected UTF-8"),
        # without a byte-order mark, by where the NUL bytes fall; UTF-32's BOM starts as
        # UTF-16's does
        *(
            ("scenarios.csv", "scenario,dau\nA,1\n".encode(codec), f"is {wide} text; expected")
            for codec, wide in [
                ("utf-16-le", "UTF-16"),
                ("utf-16-be", "UTF-16"),
                ("utf-32", "UTF-32"),
                ("utf-32-le", "UTF-32"),
                ("utf-32-be", "UTF-32"),
            ]
        ),
        # text beyond Latin-1 (no NUL byte in every other place): decoded to be named
        *(
            ("scenarios.csv", "scenario,dau\n東京 €,1\n".encode(codec), f"is {wide} text;")
            for codec, wide in [("utf-16-le", "UTF-16"), ("utf-32-be", "UTF-32")]
        ),
        (  # a surrogate pair cut at the 256th byte
            "scenarios.csv",
            ("s,dau\n" + "x" * 121 + "🚀,1\n").encode("utf-16-le"),
            "is UTF-16 text;",
        ),
        ("scenarios.txt", b"scenario,dau\nA,1\n", "is a .txt file; expected a .csv or .xlsx"),
        ("scenarios", b"scenario,dau\nA,1\n", "is a file without an extension"),
        ("scenarios.xls", b"x", "is a .xls file; expected a .csv or .xlsx"),
    ],
)
def test_wrong_type_is_named(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    assert expected in error_of(path)


def test_xlsx_named_csv_is_explained(tmp_path):
    path = good_xlsx(tmp_path / "book.xlsx").rename(tmp_path / "book.csv")
    assert "is a zip file (an .xlsx workbook?), not CSV text" in error_of(path)


def test_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as package:
        package.writestr("readme.txt", "hello")
    assert "is a zip file but not an .xlsx workbook" in error_of(path)


def test_truncated_xlsx_is_damaged(tmp_path):
    path = good_xlsx(tmp_path / "cut.xlsx")
    path.write_bytes(path.read_bytes()[:3000])
    assert "cut.xlsx: is a damaged .xlsx workbook" in error_of(path)


def test_broken_workbook_xml_is_reported_not_raised_raw(tmp_path):
    path = replace_member(
        good_xlsx(tmp_path / "broken.xlsx"), "xl/workbook.xml", lambda data: data[: len(data) // 2]
    )
    assert "cannot be read as an .xlsx workbook" in error_of(path)


def test_missing_file_and_folder(tmp_path):
    assert error_of(tmp_path / "absent.csv") == "absent.csv: no such file"
    for name in ("dir.csv", "dir"):  # with or without an extension: a folder, said so
        (tmp_path / name).mkdir()
        assert error_of(tmp_path / name) == (
            f"{name}: is a folder; expected a .csv or .xlsx scenario file"
        )


# Limits ---------------------------------------------------------------------------------
def test_oversize_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:  # sparse: no 50 MB actually written
        handle.write(b"scenario,dau\n")
        handle.truncate(MAX_FILE_BYTES + 1)
    assert error_of(path, ScenarioLimitError) == (
        f"huge.csv: file size: got {MAX_FILE_BYTES + 1:,} bytes; accepts at most "
        f"{MAX_FILE_BYTES:,} bytes"
    )


def test_too_many_csv_rows(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes(b"dau\n" + b"1\n" * (MAX_ROWS + 1))
    assert error_of(path, ScenarioLimitError) == (
        f"rows.csv: rows: got more than {MAX_ROWS:,} scenario rows; accepts at most "
        f"{MAX_ROWS:,} scenario rows"
    )


def test_the_row_limit_itself_is_accepted(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes(b"dau\n" + b"1\n" * MAX_ROWS)
    with no_hang(30):
        assert len(read_scenarios(path)) == MAX_ROWS


def test_too_many_xlsx_rows_stop_the_reader(tmp_path, monkeypatch):
    monkeypatch.setattr(scenario_file, "MAX_ROWS", 10)
    book = openpyxl.Workbook()
    book.active.append(["dau"])
    for _ in range(50):
        book.active.append([1])
    book.save(tmp_path / "rows.xlsx")
    assert "more than 10 scenario rows" in error_of(tmp_path / "rows.xlsx", ScenarioLimitError)


def test_an_inflated_used_range_is_not_trusted(tmp_path):
    """A dimension of A1:XFD1048576 must not make the reader walk a billion empty cells."""
    path = replace_member(
        good_xlsx(tmp_path / "wide.xlsx"),
        "xl/worksheets/sheet1.xml",
        lambda data: data.replace(b'ref="A1:B2"', b'ref="A1:XFD1048576"'),
    )
    assert b"XFD1048576" in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    with no_hang(5):
        assert list(read_scenarios(path)["dau"]) == [1.0]


def test_a_styles_part_of_too_many_cell_formats_is_refused_before_openpyxl(tmp_path):
    """A few hundred kB on disk, within the uncompressed limit, that openpyxl would take
    seconds per 20 MB and gigabytes to read (every cell format an object)."""
    limit = scenario_file.MAX_STYLES_BYTES
    xf = b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    count = limit // len(xf) + 1

    def many_formats(data: bytes) -> bytes:
        start, end = data.index(b"<cellXfs"), data.index(b"</cellXfs>")
        return data[:start] + b'<cellXfs count="%d">' % count + xf * count + data[end:]

    path = replace_member(good_xlsx(tmp_path / "styles.xlsx"), "xl/styles.xml", many_formats)
    assert path.stat().st_size < 1_000_000
    with zipfile.ZipFile(path) as package:
        size = package.getinfo("xl/styles.xml").file_size
    assert limit < size < MAX_UNCOMPRESSED_BYTES
    with no_hang(2):  # openpyxl would take about 6 s
        message = error_of(path, ScenarioLimitError)
    assert message == (
        f"styles.xlsx: xl/styles.xml (cell formats), uncompressed: got {size:,} bytes; "
        f"accepts at most {limit:,} bytes"
    )


def test_a_real_styles_part_is_far_below_the_limit(tmp_path):
    """Excel's own cap of 64,000 cell formats fits in a few MB."""
    assert scenario_file.MAX_STYLES_BYTES >= 64_000 * 100
    assert list(read_scenarios(good_xlsx(tmp_path / "s.xlsx"))["dau"]) == [1.0]


def test_a_cell_alone_in_the_last_row_is_refused_at_once(tmp_path):
    """The rows the file leaves out are not made one by one up to the limit."""
    book = openpyxl.Workbook()
    book.active.cell(1_048_576, 1, 5)
    book.save(tmp_path / "far.xlsx")
    with no_hang(2), pytest.raises(ScenarioLimitError) as caught:
        read_scenarios(tmp_path / "far.xlsx")
    assert str(caught.value).startswith("far.xlsx: rows: got more than 100,000 scenario rows")


@pytest.mark.parametrize(
    ("name", "text", "row"),
    [
        ("header.csv", "dau" + "," * 20_000 + "\n5\n", 1),  # blank names, once a crash
        ("body.csv", "dau\n5" + "," * 20_000 + "\n", 2),
    ],
    ids=["header", "body"],
)
def test_a_csv_row_wider_than_the_column_limit(tmp_path, name, text, row):
    path = tmp_path / name
    path.write_text(text)
    assert error_of(path, ScenarioLimitError) == (
        f"{name} row {row}: got 20,001 columns; accepts at most {MAX_COLUMNS} columns"
    )


def test_an_xlsx_column_beyond_the_limit_is_refused_not_dropped(tmp_path):
    book = openpyxl.Workbook()
    book.active["A1"], book.active["A2"] = "dau", 5
    book.active.cell(1, 302, "steps"), book.active.cell(2, 302, 10)
    book.save(tmp_path / "wide.xlsx")
    assert error_of(tmp_path / "wide.xlsx", ScenarioLimitError) == (
        f"wide.xlsx row 1: got 302 columns; accepts at most {MAX_COLUMNS} columns"
    )


def test_the_column_limit_itself_is_accepted(tmp_path):
    book = openpyxl.Workbook()
    book.active["A1"], book.active["A2"] = "dau", 5
    book.active.cell(1, MAX_COLUMNS, "steps"), book.active.cell(2, MAX_COLUMNS, 10)
    book.save(tmp_path / "iv.xlsx")
    assert list(read_scenarios(tmp_path / "iv.xlsx")["steps"]) == [10.0]


@pytest.mark.parametrize("column", ["dau", "gpu", "headroom"])
def test_a_whole_number_beyond_any_float_is_named(tmp_path, column):
    book = openpyxl.Workbook()
    book.active.append(["scenario", column])
    book.active.append(["A", 7])
    book.save(tmp_path / "big.xlsx")
    huge = b"<v>1" + b"0" * 400 + b"</v>"
    path = replace_member(
        tmp_path / "big.xlsx",
        "xl/worksheets/sheet1.xml",
        lambda data: data.replace(b"<v>7</v>", huge),
    )
    assert error_of(path).startswith(f"big.xlsx row 2, column {column}: got ")


def test_overlong_scenario_name(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("scenario,dau\n" + "x" * 300 + ",1\n")
    assert "long.csv row 2, column scenario: got 300 characters" in error_of(
        path, ScenarioLimitError
    )


def test_a_scenario_name_is_counted_as_excel_counts_characters(tmp_path):
    """Excel counts UTF-16 units (LEN, MATCH's 255-character lookup): an emoji is two."""
    path = tmp_path / "emoji.csv"
    path.write_text("scenario,dau\n" + "\U0001f680" * 128 + ",1\n", encoding="utf-8")
    assert "emoji.csv row 2, column scenario: got 256 characters" in error_of(
        path, ScenarioLimitError
    )
    path.write_text("scenario,dau\n" + "\U0001f680" * 127 + "x,1\n", encoding="utf-8")
    assert read_scenarios(path)["scenario"].tolist() == ["\U0001f680" * 127 + "x"]


# The build command in a real process -----------------------------------------------------
BUILD = [sys.executable, "-m", "xlplugin.cli", "build", "-o", "o.xlsx"]


def quiet_child(file_bytes: int | None = None):
    """For the child: Ctrl-C raises KeyboardInterrupt; a write past ``file_bytes`` fails
    with EFBIG (SIGXFSZ ignored), as a full disk fails with ENOSPC."""

    def setup():
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        if file_bytes is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))

    return setup


def child_env(tmp_path: Path) -> dict:
    (tmp_path / "tmp").mkdir()  # openpyxl's temporary sheet files go here
    return {**os.environ, "TMPDIR": str(tmp_path / "tmp"), "PYTHONDONTWRITEBYTECODE": "1"}


@pytest.mark.parametrize("kilobytes", [20, 100])  # openpyxl's sheet files; the package
def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, kilobytes):
    """A subprocess each (about 2 s)."""
    (tmp_path / "out").mkdir()
    done = subprocess.run(
        BUILD,
        cwd=tmp_path / "out",
        env=child_env(tmp_path),
        preexec_fn=quiet_child(kilobytes * 1024),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stderr) == (
        2,
        "xlplugin: error: o.xlsx: cannot write: File too large\n",
    )
    assert os.listdir(tmp_path / "out") == [] and os.listdir(tmp_path / "tmp") == []


def written_to(folder: Path) -> bool:
    """Whether a build has begun writing its temporary file in ``folder``."""
    for name in glob.glob(str(folder / ".o.xlsx.*.tmp")):
        try:
            if os.path.getsize(name):
                return True
        except FileNotFoundError:
            pass
    return False


@pytest.mark.parametrize(
    ("stop", "status", "said"),
    [
        (signal.SIGINT, 130, "xlplugin: interrupted\n"),  # Ctrl-C
        (signal.SIGTERM, 143, "xlplugin: terminated\n"),  # kill, a runner's time-out
    ],
)
def test_a_build_stopped_while_writing_is_one_line_and_leaves_nothing(tmp_path, stop, status, said):
    """Stopped while it writes its temporary file (about 4 s each)."""
    (tmp_path / "out").mkdir()
    rows = "".join(f"S{i},{i + 1}\n" for i in range(5_000))
    (tmp_path / "s.csv").write_text("scenario,dau\n" + rows)
    child = subprocess.Popen(
        [*BUILD, "--scenarios", "../s.csv"],
        cwd=tmp_path / "out",
        env=child_env(tmp_path),
        preexec_fn=quiet_child(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not written_to(tmp_path / "out"):
            assert child.poll() is None, "the build ended before it could be interrupted"
            assert time.monotonic() < deadline, "nothing written after 60 s"
            time.sleep(0.005)
        child.send_signal(stop)
        _, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert (child.returncode, err) == (status, said)
    assert os.listdir(tmp_path / "out") == [] and os.listdir(tmp_path / "tmp") == []


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("a\nb.csv", "a\\nb.csv"),
        ("c\r\x1bd.csv", "c\\r\\x1bd.csv"),
        ("e\u2028f.csv", "e\\u2028f.csv"),
    ],
)
def test_a_file_name_with_control_characters_stays_on_one_line(tmp_path, name, shown):
    """Escaped as repr escapes them; the error keeps the name itself in ``file``."""
    path = tmp_path / name
    with pytest.raises(ScenarioFileError) as caught:
        read_scenarios(path)
    assert (str(caught.value), caught.value.file) == (f"{shown}: no such file", name)
    path.write_text("dau\n-5\n")
    with pytest.raises(ScenarioFileError) as caught:
        read_scenarios(path)
    assert str(caught.value) == f"{shown} row 2, column dau: got -5; accepts a number > 0"
    path.write_bytes(b"dau\n" + b"1\n" * (MAX_ROWS + 1))
    with pytest.raises(ScenarioLimitError) as caught:
        read_scenarios(path)
    assert str(caught.value).startswith(f"{shown}: rows: got more than")


def test_errors_are_value_errors_for_callers_that_catch_the_builtin(tmp_path):
    with pytest.raises(ValueError):
        read_scenarios(tmp_path / "nothing.csv")


def test_the_hang_guard_stops_what_would_hang():
    with pytest.raises(TimeoutError, match=r"still running after 0\.05 s"), no_hang(0.05):
        while True:
            pass


def test_a_number_beyond_a_float_in_an_xlsx_cell_is_called_so(tmp_path):
    """``<v>1e400</v>`` reads as infinity: refused as too large, not as a plain 'inf'."""
    path = replace_member(
        good_xlsx(tmp_path / "big.xlsx"),
        "xl/worksheets/sheet1.xml",
        lambda data: data.replace(b"<v>1</v>", b"<v>1e400</v>"),
    )
    assert error_of(path) == (
        "big.xlsx row 2, column dau: got inf; accepts a number > 0, at most 1.8e+308 "
        "(a larger one cannot be computed)"
    )
