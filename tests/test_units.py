import pytest

from xlplugin.formulas import InvalidInputError, format_quantity, parse_quantity


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
        ("1mb", "B", 1e6),
    ],
)
def test_parse_quantity(text, unit, expected):
    assert parse_quantity(text, "x", unit) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "unit"), [("10XB", "B"), ("abc", ""), ("", ""), ("1MB", ""), ("1..2", ""), ("M", "")]
)
def test_parse_quantity_rejects(text, unit):
    with pytest.raises(InvalidInputError, match=r"^dau: got .*; accepts "):
        parse_quantity(text, "dau", unit)


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (3.75e16, "B", "37.5 PB"),
        (92.59259e9, "bit/s", "92.59 Gbit/s"),
        (0.0051923, "s", "5.192 ms"),
        (185.185e6, "bit/s", "185.2 Mbit/s"),
        (120560.4, "USD", "USD 120,560"),
        (0.399, "USD", "USD 0.40"),
        (16.2e9, "B", "16.2 GB"),
    ],
)
def test_format_quantity(value, unit, text):
    assert format_quantity(value, unit) == text
