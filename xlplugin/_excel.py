"""What every Excel function shares: descriptions, argument cleaning, errors and results.

The functions in :mod:`xlplugin.functions` hold no formula: :func:`output` hands their
arguments to the matching :mod:`formulas` function (or to :func:`formulas.estimate` for
the costs) and turns the answer into cells. An argument arrives as a single value or, for
a range, a list of rows; :func:`cell` makes each cell a plain value (an empty cell None,
an error cell its text such as ``"#N/A"``).

Bad input: on xlwings Lite and Server (Office.js) a call that fails as a whole raises
:func:`excel_error`, which xlwings Server answers with HTTP 400 and its one-line message,
and which both turn into a real ``#VALUE!`` whose message Excel shows on the cell's error
flag; classic xlwings gets the same line as text (:func:`value_error`). Inside a spilled
table, a bad cell or scenario row holds that line as text and the other cells compute.
"""

from __future__ import annotations

import array
import contextvars
import functools
import inspect
import math
import os
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
import xlwings as xw

from xlplugin import _xlwings_shortcut, formulas
from xlplugin._collector import collector_paused
from xlplugin.formulas import catalog, units
from xlplugin.formulas._arrays import finite, valid, validated
from xlplugin.formulas.errors import MissingInputError
from xlplugin.formulas.vocabulary import INPUT, OUTPUT, spelt_name

__all__ = [
    "ARG_OPTIONS",
    "MAX_ARGUMENT_CELLS",
    "MAX_RESULT_CELLS",
    "OFFICE_JS",
    "PRE_ENCODED",
    "Gpu",
    "GpuField",
    "Number",
    "PreEncoded",
    "Precision",
    "Range",
    "blank",
    "cell",
    "estimate_rows",
    "excel_error",
    "excel_function",
    "generated",
    "output",
    "scenario_rows",
    "spec_cells",
    "value_error",
]


# Limits: a range larger than this is refused with a one-line LimitError before it becomes
# an array, so that a 5,000 x 5,000 range (25 M cells) costs a length check, not gigabytes.
# 1,000,000 cells leave room for a 10,000-row SCENARIOS table (26 columns in, 19 out).
# XLPLUGIN_MAX_CELLS (or ``xlplugin serve --max-cells``) sets both.
def _cells_limit(default: int = 1_000_000) -> int:
    text = os.environ.get("XLPLUGIN_MAX_CELLS", "").replace("_", "").replace(",", "")
    return int(text) if text.strip().isdigit() and int(text) > 0 else default


MAX_ARGUMENT_CELLS = _cells_limit()  # each argument
MAX_RESULT_CELLS = MAX_ARGUMENT_CELLS  # the cells one call spills

# xlwings Lite and Server (Office.js) send JSON: taken as it is ("raw"), without a pass
# over every cell. Classic xlwings gets COM values, which its standard reader cleans:
# ndim=2 keeps a row a row and a column a column (numpy then broadcasts them as Excel
# does), err_to_str turns an error cell into "#N/A" (not a blank that would take the
# default), and "default" replaces the Literal converter that classic xlwings cannot read.
OFFICE_JS = bool(getattr(xw, "on_server", False))
ARG_OPTIONS = (
    {"convert": "raw"} if OFFICE_JS else {"convert": "default", "ndim": 2, "err_to_str": True}
)
ERROR = "#VALUE!"
# What an error cell reads as (Office.js sends its text; classic xlwings' err_to_str too).
ERROR_VALUES = frozenset(
    [
        "#N/A",
        "#VALUE!",
        "#REF!",
        "#DIV/0!",
        "#NUM!",
        "#NAME?",
        "#NULL!",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
        "#GETTING_DATA",
    ]
)

try:  # xlwings Lite (Pyodide >= 0.28) passes JavaScript's null inside ranges as JsNull
    from pyodide.ffi import JsNull
except ImportError:
    JsNull = type(None)
_PLAIN = {float, int, str, bool, type(None)}
_BASIC = frozenset({float, int, str, bool})  # what a data type's basicValue may be
# Tuples of types, not ``list | tuple``: a union in isinstance is built anew on each call.
_RANGE = (list, tuple)  # how a range arrives: a list of rows
_ROW_TYPES = frozenset(_RANGE)

Number = Any  # a number, text with an SI suffix ("100M", "1MB", "90%"), or a range of them
Range = Any  # a range with a header row

_GPUS = catalog.gpus()
Gpu = Annotated[
    Literal[tuple(_GPUS["name"])],  # the catalogue's names: Excel's dropdown
    {"tooltips": dict(zip(_GPUS["name"], _GPUS["description"], strict=True))},
]
Precision = Annotated[
    Literal[tuple(formulas.precision_names())],
    {
        "tooltips": {
            name: f"{width:g} bytes per parameter"
            for name, width in zip(
                catalog.precisions()["name"], catalog.precisions()["bytes_per_param"], strict=True
            )
        }
    },
]
_FIELDS = frozenset(_GPUS.columns)
GpuField = Literal[tuple(c for c in _GPUS.columns if c not in ("name", "aliases"))]
if os.environ.get("XLPLUGIN_DROPDOWNS", "1") == "0":
    # xlwings declares a dropdown argument to Office.js as a single text cell; without
    # dropdowns gpu, precision and field take ranges in Excel too, like every argument.
    Gpu = Precision = GpuField = Any


