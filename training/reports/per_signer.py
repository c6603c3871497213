"""Accuracy per signer: which people the model fails on. Read from a split's outputs (each clip's meta names its
signer); clips of unknown signer and clips without a head's label are left out of that head's figures."""

from collections import defaultdict
from pathlib import Path
from typing import Optional

from datasets.csv_rows import write_csv
from training.reports.predictions import SplitPredictions


def signer_counts(predictions: SplitPredictions) -> dict[str, dict[str, tuple[int, int]]]:
    """`{head: {signer: (labelled clips, correctly recognised)}}`."""
    signers = [meta.get("signer") for meta in predictions.clips]
    counts: dict[str, dict[str, tuple[int, int]]] = {}
    for head, outputs in predictions.heads.items():
        per_signer: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for signer, target, predicted in zip(signers, outputs.targets, outputs.predictions):
            if signer and target >= 0:
                per_signer[signer][0] += 1
                per_signer[signer][1] += int(target == predicted)
        counts[head] = {signer: (clips, correct) for signer, (clips, correct) in per_signer.items()}
    return counts


def signer_rows(predictions: SplitPredictions) -> list[dict[str, object]]:
    """One row per head and signer: `head, signer, clips, correct, accuracy`, the worst-recognised signer first."""
    rows = []
    for head, per_signer in signer_counts(predictions).items():
        ranked = sorted(per_signer.items(), key=lambda item: (item[1][1] / item[1][0], item[0]))
        rows += [
            {"head": head, "signer": signer, "clips": clips, "correct": correct, "accuracy": round(correct / clips, 4)}
            for signer, (clips, correct) in ranked
        ]
    return rows


def signer_accuracy(predictions: SplitPredictions) -> dict[str, dict[str, float]]:
    """`{head: {signer: accuracy}}` for summary.json (empty when no clip names its signer)."""
    table = {
        head: {signer: round(correct / clips, 4) for signer, (clips, correct) in sorted(per_signer.items())}
        for head, per_signer in signer_counts(predictions).items()
    }
    return {head: per_signer for head, per_signer in table.items() if per_signer}


def write_signer_report(report_dir: Path, split: str, predictions: SplitPredictions) -> Optional[Path]:
    """`<split>_per_signer.csv` in the report folder, if the split's clips name their signers."""
    rows = signer_rows(predictions)
    if not rows:
        return None
    path = report_dir / f"{split}_per_signer.csv"
    write_csv(rows, path)
    return path
