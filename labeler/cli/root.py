"""The `voxcart` command line: one Typer app on which every package registers its commands.

This module only registers. Each verb lives in its package's command module (``register(app)``
adds it), which parses and validates its options, calls one library function and renders the
result. A command module is imported only when its command runs or its own ``--help`` is asked
for, so ``voxcart --help`` lists :data:`COMMANDS` without importing torch, Streamlit or the
store, and ``voxcart stats`` loads only what statistics need. A failure prints one line
``voxcart: error: ...`` to stderr and exits non-zero.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption

from voxcart.datasets.cli.output import ERROR_PREFIX, show_library_warning
from voxcart.datasets.errors import VoxcartError

COMMANDS: dict[str, tuple[str, str]] = {
    # name: (the module whose register(app) adds it, the line `voxcart --help` shows for it)
    "init": (
        "voxcart.datasets.cli.project_cmds",
        "Create a project: a directory with voxcart.toml and its database.",
    ),
    "stats": (
        "voxcart.datasets.cli.project_cmds",
        "Hours, clips by status/split/speaker, vocabulary, catalog coverage, gold references.",
    ),
    "split": (
        "voxcart.datasets.cli.project_cmds",
        "Assign speaker-disjoint train/dev/test splits (deterministic in seed and speaker).",
    ),
    "import": (
        "voxcart.datasets.cli.import_cmd",
        "Import audio (validated, deduplicated by content) and its transcripts into the project.",
    ),
    "catalog": (
        "voxcart.datasets.cli.catalog_cmd",
        "Product catalogs: the brands, product types, models and attributes shoppers say.",
    ),
    "export": (
        "voxcart.datasets.cli.export_cmd",
        "Export labelled clips as a versioned dataset with a datasheet; the folder is written "
        "atomically and never overwritten.",
    ),
    "segment": (
        "voxcart.datasets.cli.segment_cmd",
        "Cut long recordings into query clips (offsets, no re-encoding); optionally diarize.",
    ),
    "augment": (
        "voxcart.augment.cli",
        "Noise, reverb and channel augmentation with recorded lineage.",
    ),
    "suggest": (
        "voxcart.model.cli.suggest_cmd",
        "Suggest transcripts for clips; clips the model already covered are skipped (resumable).",
    ),
    "lm": ("voxcart.model.cli.suggest_cmd", "Language models for the sphinx backend."),
    "eval": (
        "voxcart.model.cli.eval_cmd",
        "Evaluate a model on a split: WER, CER, entity errors, search success, by slice.",
    ),
    "train": (
        "voxcart.model.cli.train_cmd",
        "Fine-tune a CTC model, or adapt the sphinx acoustic model, on accepted human "
        "transcripts (train split); validate on dev.",
    ),
    "model": ("voxcart.model.cli.model_cmd", "Registered model versions."),
    "al": ("voxcart.model.cli.al_cmd", "Active-learning rounds."),
    "demo": (
        "voxcart.labeler.cli.demo_cmd",
        "Build a demo project with no download: a product catalog and synthesized voice queries.",
    ),
    "app": (
        "voxcart.labeler.cli.app_cmd",
        "Start the labeling app for a project (stop it with Ctrl+C).",
    ),
    "user": (
        "voxcart.labeler.cli.user_cmd",
        "Manage the accounts that log in to the labeling app.",
    ),
    "queue": ("voxcart.labeler.cli.queue_cmd", "The annotation queue."),
}
"""Every top-level command, in the order ``voxcart --help`` lists them (a test keeps the help
lines equal to the commands' own)."""


# typer vendors its own click (typer._click); its classes are reached through typer.core and the
# commands it builds, and typed as Any here so that no private module is imported.


def load_command(name: str) -> Any:
    """The click command `name`, importing only the module that defines it."""
    module = importlib.import_module(COMMANDS[name][0])
    holder = typer.Typer()
    holder.callback()(_noop)
    module.register(holder)
    group = typer.main.get_command(holder)
    command = group.get_command(typer.Context(group), name)  # type: ignore[attr-defined]
    if command is None:
        raise RuntimeError(f"{COMMANDS[name][0]}.register did not add the command {name!r}")
    return command


def _noop() -> None:
    """Makes a holder app a group, so that commands keep their names."""


class LazyGroup(TyperGroup):
    """The root group: lists commands from :data:`COMMANDS`, loads one only when it is used."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        """Command names in :data:`COMMANDS` order."""
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """The command (a placeholder carrying its help line while the root help is shown)."""
        if cmd_name not in COMMANDS:
            return None
        if self._listing:
            return TyperCommand(cmd_name, help=COMMANDS[cmd_name][1])
        cached = self.commands.get(cmd_name)
        if cached is None:
            cached = self.commands[cmd_name] = load_command(cmd_name)
        return cached

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """The root help, from the table alone."""
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


def _flag_type_rich(self: TyperOption, ctx: Any) -> str | None:
    """No value type for flags: they take no value, so typer's ``<bool>`` only misleads."""
    if self.is_flag:
        return None
    return _typer_type_rich(self, ctx)


# typer renders a flag's type as `<bool>` beside `--force`, as if it took a value; every help
# page (root and each command's) goes through this one class, so patch it once, here.
_typer_type_rich = TyperOption.display_type_rich
TyperOption.display_type_rich = _flag_type_rich  # type: ignore[method-assign]

app = typer.Typer(
    name="voxcart",
    cls=LazyGroup,
    help="Curate speech-recognition training data for e-commerce voice search.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Curate speech-recognition training data for e-commerce voice search."""


def build_app() -> typer.Typer:
    """The root app (commands load on first use)."""
    return app


def main(argv: list[str] | None = None) -> Any:
    """Entry point of the `voxcart` console script."""
    warnings.showwarning = show_library_warning
    try:
        return app(args=argv, standalone_mode=True)
    except VoxcartError as exc:
        typer.echo(f"{ERROR_PREFIX}{exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("voxcart: interrupted; finished work is saved, re-run to resume", err=True)
        sys.exit(130)
