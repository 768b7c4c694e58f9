"""Finding the CMU Sphinx command-line tools that acoustic adaptation runs.

``bw``, ``map_adapt``, ``mllr_solve`` and ``mk_s2sendump`` come with Debian's ``sphinxtrain``
(in ``/usr/lib/sphinxtrain``), ``sphinx_fe`` with ``sphinxbase-utils`` and
``pocketsphinx_mdef_convert`` with ``pocketsphinx``. ``VOXCART_SPHINXTRAIN_DIR`` names another
folder to look in first.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from voxcart.model.errors import ModelError

PACKAGES = ("sphinxtrain", "sphinxbase-utils", "pocketsphinx")
INSTALL_HINT = "sudo apt-get install -y " + " ".join(PACKAGES)
SPHINXTRAIN_DIR = "/usr/lib/sphinxtrain"
_TOOLS = ("bw", "map_adapt", "mllr_solve", "mk_s2sendump", "sphinx_fe", "pocketsphinx_mdef_convert")


class SphinxToolsMissingError(ModelError):
    """A CMU Sphinx tool needed for acoustic adaptation is not installed."""


@dataclass(frozen=True)
class SphinxTools:
    """Absolute paths of the tools."""

    bw: Path
    map_adapt: Path
    mllr_solve: Path
    mk_s2sendump: Path
    sphinx_fe: Path
    mdef_convert: Path


def find_tools() -> SphinxTools:
    """Locate every tool.

    Raises:
        SphinxToolsMissingError: one or more tools are missing (the message names them, the Debian
            packages and the install command).
    """
    folders = [os.environ.get("VOXCART_SPHINXTRAIN_DIR") or SPHINXTRAIN_DIR]
    search = os.pathsep.join([*folders, os.environ.get("PATH", "")])
    found: dict[str, Path] = {}
    missing = []
    for tool in _TOOLS:
        where = shutil.which(tool, path=search)
        if where is None:
            missing.append(tool)
        else:
            found[tool] = Path(where)
    if missing:
        raise SphinxToolsMissingError(
            f"sphinx acoustic adaptation needs the CMU Sphinx tools ({', '.join(missing)} not "
            f"found) from the Debian packages {', '.join(PACKAGES)}; install them with "
            f"`{INSTALL_HINT}` (scripts/setup.sh does this when run as root)"
        )
    return SphinxTools(
        found["bw"],
        found["map_adapt"],
        found["mllr_solve"],
        found["mk_s2sendump"],
        found["sphinx_fe"],
        found["pocketsphinx_mdef_convert"],
    )
