"""The `pre_training:` section: settings of the self-supervised run type that `train_parameters.pre_training: true`
switches on (docs/pretraining.md; the objectives are in `models/pretraining.py`)."""

from typing import Literal

from pydantic import Field, model_validator

from utils.config_schema import Section

PRETRAINING_OBJECTIVES = ("auto", "masked_landmarks", "masked_frames")


class PreTrainingConfig(Section):
    """What a pre-training run learns from, and how much of each clip it hides (read only when
    `train_parameters.pre_training` is true)."""

    objective: Literal[PRETRAINING_OBJECTIVES] = Field(
        default="auto",
        description="masked_landmarks (landmark models), masked_frames (frame or fused models); auto picks by input",
    )
    joint_mask_ratio: float = Field(
        default=0.3, ge=0, lt=1, description="masked_landmarks: share of a frame's detected joints that is hidden"
    )
    frame_mask_ratio: float = Field(default=0.2, ge=0, lt=1, description="share of a clip's real frames hidden whole")
    frame_mask_span: int = Field(default=3, ge=1, description="hidden frames come in spans of this many frames")
    loss: Literal["smooth_l1", "l1", "mse"] = Field(
        default="smooth_l1", description="masked_landmarks: loss on the hidden joints' normalised coordinates"
    )
    temperature: float = Field(default=0.1, gt=0, description="masked_frames: softmax temperature of InfoNCE")
    decoder_size: int = Field(
        default=256, ge=1, description="hidden width of the decoder (masked_landmarks) or projection (masked_frames)"
    )

    @model_validator(mode="after")
    def _something_hidden(self) -> "PreTrainingConfig":
        if self.joint_mask_ratio == 0 and self.frame_mask_ratio == 0:
            raise ValueError("joint_mask_ratio and frame_mask_ratio are both 0: nothing would be hidden to predict")
        return self

    def objective_for(self, inputs: tuple[str, ...]) -> str:
        """The objective for a model reading `inputs`: `auto` means masked_landmarks for landmarks alone, else
        masked_frames."""
        if self.objective != "auto":
            return self.objective
        return "masked_landmarks" if inputs == ("landmarks",) else "masked_frames"

    def problem_with(self, inputs: tuple[str, ...]) -> str:
        """Why the objective cannot train a model reading `inputs` ("" if it can), naming the keys."""
        objective = self.objective_for(inputs)
        if objective == "masked_landmarks" and inputs != ("landmarks",):
            return (
                f"pre_training.objective: masked_landmarks trains landmark-only models, but the model reads"
                f" {'+'.join(inputs)}; use masked_frames (or auto)"
            )
        if objective == "masked_frames" and "frames" not in inputs:
            return (
                "pre_training.objective: masked_frames needs frames (a hidden frame of landmarks alone would look like"
                " every other hidden frame); use masked_landmarks (or auto) for a landmark model"
            )
        if objective == "masked_frames" and self.frame_mask_ratio == 0:
            return "pre_training.frame_mask_ratio: masked_frames hides whole frames, so it must be > 0"
        return ""
