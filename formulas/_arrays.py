"""Turning inputs into validated numbers or arrays, and results back into the caller's type.

A scalar in gives a scalar out; a pandas Series in gives a Series (with its index) out;
anything else array-like gives a numpy array of the broadcast shape. Scalars stay Python
floats on the way through: the same arithmetic serves both, and a single Excel call does
not pay numpy's per-operation overhead.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers

import numpy as np
import pandas as pd

from .errors import EstimateError, InvalidInputError
from .units import parse_quantity
from .vocabulary import INPUT, Input

__all__ = [
    "finite",
    "first",
    "give",
    "given",
    "is_blank",
    "missing",
    "number_array",
    "roundup",
    "take",
    "valid",
    "validated",
    "vectorised",
]


def is_blank(value: object) -> bool:
    """True for None, NaN, pandas' NA and empty or blank text (an empty Excel cell)."""
    if value is None or value is pd.NA:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float) and math.isnan(value)


def _to_float(value: object, name: str) -> float:
    spec = INPUT[name]
    if isinstance(value, bool | np.bool_):
        raise InvalidInputError(spec.name, value, spec.accepts)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, str):
        unit = "B" if spec.unit.startswith("B") else ""
        try:
            return parse_quantity(value, spec.name, unit)
        except InvalidInputError as error:
            raise InvalidInputError(spec.name, value, spec.accepts) from error
    raise InvalidInputError(spec.name, value, spec.accepts)


def number_array(name: str, value: object) -> float | np.ndarray:
    """A validated float (for a scalar) or float array (raises :class:`InvalidInputError`)."""
    kind = type(value)
    if kind is float or kind is int or kind is str:
        x = value if kind is float else float(value) if kind is int else _to_float(value, name)
        low, high = _INSIDE[name]
        if low < x < high:  # the usual case
            return x
        spec = INPUT[name]
        if _bad_scalar(spec, x):
            raise InvalidInputError(name, x, spec.accepts)
        return x
    spec = INPUT[name]
    if isinstance(value, float | int | str) and not isinstance(value, bool):
        number = _to_float(value, name)
        if _bad_scalar(spec, number):
            raise InvalidInputError(name, number, spec.accepts)
        return number
    raw = value.to_numpy() if isinstance(value, pd.Series) else np.asarray(value)
    if raw.dtype.kind in "fiu":
        array = raw.astype(float, copy=False)
    elif raw.dtype.kind == "b":
        raise InvalidInputError(name, raw.flat[0].item() if raw.size else raw, spec.accepts)
    else:
        array = np.array([_to_float(v, name) for v in raw.ravel()], dtype=float)
        array = array.reshape(raw.shape)
    _check(spec, array)
    return array.item() if array.ndim == 0 else array


