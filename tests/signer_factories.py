"""A tiny multi-signer landmark corpus laid out like `mediapipe_signers`: `<signer>/<gloss>/<n>.npz` files in a
.zip and a gzipped `index.csv.gz` (path,signer,gloss) beside it, for the signer-split and cross-validation tests."""

import gzip
import zipfile
from pathlib import Path

import numpy as np

from datasets.landmark_files import joint_names, save_landmarks_npz

PARTS = ["pose", "left_hand", "right_hand"]


def write_signers_corpus(
    folder: Path, signers: dict[str, list[str]], clips: int = 2, frames: int = 5, seed: int = 0
) -> Path:
    """Every signer records `clips` clips of each of their glosses (`{signer: [gloss, ...]}`); a gloss moves the
    right hand to its own height, so a model can learn it. Returns the .zip path (the index is beside it)."""
    rng = np.random.default_rng(seed)
    glosses = sorted({g for names in signers.values() for g in names})
    folder.mkdir(parents=True, exist_ok=True)
    clips_dir = folder / "clips"
    rows = ["path,signer,gloss,label"]
    archive = folder / "corpus.zip"
    with zipfile.ZipFile(archive, "w") as output:
        for signer, names in signers.items():
            for gloss in names:
                for number in range(clips):
                    landmarks = rng.uniform(0.3, 0.7, (frames, len(joint_names(PARTS)), 4)).astype(np.float32)
                    landmarks[:, 33:54] = np.nan  # no left hand
                    landmarks[:, 54:75, 1] = 0.1 + 0.8 * glosses.index(gloss) / len(glosses)
                    path = f"{signer}/{gloss}/{number}.npz"
                    (clips_dir / path).parent.mkdir(parents=True, exist_ok=True)
                    save_landmarks_npz(clips_dir / path, landmarks, joint_names(PARTS), float("nan"), (0, 0))
                    output.write(clips_dir / path, arcname=path)
                    rows.append(f"{path},{signer},{gloss},{gloss.title()}")
    with gzip.open(folder / "index.csv.gz", "wt", encoding="utf-8") as index:
        index.write("\n".join(rows) + "\n")
    return archive
