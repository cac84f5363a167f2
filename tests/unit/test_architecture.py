"""Architecture rules import-linter does not state (its contracts are in pyproject.toml, run by ``make lint``):

* no module imports another module's private name (``from x import _y``): what a module shares, it names
  without the underscore;
* no import cycle among the modules of the sync engine (``sync/``) or of the HubSpot simulator
  (``simulators/hubspot/``): imports inside functions count, imports under ``if TYPE_CHECKING:`` do not.

Both checks read the source with ``ast``; nothing is imported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("sync", "harness", "simulators")
NO_CYCLES = ("sync", "simulators.hubspot")  # packages whose modules must not import each other in a circle


# -- reading the source ------------------------------------------------------------------------------

def module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """Every module of the packages, by dotted name."""
    return {module_name(root, path): path for package in packages for path in sorted((root / package).rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(tree: ast.AST, skip_type_checking: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth (inside functions and classes too)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif skip_type_checking and isinstance(node, ast.If) and _is_type_checking(node.test):
            for other in node.orelse:
                yield from imports(ast.Module(body=[other], type_ignores=[]), skip_type_checking)
        else:
            yield from imports(node, skip_type_checking)


def imported_from(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute name of the module a ``from ... import`` reads (relative imports resolved)."""
    if node.level == 0:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[:len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


# -- the checks --------------------------------------------------------------------------------------

def private_imports(root: Path, packages: tuple[str, ...]) -> list[str]:
    """``file:line: from x import _y`` for each private name one module of the project imports from another."""
    found = []
    for module, path in modules(root, packages).items():
        for node in imports(ast.parse(path.read_text(encoding="utf-8")), skip_type_checking=False):
            if not isinstance(node, ast.ImportFrom):
                continue
            source = imported_from(module, path, node)
            if source.split(".")[0] not in packages:
                continue
            for alias in node.names:
                name = alias.name
                if name.startswith("_") and not (name.startswith("__") and name.endswith("__")):
                    found.append(f"{path.relative_to(root)}:{node.lineno}: from {source} import {name}")
    return found


def import_graph(root: Path, packages: tuple[str, ...], within: str) -> dict[str, set[str]]:
    """Which modules of ``within`` each of its modules imports (run-time imports only)."""
    known = modules(root, packages)
    inside = {m for m in known if m == within or m.startswith(within + ".")}

    def target(name: str) -> str | None:
        """The module an import names: itself, else the nearest package of it that is a module of ours."""
        parts = name.split(".")
        for end in range(len(parts), 0, -1):
            candidate = ".".join(parts[:end])
            if candidate in known:
                return candidate
        return None

    graph: dict[str, set[str]] = {m: set() for m in inside}
    for module in inside:
        path = known[module]
        for node in imports(ast.parse(path.read_text(encoding="utf-8")), skip_type_checking=True):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                source = imported_from(module, path, node)
                # ``from package import module`` imports that module; ``from module import name`` the module
                names = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source
                         for alias in node.names]
            for name in names:
                found = target(name)
                if found in inside and found != module:
                    graph[module].add(found)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def cycle_path(graph: dict[str, set[str]], component: list[str]) -> str:
    """One circle through a component, ``a -> b -> a``, to say where to cut."""
    members, start = set(component), component[0]
    path, seen = [start], {start}
    while True:
        nxt = min(m for m in graph[path[-1]] if m in members)
        if nxt in seen:
            return " -> ".join([*path[path.index(nxt):], nxt])
        path.append(nxt)
        seen.add(nxt)


# -- the project ---------------------------------------------------------------------------------------

def test_no_module_imports_a_private_name_of_another() -> None:
    found = private_imports(ROOT, PACKAGES)
    assert not found, "private names imported across modules (share them without the underscore):\n" + \
        "\n".join(found)


@pytest.mark.parametrize("package", NO_CYCLES)
def test_no_import_cycle(package: str) -> None:
    graph = import_graph(ROOT, PACKAGES, package)
    assert len(graph) > 1, f"no modules found in {package}"
    found = cycles(graph)
    assert not found, f"import cycles in {package}:\n" + "\n".join(cycle_path(graph, c) for c in found)


# -- the checks themselves, on a planted package ---------------------------------------------------------

def plant(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_the_checks_find_a_planted_private_import_and_cycle(tmp_path: Path) -> None:
    plant(tmp_path, {
        "sync/__init__.py": "",
        "sync/a.py": "from .b import shared, _hidden\n",
        "sync/b.py": "def f():\n    from sync import c\n",  # inside a function: still a run-time import
        "sync/c.py": "from . import a\n",
        "sync/d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from sync import a\n",
        "sync/pkg/__init__.py": "from .. import d\n",
        "sync/pkg/e.py": "from ..a import __doc__\nimport sync.d\n",
    })
    assert private_imports(tmp_path, ("sync",)) == ["sync/a.py:1: from sync.b import _hidden"]
    graph = import_graph(tmp_path, ("sync",), "sync")
    assert graph["sync.a"] == {"sync.b"} and graph["sync.b"] == {"sync.c"} and graph["sync.c"] == {"sync.a"}
    assert graph["sync.d"] == set()  # a TYPE_CHECKING import is no run-time edge
    assert graph["sync.pkg"] == {"sync.d"} and graph["sync.pkg.e"] == {"sync.a", "sync.d"}
    assert cycles(graph) == [["sync.a", "sync.b", "sync.c"]]
    assert cycle_path(graph, ["sync.a", "sync.b", "sync.c"]) == "sync.a -> sync.b -> sync.c -> sync.a"
