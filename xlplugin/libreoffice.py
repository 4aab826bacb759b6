"""Drive LibreOffice headless as a real spreadsheet engine.

Every call starts its own ``soffice`` with a fresh, throw-away user profile, so
concurrent calls never hand their work to one another's running instance, and so
the settings we rely on never depend on whoever used LibreOffice on this machine
before. The profile is seeded to recalculate every formula on load: LibreOffice's
default for xlsx and ods is to trust the cached values (LibreOffice 7.4 does so
even when the workbook sets ``fullCalcOnLoad``, as openpyxl's do), which would
turn a parity test into a test that reads back what we wrote.

Errors are :class:`LibreOfficeError` (a :class:`RuntimeError`); each message is one
line naming the file and what went wrong, with the tail of soffice's output.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import uuid
from pathlib import Path

__all__ = [
    "ConversionError",
    "ConversionTimeoutError",
    "LibreOfficeError",
    "SofficeNotFoundError",
    "convert",
    "find_soffice",
    "recalculate",
    "recalculate_many",
    "to_pdf",
    "write_profile",
]

_CANDIDATES = ("soffice", "libreoffice")
_FALLBACK_PATHS = ("/usr/bin/soffice", "/usr/lib/libreoffice/program/soffice")
_TAIL_CHARS = 400
# Printed by every run on a machine without Java; it says nothing about the file.
_NOISE = "Warning: failed to launch javaldx"

# 0 = always recalculate on load, 1 = never (LibreOffice's default), 2 = ask.
_RECALC_MODE = {True: 0, False: 1}
_REGISTRY = """\
<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" \
xmlns:xs="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
{items}</oor:items>
"""
_ITEM = """<item oor:path="/org.openoffice.Office.Calc/Formula/Load">\
<prop oor:name="{name}" oor:op="fuse"><value>{value}</value></prop></item>
"""


class LibreOfficeError(RuntimeError):
    """Base class of every failure of the LibreOffice engine."""


class SofficeNotFoundError(LibreOfficeError):
    """No ``soffice`` executable could be found."""


class ConversionError(LibreOfficeError):
    """``soffice`` failed, exited non-zero, or produced no output file."""


class ConversionTimeoutError(ConversionError):
    """``soffice`` did not finish within the time allowed."""


def find_soffice() -> str | None:
    """Locate the LibreOffice executable.

    Returns
    -------
    str or None
        Path of ``soffice`` (or ``libreoffice``), or None when none is installed.
    """
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    for candidate in _FALLBACK_PATHS:
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def write_profile(profile_dir: str | os.PathLike[str], recalc: bool | None = True) -> None:
    """Seed a LibreOffice user profile so Calc recalculates every formula on load.

    Parameters
    ----------
    profile_dir : path-like
        The folder given to soffice as ``-env:UserInstallation``; the settings go
        to ``<profile_dir>/user/registrymodifications.xcu``.
    recalc : bool or None, default True
        True: recalculate every formula on load; False: never (keep the cached values);
        None: LibreOffice's own default, as a user who never changed it has.
    """
    user_dir = Path(profile_dir) / "user"
    user_dir.mkdir(parents=True, exist_ok=True)
    items = ""
    if recalc is not None:
        mode = _RECALC_MODE[bool(recalc)]
        items = "".join(
            _ITEM.format(name=name, value=mode) for name in ("OOXMLRecalcMode", "ODFRecalcMode")
        )
    text = _REGISTRY.format(items=items)
    (user_dir / "registrymodifications.xcu").write_text(text, encoding="utf-8")


def convert(
    path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    fmt: str,
    *,
    timeout: float = 180,
    recalc: bool | None = True,
) -> Path:
    """Convert a document with LibreOffice, recalculating its formulas on load.

    Parameters
    ----------
    path : path-like
        The document to convert. LibreOffice works on a private copy, so the
        file is only replaced when the output lands on its very name.
    out_dir : path-like
        Folder for the result, created if missing. It may be the input's
        folder; an existing file of the output's name is replaced atomically.
    fmt : str
        Target given to ``--convert-to``: an extension such as ``"xlsx"``,
        ``"pdf"`` or ``"csv"``, optionally followed by ``:filter`` and options.
    timeout : float, default 180
        Seconds to wait before the soffice process group is killed.
    recalc : bool or None, default True
        Recalculate every formula on load (True), never (False), or as LibreOffice does
        by default (None): see :func:`write_profile`.

    Returns
    -------
    pathlib.Path
        The converted file, ``out_dir / (stem + "." + extension)``.

    Raises
    ------
    FileNotFoundError
        If ``path`` is not an existing file.
    SofficeNotFoundError
        If LibreOffice is not installed.
    ConversionError
        If soffice exits non-zero, or writes no output file.
    ConversionTimeoutError
        If soffice runs longer than ``timeout``.
    """
    return _convert_all([path], out_dir, fmt, timeout, recalc)[0]


def recalculate(
    path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    timeout: float = 180,
) -> Path:
    """Open a workbook in LibreOffice, recalculate every formula, save it as xlsx.

    Parameters
    ----------
    path : path-like
        The workbook (xlsx, ods, ...).
    out_dir : path-like
        Folder for the recalculated ``<stem>.xlsx``; the input's own folder
        is allowed, and then an xlsx input is replaced by its recalculation.
    timeout : float, default 180
        Seconds to wait before the soffice process group is killed.

    Returns
    -------
    pathlib.Path
        The recalculated workbook; read it with ``openpyxl.load_workbook(...,
        data_only=True)`` to get LibreOffice's values.

    Raises
    ------
    FileNotFoundError, SofficeNotFoundError, ConversionError, ConversionTimeoutError
        As for :func:`convert`.
    """
    return convert(path, out_dir, "xlsx", timeout=timeout)


def recalculate_many(
    paths: list[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    timeout: float = 600,
) -> list[Path]:
    """:func:`recalculate` several workbooks in one soffice run (one start-up, ~1 s, in all).

    Parameters
    ----------
    paths : list of path-like
        The workbooks; their names (without extension) must differ.
    out_dir : path-like
        Folder for the recalculated ``<stem>.xlsx`` files.
    timeout : float, default 600
        Seconds to wait for the whole batch before the soffice process group is killed.

    Returns
    -------
    list of pathlib.Path
        The recalculated workbooks, in the order of ``paths``.

    Raises
    ------
    ValueError
        If two paths share a name.
    FileNotFoundError, SofficeNotFoundError, ConversionError, ConversionTimeoutError
        As for :func:`convert`; a file soffice did not write is a ConversionError.
    """
    return _convert_all(paths, out_dir, "xlsx", timeout)


def _convert_all(paths, out_dir, fmt: str, timeout: float, recalc=True) -> list[Path]:
    """Convert files in one soffice run, with a private, recalculating profile."""
    sources = [Path(p).resolve() for p in paths]
    if not sources:
        return []
    stems = [s.stem for s in sources]
    if len(set(stems)) != len(stems):
        raise ValueError(f"paths: got names that repeat; accepts distinct names ({stems})")
    for source in sources:
        if not source.is_file():
            raise FileNotFoundError(f"{source}: no such file to convert")
    soffice = find_soffice()
    if soffice is None:
        raise SofficeNotFoundError(f"{sources[0]}: LibreOffice (soffice) is not installed")
    target_dir = Path(out_dir).resolve()
    target_dir.mkdir(parents=True, exist_ok=True)
    extension = fmt.split(":", 1)[0]
    results = []
    with tempfile.TemporaryDirectory(prefix="xlplugin-soffice-") as scratch:
        work = Path(scratch)
        write_profile(work / "profile", recalc)
        # Private copies keep output names from clashing with the inputs, and keep
        # LibreOffice's lock files out of the caller's folder.
        staged_dir, produced_dir = work / "in", work / "out"
        staged_dir.mkdir()
        produced_dir.mkdir()
        staged = [staged_dir / source.name for source in sources]
        for source, copy in zip(sources, staged, strict=True):
            shutil.copyfile(source, copy)
        command = _command(soffice, work / "profile", fmt, produced_dir, staged[0])
        command += [str(s) for s in staged[1:]]
        output = _run(command, sources[0], fmt, timeout)
        for source in sources:
            produced = produced_dir / f"{source.stem}.{extension}"
            if not produced.is_file():
                raise ConversionError(
                    f"{source}: soffice --convert-to {fmt} wrote no {produced.name}: {output}"
                )
            results.append(target_dir / produced.name)
            _deliver(produced, results[-1])
    return results


def to_pdf(
    path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    timeout: float = 180,
) -> Path:
    """Render a document to PDF with LibreOffice, after recalculating it.

    Parameters
    ----------
    path : path-like
        The document to render.
    out_dir : path-like
        Folder for ``<stem>.pdf``.
    timeout : float, default 180
        Seconds to wait before the soffice process group is killed.

    Returns
    -------
    pathlib.Path
        The PDF file.
    """
    return convert(path, out_dir, "pdf", timeout=timeout)


def _command(soffice: str, profile: Path, fmt: str, out_dir: Path, source: Path) -> list[str]:
    return [
        soffice,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        fmt,
        "--outdir",
        str(out_dir),
        str(source),
    ]


def _run(command: list[str], source: Path, fmt: str, timeout: float) -> str:
    """Run soffice in its own process group; return the tail of its output."""
    # soffice is a launcher that forks soffice.bin: only killing the whole group
    # stops a hung conversion.
    with subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            stdout, stderr = process.communicate()
            raise ConversionTimeoutError(
                f"{source}: soffice --convert-to {fmt} timed out after {timeout:g} s: "
                f"{_tail(stdout, stderr)}"
            ) from None
    output = _tail(stdout, stderr)
    if process.returncode != 0:
        raise ConversionError(
            f"{source}: soffice --convert-to {fmt} exited with {process.returncode}: {output}"
        )
    return output


def _deliver(produced: Path, result: Path) -> None:
    """Copy the output next to its destination, then rename it into place."""
    # The scratch folder is usually on another file system, where a move is a
    # plain copy: a reader of ``result`` would see a half-written file.
    temporary = result.with_name(f".{result.name}.{uuid.uuid4().hex}.tmp")
    try:
        shutil.copyfile(produced, temporary)
        os.replace(temporary, result)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    # It may have finished between the timeout and the kill.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _tail(stdout: bytes, stderr: bytes) -> str:
    """Last characters of soffice's output, on one line, stderr first."""
    lines = [
        line.strip()
        for stream in (stderr, stdout)
        for line in stream.decode("utf-8", "replace").splitlines()
        if line.strip() and not line.startswith(_NOISE)
    ]
    text = " | ".join(lines)
    if not text:
        return "no output"
    return text if len(text) <= _TAIL_CHARS else "..." + text[-_TAIL_CHARS:]
