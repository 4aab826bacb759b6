"""What a workbook cell can hold: scenario numbers beyond it are refused before a build.

Excel holds numbers up to 9.99999999999999E+307 ("Excel specifications and limits",
Microsoft Support, 2024); the Scenarios sheet's own row checks bound every input by it,
so a number formulas computes (up to 1.8e+308) but the sheet would refuse is refused
at once, with its row, instead of being cached as a result the sheet then contradicts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xlplugin.formulas._arrays import overflow_accepts
from xlplugin.formulas.errors import InvalidInputError
from xlplugin.formulas.vocabulary import INPUTS

__all__ = ["EXCEL_LARGEST", "refuse_beyond_excel"]

EXCEL_LARGEST = 9.99999999999999e307
_SHOWN = "9.99999999999999e+307"


def refuse_beyond_excel(scenarios: pd.DataFrame) -> None:
    """Raise :class:`InvalidInputError` for the first number column (in vocabulary order)
    holding a value beyond :data:`EXCEL_LARGEST`, naming its row."""
    for q in INPUTS:
        if q.kind == "name" or q.name not in scenarios:
            continue
        column = pd.to_numeric(scenarios[q.name], errors="coerce").to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            beyond = np.abs(column) > EXCEL_LARGEST  # (text, such as "150%", is NaN here)
        if beyond.any():
            row = int(np.argmax(beyond))
            accepts = f"{overflow_accepts(q.name)}, at most {_SHOWN} (Excel's largest number)"
            raise InvalidInputError(q.name, float(column[row]), accepts, row)
