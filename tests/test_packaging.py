"""The install maps the design card's folders under voxcart.* and claims no top-level names."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _run(code: str, cwd: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_voxcart_subpackages_import_from_a_neutral_directory(tmp_path: Path) -> None:
    out = _run(
        "import voxcart.datasets, voxcart.model, voxcart.labeler, voxcart.augment;"
        "print(voxcart.datasets.__file__)",
        tmp_path,
    )
    assert Path(out).parent == REPO / "datasets"


def test_top_level_datasets_and_model_are_not_ours(tmp_path: Path) -> None:
    code = (
        "import importlib.util as u\n"
        "for name in ('datasets', 'model', 'labeler', 'augment'):\n"
        "    spec = u.find_spec(name)\n"
        "    print(name, spec.origin if spec else None)\n"
    )
    for line in _run(code, tmp_path).splitlines():
        name, origin = line.split(" ", 1)
        assert origin == "None" or not origin.startswith(str(REPO)), (name, origin)


def test_every_subpackage_is_listed_for_wheel_builds() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapping = config["package-dir"]
    listed = set(config["packages"])
    found = set()
    for package, folder in mapping.items():
        for init in (REPO / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / folder)
            found.add(".".join([package, *rel.parts]) if rel.parts else package)
    # Listed packages without __init__.py are data folders (front end, presets): no code in them.
    data_only = listed - found
    assert found <= listed
    for name in data_only:
        top = ".".join(name.split(".")[:2])
        folder = REPO / mapping[top] / Path(*name.split(".")[2:])
        assert folder.is_dir() and not list(folder.glob("*.py")), name
