"""Sentences that many formula cells share, each held once by a workbook name: a formula
reads ``"trps: "&overflows``, not the sentence itself. All but one are formulas' own; the
Scenarios sheet's :data:`BAD_ROW` is the workbook's.

LibreOffice reads, and writes back, every Scenarios row's formulas in full: a sentence typed
into a row's formula is 10,000 copies in a 10,000-scenario workbook, a name holding it one.
"""

from __future__ import annotations

from openpyxl.workbook.defined_name import DefinedName

from xlplugin.formulas._arrays import OVERFLOWS
from xlplugin.formulas.inference import HEADS_BOUND, KV_UNEVEN, RAISE_MAX, UNEVEN
from xlplugin.formulas.serving import (
    ACTIVE_AT_MOST,
    KV_AT_MOST,
    MORE_GPUS,
    NO_REQUEST,
    WIDER_GIVEN,
)

__all__ = ["BAD_ROW", "SENTENCES", "define_sentences", "said"]

# What a Scenarios row says when an input is bad and its own message cannot be made.
BAD_ROW = "check this row: an input is outside what the Inputs sheet accepts"

# workbook name -> its sentence
SENTENCES = {
    "overflows": OVERFLOWS,
    "why_heads_split": UNEVEN,
    "why_kv_heads_split": KV_UNEVEN,
    "why_kv_heads_at_most": KV_AT_MOST,
    "why_active_params_at_most": ACTIVE_AT_MOST,
    "heads_bound": HEADS_BOUND,
    "raise_max": RAISE_MAX,
    "no_request": NO_REQUEST,
    "more_gpus": MORE_GPUS,
    "wider_given": WIDER_GIVEN,
    "bad_row": BAD_ROW,
}
_NAME = {text: name for name, text in SENTENCES.items()}
assert len(_NAME) == len(SENTENCES), "one name a sentence"


def said(text: str) -> str:
    """The workbook name holding ``text``, one of :data:`SENTENCES`' sentences."""
    return _NAME[text]


def define_sentences(wb) -> None:
    """Give workbook ``wb`` a name for each of :data:`SENTENCES`."""
    for name, text in SENTENCES.items():
        quoted = text.replace('"', '""')
        wb.defined_names[name] = DefinedName(name, attr_text=f'"{quoted}"')
