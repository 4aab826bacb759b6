"""Build the template workbook: ``build_workbook``, ``default_scenarios``, ``content_fingerprint``.

Every sheet but the Scenarios rows is written by openpyxl and saved in memory; the final
package is then written once (:mod:`.stream`): the Scenarios rows streamed into their
sheet as XML, a chunk at a time, and every formula cell given the value ``formulas``
computes for it as its cached value, so readers that do not calculate see the numbers.
The native workbook keeps ``fullCalcOnLoad`` on so Excel recalculates on open; the plugin
variant keeps its cached values (see :func:`_calculation`).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import hashlib
import io
import os
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.packaging.custom import StringProperty
from openpyxl.workbook.properties import CalcProperties
from openpyxl.writer.excel import ExcelWriter

try:  # openpyxl writes its sheets through lxml when it is installed
    from lxml.etree import SerialisationError as _LxmlWriteError
except ImportError:  # et_xmlfile: a failed write is an OSError already
    _LxmlWriteError = ()

import xlplugin
from xlplugin._collector import collector_paused

from . import atomic, charts
from .about_sheet import BUILD_DATE_CELL, write_about
from .catalog_sheet import write_catalog, write_models
from .charts import add_charts
from .checks_sheet import write_checks
from .estimate_sheet import write_estimate
from .excel_limits import refuse_beyond_excel
from .inputs_sheet import write_inputs
from .layout import SHEETS, Layout, flag_cells, why_cells
from .projection_sheet import write_projection
from .scenarios_sheet import default_scenarios, write_scenarios
from .sensitivity_sheet import sensitivity_values, write_sensitivity
from .stream import Body, write_package
from .styles import TAB, finish_sheets
from .values import cached_values, canonical_names, numbers_as_cells, scenario_values

__all__ = [
    "FINGERPRINT_PROPERTY",
    "MAX_SCENARIOS",
    "PARTS_PROPERTY",
    "VARIANTS",
    "build_workbook",
    "content_fingerprint",
    "default_scenarios",
]

VARIANTS = ("native", "plugin")
MAX_SCENARIOS = 100_000  # as many as a scenario file may hold (scenario_file.MAX_ROWS)
FINGERPRINT_PROPERTY = "xlplugin_fingerprint"
# The package's parts as the build wrote them (names, CRC-32s and sizes, custom.xml aside):
# a workbook whose parts all still match is untouched without reading a cell.
PARTS_PROPERTY = "xlplugin_parts"


def build_workbook(
    path: str | os.PathLike[str],
    scenarios: pd.DataFrame | None = None,
    *,
    variant: str = "native",
    build_date: str | None = None,
) -> Path:
    """Write the template workbook.

    Parameters
    ----------
    path : path-like
        Where to write the xlsx. It is replaced atomically: the workbook is written to a
        temporary file beside it (``.NAME.xlsx.*.tmp``, removed by the next build if this
        one is killed) and renamed onto it when complete.
    scenarios : pandas.DataFrame, optional
        A ``scenario`` name column and vocabulary input columns, one scenario per row
        (validated by the caller, but for the names: two equal but for case, or one with
        ``*``, ``?`` or ``~``, are refused, as the workbook could not tell them apart);
        blank cells take the Inputs sheet's value. None: the
        preloaded :func:`default_scenarios`. At most :data:`MAX_SCENARIOS` rows.
    variant : {"native", "plugin"}
        "plugin": the Estimate's outputs call the xlplugin Excel functions.
    build_date : str, optional
        ISO date shown on the About sheet; default today.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant: got {variant!r}, expected one of {', '.join(VARIANTS)}")
    scenarios = default_scenarios() if scenarios is None else scenarios
    if len(scenarios) > MAX_SCENARIOS:
        raise ValueError(
            f"scenarios: got {len(scenarios):,} rows; accepts at most {MAX_SCENARIOS:,}"
        )
    if "scenario" in scenarios:  # a table made in Python: checked as a file's names are
        from xlplugin.scenario_file import refuse_names_alike

        refuse_names_alike(scenarios["scenario"])
    scenarios = canonical_names(scenarios.reset_index(drop=True))
    refuse_beyond_excel(scenarios)
    build_date = build_date or _dt.date.today().isoformat()
    layout = Layout(len(scenarios))
    target = Path(path)
    with collector_paused():
        # Every value first: a scenario formulas refuses stops the build here.
        values = _cached_values(layout)
        body_values = scenario_values(scenarios)
        wb, columns = _workbook(layout, variant, build_date, scenarios)
        wb.custom_doc_props.append(StringProperty(name=FINGERPRINT_PROPERTY, value=_PENDING))
        wb.custom_doc_props.append(StringProperty(name=PARTS_PROPERTY, value=_PENDING_PARTS))
        small = _saved(wb)
        before, after = _fingerprint_parts(wb, "Scenarios")
        del wb
        body = Body("Scenarios", columns, numbers_as_cells(scenarios), body_values)
        with atomic.replacing(target) as temporary:
            _write_package(small, temporary, values, body, before, after)
    return target


