"""Turning inputs into validated numbers or arrays, and results back into the caller's type.

A scalar in gives a scalar out; a pandas Series in gives a Series (with its index) out;
anything else array-like gives a numpy array of the broadcast shape. Scalars stay Python
floats on the way through: the same arithmetic serves both, and a single Excel call does
not pay numpy's per-operation overhead.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import itertools
import math
import numbers
import re
import sys
from decimal import Decimal

import numpy as np
import pandas as pd

from .errors import (
    AmbiguousInputError,
    EstimateError,
    InvalidInputError,
    LimitError,
    MissingInputError,
    OverflowInputError,
    Position,
    _show,
)
from .units import parse_quantity
from .vocabulary import INPUT, Input

__all__ = [
    "OVERFLOWS",
    "at_least_one",
    "finite",
    "first",
    "give",
    "given",
    "is_blank",
    "missing",
    "number_array",
    "overflow",
    "overflow_accepts",
    "roundup",
    "seed_magnitudes",
    "take",
    "too_large",
    "valid",
    "validated",
    "vectorised",
]


OVERFLOWS = "the result overflows; the inputs are too large to compute"  # after "name: "


def is_blank(value: object) -> bool:
    """True for None, NaN (of any number type: a float32, a Decimal, a 0-d array), pandas'
    NA and empty or blank text (an empty Excel cell)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, np.floating):
        return bool(np.isnan(value))
    if isinstance(value, Decimal):
        return value.is_qnan()  # a signalling NaN is no blank: refused as the value it is
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "fO":
        return is_blank(value.item())
    return False


_LARGEST = f"{sys.float_info.max:.2g}"  # 1.8e+308


def too_large(name: str, value: object, row: int | None = None) -> InvalidInputError:
    """The error for a number too large for a float (a Python int of 309 digits or more)."""
    spec = INPUT[name]
    accepts = _bare(spec)
    return InvalidInputError(
        name, value, f"{accepts}, at most {_LARGEST} (a larger one cannot be computed)", row
    )


def _bare(spec: Input) -> str:
    """What an input accepts, without its hint."""
    return spec.accepts.removesuffix(f" {spec.hint}") if spec.hint else spec.accepts


_GUESS = re.compile(r" \(did you mean (.+)\?\)$")


def _to_float(value: object, name: str) -> float:
    if type(value) is float:  # the usual cell of an object array
        return value
    spec = INPUT[name]
    if isinstance(value, bool | np.bool_):
        raise InvalidInputError(spec.name, value, spec.accepts)
    if isinstance(value, numbers.Real | Decimal):  # (a Decimal is no numbers.Real)
        return _real(value, name)
    if isinstance(value, str):
        return text_number(name, value)
    raise InvalidInputError(spec.name, value, spec.accepts)


def _float_of(value: numbers.Real | Decimal) -> float | None:
    """A number of any type (an int, a Decimal, a Fraction, a numpy number) as a float;
    None for one that is no number to float() (Decimal('sNaN'), a timedelta64: a numpy
    integer); OverflowError for one beyond the largest float (an int, Decimal('1e400'), a
    long double), where float() would give infinity."""
    try:
        if isinstance(value, np.generic):
            with np.errstate(over="ignore"):  # a long double beyond a float: judged below
                x = float(value)
        else:  # (no warning to silence: a cell of an object array costs no context)
            x = float(value)
    except (ValueError, TypeError):
        return None
    if math.isinf(x) and value not in (math.inf, -math.inf):
        raise OverflowError(f"{value!r} is beyond the largest float")
    return x


def _real(value: numbers.Real | Decimal, name: str) -> float:
    """:func:`_float_of`, or the error naming input ``name``: a number beyond a float's
    range is refused as the number it is, not as infinity."""
    try:
        x = _float_of(value)
    except OverflowError:
        raise too_large(name, value) from None
    if x is None:
        accepts = INPUT[name].accepts
        raise InvalidInputError(name, value, accepts)
    return x


def text_number(name: str, text: str) -> float:
    """Text given for number input ``name`` as a float, read as every face reads it (the
    caller's culture, SI suffixes, a percentage only for a fraction or a ratio), before
    the input's range is checked; else the one-line error, with the parser's suggestion
    where it is one the input accepts."""
    spec = INPUT[name]
    base = spec.unit.split("/")[0]  # "s/request" is a time too
    unit = "B" if base.startswith("B") else "s" if base == "s" else ""
    if spec.name not in _PERCENT_OK and _percent(text):  # 5 % of users, of bytes?
        raise InvalidInputError(spec.name, str(text), spec.accepts + _NO_PERCENT)
    try:
        return parse_quantity(text, spec.name, unit)
    except AmbiguousInputError as error:  # both readings, whatever the input's range
        raise AmbiguousInputError(
            spec.name, str(text), spec.accepts, error.culture, error.readings
        ) from error
    except InvalidInputError as error:
        if _beyond_largest(text, error.accepts) and spec.high is None:
            raise too_large(spec.name, str(text)) from error  # why, not only what is taken
        hint = _parser_hint(spec, error.accepts, unit)
        raise InvalidInputError(spec.name, str(text), spec.accepts + hint) from error


def _beyond_largest(text: str, parsed: str) -> bool:
    """Whether the parser refused ``text`` (saying it ``parsed``) as a number past the
    largest float: '1e400', '1e308M', 'inf'; not '-1e400' or 'nan'."""
    s = text.strip().lower()
    return parsed.startswith("a finite ") and not s.startswith("-") and "nan" not in s


def _parser_hint(spec: Input, parsed: str, unit: str) -> str:
    """The parser's "(did you mean 1.5?)", where what it suggests is valid for the input."""
    match = _GUESS.search(parsed)
    if not match:
        return ""
    kept = [g for g in match.group(1).split(" or ") if _acceptable(spec, g, unit)]
    return f" (did you mean {' or '.join(kept)}?)" if kept else ""


def _acceptable(spec: Input, guess: str, unit: str) -> bool:
    """Whether text the parser suggests reads as a value ``spec`` accepts."""
    try:
        x = parse_quantity(guess, spec.name, unit)
    except InvalidInputError:
        return False
    return not _problem(spec, x, guess.rstrip().endswith("%"))


