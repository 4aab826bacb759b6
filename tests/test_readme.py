"""The README stays true: its vocabulary table, its seed printout and its commands."""

import re
from pathlib import Path

from xlplugin.cli import main, vocabulary_markdown

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def test_vocabulary_table_is_current():
    block = re.search(r"<!-- vocabulary:start -->\n(.*)\n<!-- vocabulary:end -->", README, re.S)
    assert block and block.group(1) == vocabulary_markdown()


def test_seed_printout_is_current(capsys):
    assert main(["estimate"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed in README


def test_readme_names_the_two_commands():
    assert "xlplugin build && xlplugin estimate" in README
    assert "python3 -m pytest -q" in README
    assert "python3 -m pytest -q" in (Path(__file__).parents[1] / ".ci" / "run").read_text()


def test_calibration_table_is_current():
    from xlplugin.formulas.calibration import calibration_markdown

    block = re.search(r"<!-- calibration:start -->\n(.*)\n<!-- calibration:end -->", README, re.S)
    assert block and block.group(1) == calibration_markdown()


def test_the_scenarios_header_row_is_the_sheets():
    from xlplugin.workbook.layout import SCENARIOS_HEADER

    assert f"the header is sheet row {SCENARIOS_HEADER} " in README
    assert f'sheet_name="Scenarios", header={SCENARIOS_HEADER - 1})' in README


def test_the_cells_the_docs_show_give_what_they_say():
    """The README's and xlwings Lite's example cells, called as Excel calls them."""
    from xlplugin import functions
    from xlplugin.lite import main as lite

    call = '(100000000, 10, "8.1B", "A100")'
    seed = (100000000, 10, "8.1B", "A100")
    roofline, napkin = functions.gpu_count(*seed), functions.flops_gpu_count(*seed)
    shown = f"=GPU_COUNT{call}    → {roofline[0][0]} (the roofline; the seed's formula: "
    assert shown + f"{napkin[0][0]})" in README
    docs = " ".join(lite.__doc__.split())
    assert f"=GPU_COUNT{call} in a cell: {roofline[0][0]:,} GPUs" in docs
    assert f"=FLOPS_GPU_COUNT{call} gives the seed's own napkin figure, {napkin[0][0]}." in docs


def test_the_sheets_table_names_every_sheet_in_order():
    from xlplugin.workbook.layout import SHEETS

    table = README.split("Sheets, in reading order:")[1].split("\n\n")[1]
    rows = re.findall(r"^\| (\w+) \| ", table, re.M)
    assert rows[1:] == list(SHEETS)  # after the table's own header row


def test_the_replica_sizing_example_is_current():
    from xlplugin import formulas

    llama = formulas.model_preset("Llama-3.1-70B")
    sized = formulas.estimate(**llama, gpu="A100")
    fewest = formulas.estimate(**llama, gpu="A100", tensor_parallel=1)
    text = " ".join(README.split())
    assert (
        f"fits in {fewest['gpus_per_replica']:.0f} GPUs, where "
        f"{fewest['max_concurrency_per_replica']:.0f} requests fit"
    ) in text
    assert (
        f"spans {sized['gpus_per_replica']:.0f} GPUs and runs "
        f"{sized['max_concurrency_per_replica']:.0f} requests side by side"
    ) in text
    assert (
        f"need {sized['gpu_count']:,.0f} GPUs instead of {fewest['gpu_count']:,.0f} "
        f"(USD {sized['total_usd_per_month'] / 1e6:.1f} M a month instead of "
        f"{fewest['total_usd_per_month'] / 1e6:.1f} M)"
    ) in text
