"""The one place xlplugin changes xlwings: its Pyodide look-up, outside Pyodide.

xlwings 0.37 asks ``from pyodide.ffi import JsNull`` for each argument
(``xlwings.pro.udfs_officejs.js_to_none``) and each cell it reads
(``xlwings.utils.is_jsnull``) so that xlwings Lite can spot JavaScript's ``null``.
Outside Pyodide (xlwings Server) that import fails every time, at about 0.1 ms each:
measured, 2 ms for a call with Excel's 16 arguments and seconds for a 10,000-row table.
There the answers are constant (no JsNull exists), so this module gives them without the
import. Nothing changes in xlwings Lite (Pyodide) or classic xlwings.

It replaces the two functions only while their source is the one it was written against
(:data:`TESTED`, from xlwings 0.37.8); a changed xlwings keeps its own, and
``tests/test_xlwings_shortcut.py`` fails so that the shortcut is looked at again.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import sys

import xlwings as xw

__all__ = ["TESTED", "apply", "originals", "source_digest"]

_REPLACED: dict = {}  # name -> xlwings' own function, once replaced

# SHA-256 of each replaced function's source, as in xlwings 0.37.8.
TESTED = {
    "js_to_none": "4a04277a8aa6382276ec0e1fc082013b0259a6a6ef21a05e1f6ed39d59d1fb50",
    "is_jsnull": "987fcb50121a01e2164eafa461348184beff60a83301c1d326b675ce4f05f033",
}


def source_digest(function) -> str:
    """SHA-256 of a function's source text."""
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()


def _same(value: object) -> object:
    return value


def _false(value: object) -> bool:
    return False


def originals() -> dict:
    """xlwings' own two functions (as they were before the shortcut replaced them)."""
    server = sys.modules.get("xlwings.pro.udfs_officejs")
    found = {
        "js_to_none": getattr(server, "js_to_none", None),
        "is_jsnull": getattr(xw.utils, "is_jsnull", None),
    }
    return found | _REPLACED


def apply() -> bool:
    """Install the shortcut where it is safe; True if it is installed."""
    server = sys.modules.get("xlwings.pro.udfs_officejs")
    if _REPLACED or server is None or importlib.util.find_spec("pyodide") is not None:
        return bool(_REPLACED)
    found = originals()
    if any(f is None or source_digest(f) != TESTED[n] for n, f in found.items()):
        return False  # not the code this was measured against: keep xlwings' own
    _REPLACED.update(found)
    server.js_to_none = _same
    xw.utils.is_jsnull = _false
    return True
