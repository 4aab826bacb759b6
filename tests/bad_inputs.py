"""The bad-input matrix: one table of inputs and their documented outcomes, run against every
face of the estimator (formulas, the CLI, the Excel functions, the HTTP server, the workbook).

Each case gives the inputs that differ from the seed, and either the number an output must
take (``expect`` a float) or the start of the one-line error (``expect`` a string). ``NAN``
and ``INF`` stand for what a cell or a JSON body cannot spell directly. On the Excel faces
an error is the whole call's (a real ``#VALUE!``: raised in-process, HTTP 400 from the
server); a case whose ranges hold bad cells expects cells instead, where text other than
``""`` is the start of that cell's message (shown after ``#VALUE! ``) and the rest compute.

``faces`` says where a case applies. :data:`CASES` (single values) apply to every face;
:data:`RANGE_CASES` (ranges: empty, 5,000 x 5,000, mismatched shapes, SCENARIOS headers)
only to the Excel functions and the HTTP server, where ranges exist; :data:`SOME_FACES`
(single values) only to the faces that can send them and answer alike: an int too large
for a float (no cell or command line holds one), a fraction or an overflow that the
workbook's own checks do not word as formulas do, an empty flag. :data:`MATRIX` is all
three. Where a face must answer differently, ``expect_in`` gives its outcome. A case of
:data:`SOME_FACES` calls its ``output``'s Excel function (``"estimate"``: ESTIMATE), whose
answer is cells.

How the values reach each face (:func:`excel_value`, :func:`http_value`):

- Excel (Office.js, through ``xlwings.server.custom_functions_call``) sends numbers as
  floats, empty cells as null, booleans as true/false and error cells as their text
  ("#N/A"). No cell holds NaN or infinity: NaN maps to an empty cell (what it means in
  formulas: not given), +-infinity to ``"#NUM!"``, the error Excel shows for a number too
  large to hold, which the functions name in their message.
- HTTP sends the same JSON as Excel, except that NaN and +-infinity go as the literals
  ``NaN``, ``Infinity``, ``-Infinity`` that a careless client might write: not JSON, they
  are refused with status 400 and a one-line message, before any function runs.
- Messages starting "request body:" are HTTP answers (400 or 413, plain text), not cells.
"""

import math
import sys
from dataclasses import dataclass, field

from xlplugin.formulas import OUTPUTS
from xlplugin.formulas.graph import depends_on

NAN, INF = math.nan, math.inf
_USES_MODEL = {q.name: depends_on(q.name) for q in OUTPUTS}
FACES = frozenset({"formulas", "cli", "excel", "http", "workbook"})
RANGES = frozenset({"excel", "http"})  # faces that take ranges
HTTP_ONLY = frozenset({"http"})  # Excel cannot send it (a ragged range)


@dataclass(frozen=True)
class Case:
    id: str
    inputs: dict
    expect: object  # a number for gpu_count, or the start of the error message
    output: str = "gpu_count"
    faces: frozenset = FACES
    expect_in: dict = field(default_factory=dict)  # face -> outcome, where it differs

    def __post_init__(self):
        # The matrix is about input handling: it pins the seed's formula where the output
        # depends on the inference model, so that its GPU counts are the seed's (61).
        if "inference_model" not in self.inputs and "inference_model" in _USES_MODEL.get(
            self.output, ()
        ):
            object.__setattr__(self, "inputs", {**self.inputs, "inference_model": "flops"})

    @property
    def is_error(self) -> bool:
        return isinstance(self.expect, str)

    def expected(self, face: str) -> object:
        """The outcome on one face: a number (or cells, for a range), or a message."""
        return self.expect_in.get(face, self.expect)


def _rows(rows: list, convert) -> list:
    """Each cell of a range converted; a row object repeated (as in BIG) converted once."""
    done = {}
    for row in rows:
        if id(row) not in done:
            done[id(row)] = [convert(v) for v in row]
    return [done[id(row)] for row in rows]


def excel_value(value: object) -> object:
    """A matrix value as Excel's Office.js sends it (a range: each cell)."""
    if isinstance(value, list):
        return _rows(value, excel_value)
    if isinstance(value, float) and math.isnan(value):
        return None  # an empty cell
    if isinstance(value, float) and math.isinf(value):
        return "#NUM!"  # what Excel shows for a number too large
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)  # every number is a float in Office.js
    return value


def http_value(value: object) -> object:
    """A matrix value as the HTTP face sends it: Excel's JSON, NaN and infinity kept."""
    if isinstance(value, list):
        return _rows(value, http_value)
    if isinstance(value, float) and not math.isfinite(value):
        return value  # json.dumps writes NaN, Infinity, -Infinity: not JSON
    if type(value) is int and abs(value) > sys.float_info.max:
        return value  # JSON's integers have no bound (a client other than Office.js)
    return excel_value(value)


def overflows(name: str, shown: str, accepts: str, quantity: str = "", way: str = "") -> str:
    """The message for an input whose value makes ``quantity`` overflow (its start, without
    the quantity)."""
    text = f"{name}: got {shown}; accepts {accepts}, but this value makes "
    if quantity:
        text += f"{quantity} overflow (too large to compute): try a {way} value"
    return text