def gpu_text_error(text: str) -> InvalidInputError | None:
    """The number parser's refusal of GPU text written as a number that it does not read,
    where it says more than close names of GPUs would: both readings of "1.500T" in a
    decimal-comma culture, or "(did you mean 1.5T?)" for "1,5T". Else None."""
    if not _number_like(text):
        return None
    try:
        parse_quantity(text, "gpu")
    except AmbiguousInputError as error:
        return AmbiguousInputError("gpu", text, INPUT["gpu"].accepts, error.culture, error.readings)
    except InvalidInputError as error:
        hint = _parser_hint(INPUT["gpu"], error.accepts, "")
        return InvalidInputError("gpu", text, INPUT["gpu"].accepts + hint) if hint else None
    return None


# What GPU text written as a number holds besides digits, before a suffix: the separators
# the parser knows (and refuses where they could mislead), a sign, an exponent.
_NUMBER_CHARS = frozenset("0123456789.,_'\u2019 \u00a0\u202f+-eE")


def _number_like(text: str) -> bool:
    """Whether ``text`` is digits and separators, with an SI suffix if any ("1,5T")."""
    body = text.strip().rstrip("kKmMbBgGtT").rstrip()
    return any(c.isdigit() for c in body) and _NUMBER_CHARS.issuperset(body)


def _percent(value: object) -> bool:
    """True for text written with a percent sign ("150%"): a fraction taken as written."""
    return isinstance(value, str) and value.rstrip().endswith("%")


def number_array(name: str, value: object) -> float | np.ndarray:
    """A validated float (for a scalar) or float array (raises :class:`InvalidInputError`)."""
    kind = type(value)
    if kind is float or kind is int or kind is str:
        try:
            x = value if kind is float else float(value) if kind is int else _to_float(value, name)
        except OverflowError:  # an int beyond the largest float
            raise too_large(name, value) from None
        low, high = _INSIDE[name]
        if low < x < high:  # the usual case
            return x
        return _scalar(INPUT[name], x, kind is str and _percent(value), value)
    spec = INPUT[name]
    if isinstance(value, float | int | str | Decimal) and not isinstance(value, bool):
        return _scalar(spec, _to_float(value, name), _percent(value), value)
    raw = _cells(value, name, spec.accepts)
    if raw.ndim == 0:  # one value (a float32, a Fraction, a date): no row to name
        one = raw.item()
        return _scalar(spec, _to_float(one, name), _percent(one), one)
    percent = None
    if raw.dtype.kind in "fiu":
        if isinstance(value, list | tuple):  # numpy reads True among numbers as 1
            _no_bool(value, name, spec.accepts, raw.shape)
        with np.errstate(over="ignore"):  # a long double beyond a float: refused below
            array = raw.astype(float, copy=False)
        if raw.dtype.itemsize > 8 and (beyond := np.isinf(array) & np.isfinite(raw)).any():
            row = int(np.argmax(beyond.ravel()))
            raise too_large(name, raw.ravel()[row], Position(row, raw.shape))
    elif raw.dtype.kind == "b":
        at = Position(0, raw.shape) if raw.ndim else None  # (the first cell, True or False)
        raise InvalidInputError(name, raw.flat[0].item() if raw.size else raw, spec.accepts, at)
    else:
        cells = raw.ravel()
        try:
            array = np.array(_read_cells(cells.tolist(), name), dtype=float)
        except InvalidInputError:
            raise _first_unread(cells, name, raw.shape) from None
        array = array.reshape(raw.shape)
        if name in _FRACTIONS:
            percent = np.array([_percent(v) for v in cells], dtype=bool).reshape(raw.shape)
    _check(spec, array, percent, raw)
    return array.item() if array.ndim == 0 else array


def _read_cells(cells: list, name: str) -> list[float]:
    """Each cell of an object array as a float (:func:`_to_float`), each distinct text read
    once: a range of a million cells holding "8.1B" is parsed once, not a million times
    (30 s, all other callers of a shared server waiting)."""
    read: dict[str, float] = {}
    out = []
    for value in cells:
        if type(value) is str:
            x = read.get(value)
            if x is None:
                x = read[value] = _to_float(value, name)
            out.append(x)
        else:
            out.append(_to_float(value, name))
    return out


def _no_bool(value: list | tuple, name: str, accepts: str, shape: tuple = ()) -> None:
    """Refuse True or False in a list (or a list of rows, of ``shape``) of numbers, naming
    its position."""
    cells = itertools.chain.from_iterable(v if isinstance(v, list | tuple) else (v,) for v in value)
    for row, cell in enumerate(cells):
        if isinstance(cell, bool | np.bool_):
            raise InvalidInputError(name, cell, accepts, Position(row, shape))


def _first_unread(cells: np.ndarray, name: str, shape: tuple = ()) -> InvalidInputError:
    """The error of the first cell of ``cells`` that does not read as a number, naming its
    row as a number out of range does (found again only once a cell has failed)."""
    for row, value in enumerate(cells):
        try:
            _to_float(value, name)
        except InvalidInputError as error:
            return _at_row(error, Position(row, shape))
    raise AssertionError("no cell failed")  # pragma: no cover - called after one did


def _at_row(error: InvalidInputError, row: int) -> InvalidInputError:
    """``error``, its message naming the zero-based ``row`` of the array it came from."""
    error.row = row
    error.args = (str(error),)
    return error


def _scalar(spec: Input, x: float, percent: bool, given: object = None) -> float:
    """``x`` if ``spec`` accepts it (``percent``: it was text written with %), else an error;
    ``given``: the value it was read from, shown where ``x`` would mislead (infinity from
    Decimal('Infinity'), 0 from Decimal('1e-400'))."""
    accepts = _problem(spec, x, percent)
    if accepts:
        if x == 0 and _below_floats(given):
            shown, accepts = given, f"{accepts} (it is below the smallest float, 5e-324: 0)"
        elif percent and isinstance(given, str):  # "45%" as typed, not 0.45
            shown = given
        else:
            shown = given if math.isinf(x) and not isinstance(given, float | int) else x
        raise InvalidInputError(spec.name, shown, accepts)
    return x


_SUFFIX = re.compile(r"[\sA-Za-z\u00b5\u03bc%]+$")


def _below_floats(given: object) -> bool:
    """Whether a value that reads as 0 was not 0: a number or text below the smallest float."""
    if isinstance(given, str):  # the number before any suffix ("1e-330K", "1e-400 %")
        number = _SUFFIX.sub("", given.strip()).replace(",", "").replace("_", "")
        try:
            return Decimal(number) != 0
        except ArithmeticError:  # not a plain number
            return False
    return given is not None and not isinstance(given, float) and given != 0


