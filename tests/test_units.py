import math
import time
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xlplugin.formulas import (
    AmbiguousInputError,
    InvalidInputError,
    format_quantity,
    parse_quantity,
    units,
)


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("100M", "", 1e8),
        ("8.1B", "", 8.1e9),
        ("8.1G", "", 8.1e9),
        ("1.5K", "", 1500),
        ("2T", "", 2e12),
        ("1e3", "", 1000),
        ("1,000", "", 1000),
        ("90%", "", 0.9),
        (" 42 ", "", 42),
        ("10KB", "B", 1e4),
        ("1MB", "B", 1e6),
        ("16.2GB", "B", 16.2e9),
        ("1.5TB", "B", 1.5e12),
        ("2PB", "B", 2e15),
        ("500B", "B", 500),
        ("1M", "B", 1e6),
        ("1mB", "B", 1e6),  # (the SI milli- prefix, read as mega in a size: no millibyte)
    ],
)
def test_parse_quantity(text, unit, expected):
    assert parse_quantity(text, "x", unit) == pytest.approx(expected)


# Every form the parser read before it was rewritten, with the value it gave: the number
# as float() reads it, times the suffix's scale (or / 100 for %), so equal to the last bit.
@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("100M", "", float("100") * 1e6),
        ("8.1B", "", float("8.1") * 1e9),
        ("8.1b", "", float("8.1") * 1e9),
        ("16.2GB", "B", float("16.2") * 1e9),
        ("16.2gB", "B", float("16.2") * 1e9),  # ("16.2gb" is refused: b is bits)
        ("1.5K", "", float("1.5") * 1e3),
        ("1.5k", "B", float("1.5") * 1e3),
        ("2T", "B", 2e12),
        ("1B", "", 1e9),
        ("1B", "B", 1.0),
        ("90%", "", float("90") / 100),
        ("90 %", "", float("90") / 100),
        ("-90%", "", float("-90") / 100),
        ("0.5%", "", float("0.5") / 100),
        ("100 M", "", 1e8),
        ("1.5\tKB", "B", 1.5e3),
        ("1,000", "", 1000.0),
        ("-1,000", "", -1000.0),
        ("+1,000", "", 1000.0),
        ("999,999", "", 999999.0),
        ("12,345,678.5", "", 12345678.5),
        ("1,000.", "", 1000.0),
        ("1,000.5K", "", float("1000.5") * 1e3),
        ("1,000%", "", 10.0),
        ("1,000e3", "", 1e6),
        ("1_000", "", 1000.0),
        ("1_0", "", 10.0),
        ("1_000.000_1", "", float("1000.0001")),
        ("1e1_0", "", 1e10),
        ("1_000M", "", 1e9),
        ("2e9", "", 2e9),
        ("2E9", "", 2e9),
        ("1e-3", "", 1e-3),
        ("1e+3K", "", 1e6),
        ("1e3K", "", 1e6),
        ("1E3B", "B", 1e3),
        ("1.", "", 1.0),
        ("1.e3", "", 1e3),
        (".5", "", 0.5),
        (".5M", "", 5e5),
        ("-.5", "", -0.5),
        ("+5", "", 5.0),
        ("-0", "", -0.0),
        ("007", "", 7.0),
        ("1e-400", "", 0.0),
        ("1.7976931348623157e308", "", 1.7976931348623157e308),
        ("5e-324", "", 5e-324),
        ("\u00a042\u00a0", "", 42.0),
        ("\n 42 \t", "", 42.0),
        ("１００M", "", 1e8),  # full-width digits, as float() reads them
        ("٣K", "", 3e3),  # Arabic-Indic digit
    ],
)
def test_parse_quantity_reads_as_before(text, unit, expected):
    got = parse_quantity(text, "x", unit)
    assert got == expected and math.copysign(1, got) == math.copysign(1, expected)


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("10XB", "B"),
        ("abc", ""),
        ("", ""),
        ("1MB", ""),
        ("1..2", ""),
        ("M", ""),
        ("   ", ""),
        ("\t", "B"),
        ("%", ""),
        (".", ""),
        ("-", ""),
        ("+-1", ""),
        ("- 1", ""),
        ("1 K B", "B"),
        ("1e", ""),
        ("1EB", "B"),
        ("0x10", ""),
        ("1.5.3", ""),
        ("1,000_000", ""),
        ("K1", ""),
        ("1M%", ""),
    ],
)
def test_parse_quantity_rejects(text, unit):
    with pytest.raises(InvalidInputError, match=r"^dau: got .*; accepts "):
        parse_quantity(text, "dau", unit)


