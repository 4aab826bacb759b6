"""Write the saved workbook package once, streaming the Scenarios rows into their sheet.

openpyxl keeps every cell of a workbook in memory as an object (about 1 KB each with its
style), which for 100,000 scenarios of 100-odd columns is gigabytes. So the workbook is
saved by openpyxl without the Scenarios rows -- only one row of styled empty cells under
the header, which tells the style of each column -- and :func:`write_package` then copies
that small package into the final file part by part: formula cells of the other sheets
get their cached values (:mod:`.cached_values`), and the Scenarios sheet's rows are
generated as XML, a chunk at a time, with their values, formulas (one shared formula a
column, written once as Excel writes a filled-down column), cached values and the styles
read back from that row. Each part is written (and compressed) once.

The same pass feeds the content fingerprint (:func:`.build.content_fingerprint`) with the
text of each cell, in the order a reader meets them.
"""

from __future__ import annotations

import contextlib
import copy
import math
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter

from .cached_values import encode_value, patch_sheet, worksheet_parts
from .scenarios_sheet import ROW, ScenarioColumns

__all__ = ["CHUNK_ROWS", "Body", "write_package"]

CHUNK_ROWS = 250  # rows generated, compressed and hashed at a time (their text held at once)
COMPRESS_LEVEL = 6  # the small parts, as cached_values
# The Scenarios sheet: a few KB of XML a row (cell references, styles, cached values),
# which zlib level 1 deflates several times faster than level 6 for a somewhat larger file.
ROWS_COMPRESS_LEVEL = 1
_ZIP64_BEYOND = 1_500_000_000  # uncompressed bytes of a sheet past which ZIP64 is needed
# Stands for the row number while a row is put together: no cell text can hold it (XML
# cannot carry U+0000, and values holding it are refused).
_N = "\x00"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CELL = re.compile(r"<c\b([^>]*)>")
_REF = re.compile(r'\sr="([A-Z]+)(\d+)"')
_STYLE_ID = re.compile(r'\ss="(\d+)"')
_DIMENSION = re.compile(r'<dimension ref="[^"]*"\s*/>')


@dataclass
class Body:
    """The Scenarios rows: what each column holds, the scenarios' own cells (a
    ``scenario`` name column and input columns; blank: NaN or None) and the cached value
    of every formula column (one row per scenario)."""

    sheet: str
    columns: ScenarioColumns
    scenarios: pd.DataFrame
    values: pd.DataFrame


def write_package(
    source: zipfile.ZipFile,
    destination,
    cached: Mapping[str, Mapping[str, object]],
    body: Body,
    on_cell_text: Callable[[str], None],
    last_parts: Mapping[str, Callable[[bytes, list[zipfile.ZipInfo]], bytes]],
    rewrite: Callable[[str, bytes], bytes] = lambda name, data: data,
) -> None:
    """Copy the package ``source`` to ``destination`` (a path or binary file), every part
    compressed, with the formula cells of ``cached`` given their values and ``body`` rows
    streamed into its sheet.

    ``on_cell_text`` receives the fingerprint text of each body cell, row by row; the parts
    of ``last_parts`` (part name -> function of its bytes and of the members written so
    far) are written last, after every row has been seen (the fingerprints go into
    docProps/custom.xml); every other part passes through ``rewrite`` (its name and bytes).
    """
    parts = worksheet_parts(source)
    for title in (*cached, body.sheet):
        if title not in parts:
            raise ValueError(f"{source.filename}: no worksheet named {title!r}")
    patched = {
        parts[title]: patch_sheet(source.read(parts[title]), title, cells)
        for title, cells in cached.items()
        if cells and title != body.sheet
    }
    body_cached = cached.get(body.sheet, {})
    deferred = []  # the last parts: written once every other member is
    with contextlib.ExitStack() as files:
        if not hasattr(destination, "write"):
            destination = files.enter_context(open(destination, "wb"))
        output = files.enter_context(_archive(destination))
        for info in source.infolist():
            if info.filename in last_parts:
                deferred.append(info)
            elif info.filename == parts[body.sheet]:
                sheet = patch_sheet(source.read(info), body.sheet, body_cached)
                _stream_rows(output, info.filename, sheet, body, on_cell_text)
            else:
                data = patched.get(info.filename)
                if data is None:
                    data = rewrite(info.filename, source.read(info))
                _copy(output, info, data)
        for info in deferred:
            data = last_parts[info.filename](source.read(info), list(output.infolist()))
            _copy(output, info, data)


