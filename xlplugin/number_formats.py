"""Excel number formats read as Excel reads them: which section shows a value.

A format has up to four sections split at ``;`` (not inside quotes, escapes or brackets):
positive, negative, zero and text, or, with conditions such as ``[<1E6]``, the first
section whose condition holds and else the third (or last).
"""

from __future__ import annotations

import re

__all__ = ["CONDITION", "section_for", "sections"]

_TOKEN = re.compile(r'"[^"]*"?|\\.|\[[^\]]*\]?|;|[^"\\\[;]+|.')
CONDITION = re.compile(r"\[(<=|>=|<>|<|>|=)\s*(-?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)\]")


def sections(number_format: str) -> list[str]:
    """A format's sections: split at each ; that is not quoted, escaped or bracketed."""
    found, current = [], ""
    for token in _TOKEN.findall(number_format):
        if token == ";":
            found.append(current)
            current = ""
        else:
            current += token
    return [*found, current]


def section_for(parts: list[str], value: float) -> str:
    """The section of a format (its :func:`sections`) that shows ``value``."""
    conditions = [CONDITION.search(s) for s in parts[:2]]
    if any(conditions):
        for part, condition in zip(parts[:2], conditions, strict=False):
            if condition is None or _holds(condition, value):
                return part
        return parts[2] if len(parts) > 2 else parts[-1]
    if value < 0 and len(parts) > 1:
        return parts[1]
    if value == 0 and len(parts) > 2:
        return parts[2]
    return parts[0]


def _holds(condition: re.Match, value: float) -> bool:
    operator, number = condition.group(1), float(condition.group(2))
    return {
        "<": value < number,
        "<=": value <= number,
        ">": value > number,
        ">=": value >= number,
        "=": value == number,
        "<>": value != number,
    }[operator]