def _problem(spec: Input, x: float, percent: bool) -> str:
    """What ``spec`` accepts, in words, if it does not accept ``x``; else empty."""
    if _bad_scalar(spec, x):
        if x == math.inf and spec.high is None:  # it is "> 0": say what it exceeds
            return f"{_bare(spec)}, at most {_LARGEST} (a larger one cannot be computed)"
        plain_fraction = spec.name in _PERCENT_HINTS and not percent and 1 < x < math.inf
        if plain_fraction and not _bad_scalar(spec, x / 100):
            return f"{spec.accepts} (did you mean {_show(x)}%?)"
        return spec.accepts
    if x > 1 and not percent and spec.name in _FRACTIONS:
        return f"{_FRACTIONS[spec.name]} (did you mean {_percentages(x)}?)"
    return ""


def _percentages(x: float) -> str:
    """What a plain number above 1 given for a fraction may have meant: "20%" for 20, and
    for 1.5 also "150%" (a fraction written as a ratio: 1.5 times, 150 % headroom)."""
    if x < 5:  # (5: 5 % more users a month, hardly 500 %)
        return f"{_show(x)}% or {_show(round(x * 100, 12))}%"
    return f"{_show(x)}%"


# Inputs a percentage may give (a fraction, or a ratio: a peak 250 % of the average).
_PERCENT_OK = frozenset(
    q.name for q in INPUT.values() if q.unit.split("/")[0] in ("fraction", "ratio")
)
_NO_PERCENT = " (a percentage only where the input is a fraction)"

# Fractions that a plain number above 1 may not be ("20": 20 % or 2,000 %?), with what they
# accept in words: text written with % ("150%") is taken as written.
_PERCENT_HINTS = frozenset(q.name for q in INPUT.values() if q.unit.split("/")[0] == "fraction")
_FRACTIONS = {
    q.name: q.accepts.replace("a number", "a fraction", 1)
    + " such as 0.2 or 20%, above 1 only with %"
    for q in INPUT.values()
    if q.name in _PERCENT_HINTS and not q.plain_above_one
}

# For each input, an open interval inside what it accepts (empty for whole numbers and
# names): a float strictly within is valid with no further check. NaN, failing every
# comparison, never is. A fraction's interval stops at 1 (a plain number above is refused).
_INSIDE = {
    q.name: (
        (
            -math.inf if q.low is None else q.low,
            min(math.inf if q.high is None else q.high, 1.0 if q.name in _FRACTIONS else math.inf),
        )
        if q.kind != "name" and not q.integer
        else (math.inf, -math.inf)
    )
    for q in INPUT.values()
}


def _bad_scalar(spec: Input, x: float) -> bool:
    if math.isnan(x):
        return spec.default is not None  # NaN in an optional input means "not given"
    if math.isinf(x):
        return True
    below = spec.low is not None and (x <= spec.low if spec.low_open else x < spec.low)
    if below and not (spec.zero_allowed and x == 0):
        return True
    if spec.high is not None and (x >= spec.high if spec.high_open else x > spec.high):
        return True
    return spec.integer and x != math.floor(x)


def _bad(spec: Input, x: np.ndarray) -> np.ndarray:
    """Where the array ``x`` is outside what ``spec`` accepts."""
    # NaN in an optional input means "not given" (an empty cell): the catalogue decides.
    bad = np.isinf(x) if spec.default is None else ~np.isfinite(x)
    if spec.low is not None:
        below = x <= spec.low if spec.low_open else x < spec.low
        bad |= below & (x != 0) if spec.zero_allowed else below
    if spec.high is not None:
        bad |= x >= spec.high if spec.high_open else x > spec.high
    if spec.integer:
        bad |= np.isfinite(x) & (x != np.floor(x))  # NaN as above, not as a fraction
    return bad


def _check(spec: Input, array: np.ndarray, percent: np.ndarray | None = None, raw=None) -> None:
    """Refuse the first value of ``array`` that ``spec`` does not accept (``percent``: where
    it was text written with %, for a fraction; ``raw``: the cells it was read from, so
    that "45%" is shown as typed, not as 0.45)."""
    bad = _bad(spec, array)
    if spec.name in _FRACTIONS:
        bad = bad | ((array > 1) if percent is None else (array > 1) & ~percent)
    if bad.any():
        index = int(np.argmax(bad.ravel()))
        x = array.ravel()[index].item()
        written = percent is not None and bool(percent.ravel()[index])
        accepts = _problem(spec, x, written) or spec.accepts
        typed = None if raw is None else raw.ravel()[index]
        shown = str(typed) if isinstance(typed, str) and _percent(typed) else x
        raise InvalidInputError(spec.name, shown, accepts, Position(index, array.shape))


# A tuple, not ``str | float | ...``: a union in isinstance is built anew on each call.
_NAME_SCALARS = (str, float, int, pd.Categorical)


def name_array(value: object, name: str = "gpu") -> object:
    """A name (scalar) or an object array of names, not yet resolved; a number of another
    type (a Decimal, a Fraction, a numpy number: a GPU's FLOP/s) as a float."""
    if isinstance(value, _NAME_SCALARS) or value is None:
        if type(value) is int and value.bit_length() > 1000:  # FLOP/s near the largest float
            try:
                float(value)
            except OverflowError:
                raise too_large(name, value) from None
        return value
    if isinstance(value, numbers.Real | Decimal):  # (after the usual cells: an ABC is slow)
        return _real(value, name)
    accepts = INPUT[name].accepts
    raw = _cells(value, name, accepts).astype(object, copy=False)
    kinds = set(map(type, raw.ravel()))
    odd = {t for t in kinds if not issubclass(t, _NAME_CELLS)}
    if odd:  # a list, a dict, a complex number: no name (and unhashable, for look-ups)
        index = next(i for i, v in enumerate(raw.ravel()) if type(v) in odd)
        cell = raw.ravel()[index]
        at = Position(index, raw.shape) if raw.ndim else None
        raise InvalidInputError(name, cell, accepts, at)
    if raw.ndim and (numeric := set(filter(_other_number, kinds))):
        raw = _as_floats(raw, numeric, name)
    return raw.item() if raw.ndim == 0 else raw


def _other_number(kind: type) -> bool:
    """A number type other than float and int (a Decimal, a Fraction, a numpy number), not
    a bool: its cells are read as floats, as the same number alone is."""
    return issubclass(kind, numbers.Real | Decimal) and not issubclass(
        kind, float | int | bool | np.bool_
    )


def _as_floats(raw: np.ndarray, numeric: set, name: str) -> np.ndarray:
    """``raw`` (object cells) with each cell of a ``numeric`` type as a float; one that is
    no float (Decimal('sNaN'), beyond the largest) refused with its row."""
    out = raw.ravel().copy()
    for row, cell in enumerate(out):
        if type(cell) in numeric:
            try:
                out[row] = _real(cell, name)
            except InvalidInputError as error:
                raise _at_row(error, Position(row, raw.shape)) from None
    return out.reshape(raw.shape)


