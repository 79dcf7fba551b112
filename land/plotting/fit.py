"""Figures of the chapter on inferring parameters (report Figures 3-5 and extras).

Every function takes plain arrays (from :mod:`land.experiments.diagnostics` and a fit's
history), draws one figure and returns it; none of them computes a fit.
Captions belong to the book, so the axes carry no titles.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from land._validation import as_float_array
from land.plotting._layout import legend_above, figure_legend_above
from land.plotting._responsive import plain_log_labels

__all__ = [
    "plot_sphere_fit",
    "plot_convergence_comparison",
    "plot_mismatch",
    "plot_learned_fit",
]

_COORD_COLOURS = ("tab:blue", "tab:orange", "tab:green")
_COORD_NAMES = ("x", "y", "z")


def _points(value, name: str, dim: int = 3) -> np.ndarray:
    array = as_float_array(value, name)
    if array.ndim != 2 or array.shape[1] != dim or array.shape[0] == 0:
        raise ValueError(f"{name}: expected shape (n, {dim}) with n >= 1, got {array.shape}")
    return array


def _point(value, name: str, dim: int = 3) -> np.ndarray:
    array = as_float_array(value, name)
    if array.shape != (dim,):
        raise ValueError(f"{name}: expected shape ({dim},), got {array.shape}")
    return array


def _curve(value, name: str, length: int | None = None) -> np.ndarray:
    array = as_float_array(value, name)
    if array.ndim != 1 or (length is not None and array.size != length):
        expected = f"({length},)" if length is not None else "(n,)"
        raise ValueError(f"{name}: expected shape {expected}, got {array.shape}")
    return array


def _view_direction(target_mean, tilt: float) -> np.ndarray:
    """A unit vector ``tilt`` radians from ``target_mean``, towards the north pole where possible."""
    up = np.array([0.0, 0.0, 1.0])
    if abs(target_mean @ up) > 0.99:
        up = np.array([1.0, 0.0, 0.0])
    towards = up - (up @ target_mean) * target_mean
    towards /= np.linalg.norm(towards)
    return np.cos(tilt) * target_mean + np.sin(tilt) * towards


def _draw_sphere_data(ax, points, target_mean, means, *, tilt: float = 0.6) -> None:
    """Data, a unit-sphere wireframe, the target mean and a mean trajectory on a 3-D axis.

    The view looks at the sphere from ``tilt`` radians off the target mean so
    that the curvature shows; only the hemisphere facing the viewer is drawn,
    and the axes are zoomed to the data when they cover a small cap.
    """
    view = _view_direction(target_mean, tilt)
    polar, azimuth = np.meshgrid(np.linspace(0, np.pi, 25), np.linspace(0, 2 * np.pi, 49))
    grid = np.stack([np.sin(polar) * np.cos(azimuth), np.sin(polar) * np.sin(azimuth), np.cos(polar)])
    hidden = np.einsum("kij,k->ij", grid, view) < 0
    grid[:, hidden] = np.nan
    # Clipped to the axes' box: a zoomed cap would otherwise show the rest of the wireframe
    # cut off by the panel's edge.
    ax.plot_wireframe(*grid, color="0.8", linewidth=0.4, axlim_clip=True)
    visible = points[points @ view > 0]
    ax.scatter(*visible.T, s=1.5, color="0.55", alpha=0.4, depthshade=False, label="data", zorder=1)
    ax.plot(*means.T, color="tab:red", linewidth=1.8, label="fitted mean", zorder=3)
    ax.scatter(*means[0], color="tab:red", marker="o", s=20, depthshade=False, zorder=3)
    ax.scatter(*target_mean, color="black", marker="*", s=90, depthshade=False, label="target mean",
               zorder=4)
    elevation = np.degrees(np.arcsin(np.clip(view[2], -1.0, 1.0)))
    ax.view_init(elev=elevation, azim=np.degrees(np.arctan2(view[1], view[0])))
    # Zoom on the data: half-width the 98th percentile of the chord to the target, with margin.
    chords = np.linalg.norm(np.vstack([points, means]) - target_mean, axis=1)
    half_width = min(1.05, 1.3 * np.quantile(chords, 0.98) + 0.05)
    centre = target_mean if half_width < 1.0 else np.zeros(3)
    for set_limits, c in zip((ax.set_xlim, ax.set_ylim, ax.set_zlim), centre):
        set_limits(c - half_width, c + half_width)
    # The whole sphere leaves a wide margin inside a 3-D axis; enlarge it to fill the panel.
    # A cap, clipped to the axes' box, leaves the same margin: zoom it in as well.
    ax.set_box_aspect((1, 1, 1), zoom=1.35 if half_width >= 1.0 else 1.6)
    ax.set_axis_off()


def plot_sphere_fit(points, target_mean, means, mean_error, cov_error, *,
                    floor_mean_error: float | None = None,
                    floor_cov_error: float | None = None) -> plt.Figure:
    """Report Figures 3 and 4: data, target against achieved mean, and errors per iteration.

    Parameters
    ----------
    points : array-like, shape=[N, 3]
        The data on the unit sphere.
    target_mean : array-like, shape=[3]
        The mean the data were generated with.
    means : array-like, shape=[K, 3]
        ``fit.history.mean`` (index 0 is the start).
    mean_error : array-like, shape=[K]
        Geodesic distance of each iterate's mean to ``target_mean`` (radians).
    cov_error : array-like, shape=[K]
        Relative Frobenius error of each iterate's covariance.
    floor_mean_error, floor_cov_error : float, optional
        The converged MLE's errors against the target, drawn as dotted
        lines: an iterate cannot be expected to do better.

    Returns
    -------
    matplotlib.figure.Figure
        Three panels: the data on the sphere seen from above the target mean,
        with the path of the fitted mean; the mean's coordinates against
        iteration with the target's as dashed lines; both errors against
        iteration on a log scale.
    """
    points = _points(points, "points")
    target_mean = _point(target_mean, "target_mean")
    means = _points(means, "means")
    mean_error = _curve(mean_error, "mean_error", means.shape[0])
    cov_error = _curve(cov_error, "cov_error", means.shape[0])
    iterations = np.arange(means.shape[0])

    # Two rows (the sphere and the coordinates above, the errors across below) keep
    # every label at its own size in a 7 in column; phones get the three stacked.
    fig = plt.figure(figsize=(7.0, 6.4))
    grid = fig.add_gridspec(2, 2)
    ax_sphere = fig.add_subplot(grid[0, 0], projection="3d", proj_type="ortho",
                                computed_zorder=False)
    _draw_sphere_data(ax_sphere, points, target_mean, means)
    legend_above(ax_sphere)

    ax_mean = fig.add_subplot(grid[0, 1])
    for k in range(3):
        ax_mean.plot(iterations, means[:, k], color=_COORD_COLOURS[k], label=_COORD_NAMES[k])
        ax_mean.axhline(target_mean[k], color=_COORD_COLOURS[k], linestyle="--", linewidth=1)
    ax_mean.set_xlabel("iteration")
    ax_mean.set_ylabel("mean coordinate (dashed: target)")
    legend_above(ax_mean)

    ax_error = fig.add_subplot(grid[1, :])
    ax_error.semilogy(iterations, mean_error, color="tab:red", label="mean: geodesic error (rad)")
    ax_error.semilogy(iterations, cov_error, color="tab:purple",
                      label=r"$\Sigma$: relative Frobenius error")
    plain_log_labels(ax_error)
    if floor_mean_error is not None:
        ax_error.axhline(floor_mean_error, color="tab:red", linestyle=":", linewidth=1)
    if floor_cov_error is not None:
        ax_error.axhline(floor_cov_error, color="tab:purple", linestyle=":", linewidth=1)
    # An error of exactly 0 (a start at the target) would stretch the log axis to 1e-16.
    shown = [value for value in (*mean_error, *cov_error[1:], floor_mean_error, floor_cov_error)
             if value is not None and value > 1e-8]
    ax_error.set_ylim(bottom=0.5 * min(shown + [1e-2]))
    ax_error.set_xlabel("iteration")
    ax_error.set_ylabel("error against the target")
    legend_above(ax_error)
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.08, top=0.93, wspace=0.35, hspace=0.45)
    return fig


def plot_convergence_comparison(mean_curves: Mapping, cov_curves: Mapping, *,
                                tolerance: float | None = None,
                                styles: Mapping | None = None,
                                mean_label: str = "mean error",
                                cov_label: str = "covariance error") -> plt.Figure:
    """Errors of several fits against iteration, side by side for the mean and the covariance.

    Parameters
    ----------
    mean_curves, cov_curves : mapping of str to array-like, shape=[K_label]
        One curve per fit, under the same labels in both mappings.
    tolerance : float, optional
        Drawn as a grey horizontal line on both panels.
    styles : mapping of str to dict, optional
        Line keyword arguments per label (colour, linestyle, ...).
    mean_label, cov_label : str
        The y-axis labels.

    Returns
    -------
    matplotlib.figure.Figure
        Two log-scale panels, errors against iteration (log scale on x too,
        so that runs of 40 and 300 iterations can share an axis).
    """
    if set(mean_curves) != set(cov_curves):
        raise ValueError("mean_curves, cov_curves: expected the same labels in both")
    styles = {} if styles is None else styles
    fig, axes = plt.subplots(1, 2, figsize=(7.0, 3.4))
    for ax, curves, ylabel in ((axes[0], mean_curves, mean_label), (axes[1], cov_curves, cov_label)):
        for label, values in curves.items():
            values = _curve(values, f"curves[{label!r}]")
            # Iteration k is plotted at k + 1 so that the start fits on the log axis.
            ax.loglog(np.arange(1, values.size + 1), values, label=label, **styles.get(label, {}))
        if tolerance is not None:
            ax.axhline(tolerance, color="0.4", linestyle=":", linewidth=1)
        plain_log_labels(ax)
        ax.set_xlabel("iteration + 1")
        ax.set_ylabel(ylabel)
    handles, names = axes[0].get_legend_handles_labels()
    fig.tight_layout()
    figure_legend_above(fig, handles, names)
    return fig


def plot_mismatch(radii, grid, densities: Mapping, variance_traces: Mapping,
                  reference_variances: Mapping, *, styles: Mapping | None = None) -> plt.Figure:
    """Why the LAND MLE inflates the report's covariance.

    Parameters
    ----------
    radii : array-like, shape=[N]
        Distances of the data to the target mean (radians).
    grid : array-like, shape=[G]
        Radii at which the densities are given.
    densities : mapping of str to array-like, shape=[G]
        Model densities of the radius, drawn over the data's histogram.
    variance_traces : mapping of str to array-like, shape=[K]
        The fitted variance per axis against iteration, one curve per data set.
    reference_variances : mapping of str to float
        Horizontal lines on the right panel (e.g. the generator's variance and
        the predicted large-sample limit).
    styles : mapping of str to dict, optional
        Line keyword arguments per label, for either panel.

    Returns
    -------
    matplotlib.figure.Figure
        Left: histogram of the radii with the densities; right: the
        variance traces with the reference lines.
    """
    radii = _curve(radii, "radii")
    grid = _curve(grid, "grid")
    styles = {} if styles is None else styles
    fig, (ax_radius, ax_var) = plt.subplots(1, 2, figsize=(7.0, 3.3))
    ax_radius.hist(radii, bins=40, range=(0.0, min(np.pi, 1.05 * radii.max())), density=True,
                   color="0.8", label="data")
    for label, density in densities.items():
        ax_radius.plot(grid, _curve(density, f"densities[{label!r}]", grid.size), label=label,
                       **styles.get(label, {}))
    ax_radius.set_xlabel("distance to the target mean $r$ (rad)")
    ax_radius.set_ylabel("density of $r$")
    legend_above(ax_radius)

    for label, trace in variance_traces.items():
        trace = _curve(trace, f"variance_traces[{label!r}]")
        ax_var.plot(np.arange(trace.size), trace, label=label, **styles.get(label, {}))
    for label, value in reference_variances.items():
        ax_var.axhline(value, linestyle=":", linewidth=1, label=label,
                       **{"color": "0.3", **styles.get(label, {})})
    ax_var.set_xlabel("iteration")
    ax_var.set_ylabel(r"fitted variance per axis (rad$^2$)")
    legend_above(ax_var)
    fig.tight_layout()
    return fig


def plot_learned_fit(target_mean, means: Mapping, mean_errors: Mapping, *,
                     styles: Mapping | None = None) -> plt.Figure:
    """Report Figure 5: target against achieved mean for fits on different manifolds.

    Parameters
    ----------
    target_mean : array-like, shape=[3]
    means : mapping of str to array-like, shape=[K, 3]
        ``fit.history.mean`` of each fit (e.g. learned manifold, sphere).
    mean_errors : mapping of str to array-like, shape=[K]
        Distance of each iterate's mean to the target, same labels.
    styles : mapping of str to dict, optional
        Line keyword arguments per label (``linestyle`` and ``marker`` are
        used on the left panel, everything on the right one).

    Returns
    -------
    matplotlib.figure.Figure
        Left: the mean's coordinates against iteration, one line style per
        fit and one colour per coordinate, the target's as dotted lines;
        right: the mean error against iteration.
    """
    target_mean = _point(target_mean, "target_mean")
    if set(means) != set(mean_errors):
        raise ValueError("means, mean_errors: expected the same labels in both")
    styles = {} if styles is None else styles
    fig, (ax_mean, ax_error) = plt.subplots(1, 2, figsize=(7.0, 3.6))
    handles = []
    for k in range(3):
        ax_mean.axhline(target_mean[k], color=_COORD_COLOURS[k], linestyle=":", linewidth=1)
        handles.append(Line2D([], [], color=_COORD_COLOURS[k], label=_COORD_NAMES[k]))
    for label, history in means.items():
        history = _points(history, f"means[{label!r}]")
        shape = {key: value for key, value in styles.get(label, {}).items()
                 if key in ("linestyle", "marker")}
        for k in range(3):
            ax_mean.plot(np.arange(history.shape[0]), history[:, k], color=_COORD_COLOURS[k], **shape)
        handles.append(Line2D([], [], color="0.3", label=label, **shape))
        errors = _curve(mean_errors[label], f"mean_errors[{label!r}]", history.shape[0])
        ax_error.plot(np.arange(errors.size), errors, label=label, **styles.get(label, {}))
    for ax in (ax_mean, ax_error):
        ax.set_xlabel("iteration")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_mean.set_ylabel("mean coordinate (dotted: target)")
    ax_error.set_ylabel(r"$|\mu_k - \mu_{\mathrm{target}}|$")
    ax_error.set_ylim(bottom=0.0)
    legend_above(ax_error)
    # Coordinates in the first row, fits in the second: one row of six would be wider
    # than the figure, and a shrunken figure has illegible text.
    n_cols = 3 if len(handles) > 4 else len(handles)
    fig.legend(handles=handles, loc="lower center", ncol=n_cols, handlelength=3.0)
    n_rows = -(-len(handles) // n_cols)
    fig.tight_layout(rect=(0.0, 0.02 + 0.07 * n_rows, 1.0, 1.0))
    return fig
