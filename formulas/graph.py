"""The graph of quantities: each one written once, everything else derived from it.

A quantity is a Python function of its *direct* inputs (vocabulary inputs or other
quantities, named by its parameters) registered with :func:`quantity`, which records
beside it the quantity's name, unit, one-line description and native Excel formula
template. From the graph come:

- :func:`evaluate`, which computes quantities in dependency order (one pass, on floats or
  numpy arrays alike) for :func:`~xlplugin.formulas.estimate` and its table;
- :func:`public_function`, the per-output functions of :mod:`xlplugin.formulas`
  (``gpu_count(dau, requests_per_user, params, gpu, ...)``), taking the output's
  transitive inputs in vocabulary order; the Excel functions, CLI and workbook read the
  same records.

An Excel template names its direct inputs in braces: a vocabulary input (``{dau}``), a
constant (``{seconds_per_day}``: a named cell on the Inputs sheet, see :data:`CONSTANTS`),
a catalogue range (``{catalog_gpu_name}``) or another quantity (``{peak_rps}``). Catalogue
look-ups are the one place where the two engines take different routes (Python resolves a
name once; a spreadsheet finds its row with MATCH), so a quantity's Excel placeholders may
name look-up steps its Python function does not need.
"""

from __future__ import annotations

import functools
import inspect
import re
from dataclasses import dataclass, field

from .units import BITS_PER_BYTE, BYTES_PER_GB, HOURS_PER_DAY, SECONDS_PER_DAY
from .vocabulary import INPUT, INPUTS

__all__ = [
    "ATTENTION_MATMULS",
    "AUDIO_WINDOW_SECONDS",
    "BLOCK_PARAMS_PER_WIDTH_SQUARED",
    "CONSTANTS",
    "DOMAINS",
    "FRAMES_PER_WINDOW",
    "GRAPH",
    "IMAGE_MAX_BATCH",
    "KV_TENSORS",
    "MEAN_OUTPUT_SHARE",
    "REQUESTS_PER_INFERENCE",
    "REQUESTS_PER_THOUSAND",
    "TEXT_MAX_BATCH",
    "TOKENS_PER_MILLION",
    "Constant",
    "Quantity",
    "depends_on",
    "descendants",
    "evaluate",
    "outputs",
    "placeholders",
    "public_function",
    "quantity",
    "steps",
]

REQUESTS_PER_THOUSAND = 1_000
REQUESTS_PER_INFERENCE = 1  # one request per model run in the seed's formula
TOKENS_PER_MILLION = 1_000_000
KV_TENSORS = 2  # keys and values
ATTENTION_MATMULS = 2  # QKᵀ and the weighted sum of values
# Weights of a transformer block per width²: Q, K, V and output 4 d², a 4× MLP 8 d²
# (Kaplan et al. 2020, arXiv:2001.08361, section 2.1: 12 × layers × d² parameters)
BLOCK_PARAMS_PER_WIDTH_SQUARED = 12
MEAN_OUTPUT_SHARE = 0.5  # a decode step attends to half the output, on average
TEXT_MAX_BATCH = 256  # vLLM's default max_num_seqs
IMAGE_MAX_BATCH = 1  # diffusers pipelines: one prompt per call
AUDIO_WINDOW_SECONDS = 30  # Whisper's encoder window
FRAMES_PER_WINDOW = 1_500  # encoder frames per window
TENSOR_PARALLEL_STEP = 2  # tensor-parallel replicas of 1, 2, 4, 8... GPUs


@dataclass(frozen=True)
class Constant:
    """A fixed number a formula needs: a Python constant, and a named cell in workbooks."""

    name: str
    value: float
    unit: str
    label: str
    source: str