# What a cell of a name input may hold: a name, a number (a GPU's FLOP/s; refused by name
# elsewhere), or a blank.
_NAME_CELLS = (str, numbers.Real, Decimal, type(None), type(pd.NA))
# What is not an array of cells, although numpy would make one of it: bytes (their byte
# values), mappings and sets (one object), a masked array (its mask dropped).
_NOT_CELLS = (bytes, bytearray, memoryview, dict, set, frozenset, np.ma.MaskedArray)


def _cells(value: object, name: str, accepts: str) -> np.ndarray:
    """An array input's cells as a numpy array (a Series' values), or the one-line error."""
    if isinstance(value, _NOT_CELLS):
        raise InvalidInputError(name, value, f"{accepts} (or an array of them)")
    if isinstance(value, pd.Series):
        return value.to_numpy()
    try:
        raw = np.asarray(value)
    except ValueError:  # rows of different lengths
        raise InvalidInputError(name, value, "an array of one shape (rows of one length)") from None
    if raw.dtype.kind == "c":
        raise InvalidInputError(name, raw.flat[0].item() if raw.size else value, accepts)
    return raw


def take(**inputs: object) -> dict[str, object]:
    """Validated numbers or arrays for named inputs (``None`` stays ``None``)."""
    return validated(inputs)


def valid(name: str, value: object) -> object:
    """One input, validated: a name as it is, a number as a float (or array)."""
    kind = type(value)
    if kind is float:
        low, high = _INSIDE[name]
        if low < value < high:  # a number well inside its range: the usual cell
            return value
    elif kind is str and name in _NAMES:  # a name: looked up by the formula
        return value
    return name_array(value, name) if name in _NAMES else number_array(name, value)


def validated(inputs: dict, defaults: dict | None = None) -> dict[str, object]:
    """:func:`take` for a dict of inputs, added to a copy of ``defaults`` (already valid)."""
    return _validated(inputs, defaults)[0]


def _validated(inputs: dict, defaults: dict | None = None) -> tuple[dict[str, object], int]:
    """:func:`validated`, and how many of the inputs are arrays. pandas Series are taken
    by position, so two on different indexes are refused rather than paired wrongly."""
    out, arrays = dict(defaults) if defaults else {}, 0
    for name, value in inputs.items():
        if value is None:
            checked = None
        elif name in _NAMES:
            checked = name_array(value, name)
        elif value is _DEFAULT_OBJECTS[name]:  # the vocabulary's own default, as a float
            checked = _DEFAULTS[name]
        else:
            checked = number_array(name, value)
        out[name] = checked
        arrays += isinstance(checked, np.ndarray)
    if arrays > 1:  # one array or none: nothing to broadcast against
        _same_shape(out)
        _same_index(inputs)
    return out, arrays


def _same_index(inputs: dict) -> None:
    """Refuse pandas Series on different indexes (pandas would align them by label)."""
    series = [(n, v) for n, v in inputs.items() if isinstance(v, pd.Series)]
    if not series:
        return
    first, index = series[0][0], series[0][1].index
    for name, value in series[1:]:
        if not value.index.equals(index):
            raise InvalidInputError(
                "index",
                f"{first} and {name} on different indexes",
                "Series on one index (align them first, e.g. a, b = a.align(b))",
            )


_NAMES = frozenset(q.name for q in INPUT.values() if q.kind == "name")
_DEFAULT_OBJECTS = {q.name: q.default for q in INPUT.values()}
_DEFAULTS = {
    q.name: number_array(q.name, q.default)
    for q in INPUT.values()
    if q.kind != "name" and q.default is not None
}
_ROW_DEFAULTS = {q.name: _DEFAULTS.get(q.name, q.default) for q in INPUT.values()}


_RANK = {name: rank for rank, name in enumerate(INPUT)}  # vocabulary order

# The most cells arrays may stretch to against each other (a row of 100,000 against a
# column of 100,000 is 10**10: 80 GB an array, for each step).
MAX_BROADCAST_CELLS = 100_000_000


def _same_shape(arrays: dict[str, object]) -> None:
    shapes = {n: a.shape for n, a in arrays.items() if isinstance(a, np.ndarray)}
    try:
        shape = np.broadcast_shapes(*shapes.values())
    except ValueError:
        shown = ", ".join(f"{n} {'x'.join(map(str, s))}" for n, s in shapes.items())
        raise InvalidInputError(
            "shape",
            shown,
            "arrays of one shape, or rows and columns that broadcast against each other",
        ) from None
    cells, largest = math.prod(shape), max(math.prod(s) for s in shapes.values())
    if cells > max(largest, MAX_BROADCAST_CELLS):  # stretched, past the limit
        shown = " x ".join(map(str, shape))
        raise LimitError(
            f"shape (arrays stretched to {shown})", cells, MAX_BROADCAST_CELLS, "cells"
        )


def missing(value) -> bool:
    """True if ``value`` is not given: None, or NaN in any element."""
    if type(value) is float:
        return value != value
    return value is None or bool(np.isnan(value).any())


def given(value, fallback):
    """``value`` where given (not None, not NaN), else ``fallback``."""
    if value is None:
        return fallback
    if isinstance(value, float):
        return fallback if value != value else value  # NaN is not equal to itself
    return np.where(np.isnan(value), fallback, value)


def roundup(x):
    """Round up to a whole number as spreadsheets' ``ROUNDUP(x, 0)`` does.

    Excel and LibreOffice first round to 15 significant digits, so a float artefact such as
    3.0000000000000004 counts as 3; plain ``ceil`` would make it 4 and the faces disagree.
    """
    # Rounding to 15 significant digits moves x by at most 5e-15 of |x|, so it can change
    # the result only where x is that close to a whole number (or not finite): those few
    # take the full path, the rest is a plain ceil.
    if type(x) is float and -math.inf < x < math.inf:  # one cell: no array operations
        up = math.ceil(x)
        if up == x:  # a whole number (every float beyond 2**52 is one): nothing to round
            return float(up)
        near = 1e-13 * (x if x > 0 else -x)
        if near < up - x < 1 - near:  # not within 1e-13 of |x| of a whole number
            return float(up)
        digits = 14 - math.floor(math.log10(abs(x)))
        if 0 <= digits <= 22:  # 10**digits is exact, as in numpy's array power
            scale = 10.0**digits
            return float(math.ceil(round(x * scale) / scale))
    if isinstance(x, np.ndarray) and x.dtype == np.float64 and x.ndim:
        result = np.ceil(x)
        with np.errstate(all="ignore"):
            off = x - np.round(x)  # 0 for a whole number: its ceil is exact, nothing to round
            near = (off != 0) & ~(np.abs(off) > 1e-13 * np.abs(x))
        if near.any():
            result[near] = _roundup_15_digits(x[near])
        return result
    result = _roundup_15_digits(x)
    return float(result) if np.ndim(result) == 0 else result


