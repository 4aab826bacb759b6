"""Reading scenario files: good CSV and .xlsx, and every way a row or column can be wrong."""

from __future__ import annotations

import datetime
import math
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from guards import needs_soffice
from scenario_files import error_of, write_csv, write_xlsx
from xlplugin.formulas.vocabulary import INPUTS

from xlplugin import formulas
from xlplugin.scenario_file import ScenarioFileError, read_scenarios
from xlplugin.workbook.build import build_workbook
from xlplugin.workbook.layout import SCENARIOS_HEADER

COLUMNS = ["scenario"] + [q.name for q in INPUTS]


# Good files -----------------------------------------------------------------------------
@pytest.mark.parametrize("bom", [False, True])
def test_csv_gives_canonical_columns_and_numbers(tmp_path, bom):
    path = write_csv(
        tmp_path,
        "scenario,dau,requests_per_user,gpu,precision\nBase,100M,10,H100,FP8\nSmall,5000,2.5,,\n",
        bom=bom,
    )
    frame = read_scenarios(path)
    assert list(frame.columns) == COLUMNS
    assert list(frame["scenario"]) == ["Base", "Small"]
    assert list(frame["dau"]) == [100e6, 5000.0]
    assert list(frame["requests_per_user"]) == [10.0, 2.5]
    assert frame["gpu"][0] == "H100" and frame["precision"][0] == "FP8"
    assert math.isnan(frame["params"][0])  # blank: the Inputs sheet's value


def test_xlsx_reads_the_first_sheet(tmp_path):
    path = write_xlsx(
        tmp_path,
        [
            ["scenario", "dau", "gpu"],
            ["Big", 1e9, "H200"],
            [None, None, None],
            ["Tiny", "1K", None],
        ],
    )
    frame = read_scenarios(path)
    assert list(frame["scenario"]) == ["Big", "Tiny"]  # a blank row is skipped
    assert list(frame["dau"]) == [1e9, 1e3]


def test_names_are_generated_when_absent_or_blank(tmp_path):
    assert list(read_scenarios(write_csv(tmp_path, "dau\n1\n2\n"))["scenario"]) == [
        "Scenario 1",
        "Scenario 2",
    ]
    frame = read_scenarios(write_csv(tmp_path, "scenario,dau\nA,1\n,2\n"))
    assert list(frame["scenario"]) == ["A", "Scenario 2"]


def test_header_is_forgiving_about_case_dashes_and_spaces(tmp_path):
    frame = read_scenarios(write_csv(tmp_path, " Scenario ,DAU,requests-per-user\nA,1,2\n"))
    assert frame["dau"][0] == 1 and frame["requests_per_user"][0] == 2


@pytest.mark.parametrize(
    ("text", "value"),
    [("100M", 100e6), ("1.5K", 1.5e3), ("1e3", 1e3), ('"1,000"', 1e3), ("+5", 5.0), (" 7 ", 7.0)],
)
def test_numeric_text_as_formulas_reads_it(tmp_path, text, value):
    assert read_scenarios(write_csv(tmp_path, f"dau\n{text}\n"))["dau"][0] == value


@pytest.mark.parametrize(("text", "value"), [("1MB", 1e6), ("10KB", 1e4), ("1.5GB", 1.5e9)])
def test_byte_sizes_take_byte_suffixes(tmp_path, text, value):
    path = write_csv(tmp_path, f"stored_bytes_per_request\n{text}\n")
    assert read_scenarios(path)["stored_bytes_per_request"][0] == value