_xlwings_shortcut.apply()  # measured: see the module


def _number_text(value: object) -> str:
    if isinstance(value, str):
        return value
    return f"{value:,.12g}"


def arg_doc(name: str, required: bool) -> str:
    """What an argument is, its unit and its default, from the vocabulary."""
    q = INPUT[name]
    text = q.description if q.kind == "name" else f"{q.description} [{q.unit}]"
    if name == "gpu":
        text += " Or its peak FLOP/s as a number."
    if required:
        return text + " Required."
    return text + ("" if q.default is None else f" Default: {_number_text(q.default)}.")


def function_doc(name: str) -> str:
    """What an output is and how it is computed, from the vocabulary."""
    q = OUTPUT[name]
    return f"{q.label} [{q.unit}]: {q.description} Ranges spill."


class _Plan:
    """How one Excel function reaches :mod:`formulas`, worked out once at import."""

    def __init__(self, function):
        parameters = inspect.signature(function).parameters.values()
        self.name = function.__name__
        self.required = {p.name for p in parameters if p.default is inspect.Parameter.empty}
        self.whole = OUTPUT[self.name].unit == "GPUs"
        self.formula = getattr(formulas, self.name)
        own = inspect.signature(self.formula).parameters.values()
        self.takes = {p.name for p in own}
        self.needs = [p.name for p in own if p.default is inspect.Parameter.empty]
        # formulas needs no argument that Excel may omit (its defaults cover the rest)...
        self.complete = set(self.needs) <= self.required
        # ...and takes each argument as it is.
        self.direct = self.complete and {p.name for p in parameters} <= self.takes


def excel_function(function=None, **docs: str):
    """Register a function with xlwings: descriptions, argument options, result cache.

    A function named after an output of the vocabulary takes its description from it, and
    each argument named after an input takes the input's; ``docs`` describes the others.
    The same decorators serve classic xlwings, xlwings Lite and xlwings Server.
    """
    if function is None:
        return lambda f: excel_function(f, **docs)
    if function.__name__ in OUTPUT:
        function.__doc__ = function_doc(function.__name__)
        function.plan = _Plan(function)
    function.__doc__ = " ".join(function.__doc__.split())  # Excel shows it on one line
    for p in inspect.signature(function).parameters.values():
        doc = docs.get(p.name) or arg_doc(p.name, p.default is inspect.Parameter.empty)
        xw.arg(p.name, doc=doc, **ARG_OPTIONS)(function)
    xw.ret("raw")(function)  # cells are built here: plain lists, no per-cell conversion
    # xlwings Server reads the signature on every call; computed once, it is free.
    function.__signature__ = inspect.signature(function)
    return xw.func(cache=True)(function)  # last: xw.arg and xw.ret reset the cache flag


def generated(name: str, arguments: list[str], handler, required: bool = True, doc: str = ""):
    """An Excel function ``name(arguments...)`` that hands its arguments to
    ``handler(function, args)``.

    It is generated as Python source so that every route of xlwings (classic, Lite,
    Server) reads a real parameter list: annotations for the catalogue's dropdowns, None
    as the default of each optional argument (``required=False`` makes them all optional).
    """
    parameters = []
    for a in arguments:
        annotation = {"gpu": "Gpu", "precision": "Precision"}.get(a, "Number")
        needed = required and INPUT[a].required
        parameters.append(f"{a}: {annotation}" + ("" if needed else " = None"))
    source = f"def {name}({', '.join(parameters)}):\n    return _handler({name}, locals())\n"
    namespace = {"Gpu": Gpu, "Precision": Precision, "Number": Number, "_handler": handler}
    exec(compile(source, f"<excel {name}>", "exec", dont_inherit=True), namespace)
    function = namespace[name]
    function.__module__ = "xlplugin.functions"
    function.__doc__ = doc
    return function


def value_error(error: Exception) -> list[list[str]]:
    """The one-line message a cell shows for bad input."""
    return [[_message(error)]]


def _message(error: Exception) -> str:
    return f"{ERROR} {error}"


@functools.cache
def _excel_type(kind: type) -> type:
    # The same class as formulas raised (``except InvalidInputError`` still catches it),
    # and an XlwingsError, which xlwings Server answers with 400 and the message alone.
    return type(
        f"Excel{kind.__name__}",
        (kind, xw.XlwingsError),
        {"__module__": __name__, "__doc__": f"{kind.__name__}, as Excel shows it."},
    )


