"""Looks: Excel's built-in cell styles, number formats by unit, headers, widths and print.

One visual language, the one About's legend shows (:data:`LEGEND`): an input is "Input",
a formula "Calculation", a key result "Output", a check "Check Cell" (green when TRUE,
red when FALSE), a formula that only brings a figure from another sheet "Linked Cell",
and a published or reference figure "Note".

Cells hold base units (bytes, seconds, bit/s, USD); number formats show them scaled
(``1.25 PB/day``, ``92.59 Gbit/s``, ``$11.97M``): a trailing comma in a format divides the
shown number by 1,000 in Excel and LibreOffice alike, and conditions (``[<1000000]``) pick
the scale by magnitude.
"""

from __future__ import annotations

import math

from openpyxl.formatting.rule import CellIsRule, FormulaRule, Rule
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.styles.numbers import NumberFormat
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins

from xlplugin.number_formats import CONDITION, section_for, sections

__all__ = [
    "BOOLEAN",
    "FLAG_FORMAT",
    "FLAG_LABEL",
    "LEGEND",
    "MASTER_FLAG",
    "TAB",
    "UNLOCKED",
    "bound_format",
    "finish_sheets",
    "fit_height",
    "fit_width",
    "flag_rules",
    "header",
    "master_flag",
    "master_flag_rules",
    "number_format",
    "print_setup",
    "section",
    "text_alignment",
    "text_width",
    "title",
    "widths",
    "wrap_subtitle",
]

UNLOCKED = Protection(locked=False)
TAB = {
    "About": "1F3864",
    "Inputs": "FFC000",
    "Catalog": "808080",
    "Models": "808080",
    "Estimate": "2F75B5",
    "Charts": "2F75B5",
    "Scenarios": "70AD47",
    "Projection": "70AD47",
    "Sensitivity": "70AD47",
    "Checks": "C00000",
}


def font(size: float = 11, **attributes) -> Font:
    """A cell font in the workbook's body face (Calibri, the theme's minor font), as Excel
    and XlsxWriter write one: a font without a name is drawn in the reader's fallback face
    (LibreOffice: a serif)."""
    return Font(name="Calibri", family=2, scheme="minor", size=size, **attributes)


HEADER_FILL = PatternFill("solid", fgColor="1F3864")
HEADER_FONT = font(bold=True, color="FFFFFF")
SECTION_FONT = font(12, bold=True, color="1F3864")
SECTION_FILL = PatternFill("solid", fgColor="D9E1F2")
# Excel's "Good" and "Bad" colours: dark text on a pale fill, readable in both states.
GOOD_FILL, GOOD_FONT = PatternFill("solid", fgColor="C6EFCE"), Font(bold=True, color="006100")
BAD_FILL, BAD_FONT = PatternFill("solid", fgColor="FFC7CE"), Font(bold=True, color="9C0006")

# The legend: (built-in style, what it marks). About shows one sample cell of each.
LEGEND = (
    ("Input", "Input: type here (unlocked)"),
    ("Calculation", "Calculation: a formula"),
    ("Output", "Output: a key result"),
    ("Linked Cell", "Link: a figure brought from another sheet"),
    ("Check Cell", "Check: TRUE (green) when it holds, FALSE (red) when not"),
    ("Note", "Note: a published or reference figure, or a bound"),
)
FLAG_LABEL = "All checks pass"
BOOLEAN = "General"  # logical checks as they are (a numeric format would show 1 and 0)
# The master flag on each sheet's title row: a number, 1 or 0, shown TRUE or FALSE. As a
# logical value under its colour rules, LibreOffice 7.4 aborts printing or exporting the
# sheet to PDF when it opens the file without recalculating (its default for xlsx).
FLAG_FORMAT = '"TRUE";"TRUE";"FALSE"'


def _scaled(steps: tuple[tuple[int, str], ...], decimals: str, suffix: str = "") -> str:
    """A format of up to three magnitudes: ``steps`` are (commas, unit) from small to large;
    each switches on at 1,000 ** commas of the next one."""
    sections = []
    for i, (commas, unit) in enumerate(steps):
        text = f'#,##0{decimals}{"," * commas}" {unit}{suffix}"'
        if i < len(steps) - 1:
            text = f"[<{1000 ** steps[i + 1][0]}]" + text
        sections.append(text)
    return ";".join(sections)