def test_a_fraction_written_with_percent_is_taken_as_written(tmp_path):
    """A "150%" is 1.5 as written, in a CSV and an .xlsx alike; a plain 150 stays ambiguous."""
    csv_path = write_csv(tmp_path, "scenario,dau,headroom\nA,100M,150%\nB,100M, 20 %\n")
    xlsx_path = write_xlsx(tmp_path, [["scenario", "dau", "headroom"], ["A", "100M", "150%"]])
    # kept as written where a plain number would be ambiguous (1.5: 150 %? 1.5 %?)
    assert list(read_scenarios(csv_path)["headroom"]) == ["150%", 0.2]
    assert list(read_scenarios(xlsx_path)["headroom"]) == ["150%"]
    table = formulas.estimate_table(read_scenarios(csv_path).drop(columns="scenario"))
    assert table["gpu_count"][0] == formulas.estimate(dau=1e8, headroom="150%")["gpu_count"]
    assert table["gpu_count"][0] > table["gpu_count"][1]  # more headroom, more GPUs
    plain = write_csv(tmp_path, "scenario,dau,headroom\nA,100M,150\n", name="plain.csv")
    assert error_of(plain).endswith("(did you mean 150%?)")


def percent_xlsx(folder: Path, column: str, value: float, number_format: str = "0%") -> Path:
    """One scenario whose ``column`` cell holds ``value`` shown with ``number_format``."""
    book = openpyxl.Workbook()
    book.active.append(["scenario", "dau", column])
    book.active.append(["A", 1e8, value])
    book.active["C2"].number_format = number_format
    path = folder / "pct.xlsx"
    book.save(path)
    return path


def test_an_xlsx_percent_cell_holds_the_fraction_itself(tmp_path):
    """Typed 150 % in Excel, the cell holds 1.5: taken as "150%" is, not refused as a plain
    1.5 with "(did you mean 1.5%?)", 100 times off."""
    frame = read_scenarios(percent_xlsx(tmp_path, "headroom", 1.5, "0.0%"))
    assert list(frame["headroom"]) == ["150%"]  # as Excel shows it, and as a CSV has it
    table = formulas.estimate_table(frame.drop(columns="scenario"))
    assert table["gpu_count"][0] == formulas.estimate(dau=1e8, headroom="150%")["gpu_count"]
    assert list(read_scenarios(percent_xlsx(tmp_path, "headroom", 0.2))["headroom"]) == [0.2]


# openpyxl writes 16 significant digits: each value here is one it writes exactly
@pytest.mark.parametrize(
    "value", [1.5, 2.0, 1.05, 12.345, 1.234567890123457, 7.3e5, 1.3, 2.56, 1e17]
)
def test_an_xlsx_percent_cell_keeps_its_exact_number(tmp_path, value):
    from xlplugin.workbook.values import numbers_as_cells

    frame = read_scenarios(percent_xlsx(tmp_path, "index_overhead", value))
    assert numbers_as_cells(frame)["index_overhead"][0] == value  # the build's cell


def test_an_xlsx_percent_cell_is_the_text_excel_shows_and_reads_back_exactly(tmp_path):
    """128.2 % is 1.282 in the cell; formulas reads "128.2%" as the decimal 1.282 (not
    128.2 / 100, one unit in the last place away)."""
    from xlplugin.workbook.values import numbers_as_cells

    frame = read_scenarios(percent_xlsx(tmp_path, "index_overhead", 1.282, "0.0%"))
    assert list(frame["index_overhead"]) == ["128.2%"]
    assert numbers_as_cells(frame)["index_overhead"][0] == 1.282


def test_an_xlsx_percent_above_an_upper_bound_is_refused_without_a_wrong_hint(tmp_path):
    message = error_of(percent_xlsx(tmp_path, "utilization", 1.5))
    # shown as the cell shows it, not as the fraction it holds
    assert message == "pct.xlsx row 2, column utilization: got '150%'; accepts a number in (0, 1]"
    message = error_of(percent_xlsx(tmp_path, "headroom", 1e307))  # 1E+309 %, read exactly
    assert message.startswith("pct.xlsx row 2, column headroom: got 1e+307; accepts a number")
    assert message.endswith("makes gpu_count overflow (too large to compute): try a smaller value")


