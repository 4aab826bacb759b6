"""Replace a file atomically, and clean up after writers that were killed.

A writer works on ``.NAME.xlsx.<random>.tmp`` beside the target and renames it onto the
target only when it is complete, so a reader (or a crash) never sees half a workbook.
While it writes, it holds an exclusive lock on its temporary file; a process that is
killed loses the lock with its life, so the next writer can tell a leftover of a dead
build (unlocked: removed) from the file of a build still running (locked: kept).
On Windows, where there is no ``flock``, a file still open by its writer cannot be
deleted, which gives the same answer.
"""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

__all__ = ["remove_stale", "replacing", "sync_folder", "temporary_pattern"]


def temporary_pattern(target: Path) -> str:
    """The glob of the temporary files of writers to ``target``."""
    return str(target.parent / f".{glob.escape(target.name)}.*.tmp")


def remove_stale(target: str | os.PathLike[str]) -> list[Path]:
    """Delete the temporary files that killed writers to ``target`` left; return them.

    A temporary file whose writer still runs is locked and kept.
    """
    removed = []
    for name in glob.glob(temporary_pattern(Path(target))):
        path = Path(name)
        if _remove_if_abandoned(path):
            removed.append(path)
    return removed


def _remove_if_abandoned(path: Path) -> bool:
    if fcntl is None:
        try:
            path.unlink()  # refused while the writer has it open
        except OSError:
            return False
        return True
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # a live writer holds it
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return True
    finally:
        os.close(fd)


def _locked_temporary(target: Path) -> tuple[int, Path]:
    """A new temporary file beside ``target``, locked by this process."""
    while True:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        if fcntl is None:
            return fd, Path(name)
        fcntl.flock(fd, fcntl.LOCK_EX)
        # Between mkstemp and flock another writer's clean-up may have taken the file
        # for a leftover and deleted it: then start again with a new one.
        try:
            if os.stat(name).st_ino == os.fstat(fd).st_ino:
                return fd, Path(name)
        except FileNotFoundError:
            pass
        os.close(fd)


@contextlib.contextmanager
def replacing(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success rename it onto ``target``.

    Leftovers of killed writers are removed first. The new file gets the old file's
    permissions (else the umask's) and is flushed to disk before the rename; on any
    error or interruption the temporary file is removed and ``target`` is untouched.
    """
    target = Path(target)
    remove_stale(target)
    fd, temporary = _locked_temporary(target)
    try:
        yield temporary
        _settle(temporary, target)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    finally:
        os.close(fd)
    sync_folder(target.parent)


def _settle(temporary: Path, target: Path) -> None:
    """Give the new file the old one's permissions (else the umask's) and flush it to disk."""
    try:
        mode = target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(temporary, mode)
    with temporary.open("rb+") as stream:
        os.fsync(stream.fileno())


def sync_folder(folder: Path) -> None:
    """Make a rename durable (POSIX; a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
