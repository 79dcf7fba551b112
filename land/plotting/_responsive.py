"""Figures that read on a laptop and on a phone.

A figure is drawn twice when it is shown in a notebook: as designed (for
windows wider than :data:`BREAKPOINT_PX`) and, when it is wider than
:data:`NARROW_WIDTH_IN`, again at that width with its panels stacked in one
column. Both go into one HTML output with a media query that shows one of
them, so a three-panel figure is three readable panels on a phone instead
of one strip of 4 px labels. The book build writes the two drawings to
files (``book/_ext/land_book.py``); in Jupyter the HTML shows as is.
"""

from __future__ import annotations

import base64
import io
import pickle
import re
import textwrap
import warnings

import numpy as np
from matplotlib.layout_engine import ConstrainedLayoutEngine, PlaceHolderLayoutEngine
from matplotlib.ticker import LogFormatter

from land.plotting._layout import legend_above

__all__ = ["BREAKPOINT_PX", "NARROW_WIDTH_IN", "PlainLogFormatter", "plain_log_labels",
           "responsive_html"]

#: Width (inches) of the narrow drawing. A phone 390 px wide gives the figure
#: about 342 px, so text drawn at this width shows about 1.3 times its size in points: 10 pt
#: at 13 px, a subscript of 11 pt text (7.7 pt) at about 9.5 px (a tight bounding box can
#: add some width).
NARROW_WIDTH_IN = 3.6
#: Below this window width (CSS px) the narrow drawing is shown.
BREAKPOINT_PX = 600

_STYLE = (f"<style>.land-figure-narrow{{display:none}}"
          f"@media (max-width:{BREAKPOINT_PX}px){{.land-figure-wide{{display:none}}"
          f".land-figure-narrow{{display:block}}}}</style>")


class PlainLogFormatter(LogFormatter):
    """Log-axis labels as plain numbers (0.01, 0.1, 1, 10) and 1e-5 beyond.

    Matplotlib's default writes 10 with a superscript exponent at 0.7 of the
    tick size, the smallest text of a figure and unreadable when the figure
    is scaled down; these labels are as large as every other tick label.
    """

    def _num_to_string(self, x, vmin, vmax):
        if 1e-3 <= abs(x) < 1e4:
            return f"{x:g}"
        mantissa, exponent = f"{x:.0e}".split("e")
        return f"{mantissa}e{int(exponent)}"


def plain_log_labels(ax, which: str = "both") -> None:
    """Label the log-scaled axes of ``ax`` with :class:`PlainLogFormatter`.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    which : {"x", "y", "both"}
    """
    if which not in ("x", "y", "both"):
        raise ValueError(f"which: expected 'x', 'y' or 'both', got {which!r}")
    axes = {"x": [ax.xaxis], "y": [ax.yaxis], "both": [ax.xaxis, ax.yaxis]}[which]
    for axis in axes:
        if axis.get_scale() == "log":
            axis.set_major_formatter(PlainLogFormatter())
            axis.set_minor_formatter(PlainLogFormatter(labelOnlyBase=False,
                                                       minor_thresholds=(1, 0.4)))