CONSTANTS: tuple[Constant, ...] = (
    Constant("seconds_per_day", SECONDS_PER_DAY, "s/day", "Seconds per day", "units"),
    Constant("hours_per_day", HOURS_PER_DAY, "h/day", "Hours per day", "units"),
    Constant("bits_per_byte", BITS_PER_BYTE, "bit/B", "Bits per byte", "units"),
    Constant("bytes_per_gb", BYTES_PER_GB, "B/GB", "Bytes per GB (decimal SI)", "units"),
    Constant(
        "requests_per_thousand",
        REQUESTS_PER_THOUSAND,
        "requests",
        "Requests per thousand",
        "usd_per_1k_requests",
    ),
    Constant(
        "requests_per_inference",
        REQUESTS_PER_INFERENCE,
        "requests",
        "Requests per model run",
        "qps_per_gpu = 1 / inference_seconds (no batching)",
    ),
    Constant("tokens_per_million", TOKENS_PER_MILLION, "tokens", "Tokens per million", "units"),
    Constant("kv_tensors", KV_TENSORS, "tensors", "KV-cache tensors (keys, values)", "serving"),
    Constant(
        "attention_matmuls", ATTENTION_MATMULS, "matmuls", "Attention matmuls (QK, AV)", "serving"
    ),
    Constant(
        "block_params_per_width_squared",
        BLOCK_PARAMS_PER_WIDTH_SQUARED,
        "parameters/dimension²",
        "Weights of a transformer block per width²",
        "Kaplan et al. 2020 (arXiv:2001.08361): attention 4 d², a 4× MLP 8 d²",
    ),
    Constant(
        "mean_output_share",
        MEAN_OUTPUT_SHARE,
        "fraction",
        "Share of the output a decode step attends to",
        "serving: the average over the output",
    ),
    Constant(
        "text_max_batch",
        TEXT_MAX_BATCH,
        "requests",
        "Default max batch, text and speech",
        "vLLM's default max_num_seqs",
    ),
    Constant(
        "image_max_batch",
        IMAGE_MAX_BATCH,
        "requests",
        "Default max batch, images",
        "diffusers pipelines: one prompt per call",
    ),
    Constant(
        "audio_window_seconds", AUDIO_WINDOW_SECONDS, "s", "Audio per encoder window", "Whisper"
    ),
    Constant(
        "frames_per_window", FRAMES_PER_WINDOW, "frames", "Encoder frames per window", "Whisper"
    ),
    Constant("one_gpu", 1, "GPUs", "GPUs in a one-GPU replica", "serving"),
    Constant(
        "tensor_parallel_step",
        TENSOR_PARALLEL_STEP,
        "x",
        "Ratio between tensor-parallel sizes",
        "tensor parallelism splits attention heads (a power of two): 1, 2, 4, 8 GPUs",
    ),
    Constant("no_loss", 1, "fraction", "Efficiency of a single GPU", "serving"),
    Constant(
        "gpus_if_memory_unknown",
        1,
        "GPUs",
        "GPUs per replica when memory is unknown",
        "a GPU given as FLOP/s counts as one GPU",
    ),
)
_CONSTANT_NAMES = frozenset(c.name for c in CONSTANTS)

# Domain modules in the order their outputs are listed (estimate, tables, workbook rows).
DOMAINS = ("lookups", "storage", "traffic", "inference", "serving", "bandwidth", "cost")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Quantity:
    """One quantity of the estimate.

    ``section`` is None for a step that is not an output of its own (a catalogue look-up,
    an input as used); ``resolves`` names the input whose value as used it is.
    """

    name: str
    unit: str
    label: str
    description: str
    section: str | None
    function: object = field(repr=False, compare=False)
    excel: str
    inputs: tuple[str, ...]  # the Python function's direct inputs, in its parameter order
    domain: str
    resolves: str | None = None
    whole: bool = False  # a count of whole things (GPUs): shown without decimals

    @property
    def excel_inputs(self) -> list[str]:
        """Names the Excel template refers to, in order of first appearance."""
        return placeholders(self.excel)


GRAPH: dict[str, Quantity] = {}


def quantity(
    unit: str,
    label: str,
    excel: str,
    section: str | None = None,
    resolves: str | None = None,
):
    """Register the decorated function as a quantity named after it.

    Its parameters are its direct inputs; its docstring's first line is its description;
    ``excel`` is its native formula template. Returns the function unchanged.
    """

    def register(function):
        name = function.__name__
        if name in GRAPH or name in INPUT:
            raise ValueError(f"quantity {name!r} is defined twice")
        domain = function.__module__.rpartition(".")[2]
        inputs = tuple(inspect.signature(function).parameters)
        description = " ".join((function.__doc__ or "").strip().split("\n\n")[0].split())
        GRAPH[name] = Quantity(
            name,
            unit,
            label,
            description,
            section,
            function,
            excel,
            inputs,
            domain,
            resolves,
            unit == "GPUs",
        )
        _order.cache_clear()
        depends_on.cache_clear()
        return function

    return register


def placeholders(template: str) -> list[str]:
    """Names a template refers to, in order of first appearance."""
    return list(dict.fromkeys(_PLACEHOLDER.findall(template)))


def _listing(q: Quantity) -> int:
    """Where a quantity's domain comes in listings (one defined elsewhere comes last)."""
    return DOMAINS.index(q.domain) if q.domain in DOMAINS else len(DOMAINS)


