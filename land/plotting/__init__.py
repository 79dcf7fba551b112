"""Figure helpers for the book: chapters call these instead of long plotting cells.

Each submodule serves one part of the book; :func:`use_book_style` sets the
shared matplotlib style once per chapter.
"""

from __future__ import annotations

import matplotlib as mpl

from land.plotting._responsive import plain_log_labels, responsive_html

__all__ = ["plain_log_labels", "responsive_html", "use_book_style"]


def use_book_style() -> None:
    """Set the rcParams every chapter uses (call once, in the first code cell).

    Figures are written as SVG with their text kept as text, so they stay
    sharp at any zoom and the browser checks can measure the size at which
    each label is shown (at least 9 px at a 1280 px wide window). Figures
    wider than a phone also get a stacked narrow drawing
    (:func:`responsive_html`), shown below 600 px.
    """
    _inline_svg()
    mpl.rcParams.update({
        "svg.fonttype": "none",
        "font.size": 11,
        "axes.titlesize": 11,
        "axes.labelsize": 11,
        "xtick.labelsize": 10,
        "ytick.labelsize": 10,
        "legend.fontsize": 11,
        # Rasterised parts of an SVG (the heat maps) at 220 dpi: twice the about 100 px per
        # inch at which a 7 in figure fills the 1280 px page's column. Text stays vector.
        "figure.dpi": 220,
        "savefig.dpi": 220,
        "figure.figsize": (7.0, 3.4),
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "legend.frameon": False,
    })


def _inline_svg() -> None:
    """Have IPython's inline backend emit SVG (does nothing outside IPython)."""
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        from matplotlib.figure import Figure

        set_matplotlib_formats("svg")
        shell.display_formatter.formatters["text/html"].for_type(Figure, responsive_html)
