"""Every public function, class and method of the core has a numpydoc docstring with examples.

The public interface is what the core packages export (``__all__`` of
``land``, ``land.geometry``, ``land.model``, ``land.data`` and the functions
of ``land.data.datasets``) together with the public methods of the classes
among them. Each needs the numpydoc sections that apply:

* ``Parameters`` when it takes arguments (besides ``self``);
* ``Returns`` (or ``Yields``) when it returns something;
* ``Raises`` when it checks its input (every function that takes arguments);
* ``Examples`` with at least one ``>>>`` line, which ``make test`` runs as
  a doctest (``--doctest-modules`` over ``land/`` in ``pyproject.toml``).

Result records (frozen dataclasses the functions return) need
``Attributes`` and ``Examples`` instead.
"""

from __future__ import annotations

import dataclasses
import inspect
import re

import pytest

import land
import land.data
import land.geometry
import land.model
from land.data import datasets

PACKAGES = (land, land.geometry, land.model, land.data)


def _sections(doc: str) -> set[str]:
    lines = doc.splitlines()
    return {lines[i].strip() for i in range(len(lines) - 1)
            if re.fullmatch(r"\s*-{3,}\s*", lines[i + 1]) and lines[i].strip()}


def _public_objects():
    seen = {}
    for package in PACKAGES:
        for name in package.__all__:
            obj = getattr(package, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                seen.setdefault(f"{obj.__module__}.{obj.__qualname__}", obj)
    for name, obj in vars(datasets).items():
        if inspect.isfunction(obj) and not name.startswith("_") and obj.__module__ == datasets.__name__:
            seen.setdefault(f"{obj.__module__}.{obj.__qualname__}", obj)
    for qualname, obj in list(seen.items()):
        # The Geometry protocol's methods are declarations, documented on the class itself.
        if inspect.isclass(obj) and not issubclass(obj, BaseException) and obj is not land.Geometry:
            for name, member in vars(obj).items():
                if name.startswith("_") or not inspect.isfunction(member):
                    continue
                seen.setdefault(f"{qualname}.{name}", member)
    return seen


OBJECTS = _public_objects()


def _takes_arguments(func) -> bool:
    params = [p for p in inspect.signature(func).parameters.values() if p.name not in ("self", "cls")]
    return bool(params)


def _returns_something(func) -> bool:
    source = inspect.getsource(func)
    return bool(re.search(r"\n\s+return\s+\S", source)) or "-> None" not in source.split(":\n")[0]


def test_the_interface_is_found():
    # Guard against a walk that finds nothing (and so passes everything).
    names = set(OBJECTS)
    assert {"land.geometry.sphere.Sphere.exp", "land.model.fit.fit_land",
            "land.model.estimators.LAND.fit", "land.data.datasets.noisy_arc"} <= names
    assert len(OBJECTS) > 60


@pytest.mark.parametrize("qualname", sorted(OBJECTS))
def test_numpydoc_sections(qualname):
    obj = OBJECTS[qualname]
    doc = inspect.getdoc(obj) or ""
    assert doc, f"{qualname} has no docstring"
    sections = _sections(doc)
    missing = []
    if inspect.isclass(obj) and dataclasses.is_dataclass(obj):
        need = {"Attributes", "Examples"}
    elif inspect.isclass(obj):
        need = {"Examples"}
        init = vars(obj).get("__init__")
        if (init is not None and getattr(init, "__module__", "").startswith("land")
                and _takes_arguments(init)):
            # An exception class documents its parameters; raising is what it is for.
            need |= {"Parameters"} if issubclass(obj, BaseException) else {"Parameters", "Raises"}
    else:
        need = {"Examples"}
        if _takes_arguments(obj):
            need |= {"Parameters", "Raises"}
        if _returns_something(obj):
            need.add("Returns" if "Yields" not in sections else "Yields")
    missing = sorted(need - sections)
    assert not missing, f"{qualname}: docstring lacks {missing}"
    if "Examples" in need:
        examples = doc.split("Examples", 1)[1]
        assert ">>>" in examples, f"{qualname}: Examples has no >>> line to run"
