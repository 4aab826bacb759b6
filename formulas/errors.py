"""The exceptions raised for bad input.

Every error is a :class:`ValueError`, so callers can catch the builtin, and an
:class:`EstimateError`, so they can catch ours. Each message is one line that names
the input, the value it got and what it accepts.
"""

from __future__ import annotations

import locale
import math
import re

import numpy as np

__all__ = [
    "AmbiguousInputError",
    "DoesNotFitError",
    "EstimateError",
    "InvalidInputError",
    "LimitError",
    "MissingInputError",
    "OverflowInputError",
    "Position",
    "UnknownNameError",
]


_SHOWN = 60  # characters of a value a one-line message shows


def _clip(text: str) -> str:
    """``text`` cut to :data:`_SHOWN` characters, "..." marking the cut."""
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _show(value: object) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return repr(int(value))
    if type(value) is int and value.bit_length() > 190:  # 10**400: its size, not 400 digits
        exponent = math.log10(abs(value))  # repr() of 4,301 digits or more raises
        whole = math.floor(exponent)
        return f"{'-' if value < 0 else ''}{10 ** (exponent - whole):.6g}e+{whole}"
    text = repr(value)
    if "\n" in text:  # one line: an array's repr spans several (text's escapes its own)
        text = " ".join(text.split())
    return _clip(text)


class Position(int):
    """A zero-based position in an array, flattened, that knows the array's shape: a message
    then names a 2-D array's (an Excel range's) row and column, not the flat index."""

    shape: tuple[int, ...] = ()

    def __new__(cls, index: int, shape: tuple[int, ...] = ()):
        position = super().__new__(cls, index)
        position.shape = tuple(shape)
        return position


def _where(row: int | None) -> str:
    """ " (row 3)", " (column 3)" or " (row 2, column 3)" for a zero-based position."""
    if row is None:
        return ""
    shape = getattr(row, "shape", ())
    if len(shape) > 2:  # no rows and columns: each index, from 1
        index = [int(i) + 1 for i in np.unravel_index(int(row), shape)]
        return f" (position {', '.join(map(str, index))})"
    if len(shape) != 2 or shape[1] == 1:  # one row per position (a column: its rows)
        return f" (row {row + 1})"
    r, c = divmod(int(row), shape[1])
    return f" (column {c + 1})" if shape[0] == 1 else f" (row {r + 1}, column {c + 1})"


class EstimateError(ValueError):
    """Base class of every error raised for bad input."""


class InvalidInputError(EstimateError):
    """An input has a value outside what it accepts.

    Parameters
    ----------
    name : str
        Vocabulary name of the input.
    value : object
        The offending value (the first one, for an array).
    accepts : str
        What the input accepts, in words.
    row : int, optional
        Zero-based position of the value in an array input.
    relative : bool, default False
        Whether what it accepts depends on other inputs (``kv_heads`` at most
        ``attention_heads``; weights that fit the GPU): a single value may then be right
        for some cells of a range and wrong for others.
    """

    relative = False

    def __init__(
        self,
        name: str,
        value: object,
        accepts: str,
        row: int | None = None,
        *,
        relative: bool | None = None,
    ):
        self.name, self.value, self.accepts, self.row = name, value, accepts, row
        if relative is not None:
            self.relative = relative
        super().__init__(str(self))

    def __str__(self) -> str:
        where = _where(self.row)
        if self.value is None:  # not "got None" (Python's word): an empty cell, a column
            return f"{self.name}: missing{where}; accepts {self.accepts}"  # left out
        return f"{self.name}: got {_show(self.value)}{where}; accepts {self.accepts}"


class UnknownNameError(InvalidInputError):
    """A name (GPU, precision, model, column) that the catalogue does not hold."""

    def __init__(self, name: str, value: object, choices, row: int | None = None):
        import difflib

        self.choices = list(choices)
        # Close spellings of text only: True is no misspelt "Trainium2", nor 1 of "FP16".
        # Compared in lower case: "DAU" is close to dau, "ınt8" to INT8.
        keys = {str(c).lower(): c for c in reversed(self.choices)}  # the first of equals
        close = (
            [keys[k] for k in difflib.get_close_matches(value.lower(), list(keys), 3, 0.4)]
            if isinstance(value, str)
            else []
        )
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        shown = ", ".join(self.choices[:12]) + (", ..." if len(self.choices) > 12 else "")
        super().__init__(name, value, f"one of {shown}{hint}", row)


# A culture as Office names one: a language, then a script and a region where given, in
# that case ("de-DE", "sr-Latn-RS", "es-419"); the language one the C library knows (from
# Python's table of locale names), so that a made-up "xx-YY" is not repeated back either.
_OFFICE_CULTURE = re.compile(r"([a-z]{2,3})(?:-[A-Z][a-z]{3})?(?:-(?:[A-Z]{2}|[0-9]{3}))?")
_LANGUAGES = frozenset(name.partition("_")[0].partition(".")[0] for name in locale.locale_alias)


def _office_culture(culture: str) -> bool:
    found = _OFFICE_CULTURE.fullmatch(culture)
    return found is not None and found.group(1) in _LANGUAGES


class AmbiguousInputError(InvalidInputError):
    """Text that reads as two numbers where it was written (see
    :func:`~xlplugin.formulas.units.reading_culture`): in de-DE, "1,500" is 1.5 and
    "1.500" is 1500. ``readings`` holds both, as text each reads one way only.
    """

    def __init__(
        self,
        name: str,
        value: object,
        accepts: str,
        culture: str,
        readings: tuple[str, str],
        row: int | None = None,
    ):
        self.culture, self.readings = culture, readings
        # A name the caller made up ("visit-example-com") is not repeated back to it.
        where = culture if _office_culture(culture) else "the caller's culture"
        # (no culture: an Excel function called in-process, where Excel's is not handed on)
        where = f"in {where}, " if culture else "in a culture not known here, "
        self.note = (  # the message's last parenthesis, without its parentheses
            f"{where}{str(value).strip()!r} could be {readings[0]} or {readings[1]}: "
            "write one of those"
        )
        super().__init__(name, value, f"{accepts} ({self.note})", row)


class MissingInputError(InvalidInputError):
    """A required input given blank (None, NaN, empty text: an empty cell)."""

    def __str__(self) -> str:
        where = _where(self.row)
        return f"{self.name}: missing (required){where}; accepts {self.accepts}"


class DoesNotFitError(InvalidInputError):
    """The model's weights need more GPUs than one replica may have (on this GPU, at this
    precision: :attr:`relative`)."""

    relative = True


class OverflowInputError(InvalidInputError):
    """An input inside its range whose value makes a result overflow (too large for a float:
    infinity, or a division by a number that underflowed to zero).

    The message names the input to change (the most extreme of those the result depends
    on, among the ones that set back to their default let it be computed), the quantity
    that overflows and which way to move the input.
    """

    def __init__(
        self,
        name: str,
        value: object,
        accepts: str,
        quantity: str,
        smaller: bool,
        row: int | None = None,
    ):
        self.quantity, self.smaller = quantity, smaller
        way = "smaller" if smaller else "larger"
        super().__init__(
            name,
            value,
            f"{accepts}, but this value makes {quantity} overflow (too large to compute): "
            f"try a {way} value",
            row,
        )


class LimitError(EstimateError):
    """An input is larger than the stated limit (rows, cells, bytes)."""

    def __init__(self, name: str, size: int, limit: int, unit: str):
        self.name, self.size, self.limit, self.unit = name, size, limit, unit
        super().__init__(f"{name}: got {size:,} {unit}; accepts at most {limit:,} {unit}")
