"""The vocabulary: one snake_case name, one base unit and one default per quantity.

The same names are Python keyword arguments, CLI flags (with dashes), JSON keys,
workbook defined names and, upper-cased, Excel functions.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

__all__ = [
    "INPUTS",
    "OUTPUTS",  # noqa: F822 (from the graph, by __getattr__)
    "PROJECTION_INPUTS",
    "Input",
    "ascii_lower",
    "bound_text",
    "input_names",
    "output_names",
    "spelt_name",
]


@dataclass(frozen=True)
class Input:
    """An input of the estimate.

    ``low``/``high`` bound the accepted range (``None``: unbounded) and
    ``low_open``/``high_open`` say whether the bound itself is excluded. A default of
    ``None`` means "taken from the catalogue" (or, for ``measured_inference_seconds``, "use the
    FLOPs model").

    ``zero_allowed``: exactly 0 is accepted too, below ``low`` (a part a model may not have,
    whose small values are a slip: 4.7 text-encoder parameters meant 4.7 billion).

    A fraction (unit ``fraction`` or ``fraction/...``) given as a plain number above 1 is
    refused as ambiguous (``20``: 20 % or 2,000 %?) unless ``plain_above_one``; text with
    ``%`` ("150%") is always taken as written.
    """

    name: str
    unit: str
    default: object
    label: str
    description: str
    source: str
    low: float | None = 0.0
    high: float | None = None
    low_open: bool = True
    high_open: bool = False
    integer: bool = False
    kind: str = "number"  # "number", or "name" for catalogue names
    hint: str = ""
    # Required by the per-output functions (GPU_COUNT(dau, requests_per_user, params, ...));
    # estimate() still defaults it to the seed document's value.
    required: bool = False
    blank: str = "catalogue"  # what an empty value (default None) stands for, in words
    choices: tuple[str, ...] = ()  # the words a name input takes, if not catalogue names
    plain_above_one: bool = False  # a fraction may be a plain number above 1 (see above)
    number_unit: str = ""  # a name input that also takes a number: its unit (gpu: FLOP/s)
    zero_allowed: bool = False  # 0 is accepted below ``low`` (see above)

    def __post_init__(self):
        # (the workbook's row checks count 0 as below the bound it is let through under)
        if self.zero_allowed and not (self.low or 0) > 0:
            raise ValueError(f"{self.name}: zero_allowed needs a lower bound above 0")

    @property
    def default_text(self) -> str:
        """The default as a person reads it ("100,000,000", "FP16", "catalogue")."""
        value = self.default
        if value is None:
            return self.blank
        if isinstance(value, str):
            return value
        return f"{int(value):,}" if float(value).is_integer() else f"{value:,}"

    @property
    def accepts(self) -> str:
        """What the input accepts, in words, for error messages."""
        if self.kind == "name":
            if self.choices:
                return f"one of {', '.join(self.choices)}"
            if self.number_unit:  # gpu: a name, or the peak FLOP/s it stands for
                return f"a catalogue name or a {self.number_unit} number >= {bound_text(self.low)}"
            return "a catalogue name"
        what = "a whole number" if self.integer else "a number"
        if self.low is not None and self.high is not None:
            left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
            text = f"{what} in {left}{self.low:g}, {self.high:g}{right}"
        elif self.low is not None:
            text = f"{what} {'>' if self.low_open else '>='} {bound_text(self.low)}"
            text = f"0 or {text}" if self.zero_allowed else text
        else:
            text = what
        return text + (f" {self.hint}" if self.hint else "")


def bound_text(x: float) -> str:
    """A bound as people write it: whole ones with thousands separators (1,000; the
    workbook's FIXED writes them alike), others as they are (0.5)."""
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,g}"


_SEED = "seed document"

INPUTS: tuple[Input, ...] = (
    Input(
        "dau",
        "users/day",
        100_000_000,
        "Daily active users",
        "Users active on a day.",
        _SEED,
        required=True,
    ),
    Input(
        "requests_per_user",
        "requests/user/day",
        10,
        "Requests per user per day",
        "Requests each daily user makes.",
        _SEED,
        required=True,
    ),
    Input(
        "params",
        "parameters",
        8.1e9,
        "Model parameters",
        "Parameters in the model (8.1B for SD3.5 Large).",
        _SEED,
        low=1_000,
        low_open=False,
        hint="(below 1,000 looks like billions typed as units: write 8.1E9)",
        required=True,
    ),
    Input(
        "gpu",
        "name",
        "A100",
        "GPU",
        "Accelerator from the catalogue (A100, H100, H200, L4, MI300X, TPU-v6e, ...).",
        _SEED + " (NVIDIA A100, 312 TFLOPS dense FP16)",
        kind="name",
        # Given as a number, its peak FLOP/s: as gpu_flops, below 1e12 is a unit slip (or a
        # name typed as a number: 4090).
        number_unit="FLOP/s",
        low=1e12,
        low_open=False,
    ),
    Input(
        "precision",
        "name",
        "FP16",
        "Precision",
        "Number format of the weights: FP32, FP16, BF16, FP8, INT8 or INT4.",
        _SEED,
        kind="name",
    ),
    Input(
        "bytes_per_param",
        "B/parameter",
        None,
        "Bytes per parameter",
        "Bytes per weight; empty takes it from precision (FP16: 2).",
        _SEED + "; FP16 = 2 B",
        high=64,
        blank="the precision's width",
    ),
    Input(
        "profile_bytes",
        "B/user",
        10_000,
        "Profile size per user",
        "Stored profile data per user.",
        _SEED,
        low_open=False,
    ),
    Input(
        "stored_bytes_per_request",
        "B/request",
        1_000_000,
        "Stored bytes per request",
        "Bytes stored per interaction (the generated image).",
        _SEED,
        low_open=False,
    ),
    Input(
        "index_overhead",
        "fraction",
        0.25,
        "Indexing overhead",
        "Extra storage for indexing and metadata, as a fraction.",
        _SEED,
        low_open=False,
    ),
    Input(
        "days_per_month",
        "days",
        30,
        "Days per month",
        "Days in a billing month (also sets GPU-hours per month).",
        _SEED,
        high=31,
    ),
    Input(
        "steps",
        "steps/request",
        100,
        "Steps per request",
        "Work units per request: diffusion steps, tokens, or frames × steps.",
        _SEED,
    ),
    Input(
        "flops_per_param",
        "FLOP/parameter/step",
        2,
        "FLOP per parameter per step",
        "FLOP per parameter per step (2: one multiply-add).",
        _SEED,
    ),
    Input(
        "gpu_flops",
        "FLOP/s",
        None,
        "GPU peak FLOP/s",
        "Dense peak FLOP/s per GPU; empty takes the catalogue's for the precision.",
        "catalogue (vendor datasheets)",
        # The catalogue's least is 65e12 (T4, FP16): below 1e12 is a unit slip.
        low=1e12,
        low_open=False,
        hint="(below 1e12 looks like TFLOP/s typed as units: write 312E12)",
    ),
    Input(
        "gpu_memory_bytes",
        "B",
        None,
        "GPU memory",
        "Memory per GPU; empty takes the catalogue's.",
        "catalogue (vendor datasheets)",
        low=1e9,
        low_open=False,
        hint="(below 1e9 looks like gigabytes typed as units: write 80E9)",
    ),
    Input(
        "usable_memory_fraction",
        "fraction",
        0.9,
        "Usable memory fraction",
        "Share of GPU memory the weights may fill (the rest: activations, cache).",
        "vLLM's default gpu_memory_utilization (0.9)",
        high=1.0,
    ),
    Input(
        "max_gpus_per_replica",
        "GPUs",
        8,
        "Max GPUs per replica",
        "Most GPUs one model replica may span (8 = one HGX node).",
        "NVIDIA HGX servers hold 8 GPUs",
        low=1,
        low_open=False,
        integer=True,
    ),
    Input(
        "utilization",
        "fraction",
        1.0,
        "Utilization",
        "Fraction of peak FLOP/s achieved by the seed's FLOPs formula (inference_model "
        "flops; 1 = theoretical, 0.3-0.6 is typical); the roofline uses compute_efficiency "
        "and memory_bandwidth_efficiency instead.",
        _SEED + " (theoretical peak)",
        high=1.0,
    ),
    Input(
        "peak_factor",
        "ratio",
        1.0,
        "Peak factor",
        "Peak over average traffic (1 = flat).",
        _SEED + " (average traffic)",
        low=1.0,
        low_open=False,
    ),
    Input(
        "headroom",
        "fraction",
        0.0,
        "Headroom",
        "Spare capacity on top of peak, as a fraction (0.2 = 20 %).",
        _SEED + " (none)",
        low_open=False,
    ),
    Input(
        "measured_inference_seconds",
        "s",
        None,
        "Measured inference time",
        "GPU-seconds per request, if measured: replaces the inference model's figure; "
        "empty: the inference model computes it.",
        "the inference model unless measured",
        blank="inference model",
    ),
    Input(
        "inference_model",
        "name",
        "roofline",
        "Inference model",
        "roofline: compute, memory bandwidth and memory bound the replica; flops: the seed "
        "document's formula (one token per step, no batching).",
        "xlplugin: roofline, calibrated on published measurements",
        kind="name",
        choices=("roofline", "flops"),
    ),
    Input(
        "modality",
        "name",
        "image",
        "Modality",
        "What the model makes: text (language model), image (diffusion) or speech (to text).",
        _SEED + " (text to image)",
        kind="name",
        choices=("text", "image", "speech"),
    ),
    Input(
        "input_tokens",
        "tokens/request",
        333,
        "Input tokens",
        "Prompt tokens (text); text-encoder tokens joining the image tokens (image).",
        "SD3.5 joint attention: 77 CLIP + 256 T5 tokens (diffusers pipeline)",
        low_open=False,
    ),
    Input(
        "output_tokens",
        "tokens/request",
        500,
        "Output tokens",
        "Tokens generated per request (text, speech): at least one (a cost per output "
        "token needs one).",
        "assumption: a chat answer of about 375 words",
        low=1.0,
        low_open=False,
    ),
    Input(
        "image_width",
        "pixels",
        512,
        "Image width",
        "Width of a generated image.",
        _SEED + " (512 x 512 images)",
    ),
    Input(
        "image_height",
        "pixels",
        512,
        "Image height",
        "Height of a generated image.",
        _SEED + " (512 x 512 images)",
    ),
    Input(
        "guidance_passes",
        "passes/step",
        2,
        "Guidance passes",
        "Backbone passes per denoising step: 2 with classifier-free guidance, 1 if distilled.",
        "SD3.5 Large model card (guidance scale 3.5: conditional and unconditional passes)",
        low=1,
        low_open=False,
        integer=True,
    ),
    Input(
        "backbone",
        "name",
        "transformer",
        "Backbone",
        "transformer (DiT, MMDiT: 2 x active params FLOP per token) or unet (FLOP per pixel).",
        "SD3.5 Large is an MMDiT transformer",
        kind="name",
        choices=("transformer", "unet"),
    ),
    Input(
        "vae_factor",
        "pixels/latent",
        8,
        "VAE factor",
        "Pixels per latent cell along each side.",
        "SD3.5 VAE: 8x downsampling (transformer/config.json)",
    ),
    Input(
        "patch_size",
        "latents/token",
        2,
        "Patch size",
        "Latent cells per token along each side (1 for a U-Net).",
        "SD3.5 transformer/config.json: patch_size 2",
    ),
    Input(
        "unet_flops_per_pixel",
        "FLOP/pixel/step",
        5.75e6,
        "U-Net FLOP per pixel",
        "FLOP of one U-Net pass per image pixel (a U-Net backbone only).",
        "SDXL U-Net: 6.03 TFLOP per pass at 1024 x 1024 (lwag212/sdxl-sige), per pixel",
    ),
    Input(
        "vae_decode_flops_per_pixel",
        "FLOP/pixel",
        9.69e6,
        "VAE decode FLOP per pixel",
        "FLOP to decode one image pixel from the latents.",
        "NVIDIA TensorRT Stable Diffusion talk: VAE decoder 2.539 TFLOP at 512 x 512",
    ),
    Input(
        "layers",
        "layers",
        38,
        "Layers",
        "Transformer layers (blocks) of the model.",
        "SD3.5 Large transformer/config.json: num_layers 38",
        integer=True,
    ),
    Input(
        "attention_heads",
        "heads",
        38,
        "Attention heads",
        "Query heads per layer.",
        "SD3.5 Large transformer/config.json: num_attention_heads 38",
        integer=True,
    ),
    Input(
        "kv_heads",
        "heads",
        None,
        "KV heads",
        "Key/value heads per layer (fewer than attention heads with grouped-query "
        "attention); empty: one per attention head.",
        "no grouped-query attention, as in SD3.5 Large; presets give theirs (Llama 3.1 8B: "
        "8 of 32)",
        integer=True,
        blank="attention_heads",
    ),
    Input(
        "head_dim",
        "dimensions",
        64,
        "Head dimension",
        "Dimensions per attention head.",
        "SD3.5 Large transformer/config.json: attention_head_dim 64",
        integer=True,
    ),
    Input(
        "active_params",
        "parameters",
        None,
        "Active parameters",
        "Parameters each token computes with (mixture of experts); empty: all of params, "
        "or in an image transformer 12 × layers × width² (its own modality's weights).",
        "model card (e.g. Mixtral 8x7B: 12.9B of 46.7B); image transformers: Kaplan et al. "
        "2020 (12 × layers × d²) and SD3's MMDiT (arXiv:2403.03206: weights per modality)",
        low=1_000,
        low_open=False,
        blank="params",
    ),
    Input(
        "text_encoder_params",
        "parameters",
        5_580_620_800,
        "Text-encoder parameters",
        "Parameters of the text encoders an image pipeline keeps in GPU memory beside its "
        "backbone (held, not run at each step); not used by text and speech models.",
        "SD3.5 Large: CLIP-L 123,650,304 + CLIP-G 694,659,840 + T5-XXL encoder "
        "4,762,310,656 (its text_encoder, _2, _3 config.json; our arithmetic)",
        low=1_000,
        low_open=False,
        zero_allowed=True,  # none: 0; 1 to 999 are billions typed as units
        hint="(below 1,000 looks like billions typed as units: write 4.7E9)",
    ),
    Input(
        "kv_precision",
        "name",
        None,
        "KV-cache precision",
        "Number format of the KV cache; empty: the weights' precision.",
        "serving frameworks' default: the model's dtype",
        kind="name",
        blank="precision",
    ),
    Input(
        "audio_seconds",
        "s/request",
        30,
        "Audio per request",
        "Seconds of audio per speech request (encoded in 30-s windows).",
        "Whisper's 30-s window",
    ),
    Input(
        "gpu_memory_bandwidth",
        "B/s",
        None,
        "GPU memory bandwidth",
        "Memory bandwidth per GPU; empty takes the catalogue's.",
        "catalogue (vendor datasheets)",
        low=1e9,
        low_open=False,
        hint="(below 1e9 looks like TB/s or GB/s typed as units: write 3.35E12)",
    ),
    Input(
        "tensor_parallel",
        "GPUs",
        None,
        "Tensor parallel GPUs",
        "GPUs per replica (at least what the weights need; text, speech: a divisor of "
        "attention_heads, and of kv_heads or a multiple); empty: enough for the weights, a "
        "full batch's KV caches and the latency targets (1, 2, 4, 8...), to "
        "max_gpus_per_replica.",
        "within 11 % of the best of 1, 2, 4 or 8 GPUs per replica over the catalogue's "
        "language and speech models (tests/test_inference.py)",
        low=1,
        low_open=False,
        integer=True,
        blank="sized for the weights and a full batch",
    ),
    Input(
        "parallel_efficiency",
        "fraction",
        0.9,
        "Parallel efficiency",
        "Share of each GPU's speed kept when a replica spans several (communication).",
        "calibration (formulas/data/measurements.csv)",
        high=1.0,
    ),
    Input(
        "max_batch",
        "requests",
        None,
        "Max batch",
        "Most requests one replica runs side by side; empty: 256 for text and speech, "
        "1 for images.",
        "vLLM's default max_num_seqs (256); diffusers pipelines make one prompt per call",
        low=1,
        low_open=False,
        integer=True,
        blank="256 (text, speech) or 1 (image)",
    ),
    Input(
        "ttft_target_seconds",
        "s",
        None,
        "TTFT target",
        "Longest time to first token (or to the image); empty: none.",
        "none unless given",
        blank="none",
    ),
    Input(
        "tpot_target_seconds",
        "s",
        None,
        "TPOT target",
        "Longest time per output token; empty: none.",
        "none unless given",
        blank="none",
    ),
    Input(
        "compute_efficiency",
        "fraction",
        0.45,
        "Compute efficiency",
        "Share of peak FLOP/s achieved (roofline).",
        "calibration (formulas/data/measurements.csv)",
        high=1.0,
    ),
    Input(
        "memory_bandwidth_efficiency",
        "fraction",
        0.7,
        "Memory bandwidth efficiency",
        "Share of peak memory bandwidth achieved (roofline).",
        "calibration (formulas/data/measurements.csv)",
        high=1.0,
    ),
    Input(
        "request_bytes",
        "B/request",
        2_000,
        "Request size",
        "Bytes received per request (prompt and metadata).",
        _SEED,
        low_open=False,
    ),
    Input(
        "response_bytes",
        "B/request",
        1_000_000,
        "Response size",
        "Bytes sent per request (the image and metadata).",
        _SEED,
        low_open=False,
    ),
    Input(
        "gpu_hourly_usd",
        "USD/GPU-hour",
        None,
        "GPU price per hour",
        "On-demand USD per GPU-hour; empty takes the catalogue's.",
        "catalogue (dated cloud price pages)",
        low_open=False,
    ),
    Input(
        "storage_usd_per_gb_month",
        "USD/GB-month",
        0.023,
        "Storage price",
        "Object storage USD per GB-month.",
        "AWS S3 Standard, first 50 TB, us-east-1 (aws.amazon.com/s3/pricing)",
        low_open=False,
    ),
    Input(
        "egress_usd_per_gb",
        "USD/GB",
        0.05,
        "Egress price",
        "Internet egress USD per GB.",
        "AWS data transfer out, over 150 TB/month tier (aws.amazon.com/ec2/pricing)",
        low_open=False,
    ),
    Input(
        "retention_months",
        "months",
        12,
        "Retention",
        "Months interaction data is kept before deletion.",
        "assumption: one year",
        low_open=False,
        high=1200,
        integer=True,
    ),
)

PROJECTION_INPUTS: tuple[Input, ...] = (
    Input(
        "months",
        "months",
        24,
        "Months to project",
        "Length of the month-by-month plan.",
        "template default",
        low=1,
        low_open=False,
        high=600,
        integer=True,
    ),
    Input(
        "dau_growth",
        "fraction/month",
        0.05,
        "Monthly DAU growth",
        "Growth of daily users per month (0.05 = 5 %).",
        "assumption",
        low=-1.0,
        high=10.0,
    ),
)

INPUT = {q.name: q for q in INPUTS + PROJECTION_INPUTS}


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def ascii_lower(text: str) -> str:
    """``text`` with its ASCII letters in lower case and every other letter as it is:
    str.lower() makes the Kelvin sign a "k", and str.upper() a dotless "ı" an I and a long
    "ſ" an S, so that look-alike text would match a name it does not spell."""
    return text.translate(_ASCII_LOWER)


def spelt_name(text: object) -> str:
    """A name as the vocabulary spells it, case, spaces and dashes ignored ("Requests per
    user", "requests-per-user": ``requests_per_user``): how a scenario file's header, the
    Excel function SCENARIOS' header row and GPU_SPEC's field are read alike."""
    return ascii_lower(re.sub(r"[\s\-]+", "_", str(text).strip()))


def input_names() -> list[str]:
    """Names of all inputs, in vocabulary order."""
    return [q.name for q in INPUTS]


def output_names() -> list[str]:
    """Names of all outputs, in vocabulary order."""
    return [q.name for q in __getattr__("OUTPUTS")]


def __getattr__(name: str):
    # The outputs are the graph's quantities, defined in the domain modules (which import
    # this one): looked up when first asked for, once they are all registered.
    if name in ("OUTPUTS", "OUTPUT"):
        from . import graph, quantities  # noqa: F401 (registers every quantity)

        found = tuple(graph.outputs())
        return found if name == "OUTPUTS" else {q.name: q for q in found}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