def at_least_one(x):
    """``x``, or 1 where it is below 1 (NaN stays NaN): a count of replicas for a positive
    demand, which a float may have rounded to 0 (1e-320 requests/s still need one)."""
    if type(x) is float:
        return 1.0 if x < 1.0 else x
    return np.maximum(x, 1.0)


def _roundup_15_digits(x):
    with np.errstate(all="ignore"):
        scale = 10.0 ** (14 - np.floor(np.log10(np.abs(x))))
        # Infinity's scale is 0 (and 0's infinite): both stay as they are, not NaN.
        approx = np.where(np.isfinite(scale) & (scale > 0), np.round(x * scale) / scale, x)
    return np.ceil(approx)


def first(mask, *values):
    """Position of the first true element of ``mask`` and each value's element there."""
    if np.ndim(mask) == 0:
        return None, [v.item() if isinstance(v, np.ndarray) else v for v in values]
    index = Position(int(np.argmax(np.ravel(mask))), np.shape(mask))
    picked = [
        np.broadcast_to(np.asarray(v, dtype=object), np.shape(mask)).ravel()[index] for v in values
    ]
    return index, picked


def finite(name: str, result, inputs: dict | None = None):
    """``result``, or an error if it overflowed: infinity or NaN never leak out as numbers.

    Given the validated ``inputs`` it was computed from, the error names the input to
    change (:func:`overflow`); without them, only the output.
    """
    ok = math.isfinite(result) if isinstance(result, float) else np.isfinite(result).all()
    if not ok:
        if inputs is not None:
            raise overflow(name, result, inputs)
        raise EstimateError(f"{name}: {OVERFLOWS}")
    return result


def _all_finite(value) -> bool:
    return math.isfinite(value) if isinstance(value, float) else bool(np.isfinite(value).all())


def overflow(name: str | None, result, inputs: dict) -> EstimateError:
    """The error for output ``name`` (None: any output) when ``result``, computed from the
    validated ``inputs``, is not finite (NaN: its computation raised an ArithmeticError):
    an :class:`OverflowInputError` naming the input to change.

    Its scenario is the first one (row) that overflows. The quantity named is the first
    output on the way to ``name`` that is not finite, else the step that could not be
    computed; the input, the most extreme (farthest from the seed, in powers of ten) of the
    inputs that quantity depends on whose default lets it be computed, or failing that the
    most extreme of them.
    """
    from . import graph  # the graph's modules import this one

    with np.errstate(all="ignore"):
        huge = _huge_int(inputs)
        if huge:
            return huge
        shapes = [np.shape(v) for v in inputs.values() if isinstance(v, _ARRAYS)]
        shape = np.broadcast_shapes(np.shape(result), *shapes)
        index = None
        if shape:
            bad = ~np.isfinite(np.broadcast_to(np.asarray(result, dtype=float), shape)).ravel()
            index = Position(int(np.argmax(bad)), shape)
        row = dict(_ROW_DEFAULTS)
        row.update({n: _element(v, shape, index) for n, v in inputs.items() if n in row})
        names = (name,) if name else tuple(q.name for q in graph.outputs())
        root = _first_to_overflow(graph, names, row)
        typical = _typical()
        candidates = []
        for n in _inputs_of(graph, root):
            x = _magnitude(row[n])
            if x is not None:
                extreme = abs(math.log10(x) - math.log10(typical.get(n, 1.0)))
                candidates.append((extreme, n, x))
        candidates.sort(key=lambda c: -c[0])  # the most extreme first; ties in vocabulary order
        fixed = (c for c in candidates if c[0] > 0 and _fixes(graph, root, row, c[1]))
        chosen = next(fixed, candidates[0] if candidates else None)
    if chosen is None:
        return EstimateError(f"{root}: {OVERFLOWS}")
    _, n, x = chosen
    return OverflowInputError(n, row[n], overflow_accepts(n), root, x > typical.get(n, 1.0), index)


def overflow_accepts(name: str) -> str:
    """What input ``name`` accepts, as an overflow's message says it (no hint)."""
    return _bare(INPUT[name])


_ARRAYS = (np.ndarray, pd.Categorical)


def _huge_int(inputs: dict) -> InvalidInputError | None:
    """The error for a Python int too large for a float among names (a GPU given as its
    FLOP/s, alone or in an array), which the catalogue cannot read: else None."""
    for n in _NAMES.intersection(inputs):
        value = inputs[n]
        cells = np.ravel(np.asarray(value, dtype=object)) if isinstance(value, _ARRAYS) else [value]
        for i, v in enumerate(cells):
            if _beyond_float(v):
                at = Position(i, np.shape(value)) if isinstance(value, _ARRAYS) else None
                return too_large(n, v, at)
    return None


def _beyond_float(value: object) -> bool:
    """Whether a number is finite but beyond the largest float (an int of 309 digits or
    more, Decimal('1e400'), a long double, a Fraction)."""
    if type(value) is float or not isinstance(value, numbers.Real | Decimal):
        return False
    if type(value) is int and value.bit_length() <= 1000:  # the usual int: no float() needed
        return False
    try:
        _float_of(value)
    except OverflowError:
        return True
    return False


def _element(value, shape: tuple, index: int | None):
    """One scenario's value of an input: a scalar as it is, else its element ``index`` of
    the broadcast ``shape``."""
    if index is None or not isinstance(value, _ARRAYS):
        return value
    element = np.broadcast_to(np.asarray(value), shape).ravel()[index]
    return element.item() if isinstance(element, np.generic) else element


def _magnitude(value) -> float | None:
    """|value| for a finite non-zero number (or a GPU written as one), else None."""
    if isinstance(value, str):
        try:
            value = parse_quantity(value)
        except InvalidInputError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    x = abs(float(value))
    return x if 0 < x < math.inf else None


