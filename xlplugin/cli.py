"""The ``xlplugin`` command line: estimate, catalogue, workbooks and the function server."""

from __future__ import annotations

import argparse
import contextlib
import csv
import difflib
import errno
import io
import json
import math
import os
import re
import signal
import sys

try:  # numpy and pandas take about half a second to load: Ctrl-C then is a stop too
    from xlplugin import formulas
    from xlplugin.formulas import catalog, units
    from xlplugin.formulas.errors import _clip
    from xlplugin.formulas.vocabulary import INPUT, INPUTS, OUTPUT, OUTPUTS
    from xlplugin.options import Once, choice, culture_option
except KeyboardInterrupt:
    print("xlplugin: interrupted", file=sys.stderr)
    raise SystemExit(128 + signal.SIGINT) from None

__all__ = ["main"]

_SECTIONS = tuple(dict.fromkeys(q.section for q in OUTPUTS))  # in listing order
_LABEL_WIDTH = max(len(q.label) for q in OUTPUTS)  # the longest label sets the column


_SUFFIXES = (
    "inputs (counts take K, M, B or G, T; sizes KB, MB, GB, TB, PB, decimal; fractions "
    "take %, e.g. 20%)"
)


# The vocabulary says what an empty cell takes; on the command line, the flag is left out
# (an empty value is refused: a shell variable that is not set).
_EMPTY = re.compile(r"\bempty( takes| uses|:)")
_LEFT_OUT = {" takes": "left out, it takes", " uses": "left out, it uses", ":": "left out:"}


def _flag_text(description: str) -> str:
    return _EMPTY.sub(lambda found: _LEFT_OUT[found.group(1)], description)


def _add_inputs(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(_SUFFIXES)
    for q in INPUTS:
        group.add_argument(
            f"--{q.name.replace('_', '-')}",
            dest=q.name,
            metavar=q.unit.upper(),
            action=Once,
            help=f"{_flag_text(q.description)} [{q.unit}] (default: {q.default_text})".replace(
                "%", "%%"
            ),
        )
    group.add_argument(
        "--model",
        action=Once,
        help=f"model preset: sets {', '.join(catalog.PRESET_INPUTS)} (flags given too win; "
        f"{', '.join(catalog.model_names())})",
    )


def _inputs(args: argparse.Namespace) -> dict:
    """The inputs given as flags; an empty value (``--dau ''``, a shell variable that is not
    set, ``--dau=--``, whose ``--`` argparse drops) is refused rather than taken for the
    default."""
    for flag, accepts in _ACCEPTS.items():
        value = getattr(args, flag)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            default = "no preset" if flag == "model" else f"the default: {INPUT[flag].default_text}"
            raise formulas.EstimateError(
                f"--{flag.replace('_', '-')}: got an empty value; accepts {accepts} "
                f"(leave the flag out for {default})"
            )
    inputs = {}
    if args.model:
        inputs.update(formulas.model_preset(args.model))
    inputs.update(
        {q.name: getattr(args, q.name) for q in INPUTS if getattr(args, q.name) is not None}
    )
    return inputs


_ACCEPTS = {q.name: q.accepts for q in INPUTS} | {"model": "a model preset name"}


def _plain(value: object) -> object:
    """A value as JSON and CSV carry it: a whole number as an integer, an unknown figure
    (the memory of a GPU given as FLOP/s: NaN) as null, which JSON has and NaN is not."""
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
    return value


# Past any real fleet, rate or user count a figure is written with an exponent, not in up
# to 300 digits (format_quantity does the same for costs).
_WRITTEN_OUT_BELOW = 1e15


def _person(name: str, value: float) -> str:
    unit = OUTPUT[name].unit
    base, _, per = unit.partition("/")
    if base in ("B", "bit") or unit == "s":
        text = formulas.format_quantity(value, "bit/s" if base == "bit" else base)
        return text + (f"/{per}" if per and base == "B" else "")
    if base == "USD":
        return formulas.format_quantity(value, "USD") + (f" /{per}" if per else "")
    if abs(value) >= _WRITTEN_OUT_BELOW:
        return f"{value:.4g} {unit}"
    if float(value).is_integer():
        if value == 1 and "/" not in unit and unit.endswith("s"):
            unit = unit[:-1]  # "1 GPU", "1 request"
        return f"{value:,.0f} {unit}"
    return f"{value:,.2f} {unit}" if abs(value) >= 100 else f"{value:.4g} {unit}"


def _users(dau: float) -> str:
    """A user count as a person reads it: 100,000,000; 0.4 (not 0); 1e-300 (not 0)."""
    whole = dau >= 1000 or float(dau).is_integer()
    return f"{dau:,.0f}" if whole and dau < _WRITTEN_OUT_BELOW else f"{dau:.4g}"


def _text(result: dict) -> str:
    precision = formulas.catalog.canonical_precision(result["precision"])
    gpu = f"{result['gpu_flops']:.4g} FLOP/s"  # a GPU given as its FLOP/s
    with contextlib.suppress(formulas.EstimateError):  # else the catalogue's name, as typed
        gpu = formulas.catalog.canonical_gpu(result["gpu"])  # in any spelling ("h100 sxm")
    lines = [
        f"Estimate for {_users(result['dau'])} daily users x {result['requests_per_user']:g} "
        f"requests, {result['params'] / 1e9:.4g}B parameters ({precision}) on {gpu}",
        f"Each request: {_shape(result)}; "
        f"{formulas.format_quantity(result['request_bytes'], 'B')} in, "
        f"{formulas.format_quantity(result['response_bytes'], 'B')} out, "
        f"{formulas.format_quantity(result['stored_bytes_per_request'], 'B')} stored",
        f"Inference model: {result['inference_model']}",
    ]
    unknown = [
        what
        for name, what in (
            ("gpu_memory_bytes", "memory (the weights taken to fit one GPU)"),
            ("gpu_memory_bandwidth", "memory bandwidth (reading the weights takes no time)"),
        )
        if result[name] is None
    ]
    if unknown:  # a GPU given as FLOP/s: said, since the numbers are the better for it
        lines.append(
            f"Unknown for this GPU: {' and '.join(unknown)}; give --gpu-memory-bytes and "
            "--gpu-memory-bandwidth"
        )
    for section in _SECTIONS:
        lines.append(f"\n{section}")
        for q in OUTPUTS:
            if q.section == section:
                lines.append(f"  {q.label:<{_LABEL_WIDTH}} {_person(q.name, result[q.name]):>22}")
    return "\n".join(lines)


def _estimate(args: argparse.Namespace) -> int:
    result = {k: _plain(v) for k, v in formulas.estimate(**_inputs(args)).items()}
    if args.format == "json":
        print(json.dumps(result, indent=None if args.compact else 2))
    elif args.format == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(result), lineterminator="\n")
        writer.writeheader()
        writer.writerow(result)
        print(buffer.getvalue(), end="")
    else:
        print(_text(result))
    return 0