# The placeholders of the fingerprint properties, replaced once every row has been written.
_PENDING = "0" * 64
_PENDING_PARTS = "1" * 64
_CUSTOM_PART = "docProps/custom.xml"


def _cached_values(layout: Layout) -> dict[str, dict[str, object]]:
    values = cached_values(layout)
    values["Sensitivity"] = sensitivity_values(layout)  # the sheets' presentation hook:
    for sheet, ref in flag_cells().items():  # the Sensitivity sheet, each master flag
        values.setdefault(sheet, {})[ref] = 1  # TRUE, as a master flag holds it
    for sheet, ref in why_cells().items():  # and beside it, why not (no check fails)
        values[sheet][ref] = ""
    return values


def _saved(wb) -> io.BytesIO:
    """The workbook as openpyxl saves it, uncompressed, in memory (it holds no Scenarios
    rows: it is small)."""
    wb.properties.modified = _dt.datetime.now(tz=_dt.UTC).replace(tzinfo=None)
    buffer = io.BytesIO()
    try:
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            ExcelWriter(wb, archive).save()
    except _LxmlWriteError as error:
        if not str(error).startswith("IO_"):
            raise  # not a failed write but a bug: shown in full
        _close_sheet_writers(error.__traceback__)
        raise _os_error(error) from None
    except OSError as error:  # without lxml, openpyxl's writer fails with the OSError itself
        _close_sheet_writers(error.__traceback__)
        raise
    buffer.seek(0)
    return buffer


def _close_sheet_writers(traceback) -> None:
    """Close and remove the temporary sheet file a failed write left open. Closing flushes
    it, which fails again: left to the garbage collector, that failure would print a
    traceback after the one-line error. (openpyxl's sheet writer is private: where it is
    not found, the file is left to the collector, as before.)"""
    try:
        from openpyxl.worksheet._writer import WorksheetWriter
    except ImportError:  # pragma: no cover - another openpyxl
        return
    while traceback is not None:
        for value in list(traceback.tb_frame.f_locals.values()):
            if isinstance(value, WorksheetWriter):
                with contextlib.suppress(Exception):
                    value.close()
                with contextlib.suppress(Exception):
                    value.cleanup()
        traceback = traceback.tb_next


def _os_error(error: Exception) -> Exception:
    """openpyxl writes each sheet to a temporary file first; lxml reports a failed write
    there (a full disk: ``IO_ENOSPC``, a file size limit: ``IO_EFBIG``) as a
    SerialisationError. Give it back as the OSError it is, which callers report."""
    code = getattr(errno, str(error).removeprefix("IO_"), None)
    if isinstance(code, int):
        return OSError(code, os.strerror(code))
    return OSError(errno.EIO, f"{os.strerror(errno.EIO)} ({error})")