def _inputs_of(graph, name: str) -> list[str]:
    """The inputs quantity ``name`` is computed from (through Python's edges, each step
    visited once), in vocabulary order."""
    if name not in _INPUTS_OF:
        found, seen, todo = set(), set(), [name]
        while todo:
            n = todo.pop()
            if n in seen:
                continue
            seen.add(n)
            if n in graph.GRAPH:
                todo.extend(graph.GRAPH[n].inputs)
            elif n in INPUT:
                found.add(n)
        _INPUTS_OF[name] = [n for n in INPUT if n in found]
    return _INPUTS_OF[name]


_INPUTS_OF: dict[str, list[str]] = {}


def _first_to_overflow(graph, names: tuple, row: dict) -> str:
    """The first output on the way to ``names`` that is not finite for one scenario, else
    the first step whose computation raises, else the first of ``names``."""
    values = dict(row)
    with contextlib.suppress(EstimateError, ArithmeticError):  # the step that raised:
        graph.evaluate(values, names)  # the first one missing from the values
    steps = graph._needed(names)
    for q in steps:
        if q.section and q.name in values and not _all_finite(values[q.name]):
            return q.name
    return next((q.name for q in steps if q.name not in values), names[0])


def _fixes(graph, name: str, row: dict, changed: str) -> bool:
    """True if quantity ``name`` can be computed (finite) for one scenario once input
    ``changed`` takes its default."""
    try:
        values = graph.evaluate({**row, changed: _ROW_DEFAULTS[changed]}, (name,))
    except (EstimateError, ArithmeticError):
        return False
    return _all_finite(values[name])


def seed_magnitudes() -> dict[str, float]:
    """Each input's magnitude in the seed scenario, from which an overflow's input to
    change is the farthest in powers of ten (inputs not listed: 1)."""
    return dict(_typical())


@functools.cache
def _typical() -> dict[str, float]:
    """Each input's magnitude in the seed scenario (catalogue figures as used; a GPU given as
    a number: the seed GPU's FLOP/s; a measured time: the modelled one); 1 for a zero."""
    from . import graph

    values = graph.evaluate(dict(_ROW_DEFAULTS))
    seed = {n: v for n, v in _ROW_DEFAULTS.items() if isinstance(v, float)}
    seed.update({q.resolves: values[q.name] for q in graph.steps() if q.resolves})
    seed["gpu"] = seed["gpu_flops"]
    seed["measured_inference_seconds"] = values["inference_seconds"]
    return {n: abs(v) or 1.0 for n, v in seed.items()}


def give(result, *originals: object) -> object:
    """Return ``result`` in the type the caller passed: scalar, Series or array (a table,
    a Series broadcast against a column, stays an array: a Series holds one dimension)."""
    if not isinstance(result, np.ndarray):
        return result.item() if isinstance(result, np.generic) else result
    if result.ndim != 1:
        return result.item() if result.ndim == 0 else result
    for original in originals:
        if isinstance(original, pd.Series):
            if result.shape == original.shape:
                return pd.Series(result, index=original.index)
            return pd.Series(result)
    return result


def shaped(value, shape: tuple):
    """A number or an array of them broadcast to ``shape``, the shape of every array input:
    a result has it whether or not its formula uses each of them (a copy the caller may
    write to, not a read-only view)."""
    if isinstance(value, np.ndarray) and value.shape == shape:
        return value
    return np.array(np.broadcast_to(value, shape), dtype=float)


def array_shape(values) -> tuple:
    """The broadcast shape of the arrays among ``values`` (validated inputs)."""
    shapes = {np.shape(v) for v in values if isinstance(v, _ARRAYS)}
    return shapes.pop() if len(shapes) == 1 else np.broadcast_shapes(*shapes)


def vectorised(core):
    """Make a function of validated arrays public: validate, broadcast, return the caller's type.

    The undecorated function stays reachable as ``public.core`` so that
    :func:`formulas.estimate` validates each input once, not once per output; with its
    defaults validated, ``core(**validated(given))`` is the call without the argument
    binding, for callers whose names are known. It raises no ArithmeticError: a division by
    a number that underflowed to zero is an :class:`OverflowInputError` (see
    :func:`_guarded`).
    """
    signature = inspect.signature(core)
    # A default of ``...`` stands for the vocabulary's default, kept in one place.
    signature = signature.replace(
        parameters=[
            p.replace(default=INPUT[p.name].default) if p.default is Ellipsis else p
            for p in signature.parameters.values()
        ]
    )
    parameters = signature.parameters
    names, known = tuple(parameters), frozenset(parameters)
    required = frozenset(n for n, p in parameters.items() if p.default is inspect.Parameter.empty)
    # Defaults are validated once, here, and become the core's own: a call validates and
    # passes only what it was given (Python fills in the rest, without a dict to copy).
    defaults = {n: p.default for n, p in parameters.items() if p.default is not p.empty}
    core.__defaults__ = tuple(take(**defaults).values())

    def passed(args: tuple, kwargs: dict) -> dict:
        """The arguments given, by name (``signature.bind`` without its cost)."""
        if len(args) > len(names) or not kwargs.keys() <= known:
            wrong_call(args, kwargs)
        given = kwargs  # this call's own dict
        if args:
            given = dict(zip(names, args, strict=False))
            if not kwargs.keys().isdisjoint(given):
                wrong_call(args, kwargs)
            given.update(kwargs)
        if not given.keys() >= required:
            wrong_call(args, kwargs)
        return given

    def wrong_call(args: tuple, kwargs: dict) -> None:
        """The usual TypeError, naming the function, and an unknown keyword first with
        what the function takes (bind names a missing argument before it)."""
        unknown = [k for k in kwargs if k not in known]
        if unknown:
            takes = ", ".join(names)
            message = f"got an unexpected keyword argument {unknown[0]!r}; accepts {takes}"
        else:
            try:
                signature.bind(*args, **kwargs)
            except TypeError as error:
                message = str(error)
        raise TypeError(f"{core.__name__}() {message}") from None

    def unblanked(given: dict) -> dict:
        """``given`` without blank values (None, NaN, empty text): an optional input takes
        its default, as in :func:`estimate`; a required one is missing. So does each blank
        cell of an array (:func:`unblanked_cells`)."""
        for name in [n for n, v in given.items() if _blank_or_cells(v)]:
            value = given[name]
            if not is_blank(value):
                given[name] = unblanked_cells(name, value, name in required)
            elif name in required:
                raise MissingInputError(name, value, INPUT[name].accepts)
            else:
                del given[name]
        return given

    @functools.wraps(core)
    def public(*args, **kwargs):
        given = unblanked(passed(args, kwargs))
        try:
            checked, arrays = _validated(given)
        except EstimateError:  # of two bad inputs, name the first as estimate does
            _validated(dict(sorted(given.items(), key=lambda item: _RANK[item[0]])))
            raise
        try:
            result = array_result(guarded, checked) if arrays else core(**checked)
        except ArithmeticError:  # none expected (guards turn them into infinity): by name
            result = math.nan
        return give(finite(core.__name__, result, checked), *given.values())

    public.__signature__ = signature
    public.core = guarded = _guarded(core)
    return public