def _gpus(args: argparse.Namespace) -> int:
    table = catalog.gpus()
    if args.format == "json":
        records = table.to_dict(orient="records")  # every column of the CSV, aliases too
        clean = [
            {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()}
            for r in records
        ]
        print(json.dumps(clean, indent=2))
        return 0
    if args.format == "csv":
        print(table.to_csv(index=False), end="")
        return 0
    print(
        f"{'gpu':<12} {'FP16 TFLOPS':>11} {'FP8 TFLOPS':>10} {'memory GB':>9} "
        f"{'USD/GPU-h':>9}  price as of"
    )
    for _, row in table.iterrows():
        fp8 = "-" if math.isnan(row["fp8_flops"]) else f"{row['fp8_flops'] / 1e12:,.0f}"
        price = "-" if math.isnan(row["hourly_usd"]) else f"{row['hourly_usd']:.3f}"
        print(
            f"{row['name']:<12} {row['fp16_flops'] / 1e12:>11,.1f} {fp8:>10} "
            f"{row['memory_bytes'] / 1e9:>9,.1f} {price:>9}  {_text_or_dash(row['price_as_of'])}"
        )
    return 0


def _shape(result: dict) -> str:
    """The request as the inference model sees it."""
    if result["inference_model"] == "flops":
        return f"{result['steps']:g} steps (seed formula)"
    if result["modality"] == "image":
        return (
            f"{result['image_width']:g} x {result['image_height']:g} image, "
            f"{result['steps']:g} steps x {result['guidance_passes']:g} passes"
        )
    if result["modality"] == "speech":
        return f"{result['audio_seconds']:g} s of audio, {result['output_tokens']:g} tokens out"
    return f"{result['input_tokens']:g} tokens in, {result['output_tokens']:g} tokens out"


def _text_or_dash(value: object) -> str:
    return "-" if isinstance(value, float) and math.isnan(value) else str(value)