GPU_ACCEPTS = "a catalogue name or a FLOP/s number >= 1,000,000,000,000"
LARGEST_FLOAT = sys.float_info.max
TEXT_MODEL = {"modality": "text", "params": 8e9, "layers": 32, "attention_heads": 32, "kv_heads": 8}
FLOPS_ACCEPTS = "a number >= 1,000,000,000,000"
FRACTION = "such as 0.2 or 20%, above 1 only with %"
TOO_LARGE = "at most 1.8e+308 (a larger one cannot be computed)"
ONE_CELL = frozenset({"formulas", "cli", "excel", "http"})  # not the workbook's checks

CASES = [
    Case("negative", {"dau": -5}, "dau: got -5; accepts a number > 0"),
    Case("zero", {"dau": 0}, "dau: got 0; accepts a number > 0"),
    Case("zero-where-allowed", {"profile_bytes": 0}, 0.0, "profile_storage_bytes"),
    Case(
        "nan",
        {"requests_per_user": NAN},
        61.0,  # NaN is a blank cell: the default
        expect_in={"http": "request body: not valid JSON (got NaN, which JSON does not allow)"},
    ),
    Case(
        "plus-infinity",
        {"params": INF},
        "params: got inf; accepts a number >= 1,000",
        expect_in={
            "excel": "params: got '#NUM!'; accepts a number >= 1,000",
            "cli": "params: got 'inf'; accepts a number >= 1,000",  # text: refused as read
            "http": "request body: not valid JSON (got Infinity, which JSON does not",
        },
    ),
    Case(
        "minus-infinity",
        {"steps": -INF},
        "steps: got -inf; accepts a number > 0",
        expect_in={
            "excel": "steps: got '#NUM!'; accepts a number > 0",
            "cli": "steps: got '-inf'; accepts a number > 0",
            "http": "request body: not valid JSON (got -Infinity, which JSON does",
        },
    ),
    Case(
        "error-cell",
        {"requests_per_user": "#N/A"},
        "requests_per_user: got '#N/A'; accepts a number > 0",
    ),
    Case("empty-cell", {"dau": None}, 61.0),
    Case("boolean", {"dau": True}, "dau: got True; accepts a number > 0"),
    Case("text-not-a-number", {"dau": "lots"}, "dau: got 'lots'; accepts a number > 0"),
    Case(
        "bad-suffix",
        {"stored_bytes_per_request": "10XB"},
        "stored_bytes_per_request: got '10XB'; accepts a number >= 0",
    ),
    Case("good-suffixes", {"dau": "100M", "params": "8.1B"}, 61.0),
    Case("size-suffix", {"response_bytes": "4MB"}, 4 * 92592592592.5926, "egress_bits_per_second"),
    Case(
        "billions-as-units",
        {"params": 8.1},
        "params: got 8.1; accepts a number >= 1,000 "
        "(below 1,000 looks like billions typed as units: write 8.1E9)",
    ),
    Case(
        "text-encoder-billions-as-units",  # 0 (no text encoder) is accepted, 4.7 is not
        {"text_encoder_params": 4.7},
        "text_encoder_params: got 4.7; accepts 0 or a number >= 1,000 "
        "(below 1,000 looks like billions typed as units: write 4.7E9)",
    ),
    Case("no-text-encoder", {"text_encoder_params": 0}, 61.0),
    Case(  # kv_heads empty: one per attention head (a default of 38 refused 32 typed alone)
        "kv-heads-follow-attention-heads",
        {"modality": "text", "attention_heads": 32},
        2 * 38 * 32 * 64 * 2,  # K and V x layers x heads x head_dim x FP16 bytes
        "kv_cache_bytes_per_token",
    ),
    Case(
        "utilization-above-one",
        {"utilization": 1.5},
        "utilization: got 1.5; accepts a number in (0, 1]",
    ),
    Case("utilization-zero", {"utilization": 0}, "utilization: got 0; accepts a number in (0, 1]"),
    Case("unknown-gpu", {"gpu": "H900"}, "gpu: got 'H900'; accepts one of A100, A100-80GB"),
    Case(  # (with its memory figures: the workbook's roofline scenarios take this GPU too)
        "gpu-as-flops",
        {
            "gpu": 312e12,
            "gpu_hourly_usd": 2.745,
            "gpu_memory_bytes": 80e9,
            "gpu_memory_bandwidth": 2.039e12,
        },
        61.0,
    ),
    Case(  # its memory and bandwidth are unknown: the roofline took them as unlimited
        "gpu-as-flops-under-the-roofline",
        {"gpu": 312e12, "gpu_hourly_usd": 2.745, "inference_model": "roofline"},
        "gpu_memory_bytes: missing; accepts a GPU memory in bytes > 0 for the roofline (the "
        "catalogue has none for gpu",
    ),
    Case(
        "gpu-as-flops-with-its-memory-only",
        {
            "gpu": 312e12,
            "gpu_hourly_usd": 2.745,
            "inference_model": "roofline",
            "gpu_memory_bytes": 80e9,
        },
        "gpu_memory_bandwidth: missing; accepts a GPU memory bandwidth in B/s > 0 for the "
        "roofline (the catalogue has none for gpu",
    ),
    Case(
        "negative-gpu-flops",
        {"gpu": -1e15},
        f"gpu: got -1000000000000000; accepts {GPU_ACCEPTS}",
    ),
    Case(
        "fits-on-no-gpu",
        {"params": 1e13},
        "params: got 10000000000000; accepts a model that fits in 8 GPUs",
    ),
    Case(
        "encoder-fits-on-no-gpu",  # an image model's text encoder, the larger part, is named
        {"text_encoder_params": 2e12},
        "text_encoder_params: got 2000000000000; accepts a model that fits in 8 GPUs",
    ),
    # A replica that runs no request: tensor_parallel chosen, so the target or the request
    # is named (tensor_parallel, blamed for all three, was never typed)
    Case(
        "no-request-within-the-targets",
        {"tpot_target_seconds": 1e-4, "inference_model": "roofline"},
        "tpot_target_seconds: got 0.0001; accepts a time that 8 GPUs per replica meet with "
        "one request (relax it, or raise max_gpus_per_replica)",  # sized to the most already
    ),
    Case(  # tensor_parallel given at the most: raising it alone would be refused
        "no-request-within-the-targets-on-the-most-gpus-given",
        {"tpot_target_seconds": 1e-4, "inference_model": "roofline", "tensor_parallel": 8},
        "tpot_target_seconds: got 0.0001; accepts a time that 8 GPUs per replica meet with "
        "one request (relax it, or raise max_gpus_per_replica and tensor_parallel)",
    ),
    Case(
        "no-image-within-the-target",
        {"ttft_target_seconds": 0.01, "inference_model": "roofline"},
        "ttft_target_seconds: got 0.01; accepts a time that 8 GPUs per replica meet with one",
    ),
    Case(
        "no-request-within-the-targets-on-the-gpus-given",
        {"tpot_target_seconds": 1e-4, "inference_model": "roofline", "tensor_parallel": 2},
        "tensor_parallel: got 2; accepts enough GPUs per replica for the weights and at least "
        "one request's KV cache within the latency targets",
    ),
    Case(  # a text model's first token follows its prefill, which 8 GPUs cannot make in 1 ms
        "no-first-token-within-the-target",
        {
            "modality": "text",
            "attention_heads": 32,
            "ttft_target_seconds": 1e-3,
            "inference_model": "roofline",
        },
        "ttft_target_seconds: got 0.001; accepts a time that 8 GPUs per replica meet with "
        "one request (relax it, or raise max_gpus_per_replica)",
    ),
    Case(
        "prompt-beyond-the-memory",
        {
            "modality": "text",
            "attention_heads": 32,
            "input_tokens": 1e9,
            "inference_model": "roofline",
        },
        "input_tokens: got 1000000000; accepts a request whose KV cache fits beside the "
        "weights on 8 GPUs (shorten the request, or raise max_gpus_per_replica)",
    ),
    # A language model's replica splits its attention heads evenly (vLLM refuses 3 GPUs for
    # 32 heads): SD3.5's 38 heads, the default, split over 1 or 2 GPUs only
    Case(
        "no-first-token-within-the-heads-split",
        {"modality": "text", "ttft_target_seconds": 1e-3, "inference_model": "roofline"},
        "ttft_target_seconds: got 0.001; accepts a time that 2 GPUs per replica meet with "
        "one request (relax it, or choose a larger GPU)",
    ),
    Case(
        "fits-in-no-split-of-the-heads",
        {"modality": "text", "params": 70e9, "gpu": "A100"},
        "params: got 70000000000; accepts a model that fits in 2 GPUs: 140 GB of weights "
        "need 4 x A100 (choose a larger GPU or a smaller precision: attention_heads (38) "
        "split evenly over at most 2)",
    ),
    Case(
        "replica-split-uneven",
        {"modality": "text", "attention_heads": 32, "tensor_parallel": 3},
        "tensor_parallel: got 3; accepts a divisor of attention_heads (32): tensor "
        "parallelism gives each GPU an equal share of the heads",
    ),
    # ... and each GPU an equal share of the KV heads or a copy of one (QKVParallelLinear):
    # Phi-3-medium's 10 KV heads split over 1, 2, 5, 10 or 20 GPUs, not 4 (vLLM #5951)
    Case(
        "replica-split-across-kv-heads",
        {"modality": "text", "attention_heads": 40, "kv_heads": 10, "tensor_parallel": 4},
        "tensor_parallel: got 4; accepts a divisor or a multiple of kv_heads (10): tensor "
        "parallelism gives each GPU an equal share of the KV heads, or a copy of one",
    ),
    Case(
        "fits-in-no-split-of-the-kv-heads",
        {"modality": "text", "params": 70e9, "gpu": "A100", "attention_heads": 40, "kv_heads": 10},
        "params: got 70000000000; accepts a model that fits in 2 GPUs: 140 GB of weights "
        "need 4 x A100 (choose a larger GPU or a smaller precision: kv_heads (10) "
        "split evenly over at most 2)",
    ),
    Case(
        "answer-beyond-the-memory",  # the longer part of the request is named
        {"modality": "text", "output_tokens": 1e9, "inference_model": "roofline"},
        "output_tokens: got 1000000000; accepts a request whose KV cache fits beside the",
    ),
    # Inputs bounded by another: a model that cannot exist (8.03T active parameters typed
    # for 8.03B took 1,694 GPUs to 1,471,058; 80 KV heads for 32 query heads, 10x the cache)
    Case(
        "kv-heads-beyond-attention-heads",
        {"kv_heads": 80, "attention_heads": 32},
        "kv_heads: got 80; accepts a number <= attention_heads (32): grouped-query attention "
        "shares each key/value head among query heads",
    ),
    Case(
        "active-params-beyond-params",
        {"active_params": 8.1e12},
        "active_params: got 8100000000000; accepts a number <= params (8100000000): the "
        "parameters each token computes with are some of the model's",
    ),
    # 16 replicas of 4 GPUs: an image pipeline spreads its parts, not its 38 heads
    Case("replica-split-given", {"tensor_parallel": 4}, 64.0),
    # past 2**53 every float is whole and ROUNDUP's 15 digits move the count a few units
    Case("gpus-past-exact-integers", {"steps": 1e17}, 6.009615384615385e16),
    Case(
        "replica-split-past-its-cap",
        {"tensor_parallel": 16},
        "tensor_parallel: got 16; accepts a whole number in [1, 8] (max_gpus_per_replica)",
    ),
    Case("unknown-precision", {"precision": "FP12"}, "precision: got 'FP12'; accepts one of FP32"),
    Case("peak-below-one", {"peak_factor": 0.5}, "peak_factor: got 0.5; accepts a number >= 1"),
    Case("negative-headroom", {"headroom": -0.1}, "headroom: got -0.1; accepts a number >= 0"),
    Case("negative-index", {"index_overhead": -0.25}, "index_overhead: got -0.25; accepts"),
    Case(
        "month-too-long",
        {"days_per_month": 40},
        "days_per_month: got 40; accepts a number in (0, 31]",
    ),
    Case(
        "fractional-replica-cap",
        {"max_gpus_per_replica": 2.5},
        "max_gpus_per_replica: got 2.5; accepts a whole number >= 1",
    ),
    Case(
        "fractional-retention",
        {"retention_months": 1.5},
        "retention_months: got 1.5; accepts a whole number in [0, 1200]",
    ),
    Case(
        "negative-measured-time",
        {"measured_inference_seconds": -1},
        "measured_inference_seconds: got -1; accepts a number > 0",
    ),
    Case("measured-time", {"measured_inference_seconds": 0.5}, math.ceil(1e9 / 86_400 * 0.5)),
    Case(
        "absurd-bytes-per-param",
        {"bytes_per_param": 100},
        "bytes_per_param: got 100; accepts a number in (0, 64]",
    ),
    Case(
        "usable-memory-above-one",
        {"usable_memory_fraction": 1.2},
        "usable_memory_fraction: got 1.2; accepts a number in (0, 1]",
    ),
    Case("negative-price", {"gpu_hourly_usd": -2}, "gpu_hourly_usd: got -2; accepts a number >= 0"),
    Case(
        "price-as-word",
        {"egress_usd_per_gb": "free"},
        "egress_usd_per_gb: got 'free'; accepts a number >= 0",
    ),
    Case("zero-steps", {"steps": 0}, "steps: got 0; accepts a number > 0"),
    Case(
        "gpu-without-price",
        {"gpu": "RTX4090"},
        "gpu_hourly_usd: missing; accepts a price in USD per GPU-hour >= 0 (the catalogue "
        "has no price for gpu 'RTX4090')",
        "total_usd_per_month",
    ),
    # A GPU given as FLOP/s must be finite: infinitely fast would make inference free.
    Case(
        "gpu-infinite-flops",
        {"gpu": INF, "gpu_hourly_usd": 2.745},
        f"gpu: got inf; accepts {GPU_ACCEPTS}",
        expect_in={
            "excel": "gpu: got '#NUM!'; accepts one of A100",
            "cli": "gpu: got 'inf'; accepts one of A100",  # text: a name, then
            "http": "request body: not valid JSON (got Infinity",
        },
    ),
    Case("gpu-text-inf", {"gpu": "inf"}, "gpu: got 'inf'; accepts one of A100, A100-80GB"),
    # Text past the largest float says why (it is > 0): not only what the input takes, nor
    # params' hint about numbers below 1,000.
    Case(
        "dau-text-beyond-float",
        {"dau": "1e309"},
        "dau: got '1e309'; accepts a number > 0, at most 1.8e+308 (a larger one cannot be "
        "computed)",
    ),
    Case(
        "params-text-beyond-float",
        {"params": "1e400"},
        "params: got '1e400'; accepts a number >= 1,000, at most 1.8e+308 (a larger one "
        "cannot be computed)",
    ),
    Case("gpu-text-1e400", {"gpu": "1e400"}, "gpu: got '1e400'; accepts one of A100, A100-80GB"),
    Case(
        "gpu-flops-infinite",
        {"gpu_flops": INF},
        f"gpu_flops: got inf; accepts {FLOPS_ACCEPTS}",
        expect_in={
            "excel": f"gpu_flops: got '#NUM!'; accepts {FLOPS_ACCEPTS}",
            "cli": f"gpu_flops: got 'inf'; accepts {FLOPS_ACCEPTS}",
            "http": "request body: not valid JSON (got Infinity",
        },
    ),
    # A fraction written as a percentage without %: refused with the reading it suggests.
    Case(
        "utilization-as-percent-number",
        {"utilization": 40},
        "utilization: got 40; accepts a number in (0, 1] (did you mean 40%?)",
    ),
    Case(
        "usable-memory-as-percent-number",
        {"usable_memory_fraction": 90},
        "usable_memory_fraction: got 90; accepts a number in (0, 1] (did you mean 90%?)",
    ),
    Case("headroom-of-one", {"headroom": 1}, 121.0),  # 100 %: a plain 1 is not above 1
    # The parser's suggestion for a decimal comma survives, where it is a valid value.
    Case(
        "decimal-comma", {"dau": "1,5"}, "dau: got '1,5'; accepts a number > 0 (did you mean 1.5?)"
    ),
    Case(
        "decimal-comma-in-a-size",
        {"response_bytes": "1,5MB"},
        "response_bytes: got '1,5MB'; accepts a number >= 0 (did you mean 1.5MB?)",
    ),
    Case(
        "decimal-comma-suggesting-a-bad-value",  # 8.1 is refused too: no suggestion
        {"params": "8,1"},
        "params: got '8,1'; accepts a number >= 1,000 (below 1,000 looks like billions typed "
        "as units: write 8.1E9)",
    ),
]


