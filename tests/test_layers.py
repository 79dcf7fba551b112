"""The package's layers: the core imports nothing above it, and no module imports form a cycle.

Layers, bottom to top:

0. the core: ``land`` itself, ``land._validation``, ``land.numerics`` (below the
   geometry: it imports only ``land._validation``), ``land.geometry``,
   ``land.model``, ``land.data``;
1. ``land.experiments`` (the book's experiment and reference code);
2. ``land.plotting``.

A module may import from its own layer or below. Imports are read from the
source (top-level and inside functions alike), so a lazy import cannot
hide an upward dependency or a cycle.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "land"
LAYERS = {"land.experiments": 1, "land.plotting": 2}


def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _layer(module: str) -> int:
    for prefix, layer in LAYERS.items():
        if module == prefix or module.startswith(prefix + "."):
            return layer
    return 0


def _resolve(name: str) -> str | None:
    """The ``land`` module that an import of ``name`` loads last (None outside ``land``)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str) -> set[str]:
    tree = ast.parse(MODULES[module].read_text())
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            # "from pkg import sub" loads the submodule when there is one.
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                     for alias in node.names]
        else:
            continue
        for name in names:
            target = _resolve(name) if name.startswith("land") else None
            if target and target != module:
                found.add(target)
    return found


GRAPH = {module: _imports(module) for module in MODULES}


def test_modules_found():
    # The walk must see the packages it judges, or every check below passes vacuously.
    assert {"land", "land.geometry.learned", "land.model.fit", "land.experiments.study",
            "land.plotting.fit"} <= set(GRAPH)
    assert "land.geometry.learned" in GRAPH["land.model.fit"] or any(
        "land.geometry" in target for target in GRAPH["land.model.fit"])


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_upward_import(module):
    upward = sorted(t for t in GRAPH[module] if _layer(t) > _layer(module))
    assert not upward, f"{module} (layer {_layer(module)}) imports from a layer above: {upward}"


def _cycles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in graph.get(node, ()):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle():
    assert _cycles(GRAPH) == []


def test_cycle_detector_finds_a_cycle():
    # The detector itself, on a graph with a known cycle and a package that imports its own module.
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _layer("land.experiments.study") == 1 and _layer("land.geometry.sphere") == 0


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("land.numerics")))
def test_numerics_knows_nothing_of_the_geometry_above_it(module):
    """The solvers sit below the geometry (as in geomstats): they import only land._validation."""
    above = sorted(t for t in GRAPH[module]
                   if not (t.startswith("land.numerics") or t == "land._validation"))
    assert not above, f"{module} imports {above}"