def vocabulary_markdown() -> str:
    """The vocabulary as the README's Markdown tables: inputs, outputs, Excel functions."""
    lines = ["| input | unit | default | what it is | default's source |", "|---|---|---|---|---|"]
    for q in INPUTS:
        lines.append(f"| `{q.name}` | {q.unit} | {q.default_text} | {q.description} | {q.source} |")
    lines += ["", "| output | unit | section | how it is computed |", "|---|---|---|---|"]
    lines += [f"| `{q.name}` | {q.unit} | {q.section} | {q.description} |" for q in OUTPUTS]
    lines += ["", "| Excel function | arguments, in order (required ones in bold) |", "|---|---|"]
    for q in OUTPUTS:
        arguments = ", ".join(
            f"**{a}**" if INPUT[a].required else a for a in formulas.graph.depends_on(q.name)
        )
        lines.append(f"| `{q.name.upper()}` | {arguments} |")
    return "\n".join(lines)


def _vocabulary(args: argparse.Namespace) -> int:
    if args.format == "markdown":
        print(vocabulary_markdown())
        return 0
    rows = [
        {
            "name": q.name,
            "kind": "input",
            "unit": q.unit,
            "default": q.default,
            "description": q.description,
            "source": q.source,  # the default's, as the Markdown tables give it
        }
        for q in INPUTS
    ]
    rows += [
        {
            "name": q.name,
            "kind": "output",
            "unit": q.unit,
            "default": None,
            "description": q.description,
            "section": q.section,
        }
        for q in OUTPUTS
    ]
    print(json.dumps(rows, indent=2))
    return 0


class OneLineParser(argparse.ArgumentParser):
    """argparse with its errors on one line (no usage block), status 2, as every other
    error of the command line; its subcommands' parsers are of this class too.

    A flag is taken only in full: argparse's abbreviations would read ``--ttft`` as
    ``--ttft-target-seconds`` today and refuse it as ambiguous once another flag shares the
    prefix, so a script that worked breaks with a release."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def parse_known_args(self, args=None, namespace=None):
        # Refused here, by the subcommand that was given them, not by the top parser (which
        # would know neither its flags nor its --help); nothing calls this for leftovers.
        namespace, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {_clipped(extras)}{_suggestion(self, extras)}")
        return namespace, extras

    def error(self, message: str):
        if "expected one argument" in message:  # "--dau -1e5": argparse takes it for a flag
            flag = message.split()[1].split("/")[0].rstrip(":")
            message += f" (a value starting with '-' goes with '=': {flag}=-5)"
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


_FLAG = re.compile(r"--?[A-Za-z][\w-]*")


def _clipped(arguments: list[str]) -> str:
    """The arguments as an error line shows them, each cut as formulas' messages cut a
    value (a 100 KB argument made a 100 KB line)."""
    return " ".join(_clip(a) for a in arguments)


def _suggestion(parser: argparse.ArgumentParser, extras: list[str]) -> str:
    """`` (did you mean --utilization?)`` for the first unknown flag like one of the parser's
    (a prefix of some of them: those, in full), else nothing."""
    # The flags as --help lists them (argparse keeps its actions private)
    known = list(dict.fromkeys(re.findall(r"(?<![\w-])--[A-Za-z][\w-]*", parser.format_help())))
    for given in extras:
        flag = given.split("=", 1)[0]
        if not _FLAG.fullmatch(flag):  # a value (0.4), not a flag
            continue
        prefixed = [k for k in known if k.startswith(flag)]
        if len(prefixed) > 1:
            return f" ({flag} could match {', '.join(prefixed)}: give one in full)"
        if prefixed:
            return f" (did you mean {prefixed[0]}? flags are not abbreviated)"
        if close := difflib.get_close_matches(flag, known, n=3, cutoff=0.6):
            return f" (did you mean {', '.join(close)}?)"
    return ""


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="xlplugin",
        description="Storage, inference, bandwidth and cost of a generative-AI service.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    est = sub.add_parser("estimate", help="print the estimate (defaults: the seed document)")
    est.add_argument(
        "--format",
        action=Once,
        type=choice,
        choices=("text", "json", "csv"),
        default="text",
        help="text for people (default); json: one object, every input as used and every "
        "output by vocabulary name, in base units; csv: the same as one header and one row",
    )
    est.add_argument("--compact", action="store_true", help="JSON on one line")
    _add_inputs(est)
    culture_option(est)
    est.set_defaults(run=_estimate)
    gpus = sub.add_parser("gpus", help="list the GPU catalogue")
    gpus.add_argument(
        "--format", action=Once, type=choice, choices=("text", "json", "csv"), default="text"
    )
    gpus.set_defaults(run=_gpus)
    vocab = sub.add_parser("vocabulary", help="list every input and output with its unit")
    vocab.add_argument(
        "--format", action=Once, type=choice, choices=("markdown", "json"), default="markdown"
    )
    vocab.set_defaults(run=_vocabulary)
    for module in _extensions():
        module.add_parser(sub)
    return parser


def _extensions() -> list:
    """Subcommands that live beside what they run (workbook builder, function server)."""
    import importlib

    found = []
    for name in ("xlplugin.workbook.command", "xlplugin.serve"):
        try:
            found.append(importlib.import_module(name))
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
    return found


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, a CI runner's time-out, systemd stopping a unit), raised where the
    process is, so that what it was writing is removed on the way out as after Ctrl-C."""


