"""The bad-input matrix: one table of inputs and their documented outcomes, run against every
face of the estimator (formulas, the CLI, the Excel functions, the HTTP server, the workbook).

Each case gives the inputs that differ from the seed, and either the number an output must
take (``expect`` a float) or the start of the one-line error (``expect`` a string). ``NAN``
and ``INF`` stand for what a cell or a JSON body cannot spell directly.
"""

import math
from dataclasses import dataclass

NAN, INF = math.nan, math.inf


@dataclass(frozen=True)
class Case:
    id: str
    inputs: dict
    expect: object  # a number for gpu_count, or the start of the error message
    output: str = "gpu_count"

    @property
    def is_error(self) -> bool:
        return isinstance(self.expect, str)


CASES = [
    Case("negative", {"dau": -5}, "dau: got -5; accepts a number > 0"),
    Case("zero", {"dau": 0}, "dau: got 0; accepts a number > 0"),
    Case("zero-where-allowed", {"profile_bytes": 0}, 0.0, "profile_storage_bytes"),
    Case("nan", {"requests_per_user": NAN}, 61.0),  # NaN is a blank cell: the default
    Case("plus-infinity", {"params": INF}, "params: got inf; accepts a number >= 1,000"),
    Case("minus-infinity", {"steps": -INF}, "steps: got -inf; accepts a number > 0"),
    Case("empty-cell", {"dau": None}, 61.0),
    Case("empty-text", {"gpu": ""}, 61.0),
    Case("boolean", {"dau": True}, "dau: got True; accepts a number > 0"),
    Case("text-not-a-number", {"dau": "lots"}, "dau: got 'lots'; accepts a number > 0"),
    Case(
        "bad-suffix",
        {"stored_bytes_per_request": "10XB"},
        "stored_bytes_per_request: got '10XB'; accepts a number >= 0",
    ),
    Case("good-suffixes", {"dau": "100M", "params": "8.1B"}, 61.0),
    Case("size-suffix", {"response_bytes": "4MB"}, 4 * 92592592592.5926, "egress_bits_per_second"),
    Case("huge-overflows", {"dau": 1e308}, "profile_storage_bytes: the result overflows"),
    Case(
        "billions-as-units",
        {"params": 8.1},
        "params: got 8.1; accepts a number >= 1,000 "
        "(below 1,000 looks like billions typed as units: write 8.1B)",
    ),
    Case(
        "utilization-above-one",
        {"utilization": 1.5},
        "utilization: got 1.5; accepts a number in (0, 1]",
    ),
    Case("utilization-zero", {"utilization": 0}, "utilization: got 0; accepts a number in (0, 1]"),
    Case("unknown-gpu", {"gpu": "H900"}, "gpu: got 'H900'; accepts one of A100, A100-80GB"),
    Case("gpu-as-flops", {"gpu": 312e12, "gpu_hourly_usd": 2.745}, 61.0),
    Case(
        "negative-gpu-flops",
        {"gpu": -1e15},
        "gpu: got -1000000000000000; accepts a catalogue name or a FLOP/s number > 0",
    ),
    Case(
        "fits-on-no-gpu",
        {"params": 1e13},
        "params: got 10000000000000; accepts a model that fits in 8 GPUs",
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
]
