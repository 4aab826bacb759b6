"""Units: decimal SI constants, parsing of "100M" / "1MB" text and formatting for people.

Inside the package every quantity is in base units (bytes, seconds, bits per second,
FLOP/s, USD); 1 KB = 1,000 B and 1 GB = 10⁹ B throughout.
"""

from __future__ import annotations

import contextvars
import functools
import math
import numbers
import re
from decimal import Decimal

from .errors import _LANGUAGES, AmbiguousInputError, InvalidInputError

__all__ = [
    "BITS_PER_BYTE",
    "BYTES_PER_GB",
    "HOURS_PER_DAY",
    "SECONDS_PER_DAY",
    "UNKNOWN_CULTURE",
    "culture_given",
    "format_quantity",
    "is_culture_name",
    "is_known_culture",
    "parse_quantity",
    "reading_culture",
    "unknown_culture_by_default",
]

SECONDS_PER_DAY = 86_400
HOURS_PER_DAY = 24
BITS_PER_BYTE = 8
BYTES_PER_GB = 1e9

# Each suffix as the power of ten it multiplies by ("%" divides by 100). Applied to the
# exponent of the text, not as a multiplication of floats, so that "0.7%" is 0.007 and
# "128.2%" 1.282, as a spreadsheet reads them (0.7 / 100 is 0.006999999999999999).
_COUNT = {"": 0, "K": 3, "M": 6, "B": 9, "G": 9, "T": 12, "%": -2}
_BYTES = {"B": 0, "KB": 3, "MB": 6, "GB": 9, "TB": 12, "PB": 15}
# Times: seconds, or milliseconds and microseconds as written. Not the count table: there
# "10m" would be ten million seconds, where a person typing it meant 10 ms (or minutes).
_SECONDS = {"": 0, "S": 0, "MS": -3, "US": -6, "\u039cS": -6}  # (µs and μs upper-case to ΜS)
_SUFFIX_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz%\u00b5\u03bc")
_NON_FINITE = frozenset({"inf", "infinity", "nan"})

# Longest text read, after stripping surrounding whitespace. Every float as repr() or Excel
# writes it fits in 24 characters; 100 leaves room for a sign, a suffix and any integer
# below 10**75 written in full with thousands commas (75 digits + 24 commas). A larger
# value written in full (1e308 is 309 digits) must use an exponent: "1e308". Longer text
# is refused before it is read, so hostile text costs no more than the strip.
_MAX_CHARS = 100

# Cultures whose numbers are written with a decimal point and thousands commas (CLDR's
# decimal symbols, retrieved 2026-11-29: https://cldr.unicode.org/ — "Numbers" chart):
# by language, and the few regions whose language elsewhere writes a decimal comma.
# Any other culture Office names may write "1,500" for 1.5 and "1.500" for 1500.
_POINT_LANGUAGES = frozenset({"en", "ja", "zh", "ko", "th", "he", "hi", "ms"})
_POINT_CULTURES = frozenset({"de-ch", "de-li", "it-ch", "es-mx", "es-us"})
_COMMA_CULTURES = frozenset({"en-za", "en-150", "en-de", "en-at", "en-be", "en-nl"})

# The caller's culture when it writes decimal commas, else None (the default: text is
# read as Python and the CLI write numbers).
_COMMA_CULTURE: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "xlplugin_comma_culture", default=None
)
# Where a caller's culture is not known (an Excel function called in-process: xlwings Lite
# and classic xlwings do not hand it on), text that a decimal-comma culture reads
# otherwise is refused as it is in one: the comma culture is this name, which no culture has.
UNKNOWN_CULTURE = ""
# Whether a caller said how it writes numbers (reading_culture): the Excel functions read
# text in UNKNOWN_CULTURE where no one did.
_CULTURE_GIVEN: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "xlplugin_culture_given", default=False
)


# A culture name as BCP 47 writes one ("de-DE", "zh-Hans-CN"); anything else is no
# culture known (and is never repeated in a message).
_CULTURE_NAME = re.compile(r"[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8}){0,4}")


