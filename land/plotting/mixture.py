"""Figures of the chapter on mixtures of LANDs.

Every function takes plain arrays (data, labels, a fit's history), draws one
figure and returns it; none of them fits anything. No titles: captions
belong to the book.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from land._validation import as_float_array
from land.plotting._layout import legend_above, figure_legend_above

__all__ = ["plot_cluster_labels", "plot_loglik_history"]

_COLOURS = np.array(["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple"])


def _labels(value, name, n):
    labels = np.asarray(value)
    if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"{name}: expected integer labels of shape ({n},), got {labels.shape}")
    if labels.min() < 0 or labels.max() >= _COLOURS.size:
        raise ValueError(f"{name}: labels must lie in 0..{_COLOURS.size - 1}")
    return labels


def _matched(labels, truth):
    """Relabel a two-cluster labelling to agree with ``truth`` as much as possible."""
    if labels.max() == 1 and np.mean(labels == truth) < 0.5:
        return 1 - labels
    return labels


def plot_cluster_labels(points, panels, truth=None, *, means=None):
    """Scatter 2-D points once per labelling, side by side.

    Parameters
    ----------
    points : array-like, shape=[n, 2]
    panels : dict of str to array of int, shape=[n]
        Panel label (shown in the corner) to cluster labels.
    truth : array of int, shape=[n], optional
        True labels: two-cluster labellings are swapped to match them, and
        points whose label disagrees are ringed in black.
    means : dict of str to array, shape=[K, 2], optional
        Component means to mark (a cross) in the panel of the same name.

    Returns
    -------
    matplotlib.figure.Figure
    """
    points = as_float_array(points, "points")
    if points.ndim != 2 or points.shape[1] != 2 or points.shape[0] == 0:
        raise ValueError(f"points: expected shape (n, 2), got {points.shape}")
    if not isinstance(panels, dict) or not panels:
        raise TypeError("panels: expected a non-empty dict of name -> labels")
    n = points.shape[0]
    truth = None if truth is None else _labels(truth, "truth", n)
    means = {} if means is None else means
    # The full column: panels of 2.3 in showed at about 135 x 85 px on a laptop.
    fig, axes = plt.subplots(1, len(panels), figsize=(min(7.0, 3.4 * len(panels) + 0.4), 3.2),
                             sharex=True, sharey=True, squeeze=False)
    for ax, (name, labels) in zip(axes[0], panels.items()):
        labels = _labels(labels, f"panels[{name!r}]", n)
        if truth is not None:
            flipped = _matched(labels, truth)
            wrong = flipped != truth
            if name in means and flipped is not labels:
                means = {**means, name: np.asarray(means[name])[::-1]}
            labels = flipped
            ax.scatter(points[wrong, 0], points[wrong, 1], s=60, facecolors="none",
                       edgecolors="black", linewidths=0.8, label="disagrees with truth")
        ax.scatter(points[:, 0], points[:, 1], c=_COLOURS[labels], s=12)
        if name in means:
            centre = as_float_array(means[name], f"means[{name!r}]")
            ax.scatter(centre[:, 0], centre[:, 1], marker="X", s=120, c=_COLOURS[:len(centre)],
                       edgecolors="black", linewidths=1.0, label="component means")
        ax.set_title(name, fontweight="bold")
        ax.set_xlabel("$x_1$")
        ax.set_aspect("equal")
    axes[0, 0].set_ylabel("$x_2$")
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.tight_layout()
    if handles:
        figure_legend_above(fig, handles, names)
    return fig


def plot_loglik_history(loglik, mc_noise):
    """Training log-likelihood per EM iteration with a band of +- the Monte Carlo noise.

    Parameters
    ----------
    loglik, mc_noise : array-like, shape=[T]
        ``history.loglik`` and ``history.mc_noise`` of a :class:`~land.LandMixtureFit`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    loglik = as_float_array(loglik, "loglik")
    mc_noise = as_float_array(mc_noise, "mc_noise")
    if loglik.ndim != 1 or loglik.shape != mc_noise.shape:
        raise ValueError(f"loglik, mc_noise: expected equal 1-D shapes, got {loglik.shape} "
                         f"and {mc_noise.shape}")
    steps = np.arange(loglik.size)
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    ax.fill_between(steps, loglik - mc_noise, loglik + mc_noise, color="tab:blue", alpha=0.2,
                    label="± Monte Carlo noise")
    ax.plot(steps, loglik, "o-", color="tab:blue", ms=4, label="training log-likelihood")
    ax.set_xlabel("EM iteration")
    ax.set_ylabel(r"$\sum_n \log p(x_n)$")
    legend_above(ax)
    fig.tight_layout()
    return fig
