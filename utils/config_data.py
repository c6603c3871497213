"""The data sections of `train_config.yml`: `general_parameters` and its `data_paths` entries
(docs/data_sources.md); the other sections are in `utils/config_schema.py`."""

from typing import Literal, Optional, Union

from pydantic import Field, ValidationInfo, field_validator, model_validator

from utils.config_schema import Section

DEFAULT_ANNOTATION_FILES = {"gloss": "gloss.txt", "hamnosys": "hamnosys.txt", "letters": "letters.txt"}
DATA_FORMATS = ("frames", "video", "sign_mnist_csv", "image_folder", "landmarks", "mp_data")
LANDMARK_FORMATS = ("landmarks", "mp_data")  # formats whose samples are landmarks
LANDMARK_PARTS = ("pose", "left_hand", "right_hand", "face")


class DatasetEntry(Section):
    """One dataset (docs/data_sources.md): where it is, its `format`, its annotation files (mode -> file, a
    HearAI txt or a CSV with a header), the heads it labels, and its own test split(s) if it has any."""

    path: str
    format: Literal[DATA_FORMATS] = "frames"
    annotation_files: Optional[dict[str, str]] = None
    heads: Optional[list[str]] = Field(default=None, description="heads this dataset labels (default: all)")
    columns: dict[str, Optional[str]] = Field(
        default_factory=dict, description="CSV annotations: our column name -> the file's column (null: ignore it)"
    )
    time_unit: Literal["frames", "seconds"] = "frames"
    test_path: Optional[Union[str, dict[str, str]]] = Field(
        default=None, description="the dataset's own test split, in its format; a mapping names several"
    )
    landmark_parts: list[Literal[LANDMARK_PARTS]] = Field(default_factory=lambda: ["pose", "left_hand", "right_hand"])
    landmarks_path: Optional[str] = Field(
        default=None, description="frames/video: the clips' landmark .npz files, as extract_landmarks.py lays them out"
    )
    test_landmarks_path: Optional[Union[str, dict[str, str]]] = Field(
        default=None, description="the landmark files of the test_path split(s), named as in test_path"
    )
    signer: Optional[str] = Field(
        default=None, min_length=1, description="the signer of every clip whose annotations name none"
    )
    label_aliases: dict[str, Union[str, dict[str, str]]] = Field(
        default_factory=dict,
        description="raw label -> class name, for every head ({alias: name}) or one head ({head: {alias: name}})",
    )
    mp_data_hand: Optional[Literal["left_hand", "right_hand"]] = Field(
        default=None, description="mp_data: the slot of 63-value (one hand) frame vectors"
    )
    only_listed_classes: bool = Field(
        default=False,
        description="keep only clips whose labels are in their heads' class_names (the rest are left out, not bad)",
    )
    test_split: Optional[str] = Field(
        default=None,
        min_length=1,
        description="the whole dataset at `path` is a test split of this name, never trained or validated on (a"
        " cross-dataset test: another dataset's test split, labels mapped by class name)",
    )

    @field_validator("time_unit")
    @classmethod
    def _mp_data_has_no_fps(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("format") == "mp_data" and value == "seconds":
            raise ValueError("MP_Data recordings have no frame rate; use frames")
        return value

    @field_validator("mp_data_hand")
    @classmethod
    def _only_for_mp_data(cls, value: Optional[str], info: ValidationInfo) -> Optional[str]:
        if value is not None and info.data.get("format") != "mp_data":
            raise ValueError(f"only format mp_data takes it (got format {info.data.get('format')})")
        return value

    @field_validator("test_split")
    @classmethod
    def _a_test_name(cls, value: Optional[str], info: ValidationInfo) -> Optional[str]:
        if value in ("train", "val"):
            raise ValueError("names a test split; train and val are made from the other datasets")
        test_path = info.data.get("test_path")
        if value is not None and value in ({"test": test_path} if isinstance(test_path, str) else test_path or {}):
            raise ValueError("is already the name of a split of test_path: use another name")
        return value

    @field_validator("label_aliases")
    @classmethod
    def _no_empty_labels(cls, value: dict) -> dict:
        for key, names in value.items():
            pairs = names.items() if isinstance(names, dict) else [(key, names)]
            empty = [f"{a!r}: {n!r}" for a, n in pairs if not a.strip() or not n.strip()]
            if not key.strip() or empty:
                raise ValueError(f"labels and class names must not be empty (got {', '.join(empty) or repr(key)})")
        return value

    def test_paths(self) -> dict[str, str]:
        """The dataset's own test splits: split name -> location."""
        if self.test_path is None:
            return {}
        return {"test": self.test_path} if isinstance(self.test_path, str) else dict(self.test_path)

    def inputs(self) -> tuple[str, ...]:
        """What its samples can carry: `frames`, `landmarks`, or both (a frames/video dataset with landmarks_path)."""
        if self.format in LANDMARK_FORMATS:
            return ("landmarks",)
        return ("frames", "landmarks") if self.landmarks_path else ("frames",)

    def landmark_locations(self) -> dict[str, str]:
        """Dataset location (`path`, each `test_path` given in test_landmarks_path) -> its landmark files' location."""
        if self.landmarks_path is None:
            return {}
        tests = self.test_landmarks_path
        tests = {"test": tests} if isinstance(tests, str) else dict(tests or {})
        return {self.path: self.landmarks_path} | {
            location: tests[name] for name, location in self.test_paths().items() if name in tests
        }


def landmark_parts(datasets: list[DatasetEntry]) -> list[str]:
    """The parts of the landmarks of the datasets that give them, in order (the config check makes them agree)."""
    return next((list(d.landmark_parts) for d in datasets if "landmarks" in d.inputs()), [])


class GeneralParameters(Section):
    """Parameters that do not change the training itself."""

    data_path: Optional[Union[str, list[str]]] = Field(default=None, description="HearAI: dataset folder(s)")
    data_paths: list[Union[str, DatasetEntry]] = Field(default_factory=list)
    annotation_files: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_ANNOTATION_FILES))
    make_synthetic_if_missing: bool = False
    ratio_train_test: float = Field(default=0.8, gt=0, lt=1)
    ratio_test: float = Field(default=0.0, ge=0, lt=1, description="test share of a dataset without a test split")
    split_by_signer: bool = Field(default=True, description="no signer in two splits, where signers are named")
    split_file: Optional[str] = Field(default=None, description="reuse this split (data_preprocessing/split.py)")
    skip_bad_samples: bool = Field(default=False, description="skip and count bad samples instead of failing")
    train_shots: Optional[int] = Field(
        default=None,
        ge=1,
        description="few-shot runs: keep N labelled training clips per class and signer (drawn with `seed`)",
    )
    balance_datasets: bool = Field(default=False, description="draw training clips evenly from each dataset")
    workers: int = Field(default=0, ge=0)
    gpu: int = Field(default=-1, ge=-1)
    path_to_save: Optional[str] = None
    runs_dir: str = "runs"
    experiment_name: str = "default"
    seed: int = 1234
    neptune: bool = Field(
        default=False, description="HearAI: also log to Neptune (same as adding it to logging.loggers)"
    )

    @model_validator(mode="after")
    def _validation_share_left(self) -> "GeneralParameters":
        if self.ratio_train_test + self.ratio_test >= 1:
            raise ValueError(
                f"ratio_train_test + ratio_test must be < 1 to leave clips for validation "
                f"(got {self.ratio_train_test} + {self.ratio_test})"
            )
        return self

    def datasets(self) -> list[DatasetEntry]:
        """All dataset folders (`data_path` then `data_paths`), each with its annotation file names."""
        legacy = self.data_path if isinstance(self.data_path, list) else [self.data_path]
        entries = [DatasetEntry(path=p) for p in legacy if p] + [
            DatasetEntry(path=e) if isinstance(e, str) else e for e in self.data_paths
        ]
        return [
            e.model_copy(update={"annotation_files": {**self.annotation_files, **(e.annotation_files or {})}})
            for e in entries
        ]
