"""The notebooks the built book offers for download run anywhere and read as plain Jupyter.

Every chapter page offers its ``.ipynb`` (``book/_ext/land_book.py`` writes
them to ``_build/html/_sources/book/``). A reader downloads one and runs it
in whatever folder it landed in, with ``land`` installed. So for each of
them:

* ``test_downloaded_notebook_has_no_raw_myst``: no markdown line that
  Jupyter would show as MyST source: a target ``(label)=``, a directive fence
  (`````{exercise}``, ``:::{admonition}``), a directive option (``:class:``,
  ``:label:``) or a role (``{ref}`...```);
* ``test_downloaded_notebook_runs_in_an_empty_folder``: a copy of it,
  alone in an empty temporary folder outside the repository, executes from
  top to bottom with nbclient (the library behind ``jupyter nbconvert
  --execute``) without an error.

``test_raw_myst_check_fires`` shows the first check is not vacuous. Like the
browser checks, these need a built book (``make book``) and are skipped
without one, unless ``LAND_BROWSER_REQUIRED=1``; ``LAND_BOOK_HTML`` points
them at another build.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HTML_DIR = Path(os.environ.get("LAND_BOOK_HTML", REPO / "_build" / "html")).resolve()
REQUIRED = os.environ.get("LAND_BROWSER_REQUIRED", "") not in ("", "0")
NOTEBOOKS = sorted((HTML_DIR / "_sources").rglob("*.ipynb")) if HTML_DIR.is_dir() else []
CELL_TIMEOUT_S = 900

RAW_MYST = [
    (re.compile(r"^\s*\([A-Za-z0-9_:.-]+\)=\s*$"), "target line"),
    (re.compile(r"^\s*(`{3,}|:{3,})\{[a-z-]+\}"), "directive fence"),
    (re.compile(r"^\s*:(class|label|name|tags|mystnb|nosignatures|members|dropdown):"), "directive option"),
    (re.compile(r"\{(cite|ref|numref|eq|doc|mod|func|class|meth|term|download)\}`"), "role"),
]


def raw_myst_lines(notebook: dict) -> list[str]:
    """The markdown lines of a notebook that Jupyter would show as MyST source."""
    found = []
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        in_code = False
        for line in source.splitlines():
            if re.match(r"^\s*(`{3,}|~{3,})[A-Za-z0-9_+-]*\s*$", line):
                in_code = not in_code  # a plain fenced code block: its content is code, not MyST
                continue
            if in_code:
                continue
            for pattern, kind in RAW_MYST:
                if pattern.search(line):
                    found.append(f"cell {index}, {kind}: {line.strip()[:80]}")
    return found


def _need_notebooks():
    if NOTEBOOKS:
        return
    reason = (f"no downloadable notebooks in {HTML_DIR / '_sources'}: run `make book` first "
              "(or point LAND_BOOK_HTML at a build's html folder)")
    if REQUIRED:
        pytest.fail(reason + " (LAND_BROWSER_REQUIRED is set, so this is an error)")
    pytest.skip(reason)


def _ids():
    return [path.stem for path in NOTEBOOKS] or ["no-build"]


@pytest.mark.parametrize("path", NOTEBOOKS or [None], ids=_ids())
def test_downloaded_notebook_has_no_raw_myst(path):
    _need_notebooks()
    raw = raw_myst_lines(json.loads(path.read_text(encoding="utf-8")))
    assert not raw, f"{path.name}: MyST left raw:\n  " + "\n  ".join(raw[:10])


def test_raw_myst_check_fires():
    """Each kind of raw MyST is caught, and plain Markdown (with code blocks) passes."""
    def notebook(text):
        return {"cells": [{"cell_type": "markdown", "source": text}]}

    for text in ("(ch-data)=", ":::{admonition} In this chapter", ":class: tip",
                 "```{exercise}", ":label: ex-04-1", "```{solution-start} ex-04-1",
                 "see {ref}`ch-data`"):
        assert raw_myst_lines(notebook("# Title\n\n" + text + "\n")), text
    clean = ("> **In this chapter**\n>\n> text\n\n### Exercise 1\n\n```python\n"
             ":label: inside a code block is code\n```\n")
    assert raw_myst_lines(notebook(clean)) == []


def test_every_chapter_is_offered():
    """The parametrised checks above cover every chapter, not a subset."""
    _need_notebooks()
    chapters = {p.stem for p in (REPO / "book").glob("*.md")
                if "kernelspec:" in p.read_text(encoding="utf-8").split("\n---", 1)[0]}
    offered = {p.stem for p in NOTEBOOKS}
    assert len(chapters) >= 10 and chapters <= offered, sorted(chapters - offered)


@pytest.mark.parametrize("path", NOTEBOOKS or [None], ids=_ids())
def test_downloaded_notebook_runs_in_an_empty_folder(path, monkeypatch):
    _need_notebooks()
    import nbclient
    import nbformat

    monkeypatch.setenv("LAND_PROGRESS", "0")
    folder = Path(tempfile.mkdtemp(prefix="land-notebook-"))
    try:
        assert REPO not in folder.parents and not (folder / "land").exists()
        copy = folder / path.name
        shutil.copyfile(path, copy)
        notebook = nbformat.read(copy, as_version=4)
        client = nbclient.NotebookClient(notebook, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                                         resources={"metadata": {"path": str(folder)}})
        try:
            client.execute()
        except nbclient.exceptions.CellExecutionError as error:
            pytest.fail(f"{path.name} fails outside the repository:\n{str(error)[-3000:]}")
        assert sorted(p.name for p in folder.iterdir()) == [path.name], \
            f"{path.name} wrote files into the reader's folder: {sorted(p.name for p in folder.iterdir())}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
