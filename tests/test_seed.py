"""The seed document, exactly, with its own formula (inference_model "flops").

Source: "Deploying the System Design of a Text-to-Image Generation System" (../shared/seed/):
Stable Diffusion 3.5 Large (8.1B parameters, FP16) for 100 million daily users, 10 images
each, on NVIDIA A100 (312 TFLOPS dense FP16).
"""

import json
import subprocess
import sys

import pytest

from xlplugin import formulas

# Every figure the seed states, with the precision it states it to.
SEED = {
    "model_size_bytes": (16.2e9, 1e-12),  # "16.2 GB"
    "profile_storage_bytes": (1e12, 1e-12),  # "1 TB"
    "interaction_storage_bytes_per_day": (1e15, 1e-12),  # 1e8 x 10 x 1 MB
    "storage_bytes_per_day": (1.25e15, 1e-12),  # "another 25 % of storage"
    "storage_bytes_per_month": (3.75e16, 1e-12),  # 30 days
    "trps": (11_574.07, 1e-6),  # "approximately 11574"
    "inference_seconds": (5.19e-3, 1e-3),  # "approximately 5.2 milliseconds"
    "qps_per_gpu": (192.6, 1e-3),  # "approximately 192 QPS"
    "gpu_count": (61, 0),  # "We need 61 GPUs"
    "ingress_bits_per_second": (185.2e6, 1e-3),  # 2 KB requests
    "egress_bits_per_second": (92.59e9, 1e-4),  # 1 MB responses
}


@pytest.fixture(scope="module")
def seed():
    return formulas.estimate(inference_model="flops")


@pytest.mark.parametrize("name", SEED)
def test_seed_figure(seed, name):
    expected, rel = SEED[name]
    assert seed[name] == pytest.approx(expected, rel=rel, abs=0)


def test_seed_exact_arithmetic(seed):
    assert seed["trps"] == 1e8 * 10 / 86_400
    assert seed["inference_seconds"] == 2 * 8.1e9 * 100 / 312e12
    assert seed["gpu_count"] == 61 and seed["gpus_per_replica"] == 1


def test_cli_json_is_the_seed():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "xlplugin.cli",
            "estimate",
            "--format",
            "json",
            "--inference-model",
            "flops",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout)
    for name, (expected, rel) in SEED.items():
        assert result[name] == pytest.approx(expected, rel=rel, abs=0), name
    assert result["gpu"] == "A100" and result["gpu_count"] == 61


def test_the_default_roofline_keeps_the_seed_formula_beside_it():
    roofline = formulas.estimate()
    assert roofline["inference_model"] == "roofline"
    assert roofline["flops_gpu_count"] == 61  # the seed's formula, shown beside
    # Every latent token at every step, both guidance passes: orders of magnitude more.
    assert roofline["gpu_count"] > 100 * 61
    for name in ("model_size_bytes", "trps", "ingress_bits_per_second"):
        assert roofline[name] == formulas.estimate(inference_model="flops")[name]
