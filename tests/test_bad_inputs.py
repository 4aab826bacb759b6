"""The bad-input matrix (tests/bad_inputs.py) against formulas and the command line."""

import json
import os
import subprocess
import sys

import pytest
from bad_inputs import CASES, NAN

from xlplugin import formulas
from xlplugin.cli import main

IDS = [case.id for case in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_formulas(case):
    if case.is_error:
        with pytest.raises(formulas.EstimateError) as raised:
            formulas.estimate(**case.inputs)
        assert str(raised.value).startswith(case.expect)
        assert "\n" not in str(raised.value)
        assert isinstance(raised.value, ValueError)
    else:
        assert formulas.estimate(**case.inputs)[case.output] == pytest.approx(case.expect)


def _flags(inputs: dict) -> list[str] | None:
    flags = []
    for name, value in inputs.items():
        if value is None or value is NAN or value is True:
            return None  # a command line cannot spell an empty or boolean value
        flags.append(f"--{name.replace('_', '-')}={value}")
    return flags


CLI_CASES = [case for case in CASES if _flags(case.inputs) is not None]


@pytest.mark.parametrize("case", CLI_CASES, ids=[case.id for case in CLI_CASES])
def test_cli(case, capsys):
    status = main(["estimate", "--format", "json", *_flags(case.inputs)])
    out, err = capsys.readouterr()
    if case.is_error:
        assert status == 2
        assert err.startswith(f"xlplugin: error: {case.expected('cli')}")
        assert err.count("\n") == 1
    else:
        assert status == 0, err
        assert json.loads(out)[case.output] == pytest.approx(case.expect)


def _command(*argv: str, module: str = "xlplugin.cli") -> subprocess.CompletedProcess:
    """The command line in a process of its own: its status, stdout and stderr."""
    return subprocess.run(
        [sys.executable, "-m", module, *argv], capture_output=True, text=True, timeout=60
    )


def test_cli_process_exits_2_without_traceback():
    done = _command("estimate", "--gpu", "H900")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr == (
        "xlplugin: error: gpu: got 'H900'; accepts one of A100, A100-80GB, "
        "H100, H100-PCIe, H100-NVL, H200, B200, GB200, L4, L40S, T4, A10G, "
        "... (did you mean H200, H100, H100-NVL?)\n"
    )


def test_the_package_runs_as_the_command():
    """``python3 -m xlplugin`` is the ``xlplugin`` script: its name in the usage, its exits."""
    done = _command("estimate", "--dau", "-5", module="xlplugin")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "xlplugin: error: dau: got -5; accepts a number > 0\n"
    done = _command("--help", module="xlplugin")
    assert done.returncode == 0 and done.stdout.startswith("usage: xlplugin ")


def test_matrix_is_large_enough():
    assert len(CASES) >= 30 and len(CLI_CASES) >= 25


def test_mismatched_shapes():
    with pytest.raises(formulas.InvalidInputError, match=r"^shape: got 'dau 3, params 2'"):
        formulas.estimate(dau=[1e8, 2e8, 3e8], params=[8e9, 9e9])


def test_a_reader_that_leaves_early_is_not_an_error():
    done = subprocess.Popen(
        [sys.executable, "-m", "xlplugin.cli", "vocabulary", "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    done.stdout.close()  # as `| head` does
    assert done.wait(timeout=60) == 0
    assert done.stderr.read() == b""


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("argv", [("estimate",), ("vocabulary", "--format", "json")])
def test_an_answer_with_nowhere_to_go_is_not_bad_input(argv):
    """A full disk under standard output: one line on standard error naming it, and status
    74 (sysexits' EX_IOERR), not 2, which says the input was wrong."""
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "xlplugin", *argv],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert done.returncode == 74
    assert done.stderr == (
        "xlplugin: error: cannot write to standard output: No space left on device\n"
    )


@pytest.mark.parametrize("argv", [("estimate",), ("gpus", "--format", "csv")])
def test_an_answer_to_a_closed_standard_output_is_not_bad_input(argv):
    """Started with standard output closed (`>&-`): an AttributeError traceback, status 1."""
    done = subprocess.run(
        [sys.executable, "-m", "xlplugin", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.close(1),
    )
    assert done.returncode == 74, done.stderr
    assert done.stderr == "xlplugin: error: cannot write to standard output: Bad file descriptor\n"


def test_each_format_of_a_listing_carries_the_same_fields(capsys):
    """gpus --format json left out the aliases its CSV has; vocabulary --format json the
    defaults' sources and the outputs' sections its Markdown has."""
    import csv
    import io

    from xlplugin.cli import main

    assert main(["gpus", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert main(["gpus", "--format", "csv"]) == 0
    header = next(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert list(records[0]) == header
    assert main(["vocabulary", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert all(r["source"] for r in rows if r["kind"] == "input")
    assert all(r["section"] for r in rows if r["kind"] == "output")
