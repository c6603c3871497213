"""`feature_extractor.model_path`: is it a backbone that can be built here, from code alone?

Checked once the config has validated (`utils/config.py`, `load_config`), so that a typo comes back as a config
error with close names to choose from, not as timm's `RuntimeError: Unknown model` after the data is read. timm is
imported only here and only then: it takes seconds to import, and a config with a wrong key or type is answered
before.
"""

import difflib

from utils.config_schema import FeatureExtractorConfig

# The backbones of models/small_cnns.py, which register themselves with timm when the models are imported (the config
# may not import the models; a test keeps this list in step with the registered names).
PROJECT_BACKBONES = ("small_cnn", "small_cnn_strided")
SUGGESTIONS = 5


def known_backbones() -> list[str]:
    """Every architecture name `cnn_extractor` can build: timm's registry and the project's small CNNs."""
    import timm  # pylint: disable=import-outside-toplevel  # seconds to import; only valid configs get here

    return sorted(set(timm.list_models()) | set(PROJECT_BACKBONES))


def backbone_problem(model_path: str) -> str:
    """Empty when `model_path` names a known architecture (a pretrained tag such as `resnet18.a1_in1k` allowed),
    else the message: the name and the closest known names."""
    names = known_backbones()
    architecture = model_path.split(".", 1)[0]
    if architecture in names:
        return ""
    close = closest(architecture, names)
    hint = f"did you mean {', '.join(close)}?" if close else "see timm.list_models() for the names"
    return f"feature_extractor.model_path: {model_path!r} is not a timm model or a small CNN of this project; {hint}"


def closest(name: str, names: list[str]) -> list[str]:
    """Up to SUGGESTIONS of `names` most like `name`, looked for first in its family (the names that share its part
    before the first `_`: `resnet_typo` -> resnet18, resnet26, ...; otherwise the spelling wins: tresnet_m)."""
    family = [known for known in names if known.startswith(name.split("_", 1)[0])]
    if family:
        return difflib.get_close_matches(name, family, n=SUGGESTIONS, cutoff=0.3) or family[:SUGGESTIONS]
    return difflib.get_close_matches(name, names, n=SUGGESTIONS, cutoff=0.6)


def check_backbone(extractor: FeatureExtractorConfig) -> str:
    """The problem with the frame backbone the section names, or "" (landmark-only models and `resnet50_extractor`,
    which ignores `model_path`, have none)."""
    if not extractor.use_frames or extractor.name != "cnn_extractor":
        return ""
    return backbone_problem(extractor.model_path)