# Ranges: the Excel functions and the HTTP server. Arguments not given take the seed (the
# required ones) or the default; a range is a list of rows. A number ``expect`` is replaced
# by the cells: the spilled result (for SCENARIOS, the ``output`` column below the header).
BIG = [[1e8] * 5_000] * 5_000  # 25,000,000 cells (one row shared: little memory here)
OVER = [[1e8] * 1_000] * 1_001  # 1,001,000 cells: just over the limit, a 13 MB body
TOO_BIG_BODY = "request body: got more than 50,000,000 bytes; accepts at most 50,000,000 bytes"
LIMIT = "accepts at most 1,000,000 cells"
ACCEPTS_INPUT = "accepts one of scenario, dau, requests_per_user, params"

RANGE_CASES = [
    Case(
        "range-1x0",
        {"dau": [[]]},
        "dau: got an empty range (no cells); accepts a range of at least one cell",
        faces=RANGES,
    ),
    Case(
        "range-no-rows",
        {"gpu": []},
        "gpu: got an empty range (no cells); accepts a range of at least one cell",
        faces=RANGES,
    ),
    Case(
        "range-5000x5000",
        {"dau": BIG},
        f"dau: got 25,000,000 cells; {LIMIT}",
        faces=RANGES,
        expect_in={"http": TOO_BIG_BODY},
    ),
    Case(
        "range-over-the-cell-limit",
        {"params": OVER},
        f"params: got 1,001,000 cells; {LIMIT}",
        faces=RANGES,
    ),
    Case(
        "result-over-the-cell-limit",
        {"dau": [[1e8]] * 2_000, "gpu": [["A100"] * 1_000]},
        f"result: got 2,000,000 cells; {LIMIT}",
        faces=RANGES,
    ),
    Case(
        "mismatched-shapes",
        {"dau": [[1e8], [2e8], [3e8]], "requests_per_user": [[10], [20]]},
        "ranges of different sizes: dau is 3x1, requests_per_user is 2x1; accepts ranges of "
        "one size",
        faces=RANGES,
    ),
    Case(
        "mismatched-rows",
        {"dau": [[1e8, 2e8]], "params": [[8e9, 9e9, 1e10]]},
        "ranges of different sizes: dau is 1x2, params is 1x3",
        faces=RANGES,
    ),
    Case(
        "ragged-range",
        {"dau": [[1e8, 2e8], [1e8]]},
        "dau: got a range with rows of different lengths; accepts a rectangular range",
        faces=HTTP_ONLY,
    ),
    Case(
        "column-against-row",
        {"dau": [[1e8], [2e8]], "gpu": [["A100", "H100"]]},
        [[61, 19], [121, 38]],
        faces=RANGES,
    ),
    Case(
        "empty-cell-in-required-range",
        {"dau": [[1e8], [None], [2e8]]},
        [[61], [""], [121]],
        faces=RANGES,
    ),
    Case("empty-cell-in-optional-range", {"gpu": [["H100"], [None]]}, [[19], [61]], faces=RANGES),
    Case(
        "bad-cell-in-range",
        {"dau": [[1e8], [-5]]},
        [[61], ["dau: got -5; accepts a number > 0"]],
        faces=RANGES,
    ),
    Case(
        "error-cell-in-range",
        {"gpu": [["A100"], ["#N/A"]]},
        [[61], ["gpu: got '#N/A'; accepts one of A100"]],
        faces=RANGES,
    ),
    Case("boolean-in-range", {"dau": [[1e8], [True]]}, [[61], ["dau: got True"]], faces=RANGES),
    # A single value right beside some cells of a range and wrong beside others fails those
    # cells only (the whole spill was refused: 300B does not fit 8 x A100, but 8 x H200).
    Case(
        "fits-some-gpus-of-a-range",
        {"params": "300B", "gpu": [["A100", "H200"]]},
        [["params: got 300000000000; accepts a model that fits in 8 GPUs", 705]],
        faces=RANGES,
    ),
    Case(
        "kv-heads-beside-a-range-of-attention-heads",
        {"modality": "text", "kv_heads": 8, "attention_heads": [[32], [4]]},
        [[77824], ["kv_heads: got 8; accepts a number <= attention_heads (4)"]],
        output="kv_cache_bytes_per_token",
        faces=RANGES,
    ),
    Case(  # JSON's integers have no bound: one beyond a float is its own cell's message
        "huge-int-in-range",
        {"dau": [[1e8, 10**400]]},
        [[61, f"dau: got 1e+400; accepts a number > 0, {TOO_LARGE}"]],
        faces=HTTP_ONLY,  # Office.js sends every number as a float
    ),
    Case(
        "bad-cells-in-a-table",
        {"dau": [["abc"], [1e8], [-5]], "gpu": [["A100", "H900", "H100"]]},
        [
            ["dau: got 'abc'", "dau: got 'abc'", "dau: got 'abc'"],
            [61, "gpu: got 'H900'; accepts one of A100", 19],
            ["dau: got -5", "dau: got -5", "dau: got -5"],
        ],
        faces=RANGES,
    ),
    Case(
        "infinity-in-range",
        {"params": [[8.1e9], [INF]]},
        [[61], ["params: got '#NUM!'; accepts a number >= 1,000"]],
        faces=RANGES,
        expect_in={"http": "request body: not valid JSON (got Infinity"},
    ),
    Case(
        "estimate-refuses-a-range",
        {"dau": [[1e8], [2e8]]},
        "ESTIMATE: got a range; accepts single cells",
        output="estimate",
        faces=RANGES,
    ),
    Case(
        "scenarios",
        {
            "table": [
                ["dau", "gpu", "inference_model"],
                [1e8, "A100", "flops"],
                ["200M", "H100", "flops"],
            ]
        },
        [61, 38],
        output="scenarios",
        faces=RANGES,
    ),
    Case(
        "scenarios-empty-row",
        {"table": [["DAU ", "inference_model"], [1e8, "flops"], [None, None], [2e8, "flops"]]},
        [61, "", 121],
        output="scenarios",
        faces=RANGES,
    ),
    Case(
        "scenarios-unknown-header",
        {"table": [["dau", "gpuz"], [1e8, "A100"]]},
        f"column: got 'gpuz'; {ACCEPTS_INPUT}",
        output="scenarios",
        faces=RANGES,
    ),
    Case(
        "scenarios-numeric-header",
        {"table": [[5], [1e8]]},
        f"column: got 5; {ACCEPTS_INPUT}",
        output="scenarios",
        faces=RANGES,
    ),
    Case(
        "scenarios-duplicate-header",
        {"table": [["dau", "DAU"], [1e8, 2e8]]},
        "table: got the column 'dau' twice; accepts each input once",
        output="scenarios",
        faces=RANGES,
    ),
    Case(
        "scenarios-values-without-header",
        {"table": [["dau", None], [1e8, 5]]},
        "table: column 2 has values but no header; accepts a header row",
        output="scenarios",
        faces=RANGES,
    ),
    Case(
        "scenarios-bad-row",
        {"table": [["dau", "inference_model"], [1e8, "flops"], [-1, "flops"], [2e8, "flops"]]},
        [61, "dau: got -1; accepts a number > 0", 121],
        output="scenarios",
        faces=RANGES,
    ),
    Case(
        "scenarios-huge-int",
        {"table": [["dau", "inference_model"], [1e8, "flops"], [10**400, "flops"]]},
        [61, f"dau: got 1e+400; accepts a number > 0, {TOO_LARGE}"],
        output="scenarios",
        faces=HTTP_ONLY,
    ),
    Case(
        "scenarios-single-cell",
        {"table": "dau"},
        "table: got the single cell 'dau'; accepts a range with a header row",
        output="scenarios",
        faces=RANGES,
    ),
    Case(
        "scenarios-empty",
        {"table": None},
        "table: got an empty cell; accepts a range",
        output="scenarios",
        faces=RANGES,
    ),
    Case(
        "scenarios-5000x5000",
        {"table": BIG},
        f"table: got 25,000,000 cells; {LIMIT}",
        output="scenarios",
        faces=RANGES,
        expect_in={"http": TOO_BIG_BODY},
    ),
]