_BYTES_LARGE = ((3, "GB"), (4, "TB"), (5, "PB"))
_BYTES_SMALL = ((1, "kB"), (2, "MB"), (3, "GB"))
_FORMATS = {
    "": BOOLEAN,
    "TRUE/FALSE": FLAG_FORMAT,  # 1/0 read TRUE/FALSE where a reader has not calculated
    "name": "General",
    "text": "General",
    "fraction": "0.0%",
    "fraction/month": "0.0%",
    "ratio": "0.00",
    "s": '[<1]0.00000" s";#,##0.00" s"',
    "B": _scaled(_BYTES_LARGE, ".00"),
    "B/day": _scaled(_BYTES_LARGE, ".00", "/day"),
    "B/month": _scaled(_BYTES_LARGE, ".00", "/month"),
    "B/request": _scaled(_BYTES_SMALL, ".0"),
    "B/user": _scaled(_BYTES_SMALL, ".0"),
    "B/s": _scaled(_BYTES_LARGE, ".00", "/s"),
    "bit/s": _scaled(((1, "kbit"), (2, "Mbit"), (3, "Gbit")), ".0", "/s"),
    "FLOP/s": _scaled(((4, "TFLOP"), (5, "PFLOP")), ".0", "/s"),
    "OP/s": _scaled(((4, "TOP"), (5, "POP")), ".0", "/s"),  # integer operations (INT8)
    "parameters": _scaled(((2, "M"), (3, "bn")), ".0"),
    "requests/month": _scaled(((2, "M"), (3, "bn")), ".0"),
    "USD/month": '[<1000000]$#,##0.0,"k";$#,##0.00,,"M"',
    "USD/GPU-hour": "$#,##0.00",
    "USD/GB-month": "$#,##0.0000",
    "USD/GB": "$#,##0.0000",
    "USD/1k requests": "$#,##0.000",
    # 0.0876 per GPU reads as such (three figures, as the command line prints it), not 0.0
    "requests/s": "[<1]0.0000;[<10]0.000;#,##0.0",
    "requests/user/day": "#,##0.0",
    "B/parameter": "0.0",
    "days": "0.0",
    "GPUs": "#,##0",
    "copies": "#,##0.00",
    "B/token": _scaled(_BYTES_SMALL, ".0"),
    "B/step": _scaled(_BYTES_SMALL, ".0"),
    "B/element": "0.0",
    "FLOP/request": _scaled(((3, "GFLOP"), (4, "TFLOP"), (5, "PFLOP")), ".0"),
    "FLOP/step": _scaled(((3, "GFLOP"), (4, "TFLOP"), (5, "PFLOP")), ".0"),
    "s/request": '[<1]0.00000" s";#,##0.00" s"',
    "outputs/s": "[<1]0.0000;[<10]0.000;#,##0.0",
    "tokens/request": "#,##0",
    "USD/1M outputs": "$#,##0.00",
    "row": "0",
    "column": "0",
    "relative": "0E+00",
}


def number_format(unit: str) -> str:
    """The number format for a quantity of ``unit`` (its base unit, as the cell holds it):
    scaled to a unit people read where the numbers run long, thousands-separated else."""
    return _FORMATS.get(unit, "#,##0")


def bound_format(sign: str, bound: float = 0.0, unit: str = "") -> str:
    """A bound cell shows its comparison with the number: ``> 0``, ``≥ 0``, ``≤ 1``; a
    bound of a million or more scaled as its input's cells are (``≥ 1.0 TFLOP/s``, ``≥ 1.00
    GB``), or where the unit has no scale with an exponent (``≥ 1E+12``): General would
    write 13 digits, too wide for the column (LibreOffice then shows ###)."""
    if abs(bound) >= 1e6:
        scaled = _section(number_format(unit), bound) if unit else None
        return f'"{sign} "{scaled}' if scaled else f'"{sign} "0E+00'
    return f'"{sign} "General;"{sign} -"General'


def _section(code: str, value: float) -> str | None:
    """The section of number format ``code`` that shows ``value``, its condition dropped:
    None for a format without a scale (no thousands comma to scale by)."""
    shown = CONDITION.sub("", section_for(sections(code), value), count=1)
    return shown if ",," in shown or '," ' in shown else None