@contextlib.contextmanager
def _archive(destination) -> Iterator[zipfile.ZipFile]:
    """A zip archive writing to ``destination``, closed on the way out, a stop included."""
    output = zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL)
    try:
        yield output
    except BaseException:
        # A stop (Ctrl-C, SIGTERM) that lands while zipfile opens a member leaves it
        # flagged as being written, and closing it then raises ValueError: the stop
        # goes on, not that. The file is the caller's to remove.
        with contextlib.suppress(ValueError, OSError):
            output.close()
        raise
    output.close()


def _stream_rows(output, name: str, sheet: bytes, body: Body, on_cell_text) -> None:
    """The body sheet as member ``name``: ``sheet`` with ``body``'s rows streamed into it."""
    zip64 = _estimated_size(body) > _ZIP64_BEYOND
    output.compresslevel = ROWS_COMPRESS_LEVEL
    with output.open(name, "w", force_zip64=zip64) as sink:
        for chunk in sheet_xml(sheet, body, on_cell_text):
            sink.write(chunk)
    output.compresslevel = COMPRESS_LEVEL


def _copy(output: zipfile.ZipFile, info: zipfile.ZipInfo, data: bytes) -> None:
    member = copy.copy(info)  # keeps the member's name and date
    member.compress_type = zipfile.ZIP_DEFLATED
    output.writestr(member, data, compresslevel=COMPRESS_LEVEL)


def _estimated_size(body: Body) -> int:
    """An upper bound of the sheet's size, to decide on ZIP64 before writing it."""
    formulas = body.columns.formulas.values()
    per_row = 120 * len(formulas)  # a shared formula's cell: its reference, si, value
    per_row += 600 * len(body.columns.inputs)  # a name may run to 255 characters, escaped
    return per_row * len(body.scenarios) + sum(2 * len(t) for t in formulas) + 1_000_000


# The sheet ------------------------------------------------------------------------------
def sheet_xml(sheet: bytes, body: Body, on_cell_text: Callable[[str], None]) -> Iterator[bytes]:
    """The sheet XML saved by openpyxl, with its row of styled empty cells (the table's
    first row) replaced by every row of ``body`` and the dimension widened to them."""
    text = sheet.decode("utf-8")
    first, count = body.columns.first_row, len(body.scenarios)
    start = text.find(f'<row r="{first}"')
    if start < 0:
        raise ValueError(f"{body.sheet!r}: no row {first} to take the styles from")
    end = text.index("</row>", start) + len("</row>")
    styles = _styles(text[start:end], first)
    head, tail = text[:start], text[end:]
    if text[end:].lstrip().startswith("<row"):
        raise ValueError(f"{body.sheet!r}: a row below {first}; the rows go last")
    last_column = get_column_letter(len(body.columns.names))
    last_row = first + count - 1 if count else first - 1
    head = _DIMENSION.sub(f'<dimension ref="A1:{last_column}{last_row}"/>', head, count=1)
    yield head.encode("utf-8")
    for start_row in range(0, count, CHUNK_ROWS):
        rows, texts = _chunk(body, styles, start_row, min(count, start_row + CHUNK_ROWS))
        on_cell_text(texts)
        yield rows.encode("utf-8")
    yield tail.encode("utf-8")


def _styles(row_xml: str, row: int) -> dict[str, str]:
    """The ``s`` attribute (style id) of each cell of the row, by column letter."""
    found = {}
    for cell in _CELL.finditer(row_xml):
        ref, style = _REF.search(cell[1]), _STYLE_ID.search(cell[1])
        if ref and int(ref[2]) == row:
            found[ref[1]] = style[1] if style else "0"
    return found


