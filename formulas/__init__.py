"""Capacity and cost of a generative-AI service: storage, requests, inference, GPUs,
bandwidth and money, from daily users.

Each quantity is defined once, in its domain module (``storage``, ``traffic``,
``inference``, ``bandwidth``, ``cost``, ``lookups``), as a function of its direct inputs
with its Excel formula beside it (:mod:`~xlplugin.formulas.graph`). From that graph come
the whole estimate (:func:`estimate`, :func:`estimate_table`), a month-by-month plan
(:func:`projection`) and one function per output, taking the vocabulary inputs it depends
on: ``gpu_count(dau, requests_per_user, params, gpu, ...)``. The catalogue of GPUs,
precisions and models is in ``catalog``. Base units inside (bytes, seconds, bit/s,
FLOP/s, USD); decimal SI everywhere.
"""

from . import catalog, graph, quantities, vocabulary
from ._arrays import vectorised
from .catalog import gpu_names, gpu_spec, model_preset, precision_names
from .errors import (
    AmbiguousInputError,
    DoesNotFitError,
    EstimateError,
    InvalidInputError,
    LimitError,
    MissingInputError,
    OverflowInputError,
    UnknownNameError,
)
from .estimate import estimate, estimate_table, output_array
from .projection import PROJECTION_COLUMNS, projection
from .units import format_quantity, parse_quantity
from .vocabulary import INPUTS, OUTPUTS

__version__ = "0.1.0"

# One public function per output, generated from the graph: its parameters are the
# vocabulary inputs it depends on (see graph.public_function).
OUTPUT_FUNCTIONS = {q.name: vectorised(graph.public_function(q.name)) for q in OUTPUTS}
globals().update(OUTPUT_FUNCTIONS)

__all__ = (
    "INPUTS",
    "OUTPUTS",
    "OUTPUT_FUNCTIONS",
    "PROJECTION_COLUMNS",
    "AmbiguousInputError",
    "DoesNotFitError",
    "EstimateError",
    "InvalidInputError",
    "LimitError",
    "MissingInputError",
    "OverflowInputError",
    "UnknownNameError",
    "catalog",
    "estimate",
    "estimate_table",
    "output_array",
    "format_quantity",
    "gpu_names",
    "gpu_spec",
    "graph",
    "model_preset",
    "parse_quantity",
    "precision_names",
    "projection",
    "quantities",
    "vocabulary",
    *OUTPUT_FUNCTIONS,
)