def title(ws, text: str, subtitle: str = "") -> None:
    ws["A1"] = text
    ws["A1"].style = "Title"
    if subtitle:
        ws["A2"] = subtitle
        ws["A2"].style = "Explanatory Text"


def wrap_subtitle(ws, columns: int, first: int = 1) -> None:
    """Merge the subtitle (A2) over the first ``columns`` columns and wrap it there, the row
    as tall as it needs (call once the widths are set): it prints whole, not cut at the
    page's edge. ``first`` > 1 moves it right, out of a column repeated on every printed
    page (which would print a cut piece of it beside each page's rows)."""
    if first > 1:
        moved = ws.cell(2, first, ws["A2"].value)
        moved.style, ws["A2"].value = ws["A2"].style, None
    width = sum(
        ws.column_dimensions[get_column_letter(c)].width or 8.43 for c in range(first, columns + 1)
    )
    if columns > first:  # (a merge of one cell is no merge: Excel repairs it)
        ws.merge_cells(start_row=2, start_column=first, end_row=2, end_column=columns)
    cell = ws.cell(2, first)
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[2].height = LINE_HEIGHT * lines(cell.value, width) + 2


def header(ws, row: int, labels, first_column: int = 1) -> None:
    for column, label in enumerate(labels, start=first_column):
        cell = ws.cell(row, column, label)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(vertical="center", wrap_text=True)


def section(ws, row: int, text: str, columns: int) -> None:
    for column in range(1, columns + 1):
        ws.cell(row, column).fill = SECTION_FILL
    ws.cell(row, 1, text).font = SECTION_FONT


def widths(ws, sizes) -> None:
    for column, size in enumerate(sizes, start=1):
        ws.column_dimensions[get_column_letter(column)].width = size


def text_width(text: object, size: float = 11, bold: bool = False) -> float:
    """The column width (in characters of "0") that one line of ``text`` needs unclipped.

    A character each, a tenth more in bold, and the cell's margins: snake_case names and
    units are about as wide as "0"s in Calibri, and LibreOffice without Calibri's metric
    twin (Carlito) draws DejaVu Sans, wider still."""
    return len(str(text)) * size / 11 * (_BOLD if bold else 1.0) + 2


def fit_width(
    ws,
    column: int,
    texts,
    size: float = 11,
    bold: bool = False,
    indent: int = 0,
    most: float = math.inf,
) -> None:
    """Widen ``column`` (never narrow it) so that each of ``texts`` fits on one line, after
    an ``indent`` of that many characters; to ``most`` at the widest (a longer text wraps,
    or is cut)."""
    dimension = ws.column_dimensions[get_column_letter(column)]
    needed = max((text_width(t, size, bold) for t in texts if t is not None), default=0)
    dimension.width = max(dimension.width or 8.43, min(math.ceil(needed + indent), most))


def text_alignment(vertical: str, wrap_text: bool = False, indent: bool = False) -> Alignment:
    """A text cell's alignment; ``indent``: a space from a column of numbers on its left
    (which end at their right edge). An indent takes effect on left-aligned text only."""
    return Alignment(
        horizontal="left" if indent else None,
        vertical=vertical,
        wrap_text=wrap_text,
        indent=int(indent),
    )


def wrap(cell, vertical: str = "top") -> None:
    cell.alignment = Alignment(wrap_text=True, vertical=vertical)


LINE_HEIGHT = 15  # points per line of 11-point text


def lines(text: object, width: float, size: float = 11) -> int:
    """Lines a text takes wrapped in a column ``width`` wide (characters of "0" of 11-point
    text), in ``size``-point text: a digit or a capital is about as wide as a "0", other
    characters run about 1.15 to one (a bound's run of digits wrapped a line early)."""
    per_line = max(width * 11 / size - 1, 1)  # less the cell's margins
    count, used = 1, 0.0
    for word in str(text or "").split():
        wide = sum(1 if c.isdigit() or c.isupper() else _NARROW for c in word)
        if used and used + _NARROW + wide > per_line:
            count, used = count + 1, 0.0
        used += wide + (_NARROW if used else 0)
        while used > per_line:  # a word longer than the line breaks where it can (a URL
            # at a / or a -), so each of its lines holds less than a full one
            count, used = count + 1, used - per_line * _BROKEN
    return count


_NARROW = 1 / 1.15  # a lower-case letter, a space or a sign, in widths of "0"
_BOLD = 1.1  # bold text is about a tenth wider (as text_width counts it)
_BROKEN = 0.8  # the share of a line a word broken across lines fills