def _chunk(body: Body, styles: Mapping[str, str], start: int, stop: int) -> tuple[str, str]:
    """The XML of rows ``start:stop`` of the body and their fingerprint text."""
    names, formulas = body.columns.names, body.columns.formulas
    first = body.columns.first_row
    cells, texts = [], []
    shared_index = {name: i for i, name in enumerate(n for n in names if n in formulas)}
    for column, name in enumerate(names, start=1):
        letter = get_column_letter(column)
        head = f'<c r="{letter}{_N}" s="{styles.get(letter, "0")}"'
        where = f"{body.sheet!r}!{letter}"
        if name in formulas:
            formula = formulas[name][1:].replace(ROW, _N)
            values = body.values[name].iloc[start:stop]
            # One shared formula a column, as Excel writes a filled-down column: its text
            # once, in the first row, which every later row of the column refers to by
            # ``si`` (a reader shifts its relative references to the row).
            si = shared_index[name]  # numbered from 0 in sheet order, as Excel does
            shared = f'<f t="shared" si="{si}"/>'
            xml = _formula_cells(head, shared, values, where)
            if start == 0:
                last = f"{letter}{first + len(body.scenarios) - 1}"
                text = _escape(formula.replace(_N, str(first)))
                master = f'<f t="shared" ref="{letter}{first}:{last}" si="{si}">{text}</f>'
                xml[0] = _formula_cells(head, master, values.iloc[:1], where)[0]
            cells.append(xml)
            texts.append([f"{_N},{column}:s={formula}\n"] * (stop - start))
        else:
            values = (
                body.scenarios[name].iloc[start:stop]
                if name in body.scenarios
                else pd.Series([None] * (stop - start))
            )
            xml, text = _value_cells(head, column, values, where)
            cells.append(xml)
            texts.append(text)
    rows, fingerprint = [], []
    for offset, (row_cells, row_texts) in enumerate(
        zip(zip(*cells, strict=True), zip(*texts, strict=True), strict=True)
    ):
        number = str(first + start + offset)
        rows.append(f'<row r="{number}">' + "".join(row_cells).replace(_N, number) + "</row>")
        fingerprint.append("".join(row_texts).replace(_N, number))
    return "".join(rows), "".join(fingerprint)


def _formula_cells(head: str, formula: str, values: pd.Series, where: str) -> list[str]:
    """Formula cells (``formula`` their ``<f>`` element) with their cached values (NaN:
    the empty string Excel shows)."""
    middle = f">{formula}<v>"
    if values.dtype.kind == "f":
        number_cell = head + middle
        empty_cell = f'{head} t="str"{middle}</v></c>'
        # A step past a float's range (1 / vae_factor of 1e-300, then squared) is what
        # Excel shows as #NUM!: a scenario whose chosen model does not use it still has
        # its outputs, as estimate has (IF takes the branch chosen, not the other).
        overflow = f'{head} t="e"{middle}#NUM!</v></c>'
        return [
            (empty_cell if x != x else overflow)  # x != x: NaN
            if x - x != 0
            else f"{number_cell}{x!r}</v></c>"
            for x in values.to_numpy().tolist()
        ]
    out = []
    for value in values.tolist():
        if value is None or (isinstance(value, float) and math.isnan(value)):
            value = ""
        kind, text = encode_value(where, "", value)
        out.append(f"{head}{kind}{middle}{text}</v></c>")
    return out


def _value_cells(head: str, column: int, values: pd.Series, where: str):
    """A scenario's own cells (its name and inputs) and their fingerprint texts."""
    prefix = f"{_N},{column}:"
    if values.dtype.kind == "f":  # numbers and empty cells (NaN): no per-cell type tests
        numbers = values.to_numpy()
        infinite = np.isinf(numbers)
        if infinite.any():
            raise ValueError(f"{where}: {numbers[infinite][0]!r} cannot be stored in a workbook")
        given = [(x, repr(x)) for x in numbers.tolist()]
        xml = [head + "/>" if x != x else f"{head}><v>{r}</v></c>" for x, r in given]
        return xml, ["" if x != x else f"{prefix}n{r}\n" for x, r in given]  # x != x: NaN
    xml, texts = [], []
    for value in values.tolist():
        if isinstance(value, np.generic):
            value = value.item()
        kind = type(value)
        if value is None or value is pd.NA or (kind is float and math.isnan(value)):
            xml.append(head + "/>")
            texts.append("")
        elif kind is bool:
            xml.append(f'{head} t="b"><v>{int(value)}</v></c>')
            texts.append(f"{prefix}b{value}\n")
        elif kind is float or kind is int:
            if not math.isfinite(value):
                raise ValueError(f"{where}: {value!r} cannot be stored in a workbook")
            xml.append(f"{head}><v>{value!r}</v></c>")
            texts.append(f"{prefix}n{float(value)!r}\n")
        elif kind is str:
            if not value:
                xml.append(head + "/>")
                texts.append("")
                continue
            if _NOT_XML.search(value):
                raise ValueError(f"{where}: {value!r} holds a character XML cannot carry")
            space = ' xml:space="preserve"' if value != value.strip() else ""
            xml.append(f'{head} t="inlineStr"><is><t{space}>{_escape(value)}</t></is></c>')
            texts.append(f"{prefix}s{value}\n")
        else:
            raise TypeError(f"{where}: cannot write a {kind.__name__} into a cell")
    return xml, texts


def _escape(text: str) -> str:
    # A raw CR would be read back as LF, so it goes as a character reference.
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;").replace("\r", "&#13;")
