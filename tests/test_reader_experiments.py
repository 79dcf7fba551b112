"""Chapters survive a reader's experiment: change one parameter, Run All still goes through.

Each chapter gathers the values a reader may change in one cell near its
top (``land.experiments.reader.ChapterParameters``). Its hidden checks hold
for the book's values and are skipped, with a one-line note, when a value
differs. Here every chapter is run with one of its parameters changed, as a
reader would change it in Jupyter; the test fails if any cell raises, and
also if no check was skipped (then the change did not reach the checks, or
the chapter has no guarded checks at all).

Run one chapter by hand with::

    python -m tests.test_reader_experiments book/04_generating_data.md "sd = 0.7" "sd = 0.5"
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BOOK = REPO / "book"
SKIP_NOTE = "Check skipped:"

# chapter -> (text in its parameter cell, what a reader might write instead)
CHANGES = {
    "02_metrics": ("sd = 0.7", "sd = 0.5"),
    "03_inference": ("sd_narrow = 0.05", "sd_narrow = 0.1"),
    "04_generating_data": ("sd = 0.7", "sd = 0.5"),
    "05_choosing_manifold": ("kernel_width = 0.1", "kernel_width = 0.2"),
    "06_fitting": ("n_data = 2000", "n_data = 1000"),
    "07_conclusion": ("sd = 0.7", "sd = 0.5"),
    "08_performance": ("n_points = 300", "n_points = 200"),
    "09_study": ("seed = 0", "seed = 3"),
    "10_beyond_sphere": ("width_factor = 1.0", "width_factor = 1.6"),
    "11_mixtures": ("n_samples = 500", "n_samples = 200"),
    "getting_started": ("n_points = 300", "n_points = 200"),
}


def run_changed(chapter: Path, old: str, new: str, timeout: int = 900) -> list[str]:
    """Run ``chapter`` with ``old`` replaced by ``new`` in its parameter cell; return the skip notes."""
    import jupytext
    from nbclient import NotebookClient

    notebook = jupytext.read(str(chapter))
    cells = [cell for cell in notebook.cells if cell.cell_type == "code" and old in cell.source]
    if len(cells) != 1 or cells[0].source.count(old) != 1:
        raise AssertionError(f"{chapter.name}: {old!r} must appear exactly once in one code cell, "
                             f"found it in {len(cells)} cells")
    if "ChapterParameters" not in cells[0].source:
        raise AssertionError(f"{chapter.name}: {old!r} is not in the parameter cell")
    cells[0].source = cells[0].source.replace(old, new)
    os.environ["LAND_PROGRESS"] = "0"
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(chapter.parent)}})
    client.execute()
    notes = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                notes += [line for line in output["text"].splitlines() if line.startswith(SKIP_NOTE)]
    return notes


def _chapters() -> list[str]:
    return sorted(path.stem for path in BOOK.glob("*.md")
                  if "kernelspec:" in path.read_text(encoding="utf-8").split("\n---", 1)[0])


def test_every_chapter_has_an_experiment():
    """Each chapter with code (but the introduction) names the parameter change tried below."""
    missing = [name for name in _chapters() if name not in CHANGES and name != "intro"]
    assert not missing, f"chapters without a reader experiment in CHANGES: {missing}"


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_chapter_runs_with_a_changed_parameter(name):
    old, new = CHANGES[name]
    notes = run_changed(BOOK / f"{name}.md", old, new)
    assert notes, f"{name}: with {new!r} no check was skipped; the change did not reach the checks"


if __name__ == "__main__":
    found = run_changed(Path(sys.argv[1]).resolve(), sys.argv[2], sys.argv[3])
    print(f"{len(found)} checks skipped")
    for note in found:
        print(" ", note)
