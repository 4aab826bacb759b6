"""Store values we computed in Python as the cached values of formula cells.

openpyxl writes each formula cell with an empty cached value
(``<c r="B5"><f>A1*2</f><v/></c>``), so every reader that does not calculate
(Excel's Protected View, file previewers, ``openpyxl`` with ``data_only=True``,
``pandas.read_excel``) sees an empty cell. :func:`write_cached_values` fills in
the ``<v>`` of each formula cell, keeping the formula, so those readers see the
values, and keeps the workbook's ``fullCalcOnLoad`` so Excel still recalculates.

The sheet XML is patched in place rather than re-serialized: ElementTree takes
several seconds on a sheet of 300,000 formula cells, and it drops namespace
declarations that only ``mc:Ignorable`` refers to, which Excel rejects. Only the
listed ``<c>`` elements change; every other byte of the package stays as it was.
"""

from __future__ import annotations

import copy
import decimal
import math
import numbers
import os
import posixpath
import re
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from defusedxml import ElementTree

from . import atomic

__all__ = ["encode_value", "patch_sheet", "worksheet_parts", "write_cached_values"]

_OFFICE_DOCUMENT = "/officeDocument"
_WORKSHEET = "/worksheet"

# The main namespace may be the default one (openpyxl, Excel) or carry a prefix
# (some SDK-written files), so every element pattern accepts an optional prefix.
_PREFIX = r"(?:[A-Za-z_][\w.\-]*:)?"
_SHEET_DATA = re.compile(r"<(" + _PREFIX + r")sheetData\b[^>]*?(/?)>")
# One cell, matched whole so the scan stays in C: <f> can only be its first child
# and the old <v> its second, and neither can hold a "<" of its own. The
# reference is read by a lookahead because a writer may put r anywhere.
_CELL = re.compile(
    r"<(?P<p>" + _PREFIX + r")c"
    r"""(?:(?=[^>]*?\sr\s*=\s*["'](?P<ref>[^"']*)))?"""
    r"(?P<attrs>(?:\s[^>]*?)?)"
    r"(?:/>|>"
    r"(?P<f>\s*<(?P=p)f\b[^>]*?(?:/>|>[^<]*</(?P=p)f>))?"
    r"(?:\s*<(?P=p)v\b[^>]*?(?:/>|>[^<]*</(?P=p)v>))?"
    r"(?P<rest>.*?)</(?P=p)c>)",
    re.S,
)
_TYPE_ATTR = re.compile(r"""\s+t\s*=\s*(["']).*?\1""")
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([^"']+)""")
# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_Encoded = tuple[str, str]
# zlib level for the rewritten package: the default 6, which keeps a 10,000-scenario
# workbook under 10 MB (level 5 is about 0.5 s faster there, for a file 6 % larger).
_COMPRESS_LEVEL = 6


def write_cached_values(
    path: str | os.PathLike[str],
    values: Mapping[str, Mapping[str, object]],
    *,
    deflate_all: bool = False,
) -> None:
    """Write computed values as the cached values of formula cells, in place.

    Parameters
    ----------
    path : path-like
        An xlsx workbook, rewritten atomically (a temporary file in the same
        folder replaces it).
    values : Mapping[str, Mapping[str, object]]
        Sheet title -> {cell reference such as ``"B5"`` -> value}. A value is a
        number (``int``, ``float``, ``Decimal``, numpy number), a ``bool``, a
        ``str``, or None to leave the cached value empty.
    deflate_all : bool, default False
        Compress every member of the rewritten package, also those stored uncompressed
        (a writer that left compressing to this rewrite); by default each member keeps
        its own compression.

    Raises
    ------
    ValueError
        If a sheet is not in the workbook, a cell does not exist or holds no
        formula, a number is NaN or infinite, or a string holds a character XML
        cannot carry.
    TypeError
        If a reference is not a string or a value is of another type.

    Notes
    -----
    Every check runs before the file is replaced: after an error the workbook is
    exactly as it was.
    """
    target = Path(path)
    wanted = {title: _normalize_refs(title, cells) for title, cells in values.items() if cells}
    with zipfile.ZipFile(target) as package:
        parts = worksheet_parts(package)
        replacements = {}
        for title, cells in wanted.items():
            if title not in parts:
                raise ValueError(f"{target}: no worksheet named {title!r}")
            part = parts[title]
            replacements[part] = _patch_sheet(package.read(part), title, cells)
        if replacements or deflate_all:
            _rewrite(package, target, replacements, deflate_all)


def patch_sheet(xml: bytes, title: str, cells: Mapping[str, object]) -> bytes:
    """The sheet XML ``xml`` with the formula cells of ``cells`` (reference -> value) given
    their cached values; the checks of :func:`write_cached_values`."""
    return _patch_sheet(xml, title, _normalize_refs(title, cells)) if cells else xml


def _normalize_refs(title: str, cells: Mapping[str, object]) -> dict[str, object]:
    """Key the values by each reference as the sheet XML spells it."""
    normalized = {}
    for ref, value in cells.items():
        if not isinstance(ref, str):
            raise TypeError(f"{title!r}!{ref!r}: a cell reference must be a str such as 'B5'")
        # The XML spells references in capitals without "$"; accept "$b$5" too.
        normalized[ref.replace("$", "").upper()] = value
    return normalized


def encode_value(title: str, ref: str, value: object) -> _Encoded:
    """Return the ``t`` attribute ("" for a number) and the ``<v>`` text."""
    # Exact-type checks first: this runs once per cell, and ABC checks are slow.
    # NaN and infinities fall through to _format_float, which rejects them.
    kind = type(value)
    if kind is float and math.isfinite(value):
        return "", repr(value)
    if kind is int:
        return "", str(value)
    if kind is str:
        return _encode_str(title, ref, value)
    if value is None:
        return "", ""
    # bool before numbers: bool is an int, and Excel needs t="b" to show TRUE.
    if isinstance(value, bool) or _is_numpy_bool(value):
        return ' t="b"', "1" if value else "0"
    if isinstance(value, numbers.Integral):
        return "", str(int(value))
    if isinstance(value, numbers.Real | decimal.Decimal):
        return "", _format_float(title, ref, float(value))
    if isinstance(value, str):
        return _encode_str(title, ref, str(value))
    raise TypeError(f"{title!r}!{ref}: cannot store a {kind.__name__} as a cached value")


def _format_float(title: str, ref: str, number: float) -> str:
    if not math.isfinite(number):
        raise ValueError(f"{title!r}!{ref}: {number!r} cannot be stored in a workbook")
    # repr is the shortest text that reads back as the same double.
    return repr(number)


def _encode_str(title: str, ref: str, text: str) -> _Encoded:
    if _NOT_XML.search(text):
        raise ValueError(f"{title!r}!{ref}: the string holds a character XML cannot carry")
    # A raw CR would be read back as LF, so it goes as a character reference.
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return ' t="str"', escaped.replace("\r", "&#13;")


def _is_numpy_bool(value: object) -> bool:
    kind = type(value)
    return kind.__module__ == "numpy" and kind.__name__ in ("bool", "bool_")


def worksheet_parts(package: zipfile.ZipFile) -> dict[str, str]:
    """Map each worksheet title to its part name, through the relationships."""
    workbook = _related_part(package, "", _OFFICE_DOCUMENT)
    if workbook is None:
        raise ValueError(f"{package.filename}: not a workbook (no officeDocument relationship)")
    targets = dict(_relationships(package, workbook, _WORKSHEET))
    parts = {}
    for element in ElementTree.fromstring(package.read(workbook)).iter():
        if _local(element.tag) == "sheet":
            rel_id = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
            if rel_id in targets:
                parts[element.get("name")] = targets[rel_id]
    return parts


def _related_part(package: zipfile.ZipFile, source: str, kind: str) -> str | None:
    return next((target for _, target in _relationships(package, source, kind)), None)


def _relationships(package: zipfile.ZipFile, source: str, kind: str) -> Iterator[tuple[str, str]]:
    """Yield (Id, part name) of the internal relationships of ``source`` of a type."""
    folder, name = posixpath.split(source)
    rels = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels not in package.NameToInfo:
        return
    for element in ElementTree.fromstring(package.read(rels)):
        if element.get("TargetMode") == "External" or not element.get("Type", "").endswith(kind):
            continue
        target = element.get("Target", "")
        # Targets are relative to the source's folder unless they start with "/";
        # openpyxl writes absolute ones, Excel relative ones.
        joined = target[1:] if target.startswith("/") else posixpath.join(folder, target)
        yield element.get("Id"), posixpath.normpath(joined)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _patch_sheet(xml: bytes, title: str, cells: dict[str, object]) -> bytes:
    """Return the sheet XML with the listed formula cells' values filled in."""
    _check_encoding(xml, title)
    text = xml.decode("utf-8")
    start, end = _sheet_data_span(text, title)
    pieces = [text[:start]]
    position = start
    remaining = dict(cells)
    for match in _CELL.finditer(text, start, end):
        ref = match["ref"]
        if ref not in remaining:
            continue
        if match["f"] is None:
            raise ValueError(f"{title!r}!{ref}: the cell holds no formula")
        encoded = encode_value(title, ref, remaining.pop(ref))
        pieces.append(text[position : match.start()])
        pieces.append(_rebuild_cell(match, encoded))
        position = match.end()
    if remaining:
        raise ValueError(f"{title!r}!{min(remaining)}: no such cell in the sheet")
    pieces.append(text[position:])
    return "".join(pieces).encode("utf-8")


def _check_encoding(xml: bytes, title: str) -> None:
    declared = _ENCODING.match(xml)
    if declared and declared[1].lower() not in (b"utf-8", b"utf8"):
        raise ValueError(f"{title!r}: sheet XML in {declared[1].decode()}, only UTF-8 is handled")


def _sheet_data_span(text: str, title: str) -> tuple[int, int]:
    opening = _SHEET_DATA.search(text)
    if opening is None:
        raise ValueError(f"{title!r}: the sheet has no cell data")
    if opening[2]:  # <sheetData/>: no cell at all
        return opening.end(), opening.end()
    closing = text.find(f"</{opening[1]}sheetData>", opening.end())
    return opening.end(), len(text) if closing < 0 else closing


def _rebuild_cell(match: re.Match[str], encoded: _Encoded) -> str:
    """The cell with its formula, the new value and type, and its other children."""
    prefix, attributes, formula, rest = match.group("p", "attrs", "f", "rest")
    if "t=" in attributes:
        attributes = _TYPE_ATTR.sub("", attributes)
    type_attribute, value = encoded
    element = f"<{prefix}v>{value}</{prefix}v>" if value else f"<{prefix}v/>"
    return f"<{prefix}c{attributes}{type_attribute}>{formula}{element}{rest}</{prefix}c>"


def _rewrite(
    package: zipfile.ZipFile, target: Path, replacements: dict[str, bytes], deflate_all: bool
) -> None:
    """Write a copy of the package with some parts replaced, then swap it in."""
    with atomic.replacing(target) as temporary, zipfile.ZipFile(temporary, "w") as output:
        for info in package.infolist():
            data = replacements.get(info.filename)
            if data is None:
                data = package.read(info)
            # A copy of the ZipInfo keeps the member's name, date and compression.
            member = copy.copy(info)
            if deflate_all:
                member.compress_type = zipfile.ZIP_DEFLATED
            output.writestr(member, data, compresslevel=_COMPRESS_LEVEL)