def _write_package(small, temporary: Path, values, body: Body, before, after) -> None:
    """The final package: ``small`` with cached values and the Scenarios rows."""
    digest = hashlib.sha256("".join(f"{part}\n" for part in before).encode("utf-8"))

    def fingerprinted(custom: bytes, written: list[zipfile.ZipInfo]) -> bytes:
        digest.update("".join(f"{part}\n" for part in after).encode("utf-8"))
        for placeholder, value in (
            (_PENDING, digest.hexdigest()),
            (_PENDING_PARTS, parts_fingerprint(written)),
        ):
            if custom.count(placeholder.encode()) != 1:
                raise ValueError(f"{_CUSTOM_PART}: a fingerprint placeholder is missing")
            custom = custom.replace(placeholder.encode(), value.encode())
        return custom

    def cell_text(text: str) -> None:
        digest.update(text.encode("utf-8"))

    with zipfile.ZipFile(small) as package:
        write_package(
            package,
            temporary,
            values,
            body,
            cell_text,
            {_CUSTOM_PART: fingerprinted},
            charts.unlinked_label_formats,
        )


def _workbook(layout: Layout, variant: str, build_date: str, scenarios: pd.DataFrame):
    wb = openpyxl.Workbook()
    wb.active.title = SHEETS[0]
    for title in SHEETS[1:]:
        wb.create_sheet(title)
    for ws in wb.worksheets:
        ws.sheet_properties.tabColor = TAB[ws.title]
    write_about(wb, wb["About"], variant, build_date)
    write_inputs(wb, wb["Inputs"], layout)
    write_catalog(wb, wb["Catalog"], layout)
    write_models(wb, wb["Models"], layout)
    write_estimate(wb, wb["Estimate"], layout, variant)
    columns = write_scenarios(wb["Scenarios"], layout, scenarios)
    write_projection(wb["Projection"], layout, plugin=variant == "plugin")
    write_sensitivity(wb, wb["Sensitivity"], layout)
    write_checks(wb, wb["Checks"], layout, plugin=variant == "plugin")
    add_charts(wb, layout)
    finish_sheets(wb, xlplugin.__version__, build_date)  # print settings, Scenarios' flag
    wb.calculation = _calculation(variant)
    wb.properties.title = "xlplugin capacity and cost estimate"
    wb.properties.creator = "xlplugin"
    wb.properties.version = xlplugin.__version__
    wb.active = 1  # open on Inputs
    return wb, columns


# calcId of Excel 2019 and Microsoft 365: a file stamped with an older engine's id is
# recalculated in full when Excel opens it, whatever fullCalcOnLoad says.
_CURRENT_CALC_ID = 191029


def _calculation(variant: str) -> CalcProperties:
    """The native workbook recalculates on load, in Excel and wherever it is opened. The
    plugin variant keeps its cached values (computed by the same model as its functions):
    where the xlplugin functions do not exist -- LibreOffice, Excel without the add-in --
    a recalculation would replace every figure with an error."""
    if variant == "native":
        return CalcProperties(fullCalcOnLoad=True)
    return CalcProperties(calcId=_CURRENT_CALC_ID, fullCalcOnLoad=False)


# Fingerprint ------------------------------------------------------------------------------
def content_fingerprint(path: str | os.PathLike[str]) -> str:
    """A SHA-256 of the workbook's content, ignoring its build date and cached values.

    Covers every sheet's title and cell contents (formulas as text, not their values)
    and the defined names. An untouched built workbook has the fingerprint stored in
    its custom document property ``xlplugin_fingerprint``.
    """
    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        for ws in wb.worksheets:
            if (ws.max_row or 0) > _MOST_ROWS or (ws.max_column or 0) > _MOST_COLUMNS:
                return _BEYOND
            # The rows as they are, not as the file declares them: an edit past the
            # declared range counts, and a declared A1:XFD1048576 is not read as cells.
            ws.reset_dimensions()
        return _fingerprint(_cells_of(wb, bounded=True), _names_of(wb))
    except _Beyond:
        return _BEYOND
    finally:
        wb.close()


# No built workbook reaches past these (its widest sheet, Scenarios, has about 180 columns;
# its longest MAX_SCENARIOS rows and a header): one that does was edited, and is not read on.
_MOST_ROWS = MAX_SCENARIOS + 1_000
_MOST_COLUMNS = 256
_BEYOND = "beyond the extent of a built workbook"


class _Beyond(Exception):
    """A cell past :data:`_MOST_ROWS` or :data:`_MOST_COLUMNS`."""


def stored_fingerprint(
    path: str | os.PathLike[str], name: str = FINGERPRINT_PROPERTY
) -> str | None:
    """The fingerprint recorded when the workbook was built (None if absent); ``name``
    :data:`PARTS_PROPERTY`: that of its parts."""
    return stored_fingerprints(path).get(name)