# For each input, an open interval inside what it accepts (empty for whole numbers and
# names): a float strictly within is valid with no further check. NaN, failing every
# comparison, never is.
_INSIDE = {
    q.name: (
        (-math.inf if q.low is None else q.low, math.inf if q.high is None else q.high)
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
    if spec.low is not None and (x <= spec.low if spec.low_open else x < spec.low):
        return True
    if spec.high is not None and (x >= spec.high if spec.high_open else x > spec.high):
        return True
    return spec.integer and x != math.floor(x)


def _bad(spec: Input, x: np.ndarray) -> np.ndarray:
    """Where the array ``x`` is outside what ``spec`` accepts."""
    # NaN in an optional input means "not given" (an empty cell): the catalogue decides.
    bad = np.isinf(x) if spec.default is None else ~np.isfinite(x)
    if spec.low is not None:
        bad |= x <= spec.low if spec.low_open else x < spec.low
    if spec.high is not None:
        bad |= x >= spec.high if spec.high_open else x > spec.high
    if spec.integer:
        bad |= x != np.floor(x)
    return bad


def _check(spec: Input, array: np.ndarray) -> None:
    bad = _bad(spec, array)
    if bad.any():
        index = int(np.argmax(bad.ravel()))
        raise InvalidInputError(spec.name, array.ravel()[index].item(), spec.accepts, index)


# A tuple, not ``str | float | ...``: a union in isinstance is built anew on each call.
_NAME_SCALARS = (str, float, int, pd.Categorical)


def name_array(value: object) -> object:
    """A name (scalar) or an object array of names, not yet resolved."""
    if isinstance(value, _NAME_SCALARS) or value is None:
        return value
    raw = value.to_numpy() if isinstance(value, pd.Series) else np.asarray(value, dtype=object)
    raw = raw.astype(object, copy=False)
    return raw.item() if raw.ndim == 0 else raw


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
    return name_array(value) if name in _NAMES else number_array(name, value)


def validated(inputs: dict, defaults: dict | None = None) -> dict[str, object]:
    """:func:`take` for a dict of inputs, added to a copy of ``defaults`` (already valid)."""
    out, arrays = dict(defaults) if defaults else {}, 0
    for name, value in inputs.items():
        if value is None:
            checked = None
        elif name in _NAMES:
            checked = name_array(value)
        elif value is _DEFAULT_OBJECTS[name]:  # the vocabulary's own default, as a float
            checked = _DEFAULTS[name]
        else:
            checked = number_array(name, value)
        out[name] = checked
        arrays += isinstance(checked, np.ndarray)
    if arrays > 1:  # one array or none: nothing to broadcast against
        _same_shape(out)
    return out


_NAMES = frozenset(q.name for q in INPUT.values() if q.kind == "name")
_DEFAULT_OBJECTS = {q.name: q.default for q in INPUT.values()}
_DEFAULTS = {
    q.name: number_array(q.name, q.default)
    for q in INPUT.values()
    if q.kind != "name" and q.default is not None
}


def _same_shape(arrays: dict[str, object]) -> None:
    shapes = {n: a.shape for n, a in arrays.items() if isinstance(a, np.ndarray)}
    try:
        np.broadcast_shapes(*shapes.values())
    except ValueError:
        shown = ", ".join(f"{n} {'x'.join(map(str, s))}" for n, s in shapes.items())
        raise InvalidInputError(
            "shape",
            shown,
            "arrays of one shape, or rows and columns that broadcast against each other",
        ) from None


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
    if type(x) is float and -1e300 < x < 1e300:  # one cell: no array operations
        up = math.ceil(x)
        near = 1e-13 * (x if x > 0 else -x)
        if near < up - x < 1 - near:  # not within 1e-13 of |x| of a whole number
            return float(up)
        if x == 0:
            return 0.0
        digits = 14 - math.floor(math.log10(abs(x)))
        if 0 <= digits <= 22:  # 10**digits is exact, as in numpy's array power
            scale = 10.0**digits
            return float(math.ceil(round(x * scale) / scale))
    if isinstance(x, np.ndarray) and x.dtype == np.float64 and x.ndim:
        result = np.ceil(x)
        with np.errstate(all="ignore"):
            near = ~(np.abs(x - np.round(x)) > 1e-13 * np.abs(x))
        if near.any():
            result[near] = _roundup_15_digits(x[near])
        return result
    result = _roundup_15_digits(x)
    return float(result) if np.ndim(result) == 0 else result


def _roundup_15_digits(x):
    with np.errstate(all="ignore"):
        scale = 10.0 ** (14 - np.floor(np.log10(np.abs(x))))
        approx = np.where(np.isfinite(scale), np.round(x * scale) / scale, x)
    return np.ceil(approx)


def first(mask, *values):
    """Position of the first true element of ``mask`` and each value's element there."""
    if np.ndim(mask) == 0:
        return None, [v.item() if isinstance(v, np.ndarray) else v for v in values]
    index = int(np.argmax(np.ravel(mask)))
    picked = [
        np.broadcast_to(np.asarray(v, dtype=object), np.shape(mask)).ravel()[index] for v in values
    ]
    return index, picked


def finite(name: str, result):
    """``result``, or an error if it overflowed: infinity or NaN never leak out as numbers."""
    ok = math.isfinite(result) if isinstance(result, float) else np.isfinite(result).all()
    if not ok:
        raise EstimateError(f"{name}: the result overflows; the inputs are too large to compute")
    return result


def give(result, *originals: object) -> object:
    """Return ``result`` in the type the caller passed: scalar, Series or array."""
    if not isinstance(result, np.ndarray):
        return result.item() if isinstance(result, np.generic) else result
    for original in originals:
        if isinstance(original, pd.Series):
            if result.shape == original.shape:
                return pd.Series(result, index=original.index)
            return pd.Series(result)
    return result.item() if result.ndim == 0 else result


def vectorised(core):
    """Make a function of validated arrays public: validate, broadcast, return the caller's type.

    The undecorated function stays reachable as ``public.core`` so that
    :func:`formulas.estimate` validates each input once, not once per output; with its
    defaults validated, ``core(**validated(given))`` is the call without the argument
    binding, for callers whose names are known.
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
            signature.bind(*args, **kwargs)  # raises the usual TypeError
        given = kwargs  # this call's own dict
        if args:
            given = dict(zip(names, args, strict=False))
            if not kwargs.keys().isdisjoint(given):
                signature.bind(*args, **kwargs)
            given.update(kwargs)
        if not given.keys() >= required:
            signature.bind(*args, **kwargs)
        return given

    @functools.wraps(core)
    def public(*args, **kwargs):
        given = passed(args, kwargs)
        result = core(**validated(given))
        return give(finite(core.__name__, result), *given.values())

    public.__signature__ = signature
    public.core = core
    return public
