"""Legends and labels that never lie on the data.

A legend inside the axes ("best" included) covers data whenever no corner is
empty, and a panel label written inside the axes lies on whatever is drawn
there (issue 17 found both in six figures). So legends go above their panel,
or above the whole figure, and panel names are axes titles.
"""

from __future__ import annotations

__all__ = ["figure_legend_above", "legend_above"]

#: Legend keys long enough to show a dotted or dashed line as such.
HANDLE_LENGTH = 3.0


def _columns(labels, width_chars: int) -> int:
    """As many columns as fit ``width_chars`` characters of labels in one row (at least 1)."""
    labels = [str(label) for label in labels]
    if not labels:
        return 1
    per_entry = max(len(label) for label in labels) + 6  # the key and the gap
    return max(1, min(len(labels), width_chars // per_entry))


def legend_above(ax, handles=None, labels=None, *, width_chars: int | None = None, **kwargs):
    """Put the legend of ``ax`` in rows just above the panel, outside the data area.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    handles, labels : list, optional
        As for ``Axes.legend``; by default the axes' own.
    width_chars : int, optional
        Characters of label text that fit across the panel (default: from
        the panel's width, about 12 per inch at 11 pt).
    **kwargs
        Passed on to ``Axes.legend``.

    Returns
    -------
    matplotlib.legend.Legend or None
        None when there is nothing to show.
    """
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    if width_chars is None:
        width_in = ax.get_position().width * ax.figure.get_size_inches()[0]
        width_chars = int(max(width_in, 1.5) * 12)
    options = dict(loc="lower center", bbox_to_anchor=(0.5, 1.02), borderaxespad=0.0,
                   ncols=_columns(labels, width_chars), handlelength=HANDLE_LENGTH,
                   columnspacing=1.2)
    options.update(kwargs)
    legend = ax.legend(handles, labels, **options)
    legend._land_above = True  # the stacked phone drawing lays it out again for its width
    return legend


def figure_legend_above(fig, handles, labels, **kwargs):
    """One legend for the whole figure, in rows above all its panels.

    The figure's tight bounding box (``bbox_inches="tight"``, which the book
    and Jupyter use) grows to take it in; the stacked phone drawing moves it
    under the last panel (:mod:`land.plotting._responsive`).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    handles, labels : list
    **kwargs
        Passed on to ``Figure.legend``.

    Returns
    -------
    matplotlib.legend.Legend
    """
    width_chars = int(fig.get_size_inches()[0] * 12)
    # Just above the panels as drawn (titles included): equal-aspect panels may end well
    # below the top of the figure.
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    to_figure = fig.transFigure.inverted()
    shown = [ax for ax in fig.axes if ax.get_visible()]
    top = max((ax.get_tightbbox(renderer).transformed(to_figure).y1 for ax in shown), default=1.0)
    options = dict(loc="lower center", bbox_to_anchor=(0.5, top), borderaxespad=0.2,
                   ncols=_columns(labels, width_chars), handlelength=HANDLE_LENGTH,
                   columnspacing=1.2)
    options.update(kwargs)
    return fig.legend(handles, labels, **options)