def excel_error(error: formulas.EstimateError) -> formulas.EstimateError:
    """``error`` as an exception of its own class that is also an ``xw.XlwingsError``.

    xlwings Server answers an XlwingsError with HTTP 400 and ``str(error)`` as plain text
    (a status its custom-functions script does not retry), and that script, like xlwings
    Lite's for any exception, throws ``CustomFunctions.Error(invalidValue, message)``: a
    real ``#VALUE!`` that IFERROR and ISERROR catch, with our one line on its error flag.
    """
    if isinstance(error, xw.XlwingsError):  # already raised as one
        return error
    return _copy(error, _excel_type(type(error)))


def _copy(error: Exception, kind: type, **changes) -> Exception:
    # Not copy.copy: it would call __init__ with the message alone.
    copied = kind.__new__(kind, *error.args)
    copied.__dict__.update(error.__dict__, **changes)
    return copied


def _refused(error: formulas.EstimateError) -> list[list[str]]:
    """A call that fails as a whole: raised on Office.js (a real #VALUE!); on classic
    xlwings, whose VBA wrapper would put the whole traceback in the cell as text (it
    cannot return an error value from a UDF), the one line as text."""
    if OFFICE_JS:
        raise excel_error(error) from None
    return value_error(error)


def _without_row(error: formulas.EstimateError) -> formulas.EstimateError:
    """The error of one cell or row, without the position formulas gave it in the part of
    the table it was computed with: the message sits in that cell."""
    if isinstance(error, formulas.InvalidInputError) and error.row is not None:
        return _copy(error, type(error), row=None)
    return error


# A table with more bad cells than this (each costs a computation of what remains) is
# refused as a whole, with its first error.
MAX_BAD_CELLS = 50


def _cell_by_cell(compute, size: int, first: formulas.EstimateError, whole, columns: dict) -> tuple:
    """Values of a table whose computation as a whole failed with ``first``, computed
    without the cells that fail on their own; and the error of each of those cells.

    ``compute(positions, numbers)`` computes the cells at ``positions`` (a 1-D index array)
    in one call, or raises; ``numbers`` holds the columns of text read as numbers once
    (:func:`_read_columns`), to use in place of ``columns``. Text that is not a number is
    found first, cell by cell, in ``columns`` (input name: its values, one per position).
    Then an error naming a position (``row``) takes that cell out, computed on its own, and
    each half of the rest is computed again; an error naming none halves the part.
    ``whole(error)`` is True for an error that is the whole call's (a bad single-cell
    argument): it is raised.
    """
    errors, numbers = _read_columns(columns)
    if len(errors) > MAX_BAD_CELLS:
        raise first
    values, failures = [None] * size, 0
    most_failures = 2 * MAX_BAD_CELLS * max(size, 2).bit_length()  # halving: log2 each
    pending = [np.setdiff1d(np.arange(size), list(errors), assume_unique=True)]
    while pending:
        positions = pending.pop()
        if not len(positions):
            continue
        try:
            result = compute(positions, numbers)
        except formulas.EstimateError as error:
            if whole(error):
                raise
            failures += 1
            if len(errors) >= MAX_BAD_CELLS or failures > most_failures:
                raise first from None
            if len(positions) == 1:
                errors[int(positions[0])] = _without_row(error)
                continue
            # The cell the error names is taken out and the rest halved: k bad cells cost
            # about log2(k) computations of the table, not k (one each, its cell taken out).
            row = getattr(error, "row", None)
            named = row is not None and 0 <= row < len(positions)
            rest = np.delete(positions, row) if named else positions
            half = len(rest) // 2
            pending += [rest[:half], rest[half:]]
            if named:
                pending.append(positions[row : row + 1])
            continue
        for position, value in zip(positions.tolist(), result, strict=True):
            values[position] = value
    return values, errors


def _read_columns(columns: dict) -> tuple[dict, dict]:
    """The error of each cell of a number input whose value is not a number it accepts, by
    position; and each number input's column of text as floats, read once (NaN where a
    cell is refused), so that computing parts of the table again does not read its text
    again (a million cells of "8.1B", computed in 150 parts: 20 s).

    formulas reads an array's text in one pass and names no row for text it cannot read.
    Each distinct value is read once, and the reading stops past MAX_BAD_CELLS distinct
    errors: that many refuse the call as a whole whatever the rest holds, and a range of a
    million distinct bad cells would otherwise cost a minute."""
    errors, numbers = {}, {}
    for name, cells in columns.items():
        if name not in INPUT or INPUT[name].kind == "name" or cells.dtype != object:
            continue
        floats, bad = _read_column(name, cells)
        for position, error in bad.items():
            errors.setdefault(position, error)
        if len(errors) > MAX_BAD_CELLS:
            return errors, {}
        if floats is not None:
            numbers[name] = floats
    return errors, numbers


