"""The leave-signers-out rows of the results table (benchmarks/results.py): `train.py --cv 5` on
configs/signers_gloss.yml for each model of `bench_landmarks.SIGNER_MODELS`, reported as the mean ± standard
deviation over the folds of the test signers' accuracy, with each fold's figure, the accuracy over every clip
(pooled), the worst-recognised signer and the model's throughput at batch 32 on one core."""

import json
from pathlib import Path

import torch

from benchmarks.bench_landmarks import SIGNER_MODELS, signer_model_speed

FLIP = "augmentations_parameters.landmarks.flip_probability=0.5"
UPPER_BODY = "feature_extractor.landmarks.layout=upper_body_hands"  # pose + hands, shoulder normalisation
HANDS = "feature_extractor.landmarks.layout=hands"  # hands only, normalised by their own spread over the clip
GCN = SIGNER_MODELS["landmarks_gcn + transformer"]
MLP = SIGNER_MODELS["landmarks_mlp + transformer"]
CONV = SIGNER_MODELS["landmarks_mlp + conv_transformer"]
# results.py experiment name -> (model, --set overrides of configs/signers_gloss.yml, note); every row names its
# layout, so that it measures the same thing whatever the config's default.
SIGNER_EXPERIMENTS = {
    "signers_gcn": ("landmarks_gcn + transformer", (*GCN, UPPER_BODY), "pose + hands"),
    "signers_mlp": ("landmarks_mlp + transformer", (*MLP, UPPER_BODY), "pose + hands"),
    "signers_conv_transformer": ("landmarks_mlp + conv_transformer", (*CONV, UPPER_BODY), "pose + hands"),
    "signers_gcn_hands": ("landmarks_gcn + transformer", (*GCN, HANDS), "hands only"),
    "signers_mlp_hands": ("landmarks_mlp + transformer", (*MLP, HANDS), "hands only"),
    "signers_mlp_hands_flip": ("landmarks_mlp + transformer", (*MLP, HANDS, FLIP), "hands only, flip_probability 0.5"),
    "signers_conv_transformer_hands": ("landmarks_mlp + conv_transformer", (*CONV, HANDS), "hands only"),
}


def mean_std(summary: dict, name: str) -> str:
    """`0.9123 ± 0.0456` of the test gloss figure `name` (`-` if the folds do not have it)."""
    if name not in summary["mean"]["test"]["gloss"]:
        return "-"
    return f"{summary['mean']['test']['gloss'][name]:.4f} ± {summary['std']['test']['gloss'][name]:.4f}"


def cv_rows(base: dict, cv_dir: Path, overrides: tuple[str, ...], note: str) -> list[dict]:
    """One row from a finished cross-validation's cv_summary.json, with the model's batch-32 throughput."""
    summary = json.loads((cv_dir / "cv_summary.json").read_text(encoding="utf-8"))
    folds = summary["folds"]
    per_fold = ", ".join(f"{fold['test']['gloss']['accuracy']:.3f}" for fold in folds)
    worst = summary["per_signer"]["test"][0]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        speed = signer_model_speed(overrides, repeats=5)["batch 32"]
    finally:
        torch.set_num_threads(threads)
    pooled = summary["pooled"]["test"]["gloss"]
    baseline = summary.get("majority_baseline", {}).get("test", {}).get("gloss")
    majority = f"majority baseline {baseline['accuracy']:.4f} ± {baseline['std']:.4f}; " if baseline else ""
    details = (
        f"folds: {per_fold}; {majority}pooled {pooled['accuracy']:.4f} over {pooled['clips']} clips; worst signer "
        f"{worst['signer']} {worst['accuracy']:.2f}; batch 32: {speed:.0f} clips/s (1 core)"
    )
    return [
        base
        | {
            "epochs": round(sum(fold["epochs_trained"] for fold in folds) / len(folds), 1),
            "head": "gloss",
            "accuracy": mean_std(summary, "accuracy"),
            "f1_weighted": mean_std(summary, "f1_weighted"),
            "ece": mean_std(summary, "ece"),
            "ece_calibrated": mean_std(summary, "ece_calibrated"),
            "note": f"{note + '; ' if note else ''}{details}; goal: mean accuracy >= 0.90",
        }
    ]