def fit_height(
    ws, row: int, texts: dict[int, object], minimum: int = 1, size: float | None = None
) -> None:
    """Set a row's height to fit its wrapped texts (column -> text), each in its cell's font
    size (``size``: in that size instead), a tenth wider in bold: Excel and LibreOffice do
    not grow rows to fit text in files they open. (Note and Explanatory Text, built-in
    styles, are 12-point.)"""
    height = LINE_HEIGHT * minimum + (3 if minimum > 1 else 0)
    for column, text in texts.items():
        font = ws.cell(row, column).font
        points = size or font.sz or 11
        width = ws.column_dimensions[get_column_letter(column)].width or 8.43
        count = lines(text, width / (_BOLD if font.b else 1), points)
        height = max(height, LINE_HEIGHT * points / 11 * count + (3 if count > 1 else 0))
    ws.row_dimensions[row].height = max(height, LINE_HEIGHT)


# Checks ---------------------------------------------------------------------------------
def flag_rules(ws, ref: str, true: str = "TRUE", false: str = "FALSE") -> None:
    """Dark green on pale green when ``true``, dark red on pale red when ``false`` (the
    fill and the font both: "Check Cell"'s white text would not read on either); a master
    flag (:data:`FLAG_FORMAT`) is 1 or 0."""
    ws.conditional_formatting.add(
        ref, CellIsRule(operator="equal", formula=[false], fill=BAD_FILL, font=BAD_FONT)
    )
    ws.conditional_formatting.add(
        ref, CellIsRule(operator="equal", formula=[true], fill=GOOD_FILL, font=GOOD_FONT)
    )


def scaled_when_smaller(ws, ref: str, formats: tuple[tuple[float, str], ...]) -> None:
    """Cells ``ref`` in each format of ``formats`` (bound, number format; smallest bound
    first) while their absolute value is below its bound: the first that holds applies.
    Excel and LibreOffice both take a number format from a conditional format."""
    first = ref.split(":")[0].replace("$", "")
    for bound, code in formats:
        style = DifferentialStyle(numFmt=NumberFormat(_format_id(code), code))
        rule = Rule(type="expression", dxf=style, formula=[f"ABS({first})<{bound}"])
        rule.stopIfTrue = True
        ws.conditional_formatting.add(ref, rule)


def _format_id(code: str) -> int:
    """The id of a conditional format's number format: one per format code, above the
    ids openpyxl gives the cells' own formats (from 164) so that none is taken twice."""
    return _CONDITIONAL_FORMAT_IDS.setdefault(code, 1000 + len(_CONDITIONAL_FORMAT_IDS))


_CONDITIONAL_FORMAT_IDS: dict[str, int] = {}


def hidden_when(ws, ref: str, condition: str) -> None:
    """Calculation cells ``ref`` drawn in their own fill's colour while ``condition`` holds:
    the steps between refused inputs and the outputs' messages compute nothing meaningful
    (#VALUE! from a message, or figures of a bad input), and a reader should not read them."""
    ws.conditional_formatting.add(
        ref, FormulaRule(formula=[condition], font=Font(color=CALCULATION_FILL))
    )


CALCULATION_FILL = "F2F2F2"  # the built-in style Calculation's fill


def master_flag_rules(ws, ref: str) -> None:
    flag_rules(ws, ref, true="1", false="0")


MASTER_FLAG = "master_check+0"  # TRUE/FALSE as 1/0: see FLAG_FORMAT