def _read_column(name: str, cells: np.ndarray) -> tuple[np.ndarray | None, dict]:
    """A column of number input ``name`` as floats, each distinct value read once (NaN for
    blank and refused cells), and the error of each refused cell by position (the first
    MAX_BAD_CELLS + 1 of them). No floats for a column holding a percentage ("150%" is a
    fraction taken as written, which its float is not) or True or False (which pandas
    takes as equal to 1 and 0: read cell by cell by formulas)."""
    if not set(map(type, cells.tolist())) <= {float, int, str, type(None)}:
        return None, _refused_cells(name, cells)
    codes, distinct = pd.factorize(cells)  # None and NaN: code -1
    readings, refused, as_text = np.full(len(distinct), np.nan), {}, False
    for code, value in enumerate(distinct.tolist()):
        if type(value) is float or blank(value):
            readings[code] = value if type(value) is float else np.nan
            continue
        as_text = as_text or (type(value) is str and value.rstrip().endswith("%"))
        try:
            readings[code] = float(valid(name, value))
        except formulas.EstimateError as error:
            refused[code] = error
            if len(refused) > MAX_BAD_CELLS:
                break
    bad = {}
    if refused:
        where = np.flatnonzero(np.isin(codes, list(refused)))[: MAX_BAD_CELLS + 1]
        bad = {position: refused[codes[position]] for position in where.tolist()}
    floats = np.where(codes < 0, np.nan, readings[codes])
    return (None if as_text else floats), bad


def _refused_cells(name: str, cells: np.ndarray) -> dict:
    """The error of each cell of ``cells`` that input ``name`` refuses, by position, the
    first MAX_BAD_CELLS + 1 of them, each distinct value read once."""
    bad, read = {}, {}
    for position, value in enumerate(cells.tolist()):
        if type(value) is float or blank(value):
            continue
        key = (type(value), value) if type(value) in _BASIC else (object, id(value))
        if key not in read:
            try:
                valid(name, value)
                read[key] = None
            except formulas.EstimateError as error:
                read[key] = error
        if read[key] is not None:
            bad[position] = read[key]
            if len(bad) > MAX_BAD_CELLS:
                break
    return bad


# Text numbers are read in the caller's culture where the call has one (xlwings Server's
# calls: xlplugin serve), else as text whose culture is not known: text that a decimal-comma
# culture reads otherwise ("1,500", "1.500") is refused with both readings. In-process,
# xlwings Lite and classic xlwings do not hand Excel's culture on, and a German "1,500M"
# read as 1.5 billion would be 1,000 times too many.
in_callers_culture = units.unknown_culture_by_default


@in_callers_culture
def output(function, args: dict) -> list[list]:
    """Cells of one output of the estimate for an Excel function's arguments."""
    plan = function.plan
    try:
        cells = _single_cells(args, plan)
        if cells is not None:  # the usual call: formulas' core, without argument binding
            value = finite(plan.name, plan.formula.core(**cells), cells)
            return [[int(value) if plan.whole else float(value)]]
        inputs, shape, holes = _inputs(args, plan.required)
        if not shape:  # single cells, some of them empty or omitted
            return _cells(plan.formula(**_arguments(plan, inputs)), (), None, plan.whole, plan.name)
    except formulas.EstimateError as error:
        return _refused(error)
    try:
        value = plan.formula(**_arguments(plan, inputs))
    except formulas.EstimateError as error:
        return _output_by_cell(plan, inputs, shape, holes, error)
    return _cells(value, shape, holes, plan.whole, plan.name)


def _arguments(plan: _Plan, inputs: dict) -> dict:
    return inputs if plan.direct else _formula_arguments(plan, inputs)


def _output_by_cell(plan: _Plan, inputs: dict, shape: tuple, holes, first) -> list[list]:
    """Cells of an output for ranges in which some cells fail: their messages there, the
    other cells computed. A bad single-cell argument fails every cell: the whole call; one
    that overflows only with some cells of a range (1e308 requests a user, for 2e8 users
    but not for 1), or is wrong only beside some of them (300B fits 8 x H200, not 8 x
    A100; 8 KV heads for 32 attention heads, not for 4), fails those cells only."""
    ranges = {name for name, value in inputs.items() if isinstance(value, np.ndarray)}

    def whole(error: formulas.EstimateError) -> bool:
        name = getattr(error, "name", None)
        overflow = isinstance(error, formulas.OverflowInputError)
        beside = getattr(error, "relative", False) and bool(ranges)
        return name in inputs and name not in ranges and not overflow and not beside

    if whole(first):
        return _refused(first)
    flat = {
        name: np.broadcast_to(value, shape).ravel() if name in ranges else value
        for name, value in inputs.items()
    }

    def compute(positions: np.ndarray, numbers: dict) -> np.ndarray:
        part = {
            name: numbers.get(name, v)[positions] if name in ranges else v
            for name, v in flat.items()
        }
        value = plan.formula(**_arguments(plan, part))
        return np.broadcast_to(np.asarray(value, dtype=float), positions.shape)

    try:
        values, errors = _cell_by_cell(
            compute, math.prod(shape), first, whole, {n: flat[n] for n in ranges}
        )
    except formulas.EstimateError as error:
        return _refused(error)
    array = np.array([np.nan if v is None else v for v in values], dtype=float)
    return _cells(array.reshape(shape), shape, holes, plan.whole, plan.name, errors)


