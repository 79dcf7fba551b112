"""Figure helpers for the book: chapters call these instead of long plotting cells.

Each submodule serves one part of the book; :func:`use_book_style` sets the
shared matplotlib style once per chapter.
"""

from __future__ import annotations

import matplotlib as mpl

__all__ = ["use_book_style"]


def use_book_style() -> None:
    """Set the rcParams every chapter uses (call once, in the first code cell)."""
    mpl.rcParams.update({
        "figure.dpi": 110,
        "savefig.dpi": 110,
        "figure.figsize": (8.0, 3.6),
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "font.size": 10,
        "legend.frameon": False,
    })
