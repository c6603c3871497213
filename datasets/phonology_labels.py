"""The `phonology` classification mode's labels: each clip's gloss looked up in ASL-LEX (docs/phonology.md).

The data module reads every dataset with the gloss head among the heads it reads, even when no gloss head is
trained (`reading_heads`), so that each clip's raw gloss token is there. Once the other heads are labelled,
`fill_labels` gives every phonology head the class of the value that ASL-LEX codes for the clip's entry; a clip
whose gloss has no entry keeps -1 on those heads (the loss and the metrics ignore it), or is left out with
`phonology.only_mapped_glosses`. A label that a dataset's own annotations give for a phonology head wins.
"""

import logging
from pathlib import Path
from typing import Optional

from datasets.annotations import ClipRecord
from datasets.asl_lex import AslLex
from datasets.errors import DataError
from datasets.vocabulary import NO_LABEL
from utils.config import TrainConfig
from utils.config_phonology import PHONOLOGY_MODE, PhonologyConfig
from utils.config_schema import HeadConfig

logger = logging.getLogger(__name__)


class PhonologyLabels:
    """ASL-LEX labels for the heads of `heads.phonology`, keyed by the label of the head `gloss_head`."""

    def __init__(self, phonology: PhonologyConfig, heads: dict[str, HeadConfig], gloss_reader: tuple[str, HeadConfig]):
        """`heads`: the phonology heads; `gloss_reader`: (mode, head config) under which the gloss labels are read."""
        self.lexicon = AslLex(Path(str(phonology.lexicon)), phonology.aliases, phonology.min_signs)
        self.heads = heads
        self.gloss_head = phonology.gloss_head
        self.gloss_reader = gloss_reader
        self.only_mapped = phonology.only_mapped_glosses
        self._check_class_counts()

    @classmethod
    def from_config(cls, config: TrainConfig) -> Optional["PhonologyLabels"]:
        """The labeller a config asks for (None when `phonology` is not a selected mode)."""
        if PHONOLOGY_MODE not in config.train_parameters.modes():
            return None
        gloss_head = config.phonology.gloss_head
        mode = next((m for m, heads in config.heads.items() if gloss_head in heads), "gloss")
        # A gloss head that no mode defines is read with a stand-in config (its labels are only looked up).
        reader = config.heads[mode][gloss_head] if gloss_head in config.heads.get(mode, {}) else HeadConfig(num_class=2)
        return cls(config.phonology, config.heads[PHONOLOGY_MODE], (mode, reader))

    def reading_heads(self, heads_by_mode: dict[str, dict[str, HeadConfig]]) -> dict[str, dict[str, HeadConfig]]:
        """The heads the sources read: the trained ones plus the gloss head, so that every clip carries its gloss."""
        mode, reader = self.gloss_reader
        if any(self.gloss_head in heads for heads in heads_by_mode.values()):
            return heads_by_mode
        return heads_by_mode | {mode: heads_by_mode.get(mode, {}) | {self.gloss_head: reader}}

    def class_names(self) -> dict[str, list[str]]:
        """{phonology head: its classes from ASL-LEX}, unless the config lists the head's class_names itself."""
        return {head: self.lexicon.class_names(head) for head, cfg in self.heads.items() if cfg.class_names is None}

    def _check_class_counts(self) -> None:
        for head, names in self.class_names().items():
            if len(names) != self.heads[head].num_class:
                shown = ", ".join(names[:12]) + (" ..." if len(names) > 12 else "")
                raise DataError(
                    f"heads.{PHONOLOGY_MODE}.{head}.num_class: ASL-LEX ({self.lexicon.path}) gives {len(names)}"
                    f" {head} classes with phonology.min_signs {self.lexicon.min_signs} ({shown}), not"
                    f" {self.heads[head].num_class}; set num_class: {len(names)}"
                )

    def entry_of(self, record: ClipRecord) -> Optional[str]:
        """The ASL-LEX entry of a clip's gloss (None: no gloss, or no entry)."""
        gloss = record.tokens.get(self.gloss_head)
        return None if gloss is None else self.lexicon.entry_for(gloss)

    def keep_mapped(self, records: list[ClipRecord]) -> list[ClipRecord]:
        """With `only_mapped_glosses`: the clips whose gloss has an entry; otherwise all. Logs what maps."""
        entries = {r.tokens.get(self.gloss_head): self.entry_of(r) for r in records}
        mapped = sorted(str(g) for g, e in entries.items() if e is not None)
        unmapped = sorted(str(g) for g, e in entries.items() if e is None)
        logger.info(
            "phonology: %d of %d glosses have an ASL-LEX entry; none for: %s",
            len(mapped),
            len(entries),
            ", ".join(unmapped) or "-",
        )
        if not self.only_mapped:
            return records
        kept = [r for r in records if self.entry_of(r) is not None]
        if not kept:
            raise DataError(f"phonology.only_mapped_glosses: no clip's {self.gloss_head} label has an ASL-LEX entry")
        return kept

    def fill_labels(self, records: list[ClipRecord], class_names: dict[str, list[str]]) -> None:
        """Give each clip's unlabelled phonology heads the class id of its entry's coded value (in place)."""
        for record in records:
            entry = self.entry_of(record)
            if entry is None:
                continue
            for head, value in self.lexicon.values(entry).items():
                if head in self.heads and record.labels.get(head, NO_LABEL) == NO_LABEL:
                    record.labels[head] = self._class_id(head, value, class_names[head], entry)

    def _class_id(self, head: str, value: str, names: list[str], entry: str) -> int:
        if value not in names:
            raise DataError(
                f"heads.{PHONOLOGY_MODE}.{head}.class_names: ASL-LEX codes {entry} as {value!r}, which is not one"
                f" of {names}"
            )
        return names.index(value)