def master_flag(ws, column: int, row: int = 1, why: str | None = None, span: int = 1) -> str:
    """ "All checks pass" and the master flag at (row, column) on a sheet's title row, and
    right of it, when a check fails, the first failing check's message (so that a red flag
    says why on every sheet, in full: an output cell shows only its start); returns the
    flag's cell. ``why``: the message's cell, if not right of the flag; ``span``: how many
    columns the message right of the flag spans."""
    label = ws.cell(row, column, FLAG_LABEL)
    label.font = font(bold=True, color="1F3864")
    label.alignment = Alignment(horizontal="right", vertical="center")
    cell = ws.cell(row, column + 1, f"={MASTER_FLAG}")
    cell.style = "Check Cell"
    cell.number_format = FLAG_FORMAT
    cell.alignment = Alignment(horizontal="center", vertical="center")
    master_flag_rules(ws, cell.coordinate)
    message = ws[why] if why else ws.cell(row, column + 2)
    message.value = '=IF(master_check,"",check_message)'
    # Part of the flag, in its red: no box, so that a passing workbook shows nothing here.
    message.font = font(bold=True, color=BAD_FONT.color)
    # Wrapped in its cell: text running on past the sheet's last column would widen the
    # printed range, and every page would print smaller to fit it.
    message.alignment = Alignment(horizontal="left", vertical="top", wrap_text=not why)
    if span > 1:
        ws.merge_cells(
            start_row=row,
            start_column=message.column,
            end_row=row,
            end_column=message.column + span - 1,
        )
    if not why:  # two lines of it show (the whole of it is on the Checks sheet)
        ws.row_dimensions[row].height = LINE_HEIGHT * 2 + 3
    return cell.coordinate


# Print ----------------------------------------------------------------------------------
def print_setup(
    ws,
    *,
    landscape: bool = True,
    fit_width: int | None = 1,
    fit_height: int = 0,
    title_rows: str | None = None,
    title_columns: str | None = None,
    scale: int | str = 100,
    order: str | None = None,
    heading: str = "",
    version: str = "",
    build_date: str = "",
) -> None:
    """Print settings: orientation, fit to ``fit_width`` pages across and ``fit_height``
    down (0: as many as it takes; ``fit_width`` None: actual size), rows and columns
    repeated on every page, and a header and footer naming the workbook, the sheet, the
    version, the build date and the page."""
    setup = ws.page_setup
    setup.orientation = "landscape" if landscape else "portrait"
    if fit_width:
        setup.fitToWidth, setup.fitToHeight = fit_width, fit_height
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    else:  # a fixed scale: Excel ignores manual page breaks on a sheet fitted to pages
        setup.scale = _width_scale(ws) if scale == "auto" else scale
    if order:
        setup.pageOrder = order
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.75, bottom=0.6, header=0.3, footer=0.3)
    if title_rows:
        ws.print_title_rows = title_rows
    if title_columns:
        ws.print_title_cols = title_columns
    escape = str.maketrans({"&": "&&"})
    head, foot = ws.oddHeader, ws.oddFooter
    head.left.text = heading.translate(escape)
    head.center.text = "&A"  # the sheet's name
    head.right.text = f"Version {version}, built {build_date}".translate(escape)
    foot.left.text = "&F"  # the file's name
    foot.right.text = "Page &P of &N"
    for part in (head.left, head.center, head.right, foot.left, foot.right):
        part.size = 9


# The printable width of a landscape US letter page less the margins: A4 is wider.
PRINTABLE_INCHES = 11 - 2 * 0.4


def _width_scale(ws) -> int:
    """The scale that fits the sheet's columns (its print area's, if it has one) to the
    page width, as "fit to 1 page wide" would, in whole percent."""
    last = ws.max_column
    if ws.print_area:
        last = max(
            ws[ref.split("!")[-1].replace("$", "")][-1][-1].column
            for ref in str(ws.print_area).split(",")
        )
    pixels = sum(
        column_pixels(ws.column_dimensions[get_column_letter(c)].width) for c in range(1, last + 1)
    )
    return max(10, min(100, int(100 * PRINTABLE_INCHES * 96 / pixels)))


def column_pixels(width: float | None) -> float:
    """A column's width in pixels at 96 dpi, as Excel sizes a width in characters."""
    return 7 * (width or 8.43) + 5


def finish_sheets(wb, version: str, build_date: str) -> None:
    """Print settings of every sheet (:data:`~xlplugin.workbook.layout.PRINT`), and the
    master flag on the title row of the sheets whose writers do not place it (Scenarios)."""
    from .layout import FLAG_COLUMN, PRINT, WHY_SPAN

    for ws in wb.worksheets:
        print_setup(
            ws,
            heading="xlplugin capacity and cost estimate",
            version=version,
            build_date=build_date,
            **PRINT.get(ws.title, {}),
        )
    scenarios = wb["Scenarios"] if "Scenarios" in wb.sheetnames else None
    if scenarios is not None and scenarios.cell(1, FLAG_COLUMN["Scenarios"] + 1).value is None:
        master_flag(scenarios, FLAG_COLUMN["Scenarios"], span=WHY_SPAN["Scenarios"])