def test_blank_text_is_refused_as_before():
    with pytest.raises(InvalidInputError) as error:
        parse_quantity("  ", "dau")
    assert str(error.value) == (
        "dau: got '  '; accepts a number such as 100, 1.5K, 100M, 8.1B, 2T or 90%"
    )


COMMA = "a comma only between groups of three digits"


@pytest.mark.parametrize(
    ("text", "unit", "guess", "rule"),
    [
        ("1,5", "", "1.5", COMMA),
        ("1,50", "", "1.50", COMMA),
        ("1,5M", "", "1.5M", COMMA),
        ("12,34", "", "12.34", COMMA),
        ("-1,5", "", "-1.5", COMMA),
        ("0,25", "", "0.25", COMMA),
        ("0,250", "", "0.250", COMMA),  # "0," never starts a thousands group
        ("1,0000", "", "1.0000", COMMA),
        ("1234,567", "", "1234.567", COMMA),
        ("1,5%", "", "1.5%", COMMA),
        ("1,5KB", "B", "1.5KB", COMMA),
        (" 1,5 GB ", "B", "1.5 GB", COMMA),
        # Other thousands separators: never a decimal mark, so the number they group.
        ("1 500", "", "1500", None),  # a space: fr-FR, sv-SE, ...
        ("1\u00a0500", "", "1500", None),  # a no-break space, as Excel writes it in fr-FR
        ("1\u202f500 000", "", "1500000", None),  # a narrow no-break space
        ("1\u2009500", "", "1500", None),  # a thin space, as typeset tables write it
        ("1'500", "", "1500", None),  # de-CH
        ("-1\u2019500.25", "", "-1500.25", None),
        ("1 500K", "", "1500K", None),
        ("1 500 GB", "B", "1500 GB", None),
    ],
)
def test_a_separator_python_does_not_read_is_refused_with_a_suggestion(text, unit, guess, rule):
    with pytest.raises(InvalidInputError) as error:
        parse_quantity(text, "dau", unit)
    message = str(error.value)
    assert message.startswith(f"dau: got {text!r}; accepts ")
    assert message.endswith(f"(did you mean {guess}?)")
    assert rule is None or rule in message
    assert "\n" not in message
    assert math.isfinite(parse_quantity(guess, "dau", unit))  # the suggestion reads


@pytest.mark.parametrize("text", ["1 5000", "12 34", "0 500", "1 500 0000", "1 500x", "1 50"])
def test_a_space_not_between_groups_of_three_gets_no_suggestion(text):
    with pytest.raises(InvalidInputError) as error:
        parse_quantity(text, "dau")
    assert "did you mean" not in str(error.value)


@pytest.mark.parametrize("text", ["1,000,5", "1,,000", ",5", "1,", "1,5,3", "1,5X"])
def test_misplaced_comma_is_refused_without_a_wrong_suggestion(text):
    with pytest.raises(InvalidInputError, match=r"^dau: got .*; accepts ") as error:
        parse_quantity(text, "dau")
    assert "did you mean" not in str(error.value)


