"""The Lightning data module: records from every dataset folder, a split, and the loaders."""

import logging
from functools import partial
from pathlib import Path
from typing import Optional

import lightning as L
from torch.utils.data import DataLoader, Subset

from datasets.annotations import ClipRecord, load_dataset_records, read_class_names
from datasets.collate import collate_clips
from datasets.frames_dataset import FramesDataset
from datasets.splits import stratified_split
from datasets.transforms import build_transform
from utils.config_schema import AugmentationsParameters, DatasetEntry, HeadConfig, TrainParameters

logger = logging.getLogger(__name__)


class SignDataModule(L.LightningDataModule):
    """Clips of all `datasets` with labels for the heads of `heads_by_mode`, split into train and val."""

    def __init__(
        self,
        datasets: list[DatasetEntry],
        heads_by_mode: dict[str, dict[str, HeadConfig]],
        train_parameters: TrainParameters,
        augmentations: AugmentationsParameters,
        ratio_train_test: float,
        workers: int = 0,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.datasets = datasets
        self.heads_by_mode = heads_by_mode
        self.params = train_parameters
        self.augmentations = augmentations
        self.ratio_train_test = ratio_train_test
        self.workers = workers
        self.seed = seed
        self.records: list[ClipRecord] = []
        self.splits: dict[str, list[int]] = {}
        self.class_names: dict[str, list[str]] = {}

    @property
    def heads(self) -> dict[str, HeadConfig]:
        """Every selected head, in config order."""
        return {h: cfg for heads in self.heads_by_mode.values() for h, cfg in heads.items()}

    def setup(self, stage: Optional[str] = None) -> None:
        """Read the annotations and split them (once, whatever the stage)."""
        if self.records:
            return
        for entry in self.datasets:
            self.records += load_dataset_records(entry, self.heads_by_mode)
        self.class_names = read_class_names([Path(d.path) for d in self.datasets], self.heads)
        train, val = stratified_split(self.records, self.ratio_train_test, list(self.heads), self.seed)
        self.splits = {"train": train, "val": val}
        logger.info("clips: %d train, %d val", len(train), len(val))

    def _dataset(self, split: str) -> Subset:
        train = split == "train"
        frames = FramesDataset(
            self.records,
            num_segments=self.params.num_segments,
            transform=build_transform(self.augmentations, train=train),
            train=train,
            time=self.params.time,
        )
        return Subset(frames, self.splits[split])

    def _loader(self, split: str) -> DataLoader:
        return DataLoader(
            self._dataset(split),
            batch_size=self.params.batch_size,
            shuffle=split == "train",
            num_workers=self.workers,
            collate_fn=partial(collate_clips, pad_to=self.params.num_segments),
            persistent_workers=self.workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader("train")

    def val_dataloader(self) -> DataLoader:
        return self._loader("val")

    def split_counts(self) -> dict[str, int]:
        """Number of clips per split."""
        return {split: len(indexes) for split, indexes in self.splits.items()}

    def split_rows(self) -> list[dict[str, object]]:
        """One row per clip: its split, source folder, name, frame range and labels (saved with the run)."""
        rows = []
        for split, indexes in self.splits.items():
            for index in indexes:
                record = self.records[index]
                rows.append(
                    {"split": split, "source": str(record.root), "clip": record.name}
                    | {"start": record.start, "end": record.end}
                    | record.labels
                )
        return rows