def is_culture_name(text: object) -> bool:
    """Whether ``text`` is a culture name as Office and BCP 47 write them (``"de-DE"``)."""
    return isinstance(text, str) and _CULTURE_NAME.fullmatch(text.strip()) is not None


def is_known_culture(text: object) -> bool:
    """Whether ``text`` is a culture name whose language the C library knows (Python's
    locale table): not "xx", nor a typo such as "ed-DE"."""
    if not is_culture_name(text):
        return False
    return text.strip().replace("_", "-").split("-")[0].lower() in _LANGUAGES


def _writes_decimal_comma(culture: str) -> bool:
    name = culture.replace("_", "-").lower()
    language = name.split("-")[0]
    if name in _COMMA_CULTURES or name.startswith(tuple(c + "-" for c in _COMMA_CULTURES)):
        return True
    return not (language in _POINT_LANGUAGES or name in _POINT_CULTURES)


class reading_culture:  # lower-case: used as the function it was, in a with statement
    """Read text numbers as written by a caller in ``culture`` (as Office names it,
    ``"de-DE"``), within the ``with`` block (a context variable: tasks and
    ``asyncio.to_thread`` calls started inside take it along; a thread pool's workers do
    not, and read text as Python does).

    In a culture that writes a decimal comma, text such as ``"1,500"`` or ``"1.500"``
    could be 1.5 or 1500: :func:`parse_quantity` refuses it and asks for the number
    without a thousands separator. Numbers sent as numbers are not affected; ``None`` or
    text that is not a culture name reads text as Python does; :data:`UNKNOWN_CULTURE`
    (``""``: a caller whose culture may write a decimal comma) refuses what a comma
    culture would.
    """

    __slots__ = ("_comma", "_tokens")

    def __init__(self, culture: str | None):
        comma = culture.strip() if isinstance(culture, str) else None
        if culture == UNKNOWN_CULTURE:
            comma = UNKNOWN_CULTURE
        elif not is_culture_name(comma) or not _writes_decimal_comma(comma):
            comma = None
        self._comma = comma

    # A class, not a generator-based context manager: the Excel functions enter it on
    # every call, and this costs about half as much (0.9 µs against 1.5 µs here).
    def __enter__(self) -> None:
        self._tokens = (_COMMA_CULTURE.set(self._comma), _CULTURE_GIVEN.set(True))

    def __exit__(self, *exc) -> None:
        comma, given = self._tokens
        _CULTURE_GIVEN.reset(given)
        _COMMA_CULTURE.reset(comma)


def culture_given() -> bool:
    """Whether text is read within :func:`reading_culture` (a caller's culture, or Python's
    way, chosen), rather than by default."""
    return _CULTURE_GIVEN.get()


def unknown_culture_by_default(function):
    """``function``, reading text in :data:`UNKNOWN_CULTURE` unless its caller chose a
    culture (:func:`reading_culture`). The Excel functions are called so on every call:
    the context variables are set here directly (0.6 µs a call here, against 0.9 µs for a
    ``with reading_culture(...)`` block)."""

    @functools.wraps(function)
    def call(*args, **kwargs):
        if _CULTURE_GIVEN.get():
            return function(*args, **kwargs)
        comma, given = _COMMA_CULTURE.set(UNKNOWN_CULTURE), _CULTURE_GIVEN.set(True)
        try:
            return function(*args, **kwargs)
        finally:
            _CULTURE_GIVEN.reset(given)
            _COMMA_CULTURE.reset(comma)

    return call