def _svg(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    return buffer.getvalue()


def _panels(fig) -> list[list]:
    """The figure's main axes grouped by the grid cell they occupy, in reading order.

    Colorbars made by constrained layout and insets are not grid cells; twin
    axes share their parent's cell. Returns an empty list when the axes do
    not all sit in one top-level grid (then the figure is only narrowed).
    """
    cells: dict[tuple, list] = {}
    grid = None
    for ax in fig.axes:
        spec = ax.get_subplotspec()
        if spec is None or not ax.get_visible():
            continue
        if hasattr(ax, "_colorbar"):
            return []  # a colorbar placed in the grid cannot follow its parent
        top = spec.get_topmost_subplotspec()
        if grid is None:
            grid = top.get_gridspec()
        elif top.get_gridspec() is not grid:
            return []
        rows, cols = top.rowspan, top.colspan
        cells.setdefault((rows.start, cols.start, rows.stop, cols.stop), []).append(ax)
    return [cells[key] for key in sorted(cells)]


def narrow_copy(fig):
    """A copy of ``fig`` at :data:`NARROW_WIDTH_IN` with its panels in one column.

    Returns None when the figure is already narrow enough or cannot be
    copied (a figure holding an artist that does not pickle).
    """
    width, height = fig.get_size_inches()
    if width <= NARROW_WIDTH_IN * 1.02:
        return None
    try:
        copy = pickle.loads(pickle.dumps(fig))
    except Exception:  # noqa: BLE001 - any unpicklable artist: keep the one drawing
        return None
    for ax in [ax for ax in copy.axes if not ax.get_visible()]:
        copy.delaxes(ax)  # unused cells of a grid: nothing to stack
    panels = _panels(copy)
    nrows, ncols = copy.axes[0].get_subplotspec().get_gridspec().get_geometry() if panels else (1, 1)
    if panels and ncols > 1:
        panel_height = float(np.clip(height / nrows * NARROW_WIDTH_IN / (width / ncols), 2.4, 3.4))
        stacked = copy.add_gridspec(len(panels), 1)
        for row, group in enumerate(panels):
            for ax in group:
                ax.set_subplotspec(stacked[row, 0])
                if ax.name == "rectilinear":
                    ax.tick_params(labelleft=True, labelbottom=True)
        new_height = panel_height * len(panels) + 0.4
    else:
        new_height = height * float(np.clip(NARROW_WIDTH_IN / width, 0.75, 1.0))
    copy.set_size_inches(NARROW_WIDTH_IN, new_height)
    engine = copy.get_layout_engine()
    if engine is None or isinstance(engine, PlaceHolderLayoutEngine):
        # Hand-placed margins, or a one-off tight_layout(), were meant for the wide drawing
        # (the placeholder that tight_layout() leaves does no layout): constrained layout
        # places the stacked panels with the legends above them and their labels. A figure
        # whose colour bars were made for gridspec layouts keeps to tight layout.
        try:
            copy.set_layout_engine("constrained")
        except RuntimeError:
            copy.set_layout_engine("tight")
    _fit_text_to_column(copy)
    return copy


def _fit_width(fig, tries: int = 3) -> bytes:
    """The figure's SVG, narrowed until its tight bounding box is :data:`NARROW_WIDTH_IN` wide.

    Labels that stick out (long tick names, a colour bar's label) widen the
    tight box beyond the figure, and the browser then scales all the text
    down; taking the excess off the figure's width brings it back.
    """
    target = 72.0 * NARROW_WIDTH_IN
    svg = _svg(fig)
    for _ in range(tries):
        found = re.search(rb'width="([0-9.]+)pt"', svg)
        width_pt = float(found.group(1)) if found else target
        if width_pt <= 1.03 * target:
            break
        width, height = fig.get_size_inches()
        new_width = width - (width_pt - target) / 72.0
        if new_width < 0.5 * NARROW_WIDTH_IN:
            break
        fig.set_size_inches(new_width, height)
        svg = _svg(fig)
    return svg


def _fit_text_to_column(fig) -> None:
    """Wrap long axis labels, and move figure legends under the last panel in two columns.

    A label or a one-row legend laid out for 7 in would stick out of a
    3.6 in drawing, and the browser would scale all the text down with it.
    """
    for ax in fig.axes:
        for label in (ax.xaxis.label, ax.yaxis.label):
            text = label.get_text()
            if len(text) > 34 and "$" not in text and "\n" not in text:
                label.set_text(textwrap.fill(text, 32))
    main = [ax for ax in fig.axes if ax.get_subplotspec() is not None and ax.get_visible()]
    for ax in main:
        legend = ax.get_legend()
        if legend is not None and getattr(legend, "_land_above", False):
            # Its columns were chosen for the wide panel; choose again for the column.
            legend_above(ax, legend.legend_handles, [t.get_text() for t in legend.texts],
                         width_chars=int(NARROW_WIDTH_IN * 0.8 * 12))
    constrained = isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)
    for legend in list(fig.legends):
        if not main:
            break
        handles, texts = legend.legend_handles, [t.get_text() for t in legend.texts]
        legend.remove()
        # Two columns only if two labels fit side by side in the column.
        ncols = min(2, len(texts)) if max(len(t) for t in texts) <= 16 else 1
        if constrained:
            # Under the last panel's tick labels and axis label, wherever they end.
            fig.legend(handles, texts, loc="outside lower center", ncols=ncols, handlelength=3.0)
            continue
        if main[-1].get_legend() is not None:
            main[-1].add_artist(main[-1].get_legend())  # keep the panel's own legend too
        main[-1].legend(handles, texts, loc="upper center", bbox_to_anchor=(0.5, -0.22),
                        ncols=ncols, handlelength=3.0)


def _img(svg: bytes, css_class: str) -> str:
    data = base64.b64encode(svg).decode("ascii")
    return f'<img class="{css_class}" src="data:image/svg+xml;base64,{data}" alt="">'


def responsive_html(fig) -> str | None:
    """The figure as HTML: its drawing, and a stacked narrow one for small screens.

    Returns None for a figure already narrow enough, so the notebook keeps
    its plain SVG output.

    Parameters
    ----------
    fig : matplotlib.figure.Figure

    Returns
    -------
    str or None
    """
    import matplotlib.pyplot as plt

    narrow = None
    try:
        with warnings.catch_warnings():
            # The copy's new layout may warn (axes that do not fit a tall column);
            # the designed drawing, shown on every laptop, is made without this filter.
            warnings.simplefilter("ignore")
            narrow = narrow_copy(fig)
            narrow_svg = _fit_width(narrow) if narrow is not None else None
    except Exception:  # noqa: BLE001 - a display extra: the designed drawing still shows
        narrow_svg = None
    finally:
        if narrow is not None:
            plt.close(narrow)
    if narrow_svg is None:
        return None
    return ('<div class="land-figure">' + _STYLE + _img(_svg(fig), "land-figure-wide")
            + _img(narrow_svg, "land-figure-narrow") + "</div>")
