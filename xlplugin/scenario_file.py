"""Read a scenario file (CSV or .xlsx) into a validated scenario table.

One scenario per row; a header row of vocabulary input names (``dau``,
``requests_per_user``, ...) and an optional ``scenario`` name column. The file is
treated as hostile until proven otherwise:

* its size, its rows and, for an .xlsx, its zip directory (members and declared
  uncompressed sizes) are checked against the limits below *before* it is read;
* an .xlsx whose XML carries a document type declaration (the vehicle of entity
  expansion, "billion laughs") is refused before openpyxl sees it, and openpyxl
  itself parses through defusedxml;
* the content must be what the extension says (UTF-8 text for .csv, a zip
  workbook for .xlsx);
* its styles part (``xl/styles.xml``, read whole by openpyxl, every cell format an
  object) is checked against its own limit, so that a small file cannot cost a minute
  and gigabytes in cell formats;
* a merged range whose first cell holds a value is refused (the value shows in each of
  its cells, which would read as empty), and merges are counted before openpyxl reads
  them, each an object;
* text cells hold only what XML can carry (the Scenarios sheet is XML);
* numeric columns take numbers only (``100M`` and ``1MB`` as :mod:`formulas`
  reads them; ``-5`` is the number -5, then refused by validation), so text such
  as ``=1+1`` or ``-cmd|...`` can never reach the workbook through them; the
  ``scenario`` column keeps names verbatim, and the Scenarios sheet writes them
  as text, never as formulas;
* an .xlsx cell shown as a percentage holds the fraction itself (150 % is 1.5), and
  is taken as the text Excel shows ("150%"), as a CSV would have it.

Errors are :class:`ScenarioFileError`, a :class:`formulas.EstimateError`, with a
one-line message that starts with the file name (its control characters escaped, as
repr escapes them) and, where it applies, the row (as a spreadsheet shows it: the
header is row 1) and the column.
"""

from __future__ import annotations

import csv
import datetime
import difflib
import io
import math
import numbers
import os
import posixpath
import re
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from xml.parsers import expat

import numpy as np
import pandas as pd
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring, iterparse
from openpyxl.utils import get_column_letter, range_boundaries

from xlplugin import formulas
from xlplugin.formulas._arrays import text_number, too_large
from xlplugin.formulas.errors import EstimateError, InvalidInputError, _clip
from xlplugin.formulas.vocabulary import INPUT, INPUTS, spelt_name
from xlplugin.number_formats import section_for, sections
from xlplugin.workbook.excel_limits import refuse_beyond_excel

__all__ = [
    "MAX_COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_MERGED_RANGES",
    "MAX_NAME_CHARS",
    "MAX_ROWS",
    "MAX_STYLES_BYTES",
    "MAX_UNCOMPRESSED_BYTES",
    "MAX_ZIP_MEMBERS",
    "SCENARIO_COLUMN",
    "ScenarioFileError",
    "ScenarioLimitError",
    "read_scenarios",
    "refuse_names_alike",
]

MAX_FILE_BYTES = 50_000_000  # 50 MB on disk
MAX_ROWS = 100_000  # rows below the header (blank rows count)
MAX_UNCOMPRESSED_BYTES = 200_000_000  # .xlsx: sum of declared member sizes
MAX_ZIP_MEMBERS = 10_000  # .xlsx: members in the zip directory
# .xlsx: xl/styles.xml uncompressed. openpyxl reads it whole, every cell format an object:
# about 3 s and 130 MB per 10 MB. Excel's own cap of 64,000 cell formats fits in a few MB.
MAX_STYLES_BYTES = 20_000_000
MAX_NAME_CHARS = 255  # a scenario name, as Excel counts characters (UTF-16 units)
MAX_COLUMNS = 256  # columns a row may span (A to IV), blank cells included
MAX_MERGED_RANGES = 10_000  # .xlsx: merged ranges on the sheet (Excel files hold a handful)
SCENARIO_COLUMN = "scenario"