@pytest.mark.parametrize(
    ("column", "value", "shown"),
    [
        ("stored_bytes_per_request", 0.05, "5%"),
        ("requests_per_user", 0.5, "50%"),
        ("max_gpus_per_replica", 8, "800%"),
    ],
)
def test_an_xlsx_percent_cell_is_refused_where_the_input_is_not_a_fraction(
    tmp_path, column, value, shown
):
    """A cell shown as 50 % in the requests' column is refused as "50%" in a CSV is, not
    read as 0.5 requests."""
    message = error_of(percent_xlsx(tmp_path, column, value))
    assert message.startswith(f"pct.xlsx row 2, column {column}: got {shown!r}; accepts ")
    assert message.endswith("(a percentage only where the input is a fraction)")
    csv_path = write_csv(tmp_path, f"scenario,dau,{column}\nA,100000000,{shown}\n")
    assert error_of(csv_path).removeprefix(csv_path.name) == message.removeprefix("pct.xlsx")


def test_an_xlsx_percent_cell_gives_no_gpu_as_flops(tmp_path):
    """Refused as "20%" in a CSV is: a name, not 0.2 FLOP/s."""
    message = error_of(percent_xlsx(tmp_path, "gpu", 0.2))
    assert message.startswith("pct.xlsx row 2, column gpu: got '20%'")
    csv_path = write_csv(tmp_path, "scenario,dau,gpu\nA,100000000,20%\n")
    assert error_of(csv_path).removeprefix(csv_path.name) == message.removeprefix("pct.xlsx")


@pytest.mark.parametrize(
    ("number_format", "value", "read"),
    [
        ("[>=100]0;0%", 0.5, "50%"),  # shown as 50 %: refused for requests per user
        ("[>=100]0;0%", 150, 150),  # shown as 150
        ("[<1]0%;0", 5, 5),  # shown as 5, not 500 %
        ("0;0;0%", 0, "0%"),  # zero's section
        ("0;-0%", 3, 3),  # a positive number's section has no %
    ],
)
def test_the_section_of_a_format_that_shows_the_value_decides(tmp_path, number_format, value, read):
    path = percent_xlsx(tmp_path, "requests_per_user", value, number_format)
    if isinstance(read, str):
        assert error_of(path).startswith(
            f"pct.xlsx row 2, column requests_per_user: got {read!r}; accepts"
        )
    else:
        assert read_scenarios(path)["requests_per_user"][0] == read


@pytest.mark.parametrize("number_format", ['0"%"', "0\\%", "General", "0.00"])
def test_a_percent_sign_that_does_not_scale_is_not_a_percent_format(tmp_path, number_format):
    """Quoted or escaped, a % is shown as it is and the cell is the number shown."""
    message = error_of(percent_xlsx(tmp_path, "headroom", 1.5, number_format))
    assert message.endswith("(did you mean 1.5% or 150%?)")


@pytest.mark.libreoffice
@needs_soffice
def test_a_fraction_written_with_percent_builds_and_recalculates_as_written(tmp_path):
    """The Scenarios cell holds the number 1.5 (shown 150.0 %), and LibreOffice, which
    recalculates the workbook, gets formulas' figures for "150%"."""
    from xlplugin.libreoffice import convert
    from xlplugin.workbook import read_scenarios as read_built

    path = write_csv(tmp_path, "scenario,dau,index_overhead\nA,1M,150%\nB,2M,25%\n")
    built = build_workbook(tmp_path / "out.xlsx", read_scenarios(path))
    recalculated = read_built(convert(built, tmp_path / "lo", "xlsx"))
    assert list(recalculated["index_overhead"]) == [1.5, 0.25]
    for row, (dau, overhead) in enumerate([(1e6, "150%"), (2e6, "25%")]):
        expected = formulas.estimate(dau=dau, index_overhead=overhead)
        for name in ("retained_storage_bytes", "total_usd_per_month"):
            assert recalculated[name][row] == pytest.approx(expected[name], rel=1e-9)


def test_the_result_builds_a_workbook(tmp_path):
    frame = read_scenarios(write_csv(tmp_path, "scenario,dau,gpu\nA,1M,H100\nB,2M,A100\n"))
    book = openpyxl.load_workbook(build_workbook(tmp_path / "out.xlsx", frame))
    first = SCENARIOS_HEADER + 1
    rows = book["Scenarios"].iter_rows(min_row=first, max_row=first + 1, values_only=True)
    names = [row[0] for row in rows]
    assert names == ["A", "B"]