def parse_quantity(text: str, name: str = "value", unit: str = "") -> float:
    """Read a number written with an optional SI suffix.

    Parameters
    ----------
    text : str
        For counts: ``"100M"``, ``"8.1B"``, ``"1.5K"``, ``"2e9"``, ``"1,000"``,
        ``"1_000"``; for sizes (``unit="B"``): ``"10KB"``, ``"1MB"``, ``"16.2GB"``; for
        fractions: ``"90%"``. K, M, B or G, T multiply by 10³, 10⁶, 10⁹, 10¹² (any case).
        A comma only separates thousands (``"1,5"`` is refused: write ``1.5``); an
        underscore only stands between two digits, as in Python. At most 100 characters
        after stripping surrounding whitespace. A finite real number that is not text (an
        int, a float, a numpy number) is returned as a float.
    name : str
        Input name used in the error message.
    unit : str
        ``"B"`` when the quantity is a size in bytes, so that ``B`` means byte
        rather than billion; ``"s"`` when it is a time: ``"50ms"``, ``"0.05s"`` (no count
        suffix: ``"10m"`` is refused, not read as ten million seconds).

    Returns
    -------
    float
        Finite: ``"inf"``, ``"nan"``, ``"1e400"``, ``"1e308M"``, NaN and ``10**400`` are
        refused.

    Raises
    ------
    InvalidInputError
        One line naming ``name``: the text (shortened) and what it accepts; also for a
        value that is neither text nor a real number (None, bytes, a list, True).
    """
    if not isinstance(text, str):
        return _number(text, name, unit)
    s = text.strip()
    if len(s) > _MAX_CHARS:
        raise InvalidInputError(name, text, f"{_accepts(unit)}, in at most {_MAX_CHARS} characters")
    culture = _COMMA_CULTURE.get()
    if culture is not None and _separator_ambiguous(s) and _read(s, unit)[0] is not None:
        raise AmbiguousInputError(name, text, _accepts(unit), culture, _both_readings(s))
    try:  # plain numbers first: any finite value float() reads, _read reads the same
        x = float(s)
        if math.isfinite(x):  # refuses "inf", "nan", "1e400"
            return x
    except ValueError:
        pass
    value, problem = _read(s, unit)
    if value is not None:
        return value
    accepts = _accepts(unit, finite=problem == "finite")
    if problem == "comma":
        accepts += ", with a comma only between groups of three digits as in 12,345,678.5"
        accepts += _point_group_hint(s, unit) or _group_hint(s, unit) or _comma_hint(s, unit)
    elif problem == "underscore":
        accepts += ", with an underscore only between two digits as in 1_000"
    elif problem == "syntax":
        accepts += _point_group_hint(s, unit) or _group_hint(s, unit) or _time_hint(s, unit)
    elif problem == "bits":
        suffix = _scan(s)[1]
        accepts += f" (did you mean {s[: -len(suffix)]}{suffix.upper()}?)"  # B: bytes, b: bits
    raise InvalidInputError(name, text, accepts)


def _number(value: object, name: str, unit: str) -> float:
    """A value that is not text as a float if it is a finite real number, else the one-line
    error: bytes are no text (float() would read them), nor True a quantity."""
    if isinstance(value, numbers.Real | Decimal) and not isinstance(value, bool):
        # (np.bool_ is no Real; a Decimal is no Real either, but a number all the same)
        try:
            x = float(value)
        except OverflowError:  # an int beyond the largest float
            x = math.inf
        except ValueError:  # Decimal('sNaN') cannot be converted
            x = math.nan
        if math.isfinite(x):
            return x
    raise InvalidInputError(name, value, _accepts(unit, finite=True))


# Thousands separators other cultures write (fr-FR a narrow no-break space, typeset tables a
# thin space, de-CH an apostrophe): never a decimal mark, so the number they group is
# suggested, not guessed.
_GROUP_MARKS = " \u00a0\u2009\u202f'\u2019"
_GROUPED = re.compile(rf"[+-]?[1-9]\d{{0,2}}(?:[{_GROUP_MARKS}]\d{{3}}(?!\d))+(?:[.,]\d+)?")


def _group_hint(s: str, unit: str) -> str:
    """The hint ``(did you mean 1500?)`` for "1 500", "1'500" or "1\u202f500 GB", and
    ``(did you mean 1500.5?)`` for "1 500,5" (as fr-FR writes it) or "1'500.5"."""
    grouped = _GROUPED.match(s)
    if not grouped:
        return ""
    number = re.sub(f"[{_GROUP_MARKS}]", "", grouped.group(0)).replace(",", ".")
    guess = number + s[grouped.end() :]
    return f" (did you mean {guess}?)" if _read(guess, unit)[0] is not None else ""