def _terminate(signum, frame):
    raise Terminated


@contextlib.contextmanager
def _stopping_on_sigterm():
    """SIGTERM raises :class:`Terminated` while a command runs (main thread only; a server
    installs its own handlers over this one)."""
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread: leave signals to whoever owns it
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; bad input prints one line and exits with status 2."""
    hook = sys.unraisablehook
    try:
        return _main(argv)
    finally:  # by now what the stop interrupted has been torn down
        sys.unraisablehook = hook


def _quiet(unraisable) -> None:
    """After a stop, an object interrupted half-built (a zip file's writer, say) may fail
    again as it is collected; the stop has been reported in one line and that is all."""


def _main(argv: list[str] | None) -> int:
    # A console that cannot write a character (cp1252, "C" without UTF-8) shows an escape
    # for it, not a traceback: 10⁹ and × are in the help and the vocabulary.
    with contextlib.suppress(AttributeError, ValueError):
        sys.stdout.reconfigure(errors="backslashreplace")
    parser = _parser()
    given = sys.argv[1:] if argv is None else argv
    first = given[0].split("=", 1)[0] if given else ""
    if first.startswith("-") and first not in ("-h", "--help"):
        # argparse would answer "the following arguments are required: command"
        parser.error(
            f"unrecognized arguments: {_clipped(given[:1])}{_suggestion(parser, given[:1])}"
        )
    args = parser.parse_args(argv)
    try:
        with (
            _stopping_on_sigterm(),
            units.reading_culture(getattr(args, "culture", None)),
            _guarded_stdout(),
        ):
            return args.run(args)
    except _OutputFailed as failed:  # not bad input: the answer had nowhere to go
        fd = 1 if sys.stdout is None else sys.stdout.fileno()
        os.dup2(os.open(os.devnull, os.O_WRONLY), fd)  # nor at exit
        if isinstance(failed.error, BrokenPipeError):  # the reader left early (| head)
            return 0
        _say(f"xlplugin: error: cannot write to standard output: {failed.error.strerror}")
        return OUTPUT_FAILED
    except (formulas.EstimateError, OSError) as error:
        _say(f"xlplugin: error: {_one_line(error)}")
        return 2
    except Terminated:
        print("xlplugin: terminated", file=sys.stderr)
        sys.unraisablehook = _quiet
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:  # Ctrl-C: what was being written is removed on the way out
        print("xlplugin: interrupted", file=sys.stderr)
        sys.unraisablehook = _quiet
        return 130


OUTPUT_FAILED = 74  # sysexits.h EX_IOERR: the input was fine, writing the answer failed


class _OutputFailed(Exception):
    """Standard output refused what was written to it (``error``, the OSError)."""

    def __init__(self, error: OSError):
        super().__init__(str(error))
        self.error = error


class _Stdout:
    """Standard output whose failures say that they are its own: an OSError from a file the
    command reads is bad input (status 2); one from writing the answer is not."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        if self._stream is None:  # started with standard output closed (>&-)
            raise _OutputFailed(OSError(errno.EBADF, os.strerror(errno.EBADF)))
        try:
            return self._stream.write(text)
        except OSError as error:
            raise _OutputFailed(error) from error

    def flush(self) -> None:
        if self._stream is None:
            return
        try:
            self._stream.flush()
        except OSError as error:
            raise _OutputFailed(error) from error

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


@contextlib.contextmanager
def _guarded_stdout():
    stream = sys.stdout
    sys.stdout = _Stdout(stream)
    try:
        yield
        sys.stdout.flush()  # what is still buffered fails here, not after the status
    finally:
        sys.stdout = stream


def _say(line: str) -> None:
    """One line on standard error, which may be unwritable too: the status still tells."""
    with contextlib.suppress(OSError):
        print(line, file=sys.stderr, flush=True)


def _one_line(error: Exception) -> str:
    """An error's message on one line: a file name may hold a line break."""
    return str(error).replace("\r", "\\r").replace("\n", "\\n")


if __name__ == "__main__":
    sys.exit(main())
