"""Trivial twins of Excel functions: the same name-less signature, annotations and xlwings
decorators (through ``xlplugin._excel.excel_function``), but a body that returns one cell.

A twin through the same call path is the baseline for the function it copies: the difference
between the two is what our code adds to the call.
"""

from __future__ import annotations

import inspect

from xlplugin._excel import excel_function

__all__ = ["twin"]


def twin(function, name: str):
    """A function named ``name`` with ``function``'s parameters that returns ``[[0]]``."""
    namespace, parameters = {}, []
    for i, p in enumerate(inspect.signature(function).parameters.values()):
        namespace[f"_a{i}"] = p.annotation
        default = "" if p.default is inspect.Parameter.empty else f" = {p.default!r}"
        parameters.append(f"{p.name}: _a{i}{default}")
    source = f"def {name}({', '.join(parameters)}):\n    return [[0]]\n"
    # dont_inherit: annotations stay objects, not strings (this module uses the future import)
    exec(compile(source, f"<twin of {function.__name__}>", "exec", dont_inherit=True), namespace)
    trivial = namespace[name]
    trivial.__doc__ = f"Trivial twin of {function.__name__}."
    docs = {p: "trivial" for p in inspect.signature(trivial).parameters}
    return excel_function(trivial, **docs)
