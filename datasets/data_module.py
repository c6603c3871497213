"""The Lightning data module: records from every dataset (any source format), their labels, a split, the loaders."""

import json
import logging
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any, Optional

import lightning as L
from lightning.pytorch.overrides.distributed import UnrepeatedDistributedSampler
from torch.utils.data import DataLoader, Subset, WeightedRandomSampler

from datasets.annotations import ClipRecord
from datasets.clip_dataset import INPUTS, ClipDataset, unreadable_clips
from datasets.collate import collate_clips
from datasets.csv_rows import write_csv
from datasets.errors import AllSamplesSkipped, BadSamples, DataError
from datasets.few_shot import few_shot
from datasets.landmark_transforms import build_landmark_transform
from datasets.phonology_labels import PhonologyLabels
from datasets.sources import SOURCES, Source
from datasets.splits import TRAIN, VAL, assign_splits, dataset_of, read_split_file
from datasets.threads import resolve_threads, worker_init
from datasets.transforms import build_transform
from datasets.vocabulary import assign_labels, build_vocabularies, class_names_from_files
from utils.config import TrainConfig
from utils.config_data import DatasetEntry, landmark_parts
from utils.config_schema import AugmentationsParameters, HeadConfig, TrainParameters

logger = logging.getLogger(__name__)