# Bad rows and columns -------------------------------------------------------------------
def test_bad_value_names_row_and_column(tmp_path):
    path = write_csv(tmp_path, "scenario,dau\nA,1\nB,-5\n")
    assert error_of(path) == "scenarios.csv row 3, column dau: got -5; accepts a number > 0"


def test_range_errors_from_formulas_point_at_the_file_row(tmp_path):
    path = write_csv(tmp_path, "scenario,utilization\nA,0.5\n\nB,1.5\n")  # row 3 is blank
    assert error_of(path).startswith("scenarios.csv row 4, column utilization: got 1.5;")


def test_unknown_catalogue_name_names_row_and_column(tmp_path):
    message = error_of(write_csv(tmp_path, "scenario,gpu\nA,H100\nB,H1000\n"))
    assert message.startswith("scenarios.csv row 3, column gpu: got 'H1000'; accepts one of")


def test_unknown_column_names_header_cell_and_suggests(tmp_path):
    message = error_of(write_csv(tmp_path, "scenario,daus\nA,1\n"))
    assert message.startswith("scenarios.csv row 1, column B: unknown column 'daus'")
    assert "did you mean dau" in message


@pytest.mark.parametrize("header", ["dau,dau", "dau,DAU", "scenario,dau,Scenario"])
def test_duplicate_header_is_an_error(tmp_path, header):
    message = error_of(write_csv(tmp_path, header + "\n" + ",".join("1" * 3) + "\n"))
    assert "appears twice" in message and message.startswith("scenarios.csv row 1, column")


def test_duplicate_scenario_names_are_an_error(tmp_path):
    message = error_of(write_csv(tmp_path, "scenario,dau\nA,1\nB,2\nA,3\n"))
    assert message.startswith(
        "scenarios.csv row 4, column scenario: scenario name 'A' repeats row 2"
    )


def test_value_under_no_column_name(tmp_path):
    assert "under no column name" in error_of(write_csv(tmp_path, "dau\n1,2\n"))


def test_header_only_has_no_scenarios(tmp_path):
    assert "has no scenarios" in error_of(write_csv(tmp_path, "scenario,dau\n"))


def test_semicolon_csv_is_explained(tmp_path):
    assert "';' or tabs" in error_of(write_csv(tmp_path, "scenario;dau\nA;1\n"))


def test_broken_quoting_names_the_row(tmp_path):
    assert "row 2" in error_of(write_csv(tmp_path, 'scenario,dau\n"A"x,1\n'))


def test_control_characters_are_refused(tmp_path):
    assert "control characters" in error_of(write_csv(tmp_path, "scenario,dau\nA\x01,1\n"))


@pytest.mark.parametrize("char", ["\ufffe", "\uffff", "\x0b", "\x1f", "\x7f"])
@pytest.mark.parametrize("column", ["scenario", "gpu", "dau"])
def test_characters_xml_cannot_carry_are_refused_in_any_text_cell(tmp_path, char, column):
    """Valid UTF-8 that no workbook can hold: refused here, not by the build's writer."""
    cells = {"scenario": "A", "gpu": "H100", "dau": "1M"} | {column: f"a{char}b"}
    path = write_csv(tmp_path, "scenario,gpu,dau\n" + ",".join(cells.values()) + "\n")
    assert error_of(path) == (
        f"scenarios.csv row 2, column {column}: got {f'a{char}b'!r}, holding "
        f"U+{ord(char):04X} (character 2); accepts text XML can carry: no control "
        "characters but tab and line breaks, no U+FFFE, U+FFFF or surrogates"
    )