_CSV, _XLSX = ".csv", ".xlsx"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, or an encrypted .xlsx
_UTF32_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")  # before UTF-16's: LE starts alike
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_STYLES_PART = "xl/styles.xml"  # where openpyxl reads the styles, whatever the rels say
# What XML 1.0 cannot carry (C0 controls but tab, LF and CR; surrogates; U+FFFE, U+FFFF),
# as the workbook writer refuses it, and DEL, a control character nobody means.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_XML_TEXT = (
    "text XML can carry: no control characters but tab and line breaks, "
    "no U+FFFE, U+FFFF or surrogates"
)
# What a number format shows as it is: quoted text, an escaped character, [Red] or
# [>100], and the character after _ (a space as wide) or * (a fill).
_FORMAT_LITERAL = re.compile(r'"[^"]*"?|\\.|\[[^\]]*\]?|[_*].?')
# What the workbook's MATCH (which finds the scenario picked on the Inputs sheet) reads as
# wildcards in a name: such a name could pick another scenario, or never be picked.
_WILDCARD = re.compile(r"[*?~]")
_NUMERIC = [q.name for q in INPUTS if q.kind != "name"]
_COLUMNS = [SCENARIO_COLUMN] + [q.name for q in INPUTS]
_FRACTION_COLUMNS = frozenset(q.name for q in INPUTS if q.unit.split("/")[0] == "fraction")


class ScenarioFileError(EstimateError):
    """A scenario file that cannot be used: ``"<file> row R, column C: what is wrong"``."""

    def __init__(self, file: str, detail: str, row: int | None = None, column: str | None = None):
        self.file, self.detail, self.row, self.column = file, detail, row, column
        where = ", ".join(p for p in (row and f"row {row}", column and f"column {column}") if p)
        shown = _escaped(file)
        super().__init__(f"{shown} {where}: {detail}" if where else f"{shown}: {detail}")


def _escaped(name: str) -> str:
    """``name`` with each character that is not printable (a line break, an escape, a
    surrogate from undecodable bytes) as repr writes it, so the message stays one line."""
    if name.isprintable():
        return name
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)


class ScenarioLimitError(ScenarioFileError):
    """A scenario file larger than a stated limit (bytes, rows, zip members)."""

    def __init__(
        self,
        file: str,
        what: str,
        size: int | None,
        limit: int,
        unit: str,
        row: int | None = None,
        column: str | None = None,
    ):
        self.size, self.limit, self.unit = size, limit, unit
        got = f"more than {limit:,}" if size is None else f"{size:,}"
        detail = f"got {got} {unit}; accepts at most {limit:,} {unit}"
        # a cell's or a row's limit where a cell's other errors stand: "f.csv row 2, ..."
        super().__init__(file, detail if row else f"{what}: {detail}", row, column)


