"""Imports point one way, down the data flow: config <- models <- datasets <- offline tools <- training <- inference.

A module may import its own package and the packages below it, never one above: `models` and `datasets` know
nothing of training or inference, and the config knows nothing of the rest. The README's layout map shows the
same order.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Lower number = lower layer. The HamNoSys statistics tool stays at `utils/make_statistics.py`, the path HearAI
# users know, but it is an offline tool like those in data_preprocessing.
LAYERS = {"utils": 0, "models": 1, "datasets": 2, "data_preprocessing": 3, "training": 4, "inference": 5, "train": 6}
TOOLS_IN_UTILS = {"utils.make_statistics": "data_preprocessing", "utils.statistics_plots": "data_preprocessing"}


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _layer(module: str) -> int:
    for tool, layer_of in TOOLS_IN_UTILS.items():
        if module == tool or module.startswith(tool + "."):
            return LAYERS[layer_of]
    return LAYERS[module.split(".")[0]]


def _project_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names += [node.module]
    return [name for name in names if name.split(".")[0] in LAYERS]


def _layered_files() -> list[Path]:
    files = [ROOT / "train.py"]
    for package in LAYERS:
        if (ROOT / package).is_dir():
            files += sorted((ROOT / package).rglob("*.py"))
    return files


def test_every_package_is_layered():
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    assert packages - {"tests"} <= set(LAYERS) | {"benchmarks"}


def test_imports_point_down_the_data_flow():
    upward = [
        f"{_module_name(path)} imports {name}"
        for path in _layered_files()
        for name in _project_imports(path)
        if _layer(name) > _layer(_module_name(path))
    ]
    assert not upward, "imports that point upward:\n" + "\n".join(upward)


def test_the_config_imports_nothing_else_of_the_project():
    config_files = [path for path in (ROOT / "utils").glob("*.py") if _module_name(path) not in TOOLS_IN_UTILS]
    outside = [
        f"{_module_name(path)} imports {name}"
        for path in config_files
        for name in _project_imports(path)
        if not name.startswith("utils.") or name in TOOLS_IN_UTILS
    ]
    assert not outside, "\n".join(outside)