# Cells computed at once: every step of a formula holds an array of the broadcast shape
# until the result is known (about 200 bytes a cell), so 100,000,000 cells at once peaked
# near 20 GB; a band of rows at a time keeps it to a few hundred MB besides the result.
CHUNK_CELLS = 1_000_000


def array_result(core, checked: dict, start: int = 0, whole: tuple | None = None):
    """``core`` (a :func:`_guarded` core, its defaults its own) of validated inputs some of
    which are arrays, each element as one cell of Python floats gives it.

    numpy goes on where Python floats raise (a FLOP/s that overflowed to infinity makes a
    time of 0 s, not an error), and helpers that ignore its warnings hide where. So the
    steps are kept, and each element for which the result or any step on the way to it is
    not finite is computed again on its own, as Python floats: the first that fails raises
    its error, with its position as ``row``; the others take the value computed so.
    """
    from . import graph  # the graph's modules import this one

    name = core.__name__
    given = {n: checked[n] if n in checked else _ROW_DEFAULTS[n] for n in _parameters(core)}
    shape = array_shape(given.values())  # no step has more cells than the inputs
    if whole is None and math.prod(shape) > CHUNK_CELLS and shape[0] > 1:
        return _in_bands(core, given, shape)
    by_design, unknown = _steps_not_finite_by_design(), _steps_unknown_for_flops()
    with np.errstate(all="ignore"):
        values = graph.evaluate(dict(given), (name,))
        suspect = np.zeros((), dtype=bool)
        for step, value in values.items():
            if step in graph.GRAPH and step not in by_design and _maybe_not_finite(value):
                # NaN is how these steps say "unknown"; infinity is an overflow in them too
                suspect = suspect | (np.isinf(value) if step in unknown else _not_finite(value))
    result = np.asarray(values[name], dtype=float)
    if not suspect.any():
        return shaped(result, shape)
    result = np.array(np.broadcast_to(result, shape))  # a copy: its cells are written below
    flat = result.reshape(-1)  # a view: writes land in result
    for index in np.flatnonzero(np.broadcast_to(suspect, shape)).tolist():
        row = {n: _element(v, shape, index) for n, v in given.items()}
        try:
            flat[index] = finite(name, core(**row), row)
        except InvalidInputError as error:
            _at_row(error, Position(start + index, whole or shape))
            raise
    return result


