"""The `phonology:` section: where the `phonology` classification mode takes its labels from (docs/phonology.md).

The heads of `heads.phonology` are named after ASL-LEX 2.0 phonological variables (`PHONOLOGY_COLUMNS`); each clip
gets the values that ASL-LEX codes for the sign its gloss names. Which values a head's classes are is read from the
lexicon (`datasets/asl_lex.py`), never typed in the config.
"""

from typing import Optional

from pydantic import Field, field_validator

from utils.config_schema import HeadConfig, Section

PHONOLOGY_MODE = "phonology"

# Head name -> the ASL-LEX 2.0 column (the first morpheme's coding; docs/phonology.md describes each).
PHONOLOGY_COLUMNS = {
    "handshape": "Handshape.2.0",
    "selected_fingers": "SelectedFingers.2.0",
    "flexion": "Flexion.2.0",
    "flexion_change": "FlexionChange.2.0",
    "spread": "Spread.2.0",
    "spread_change": "SpreadChange.2.0",
    "thumb_position": "ThumbPosition.2.0",
    "thumb_contact": "ThumbContact.2.0",
    "sign_type": "SignType.2.0",
    "movement": "Movement.2.0",
    "repeated_movement": "RepeatedMovement.2.0",
    "major_location": "MajorLocation.2.0",
    "minor_location": "MinorLocation.2.0",
    "second_minor_location": "SecondMinorLocation.2.0",
    "contact": "Contact.2.0",
    "nondominant_handshape": "NonDominantHandshape.2.0",
    "wrist_twist": "UlnarRotation.2.0",
}


class PhonologyConfig(Section):
    """The lexicon of the `phonology` heads and how a clip's gloss finds its entry (read only when
    `train_parameters.classification_mode` selects `phonology`)."""

    lexicon: Optional[str] = Field(
        default=None, description="the ASL-LEX 2.0 sign data CSV (.csv or .csv.gz), e.g. asl_lex2_signdata-11-5-20"
    )
    gloss_head: str = Field(
        default="gloss", min_length=1, description="the head whose label names the sign (trained or not)"
    )
    aliases: dict[str, Optional[str]] = Field(
        default_factory=dict,
        description="gloss -> EntryID beyond the built-in table (null: the gloss has no entry)",
    )
    min_signs: int = Field(
        default=5, ge=1, description="values coded for fewer ASL-LEX signs than this share one class, `rare`"
    )
    only_mapped_glosses: bool = Field(
        default=False, description="leave out clips whose gloss has no entry (otherwise their phonology heads are -1)"
    )

    @field_validator("aliases")
    @classmethod
    def _no_empty_names(cls, value: dict[str, Optional[str]]) -> dict[str, Optional[str]]:
        empty = [f"{gloss!r}: {entry!r}" for gloss, entry in value.items() if not gloss.strip() or entry == ""]
        if empty:
            raise ValueError(f"glosses and entry ids must not be empty (got {', '.join(empty)})")
        return value


def phonology_problem(phonology: PhonologyConfig, heads: dict[str, dict[str, HeadConfig]], modes: list[str]) -> str:
    """Why the `phonology` mode cannot run as configured ('' when it can, or when it is not selected)."""
    if PHONOLOGY_MODE not in modes:
        return ""
    if phonology.lexicon is None:
        return (
            "phonology.lexicon: train_parameters.classification_mode selects phonology, which needs the ASL-LEX sign"
            " data CSV (e.g. ../shared/data/asl_lex/asl_lex2_signdata-11-5-20.csv.gz)"
        )
    unknown = [head for head in heads.get(PHONOLOGY_MODE, {}) if head not in PHONOLOGY_COLUMNS]
    if unknown:
        return (
            f"heads.{PHONOLOGY_MODE}.{unknown[0]}: not an ASL-LEX phonology head; known: {', '.join(PHONOLOGY_COLUMNS)}"
        )
    if phonology.gloss_head in heads.get(PHONOLOGY_MODE, {}):
        return f"phonology.gloss_head: {phonology.gloss_head!r} is a phonology head; name the head of the gloss labels"
    return ""
