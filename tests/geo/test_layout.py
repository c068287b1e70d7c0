"""The shape of the house (issue 12): every module imports, ``geo`` never imports the wings that use it,
``geo`` has no import cycle, its modules stay small, and risk areas are declared by one function."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WINGS = ("layers", "dashboards", "cli", "app")
MAX_LINES = 500  # migrations are history and exempt


def _modules(package: str) -> list[str]:
    found = [package]
    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(root.__path__, f"{package}."):
        if ".migrations." not in info.name:
            found.append(info.name)
    return found


def _imports(path: Path) -> set[str]:
    """The modules ``path`` imports anywhere (module level or inside functions)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _geo_files() -> dict[str, Path]:
    return {
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
        for p in sorted((ROOT / "geo").rglob("*.py"))
    }


@pytest.mark.parametrize("package", ("geo", "etl", "layers", "cli"))
def test_every_module_imports(package: str) -> None:
    for name in _modules(package):
        importlib.import_module(name)


def test_geo_never_imports_layers_dashboards_or_cli() -> None:
    offenders = {
        name: sorted(i for i in _imports(path) if i.split(".")[0] in WINGS)
        for name, path in _geo_files().items()
    }
    assert {n: i for n, i in offenders.items() if i} == {}


def test_geo_has_no_import_cycle() -> None:
    files = _geo_files()
    graph = {name: {i for i in _imports(path) if i in files and i != name} for name, path in files.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        stack.append(name)
        for other in graph[name]:
            if state.get(other) == 1:
                cycle = [*stack[stack.index(other) :], other]
                raise AssertionError(f"import cycle: {' -> '.join(cycle)}")
            if other not in state:
                visit(other)
        stack.pop()
        state[name] = 2

    for name in graph:
        if name not in state:
            visit(name)


def test_test_files_have_unique_names() -> None:
    """The test folders have no ``__init__.py``: pytest imports each test file by its basename, so two
    of one name (tests/geo/test_x.py and tests/e2e/test_x.py) stop the whole run at collection."""
    names: dict[str, list[str]] = {}
    for path in (ROOT / "tests").rglob("test_*.py"):
        names.setdefault(path.name, []).append(str(path.relative_to(ROOT)))
    assert {n: p for n, p in names.items() if len(p) > 1} == {}


def test_modules_stay_small() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for package in ("geo", "etl", "layers", "dashboards", "cli")
        for p in (ROOT / package).rglob("*.py")
        if "migrations" not in p.parts and (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, long


@pytest.mark.parametrize("path", ("cli/risk.py", "dashboards/_risk_routes.py", "dashboards/_risk_panel.py"))
def test_every_declaration_path_calls_the_one_function(path: str) -> None:
    """The CLI, the HTTP API and the map's panel declare through geo.risk.declare, which stores and
    audits; none of them stores or audits a declaration itself."""
    imported = _imports(ROOT / path)
    assert "geo.risk.declare.declare_and_store" in imported
    assert not {"geo.audit.record", "geo.risk.store.save_risk_area"} & imported