@pytest.mark.parametrize(
    ("text", "unit", "readings"),
    [
        ("1,500", "", ("1500", "1.5")),
        ("1.500", "", ("1500", "1.5")),
        ("-1.500", "", ("-1500", "-1.5")),
        ("12,345K", "", ("12345K", "12.3450K")),  # a fourth decimal keeps it apart
        ("1.000", "", ("1000", "1")),
        ("2.000 GB", "B", ("2000 GB", "2 GB")),
        ("90.000%", "", ("90000%", "90%")),
    ],
)
def test_text_a_decimal_comma_culture_reads_otherwise_is_refused(text, unit, readings):
    # Python reads "1,500" as 1500 and "1.500" as 1.5; a de-DE user who typed either
    # meant the other. Both readings are offered, and each is unambiguous there.
    with units.reading_culture("de-DE"):
        with pytest.raises(InvalidInputError) as error:
            parse_quantity(text, "dau", unit)
        message = str(error.value)
        assert message.endswith(
            f"(in de-DE, {text!r} could be {readings[0]} or {readings[1]}: write one of those)"
        )
        assert "\n" not in message
        assert isinstance(error.value, AmbiguousInputError)  # a ValueError too
        assert (error.value.culture, error.value.readings) == ("de-DE", readings)
        for reading in readings:  # each suggestion reads there
            assert math.isfinite(parse_quantity(reading, "dau", unit))
    assert parse_quantity(text, "dau", unit) in (  # outside the block, read as before
        parse_quantity(readings[0], "dau", unit),
        parse_quantity(readings[1], "dau", unit),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.5", 1.5),
        ("0.500", 0.5),
        ("1.5000", 1.5),
        ("1500", 1500),
        ("1,500,000", 1.5e6),
        ("1,500.5", 1500.5),
        ("1e3", 1000),
        ("1234.567", 1234.567),
    ],
)
def test_text_one_reading_in_every_culture_is_read_there(text, expected):
    for culture in ("de-DE", "fr-FR", "pt-BR", "en-ZA"):
        with units.reading_culture(culture):
            assert parse_quantity(text, "dau") == expected


@pytest.mark.parametrize("culture", ["en-US", "en-GB", "ja-JP", "zh-CN", "de-CH", "es-MX", None])
def test_decimal_point_cultures_read_thousands_commas(culture):
    with units.reading_culture(culture):
        assert parse_quantity("1,500", "dau") == 1500
        assert parse_quantity("1.500", "dau") == 1.5


def test_an_unknown_culture_refuses_what_a_comma_culture_reads_otherwise():
    """Where the caller's culture is not known (an Excel function called in-process), text
    that reads as two numbers is refused as in de-DE; text that reads one way is read."""
    assert not units.culture_given()
    with units.reading_culture(units.UNKNOWN_CULTURE):
        assert units.culture_given()
        for text, readings in (("1,500M", "1500M or 1.5M"), ("1.500", "1500 or 1.5")):
            with pytest.raises(AmbiguousInputError) as error:
                parse_quantity(text, "dau")
            assert str(error.value).endswith(
                f"(in a culture not known here, {text!r} could be {readings}: write one of those)"
            )
        assert parse_quantity("1,500,000", "dau") == parse_quantity("1.5M", "dau") == 1.5e6
    assert not units.culture_given()


@pytest.mark.parametrize("culture", ["de-DE\nX", "x" * 1000, "de DE", "'de'", "1-2", "-"])
def test_a_culture_that_is_not_a_culture_name_is_no_culture(culture):
    # Never repeated in a message (a line break, a megabyte): text reads as anywhere.
    with units.reading_culture(culture):
        assert parse_quantity("1,500", "dau") == 1500


@pytest.mark.parametrize(
    ("culture", "shown"),
    [
        ("de-DE", "de-DE"),
        ("sr-Latn-RS", "sr-Latn-RS"),
        ("es-419", "es-419"),
        ("visit-example-com", "the caller's culture"),
        ("de-EVIL", "the caller's culture"),
        ("call-EVIL-helpdesk", "the caller's culture"),
        ("xx-YY", "the caller's culture"),  # Office's shape, no language
        ("de_DE", "the caller's culture"),  # POSIX's shape, not Office's
    ],
)
def test_a_culture_is_named_in_a_message_only_as_office_names_one(culture, shown):
    # Any culture-like name is read strictly (a refusal at worst), but one the caller
    # made up is not repeated back in the message it reads.
    with units.reading_culture(culture), pytest.raises(AmbiguousInputError) as error:
        parse_quantity("1,500", "dau")
    assert f"(in {shown}, '1,500' could be 1500 or 1.5" in str(error.value)
    assert error.value.culture == culture