def stored_fingerprints(path: str | os.PathLike[str]) -> dict[str, str]:
    """The workbook's custom properties, name to value (its fingerprints among them),
    read in one opening of the package."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return {p.name: p.value for p in reversed(wb.custom_doc_props.props)}  # first wins
    finally:
        wb.close()


def parts_fingerprint(members: list[zipfile.ZipInfo]) -> str:
    """A SHA-256 of a package's parts (name, CRC-32, size), docProps/custom.xml aside."""
    lines = sorted(
        f"{m.filename}\0{m.CRC}\0{m.file_size}\n" for m in members if m.filename != _CUSTOM_PART
    )
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def untouched_parts(path: str | os.PathLike[str], stored: str | None = None) -> bool:
    """Whether every part of the package is as the build wrote it (read from the zip's
    directory alone: a 100,000-scenario workbook's cells take minutes to read); ``stored``:
    its :data:`PARTS_PROPERTY` where the caller has read it already."""
    stored = stored or stored_fingerprint(path, PARTS_PROPERTY)
    with zipfile.ZipFile(path) as package:
        members = package.infolist()
    names = [m.filename for m in members]
    if names.count(_CUSTOM_PART) != 1 or len(set(names)) != len(names):
        return False  # a second custom.xml (or any part twice): not as it was built
    return stored is not None and parts_fingerprint(members) == stored


def _cells_of(wb, bounded: bool = False):
    for ws in wb.worksheets:
        yield f"sheet:{ws.title}"
        for r, c, value in _values(ws, bounded):
            if value in (None, "") or (ws.title == "About" and _ref(r, c) == BUILD_DATE_CELL):
                continue
            yield f"{r},{c}:{_text(value)}"


def _values(ws, bounded: bool = False):
    """Row, column and value of each cell, row by row; ``bounded`` (a sheet read from a
    file, its dimensions reset: each row as wide as its last cell): :class:`_Beyond` at the
    first row past the extent of a built workbook, before reading on."""
    for r, row in enumerate(ws.iter_rows(min_row=1, min_col=1, values_only=True), start=1):
        if bounded and (r > _MOST_ROWS or len(row) > _MOST_COLUMNS):
            raise _Beyond
        for c, value in enumerate(row, start=1):
            yield r, c, value


def _fingerprint_parts(wb, body_sheet: str) -> tuple[list[str], list[str]]:
    """The fingerprint's texts before the rows of ``body_sheet`` (whose cells so far are
    its header) and after them (the later sheets and the names). Call it after saving:
    iterating an in-memory sheet creates its empty cells."""
    before, after = [], []
    current, passed = before, False
    for part in _cells_of(wb):  # cell texts start with their row number, never "sheet:"
        if part.startswith("sheet:"):
            current = after if passed else before
            passed = passed or part == f"sheet:{body_sheet}"
        current.append(part)
    after.extend(_names_of(wb))
    return before, after


def _ref(row: int, column: int) -> str:
    return f"{openpyxl.utils.get_column_letter(column)}{row}"


def _text(value) -> str:
    if isinstance(value, bool):
        return f"b{value}"
    if isinstance(value, int | float):
        return f"n{float(value)!r}"
    return f"s{value}"


def _names_of(wb):
    for name in sorted(wb.defined_names):
        yield f"name:{name}={wb.defined_names[name].attr_text}"


def _fingerprint(cells, names) -> str:
    text = "".join(f"{part}\n" for part in (*cells, *names))  # one update: the same digest
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


DEFAULT_PATHS = {
    "native": "workbooks/xlplugin-template.xlsx",
    "plugin": "workbooks/xlplugin-template-plugin.xlsx",
}


def rebuild_defaults(root: str | os.PathLike[str] = ".") -> list[Path]:
    """Rebuild the committed templates under ``root`` (``python -m xlplugin.workbook.build``)."""
    return [
        build_workbook(Path(root) / path, variant=variant)
        for variant, path in DEFAULT_PATHS.items()
    ]


if __name__ == "__main__":
    for built in rebuild_defaults():
        print(built)
