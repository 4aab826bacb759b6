"""Build the template workbook: ``build_workbook``, ``default_scenarios``, ``content_fingerprint``.

The workbook is written by openpyxl, then every formula cell gets its value computed by
``formulas`` as a cached value, so readers that do not calculate see the numbers;
``fullCalcOnLoad`` stays on so Excel recalculates on open.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.packaging.custom import StringProperty
from openpyxl.workbook.properties import CalcProperties
from openpyxl.writer.excel import ExcelWriter

import xlplugin
from xlplugin._collector import collector_paused

from .about_sheet import BUILD_DATE_CELL, write_about
from .cached_values import write_cached_values
from .catalog_sheet import write_catalog
from .charts import add_charts
from .checks_sheet import write_checks
from .estimate_sheet import write_estimate
from .inputs_sheet import write_inputs
from .layout import SHEETS, Layout
from .projection_sheet import write_projection
from .scenarios_sheet import default_scenarios, write_scenarios
from .styles import TAB
from .values import cached_values, canonical_names

__all__ = [
    "FINGERPRINT_PROPERTY",
    "VARIANTS",
    "build_workbook",
    "content_fingerprint",
    "default_scenarios",
]

VARIANTS = ("native", "plugin")
FINGERPRINT_PROPERTY = "xlplugin_fingerprint"


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
        Where to write the xlsx (overwritten).
    scenarios : pandas.DataFrame, optional
        A ``scenario`` name column and vocabulary input columns, one scenario per row
        (validated by the caller); blank cells take the Inputs sheet's value. None: the
        preloaded :func:`default_scenarios`.
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
    scenarios = canonical_names(scenarios.reset_index(drop=True))
    build_date = build_date or _dt.date.today().isoformat()
    layout = Layout(len(scenarios))
    target = Path(path)
    with collector_paused():
        wb = _workbook(layout, scenarios, variant, build_date)
        fingerprint = _fingerprint(_cells_of(wb), _names_of(wb))
        wb.custom_doc_props.append(StringProperty(name=FINGERPRINT_PROPERTY, value=fingerprint))
        _save(wb, target)
        del wb
        write_cached_values(target, cached_values(layout, scenarios), deflate_all=True)
    return target


def _save(wb, target: Path) -> None:
    """``wb.save``, uncompressed: write_cached_values reads it back and compresses it."""
    wb.properties.modified = _dt.datetime.now(tz=_dt.UTC).replace(tzinfo=None)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        ExcelWriter(wb, archive).save()


WIDE_SHEETS = ("Scenarios", "Projection", "Catalog")


def _workbook(layout: Layout, scenarios: pd.DataFrame, variant: str, build_date: str):
    wb = openpyxl.Workbook()
    wb.active.title = SHEETS[0]
    for title in SHEETS[1:]:
        wb.create_sheet(title)
    for ws in wb.worksheets:
        ws.sheet_properties.tabColor = TAB[ws.title]
        ws.page_setup.orientation = "landscape"
        # Wide tables print at full size across pages (with print titles); fitting them to
        # one page width would shrink them past reading.
        if ws.title in WIDE_SHEETS:
            ws.page_setup.scale = 55
        else:
            ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
            ws.sheet_properties.pageSetUpPr.fitToPage = True
    write_about(wb, wb["About"], variant, build_date)
    write_inputs(wb, wb["Inputs"], layout)
    write_catalog(wb, wb["Catalog"], layout)
    write_estimate(wb, wb["Estimate"], layout, variant)
    write_scenarios(wb["Scenarios"], layout, scenarios)
    write_projection(wb["Projection"], layout)
    write_checks(wb, wb["Checks"], layout)
    add_charts(wb, layout)
    wb.calculation = CalcProperties(fullCalcOnLoad=True)
    wb.properties.title = "xlplugin capacity and cost estimate"
    wb.properties.creator = "xlplugin"
    wb.properties.version = xlplugin.__version__
    wb.active = 1  # open on Inputs
    return wb


# Fingerprint ------------------------------------------------------------------------------
def content_fingerprint(path: str | os.PathLike[str]) -> str:
    """A SHA-256 of the workbook's content, ignoring its build date and cached values.

    Covers every sheet's title and cell contents (formulas as text, not their values)
    and the defined names. An untouched built workbook has the fingerprint stored in
    its custom document property ``xlplugin_fingerprint``.
    """
    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        return _fingerprint(_cells_of(wb), _names_of(wb))
    finally:
        wb.close()


def stored_fingerprint(path: str | os.PathLike[str]) -> str | None:
    """The fingerprint recorded when the workbook was built (None if absent)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        found = [p.value for p in wb.custom_doc_props.props if p.name == FINGERPRINT_PROPERTY]
    finally:
        wb.close()
    return found[0] if found else None


def _cells_of(wb):
    for ws in wb.worksheets:
        yield f"sheet:{ws.title}"
        for r, c, value in _values(ws):
            if value in (None, "") or (ws.title == "About" and _ref(r, c) == BUILD_DATE_CELL):
                continue
            yield f"{r},{c}:{_text(value)}"


def _values(ws):
    """Row, column and value of each cell, row by row."""
    if hasattr(ws, "_cells"):  # in memory: the cells written, without creating the gaps
        for (r, c), cell in sorted(ws._cells.items()):
            yield r, c, cell.value
        return
    for r, row in enumerate(ws.iter_rows(min_row=1, min_col=1, values_only=True), start=1):
        for c, value in enumerate(row, start=1):
            yield r, c, value


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