POINT_CULTURES = [
    "en-US",
    "en-GB",
    "en-IN",
    "ja-JP",
    "zh-CN",
    "zh-Hant-TW",
    "ko-KR",
    "th-TH",
    "he-IL",
    "hi-IN",
    "ms-MY",
    "de-CH",
    "de-LI",
    "it-CH",
    "es-MX",
    "es-US",
]
COMMA_CULTURES = [
    "en-ZA",
    "en-150",
    "en-DE",
    "en-AT",
    "en-BE",
    "en-NL",
    "de-DE",
    "de-AT",
    "fr-FR",
    "fr-CA",
    "it-IT",
    "es-ES",
    "pt-BR",
    "nl-NL",
    "ru-RU",
    "pl-PL",
    "sv-SE",
    "tr-TR",
    "xx-YY",
]


@pytest.mark.parametrize(
    ("culture", "comma"), [(c, False) for c in POINT_CULTURES] + [(c, True) for c in COMMA_CULTURES]
)
def test_the_cultures_the_readme_names(culture, comma):
    # README: these write a decimal point; any other is taken to write a decimal comma.
    with units.reading_culture(culture):
        if comma:
            with pytest.raises(AmbiguousInputError):
                parse_quantity("1,500", "dau")
        else:
            assert parse_quantity("1,500", "dau") == 1500


def test_reading_culture_is_restored_after_the_block():
    with units.reading_culture("de-DE"):
        with units.reading_culture("en-US"):
            assert parse_quantity("1,500", "dau") == 1500
        with pytest.raises(InvalidInputError):
            parse_quantity("1,500", "dau")
    assert parse_quantity("1,500", "dau") == 1500


@pytest.mark.parametrize(
    "text", ["1__000", "_1000", "1000_", "1_.5", "1._5", "1_e3", "1e_3", "1_%", "-_1"]
)
def test_underscore_only_between_digits(text):
    with pytest.raises(InvalidInputError, match=r"an underscore only between two digits"):
        parse_quantity(text, "dau")


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("inf", ""),
        ("-inf", ""),
        ("+inf", ""),
        ("INF", ""),
        ("nan", ""),
        ("NaN", ""),
        ("-nan", ""),
        ("Infinity", ""),
        ("-Infinity", ""),
        ("infinity", "B"),
        (" inf ", ""),
        ("1e400", ""),
        ("-1e400", ""),
        ("1e309", "B"),
        ("9" * 90 + "e300", ""),
    ],
)
def test_non_finite_text_is_refused(text, unit):
    with pytest.raises(InvalidInputError, match=r"^dau: got .*; accepts a finite "):
        parse_quantity(text, "dau", unit)


@pytest.mark.parametrize(
    ("text", "unit"),
    [("1e308M", ""), ("-1e308M", ""), ("1e306T", ""), ("1e308KB", "B"), ("2e303PB", "B")],
)
def test_overflow_after_the_suffix_is_refused(text, unit):
    with pytest.raises(InvalidInputError, match=r"^dau: got .*; accepts a finite "):
        parse_quantity(text, "dau", unit)


def test_largest_finite_values_with_a_suffix_still_read():
    assert parse_quantity("1e302M", "dau") == 1e302 * 1e6
    assert parse_quantity("1e293PB", "dau", "B") == 1e293 * 1e15


def test_finite_numbers_pass_through_as_floats():
    for number in (5, 2.5, np.float64(2.5), np.int64(7), -3, 0):
        value = parse_quantity(number, "dau")
        assert type(value) is float and value == float(number)


