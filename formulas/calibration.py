"""The roofline against published measurements (``data/measurements.csv``).

Each measurement becomes a scenario: the model's architecture from its
preset in ``data/models.csv``, the GPU, GPUs per replica, precision and request shape as
measured, and the batch the measurement ran at (a measurement condition, not a fitted
value: saturated TensorRT-LLM runs queue thousands of requests, so the framework's own
limit applies; a latency run at a low request rate holds a few requests in flight). The
efficiencies are the vocabulary's defaults, the same for every point.
"""

from __future__ import annotations

import functools
import math
from importlib import resources

import pandas as pd

__all__ = ["calibration_markdown", "calibration_table", "measurement_inputs", "summary"]

# Requests in flight for each measurement condition (the batch_or_concurrency column).
# Thousands of requests queued at once: the engine's batch limit binds, 2048 being
# TensorRT-LLM's default max_batch_size (trtllm-bench may pick more from its dataset; the
# KV caches that memory holds bind before either for all but the smallest requests).
SATURATED_TENSORRT_BATCH = 2048
SATURATED_DIFFUSION_BATCH = 64  # MLPerf offline: every sample issued at once
# Models measured under another name with the same layer shapes.
SAME_SHAPES = {"Llama-2-70B": ("Llama-3.1-70B", 68.98e9)}


@functools.cache
def _read(name: str) -> pd.DataFrame:
    with resources.files(__package__).joinpath(f"data/{name}.csv").open(encoding="utf-8") as f:
        return pd.read_csv(f)


def architecture(model: str) -> dict:
    """Inputs that describe a model, from its preset (``data/models.csv``)."""
    from .catalog import model_preset  # the catalogue reads the same data folder

    name, params = SAME_SHAPES.get(model, (model, None))
    preset = model_preset(name)
    if params:
        preset["params"] = params
    return preset


def _batch(condition: str) -> float:
    text = condition.lower()
    if text.startswith("batch "):
        return float(text.split()[1])
    if " in flight" in text:  # served at a request rate: Little's law, worked in the row
        return float(text.split(" in flight")[0].split()[-1].replace(",", ""))
    if "offline" in text and "sample" in text:
        return float(SATURATED_DIFFUSION_BATCH)
    return float(SATURATED_TENSORRT_BATCH)


def measurement_inputs(row) -> dict | None:
    """The scenario of one measurement; None where the source lacks a figure it needs."""
    inputs = architecture(row["model"])
    inputs.update(gpu=row["gpu"], tensor_parallel=float(row["gpus"]), inference_model="roofline")
    inputs["precision"] = row["precision"] if row["precision"] == row["precision"] else None
    if inputs["precision"] is None:
        return None
    inputs["max_batch"] = _batch(str(row["batch_or_concurrency"]))
    if row["modality"] == "image":
        inputs.update(
            image_width=float(row["width"]),
            image_height=float(row["height"]),
            steps=float(row["steps"]),
            tensor_parallel=1.0,
        )
    else:
        if row["input_tokens"] != row["input_tokens"]:
            return None
        inputs.update(
            input_tokens=float(row["input_tokens"]), output_tokens=float(row["output_tokens"])
        )
    return inputs


# What the calibration holds the roofline to: throughput at saturation and the latency of
# one image. Left out, with the reason shown beside each such point:
CALIBRATED_METRICS = ("output_tokens_per_second", "images_per_second", "seconds_per_image")
UNCALIBRATED_GPUS = {
    "MI300X": "vLLM on ROCm (2024) reached about a third of the FP8 peak the catalogue lists; "
    "one set of efficiencies cannot stand for both vendors' software"
}
LATENCY_UNDER_LOAD = (
    "a latency under load holds queueing and scheduling time that the roofline leaves out"
)


def _excluded(row) -> str:
    """Why a point is not in the calibration ('' if it is)."""
    if row["gpu"] in UNCALIBRATED_GPUS:
        return UNCALIBRATED_GPUS[row["gpu"]]
    if row["metric"] not in CALIBRATED_METRICS:
        return LATENCY_UNDER_LOAD
    return ""


