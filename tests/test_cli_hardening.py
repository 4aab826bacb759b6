"""The command line refuses bad input in one line, status 2, before doing anything: a wheel
URL of another file, TLS files and a port uvicorn would refuse only after the banner, flags
given twice, abbreviated or misspelt, and a workbook written over its own scenario file."""

from __future__ import annotations

import importlib.util
import os
import signal
import socket

import openpyxl
import pytest

import xlplugin
from xlplugin.cli import main

WHEEL = f"xlplugin-{xlplugin.__version__}-py3-none-any.whl"
HAVE_SERVER = all(importlib.util.find_spec(m) for m in ("uvicorn", "xlwings_server"))
needs_server = pytest.mark.skipif(not HAVE_SERVER, reason="needs the server extra")


def refused(capsys, argv: list[str]) -> str:
    """The one line ``argv`` is refused with (status 2, nothing on standard output)."""
    try:
        status = main(argv)
    except SystemExit as exit_:  # argparse's refusals end the process
        status = exit_.code
    out, err = capsys.readouterr()
    assert (status, out) == (2, ""), err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


class Started(Exception):
    """uvicorn (or the re-start that precedes it) was reached."""


@pytest.fixture
def started(monkeypatch):
    """``xlplugin serve`` run in this process, stopped where it would start serving: the
    calls that got that far, the environment and signal handlers left as they were."""
    calls = []

    def reached(name):
        def record(*args, **kwargs):
            calls.append(name)
            raise Started(name)

        return record

    if HAVE_SERVER:
        monkeypatch.setattr("uvicorn.run", reached("uvicorn.run"))
    monkeypatch.setattr(os, "execv", reached("os.execv"))
    monkeypatch.setattr(os, "environ", os.environ.copy())
    monkeypatch.setattr(signal, "signal", lambda signum, handler: signal.SIG_DFL)
    for name in ("XLPLUGIN_MAX_BODY_BYTES", "XLPLUGIN_BODY_TIMEOUT", "XLPLUGIN_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    return calls


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# 1. lite --url naming a file other than the wheel written


def test_lite_refuses_a_wheel_url_of_another_file_name_in_one_line(tmp_path, capsys):
    url = "https://example.com/w/xlplugin.whl"  # was a ValueError traceback, status 1
    err = refused(capsys, ["lite", "-o", str(tmp_path / "out"), "--url", url])
    assert f"argument --url: got {url!r}; accepts a URL ending in /{WHEEL}" in err
    assert not (tmp_path / "out").exists()  # nothing written


# 2. serve: TLS files and the port, before the banner and uvicorn


@needs_server
@pytest.mark.parametrize(
    ("given", "says"),
    [
        ({"--ssl-keyfile": "k.pem"}, "--ssl-keyfile: got 'k.pem' without --ssl-certfile"),
        ({"--ssl-certfile": "c.pem"}, "--ssl-certfile: got 'c.pem' without --ssl-keyfile"),
        (
            {"--ssl-certfile": "nope.pem", "--ssl-keyfile": "k.pem"},
            "--ssl-certfile: got 'nope.pem': No such file or directory; accepts",
        ),
        (
            {"--ssl-certfile": "c.pem", "--ssl-keyfile": "nope.pem"},
            "--ssl-keyfile: got 'nope.pem': No such file or directory; accepts",
        ),
        ({"--ssl-certfile": ".", "--ssl-keyfile": "k.pem"}, "--ssl-certfile: got '.', a folder"),
        ({"--ssl-certfile": "", "--ssl-keyfile": "k.pem"}, "--ssl-certfile: got '', an empty"),
        (
            {"--ssl-certfile": "c.pem", "--ssl-keyfile": "k.pem"},
            "--ssl-certfile, --ssl-keyfile: got 'c.pem' and 'k.pem', which do not load as a "
            "certificate and its key (not read as PEM)",
        ),
    ],
)
def test_serve_checks_its_tls_files_before_it_starts(
    tmp_path, monkeypatch, capsys, started, given, says
):
    monkeypatch.chdir(tmp_path)
    for name in ("c.pem", "k.pem"):
        (tmp_path / name).write_text("not PEM\n")
    argv = ["serve", "--port", str(_free_port())]
    for flag, value in given.items():
        argv += [flag, value]
    err = refused(capsys, argv)
    assert err.startswith("xlplugin: error: ") and says in err, err
    assert "Excel functions on" not in err and started == []


@needs_server
def test_serve_refuses_a_port_in_use_before_it_starts(capsys, started):
    with socket.socket() as other:  # another server, listening there
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        err = refused(capsys, ["serve", "--host", "127.0.0.1", "--port", str(port)])
    assert err == (
        f"xlplugin: error: --port: got {port}, which is in use on 127.0.0.1 (another server "
        "listens there); accepts a free port\n"
    )
    assert started == []


@needs_server
def test_serve_refuses_a_host_that_is_not_this_machines(capsys, started):
    err = refused(capsys, ["serve", "--host", "nowhere.invalid", "--port", str(_free_port())])
    assert "--host: got 'nowhere.invalid'" in err and started == []


@needs_server
def test_serve_with_a_free_port_gets_past_the_checks(capsys, started):
    with pytest.raises(Started):
        main(["serve", "--port", str(_free_port())])
    assert started in (["uvicorn.run"], ["os.execv"])  # re-started when xlwings came first


# 3. serve's flags, given twice


@needs_server
@pytest.mark.parametrize(
    "twice",
    [
        ["--port", "8799", "--port", "8798"],
        ["--host", "127.0.0.1", "--host", "0.0.0.0"],
        ["--public-url", "https://a.example", "--public-url", "https://b.example"],
        ["--ssl-keyfile", "a.pem", "--ssl-keyfile", "b.pem"],
        ["--ssl-certfile", "a.pem", "--ssl-certfile", "b.pem"],
        ["--workers", "2", "--workers", "3"],
        ["--max-body-bytes", "1000", "--max-body-bytes", "2000"],
        ["--body-timeout", "5", "--body-timeout", "6"],
        ["--max-cells", "10", "--max-cells", "20"],
    ],
)
def test_serve_refuses_a_flag_given_twice(capsys, started, twice):
    err = refused(capsys, ["serve", *twice])
    assert f"argument {twice[0]}: given twice" in err and started == []


def test_the_same_value_twice_is_harmless(capsys):
    assert main(["gpus", "--format", "csv", "--format", "csv"]) == 0
    capsys.readouterr()


# 4. unknown and abbreviated flags


def test_a_misspelt_flag_gets_a_suggestion_and_the_subcommands_help(capsys):
    err = refused(capsys, ["estimate", "--utilisation", "0.4"])
    assert err == (
        "xlplugin estimate: error: unrecognized arguments: --utilisation 0.4 "
        "(did you mean --utilization?) (see xlplugin estimate --help)\n"
    )


@pytest.mark.parametrize("argv", [["estimate", "x" * 100_000], ["-" + "y" * 100_000]])
def test_an_unknown_argument_is_shown_cut_short(capsys, argv):
    """A 100 KB argument made a 100 KB error line; it is cut as formulas cuts a value."""
    err = refused(capsys, argv)
    assert err.count("\n") == 1 and len(err) < 200, err[:300]
    assert f"unrecognized arguments: {argv[-1][:57]}... " in err, err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["estimate", "--ttft", "3"], "--ttft 3 (did you mean --ttft-target-seconds? flags"),
        (["estimate", "--head", "5"], "--head could match --headroom, --head-dim"),
        (["build", "--scen", "s.csv"], "(did you mean --scenarios? flags are not abbreviated)"),
        (["serve", "--po", "8000"], "(did you mean --port? flags are not abbreviated)"),
        (["lite", "--ur", "x"], "(did you mean --url? flags are not abbreviated)"),
        (["gpus", "--form=csv"], "(did you mean --format? flags are not abbreviated)"),
    ],
)
def test_an_abbreviated_flag_is_refused(tmp_path, monkeypatch, capsys, started, argv, says):
    monkeypatch.chdir(tmp_path)  # was taken: nothing may be written here
    err = refused(capsys, argv)
    assert says in err and f"(see xlplugin {argv[0]} --help)" in err, err
    assert list(tmp_path.iterdir()) == [] and started == []