def _single_cells(args: dict, plan: _Plan) -> dict | None:
    """The given arguments, validated for formulas' core (which holds the defaults), when
    each is a single number or text and formulas needs none that Excel may omit; else
    None: ranges, empty or error cells and missing arguments take the general path, which
    also words their messages."""
    if not plan.complete:
        return None
    for name in plan.required:
        if args[name] is None:
            return None
    cells, takes = {}, plan.takes
    for name, value in args.items():
        if value is None:  # omitted: the default
            continue
        kind = type(value)
        if kind is list and len(value) == 1 and type(value[0]) is list and len(value[0]) == 1:
            value = value[0][0]  # classic xlwings' ndim=2: a single cell as [[value]]
            kind = type(value)
        if not (
            (kind is float and value == value) or kind is int or (kind is str and value.strip())
        ):
            return None
        value = valid(name, value)  # checked even where this output does not use it
        if name in takes:
            cells[name] = value
    return cells


def _formula_arguments(plan: _Plan, inputs: dict) -> dict:
    arguments = {name: value for name, value in inputs.items() if name in plan.takes}
    if len(arguments) < len(inputs):  # given, though this output does not use it: checked
        validated({name: value for name, value in inputs.items() if name not in plan.takes})
    for name in plan.needs:
        if name not in arguments:  # required by formulas, optional in Excel
            arguments[name] = _default(name, inputs)
    return arguments


def _default(name: str, inputs: dict) -> object:
    if name == "bytes_per_param":  # the precision's width, from the catalogue
        precision = inputs.get("precision", INPUT["precision"].default)
        widths = np.asarray(catalog.resolve_precision(precision)[0])
        return widths if widths.ndim else widths.item()
    return INPUT[name].default


def blank(value: object) -> bool:
    """An empty cell: None, empty or blank text (xlwings passes empty cells as None)."""
    return (
        value is None
        or (isinstance(value, str) and not value.strip())
        or (isinstance(value, float) and math.isnan(value))
    )


def cell(value: object) -> object:
    """A cell as a plain value: an Office.js error cell as its text ("#N/A"), a data type
    (a formatted number, an entity) as its basic value, JavaScript's null as None. An
    object without a single basic value (none, null, a list) reads as "#VALUE!", as Excel
    shows an entity's: refused where a value is wanted, never taken for an empty cell."""
    if isinstance(value, dict):
        basic = value.get("basicValue")
        return basic if type(basic) in _BASIC else ERROR
    return None if isinstance(value, JsNull) else value


def _unwrap(value: object) -> object:
    """A single cell as its value; a range as a list of rows (a one-row range may come as
    a flat list: xlwings' Office.js reader unwraps it)."""
    if isinstance(value, _RANGE) and value:
        if not isinstance(value[0], _RANGE):
            value = [value]
        if len(value) == 1 and len(value[0]) == 1:
            return value[0][0]
    return value


def _matrix(rows: list, name: str) -> tuple[np.ndarray, set]:
    """A range as a 2-D object array of plain values, and the types found in it.

    Its size is checked first, from the row lengths alone: an empty, ragged or too large
    range is refused before any array is built.
    """
    _check_range(rows, name)
    cells = np.array(rows, dtype=object)
    if cells.ndim != 2:
        raise _holds_a_list(name)
    kinds = {type(v) for v in cells.flat}
    if not kinds <= _PLAIN:
        cells = np.frompyfunc(cell, 1, 1)(cells).astype(object)
        kinds = {type(v) for v in cells.flat}
        if kinds & {list, tuple}:  # (Python callers: ragged rows of lists in cells)
            raise _holds_a_list(name)
    return cells, kinds


def _check_range(rows: list, name: str) -> None:
    """Refuse an empty, ragged or too large range, from the row lengths alone."""
    if len(rows) > MAX_ARGUMENT_CELLS:
        raise formulas.LimitError(name, len(rows), MAX_ARGUMENT_CELLS, "cells")
    # One pass in C for the rows' types and one for their lengths (10,000 rows: 0.5 ms).
    widths = set(map(len, rows)) if set(map(type, rows)) <= _ROW_TYPES else {-1}
    if not rows or widths == {0}:
        raise formulas.EstimateError(
            f"{name}: got an empty range (no cells); accepts a range of at least one cell"
        )
    if len(widths) > 1 or -1 in widths:
        raise formulas.EstimateError(
            f"{name}: got a range with rows of different lengths; accepts a rectangular range"
        )
    size = len(rows) * widths.pop()
    if size > MAX_ARGUMENT_CELLS:
        raise formulas.LimitError(name, size, MAX_ARGUMENT_CELLS, "cells")


def _holds_a_list(name: str) -> formulas.EstimateError:
    return formulas.EstimateError(
        f"{name}: got a cell holding a list; accepts a range of single values"
    )