def _predicted(row, result: dict) -> float:
    metric, gpus = row["metric"], float(row["gpus"])
    if metric == "output_tokens_per_second":
        return result["output_tokens_per_second_per_gpu"] * gpus
    if metric == "images_per_second":
        return result["qps_per_gpu"] * gpus
    if metric == "seconds_per_image":
        batch = result["max_concurrency_per_replica"]
        return (
            1 / result["requests_per_second_per_replica"] if batch > 1 else result["ttft_seconds"]
        )
    return result[metric]


def calibration_table(**efficiencies) -> pd.DataFrame:
    """Every measurement with the roofline's prediction and their ratio."""
    from . import estimate
    from .graph import evaluate  # noqa: F401

    rows = []
    for _, row in _read("measurements").iterrows():
        inputs = measurement_inputs(row)
        # A point the roofline cannot be asked about stays in the table, saying why.
        predicted = (
            math.nan if inputs is None else _predicted(row, estimate(**inputs, **efficiencies))
        )
        rows.append(
            {
                "case": row["case"],
                "modality": row["modality"],
                "model": row["model"],
                "gpu": row["gpu"],
                "gpus": int(row["gpus"]),
                "precision": row["precision"],
                "shape": _shape(row),
                "metric": row["metric"],
                "measured": float(row["value"]),
                "predicted": predicted,
                "ratio": predicted / float(row["value"]),
                "excluded": _unstated(row) if inputs is None else _excluded(row),
                "source": row["source"],
                "as_of": row["as_of"],
            }
        )
    return pd.DataFrame(rows)


def _unstated(row) -> str:
    """Why a measurement gives the roofline too little to predict it."""
    needed = (("precision", "precision"), ("mean prompt and output lengths", "input_tokens"))
    missing = [what for what, column in needed if row[column] != row[column]]  # NaN: empty
    return f"the source states no {' and no '.join(missing)}: nothing to predict"


def _shape(row) -> str:
    if row["input_tokens"] != row["input_tokens"] and row["modality"] != "image":
        return "not stated"
    if row["modality"] == "image":
        return f"{int(row['width'])}x{int(row['height'])}, {int(row['steps'])} steps"
    return f"{int(row['input_tokens'])} in / {int(row['output_tokens'])} out"


def summary(table: pd.DataFrame) -> dict:
    """Over the calibrated points: the geometric mean of the ratio both ways
    (max(p/m, m/p)) and the worst point."""
    used = table[table["excluded"] == ""]
    both = [max(r, 1 / r) for r in used["ratio"]]
    return {
        "points": len(both),
        "geometric_mean": math.exp(sum(math.log(b) for b in both) / len(both)),
        "worst": max(both),
    }


def _text(x: object) -> str:
    return "" if x != x else str(x)  # NaN: an empty cell


def _figure(x: float, spec: str) -> str:
    return "—" if math.isnan(x) else format(x, spec)


def calibration_markdown() -> str:
    """The calibration as the README's Markdown table, with its summary line."""
    table = calibration_table()
    found = summary(table)
    lines = [
        "| model | GPU × n | precision | request | measured | roofline | ratio | in fit |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in table.itertuples():
        unit = {"output_tokens_per_second": "tokens/s", "images_per_second": "images/s"}.get(
            r.metric, "s" + (" to first token" if r.metric == "ttft_seconds" else "")
        )
        if r.metric == "tpot_seconds":
            unit = "s per token"
        elif r.metric == "seconds_per_image":
            unit = "s per image"
        lines.append(
            f"| {r.model} | {r.gpu} × {r.gpus} | {_text(r.precision)} | {r.shape} | "
            f"{r.measured:,.4g} {unit} | {_figure(r.predicted, ',.4g')} | "
            f"{_figure(r.ratio, '.2f')} | "
            f"{'yes' if not r.excluded else 'no: ' + r.excluded} |"
        )
    lines.append("")
    lines.append(
        f"{found['points']} points in the fit: geometric mean of the ratio either way "
        f"{found['geometric_mean']:.3f}×, worst {found['worst']:.2f}× (sources and dates: "
        "`formulas/data/measurements.csv`)."
    )
    return "\n".join(lines)
