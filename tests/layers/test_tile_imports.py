"""The tile-layer plugins import on their own, and nothing in ``layers.tiles`` imports in a circle.

Each plugin is imported alone in a fresh interpreter (an import cycle only shows in the order that
hits it first); the graph of imports between the modules of ``layers/tiles/`` is read from their
source and must have no cycle, and no plugin may import the registry that gathers it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

TILES = Path(__file__).resolve().parents[2] / "layers" / "tiles"
PACKAGE = "layers.tiles"
MODULES = sorted(p.stem for p in TILES.glob("*.py") if p.stem != "__init__")
PLUGINS = [m for m in MODULES if m not in ("layer", "registry")]


def _imports(module: str) -> set[str]:
    """The modules of ``layers.tiles`` that ``module`` imports, anywhere in its body."""
    tree = ast.parse((TILES / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == PACKAGE:
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE + "."):
            found.add(node.module.removeprefix(PACKAGE + ".").split(".")[0])
        elif isinstance(node, ast.Import):
            found |= {
                a.name.removeprefix(PACKAGE + ".").split(".")[0]
                for a in node.names
                if a.name.startswith(PACKAGE + ".")
            }
    return found & set(MODULES)


def test_there_are_plugins() -> None:
    assert {"basemap", "buildings", "house_status", "responsibility", "flows"} <= set(PLUGINS)


@pytest.mark.parametrize("module", [*PLUGINS, "registry", "layer"])
def test_each_module_imports_alone_in_a_fresh_interpreter(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {PACKAGE}.{module}"],
        cwd=TILES.parents[1],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_no_plugin_imports_the_registry() -> None:
    assert [m for m in PLUGINS if "registry" in _imports(m)] == []


def test_the_import_graph_of_the_tile_modules_has_no_cycle() -> None:
    graph = {m: _imports(m) for m in MODULES}
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, f"import cycle: {' -> '.join((*path, module))}"
        if module in done:
            return
        for target in sorted(graph[module]):
            visit(target, (*path, module))
        done.add(module)

    for module in MODULES:
        visit(module, ())