def read_scenarios(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read, check and validate a scenario file.

    Parameters
    ----------
    path : path-like
        A ``.csv`` (UTF-8, with or without BOM, comma-separated) or ``.xlsx`` (first
        worksheet) file; header in row 1, one scenario per row below it.

    Returns
    -------
    pandas.DataFrame
        Column ``scenario`` (names; "Scenario 1", ... where absent or blank), then
        every vocabulary input in vocabulary order: floats for numbers, text for
        catalogue names, blank (NaN) where the file leaves the cell empty; a fraction above
        1 stays the text it was written as ("150%"), which formulas takes as written where
        a plain 1.5 is refused as ambiguous. Ready for :func:`formulas.estimate_table` and
        :func:`xlplugin.workbook.build.build_workbook`.

    Raises
    ------
    ScenarioFileError
        With the file name, and the row and column where one applies.
    """
    path = Path(path)
    file = path.name
    kind = _kind(path)
    size = _size(path)
    if kind == _CSV:
        header, rows = _csv_rows(path, file, size)
    else:
        header, rows = _xlsx_rows(path, file, size)
    return _table(file, header, rows)


# The file itself ------------------------------------------------------------------------
def _kind(path: Path) -> str:
    if path.is_dir():
        raise ScenarioFileError(path.name, "is a folder; expected a .csv or .xlsx scenario file")
    suffix = path.suffix.lower()
    if suffix not in (_CSV, _XLSX):
        shown = f"a {suffix} file" if suffix else "a file without an extension"
        raise ScenarioFileError(path.name, f"is {shown}; expected a .csv or .xlsx scenario file")
    return suffix


def _size(path: Path) -> int:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ScenarioFileError(path.name, "no such file") from None
    except OSError as error:
        raise ScenarioFileError(path.name, f"cannot be read: {error.strerror}") from None
    if not path.is_file():
        raise ScenarioFileError(path.name, "is not a regular file")
    if info.st_size == 0:
        raise ScenarioFileError(path.name, f"is empty; expected {_expected(path.suffix)}")
    if info.st_size > MAX_FILE_BYTES:
        raise ScenarioLimitError(path.name, "file size", info.st_size, MAX_FILE_BYTES, "bytes")
    return info.st_size


def _expected(suffix: str) -> str:
    if suffix.lower() == _CSV:
        return "UTF-8 CSV text with a header row"
    return "an .xlsx workbook"


def _read_bytes(path: Path, size: int) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)  # the file may have grown since stat
    except OSError as error:
        raise ScenarioFileError(path.name, f"cannot be read: {error.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioLimitError(path.name, "file size", len(data), MAX_FILE_BYTES, "bytes")
    return data


# CSV ------------------------------------------------------------------------------------
def _csv_rows(path: Path, file: str, size: int) -> tuple[list, Iterator[tuple[int, list]]]:
    text = _csv_text(_read_bytes(path, size), file)
    records = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(records)
    except StopIteration:
        raise ScenarioFileError(file, f"is empty; expected {_expected(_CSV)}") from None
    except csv.Error as error:
        raise ScenarioFileError(file, f"is not valid CSV ({error})", 1) from None
    _check_width(file, 1, len(header))
    if len(header) == 1 and re.search("[;\t]", header[0]):
        raise ScenarioFileError(
            file,
            "columns are separated by ';' or tabs; expected commas "
            "(in Excel: Save As 'CSV UTF-8 (comma delimited)')",
            1,
        )
    return header, _csv_body(records, file)


def _csv_body(records, file: str) -> Iterator[tuple[int, list]]:
    row = 1
    while True:
        try:
            record = next(records)
        except StopIteration:
            return
        except csv.Error as error:
            raise ScenarioFileError(file, f"is not valid CSV ({error})", row + 1) from None
        row += 1
        _check_width(file, row, len(record))
        yield row, record


def _wide_encoding(data: bytes) -> str | None:
    """ "UTF-32" or "UTF-16" for text in either: by its byte-order mark, or, without one
    (NUL bytes in text that UTF-8 would not have), where the first 256 bytes decode as
    one of them to text with a comma or a line break, no control characters and mostly
    ASCII (the header's names: a stray NUL before a comma reads as U+002C in UTF-16-BE,
    among characters no header has)."""
    if data.startswith(_UTF32_BOMS):
        return "UTF-32"
    if data.startswith(_UTF16_BOMS):
        return "UTF-16"
    if b"\x00" not in data:
        return None
    head = data[: len(data[:256]) // 4 * 4]
    for codec in ("utf-32-le", "utf-32-be", "utf-16-le", "utf-16-be"):
        for part in (head, head[:-2]):  # (the cut may split a UTF-16 surrogate pair)
            try:
                text = part.decode(codec)
            except UnicodeDecodeError:
                continue
            if ("," in text or "\n" in text) and not _CONTROL.search(text) and _ascii(text):
                return codec[:6].upper()
    return None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _ascii(text: str) -> bool:
    """At least half of ``text`` ASCII."""
    return 2 * sum(c < "\x80" for c in text) >= len(text)


def _csv_text(data: bytes, file: str) -> str:
    if data.startswith(_ZIP_MAGIC):
        raise ScenarioFileError(
            file,
            "is a zip file (an .xlsx workbook?), not CSV text; "
            "expected UTF-8 CSV text (or name it .xlsx)",
        )
    encoding = _wide_encoding(data)
    if encoding:
        raise ScenarioFileError(
            file, f"is {encoding} text; expected UTF-8 CSV text (in Excel: Save As 'CSV UTF-8')"
        )
    if b"\x00" in data:
        raise ScenarioFileError(file, "holds binary data (NUL bytes); expected UTF-8 CSV text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        byte = data[error.start]
        raise ScenarioFileError(
            file,
            f"is not UTF-8 text (byte 0x{byte:02X} at offset {error.start:,}); expected "
            "UTF-8 CSV text (in Excel: Save As 'CSV UTF-8')",
        ) from None


# XLSX -----------------------------------------------------------------------------------
def _xlsx_rows(path: Path, file: str, size: int) -> tuple[list, Iterator[tuple[int, list]]]:
    _check_signature(path, file)
    _check_package(path, file)
    return _xlsx_cells(path, file)


def _check_signature(path: Path, file: str) -> None:
    with path.open("rb") as handle:
        head = handle.read(512)
    if head.startswith(_ZIP_MAGIC):
        return
    if head.startswith(_OLE_MAGIC):
        what = "a legacy .xls or password-protected workbook"
    elif _looks_like_text(head):
        what = "text (a CSV? then name it .csv)"
    else:
        what = "neither a zip package nor text"
    raise ScenarioFileError(file, f"is {what}; expected an .xlsx workbook (a zip package)")


def _looks_like_text(head: bytes) -> bool:
    try:
        head.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return error.start >= len(head) - 3  # a character cut at the end of the sample
    return b"\x00" not in head


def _check_package(path: Path, file: str) -> None:
    """Refuse zip bombs (from the directory alone) and XML with a DTD, before openpyxl."""
    try:
        with zipfile.ZipFile(path) as package:
            members = package.infolist()
            _check_sizes(members, file)
            if "[Content_Types].xml" not in package.namelist():
                raise ScenarioFileError(
                    file, "is a zip file but not an .xlsx workbook (no [Content_Types].xml)"
                )
            for member in members:
                _check_xml(package, member, file)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as error:
        raise ScenarioFileError(file, f"is a damaged .xlsx workbook ({error})") from None


def _check_sizes(members: list[zipfile.ZipInfo], file: str) -> None:
    """Refuse from the declared sizes alone: zipfile inflates no member past its own."""
    if len(members) > MAX_ZIP_MEMBERS:
        raise ScenarioLimitError(file, "zip members", len(members), MAX_ZIP_MEMBERS, "members")
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise ScenarioLimitError(file, "uncompressed size", total, MAX_UNCOMPRESSED_BYTES, "bytes")
    for member in members:  # each of a name given twice: which one is read is zipfile's
        if member.filename == _STYLES_PART and member.file_size > MAX_STYLES_BYTES:
            what = f"{_STYLES_PART} (cell formats), uncompressed"
            raise ScenarioLimitError(file, what, member.file_size, MAX_STYLES_BYTES, "bytes")


def _check_xml(package: zipfile.ZipFile, member: zipfile.ZipInfo, file: str) -> None:
    """Parse up to the root element: a DTD can only come before it, and OOXML has none.

    zipfile stops at the declared size, so a lying directory cannot inflate a member.
    """
    if member.is_dir():
        return
    with package.open(member) as stream:
        try:
            for _ in iterparse(stream, events=("start",), forbid_dtd=True):
                return
        except DefusedXmlException:
            raise ScenarioFileError(
                file,
                f"{member.filename} declares an XML DTD or entities (an entity "
                "expansion attack?); refused: .xlsx workbooks never carry one",
            ) from None
        except SyntaxError:  # not XML (an image, a printer setting): openpyxl decides
            return


def _xlsx_cells(path: Path, file: str) -> tuple[list, Iterator[tuple[int, list]]]:
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as error:  # hostile input: any failure of the reader is the file's
        raise _unreadable(file, error) from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise ScenarioFileError(file, "has no worksheet; expected scenarios on the first")
        _refuse_unseen_first(file, book, sheet)
        sheet.reset_dimensions()  # never trust the stated used range: it may span 1M x 16K
        merges = _merged_ranges(path, file)  # counted before openpyxl reads them
        rows = list(_sheet_rows(sheet, file))
    finally:
        book.close()
    if not rows:
        raise ScenarioFileError(file, "the first worksheet is empty; expected a header row")
    _check_merges(file, merges, [values for _, values in rows])
    return rows[0][1], iter(rows[1:])


def _refuse_unseen_first(file: str, book, sheet) -> None:
    """Refuse a workbook whose first worksheet, the one read, is not the one its user sees:
    hidden, or another sheet open. Built from a hidden sheet's rows, a workbook said
    nothing of it."""
    name = _shown(sheet.title)
    if sheet.sheet_state != "visible":
        raise ScenarioFileError(
            file,
            f"the first worksheet, {name}, is hidden; scenarios are read from the first "
            "worksheet: unhide it, or move the scenarios' sheet first",
        )
    shown = book.active
    if shown is not None and shown.title != sheet.title:
        raise ScenarioFileError(
            file,
            f"opens on worksheet {_shown(shown.title)}, but scenarios are read from the "
            f"first worksheet, {name}: move {_shown(shown.title)} first, or save the file "
            f"with {name} open",
        )


def _merged_ranges(path: Path, file: str) -> list[str]:
    """The ``ref`` of each merged range of the sheet, at most MAX_MERGED_RANGES of them.

    openpyxl's read-only mode keeps no merges, though it reads them, as objects (about
    0.4 KB and 8 us each: two million, in a 9 MB file, cost a gigabyte): so the sheet's
    own XML, the part openpyxl reads the cells from, is read for them first."""
    refs = []

    def found(ref: str) -> None:
        if len(refs) == MAX_MERGED_RANGES:
            raise ScenarioLimitError(file, "merged cells", None, MAX_MERGED_RANGES, "ranges")
        refs.append(ref)

    try:
        with zipfile.ZipFile(path) as package, package.open(_first_sheet(package)) as stream:
            _each_merge(stream, found)
    except EstimateError:
        raise
    except Exception as error:  # hostile input: any failure of the parse is the file's
        raise _unreadable(file, error) from None
    return refs


_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_SHEET = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}sheet"
_SHEET_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _first_sheet(package: zipfile.ZipFile) -> str:
    """The part of the workbook's first worksheet (openpyxl's ``worksheets[0]``), found as
    openpyxl finds it: the package's main part, its sheets in order, their relationships
    (openpyxl's read-only sheet does not say which part it reads)."""
    book = next(
        t for kind, t in _relationships(package, "").values() if kind.endswith("/officeDocument")
    )
    targets = _relationships(package, book)
    for sheet in _xml(package, book).iter(_SHEET):
        kind, target = targets[sheet.get(_SHEET_ID)]
        if kind.endswith("/worksheet"):
            return target
    raise ValueError("no worksheet")


def _relationships(package: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Id -> (type, part) of a part's relationships ("" for the package's own)."""
    folder, name = posixpath.split(part)
    found = _xml(package, posixpath.join(folder, "_rels", f"{name}.rels"))
    return {
        r.get("Id"): (r.get("Type", ""), _target(folder, r.get("Target", "")))
        for r in found.iter(_RELATIONSHIP)
    }


def _target(folder: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(folder, target))


def _xml(package: zipfile.ZipFile, part: str):
    """A small part's XML (the workbook and its relationships; sizes and DTDs checked)."""
    return fromstring(package.read(part))


def _check_merges(file: str, refs: list[str], rows: list[list]) -> None:
    """Refuse a merged range whose first cell holds a value: the value shows in every cell
    of it but is stored in the first only, so the others would read as empty (and take the
    default). A merge of empty cells is formatting, and harmless."""
    for ref in refs:
        _check_merge(file, ref, rows)


def _each_merge(stream, found) -> None:
    """Call ``found(ref)`` for each ``<mergeCell>`` of a worksheet's XML (checked: no DTD,
    its size bounded), streamed through expat: no tree is built, so memory stays flat
    however long the sheet, and it costs a quarter of ElementTree's iterparse (about 0.5 s
    for 100,000 rows)."""
    parser = expat.ParserCreate(namespace_separator=" ")

    def start(name: str, attributes: dict) -> None:
        if name.rpartition(" ")[2] == "mergeCell":
            found(attributes.get("ref", ""))

    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = _refuse_dtd  # refused by _check_package already
    parser.ParseFile(stream)


def _refuse_dtd(*_) -> None:
    raise ValueError("an XML DTD in a worksheet")


def _check_merge(file: str, ref: str, rows: list[list]) -> None:
    try:  # openpyxl has read the same refs, refusing any that is no range of cells
        column, row, _, _ = range_boundaries(ref)
    except (ValueError, TypeError):
        column = row = None
    if column is None or row is None:
        raise ScenarioFileError(
            file, f"is a damaged .xlsx workbook (merged cells {_shown(ref)} are no cell range)"
        )
    values = rows[row - 1] if row <= len(rows) else []
    if column > len(values) or _blank(values[column - 1]):
        return
    first = f"{get_column_letter(column)}{row}"
    raise ScenarioFileError(
        file,
        f"cells {ref.replace('$', '')} are merged; the value shown in each is held by {first} "
        "only (the others would take the default); accepts one value per cell: unmerge them "
        "and type each scenario's value",
    )


def _unreadable(file: str, error: Exception) -> ScenarioFileError:
    first = next(iter(str(error).splitlines()), "")[:200]
    return ScenarioFileError(
        file, f"cannot be read as an .xlsx workbook ({type(error).__name__}: {first})"
    )


def _sheet_rows(sheet, file: str) -> Iterator[tuple[int, list]]:
    # Without max_col each row ends at its last cell in the file, and a row the file
    # leaves out is one empty list: no empty cells are made for either.
    try:
        for row, cells in enumerate(sheet.iter_rows(), start=1):
            if row > MAX_ROWS + 1:
                raise ScenarioLimitError(file, "rows", None, MAX_ROWS, "scenario rows")
            _check_width(file, row, len(cells))
            yield row, _trimmed([_cell_value(cell, file, row) for cell in cells])
    except EstimateError:
        raise
    except Exception as error:  # hostile input, as above
        raise _unreadable(file, error) from None


def _check_width(file: str, row: int, width: int) -> None:
    """Refuse a row wider than MAX_COLUMNS before any work per column."""
    if width > MAX_COLUMNS:
        raise ScenarioLimitError(file, "columns", width, MAX_COLUMNS, "columns", row)


def _trimmed(values: list) -> list:
    end = len(values)
    while end and _blank(values[end - 1]):
        end -= 1
    return values[:end]


def _cell_value(cell, file: str, row: int) -> object:
    if getattr(cell, "data_type", None) == "f":
        raise ScenarioFileError(
            file,
            "holds a formula; scenario files take values (copy, then Paste Values)",
            row,
            _letter(cell),
        )
    value = getattr(cell, "value", None)
    if type(value) in (int, float) and _is_percent_format(
        getattr(cell, "number_format", None), value
    ):
        return _percent_cell(value)
    return value


def _percent_cell(value: int | float) -> object:
    try:
        return _PercentCell(value)
    except OverflowError:  # a whole number beyond any float: refused as the number it is
        return value


class _PercentCell(float):
    """A number that its cell shows as a percentage: the fraction itself (150 % is 1.5)."""


def _is_percent_format(number_format: object, value: float) -> bool:
    """Whether a format shows ``value`` as a percentage (multiplied by 100): a % that is not
    quoted or escaped in the section Excel uses for it (by sign, or by the sections'
    conditions: "[>=100]0;0%" shows 0.5 as 50%, "[<1]0%;0" shows 5 as 5)."""
    if not isinstance(number_format, str) or "%" not in number_format:
        return False
    return "%" in _FORMAT_LITERAL.sub("", section_for(sections(number_format), value))


def _letter(cell) -> str:
    column = getattr(cell, "column", None)
    return get_column_letter(column) if column else "?"


# From rows to a validated table ---------------------------------------------------------
def _table(file: str, header: list, rows: Iterable[tuple[int, list]]) -> pd.DataFrame:
    names = _header(file, header)
    records, numbers_, percents = [], [], {}
    for count, (row, values) in enumerate(rows, start=1):
        if count > MAX_ROWS:
            raise ScenarioLimitError(file, "rows", None, MAX_ROWS, "scenario rows")
        if all(_blank(v) for v in values):
            continue
        given = _record(file, row, names, values)
        record = {n: _value(file, row, n, v) for n, v in given.items()}
        for name in _FRACTION_COLUMNS.intersection(record):
            if record[name] > 1 and isinstance(given[name], str):  # "150%" (or a plain 150)
                percents[len(records), name] = given[name].strip()
            elif record[name] > 1 and isinstance(given[name], _PercentCell):  # 150 %
                percents[len(records), name] = _percent_text(given[name])
        records.append(record)
        numbers_.append(row)
    if not records:
        raise ScenarioFileError(file, "has no scenarios; expected one per row below the header")
    frame = pd.DataFrame(records, columns=_COLUMNS)
    for name in _NUMERIC:
        frame[name] = frame[name].astype(float)
    frame[SCENARIO_COLUMN] = _scenario_names(file, frame[SCENARIO_COLUMN], numbers_)
    frame = _as_written(frame, percents)
    _validate(file, frame, [n for n in names if n], numbers_)
    return frame


def _as_written(frame: pd.DataFrame, percents: dict[tuple[int, str], str]) -> pd.DataFrame:
    """``frame`` with each fraction above 1 given back as the text it was written as
    ("150%"), so that formulas takes it as written, as every other face does, instead of
    refusing the 1.5 it would be as a plain fraction above 1 (20 %? 2,000 %?). A plain 150
    never gets this far: validation refuses it, suggesting 150%."""
    for name in {name for _, name in percents}:
        frame[name] = frame[name].astype(object)
    for (index, name), text in percents.items():
        frame.at[index, name] = text
    return frame


def _percent_text(fraction: float) -> str:
    """The "N%" Excel shows for ``fraction`` (1.282: "128.2%"), which formulas reads back
    as exactly ``fraction``: its decimal digits, the point moved two places (written with
    an exponent where they would run long)."""
    shifted = Decimal(repr(fraction)).scaleb(2)
    text = f"{shifted:f}"
    return f"{text}%" if len(text) <= 24 else f"{shifted:e}%".replace("e+", "e")


def _header(file: str, header: list) -> list[str | None]:
    """Canonical name per column (None: an unnamed column), refusing unknown and repeats."""
    names, seen = [], {}
    for column, raw in enumerate(header, start=1):
        letter = get_column_letter(column)
        if _blank(raw):
            names.append(None)
            continue
        name = spelt_name(raw)
        if name not in _COLUMNS:
            raise ScenarioFileError(file, _unknown(str(raw)), 1, letter)
        if name in seen:
            raise ScenarioFileError(
                file,
                f"column {name!r} appears twice (also column {seen[name]}); accepts each name once",
                1,
                letter,
            )
        seen[name] = letter
        names.append(name)
    if not seen:
        raise ScenarioFileError(
            file,
            "row 1 holds no column names; expected a header such as scenario,dau,requests_per_user",
        )
    return names


def _unknown(raw: str) -> str:
    close = difflib.get_close_matches(raw.strip().lower(), _COLUMNS, n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    return (
        f"unknown column {_shown(raw)}{hint}; accepts scenario or an "
        "input name (see xlplugin estimate --help)"
    )


def _record(file: str, row: int, names: list, values: list) -> dict:
    record = {}
    for column, value in enumerate(values, start=1):
        if _blank(value):
            continue
        name = names[column - 1] if column <= len(names) else None
        where = name or get_column_letter(column)
        if name is None:
            raise ScenarioFileError(
                file,
                f"got {_shown(value)} under no column name; accepts values under named columns",
                row,
                where,
            )
        record[name] = value
    return record


def _value(file: str, row: int, name: str, value: object) -> object:
    if isinstance(value, str) and (bad := _NOT_XML.search(value)):
        what = f"U+{ord(bad.group()):04X} (character {bad.start() + 1})"
        raise ScenarioFileError(
            file, f"got {_shown(value)}, holding {what}; accepts {_XML_TEXT}", row, name
        )
    if name == SCENARIO_COLUMN:
        return _name_text(file, row, value)
    spec = INPUT[name]
    if spec.kind == "name":
        if isinstance(value, _PercentCell):  # "20%", as a CSV has it: no GPU's FLOP/s
            return _percent_text(value)
        return value.strip() if isinstance(value, str) else _number(file, row, spec, value)
    return _number(file, row, spec, value)


def _name_text(file: str, row: int, value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool):  # as Excel shows it, not Python's True
        value = "TRUE" if value else "FALSE"
    if isinstance(value, datetime.date | datetime.time | datetime.timedelta):
        # shown as its cell's format shows it, which a name read here cannot follow
        raise ScenarioFileError(
            file,
            f"got a date or time ({value}); accepts a name as text (format the cell as Text)",
            row,
            SCENARIO_COLUMN,
        )
    text = value if isinstance(value, str) else str(value)
    # Verbatim, however it starts (the Scenarios sheet stores it as text), except that a
    # carriage return becomes a line feed, as any XML reader would turn it anyway.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # counted as stored, as Excel counts them (LEN, MATCH's 255): in UTF-16 units, an
    # emoji two
    units = len(text.encode("utf-16-le")) // 2
    if units > MAX_NAME_CHARS:
        raise ScenarioLimitError(
            file, "characters", units, MAX_NAME_CHARS, "characters", row, SCENARIO_COLUMN
        )
    _refuse_wildcard(file, row, text)
    return text


def _wildcard_name(text: str, wildcard: str) -> str:
    bare = re.sub(" {2,}", " ", _WILDCARD.sub("", text)).strip()
    such = f", such as {_shown(bare)}" if bare else ""
    return (
        f"got {_shown(text)}, holding {wildcard!r}; accepts a name without *, ? or ~{such} "
        "(the workbook finds the scenario picked with MATCH, which reads them as wildcards)"
    )


def _number(file: str, row: int, spec, value: object) -> float:
    """A finite float: a number, or text that :func:`formulas.parse_quantity` reads."""
    number, accepts = None, spec.accepts
    if isinstance(value, _PercentCell):  # read as the text it shows, as "50%" in a CSV is
        value = _percent_text(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_):
        try:
            number = float(value)
        except OverflowError:  # a whole number beyond any float (400 digits in a cell)
            number = None
        if number is not None and math.isinf(number):  # an .xlsx number beyond any float
            accepts = too_large(spec.name, value).accepts  # (1e400 in its XML reads as inf)
    elif isinstance(value, str):  # as every face reads text (a culture's rules too)
        try:
            number = text_number(spec.name, value)
        except InvalidInputError as error:  # with both readings, or the parser's hint
            accepts = error.accepts
    if number is None or not math.isfinite(number):
        raise ScenarioFileError(file, _got(spec.name, value, accepts), row, spec.name)
    return number


def _got(name: str, value: object, accepts: str) -> str:
    return str(InvalidInputError(name, value, accepts)).removeprefix(f"{name}: ")


def _scenario_names(file: str, names: pd.Series, rows: list[int]) -> list[str]:
    """Each row's name; a row without one is "Scenario N" (N its place), or the next N
    no row of the file is named, so that a made-up name never clashes with a given one.

    Names are told apart as the workbook tells them apart: its MATCH ignores case, so
    "Plan" and "plan" would both pick the first of them."""
    out, seen = [], {}
    given = set().union(*(_match_keys(str(name)) for name in names if not _blank(name)))
    for index, (name, row) in enumerate(zip(names, rows, strict=True), start=1):
        text = name
        if _blank(name):
            number = index
            while (key := _match_key(text := f"Scenario {number}")) in given or key in seen:
                number += 1
        _note_name(file, row, text, seen)
        out.append(text)
    return out


def _refuse_wildcard(file: str, row: int, text: str) -> None:
    if wildcard := _WILDCARD.search(text):
        raise ScenarioFileError(file, _wildcard_name(text, wildcard.group()), row, SCENARIO_COLUMN)


def _note_name(file: str, row: int, text: str, seen: dict[str, tuple[str, int]]) -> None:
    """Record a row's name in ``seen``, refusing one the workbook cannot tell from an
    earlier row's."""
    keys = _match_keys(text)
    for key in keys:
        if key in seen:
            earlier, at = seen[key]
            raise ScenarioFileError(file, _repeated_name(text, earlier, at), row, SCENARIO_COLUMN)
    for key in keys:
        seen[key] = text, row


def refuse_names_alike(names: Iterable, what: str = "scenarios") -> None:
    """Refuse the names of a scenario table that the workbook could not tell apart (as
    :func:`read_scenarios` does for a file): two equal but for case, or one holding a
    wildcard; blank names are the builder's to make. Raises :class:`ScenarioFileError`
    naming ``what`` and the row (from 1)."""
    seen: dict[str, tuple[str, int]] = {}
    for row, name in enumerate(names, start=1):
        if _blank(name):
            continue
        text = str(name)
        _refuse_wildcard(what, row, text)
        _note_name(what, row, text, seen)


def _match_key(name: str) -> str:
    # casefold, not lower: it errs towards refusing two names a spreadsheet might still
    # tell apart ("Straße", "STRASSE"), never towards letting one pick the other.
    return name.casefold()


def _match_keys(name: str) -> set[str]:
    """The name as each way of ignoring case reads it: casefold alone keeps "ı" (dotless
    i) apart from "I", which LibreOffice's MATCH takes for one (its upper case is "I"), so
    the scenario picked as "I" showed the other's figures."""
    return {_match_key(name), _match_key(name.upper()), _match_key(name.lower())}


def _repeated_name(text: str, earlier: str, at: int) -> str:
    if text == earlier:
        return f"scenario name {_shown(text)} repeats row {at}; accepts each name once"
    return (
        f"scenario name {_shown(text)} differs from {_shown(earlier)} (row {at}) only in "
        "case; accepts names that differ in more than case (the workbook finds the scenario "
        "picked with MATCH, which ignores case: either would show the first); rename one"
    )


def _validate(file: str, frame: pd.DataFrame, present: list[str], rows: list[int]) -> None:
    """Every range, catalogue name and fit check of :func:`formulas.estimate_table`, and
    numbers a workbook cell holds."""
    inputs = frame[[n for n in present if n != SCENARIO_COLUMN]]
    try:
        formulas.estimate_table(inputs)
        refuse_beyond_excel(inputs)  # what formulas computes but no workbook cell holds
    except InvalidInputError as error:
        row = None if error.row is None or error.row >= len(rows) else rows[error.row]
        column = error.name if error.name in present else None
        detail = _got(error.name, error.value, error.accepts)
        if column is None:
            detail = f"{error.name}: {detail}"
        raise ScenarioFileError(file, detail, row, column) from None
    except EstimateError as error:
        raise ScenarioFileError(file, str(error)) from None


def _shown(value: object) -> str:
    return _clip(repr(value))


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float) and math.isnan(value)