def _inputs(args: dict, required: set) -> tuple[dict, tuple, np.ndarray | None]:
    """Given arguments as formulas takes them, their broadcast shape and blank cells.

    Omitted arguments and empty cells are left out (formulas takes the default); inside a
    range an empty cell takes the default, except in a required argument, where the
    result's cell is left empty.
    """
    inputs, shapes, holes = {}, {}, []
    for name, value in args.items():
        if value is None and name not in required:  # omitted
            continue
        value = _unwrap(value)
        if isinstance(value, _RANGE):
            inputs[name], missing = _range(name, value)
            shapes[name] = missing.shape
            if name in required and missing.any():
                holes.append(missing)
        elif blank(value := cell(value)):
            if name in required:
                raise _missing(name)
        else:
            inputs[name] = value
    if not shapes:  # every argument a single cell: the usual call
        return inputs, (), None
    shape = _shape(shapes)
    holes = np.logical_or.reduce([np.broadcast_to(h, shape) for h in holes]) if holes else None
    return inputs, shape, holes


def _missing(name: str) -> formulas.EstimateError:
    return MissingInputError(name, None, INPUT[name].accepts)


def _range(name: str, rows: list) -> tuple[np.ndarray, np.ndarray]:
    """An array for a range, empty cells filled with the default; and where they were."""
    spec = INPUT[name]
    cells, kinds = _matrix(rows, name)
    if kinds <= {float, int} and (numbers := _floats(cells)) is not None:
        return numbers, np.zeros(cells.shape, dtype=bool)  # nothing to fill, nothing to parse
    missing = np.frompyfunc(blank, 1, 1)(cells).astype(bool)
    if missing.any():  # NaN: "not given" for inputs the catalogue fills
        cells[missing] = np.nan if spec.default is None else spec.default
    return cells, missing


def _shape(shapes: dict) -> tuple:
    """The shape ranges broadcast to, as Excel stretches a row against a column; refused
    if it would spill more than :data:`MAX_RESULT_CELLS`."""
    try:
        shape = np.broadcast_shapes(*shapes.values())
    except ValueError:
        sizes = ", ".join(
            f"{name} is {'x'.join(map(str, shape)) or '1x1'}" for name, shape in shapes.items()
        )
        raise formulas.EstimateError(
            f"ranges of different sizes: {sizes}; accepts ranges of one size, or single cells, "
            "rows and columns that stretch to it"
        ) from None
    _check_result(math.prod(shape))
    return shape


def _check_result(size: int) -> None:
    if size > MAX_RESULT_CELLS:
        raise formulas.LimitError("result", size, MAX_RESULT_CELLS, "cells")


def _not_finite(name: str) -> formulas.EstimateError:
    # formulas refuses to return NaN or infinity; should one slip through, it is an error
    # (valid JSON for xlwings Server), never a number a budget is built on.
    return formulas.EstimateError(
        f"{name}: the result is not a finite number; the inputs are out of range"
    )


def _cells(
    value: object,
    shape: tuple,
    holes: np.ndarray | None,
    whole: bool,
    name: str = "result",
    errors: dict | None = None,
) -> list[list]:
    """Cells for a result: GPU counts as whole numbers, empty text where a required input
    was an empty cell; a message in each cell that failed (``errors``, by flat position)
    or is not a finite number."""
    if not shape:  # every argument a single cell
        if not math.isfinite(value):
            return _refused(_not_finite(name))
        return [[int(value) if whole else float(value)]]
    array = np.broadcast_to(np.asarray(value, dtype=float), shape)
    numbers = np.isfinite(array)
    if holes is None and not errors and numbers.all():  # the usual table
        return (_integers(array) if whole else array.astype(float)).tolist()
    safe = np.where(numbers, array, 0.0)
    cells = (_integers(safe) if whole else safe).astype(object)
    cells[~numbers] = _message(_not_finite(name))
    flat = cells.reshape(-1)  # a view: writes land in cells
    for position, error in (errors or {}).items():
        flat[position] = _message(error)
    if holes is not None:
        cells[holes] = ""
    return cells.tolist()


def _integers(array: np.ndarray) -> np.ndarray:
    """Whole numbers as integers where int64 holds them all; else as the (whole) floats
    they are: a cast beyond 2**63 gives -2**63."""
    if np.abs(array).max(initial=0.0) < 2.0**63:
        return array.astype(np.int64)
    return array.astype(float)


def _unit(name: str) -> str:
    spec = INPUT.get(name) or OUTPUT[name]
    return "" if getattr(spec, "kind", "number") == "name" else spec.unit


