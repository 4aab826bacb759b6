"""Turning inputs into validated numpy arrays, and results back into the caller's type.

A scalar in gives a scalar out; a pandas Series in gives a Series (with its index) out;
anything else array-like gives a numpy array of the broadcast shape.
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

__all__ = ["finite", "give", "given", "is_blank", "number_array", "take", "vectorised"]


def is_blank(value: object) -> bool:
    """True for None, NaN and empty or blank text (an empty Excel cell)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, float) and math.isnan(value)


def _to_float(value: object, spec: Input) -> float:
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


def number_array(name: str, value: object) -> np.ndarray:
    """A validated float array for a numeric input (raises :class:`InvalidInputError`)."""
    spec = INPUT[name]
    raw = value.to_numpy() if isinstance(value, pd.Series) else np.asarray(value)
    if raw.dtype.kind in "fiu":
        array = raw.astype(float, copy=False)
    elif raw.dtype.kind == "b":
        raise InvalidInputError(name, raw.flat[0] if raw.size else raw, spec.accepts)
    else:
        array = np.array([_to_float(v, spec) for v in raw.ravel()], dtype=float)
        array = array.reshape(raw.shape)
    _check(spec, array)
    return array


def _check(spec: Input, array: np.ndarray) -> None:
    # NaN in an optional input means "not given" (an empty cell): the catalogue decides.
    bad = np.isinf(array) if spec.default is None else ~np.isfinite(array)
    if spec.low is not None:
        bad |= array <= spec.low if spec.low_open else array < spec.low
    if spec.high is not None:
        bad |= array >= spec.high if spec.high_open else array > spec.high
    if spec.integer:
        bad |= array != np.floor(array)
    if bad.any():
        index = int(np.argmax(bad.ravel()))
        row = index if array.ndim else None
        raise InvalidInputError(spec.name, array.ravel()[index].item(), spec.accepts, row)


def name_array(value: object) -> np.ndarray:
    """An object array of names (catalogue keys), not yet resolved."""
    raw = value.to_numpy() if isinstance(value, pd.Series) else np.asarray(value, dtype=object)
    return raw.astype(object, copy=False)


def take(**inputs: object) -> dict[str, np.ndarray]:
    """Validated arrays for named inputs (``None`` stays ``None``)."""
    out = {}
    for name, value in inputs.items():
        if value is None:
            out[name] = None
        elif INPUT[name].kind == "name":
            out[name] = name_array(value)
        else:
            out[name] = number_array(name, value)
    return out


def given(value, fallback):
    """``value`` where given (not None, not NaN), else ``fallback``."""
    if value is None:
        return fallback
    return np.where(np.isnan(value), fallback, value)


def finite(name: str, result: np.ndarray) -> np.ndarray:
    """``result``, or an error if it overflowed: infinity or NaN never leak out as numbers."""
    if not np.isfinite(result).all():
        raise EstimateError(f"{name}: the result overflows; the inputs are too large to compute")
    return result


def give(result: np.ndarray, *originals: object) -> object:
    """Return ``result`` in the type the caller passed: scalar, Series or array."""
    result = np.asarray(result)
    for original in originals:
        if isinstance(original, pd.Series):
            if result.shape == original.shape:
                return pd.Series(result, index=original.index)
            return pd.Series(result)
    if result.ndim == 0:
        value = result.item()
        return value
    return result


def vectorised(core):
    """Make a function of validated arrays public: validate, broadcast, return the caller's type.

    The undecorated function stays reachable as ``public.core`` so that
    :func:`formulas.estimate` validates each input once, not once per output.
    """
    signature = inspect.signature(core)
    # A default of ``...`` stands for the vocabulary's default, kept in one place.
    signature = signature.replace(parameters=[
        p.replace(default=INPUT[p.name].default) if p.default is Ellipsis else p
        for p in signature.parameters.values()
    ])

    @functools.wraps(core)
    def public(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        result = core(**take(**bound.arguments))
        return give(finite(core.__name__, result), *bound.arguments.values())

    public.__signature__ = signature
    public.core = core
    return public
