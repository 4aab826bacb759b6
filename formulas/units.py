"""Units: decimal SI constants, parsing of "100M" / "1MB" text and formatting for people.

Inside the package every quantity is in base units (bytes, seconds, bits per second,
FLOP/s, USD); 1 KB = 1,000 B and 1 GB = 10⁹ B throughout.
"""

from __future__ import annotations

import math
import re

from .errors import InvalidInputError

__all__ = [
    "BITS_PER_BYTE",
    "BYTES_PER_GB",
    "HOURS_PER_DAY",
    "SECONDS_PER_DAY",
    "format_quantity",
    "parse_quantity",
]

SECONDS_PER_DAY = 86_400
HOURS_PER_DAY = 24
BITS_PER_BYTE = 8
BYTES_PER_GB = 1e9

_COUNT = {"": 1.0, "K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9, "T": 1e12}
_BYTES = {"B": 1.0, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "PB": 1e15}
_NUMBER = re.compile(r"^\s*([-+]?(?:\d[\d,_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z%]*)\s*$")


def parse_quantity(text: str, name: str = "value", unit: str = "") -> float:
    """Read a number written with an optional SI suffix.

    Parameters
    ----------
    text : str
        For counts: ``"100M"``, ``"8.1B"``, ``"1.5K"``, ``"2e9"``; for sizes
        (``unit="B"``): ``"10KB"``, ``"1MB"``, ``"16.2GB"``; for fractions: ``"90%"``.
        K, M, B or G, T multiply by 10³, 10⁶, 10⁹, 10¹².
    name : str
        Input name used in the error message.
    unit : str
        ``"B"`` when the quantity is a size in bytes, so that ``B`` means byte
        rather than billion.

    Returns
    -------
    float
    """
    try:
        return float(text)  # plain numbers, including 1e308, inf and nan
    except ValueError:
        pass
    match = _NUMBER.match(str(text))
    if not match:
        raise InvalidInputError(name, text, _accepts(unit))
    number, suffix = match.group(1).replace(",", "").replace("_", ""), match.group(2).upper()
    if suffix == "%":
        return float(number) / 100
    table = _BYTES if unit == "B" and suffix.endswith("B") else _COUNT
    if suffix not in table:
        raise InvalidInputError(name, text, _accepts(unit))
    return float(number) * table[suffix]


def _accepts(unit: str) -> str:
    if unit == "B":
        return "a size in bytes such as 1000, 10KB, 1MB, 16.2GB (decimal SI)"
    return "a number such as 100, 1.5K, 100M, 8.1B, 2T or 90%"


_PREFIXES = ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""))


def format_quantity(value: float, unit: str, digits: int = 4) -> str:
    """Format a base-unit value with a decimal SI prefix for a person to read.

    Parameters
    ----------
    value : float
        Value in base units.
    unit : str
        Unit symbol: ``"B"``, ``"bit/s"``, ``"s"``, ``"USD"`` or any other.
    digits : int
        Significant digits.

    Returns
    -------
    str
        e.g. ``"37.5 PB"``, ``"92.59 Gbit/s"``, ``"5.192 ms"``, ``"USD 1,234,567"``.
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return str(value)
    if unit == "USD":
        return f"USD {value:,.2f}" if abs(value) < 1000 else f"USD {value:,.0f}"
    if unit == "s":
        for scale, prefix in ((1.0, ""), (1e-3, "m"), (1e-6, "µ")):
            if abs(value) >= scale or scale == 1e-6:
                return f"{value / scale:.{digits}g} {prefix}s"
    if unit in ("B", "bit/s", "FLOP/s"):
        for scale, prefix in _PREFIXES:
            if abs(value) >= scale or scale == 1.0:
                return f"{value / scale:.{digits}g} {prefix}{unit}"
    return f"{value:,.{digits}g} {unit}".strip()