def _plain(name: str, value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return ""  # not known, e.g. the memory of a GPU given as FLOP/s
    if isinstance(value, float) and _unit(name) == "GPUs":
        return int(value)
    return value


@in_callers_culture
def estimate_rows(args: dict) -> list[list]:
    """ESTIMATE: one row per quantity (inputs as resolved, then outputs): name, value, unit."""
    try:
        inputs, shape, _ = _inputs(args, set())
        if shape:
            raise formulas.EstimateError(
                "ESTIMATE: got a range; accepts single cells (for a table of scenarios, one "
                "per row, use SCENARIOS)"
            )
        result = formulas.estimate(**inputs)
    except formulas.EstimateError as error:
        return _refused(error)
    return [[name, _shown_value(name, value), _unit(name)] for name, value in result.items()]


def _shown_value(name: str, value: object) -> object:
    if name in OUTPUT and not math.isfinite(value):  # that row's cell only
        return _message(_not_finite(name))
    return _plain(name, value)


_OUTPUTS = [q.name for q in formulas.OUTPUTS]


def _shown(value: object) -> str:
    return "an empty cell" if blank(value) else f"the single cell {value!r}"


@in_callers_culture
def scenario_rows(table: object) -> list[list]:
    """SCENARIOS: a header row of output names, then every output for each scenario row."""
    with collector_paused():  # 10,000 rows are 10,000 new lists: no walks while made
        return _scenario_rows(table)


def _scenario_rows(table: object) -> list[list]:
    try:
        table = _unwrap(table)
        if not isinstance(table, _RANGE):
            raise formulas.EstimateError(
                f"table: got {_shown(cell(table))}; accepts a range with a header row naming "
                "inputs (dau, requests_per_user, params, gpu, ...) and one scenario per row"
            )
        _check_range(table, "table")
        _check_result(len(table) * len(_OUTPUTS))
        frame, empty = _scenarios(table)
    except formulas.EstimateError as error:
        return _refused(error)
    errors = {}
    try:
        values = _outputs(frame, None)
    except formulas.EstimateError as error:
        if _whole_table(error):  # an unknown or repeated column: the header's fault
            return _refused(error)
        try:
            rows, errors = _cell_by_cell(
                lambda positions, numbers: _outputs(frame.assign(**numbers), positions),
                len(frame),
                error,
                _whole_table,
                {name: frame[name].to_numpy() for name in frame.columns},
            )
        except formulas.EstimateError as error:
            return _refused(error)
        blank_row = [np.nan] * len(_OUTPUTS)
        values = np.array([blank_row if r is None else r for r in rows], dtype=float)
    numbers = np.isfinite(values)
    if PRE_ENCODED.get() and not errors and not empty.any() and numbers.all():
        return PreEncoded.cells(list(_OUTPUTS), values)
    rows = values.tolist()
    if not numbers[~empty].all():
        message = _message(_not_finite("SCENARIOS"))
        for i, j in zip(*np.nonzero(~numbers), strict=True):
            rows[i][j] = message
    for i, error in errors.items():  # a bad scenario: its message in each of its cells
        rows[i] = [_message(error)] * len(_OUTPUTS)
    for i in np.flatnonzero(empty):
        rows[i] = [""] * len(_OUTPUTS)
    return [list(_OUTPUTS), *rows]


# True while xlplugin serve's call route runs a function: its encoder writes a PreEncoded
# result as it is (xlplugin._server_hooks). Everywhere else results are lists of rows.
PRE_ENCODED = contextvars.ContextVar("xlplugin_pre_encoded", default=False)


class PreEncoded:
    """A spilled result already encoded as the JSON of its rows of cells.

    A 10,000-row SCENARIOS answer is 270,000 numbers: as Python lists, they cost a list per
    row, xlwings' walk over the rows and the encoder's over the floats; encoded from the
    array at once, they cost about a third (benchmarks/bench_excel.py, SCENARIOS over HTTP).
    """

    __slots__ = ("parts",)

    def __init__(self, *parts: bytes | memoryview):
        self.parts = parts  # the JSON text, in pieces: joined once, where it is sent

    @classmethod
    def cells(cls, header: list[str], values: np.ndarray) -> PreEncoded:
        """A header row, then the rows of ``values`` (finite floats, as orjson writes them:
        the shortest text that reads back as the same float, as for a Python float)."""
        import orjson  # the route sets PRE_ENCODED only where orjson is installed

        head = orjson.dumps(header)
        if not len(values):
            return cls(b"[", head, b"]")
        rows = orjson.dumps(np.ascontiguousarray(values), option=orjson.OPT_SERIALIZE_NUMPY)
        return cls(b"[", head, b",", memoryview(rows)[1:])  # 4 MB are not copied here


def _outputs(frame: pd.DataFrame, positions: np.ndarray | None) -> np.ndarray:
    """Every output for the scenarios at ``positions`` (all of them for None), a row each."""
    part = frame if positions is None else frame.iloc[positions]
    return formulas.output_array(part)


def _whole_table(error: formulas.EstimateError) -> bool:
    return getattr(error, "name", None) == "column"


_NUMBERS = frozenset({float, int, type(None)})


def _scenarios(rows: list) -> tuple[pd.DataFrame, np.ndarray]:
    """The scenario table (a checked range: its rows) as formulas takes it, and which of
    its rows are empty. Read a column at a time: a column of numbers in one pass (in C),
    others by the types of their cells, Office.js objects (error cells, data types) made
    plain only where there are some."""
    header, body = rows[0], rows[1:]
    columns, empty = {}, np.ones(len(body), dtype=bool)
    by_column = zip(*body, strict=True) if body else [()] * len(header)
    for i, (head, values) in enumerate(zip(header, by_column, strict=True)):
        if (column := _numbers(values)) is None:
            kinds = set(map(type, values))
            if not kinds <= _PLAIN:
                if not kinds.isdisjoint(_RANGE):
                    raise _holds_a_list("table")
                values = [cell(v) for v in values]
                kinds = set(map(type, values))
            if kinds <= _NUMBERS:
                column = _floats(values)
        if isinstance(head, _RANGE):
            raise _holds_a_list("table")
        head = cell(head)
        if blank(head):
            if not all(blank(v) for v in values):
                raise formulas.EstimateError(
                    f"table: column {i + 1} has values but no header; accepts a header row "
                    "naming an input in each column (dau, requests_per_user, params, gpu, ...)"
                )
            continue
        if isinstance(head, str) and head.upper() in ERROR_VALUES:
            # (read as a name, it was lower-cased and matched: "got '#value!' (did you mean
            # dau?)")
            raise formulas.EstimateError(
                f"table: column {i + 1}'s header is the error value {head!r}; accepts a "
                "header row naming an input in each column (dau, requests_per_user, params, "
                "gpu, ...)"
            )
        name = spelt_name(head) if isinstance(head, str) else head
        if column is not None:
            if empty.any():  # (once a column is full, no row is empty: not tested again)
                empty &= np.isnan(column)
        else:
            column = np.array(values, dtype=object)
            if empty.any():
                empty &= (column == None) | (column == "")  # noqa: E711 (elementwise)
            # as it is: pandas would scan it to infer a text type the estimate does not use
            column = pd.Series(column, dtype=object, copy=False)
        if name in columns:
            raise formulas.EstimateError(
                f"table: got the column {name!r} twice; accepts each input once"
            )
        columns[name] = column
    return pd.DataFrame(columns, copy=False), empty  # the arrays are new: shared, not copied


def _numbers(values: tuple) -> np.ndarray | None:
    """A column with a number in every cell, as floats, or None for any other column.

    One pass in C reads and checks it (an array of doubles takes numbers only: not text,
    None or a list), where a pass for the cells' types and another for the floats cost
    twice as much. bool is an int to it: a 0 or 1 sends the column to the general path,
    which keeps True and False as they are."""
    try:
        column = np.frombuffer(array.array("d", values))
    except (TypeError, OverflowError):
        return None
    if ((column == 0) | (column == 1)).any() and bool in set(map(type, values)):
        return None
    return column


def _floats(values: list | np.ndarray) -> np.ndarray | None:
    """Numbers and empty cells (NaN: the default) as floats; None where an integer is
    beyond a float's range (left as it is, its cell is told so)."""
    try:
        return np.asarray(values, dtype=float)
    except OverflowError:
        return None


def spec_cells(gpu: object, field: object) -> list[list]:
    """GPU_SPEC: catalogue figures for GPU names and field names (each a cell or a range)."""
    try:
        gpus, fields = _names("gpu", gpu), _names("field", field)
        shape = _shape({"gpu": gpus.shape, "field": fields.shape})
        if not shape:
            return [[_figure(gpus.item(), fields.item())]]
    except formulas.EstimateError as error:
        return _refused(error)
    # In a range, an unknown name is that cell's message; the other cells look up. More
    # than MAX_BAD_CELLS such cells refuse the call, as in the other functions' tables (a
    # million of them were a 200 MB answer).
    looked_up, bad = functools.cache(_figure_or_error), []

    def figure(gpu: object, field: object) -> object:
        value = looked_up(gpu, field)
        if not isinstance(value, formulas.EstimateError):
            return value
        bad.append(value)
        if len(bad) > MAX_BAD_CELLS:
            raise bad[0]
        return _message(value)

    try:
        return np.frompyfunc(figure, 2, 1)(gpus, fields).tolist()
    except formulas.EstimateError as error:
        return _refused(error)


def _names(name: str, value: object) -> np.ndarray:
    value = _unwrap(value)
    if isinstance(value, _RANGE):
        return _matrix(value, name)[0]
    if blank(value := cell(value)):
        raise formulas.EstimateError(f"{name}: missing (required); accepts a catalogue name")
    return np.array(value, dtype=object)


def _figure_or_error(gpu: object, field: object) -> object:
    try:
        return _figure(gpu, field)
    except formulas.EstimateError as error:
        return error


def _figure(gpu: object, field: object) -> object:
    if blank(gpu) or blank(field):
        return ""
    if isinstance(field, str) and (name := spelt_name(field)) in _FIELDS:
        field = name  # "MEMORY_BYTES", "memory bytes": the field's own name, any case
    value = formulas.gpu_spec(gpu, field)
    return "" if value is None else value