def test_a_surrogate_is_refused_too(tmp_path):
    """No file brings one (UTF-8 decoding and XML parsing refuse them): the rule is whole."""
    from xlplugin import scenario_file

    with pytest.raises(ScenarioFileError, match=r"row 2, column scenario: .*U\+D800"):
        scenario_file._table("s.csv", ["scenario", "dau"], iter([(2, ["a\ud800", 1])]))


def test_a_name_xml_cannot_carry_makes_the_build_exit_2(tmp_path, capsys):
    from xlplugin.cli import main

    path = write_csv(tmp_path, "scenario,dau\na\uffffb,1M\n")
    assert main(["build", "-o", str(tmp_path / "out.xlsx"), "--scenarios", str(path)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("xlplugin: error: scenarios.csv row 2, column scenario: got ")
    assert error.count("\n") == 1 and not (tmp_path / "out.xlsx").exists()


@pytest.mark.parametrize(
    ("column", "text"),
    [
        ("dau", "1,5"),
        ("dau", "1 500"),
        ("dau", "1'500"),
        ("dau", "1,5M"),
        ("utilization", "0,5"),
        ("utilization", "1,5"),  # 1.5 is out of range: no suggestion
        ("headroom", "1,5"),  # a plain 1.5 is ambiguous: no suggestion
        ("dau", "abc"),
    ],
)
def test_unreadable_text_is_worded_as_formulas_words_it(tmp_path, column, text):
    """The parser's "(did you mean 1.5?)" included, where what it suggests is valid."""
    quoted = '"' + text.replace('"', '""') + '"'
    message = error_of(write_csv(tmp_path, f"{column}\n{quoted}\n"))
    with pytest.raises(formulas.InvalidInputError) as api:
        formulas.estimate(**{column: text})
    said = str(api.value).removeprefix(f"{column}: ")
    assert message == f"scenarios.csv row 2, column {column}: {said}"


@pytest.mark.parametrize(("text", "hint"), [("1,5", "1.5"), ("1 500", "1500"), ("1'500", "1500")])
def test_the_parsers_suggestion_is_kept(tmp_path, text, hint):
    message = error_of(write_csv(tmp_path, f'dau\n"{text}"\n'))
    assert message.endswith(f"; accepts a number > 0 (did you mean {hint}?)")


def test_xlsx_formula_cells_are_refused(tmp_path):
    path = write_xlsx(tmp_path, [["scenario", "dau"], ["A", "=2*3"]])
    assert error_of(path) == (
        "scenarios.xlsx row 2, column B: holds a formula; scenario "
        "files take values (copy, then Paste Values)"
    )


def test_xlsx_booleans_and_dates_are_not_numbers(tmp_path):
    import datetime

    assert "got True" in error_of(write_xlsx(tmp_path, [["dau"], [True]]))
    path = write_xlsx(tmp_path, [["dau"], [datetime.date(2024, 1, 1)]], name="d.xlsx")
    assert error_of(path).startswith("d.xlsx row 2, column dau: got datetime")


def test_text_nan_and_inf_are_not_numbers(tmp_path):
    assert "got 'nan'" in error_of(write_csv(tmp_path, "dau\nnan\n"))
    assert "got 'inf'" in error_of(write_csv(tmp_path, "dau\ninf\n"))


# Formula injection ----------------------------------------------------------------------
INJECTIONS = [
    "=1+1",
    '=HYPERLINK("http://evil.example","x")',
    "+1+1",
    "-1+1",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "-cmd|' /C calc'!A0",
    "#N/A",
]
KEPT = [text.replace("\r", "\n") for text in INJECTIONS]  # as XML would read a CR anyway


@pytest.mark.parametrize("text", INJECTIONS)
def test_formula_like_text_is_refused_in_numeric_columns(tmp_path, text):
    quoted = '"' + text.replace('"', '""') + '"'
    message = error_of(write_csv(tmp_path, f"scenario,dau\nA,{quoted}\n"))
    assert message.startswith("scenarios.csv row 2, column dau: got ")
    assert message.endswith("; accepts a number > 0")


def test_minus_number_is_a_number_then_refused_as_negative(tmp_path):
    assert error_of(write_csv(tmp_path, "dau\n-5\n")).endswith("got -5; accepts a number > 0")


def test_formula_like_text_is_refused_in_name_columns(tmp_path):
    message = error_of(write_csv(tmp_path, "gpu\n\"=cmd|' /C calc'!A0\"\n"))
    assert message.startswith("scenarios.csv row 2, column gpu: got ")


def test_formula_like_names_are_kept_verbatim(tmp_path):
    lines = "".join('"' + t.replace('"', '""') + f'",{i}\n' for i, t in enumerate(INJECTIONS, 1))
    frame = read_scenarios(write_csv(tmp_path, "scenario,dau\n" + lines))
    assert list(frame["scenario"]) == KEPT


def test_carriage_returns_in_names_become_line_feeds(tmp_path):
    frame = read_scenarios(write_csv(tmp_path, 'scenario,dau\n"a\r\nb\rc",1\n'))
    assert frame["scenario"][0] == "a\nb\nc"


def sheet_xml(path: Path, title: str) -> str:
    """The XML of the worksheet called ``title``, found through workbook.xml and its rels."""
    with zipfile.ZipFile(path) as package:
        workbook = package.read("xl/workbook.xml").decode()
        rels = package.read("xl/_rels/workbook.xml.rels").decode()
        rid = re.search(rf'<sheet [^>]*name="{title}"[^>]*r:id="([^"]+)"', workbook).group(1)
        target = re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*Target="([^"]+)"', rels)
        if target is None:
            target = re.search(rf'<Relationship [^>]*Target="([^"]+)"[^>]*Id="{rid}"', rels)
        name = target.group(1).lstrip("/")
        return package.read(name if name.startswith("xl/") else "xl/" + name).decode()


