import re

import pandas as pd
import pytest
from xlplugin.formulas import UnknownNameError, catalog

from xlplugin import formulas


def test_every_gpu_row_cites_a_source_and_a_date():
    table = catalog.gpus()
    for column in ("spec_source", "spec_as_of", "confidence"):
        assert table[column].notna().all(), column
    priced = table[table["hourly_usd"].notna()]
    assert priced["price_source"].str.startswith("http").all()
    assert priced["price_as_of"].astype(str).str.match(r"^\d{4}(-\d{2})?(-\d{2})?$").all()


def test_the_issue_asks_for_these_accelerators():
    names = set(formulas.gpu_names())
    wanted = {
        "A100",
        "A100-80GB",
        "H100",
        "H100-PCIe",
        "H200",
        "B200",
        "L4",
        "L40S",
        "T4",
        "A10G",
        "MI300X",
        "TPU-v5e",
        "TPU-v6e",
        "Inferentia2",
    }
    assert wanted <= names


def test_dense_figures_not_sparse():
    table = catalog.gpus()
    assert table.loc["A100", "fp16_flops"] == 312e12  # 624 is the sparse figure
    assert table.loc["H100", "fp16_flops"] == 989e12  # 1,979 is the sparse figure
    assert table.loc["MI300X", "fp16_flops"] == pytest.approx(1307.4e12)
    assert pd.isna(table.loc["A100", "fp8_flops"])  # Ampere has no FP8


def test_names_and_aliases_are_unique_and_excel_safe():
    keys = []
    for _, row in catalog.gpus().iterrows():
        assert re.fullmatch(r"[A-Za-z0-9-]+", row["name"])
        keys += [row["name"]] + (
            row["aliases"].split(";") if isinstance(row["aliases"], str) else []
        )
    normal = [re.sub(r"[\s_\-.]", "", k).upper() for k in keys]
    assert len(normal) == len(set(normal))


@pytest.mark.parametrize("spelling", ["A100", "a100", "A100-40GB", "a100 40gb", "A100_SXM"])
def test_spellings_resolve(spelling):
    assert formulas.gpu_spec(spelling, "fp16_flops") == 312e12


def test_unknown_gpu_suggests_close_names():
    with pytest.raises(
        UnknownNameError,
        match=r"^gpu: got 'H10'; accepts one of .*did you mean "
        r"H100",
    ):
        formulas.gpu_spec("H10", "memory_bytes")


@pytest.mark.parametrize(
    ("canonical", "look_alike", "guess"),
    [
        (catalog.canonical_gpu, "l40\u017f", "L40S"),  # a long s, which upper-cases to S
        (catalog.canonical_precision, "\u0131nt8", "INT8"),  # a dotless i: I in upper case
        (catalog.canonical_model, "\u017fdxl", "SDXL"),
    ],
)
def test_a_look_alike_name_is_refused_with_the_name_it_resembles(canonical, look_alike, guess):
    """Names are matched in ASCII case only: text that upper-cases into a catalogue name
    without spelling it is not taken for it, and the name it resembles is suggested."""
    with pytest.raises(UnknownNameError, match=rf"did you mean {guess}\b"):
        canonical(look_alike)
    assert canonical(guess.lower()) == guess


def test_an_unknown_name_in_another_case_suggests_the_name():
    with pytest.raises(UnknownNameError, match=r"\(did you mean dau\?\)$"):
        formulas.estimate_table(pd.DataFrame({"DAU": [1e8]}))


def test_precisions_and_models():
    assert dict(
        zip(catalog.precisions()["name"], catalog.precisions()["bytes_per_param"], strict=True)
    ) == {"FP32": 4, "FP16": 2, "BF16": 2, "FP8": 1, "INT8": 1, "INT8-weight-only": 1, "INT4": 0.5}
    preset = formulas.model_preset("SD3.5-Large")
    seed = {
        "params": 8.1e9,
        "precision": "FP16",
        "steps": 100,
        "request_bytes": 2e3,
        "response_bytes": 1e6,
        "stored_bytes_per_request": 1e6,
    }
    assert {k: preset[k] for k in seed} == seed
    # and the architecture the roofline needs: SD3.5 Large's MMDiT at the seed's 512 x 512
    assert preset["modality"] == "image" and preset["layers"] == 38
    assert (preset["image_width"], preset["image_height"]) == (512, 512)  # the seed's
    assert formulas.estimate(**preset, inference_model="flops")["gpu_count"] == 61
    llama = formulas.model_preset("Llama-3.1-70B")
    assert llama["response_bytes"] == 2e3 and llama["steps"] == 500
    assert catalog.models()["source"].str.startswith("http").all()


def test_image_presets_carry_their_text_encoders_and_the_seed_default_is_sd35_large_s():
    from xlplugin.formulas.vocabulary import INPUT

    models = catalog.models()
    image = models["modality"] == "image"
    assert models.loc[image, "text_encoder_params"].gt(0).all()
    assert models.loc[~image, "text_encoder_params"].isna().all()  # not used by them
    default = INPUT["text_encoder_params"].default
    assert formulas.model_preset("SD3.5-Large")["text_encoder_params"] == default
    # Each row's note shows its sum, part by part, so that a reader can check it.
    for name, row in models[image].iterrows():
        shown = re.search(r"text_encoder_params ([\d,]+) = ([^(]+)\(", row["notes"])
        parts = re.findall(r"([\d,]{9,})", shown[2])
        assert float(shown[1].replace(",", "")) == row["text_encoder_params"], name
        assert sum(int(p.replace(",", "")) for p in parts) == row["text_encoder_params"], name
    # FLUX.1-dev's 12 B transformer and 4.9 B of CLIP-L and T5-XXL, 33.8 GB in BF16, fit in
    # one A100 40 GB (36 GB usable), near its limit: with 84 % usable instead of 90 %, not.
    flux = formulas.model_preset("FLUX.1-dev")
    pipeline = {k: flux[k] for k in ("params", "precision", "modality", "text_encoder_params")}
    assert flux["precision"] == "BF16" and flux["text_encoder_params"] == 4_885_371_136
    assert formulas.gpus_per_replica(**pipeline, gpu="A100") == 1
    assert formulas.gpus_per_replica(**pipeline, gpu="A100", usable_memory_fraction=0.84) == 2


def test_canonical_names():
    assert catalog.canonical_gpu("a100 40gb") == "A100"
    assert catalog.canonical_gpu("Trillium") == "TPU-v6e"
    assert catalog.canonical_precision("fp8") == "FP8"
    assert catalog.canonical_model("stable-diffusion-3.5-large") == "SD3.5-Large"
    with pytest.raises(UnknownNameError, match=r"^precision: got 'FP12'"):
        catalog.canonical_precision("FP12")