@functools.cache
def _order() -> tuple[str, ...]:
    """Every quantity in dependency order (Python's and Excel's edges), ties in listing
    order; an unknown or circular reference is a programming error, caught at import."""
    listed = sorted(GRAPH, key=lambda n: _listing(GRAPH[n]))
    done: dict[str, None] = {}

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in done:
            return
        if name in path:
            raise ValueError(f"quantities refer to each other in a circle: {path}")
        q = GRAPH[name]
        for n in (*q.inputs, *q.excel_inputs):
            if n in GRAPH:
                visit(n, (*path, name))
            elif n not in INPUT and n not in _CONSTANT_NAMES and not n.startswith("catalog_"):
                raise ValueError(f"quantity {name!r} refers to unknown {n!r}")
        done[name] = None

    for name in listed:
        visit(name, ())
    return tuple(done)


def steps() -> list[Quantity]:
    """Every quantity in calculation order."""
    return [GRAPH[n] for n in _order()]


def outputs() -> list[Quantity]:
    """The estimate's outputs (quantities with a section), in listing order."""
    return [q for q in sorted(GRAPH.values(), key=_listing) if q.section]


@functools.cache
def _needed(names: tuple[str, ...]) -> tuple[Quantity, ...]:
    """The quantities ``names`` need through their Python functions, in order."""
    wanted: set[str] = set()

    def visit(name: str) -> None:
        if name in wanted or name not in GRAPH:
            return
        wanted.add(name)
        for n in GRAPH[name].inputs:
            visit(n)

    for name in names:
        visit(name)
    return tuple(GRAPH[n] for n in _order() if n in wanted)


def evaluate(values: dict, names: tuple[str, ...] | None = None) -> dict:
    """Compute quantities into ``values`` (validated inputs by name), in dependency order.

    ``names`` limits the work to what those quantities need (default: every quantity).
    A quantity already in ``values`` is taken as given, not computed.
    """
    for q in _needed(tuple(GRAPH) if names is None else names):
        if q.name not in values:
            values[q.name] = q.function(*[values[n] for n in q.inputs])
    return values


def descendants(name: str) -> set[str]:
    """Quantities computed, directly or not, from ``name`` (through Python's edges)."""
    found: set[str] = set()
    for q in steps():
        if name in q.inputs or found.intersection(q.inputs):
            found.add(q.name)
    return found


@functools.cache
def depends_on(name: str) -> list[str]:
    """Vocabulary inputs a quantity depends on, directly or not, in vocabulary order
    (its Python and Excel edges both, so that every face takes the same arguments)."""
    found: set[str] = set()
    seen: set[str] = set()
    stack = [name]
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        if n in GRAPH:
            q = GRAPH[n]
            stack.extend((*q.inputs, *q.excel_inputs))
        elif n in INPUT:
            found.add(n)
    return [q.name for q in INPUTS if q.name in found]


def public_function(name: str):
    """The function of vocabulary inputs that computes quantity ``name``.

    Its parameters are the quantity's transitive inputs in vocabulary order, the required
    ones (:attr:`Input.required`) without a default, the rest defaulting to the
    vocabulary's (``...`` until :func:`~xlplugin.formulas._arrays.vectorised` fills it
    in). It is generated as Python source so that a call runs the steps as plain calls,
    with no dictionary or loop in between.
    """
    arguments = depends_on(name)
    chain = _needed((name,))
    parameters = ", ".join(a if INPUT[a].required else f"{a}=..." for a in arguments)
    lines = [f"def {name}({parameters}):"]
    lines += [f"    {q.name} = _{q.name}({', '.join(q.inputs)})" for q in chain]
    lines.append(f"    return {name}")
    namespace = {f"_{q.name}": q.function for q in chain}
    exec(compile("\n".join(lines), f"<quantity {name}>", "exec"), namespace)
    function = namespace[name]
    function.__doc__ = _docstring(GRAPH[name], arguments)
    function.__module__ = "xlplugin.formulas"
    return function


def _docstring(q: Quantity, arguments: list[str]) -> str:
    lines = [f"{q.label}: {q.description}", "", "Parameters", "----------"]
    for a in arguments:
        spec = INPUT[a]
        kind = "str" if spec.kind == "name" else "numeric"
        default = "" if spec.required else f", default {spec.default!r}"
        lines += [f"{a} : {kind}{default}", f"    {spec.description} [{spec.unit}]"]
    lines += ["", "Returns", "-------", "numeric", f"    [{q.unit}]"]
    return "\n".join(lines)