NOT_QUANTITIES = [
    (10**400, "1e+400"),  # an OverflowError
    (float("inf"), "inf"),  # returned as it was
    (-math.inf, "-inf"),
    (float("nan"), "nan"),
    (None, "None"),  # a TypeError
    (pd.NA, "<NA>"),
    ([1], "[1]"),
    (np.array([1.0]), "array([1.])"),
    (b"1e400", "b'1e400'"),  # read as inf
    (b"12", "b'12'"),  # bytes are no text
    (True, "True"),  # no quantity, as for every input
    (1j, "1j"),
]


@pytest.mark.parametrize(("value", "shown"), NOT_QUANTITIES, ids=[s for _, s in NOT_QUANTITIES])
def test_a_value_that_is_not_text_or_a_finite_number_is_refused_by_name(value, shown):
    with pytest.raises(InvalidInputError) as error:
        parse_quantity(value, "dau")
    got = "missing" if value is None else f"got {shown}"  # not Python's word for nothing
    assert str(error.value) == (
        f"dau: {got}; accepts a finite number such as 100, 1.5K, 100M, 8.1B, 2T or 90%"
    )
    with pytest.raises(InvalidInputError, match=r"^x: missing; accepts a finite size in bytes"):
        parse_quantity(None, "x", "B")
    with pytest.raises(InvalidInputError, match=r"^value: got object\(\); accepts a finite"):
        parse_quantity(_Odd())


class _Odd:
    def __repr__(self) -> str:
        return "object()"


def test_length_limit_counts_after_stripping():
    limit = units._MAX_CHARS
    assert limit == 100
    assert parse_quantity("1" * limit, "dau") == float("1" * limit)
    assert parse_quantity("  " + "1" * limit + "\n", "dau") == float("1" * limit)
    assert parse_quantity("-9" + ",999" * 24 + "K", "dau") == -float("9" + "999" * 24) * 1e3
    with pytest.raises(InvalidInputError, match=r"in at most 100 characters$"):
        parse_quantity("1" * (limit + 1), "dau")


@pytest.mark.parametrize(
    "text",
    [
        "1" * 1_000_000,
        "1" * 10_000 + "!",
        "1" * 20_000 + "!",
        "1," * 50_000,
        "1_" * 50_000 + "x",
        " " * 500_000 + "1" * 500_000,
        "x" * 1_000_000,
    ],
)
def test_long_text_is_refused_at_once_with_a_short_message(text):
    start = time.perf_counter()
    with pytest.raises(InvalidInputError) as error:
        parse_quantity(text, "dau")
    elapsed = time.perf_counter() - start
    message = str(error.value)
    assert message.startswith("dau: got '") and "accepts" in message
    assert len(message) < 200 and "\n" not in message
    assert elapsed < 1.0  # a hang guard only; the old parser took 15 s at 20,000 characters


class _CountingStr(str):
    """Text that counts how often the scanner indexes or slices it."""

    reads = 0

    def __getitem__(self, key):
        _CountingStr.reads += 1
        return str.__getitem__(self, key)


@pytest.mark.parametrize("tail", ["!", "", ".5!", "e", ",", "_", "%!", "K B"])
def test_scanner_reads_each_character_a_bounded_number_of_times(tail):
    # The length limit aside, the scan itself is linear: no backtracking on digit runs.
    for n in (1_000, 10_000, 100_000):
        _CountingStr.reads = 0
        units._scan(_CountingStr("1" * n + tail))
        assert _CountingStr.reads <= 3 * n + 50


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_repr_of_any_finite_float_reads_back(f):
    assert parse_quantity(repr(f), "x") == f
    assert parse_quantity(f" {f} ", "x", "B") == f


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=-1e70, max_value=1e70))
def test_thousands_commas_read_back(f):
    assert parse_quantity(f"{f:,.2f}", "x") == float(f"{f:.2f}")


@settings(max_examples=200, deadline=None)
@given(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["K", "M", "B", "G", "T", "k", "m", "%"]),
)
def test_suffix_scales_or_refuses_overflow(f, suffix):
    # the decimal the text writes, scaled by its suffix's power of ten, rounded once
    expected = float(Decimal(repr(f)).scaleb(units._COUNT[suffix.upper()]))
    if math.isfinite(expected):
        assert parse_quantity(repr(f) + suffix, "x") == expected
    else:
        with pytest.raises(InvalidInputError, match="accepts a finite number"):
            parse_quantity(repr(f) + suffix, "x")