def _in_bands(core, given: dict, shape: tuple) -> np.ndarray:
    """:func:`array_result` of ``given`` (broadcast to ``shape``) a band of rows (the
    first axis) at a time; an error names its cell in the whole ``shape``."""
    per_row = math.prod(shape[1:])
    rows = max(1, CHUNK_CELLS // max(per_row, 1))
    result = np.empty(shape)
    for low in range(0, shape[0], rows):
        high = min(low + rows, shape[0])
        band = {n: _band(v, len(shape), low, high) for n, v in given.items()}
        result[low:high] = array_result(core, band, low * per_row, shape)
    return result


def _band(value, ndim: int, low: int, high: int):
    """Rows ``low:high`` of an input that spans the first axis; any other as it is."""
    if isinstance(value, _ARRAYS) and np.ndim(value) == ndim and np.shape(value)[0] != 1:
        return value[low:high]
    return value


@functools.cache
def _parameters(core) -> tuple[str, ...]:
    return tuple(inspect.signature(core).parameters)


@functools.cache
def _steps_not_finite_by_design() -> frozenset[str]:
    """Steps not finite for the seed scenario (NaN: a limit not set, no latency target)."""
    from . import graph

    with np.errstate(all="ignore"):
        values = graph.evaluate(dict(_ROW_DEFAULTS))
    return frozenset(n for n, v in values.items() if n in graph.GRAPH and _not_finite(v).any())


@functools.cache
def _steps_unknown_for_flops() -> frozenset[str]:
    """Steps not finite for the seed scenario with its GPU given as its FLOP/s (and the
    seed's FLOPs formula, under which that GPU is accepted), besides the
    seed's own (:func:`_steps_not_finite_by_design`): those of the GPU's memory, bandwidth
    and price, which a number does not tell (NaN: unknown, where the catalogue decides)."""
    from . import graph

    # (under the seed's formula: the roofline refuses a GPU without its memory figures)
    values = {**_ROW_DEFAULTS, "gpu": _typical()["gpu"], "inference_model": "flops"}
    with np.errstate(all="ignore"):
        for q in graph.steps():
            if all(n in values for n in q.inputs):  # not after a step that refused it
                with contextlib.suppress(EstimateError):  # the cost: no price to take
                    values[q.name] = q.function(*[values[n] for n in q.inputs])
    unknown = {n for n in graph.GRAPH if n in values and _not_finite(values[n]).any()}
    return frozenset(unknown - _steps_not_finite_by_design())


def _maybe_not_finite(value) -> bool:
    """False where a step's value is surely finite or not a number: a quick look (a float
    array's sum is finite when each of its numbers is, and may overflow when they are)."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if type(value) is np.ndarray and value.dtype.kind == "f":
        return not math.isfinite(value.sum())
    return False


def _not_finite(value) -> np.ndarray:
    """Where a step's value is not a finite number (nowhere for names and flags)."""
    try:
        return ~np.isfinite(np.asarray(value, dtype=float))
    except (TypeError, ValueError):
        return np.zeros((), dtype=bool)


def _blank_or_cells(value) -> bool:
    """True for a blank float or text, and for any other value but an int: None, pd.NA,
    an array or a Series (which may hold blank cells), looked at again. A float, an int
    or text, the usual cell, costs one or two comparisons."""
    kind = type(value)
    if kind is float:
        return value != value  # NaN
    if kind is str:
        return not value.strip()
    return kind is not int


def unblanked_cells(name: str, value: object, required: bool = False) -> object:
    """An array input (an array, a Series, a list) with each blank cell as the same blank
    given alone, as estimate_table reads a column (:func:`blanks_filled`): ``value``
    itself if it has none; a Series keeps its index. Any other value is returned as it is,
    for validation to judge."""
    spec = INPUT[name]
    try:
        raw = _cells(value, name, spec.accepts)
    except InvalidInputError:  # refused by validation, in the inputs' order
        return value
    cells = raw.ravel()
    if raw.ndim == 0 or not _any_blank(cells):
        return value  # the usual array, at the cost of one look
    try:
        filled, blank = blanks_filled(pd.Series(cells), spec, required)
    except MissingInputError as error:
        try:
            if error.row:  # a bad cell before the blank one fails first, as alone
                number_array(name, cells[: error.row])
        except InvalidInputError as earlier:
            raise _in_shape(earlier, raw.shape) from None
        raise _in_shape(error, raw.shape) from None
    if not blank:
        return value
    filled = np.asarray(filled).reshape(raw.shape)
    return pd.Series(filled, index=value.index) if isinstance(value, pd.Series) else filled


def _in_shape(error: InvalidInputError, shape: tuple) -> InvalidInputError:
    """``error`` of a flattened array's cell, its position in the array's own ``shape``."""
    if error.row is not None:
        _at_row(error, Position(int(error.row), shape))
    return error


def _any_blank(cells: np.ndarray) -> bool:
    """Whether any of an array's cells is blank: NaN among floats; among objects, any of
    their distinct values (a cell that is no value, such as a dict, is validation's)."""
    kind = cells.dtype.kind
    if kind == "f":
        return bool(np.isnan(cells).any())
    if kind not in "OU":
        return False
    try:
        distinct = set(cells.tolist())
    except TypeError:  # an unhashable cell (a dict): each cell looked at
        distinct = cells.tolist()
    return any(map(is_blank, distinct))


def blanks_filled(column: pd.Series, spec: Input, required: bool = False) -> tuple[object, bool]:
    """A column of cells with each blank one (:func:`is_blank`) as the same blank given
    alone: the input's default (NaN, "not given", where the catalogue decides), or for a
    ``required`` input a :class:`MissingInputError` naming its row; and whether any was.

    Numbers come back as floats; names and text as a :class:`pandas.Categorical`, codes
    into the distinct values (the catalogue looks each up once), or as objects where
    there is no default.
    """
    if column.dtype.kind in "fiu" and spec.kind == "name" and column.isna().any():
        column = column.astype(object)  # a name column with blanks: they take the default
    if column.dtype.kind in "fiu":
        values = column.to_numpy(dtype=float)
        if required or (spec.default is not None and spec.kind != "name"):
            blank = np.isnan(values)
            if blank.any():
                if required:
                    raise _missing(spec, column, blank)
                return np.where(blank, spec.default, values), True
        return values, False
    try:
        codes, uniques = _codes(column)
    except TypeError:  # a list or a dict in a cell, Decimal('sNaN'): unhashable, no value
        row = next(i for i, v in enumerate(column) if not _hashable(v))
        blank = np.array([is_blank(v) for v in column.iloc[:row]], dtype=bool)
        if required and blank.any():  # a required input's blank before it fails first
            raise _missing(spec, column, blank) from None
        raise InvalidInputError(spec.name, column.iloc[row], spec.accepts, row) from None
    blanks = [is_blank(u) for u in uniques]
    if required and any(blanks):
        raise _missing(spec, column, np.isin(codes, np.flatnonzero(blanks)))
    fill = np.nan if spec.default is None else spec.default
    cleaned = [fill if b else _as_float(u) for u, b in zip(uniques, blanks, strict=True)]
    if spec.default is None:  # NaN is not a category: keep the plain object array
        return _objects([*cleaned, fill])[codes], any(blanks)
    # Names stay codes into their distinct values, so the catalogue looks each up once
    # without hashing the rows again; spellings that clean to the same value merge here.
    merged, distinct = pd.factorize(_objects(cleaned))
    if len(distinct) < len(cleaned):
        codes = merged[codes]
    names = pd.Categorical.from_codes(codes, pd.Index(distinct, dtype=object), validate=False)
    return names, any(blanks)


def _objects(values: list) -> np.ndarray:
    """A 1-D object array of ``values`` as they are: numpy's constructor would make cells
    that are tuples of one length into a second dimension."""
    array = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        array[i] = value
    return array


def _as_float(value: object) -> object:
    """A number of another type in a name column (a Decimal, a Fraction, a numpy number: a
    GPU's FLOP/s) as a float, as the same number alone is; anything else as it is."""
    if type(value) in (str, float) or not isinstance(value, numbers.Real | Decimal):
        return value
    if isinstance(value, bool | int):
        return value
    try:
        number = _float_of(value)
    except OverflowError:  # beyond a float: judged as it is
        return value
    return value if number is None else number


def _hashable(value: object) -> bool:
    """Whether ``value`` hashes (a list does not, nor a signalling NaN, whose type does)."""
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _missing(spec: Input, column: pd.Series, blank: np.ndarray) -> MissingInputError:
    """The error for the first blank cell of a required input's column."""
    row = int(np.argmax(blank))
    return MissingInputError(spec.name, column.iloc[row], spec.accepts, row)


def _codes(column: pd.Series) -> tuple[np.ndarray, object]:
    """Codes into a column's distinct values, blanks (None, NaN) among them."""
    if column.dtype == object:
        # Blanks coded -1 first: a third of the time of coding them as values, for an
        # object column (pandas' text type is the other way round). A column with any is
        # coded again, keeping every value as it was given.
        codes, uniques = pd.factorize(column)
        if not (codes < 0).any():
            return codes, uniques
    return pd.factorize(column, use_na_sentinel=False)


def _guarded(core):
    """``core`` (same parameters and defaults) raising, instead of an ArithmeticError, the
    :class:`OverflowInputError` that names the input to change.

    Python floats raise ZeroDivisionError where numpy gives infinity (a time that overflows
    makes a rate of 0, then a division by it); a try block costs nothing until it catches.
    """
    names = list(inspect.signature(core).parameters)
    arguments = ", ".join(names)
    inputs = ", ".join(f"{n!r}: {n}" for n in names)
    source = (
        f"def {core.__name__}({arguments}):\n"
        f"    try:\n"
        f"        return _core({arguments})\n"
        f"    except ArithmeticError:\n"
        f"        raise _overflow({core.__name__!r}, _nan, {{{inputs}}}) from None\n"
    )
    namespace = {"_core": core, "_overflow": overflow, "_nan": math.nan}
    exec(compile(source, f"<guarded {core.__name__}>", "exec"), namespace)
    guarded = namespace[core.__name__]
    guarded.__defaults__ = core.__defaults__
    guarded.__doc__, guarded.__module__, guarded.__wrapped__ = core.__doc__, core.__module__, core
    return guarded