def test_formula_like_names_are_written_as_text_not_formulas(tmp_path):
    lines = "".join('"' + t.replace('"', '""') + f'",{i}\n' for i, t in enumerate(INJECTIONS, 1))
    frame = read_scenarios(write_csv(tmp_path, "scenario,dau\n" + lines))
    xml = sheet_xml(build_workbook(tmp_path / "out.xlsx", frame), "Scenarios")
    first = SCENARIOS_HEADER + 1
    for offset in range(len(INJECTIONS)):
        cell = re.search(rf'<c r="A{first + offset}"[^>]*?(?:/>|>.*?</c>)', xml, re.S).group(0)
        assert "<f>" not in cell and "<f " not in cell, cell
        assert 't="inlineStr"' in cell or 't="s"' in cell, cell
    book = openpyxl.load_workbook(tmp_path / "out.xlsx")
    names = [
        c.value
        for (c,) in book["Scenarios"].iter_rows(
            min_row=first, max_row=first + len(INJECTIONS) - 1, max_col=1
        )
    ]
    assert names == KEPT


def test_a_made_up_name_never_clashes_with_a_given_one(tmp_path):
    """Row 2 had no name and row 3 was named "Scenario 1": refused as a repeat of row 2."""
    path = tmp_path / "names.csv"
    path.write_text("scenario,dau\n,5\nScenario 1,6\n,7\n")
    frame = read_scenarios(path)
    assert list(frame["scenario"]) == ["Scenario 2", "Scenario 1", "Scenario 3"]
    assert list(frame["dau"]) == [5.0, 6.0, 7.0]


def test_a_logical_name_reads_as_excel_shows_it_and_a_date_is_refused(tmp_path):
    path = write_xlsx(tmp_path, [["scenario", "dau"], [True, 1e6], [False, 2e6]])
    assert read_scenarios(path)["scenario"].tolist() == ["TRUE", "FALSE"]  # not "True"
    dated = write_xlsx(tmp_path, [["scenario", "dau"], [datetime.date(2024, 1, 1), 1e6]])
    assert error_of(dated) == (  # not "2024-01-01 00:00:00", which no cell showed
        "scenarios.xlsx row 2, column scenario: got a date or time (2024-01-01 00:00:00); "
        "accepts a name as text (format the cell as Text)"
    )
