"""Figures of the chapter beyond the sphere: 2-D densities over planar data.

Each function takes arrays (data and :class:`land.experiments.heldout.GridDensity`
results), draws one figure and returns it; none computes a fit.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

from land._validation import as_float_array
from land.plotting._layout import legend_above

__all__ = ["plot_density_panels", "plot_heldout_differences"]


def _planar(value, name: str) -> np.ndarray:
    array = as_float_array(value, name)
    if array.ndim != 2 or array.shape[1] != 2 or array.shape[0] == 0:
        raise ValueError(f"{name}: expected shape (n, 2) with n >= 1, got {array.shape}")
    return array


def plot_density_panels(train, test, grids: Sequence, labels: Sequence[str], *,
                        means: Sequence | None = None, n_levels: int = 12):
    """Side-by-side density contours over the same data, one panel per model.

    Parameters
    ----------
    train, test : array-like, shape=[n, 2]
        Training points (grey dots) and held-out points (black crosses).
    grids : sequence of GridDensity
        One per panel, all on the same grid.
    labels : sequence of str
        Panel labels (drawn in the corner, not as titles).
    means : sequence of array-like, shape=[2], optional
        A point to mark in each panel (e.g. the fitted mean).
    n_levels : int
        Contour levels of ``log10`` density, shared by all panels (evenly
        spaced over the three decades below the largest density, rounded up
        to a quarter), so equal colours mean equal densities.

    Returns
    -------
    matplotlib.figure.Figure
    """
    train, test = _planar(train, "train"), _planar(test, "test")
    if len(grids) != len(labels) or len(grids) == 0:
        raise ValueError("grids, labels: expected the same, non-zero number of each")
    densities = [np.where(np.isfinite(g.log_density), g.log_density, np.nan) / np.log(10.0)
                 for g in grids]
    top = np.ceil(4.0 * max(np.nanmax(d) for d in densities)) / 4.0
    levels = np.linspace(top - 3.0, top, n_levels + 1)
    # The full column: panels of 2.3 in showed at about 135 x 85 px on a laptop.
    fig, axes = plt.subplots(1, len(grids), figsize=(7.0, 3.0), sharex=True, sharey=True,
                             squeeze=False, layout="constrained")
    for k, (ax, grid, density, label) in enumerate(zip(axes[0], grids, densities, labels)):
        filled = ax.contourf(grid.x, grid.y, density, levels=levels, cmap="Blues", extend="min")
        failed = ~np.isfinite(grid.log_density)
        if failed.any():
            gx, gy = np.meshgrid(grid.x, grid.y)
            ax.scatter(gx[failed], gy[failed], marker="s", s=6, color="tab:red",
                       label="Log failed")
        ax.scatter(*train.T, s=4, color="0.35", label="train")
        ax.scatter(*test.T, s=12, marker="x", linewidths=0.8, color="black", label="held out")
        if means is not None:
            ax.scatter(*np.asarray(means[k], dtype=float), marker="*", s=120, color="tab:orange",
                       edgecolors="black", linewidths=0.5, zorder=5, label="mean")
        ax.set_title(label)
        ax.set_aspect("equal")
        ax.set_xlabel("$x_1$")
        ax.grid(False)
    axes[0, 0].set_ylabel("$x_2$")
    handles, names = axes[0, -1].get_legend_handles_labels()
    # Below the panels, so that it hides no data (inline figures are cropped to their content).
    fig.legend(handles, names, loc="upper center", bbox_to_anchor=(0.45, 0.0), ncol=len(names),
               markerscale=1.5)
    colourbar = fig.colorbar(filled, ax=axes[0].tolist(), shrink=0.6, aspect=20)
    colourbar.set_label(r"$\log_{10}$ density (Lebesgue)")
    return fig


def plot_heldout_differences(names: Sequence[str], differences: Sequence, *,
                             corrected: Sequence | None = None):
    """Held-out log-likelihood of the LAND minus the Gaussian's, one row of dots per setting.

    Parameters
    ----------
    names : sequence of str
        Label of each setting (e.g. data set and kernel width).
    differences : sequence of array-like
        Per-seed differences (nats per point) with the paper's constant.
    corrected : sequence of array-like, optional
        The same after renormalising the LAND to mass 1.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if len(names) != len(differences) or len(names) == 0:
        raise ValueError("names, differences: expected the same, non-zero number of each")
    fig, ax = plt.subplots(figsize=(7.0, 0.45 * len(names) + 1.2))
    rows = np.arange(len(names))[::-1]
    for row, diff in zip(rows, differences):
        diff = as_float_array(diff, "differences")
        ax.scatter(diff, np.full(diff.size, row + 0.12), color="tab:blue", s=18,
                   label="paper's constant" if row == rows[0] else None)
    if corrected is not None:
        for row, diff in zip(rows, corrected):
            diff = as_float_array(diff, "corrected")
            ax.scatter(diff, np.full(diff.size, row - 0.12), color="tab:orange", marker="D", s=14,
                       label="renormalised to mass 1" if row == rows[0] else None)
    ax.axvline(0.0, color="black", linewidth=0.8)
    # Linear near zero, logarithmic beyond 1 nat: one diverged fit must not flatten the rest.
    ax.set_xscale("symlog", linthresh=1.0, linscale=2.0)
    every = np.concatenate([as_float_array(d, "differences") for d in differences]
                           + ([as_float_array(d, "corrected") for d in corrected] if corrected is not None else []))
    low, high = min(-1.0, 1.5 * every.min()), max(1.0, 1.5 * every.max())
    ax.set_xlim(low, high)
    # Decades only: on the symlog axis -30 and -3 sat too close to -10 on a phone.
    ticks = [t for t in (-100, -10, -1, 0, 1, 10) if low <= t <= high]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.set_yticks(rows, names)
    ax.set_xlabel("held-out log-likelihood per point, LAND minus Gaussian (nats; symlog)")
    legend_above(ax)
    fig.tight_layout()
    return fig
