"""The package layout holds: imports run one way, no module cycles, a light command-line root."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import typer

from voxcart.labeler.cli.root import COMMANDS, load_command
from voxcart.labeler.cli.root import app as root_app

REPO = Path(__file__).resolve().parent.parent
LAYERS = ("datasets", "augment", "model", "labeler")
"""Lowest first: a package may import only from itself and the packages before it."""


def _modules() -> dict[str, Path]:
    found = {}
    for package in LAYERS:
        for path in (REPO / package).rglob("*.py"):
            if "versions" in path.parts:
                continue
            parts = path.relative_to(REPO).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(("voxcart", *parts))] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> Iterator[tuple[int, str]]:
    """Every voxcart module `path` imports, at any depth (functions and TYPE_CHECKING too)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("voxcart"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                yield node.lineno, full if full in modules else node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("voxcart"):
                    yield node.lineno, alias.name


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {
        name: {target for _, target in _imports(path, modules) if target in modules} - {name}
        for name, path in modules.items()
    }


def test_imports_run_one_way_between_packages() -> None:
    modules = _modules()
    upward = []
    for name, path in modules.items():
        layer = LAYERS.index(name.split(".")[1])
        for line, target in _imports(path, modules):
            target_layer = target.split(".")[1]
            if target_layer in LAYERS and LAYERS.index(target_layer) > layer:
                upward.append(f"{path.relative_to(REPO)}:{line} imports {target}")
    assert not upward, "imports must run datasets <- augment <- model <- labeler:\n" + "\n".join(
        upward
    )


def test_no_import_cycles_between_modules() -> None:
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    assert not cycles, f"import cycles: {cycles}"


def test_a_new_upward_import_is_caught(tmp_path: Path) -> None:
    source = tmp_path / "probe.py"
    source.write_text("def f():\n    from voxcart.labeler.services import jobs\n")
    modules = _modules()
    assert [t for _, t in _imports(source, modules)] == ["voxcart.labeler.services.jobs"]


def test_root_help_imports_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "from voxcart.labeler.cli.root import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('torch', 'streamlit', 'sqlalchemy', 'librosa', 'pandas',"
        " 'transformers', 'pocketsphinx', 'audiomentations') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout
    assert "init" in out and "queue" in out  # the command list was printed
    assert "HEAVY []" in out


def test_root_help_lines_are_the_commands_own() -> None:
    for name, (_module, line) in COMMANDS.items():
        command = load_command(name)
        own = (command.help or "").strip().split("\n\n")[0].replace("\n", " ")
        assert own == line, f"COMMANDS[{name!r}] says {line!r}; the command says {own!r}"


def test_every_command_is_reachable_from_the_root() -> None:
    group = typer.main.get_command(root_app)
    ctx = typer.Context(group)
    assert group.list_commands(ctx) == list(COMMANDS)
    for name in COMMANDS:
        assert group.get_command(ctx, name) is not None