def _time_hint(s: str, unit: str) -> str:
    """``(did you mean 10ms or 600s?)`` for a time written "10m": milliseconds or minutes
    (the count table's mega would be ten million seconds)."""
    number, suffix, problem = _scan(s)
    if unit != "s" or problem or suffix.upper() != "M":
        return ""
    minutes = float(number.replace(",", "").replace("_", "")) * 60
    return f" (did you mean {number}ms or {minutes:g}s?)"


def _separator_ambiguous(s: str) -> bool:
    """Whether stripped text reads as two numbers, one with a decimal comma and points
    between thousands, the other as Python reads it: one comma or one point after one to
    three digits (not starting with 0), then exactly three digits and no other separator:
    "1,500", "1.500", "12.345K"; not "1.5", "0.500", "1.5000", "1,500,000" or "1,500.5"."""
    if s.count(",") + s.count(".") != 1:
        return False
    k = s.find(",") if "," in s else s.find(".")
    head = s[1:k] if s[:1] in ("+", "-") else s[:k]
    tail = s[k + 1 : k + 5]
    return (
        1 <= len(head) <= 3
        and head.isdecimal()
        and head[0] != "0"
        and len(tail[:3]) == 3
        and tail[:3].isdecimal()
        and not tail[3:4].isdecimal()
        and tail[3:4] != "_"
    )


def _both_readings(s: str) -> tuple[str, str]:
    """The two ways to write text that a comma culture and Python read differently, each
    read one way only: ("1500", "1.5") for "1,500" or "1.500" (a fourth decimal keeps
    "12.3450K" apart)."""
    k = s.find(",") if "," in s else s.find(".")
    fraction = s[k + 1 : k + 4]
    short = fraction.rstrip("0")
    decimal = s[:k] + ("." + short if short else "") + s[k + 4 :]
    if short == fraction:
        decimal = s[:k] + "." + fraction + "0" + s[k + 4 :]
    return s[:k] + s[k + 1 :], decimal


def _read(s: str, unit: str) -> tuple[float | None, str]:
    """(value, "") for stripped text that reads as a finite quantity, else (None, problem).

    The problem is "comma", "underscore", "finite", "bits" (a byte suffix written as bits
    are, with a lower-case b: "1Gb", "1b", "1kb") or "syntax".
    """
    number, suffix, problem = _scan(s)
    if problem:
        sign = 1 if s[:1] in ("+", "-") else 0
        return None, "finite" if s[sign:].lower() in _NON_FINITE else problem
    written, suffix = suffix, suffix.upper()
    table = _SECONDS if unit == "s" else _BYTES if unit == "B" and suffix.endswith("B") else _COUNT
    if suffix not in table:
        return None, "syntax"
    # A lower-case b is a bit ("1Gb", "1b", and "1kb": kb is the usual symbol for a
    # kilobit): read as bytes, eight times too much. Refused with the bytes, not guessed.
    if table is _BYTES and written.endswith("b"):
        return None, "bits"
    mantissa, _, exponent = number.replace(",", "").replace("_", "").lower().partition("e")
    try:  # one correctly rounded conversion of the decimal the text writes
        x = float(f"{mantissa}e{int(exponent or 0) + table[suffix]}")
    except ValueError:  # cannot happen for what _scan accepts; refuse rather than leak
        return None, "syntax"
    return (x, "") if math.isfinite(x) else (None, "finite")


def _digits(s: str, i: int) -> int:
    """End of the run of digits at ``i``, with single underscores between digits (Python)."""
    n = len(s)
    if i >= n or not s[i].isdecimal():
        return i
    i += 1
    while i < n:
        if s[i].isdecimal():
            i += 1
        elif s[i] == "_" and i + 1 < n and s[i + 1].isdecimal():
            i += 2
        else:
            break
    return i


