"""pytest plugin: run the book's MyST Markdown chapters under nbval.

Loaded with ``-p tests.nbval_md`` (see ``pyproject.toml``). nbval itself only
collects ``.ipynb`` files; this plugin hands every ``.md`` file that has a
jupytext ``kernelspec`` front matter to nbval's collector, read through
jupytext (no temporary files).
"""

from __future__ import annotations

import os
from unittest import mock

import jupytext
import nbval.plugin
from nbval.plugin import IPyNbFile

# The chapters' kernels inherit this: fits draw no progress bars in test logs.
os.environ.setdefault("LAND_PROGRESS", "0")


def _read_markdown(path, as_version=4):
    return jupytext.read(str(path), as_version=as_version)


class MarkdownNotebook(IPyNbFile):
    """An nbval notebook read from a jupytext MyST Markdown file.

    nbval's collector reads ``.ipynb`` with ``nbformat.read``; we let it read
    the chapter through jupytext instead. The sources store no outputs, so
    with ``--nbval-lax`` every cell is required to run without error and
    claims are checked by the chapters' assert cells. The kernel starts in
    the chapter's folder, as it does in the book build.
    """

    def collect(self):
        with mock.patch.object(nbval.plugin.nbformat, "read", _read_markdown):
            yield from super().collect()


def pytest_collect_file(parent, file_path):
    """Collect ``.md`` chapters that carry a kernelspec (skipping built copies)."""
    if file_path.suffix != ".md" or "_build" in file_path.parts:
        return None
    head = file_path.read_text(encoding="utf-8")[:2000]
    if not head.startswith("---") or "kernelspec:" not in head:
        return None
    return MarkdownNotebook.from_parent(parent, path=file_path)