# Single values on some faces only (see the module's docstring).
SOME_FACES = [
    Case(
        "empty-text",
        {"gpu": ""},
        61.0,
        faces=frozenset({"formulas", "excel", "http", "workbook"}),  # the CLI refuses ''
        expect_in={"excel": [[61]], "http": [[61]]},  # GPU_COUNT's own cell
    ),
    Case(
        "empty-flag",
        {"dau": ""},
        "--dau: got an empty value; accepts a number > 0 (leave the flag out for the "
        "default: 100,000,000)",
        faces=frozenset({"cli"}),
    ),
    Case(
        "empty-name-flag",
        {"gpu": " "},
        "--gpu: got an empty value; accepts a catalogue name",
        faces=frozenset({"cli"}),
    ),
    # Overflows: the input to change, the quantity it makes overflow and which way to go.
    Case(
        "huge-overflows",
        {"dau": 1e308},
        overflows("dau", "1e+308", "a number > 0", "profile_storage_bytes", "smaller"),
        output="estimate",
        faces=ONE_CELL | {"workbook"},  # the Estimate names the input as formulas does
    ),
    Case(
        "utilization-subnormal",
        {"utilization": 1e-320},
        overflows("utilization", "1e-320", "a number in (0, 1]"),
        output="estimate",
        faces=ONE_CELL,
    ),
    Case(
        "efficiency-subnormal-one-output",  # the Excel function's own path
        {"compute_efficiency": 1e-320, "inference_model": "roofline"},
        overflows("compute_efficiency", "1e-320", "a number in (0, 1]"),
        faces=RANGES,
    ),
    # Under the seed's FLOPs formula GPU_COUNT does not use the serving model's efficiency:
    # its own function computes 61, as a table's GPU column does (ESTIMATE refuses: its
    # latencies overflow).
    Case(
        "efficiency-subnormal-unused",
        {"compute_efficiency": 1e-320},
        [[61]],
        faces=RANGES,
    ),
    # A GPU's figures typed in display units (312 for 312 TFLOP/s, 80 for 80 GB) are unit
    # slips, refused with the suffix to write, not computed into absurd GPU counts.
    Case(
        "gpu-flops-in-tflops",
        {"gpu_flops": 312},
        f"gpu_flops: got 312; accepts {FLOPS_ACCEPTS} "
        "(below 1e12 looks like TFLOP/s typed as units: write 312E12)",
        output="estimate",
        faces=ONE_CELL,
    ),
    Case(
        "gpu-flops-smallest",
        {"gpu_flops": 5e-324},
        f"gpu_flops: got 5e-324; accepts {FLOPS_ACCEPTS}",
        output="estimate",
        faces=ONE_CELL,
    ),
    Case(
        "gpu-in-tflops",
        {"gpu": 312},
        f"gpu: got 312; accepts {GPU_ACCEPTS} (did you mean 312T?)",
        output="estimate",
        faces=ONE_CELL - {"cli"},  # the command line reads "312" as text: not a GPU name
    ),
    Case(
        "gpu-number-spells-a-name",  # Excel stores a typed 4090 as a number
        {"gpu": 4090},
        f"gpu: got 4090; accepts {GPU_ACCEPTS} (did you mean RTX4090?)",
        output="estimate",
        faces=ONE_CELL - {"cli"},  # the command line reads "4090" as text: the RTX 4090
    ),
    Case(
        "gpu-memory-in-gb",
        {"gpu_memory_bytes": 80},
        "gpu_memory_bytes: got 80; accepts a number >= 1,000,000,000 "
        "(below 1e9 looks like gigabytes typed as units: write 80E9)",
        output="estimate",
        faces=ONE_CELL,
    ),
    Case(
        "time-in-minutes-or-milliseconds",  # "m" is no count suffix for a time
        {"tpot_target_seconds": "10m"},
        "tpot_target_seconds: got '10m'; accepts a number > 0 (did you mean 10ms or 600s?)",
        output="estimate",
        faces=ONE_CELL,
    ),
    Case(
        "params-at-the-float-limit",
        {"params": 1e308},
        overflows("params", "1e+308", "a number >= 1,000", "model_size_bytes", "smaller"),
        output="estimate",
        faces=ONE_CELL | {"workbook"},  # the Estimate names the input as formulas does
    ),
    Case(  # an image pipeline does not split its heads: the widest split is not used
        "max-gpus-at-the-float-limit-image",
        {"max_gpus_per_replica": LARGEST_FLOAT},
        61.0,
        faces=ONE_CELL,
        expect_in={"excel": [[61]], "http": [[61]]},  # GPU_COUNT's own cell
    ),
    Case(  # LOG(1.8e308, 2) rounds to 1024: the widest split, 2^1024, is past a float
        "max-gpus-at-the-float-limit-text",
        {**TEXT_MODEL, "max_gpus_per_replica": LARGEST_FLOAT},
        overflows(
            "max_gpus_per_replica",
            "1.7976931348623157e+308",
            "a whole number >= 1",
            "tensor_parallel_limit",
            "smaller",
        ),
        output="estimate",
        faces=ONE_CELL,
    ),
    Case(
        "measured-time-subnormal",
        {"measured_inference_seconds": 1e-320},
        overflows("measured_inference_seconds", "1e-320", "a number > 0"),
        output="estimate",
        faces=ONE_CELL,
    ),
    Case(
        "usable-memory-subnormal",
        {"usable_memory_fraction": 1e-320},
        overflows("usable_memory_fraction", "1e-320", "a number in (0, 1]"),
        output="estimate",
        faces=ONE_CELL,
    ),
    Case(
        "peak-factor-at-the-float-limit",
        {"peak_factor": 1e308},
        overflows("peak_factor", "1e+308", "a number >= 1", "peak_rps", "smaller"),
        output="estimate",
        faces=ONE_CELL | {"workbook"},  # the Estimate names the input as formulas does
    ),
    Case(
        "price-at-the-float-limit",
        {"gpu_hourly_usd": 1e308},
        overflows("gpu_hourly_usd", "1e+308", "a number >= 0", "gpu_usd_per_month", "smaller"),
        output="estimate",
        faces=ONE_CELL | {"workbook"},  # the Estimate names the input as formulas does
    ),
    Case(
        "users-underflow",  # requests per month underflow: their cost per 1,000 overflows
        {"dau": 1e-320},
        overflows("dau", "1e-320", "a number > 0", "usd_per_1k_requests", "larger"),
        output="estimate",
        faces=ONE_CELL,
    ),
    Case(
        "tiny-users",  # one replica, never none (the workbook's LibreOffice says it overflows)
        {"dau": 1e-300},
        1.0,
        faces=ONE_CELL,
        expect_in={"excel": [[1]], "http": [[1]]},  # GPU_COUNT's own cell
    ),
    Case(
        "users-underflow-still-need-a-gpu",  # GPU_COUNT alone: traffic underflows to 0
        {"dau": 1e-320},
        [[1]],
        faces=RANGES,
    ),
    # Ints too large for a float: Python and JSON only.
    Case(
        "huge-int-users",
        {"dau": 10**400},
        f"dau: got 1e+400; accepts a number > 0, {TOO_LARGE}",
        output="estimate",
        faces=frozenset({"formulas", "cli"}),
        expect_in={"cli": "dau: got '1000000000"},  # 401 characters: refused as text
    ),
    Case(
        "huge-int-params",
        {"params": -(10**400)},
        f"params: got -1e+400; accepts a number >= 1,000, {TOO_LARGE}",
        output="estimate",
        faces=frozenset({"formulas"}),
    ),
    Case(
        "huge-int-gpu",
        {"gpu": 10**400},
        f"gpu: got 1e+400; accepts {GPU_ACCEPTS}, {TOO_LARGE}",
        output="estimate",
        faces=frozenset({"formulas"}),
    ),
    # Fractions: a plain number above 1 is ambiguous; text with % is taken as written.
    Case(
        "headroom-as-percent-number",
        {"headroom": 20},
        f"headroom: got 20; accepts a fraction >= 0 {FRACTION} (did you mean 20%?)",
        output="estimate",
        faces=ONE_CELL,
    ),
    Case(
        "index-overhead-as-percent-number",
        {"index_overhead": 25},
        f"index_overhead: got 25; accepts a fraction >= 0 {FRACTION} (did you mean 25%?)",
        output="estimate",
        faces=ONE_CELL,
    ),
    Case(
        "headroom-percent-text",
        {"headroom": "150%"},
        151.0,
        faces=ONE_CELL,
        expect_in={"excel": [[151]], "http": [[151]]},  # GPU_COUNT's own cell
    ),
    Case(
        "index-overhead-percent-text",
        {"index_overhead": "150%"},
        2.5e15,
        "storage_bytes_per_day",
        faces=frozenset({"formulas", "cli"}),
    ),
    Case(
        "headroom-as-percent-number-in-a-range",
        {"dau": [[1e8], [2e8]], "headroom": [[0.2], [20]]},
        [[73], [f"headroom: got 20; accepts a fraction >= 0 {FRACTION} (did you mean 20%?)"]],
        faces=RANGES,
    ),
    Case(
        "headroom-percent-text-in-a-range",
        {"dau": [[1e8], [1e8]], "headroom": [["20%"], ["150%"]]},
        [[73], [151]],
        faces=RANGES,
    ),
    Case(
        "overflow-in-a-range",
        {"dau": [[1e8], [1e308]]},
        [
            [1e8 * 10_000],  # 10 kB of profile per user
            [overflows("dau", "1e+308", "a number > 0", "profile_storage_bytes", "smaller")],
        ],
        "profile_storage_bytes",
        faces=RANGES,
    ),
]

MATRIX = CASES + RANGE_CASES + SOME_FACES