def _finite_or_refused(text, unit):
    try:
        value = parse_quantity(text, "x", unit)
    except InvalidInputError as error:
        message = str(error)
        assert message.startswith("x: got ") and "; accepts " in message
        assert "\n" not in message.replace("\\n", "")
        return
    assert isinstance(value, float) and math.isfinite(value)
    assert units._read(text.strip(), unit) == (value, "")  # the float() fast path agrees


@settings(max_examples=500, deadline=None)
@given(st.text(), st.sampled_from(["", "B"]))
def test_any_text_reads_as_a_finite_float_or_is_refused(text, unit):
    _finite_or_refused(text, unit)


@settings(max_examples=1000, deadline=None)
@given(
    st.text(alphabet="0123456789١٢.,_eE+-% \u00a0KMBGTkmbgtPpINFinfaA", max_size=24),
    st.sampled_from(["", "B"]),
)
def test_number_like_text_reads_as_a_finite_float_or_is_refused(text, unit):
    _finite_or_refused(text, unit)


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (3.75e16, "B", "37.5 PB"),
        (92.59259e9, "bit/s", "92.59 Gbit/s"),
        (0.0051923, "s", "5.192 ms"),
        (185.185e6, "bit/s", "185.2 Mbit/s"),
        (120560.4, "USD", "USD 120,560"),
        (0.399, "USD", "USD 0.40"),
        (999e12, "USD", "USD 999,000,000,000,000"),
        (6.589e300, "USD", "USD 6.589e+300"),
        (16.2e9, "B", "16.2 GB"),
    ],
)
def test_format_quantity(value, unit, text):
    assert format_quantity(value, unit) == text


def _read_or_error(text, unit):
    try:
        return parse_quantity(text, "x", unit)
    except InvalidInputError as error:
        return error


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.text(alphabet="0123456789.,_+-eE %KMBGTkmb", max_size=14),
        st.floats(allow_nan=False, allow_infinity=False).map(lambda f: f"{f:,.3f}"),
        st.integers(0, 10**9).map(lambda n: f"{n:,}".replace(",", ".")),  # de-DE groups
    ),
    st.sampled_from(["", "B"]),
    st.sampled_from(["de-DE", "fr-FR", "pt-BR", "en-ZA", "nl-NL"]),
)
def test_a_culture_only_adds_refusals_never_another_value(text, unit, culture):
    # In a decimal-comma culture, text reads as it reads anywhere, or is refused as read
    # two ways (naming both); a value never changes with the culture.
    anywhere = _read_or_error(text, unit)
    with units.reading_culture(culture):
        there = _read_or_error(text, unit)
    if isinstance(there, float):
        assert there == anywhere
    elif not isinstance(anywhere, InvalidInputError):
        note = f"(in {culture}, {text.strip()!r} could be "
        assert note in str(there) and str(there).endswith(": write one of those)")


def test_a_cell_of_an_array_that_does_not_read_names_its_row():
    # As a number out of range does ("got -5 (row 2)"): the first cell that fails.
    import numpy as np
    import pandas as pd

    from xlplugin import formulas

    with pytest.raises(InvalidInputError, match=r"^dau: got 'abc' \(row 3\); accepts"):
        formulas.gpu_count(np.array(["100M", "2M", "abc", "x"]), 10, 8.1e9)
    with units.reading_culture("de-DE"), pytest.raises(AmbiguousInputError) as error:
        formulas.estimate_table(pd.DataFrame({"dau": ["100M", "1,500"]}))
    assert error.value.row == 1 and error.value.readings == ("1500", "1.5")
    assert str(error.value).startswith("dau: got '1,500' (row 2); accepts a number > 0 (in de-DE")


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1_000, 10**15),
    st.sampled_from([" ", "\u00a0", "\u2009", "\u202f", "'", "\u2019"]),
    st.sampled_from(["", "K", "M", " GB"]),
)
def test_any_number_grouped_by_another_mark_is_suggested_as_itself(n, mark, suffix):
    text = f"{n:,}".replace(",", mark) + suffix
    unit = "B" if suffix == " GB" else ""
    with pytest.raises(InvalidInputError) as error:
        parse_quantity(text, "x", unit)
    guess = f"{n}{suffix}"
    assert str(error.value).endswith(f"(did you mean {guess}?)")
    assert parse_quantity(guess, "x", unit) == parse_quantity(f"{n:,}{suffix}", "x", unit)