def _scan(s: str) -> tuple[str, str, str]:
    """Split stripped text into (number, suffix, "") or say why not: ("", "", problem).

    One pass left to right, each character looked at a bounded number of times, so the
    time is linear in the length: sign, whole part (digits with underscores, or 1-3
    digits then groups of ",ddd"), optional "." and fraction, optional exponent, optional
    whitespace, then letters or "%" as the suffix.
    """
    n = len(s)
    i = start = 1 if s[:1] in ("+", "-") else 0
    i = _digits(s, i)
    if i < n and s[i] == ",":
        head = s[start:i]
        if "_" in head:
            return "", "", "syntax"  # commas and underscores mixed
        if not 1 <= len(head) <= 3 or head[0] == "0":  # "1234,5", ",5", "0,25"
            return "", "", "comma"
        while i < n and s[i] == ",":
            group = s[i + 1 : i + 4]
            if len(group) != 3 or not group.isdecimal():  # "1,5", "12,34", "1,,000"
                return "", "", "comma"
            i += 4
        if i < n and s[i].isdecimal():  # "1,0000"
            return "", "", "comma"
    digits = i > start
    if i < n and s[i] == ".":
        j = _digits(s, i + 1)
        digits = digits or j > i + 1
        i = j
    if not digits:
        return "", "", _problem(s, i)
    if i < n and s[i] in "eE":
        j = i + 1
        if j < n and s[j] in "+-":
            j += 1
        k = _digits(s, j)
        if k > j:  # else the "e" starts the suffix ("1EB"), which is then refused
            i = k
    end = i
    while i < n and s[i].isspace():
        i += 1
    first = i
    while i < n and s[i] in _SUFFIX_CHARS:
        i += 1
    if i < n:
        return "", "", _problem(s, i)
    return s[:end], s[first:], ""


def _problem(s: str, i: int) -> str:
    """Why the scan stopped at ``s[i]``."""
    c = s[i : i + 1]
    return "comma" if c == "," else "underscore" if c == "_" else "syntax"


# Points between groups of three and a decimal comma, as de-DE writes 1.500,5 or 1.500.000
# (a suffix may follow): never a number as written here, so the number it is is suggested.
_POINT_GROUPED = re.compile(r"([+-]?)(\d{1,3}(?:\.\d{3})+)(?:,(\d+))?(?=\D*$)")


def _point_group_hint(s: str, unit: str) -> str:
    """The hint ``(did you mean 1500.5?)`` for "1.500,5", "12.345,67" or "1.500.000"."""
    found = _POINT_GROUPED.match(s)
    if not found or (found.group(3) is None and found.group(2).count(".") < 2):
        return ""
    sign, groups, decimals = found.groups()
    guess = sign + groups.replace(".", "") + (f".{decimals}" if decimals else "")
    guess += s[found.end() :]
    return f" (did you mean {guess}?)" if _read(guess, unit)[0] is not None else ""


def _comma_hint(s: str, unit: str) -> str:
    """The hint ``(did you mean 1.5?)`` when the one comma, read as a point, gives a number."""
    k = s.find(",")
    if s.count(",") != 1 or not (s[k - 1 : k].isdecimal() and s[k + 1 : k + 2].isdecimal()):
        return ""
    guess = s[:k] + "." + s[k + 1 :]
    return f" (did you mean {guess}?)" if _read(guess, unit)[0] is not None else ""


def _accepts(unit: str, finite: bool = False) -> str:
    what = "a finite " if finite else "a "
    if unit == "B":
        return what + "size in bytes such as 1000, 10KB, 1MB, 16.2GB (decimal SI)"
    if unit == "s":
        return what + "time in seconds such as 0.05, 0.05s or 50ms"
    return what + "number such as 100, 1.5K, 100M, 8.1B, 2T or 90%"


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
    if value is None:
        return str(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real | Decimal):
        raise InvalidInputError("value", value, f"a number in {unit}")
    try:  # one kind of number from here (a Fraction, a Decimal, numpy's)
        value = float(value)
    except OverflowError:  # an int of 400 digits
        raise InvalidInputError("value", value, f"a finite number in {unit}") from None
    if not math.isfinite(value):
        return str(value)
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 1:
        raise InvalidInputError("digits", digits, "a whole number >= 1")
    if unit == "USD":
        if abs(value) >= 1e15:  # past any real budget: digits, not a 300-digit line
            return f"USD {value:.{digits}g}"
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
