"""Figures of the quantitative study chapter (``book/09_study.md``).

The functions take summary columns (means and standard deviations over
seeds, from the sweep CSVs read with :func:`land.experiments.study.load_table`) and
return a matplotlib Figure; they compute nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from land._validation import as_float_array
from land.plotting._layout import figure_legend_above
from land.plotting._responsive import plain_log_labels

__all__ = ["plot_panels", "plot_step_grid"]


def _series(value, name, length):
    mean, spread = value
    # NaN allowed: a setting where no seed converged, or a single seed (no spread).
    mean, spread = np.asarray(mean, dtype=float), np.asarray(spread, dtype=float)
    if mean.shape != (length,) or spread.shape != (length,):
        raise ValueError(f"{name}: expected mean and std of shape ({length},), "
                         f"got {mean.shape} and {spread.shape}")
    return mean, spread


def plot_panels(panels: Sequence[Mapping], *, ncols: int | None = None, width: float = 3.6,
                height: float = 3.2):
    """One panel per entry: each series as its mean over seeds with a band of +- one std.

    Parameters
    ----------
    panels : sequence of mapping
        Each with ``x`` (array, shape=[n]), ``series`` (mapping label ->
        ``(mean, std)``, arrays of shape [n], or label -> ``(x, mean, std)``
        for a series with its own x), and optional ``xlabel``, ``ylabel``,
        ``xscale``, ``yscale`` ("linear" or "log"), ``lines`` (mapping label
        -> y value of a dotted horizontal line), ``styles`` (mapping label ->
        plot keyword arguments).
    ncols : int, optional
        Panels per row (default: all in one row).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if len(panels) == 0:
        raise ValueError("panels: expected at least one panel")
    ncols = len(panels) if ncols is None else int(ncols)
    nrows = int(np.ceil(len(panels) / ncols))
    # At most 7 in wide: the page column at 1280 px, where 10 pt text then shows at 13 px.
    scale = min(1.0, 7.0 / (width * ncols))
    fig, axes = plt.subplots(nrows, ncols, squeeze=False,
                             figsize=(width * ncols * scale, height * nrows * max(scale, 0.85)))
    for ax, panel in zip(axes.flat, panels):
        styles = panel.get("styles", {})
        for label, value in panel["series"].items():
            x = as_float_array(panel["x"] if len(value) == 2 else value[0], f"{label} x")
            mean, spread = _series(value[-2:], label, x.size)
            keep = ~np.isnan(mean)
            style = dict(marker="o", markersize=3)
            style.update(styles.get(label, {}))
            line, = ax.plot(x[keep], mean[keep], label=label, **style)
            low, high = mean - np.nan_to_num(spread), mean + np.nan_to_num(spread)
            if panel.get("yscale") == "log":
                low = np.where(low > 0, low, mean / 10)
            ax.fill_between(x[keep], low[keep], high[keep], color=line.get_color(), alpha=0.2,
                            linewidth=0)
        for label, level in panel.get("lines", {}).items():
            # Named in the legend, not written on the panel where a curve may run.
            ax.axhline(level, color="0.4", linestyle=":", linewidth=1.2, label=label)
        ax.set_xscale(panel.get("xscale", "linear"))
        ax.set_yscale(panel.get("yscale", "linear"))
        plain_log_labels(ax)
        ax.set_xlabel(panel.get("xlabel", ""))
        ax.set_ylabel(panel.get("ylabel", ""))
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    fig.tight_layout()
    # One legend above all panels, each label once (panels usually share their series).
    entries = {}
    for ax in axes.flat[:len(panels)]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    if entries:
        figure_legend_above(fig, list(entries.values()), list(entries))
    return fig


def plot_step_grid(step_means, fractions, grids: Mapping, *, labels: Mapping | None = None):
    """Heat maps over (mean step, covariance step fraction), one per grid, values written in.

    Parameters
    ----------
    step_means : array-like, shape=[m]
        Row values (``step_mean``).
    fractions : array-like, shape=[f]
        Column values (``step_cov_fraction``: ``step_cov * s_hat``).
    grids : mapping
        Title -> array of shape [m, f] (NaN: not converged, drawn grey).
    labels : mapping, optional
        Title -> colour-bar label.

    Returns
    -------
    matplotlib.figure.Figure
    """
    step_means = as_float_array(step_means, "step_means")
    fractions = as_float_array(fractions, "fractions")
    labels = {} if labels is None else dict(labels)
    fig, axes = plt.subplots(1, len(grids), figsize=(min(7.0, 2.4 * len(grids) + 0.4), 3.3),
                             squeeze=False, layout="constrained")
    for ax, (title, grid) in zip(axes.flat, grids.items()):
        grid = np.asarray(grid, dtype=float)      # NaN allowed: "not converged"
        if grid.shape != (step_means.size, fractions.size):
            raise ValueError(f"{title}: expected shape {(step_means.size, fractions.size)}, "
                             f"got {grid.shape}")
        cmap = plt.get_cmap("viridis").with_extremes(bad="0.85")
        image = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, origin="lower", aspect="auto")
        for i in range(step_means.size):
            for j in range(fractions.size):
                text = "n/c" if np.isnan(grid[i, j]) else f"{grid[i, j]:.0f}"
                ax.text(j, i, text, ha="center", va="center", color="white"
                        if not np.isnan(grid[i, j]) and grid[i, j] < np.nanmax(grid) / 2 else "black")
        # Slanted, so that labels such as 0.05, 0.15, 0.5 do not run into each other.
        ax.set_xticks(range(fractions.size), [f"{f:g}" for f in fractions], rotation=45,
                      ha="right", rotation_mode="anchor")
        ax.set_yticks(range(step_means.size), [f"{m:g}" for m in step_means])
        ax.set_xlabel(r"covariance step $\eta_\Sigma \hat s$")
        if ax is axes.flat[0]:  # the rows are the same in every panel
            ax.set_ylabel(r"mean step $\eta_\mu$")
        ax.grid(False)
        # An inset colour bar follows its panel when the phone drawing stacks the panels.
        fig.colorbar(image, cax=ax.inset_axes((1.04, 0.0, 0.06, 1.0)), label=labels.get(title, title))
    return fig