class SignDataModule(L.LightningDataModule):
    """Clips of all `datasets` with labels for the heads of `heads_by_mode`, split into train, val and test(s).

    `eval_dataloader(split)` serves `val` and each test split that `test_splits()` lists, without augmentation.
    """

    def __init__(
        self,
        datasets: list[DatasetEntry],
        heads_by_mode: dict[str, dict[str, HeadConfig]],
        train_parameters: TrainParameters,
        augmentations: AugmentationsParameters,
        ratio_train_test: float,
        workers: int = 0,
        seed: int = 0,
        **options: Any,
    ) -> None:
        """`options`: `ratio_test` (0), `split_by_signer` (True), `split_file` (None), `skip_bad_samples` (False),
        `balance_datasets` (False), as in `general_parameters`; `inputs` (what the model reads, default all that the
        datasets give: `frames`, `landmarks`); `cpu_threads` (`trainer.cpu_threads`, shared out among the data
        workers; default: the available cores); `phonology` (a `PhonologyLabels`: the ASL-LEX labels of the
        `phonology` heads)."""
        super().__init__()
        self.datasets = datasets
        self.heads_by_mode = heads_by_mode
        self.params = train_parameters
        self.augmentations = augmentations
        self.workers = workers
        self.seed = seed
        self.options = {"ratio_train_test": ratio_train_test} | options
        self.records: list[ClipRecord] = []
        self.splits: dict[str, list[int]] = {}
        self.class_names: dict[str, list[str]] = {}
        self.bad = BadSamples(skip=options.get("skip_bad_samples", False))
        self.left_out: list[int] = []  # training clips beyond `train_shots` per class and signer

    @classmethod
    def from_config(cls, config: TrainConfig) -> "SignDataModule":
        """The data module that a config describes (not set up yet)."""
        general = config.general_parameters
        return cls(
            general.datasets(),
            {mode: config.heads[mode] for mode in config.train_parameters.modes()},
            config.train_parameters,
            config.augmentations_parameters,
            ratio_train_test=general.ratio_train_test,
            workers=general.workers,
            seed=general.seed,
            ratio_test=general.ratio_test,
            split_by_signer=general.split_by_signer,
            split_file=general.split_file,
            skip_bad_samples=general.skip_bad_samples,
            balance_datasets=general.balance_datasets,
            train_shots=general.train_shots,
            inputs=config.inputs(),
            cpu_threads=resolve_threads(config.trainer.cpu_threads),
            phonology=PhonologyLabels.from_config(config),
        )

    @property
    def heads(self) -> dict[str, HeadConfig]:
        """Every selected head, in config order."""
        return {h: cfg for heads in self.heads_by_mode.values() for h, cfg in heads.items()}

    def setup(self, stage: Optional[str] = None) -> None:
        """Read every dataset, label and split the clips: once, whatever the stage (Lightning calls this again for
        each of fit, validate and test; reading twice would count every skipped sample twice)."""
        if self.splits:
            return
        self.records = records = self._read_records()
        split_file = self.options.get("split_file")
        if split_file:
            self.splits = read_split_file(Path(split_file), records)
        else:
            by_signer = self.options.get("split_by_signer", True)
            fractions = (self.options["ratio_train_test"], self.options.get("ratio_test", 0.0))
            self.splits = assign_splits(records, fractions, list(self.heads), self.seed, by_signer)
        self.left_out = self._few_shot()
        if self.bad.problems:
            logger.warning("skipped %d bad samples (listed in the run's skipped_samples.csv)", len(self.bad))
        logger.info("clips: %s", ", ".join(f"{n} {s}" for s, n in self.split_counts().items()))

    def _few_shot(self) -> list[int]:
        """`train_shots`: keep N training clips per class (of the primary head) and signer; returns the others."""
        shots = self.options.get("train_shots")
        if not shots:
            return []
        kept, left_out = few_shot(self.records, self.splits[TRAIN], shots, next(iter(self.heads)), self.seed)
        logger.info("train_shots %d: %d training clips kept, %d left out", shots, len(kept), len(left_out))
        self.splits[TRAIN] = kept
        return left_out

    def _read_records(self) -> list[ClipRecord]:
        """The labelled, readable records of every dataset (bad ones raise, or are skipped and counted by `bad`)."""
        phonology: Optional[PhonologyLabels] = self.options.get("phonology")
        reading = phonology.reading_heads(self.heads_by_mode) if phonology else self.heads_by_mode
        sources: list[Source] = [SOURCES[entry.format](entry, reading) for entry in self.datasets]
        records = [record for source in sources for record in source.records(self.bad)]
        records = phonology.keep_mapped(records) if phonology else records
        folders = [folder for source in sources for folder in source.folders()]
        modes = {head: mode for mode, heads in self.heads_by_mode.items() for head in heads}
        from_files = class_names_from_files(folders) | (phonology.class_names() if phonology else {})
        self.class_names = build_vocabularies(records, self.heads, from_files, modes)
        records = assign_labels(records, self.class_names, self.heads, self.bad)
        if phonology:
            phonology.fill_labels(records, self.class_names)
        if self.bad.skip:
            unreadable = unreadable_clips(records, self.workers, self.options.get("cpu_threads"))
            for message in unreadable.values():
                self.bad.report(DataError(message))
            records = [r for i, r in enumerate(records) if i not in unreadable]
        found = {dataset_of(record) for record in records}
        for entry in self.datasets:
            if found.isdisjoint([entry.path, *entry.test_paths().values()]):
                if self.bad.problems:
                    raise AllSamplesSkipped(entry.path)
                raise DataError(f"{entry.path}: no samples")
        return records

    def test_splits(self) -> list[str]:
        """The test splits, `test` first."""
        return sorted((s for s in self.splits if s not in (TRAIN, VAL)), key=lambda s: (s != "test", s))

    def _loader(self, split: str) -> DataLoader:
        train = split == TRAIN
        dataset = ClipDataset(
            self.records,
            num_segments=self.params.num_segments,
            transform=build_transform(self.augmentations, train=train),
            train=train,
            time=self.params.time,
            landmark_transform=(
                build_landmark_transform(
                    self.augmentations.landmarks, landmark_parts(self.datasets), self.params.num_segments
                )
                if train
                else None
            ),
            inputs=self.options.get("inputs", INPUTS),
        )
        indexes = self.splits.get(split, [])
        sampler = self._balanced_sampler(indexes) if train and self.options.get("balance_datasets") else None
        if not train and self._in_distributed_loop():
            # Each clip evaluated once: Lightning's own DistributedSampler repeats clips to even out the processes.
            sampler = UnrepeatedDistributedSampler(indexes, shuffle=False)
        return DataLoader(
            Subset(dataset, indexes),
            batch_size=self.params.batch_size,
            shuffle=train and sampler is None,
            sampler=sampler,
            num_workers=self.workers,
            worker_init_fn=worker_init(resolve_threads(self.options.get("cpu_threads")), self.workers),
            collate_fn=partial(collate_clips, pad_to=self.params.num_segments),
            persistent_workers=self.workers > 0,
        )

    def _in_distributed_loop(self) -> bool:
        """Whether a Lightning loop over several processes asks for the loader (reports made after training read
        whole splits)."""
        return self.trainer is not None and self.trainer.world_size > 1 and self.trainer.state.stage is not None

    def _balanced_sampler(self, indexes: list[int]) -> WeightedRandomSampler:
        """Draws (with replacement) as many clips of each dataset as of any other, so that a small dataset is not
        drowned by a big one in a mixed run; an epoch stays `len(indexes)` clips long."""
        datasets = [dataset_of(self.records[i]) for i in indexes]
        sizes = Counter(datasets)
        weights = [1 / sizes[d] for d in datasets]
        return WeightedRandomSampler(weights, num_samples=len(indexes), replacement=True)

    def train_dataloader(self) -> DataLoader:
        return self._loader(TRAIN)

    def val_dataloader(self) -> DataLoader:
        return self._loader(VAL)

    def eval_dataloader(self, split: str) -> DataLoader:
        """The loader of any split without augmentation (`val`, `test`, or another test split a dataset names)."""
        if split == TRAIN:
            raise ValueError("eval_dataloader serves the evaluation splits; the training loader is train_dataloader")
        return self._loader(split)

    def split_counts(self) -> dict[str, int]:
        """Number of clips per split."""
        return {split: len(indexes) for split, indexes in self.splits.items()}

    def split_rows(self) -> list[dict[str, object]]:
        """One row per clip: its split, source, name, frame range, signer and labels (a reusable split file; the
        clips `train_shots` left out are listed as `train`: read again, the same ones are left out)."""
        rows = []
        for split, indexes in [*self.splits.items(), (TRAIN, self.left_out)]:
            for record in (self.records[i] for i in indexes):
                source, clip, start, end = record.key()
                rows.append(
                    {"split": split, "source": source, "clip": clip, "start": start, "end": end}
                    | {"signer": record.signer or ""}
                    | record.labels
                )
        return rows

    def class_count_rows(self) -> list[dict[str, object]]:
        """Per split, head and class: how many clips carry that label."""
        rows = []
        for split, indexes in self.splits.items():
            for head, names in self.class_names.items():
                counts = Counter(self.records[i].labels[head] for i in indexes)
                rows += [{"split": split, "head": head, "class": n, "count": counts[k]} for k, n in enumerate(names)]
        return rows

    def save(self, run_dir: Path) -> None:
        """Write `class_names.json` (the vocabulary), `class_counts.csv` and, if any, `skipped_samples.csv`."""
        (run_dir / "class_names.json").write_text(json.dumps(self.class_names, indent=2), encoding="utf-8")
        write_csv(self.class_count_rows(), run_dir / "class_counts.csv")
        if self.bad.problems:
            write_csv([{"problem": p} for p in self.bad.problems], run_dir / "skipped_samples.csv")
