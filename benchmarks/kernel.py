"""A hand-written numpy kernel for the whole estimate: the baseline estimate_table is held
to (within 1.5× of it, returning the same columns).

It knows its inputs in advance (the benchmark's frame: numbers in float columns, GPU and
precision as text, every other input at its default), checks nothing and writes each
formula out by hand, a chunk of rows at a time into one block, as a careful engineer would
write it for speed; estimate_table validates every input, resolves the catalogue, keeps the
spreadsheets' rounding of ROUNDUP and works from the graph of quantities.

It writes out the seed's FLOPs model, the default until the roofline serving model came:
until it covers the roofline's steps too, bench_table reports the comparison as not measured.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from xlplugin.formulas import catalog
from xlplugin.formulas.vocabulary import INPUTS, OUTPUTS

CHUNK = 1 << 16
_UNIT = {"fp16": 0, "fp8": 1, "int8": 2}
_DEFAULT = {q.name: q.default for q in INPUTS}
_KIND = {q.name: q.kind for q in INPUTS}
_ORDER = [q.name for q in INPUTS] + [q.name for q in OUTPUTS]


def kernel(frame: pd.DataFrame) -> pd.DataFrame:
    """Every input as used and every output, as estimate_table returns them."""
    n = len(frame)
    gpus, precisions = catalog.gpus(), catalog.precisions()
    g_codes, g_names = pd.factorize(frame["gpu"], use_na_sentinel=False)
    p_codes, p_names = pd.factorize(frame["precision"], use_na_sentinel=False)
    rows = gpus.loc[list(g_names)]
    rates = rows[["fp16_flops", "fp8_flops", "int8_ops"]].to_numpy()
    rates = np.where(np.isnan(rates), rates[:, :1], rates)  # no such unit: the FP16 rate
    chosen = precisions.loc[list(p_names)]
    columns = {
        "bytes_per_param": chosen["bytes_per_param"].to_numpy()[p_codes],
        "gpu_flops": rates[g_codes, chosen["compute"].map(_UNIT).to_numpy()[p_codes]],
        "gpu_memory_bytes": rows["memory_bytes"].to_numpy()[g_codes],
        "gpu_hourly_usd": rows["hourly_usd"].to_numpy()[g_codes],
    }
    given = {c: frame[c].to_numpy() for c in frame.columns if _KIND[c] != "name"}
    names = [name for name in _ORDER if name not in frame.columns and _KIND.get(name) != "name"]
    block = np.empty((len(names), n))
    at = {name: i for i, name in enumerate(names)}
    for start in range(0, n, CHUNK):
        part = slice(start, start + CHUNK)
        values = {name: value[part] for name, value in (given | columns).items()}
        values.update(_outputs(values))
        for name, i in at.items():
            block[i, part] = values[name] if name in values else _DEFAULT[name]
    table = pd.DataFrame(block.T, index=frame.index, columns=names, copy=False)
    for name in _ORDER:
        if name not in table.columns:
            value = frame[name] if name in frame.columns else _DEFAULT[name]
            table.insert(_ORDER.index(name), name, value)
    return table


def _outputs(v: dict) -> dict:
    d = _DEFAULT
    dau, rpu, params = v["dau"], v["requests_per_user"], v["params"]
    out = {}
    out["model_size_bytes"] = model = params * v["bytes_per_param"]
    out["profile_storage_bytes"] = profiles = dau * d["profile_bytes"]
    out["interaction_storage_bytes_per_day"] = per_day = dau * rpu * d["stored_bytes_per_request"]
    out["storage_bytes_per_day"] = indexed = per_day * (1 + d["index_overhead"])
    out["storage_bytes_per_month"] = monthly = indexed * d["days_per_month"]
    out["retained_storage_bytes"] = retained = model + profiles + monthly * d["retention_months"]
    out["trps"] = trps = dau * rpu / 86_400
    out["peak_rps"] = peak = trps * v["peak_factor"]
    out["inference_seconds"] = seconds = (
        d["flops_per_param"] * params * d["steps"] / (v["gpu_flops"] * v["utilization"])
    )
    out["qps_per_gpu"] = qps = 1 / seconds
    memory = v["gpu_memory_bytes"] * d["usable_memory_fraction"]
    out["gpus_per_replica"] = replica = np.ceil(model / memory)
    out["gpu_count"] = count = replica * np.ceil(peak * (1 + d["headroom"]) / (qps * replica))
    out["ingress_bits_per_second"] = peak * d["request_bytes"] * 8
    out["egress_bits_per_second"] = peak * d["response_bytes"] * 8
    requests = dau * rpu * d["days_per_month"]
    out["gpu_usd_per_month"] = gpus = count * v["gpu_hourly_usd"] * 24 * d["days_per_month"]
    out["storage_usd_per_month"] = storage = retained / 1e9 * d["storage_usd_per_gb_month"]
    out["egress_usd_per_month"] = egress = (
        requests * d["response_bytes"] / 1e9 * d["egress_usd_per_gb"]
    )
    out["total_usd_per_month"] = total = gpus + storage + egress
    out["usd_per_1k_requests"] = total / requests * 1_000
    return out


# The outputs the kernel writes out: estimate_table is timed against it only when they are
# all of the estimate's (the same work on both sides).
_ONE_ROW = {
    **{name: np.ones(1) for name in ("dau", "requests_per_user", "params", "peak_factor")},
    **{name: np.ones(1) for name in ("bytes_per_param", "gpu_flops", "utilization")},
    **{name: np.ones(1) for name in ("gpu_memory_bytes", "gpu_hourly_usd")},
}
with np.errstate(all="ignore"):
    KERNEL_OUTPUTS = frozenset(_outputs(_ONE_ROW))