def test_an_unknown_flag_like_none_gets_no_suggestion(capsys):
    err = refused(capsys, ["estimate", "--zzzz"])
    assert "did you mean" not in err and "(see xlplugin estimate --help)" in err


# 5. build writing over its own scenario file


@pytest.fixture
def scenario_book(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    book = openpyxl.Workbook()
    for row in (["scenario", "dau"], ["Mine", 5e6]):
        book.active.append(row)
    book.save(tmp_path / "s.xlsx")
    return tmp_path / "s.xlsx"


@pytest.mark.parametrize(
    "output", ["s.xlsx", "./s.xlsx", "ABSOLUTE", "hard.xlsx", "soft.xlsx", "sub/../s.xlsx"]
)
@pytest.mark.parametrize("force", [[], ["--force"]])
def test_build_refuses_to_write_over_its_scenario_file(scenario_book, capsys, output, force):
    folder = scenario_book.parent
    (folder / "sub").mkdir()
    os.link(scenario_book, folder / "hard.xlsx")
    (folder / "soft.xlsx").symlink_to(scenario_book)
    output = str(scenario_book) if output == "ABSOLUTE" else output
    before = scenario_book.read_bytes()
    err = refused(capsys, ["build", "-o", output, "--scenarios", "s.xlsx", *force])
    assert err.startswith("xlplugin: error: --output: got ") and "the scenario file" in err, err
    assert "(--scenarios 's.xlsx')" in err
    assert scenario_book.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["hard.xlsx", "s.xlsx", "soft.xlsx", "sub"]


def test_build_from_a_scenario_file_to_another_path_still_works(scenario_book, capsys):
    assert main(["build", "-o", "out.xlsx", "--scenarios", "s.xlsx"]) == 0
    assert capsys.readouterr().out == "wrote out.xlsx (1 scenario, native variant)\n"


def test_an_unknown_flag_before_the_command_is_named_not_a_missing_command(capsys):
    err = refused(capsys, ["--hlep"])
    assert "unrecognized arguments: --hlep (did you mean --help?)" in err


@needs_server
def test_serve_names_the_host_when_the_address_cannot_be_bound(capsys, started, monkeypatch):
    """EINVAL (a link-local IPv6 address without its %scope) is the host's, not the port's."""
    import errno
    import socket

    def invalid(self, address):
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(socket.socket, "bind", invalid)
    err = refused(capsys, ["serve", "--host", "127.0.0.1", "--port", "18752"])
    assert "--host: got '127.0.0.1', which this machine cannot listen on" in err
    assert started == []


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--tpot-target-seconds", "10m"], "(did you mean 10ms or 600s?)"),
        (["--modality", "speech", "--audio-seconds", "2m"], "(did you mean 2ms or 120s?)"),
        (["--gpu", "312"], "(did you mean 312T?)"),
        (["--params", "8.1"], "write 8.1E9)"),
    ],
)
def test_a_unit_slip_on_the_command_line_gets_what_to_write(capsys, argv, says):
    assert refused(capsys, ["estimate", *argv]).rstrip().endswith(says)