# GPU text written as a number: the parser's refusal, not close names -----------------------
GPU_ACCEPTS = "accepts a catalogue name or a FLOP/s number >= 1,000,000,000,000"


def test_only_gpu_among_the_names_takes_a_number():
    """A name input says what it accepts; gpu alone may also be given as a number (its peak
    FLOP/s), and says so (precision once said "or a FLOP/s number >= 0")."""
    from xlplugin.formulas.vocabulary import INPUT, INPUTS

    names = {q.name: q.accepts for q in INPUTS if q.kind == "name"}
    assert names.pop("gpu") == GPU_ACCEPTS.removeprefix("accepts ")
    assert names["precision"] == names["kv_precision"] == "a catalogue name"
    assert all("number" not in text for text in names.values()), names
    assert INPUT["modality"].accepts == "one of text, image, speech"


def _gpu_error(**inputs) -> InvalidInputError:
    from xlplugin import formulas

    with pytest.raises(InvalidInputError) as error:
        formulas.estimate(gpu_hourly_usd=1, **inputs)
    with pytest.raises(type(error.value)) as alone:  # the per-output function says the same
        formulas.gpu_count(1e8, 10, 8.1e9, **inputs)
    assert str(alone.value) == str(error.value)
    return error.value


def test_gpu_text_a_comma_culture_reads_otherwise_is_refused_as_ambiguous():
    from xlplugin import formulas

    # read (and cached) first; under the seed's formula (the roofline asks for its memory)
    assert formulas.gpu_count(1e8, 10, 8.1e9, gpu="1.500T", inference_model="flops") > 0
    with units.reading_culture("de-DE"):
        error = _gpu_error(gpu="1.500T")
        assert isinstance(error, AmbiguousInputError)
        assert error.readings == ("1500T", "1.5T")
        assert str(error) == (
            f"gpu: got '1.500T'; {GPU_ACCEPTS} "
            "(in de-DE, '1.500T' could be 1500T or 1.5T: write one of those)"
        )
        error = _gpu_error(gpu=np.array(["A100", "1,500T"], dtype=object))
        assert isinstance(error, AmbiguousInputError) and error.row == 1
        assert str(error).startswith("gpu: got '1,500T' (row 2); accepts a catalogue name")


@pytest.mark.parametrize(
    ("text", "guess"), [("1,5T", "1.5T"), ("1 500T", "1500T"), ("312'000G", "312000G")]
)
def test_gpu_text_written_as_a_number_gets_the_parsers_suggestion(text, guess):
    error = _gpu_error(gpu=text)
    assert type(error) is InvalidInputError
    assert str(error) == f"gpu: got {text!r}; {GPU_ACCEPTS} (did you mean {guess}?)"


@pytest.mark.parametrize("text", ["H1OO", "A100x", "5090x", "1.2.3"])
def test_gpu_text_that_is_no_number_still_gets_close_names(text):
    from xlplugin import formulas

    error = _gpu_error(gpu=text)
    assert isinstance(error, formulas.UnknownNameError), str(error)


