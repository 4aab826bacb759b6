"""``xlplugin build``: write the template workbook, optionally from a scenario file.

Nothing is lost: the workbook is written to a temporary file beside the destination
and renamed into place (:func:`os.replace`), so an interrupted build leaves the old
file as it was; and a workbook edited since it was built (its content no longer
matches the fingerprint stored at build time) is only overwritten with ``--force``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from xlplugin.formulas.errors import EstimateError
from xlplugin.options import Once, choice, culture_option

from ..scenario_file import read_scenarios
from . import atomic
from .build import (
    FINGERPRINT_PROPERTY,
    PARTS_PROPERTY,
    VARIANTS,
    build_workbook,
    stored_fingerprints,
    untouched_parts,
)

__all__ = [
    "DEFAULT_OUTPUT",
    "BuildError",
    "add_parser",
    "check_overwrite",
    "run",
    "write_atomically",
]

DEFAULT_OUTPUT = "xlplugin-template.xlsx"


class BuildError(EstimateError):
    """The destination cannot be written (one line, naming the file)."""


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``xlplugin build`` on the CLI's subparsers."""
    parser = subparsers.add_parser(
        "build",
        help="write the template workbook (.xlsx)",
        description="Write the template workbook. An existing workbook is replaced only if "
        "it is an untouched earlier build (or with --force); the write is atomic.",
    )
    parser.add_argument(
        "-o",
        "--output",
        action=Once,
        metavar="PATH",
        default=DEFAULT_OUTPUT,
        help=f"where to write the .xlsx (default: ./{DEFAULT_OUTPUT})",
    )
    parser.add_argument(
        "--scenarios",
        action=Once,
        metavar="FILE",
        help="CSV (UTF-8) or .xlsx file, one scenario per row: a header of "
        "input names and an optional 'scenario' name column",
    )
    parser.add_argument(
        "--variant",
        action=Once,
        type=choice,
        choices=VARIANTS,
        default="native",
        help="native: Excel formulas only; plugin: outputs call the "
        "xlplugin functions (default: native)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="overwrite a workbook even if it was edited or saved again since it was built",
    )
    culture_option(parser)
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Build the workbook named by ``args``; errors are :class:`EstimateError` (exit 2)."""
    _given(args.output, "--output", "a path ending in .xlsx")
    _given(args.scenarios, "--scenarios", "a .csv or .xlsx scenario file")
    target = _destination(Path(args.output))
    if args.scenarios is not None:
        _not_the_scenario_file(target, Path(args.scenarios))
    check_overwrite(target, force=args.force)
    scenarios = (
        None if args.scenarios is None else read_scenarios(_scenario_file(Path(args.scenarios)))
    )
    try:  # atomic: the old file stays whole until the new one replaces it
        build_workbook(target, scenarios, variant=args.variant)
    except OSError as error:
        raise BuildError(
            f"{_path(target)[1:-1]}: cannot write: {error.strerror or error}"
        ) from None
    if scenarios is None:
        count = "the default scenarios"
    else:
        count = f"{len(scenarios):,} scenario{'' if len(scenarios) == 1 else 's'}"
    print(f"wrote {target} ({count}, {args.variant} variant)")
    return 0


def _given(value: str | None, flag: str, accepts: str) -> None:
    """Refuse an empty value (``--scenarios ''``, a shell variable that is not set) rather
    than take it for the flag left out."""
    if value is not None and not value.strip():
        raise BuildError(f"{flag}: got an empty value; accepts {accepts}")


def _not_the_scenario_file(target: Path, scenarios: Path) -> None:
    """Refuse to write the workbook over the scenario file it is built from, --force or
    not: the file would be read, then replaced by the template (``-o s.xlsx --scenarios
    s.xlsx``, or the same file by another name: a link, ``./s.xlsx``)."""
    try:
        same = target.resolve() == scenarios.resolve() or (
            target.exists() and scenarios.exists() and os.path.samefile(target, scenarios)
        )
    except (OSError, RuntimeError):  # a symlink loop, say: the read or the write says so
        same = False
    if same:
        raise BuildError(
            f"--output: got {str(target)!r}, the scenario file (--scenarios {str(scenarios)!r}); "
            "accepts another path: the build would replace the scenarios with the template"
        )


def _destination(target: Path) -> Path:
    got = f"--output: got {_path(target)}"
    if target.suffix.lower() != ".xlsx":
        raise BuildError(f"{got}; accepts a path ending in .xlsx")
    try:
        folder, parent = target.is_dir(), target.parent.is_dir()
    except OSError as error:  # a name too long for the file system, say
        raise BuildError(
            f"{got}; accepts a path this system can write ({error.strerror or error})"
        ) from None
    if folder:
        raise BuildError(f"{got}, a folder; accepts a file path ending in .xlsx")
    if not parent:
        raise BuildError(
            f"{got}; accepts a path in a folder that exists ({_path(target.parent)} does not)"
        )
    return target


def _scenario_file(path: Path) -> Path:
    try:
        found = path.exists()
    except OSError:
        found = False
    if not found:
        raise BuildError(
            f"--scenarios: got {_path(path)}; accepts a .csv or .xlsx scenario file that exists"
        )
    return path


def _path(path: Path, most: int = 80) -> str:
    """A path as a message shows it: quoted, escaped, cut in the middle where long."""
    text = repr(str(path))
    return text if len(text) <= most else f"{text[: most - 30]}...{text[-27:]}"


EDITED = "was edited or saved again since it was built"
_BUILD_PROPERTIES = {FINGERPRINT_PROPERTY, PARTS_PROPERTY}  # the custom properties it writes


def check_overwrite(target: Path, *, force: bool = False) -> None:
    """Refuse to replace a workbook a user may have changed, unless ``force``.

    A workbook may be replaced when every part of it is as the build wrote it (the parts'
    CRC-32s stored at build time) and its custom properties are the build's own. Anything
    else -- edited or saved again, no stored fingerprint, not readable as a workbook --
    needs ``force``.
    """
    if force or not (target.exists() or target.is_symlink()):
        return
    reason = _edited(target)
    if reason:
        raise BuildError(f"{target}: {reason}; use --force to overwrite")


def _edited(target: Path) -> str | None:
    """Why ``target`` must not be overwritten silently (None: an untouched build)."""
    if not target.is_file():  # a FIFO would block the read, a device (/dev/zero) never end
        return "is not a regular file"
    try:
        stored = stored_fingerprints(target)
        if stored.get(FINGERPRINT_PROPERTY) is None:
            return "was not built by xlplugin (no build fingerprint)"
        # Every part as the build wrote it, and its properties only the build's: notes,
        # fills, formats, widths, hidden sheets, validations and properties live beside the
        # cells, so equal cells would not prove it unedited. (A build that recorded no
        # parts, before 2026-11-29, is kept too: --force replaces it once.)
        if set(stored) != _BUILD_PROPERTIES or not untouched_parts(
            target, stored.get(PARTS_PROPERTY) or None
        ):
            return EDITED
    except Exception:  # any file at all may sit there: unreadable means "keep it"
        return "cannot be read as an xlplugin workbook"
    return None


def write_atomically(target: Path, write) -> Path:
    """Call ``write(temporary_path)`` and rename the result onto ``target``.

    The temporary file (``.NAME.xlsx.*.tmp``) sits in the destination folder (same file
    system, so the rename is atomic), is locked while it is written and removed if
    ``write`` fails or is interrupted; one left by a killed process is removed by the next
    write (:mod:`.atomic`). An OS error is a :class:`BuildError` naming ``target``.
    """
    target = Path(target)
    try:
        with atomic.replacing(target) as temporary:
            write(temporary)
    except OSError as error:
        raise BuildError(
            f"{_path(target)[1:-1]}: cannot write: {error.strerror or error}"
        ) from None
    return target