def test_times_read_seconds_and_milliseconds_on_the_command_line(capsys):
    assert main(["estimate", "--modality", "speech", "--audio-seconds", "30000ms"]) == 0
    with_ms = capsys.readouterr().out
    assert main(["estimate", "--modality", "speech", "--audio-seconds", "30"]) == 0
    assert capsys.readouterr().out == with_ms


def test_a_choice_is_read_in_any_ascii_case(capsys):
    """``--format JSON`` is ``--format json``, as Excel reads names; a look-alike letter is
    not (a long ſ is no s)."""
    assert main(["estimate", "--format", "JSON", "--compact"]) == 0
    upper = capsys.readouterr().out
    assert main(["estimate", "--format", "json", "--compact"]) == 0
    assert capsys.readouterr().out == upper
    assert "--format: invalid choice: 'jſon'" in refused(capsys, ["estimate", "--format", "JſON"])


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--dau", "0.4"], "Estimate for 0.4 daily users"),
        (["--dau", "1e-300"], "Estimate for 1e-300 daily users"),
        (["--utilization", "1e-300"], "Estimate for 100,000,000 daily users"),
        (["--gpu-hourly-usd", "1e300"], "Estimate for 100,000,000 daily users"),
    ],
)
def test_a_small_user_count_is_printed_as_given_and_figures_stay_one_short_line(capsys, argv, says):
    """Accepted inputs are printed as they are (0.4 users, not 0), and a cost or a GPU count
    that grows past any budget is written with an exponent, not in 300 digits."""
    assert main(["estimate", *argv]) == 0
    out = capsys.readouterr().out
    assert out.startswith(says)
    assert max(len(line) for line in out.splitlines()) < 100