@pytest.mark.parametrize(
    ("text", "unit", "guess"),
    [
        ("1.500,5", "", "1500.5"),
        ("12.345,67", "", "12345.67"),
        ("1.500.000", "", "1500000"),
        ("-1.500,5", "", "-1500.5"),
        ("1.500,5M", "", "1500.5M"),
        ("1.500,5 GB", "B", "1500.5 GB"),
        ("1 500,5", "", "1500.5"),  # fr-FR, with a space
        ("1\u202f500,5", "", "1500.5"),  # fr-FR, as Excel writes it: a narrow no-break space
        ("1'500,5", "", "1500.5"),
        ("12 345 678,9K", "", "12345678.9K"),
        ("1 500,5 GB", "B", "1500.5 GB"),
    ],
)
def test_points_between_groups_and_a_decimal_comma_suggest_the_number(text, unit, guess):
    # as de-DE writes numbers: never read as written (a guess), but the number suggested
    for culture in (None, "de-DE"):
        with units.reading_culture(culture), pytest.raises(InvalidInputError) as error:
            parse_quantity(text, "x", unit)
        assert str(error.value).endswith(f"(did you mean {guess}?)"), culture
        assert parse_quantity(guess, "x", unit) > 0 or guess.startswith("-")


def test_a_decimal_is_a_number():
    from decimal import Decimal

    assert parse_quantity(Decimal("1.5"), "x") == 1.5
    for value in (Decimal("Infinity"), Decimal("sNaN"), Decimal("NaN")):
        with pytest.raises(InvalidInputError, match="accepts a finite number"):
            parse_quantity(value, "x")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0.05", 0.05),
        ("0.05s", 0.05),
        ("50ms", 0.05),
        ("50 MS", 0.05),
        ("500 µs", 5e-4),
        ("500μs", 5e-4),
        ("500us", 5e-4),
        ("1.5s", 1.5),
    ],
)
def test_a_time_reads_seconds_and_their_fractions(text, seconds):
    assert parse_quantity(text, "ttft_target_seconds", "s") == pytest.approx(seconds, rel=1e-15)
    # what format_quantity prints reads back
    assert parse_quantity(format_quantity(seconds, "s"), "t", "s") == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["10m", "10M", "1K", "2B"])
def test_a_time_takes_no_count_suffix(text):
    with pytest.raises(InvalidInputError):
        parse_quantity(text, "ttft_target_seconds", "s")


@pytest.mark.parametrize(
    ("text", "guess"),
    [
        ("1Gb", "1GB"),
        ("3.35Tb", "3.35TB"),
        ("1Kb", "1KB"),
        ("100b", "100B"),
        ("2 Mb", "2 MB"),
        ("5kb", "5KB"),
        ("2 mb", "2 MB"),
        ("1gb", "1GB"),
    ],
)
def test_a_size_written_as_bits_are_is_refused_with_the_bytes(text, guess):
    """A lower-case b is how bits are written: read as bytes, "1Gb" would be eight times
    too much. "5kb" was read as 5 KB, though kb is the usual symbol for a kilobit: an
    ambiguous size is refused with the bytes, not guessed."""
    with pytest.raises(InvalidInputError) as error:
        parse_quantity(text, "response_bytes", "B")
    assert str(error.value).endswith(f"(did you mean {guess}?)")
    assert parse_quantity(guess, "response_bytes", "B") > 0
    if guess.startswith("5K"):  # the SI kilobyte, a lower-case k before an upper-case B
        assert parse_quantity("5kB", "x", "B") == parse_quantity(guess, "x", "B") == 5_000


def test_format_quantity_refuses_a_value_that_is_no_number():
    with pytest.raises(InvalidInputError, match=r"^value: got 'x'; accepts a number in B$"):
        format_quantity("x", "B")
    with pytest.raises(InvalidInputError, match=r"^value: got True; "):
        format_quantity(True, "B")
    assert format_quantity(np.float64(3e9), "B") == "3 GB"
    # any kind of number, as the rest of formulas takes it; one too large for a float refused
    assert format_quantity(Decimal("1.5"), "B") == format_quantity(Fraction(3, 2), "B") == "1.5 B"
    with pytest.raises(InvalidInputError, match=r"^value: got 1e\+400; accepts a finite number"):
        format_quantity(10**400, "USD")
    with pytest.raises(InvalidInputError, match=r"^digits: got 'x'; accepts a whole number"):
        format_quantity(1.0, "B", digits="x")
