"""Figures on and around the unit sphere (data and manifold chapters).

Building blocks (:func:`draw_sphere`, :func:`scatter_on_sphere`,
:func:`draw_tangent_plane`, :func:`look_at`) work on a 3-D matplotlib axes;
the ``plot_*`` functions take data and return a finished
:class:`matplotlib.figure.Figure` (titles are left to the book's captions).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from land._validation import as_float_array, check_points
from land.plotting._layout import legend_above

__all__ = [
    "add_sphere_axes",
    "draw_sphere",
    "draw_tangent_plane",
    "look_at",
    "plot_deviation_by_length",
    "plot_deviation_study",
    "plot_exp_pairs",
    "plot_radius_histograms",
    "plot_tangent_and_sphere",
    "scatter_on_sphere",
]

_GREY = "0.55"


# ------------------------------------------------------------ building blocks
def add_sphere_axes(fig, *position):
    """A 3-D axes for sphere plots: equal aspect, no box, layering by call order.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    *position
        Subplot position, as for ``fig.add_subplot`` (e.g. ``1, 2, 2``).
    """
    ax = fig.add_subplot(*position, projection="3d", computed_zorder=False)
    ax.set_box_aspect((1.0, 1.0, 1.0), zoom=1.25)
    ax.set_axis_off()
    return ax


def draw_sphere(ax, *, radius: float = 1.0, alpha: float = 0.07, n_lines: int = 12,
                color=_GREY) -> None:
    """A translucent sphere with a light latitude/longitude wireframe.

    Parameters
    ----------
    ax : mpl_toolkits.mplot3d.axes3d.Axes3D
    radius : float
    alpha : float
        Opacity of the surface (the wireframe is a little darker).
    n_lines : int
        Number of meridians; half as many parallels.
    color : color
    """
    u = np.linspace(0.0, 2.0 * np.pi, 61)
    w = np.linspace(0.0, np.pi, 31)
    x = radius * np.outer(np.cos(u), np.sin(w))
    y = radius * np.outer(np.sin(u), np.sin(w))
    z = radius * np.outer(np.ones_like(u), np.cos(w))
    ax.plot_surface(x, y, z, color=color, alpha=alpha, linewidth=0, shade=False, zorder=0)
    ax.plot_wireframe(x, y, z, rstride=max(1, 60 // n_lines), cstride=max(1, 30 // (n_lines // 2)),
                      color=color, alpha=min(1.0, 3 * alpha), linewidth=0.4, zorder=1)
    lim = 0.9 * radius
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim), zlim=(-lim, lim))


def scatter_on_sphere(ax, points, **kwargs):
    """Scatter ``points`` (shape ``(n, 3)``) on a 3-D axes; kwargs go to ``ax.scatter``."""
    points = check_points(points, "points", 3, allow_single=False)
    kwargs.setdefault("s", 6)
    kwargs.setdefault("depthshade", False)
    kwargs.setdefault("zorder", 3)
    return ax.scatter(points[:, 0], points[:, 1], points[:, 2], **kwargs)


def draw_tangent_plane(ax, base_point, frame, *, half_width: float = 1.0, alpha: float = 0.15,
                       color="tab:orange") -> None:
    """The square ``base_point + a e1 + b e2``, ``|a|, |b| <= half_width``.

    Parameters
    ----------
    ax : mpl_toolkits.mplot3d.axes3d.Axes3D
    base_point : array-like, shape=[3]
    frame : array-like, shape=[3, 2]
        Orthonormal tangent frame (columns ``e1, e2``).
    """
    base_point = as_float_array(base_point, "base_point")
    frame = as_float_array(frame, "frame")
    grid = np.linspace(-half_width, half_width, 2)
    a, b = np.meshgrid(grid, grid)
    plane = base_point[:, None, None] + frame[:, 0, None, None] * a + frame[:, 1, None, None] * b
    ax.plot_surface(*plane, color=color, alpha=alpha, linewidth=0, shade=False, zorder=2)


def look_at(ax, point, *, elev_offset: float = 20.0) -> np.ndarray:
    """Turn the 3-D view so that ``point`` (on the sphere) faces the viewer, a little from above.

    Returns
    -------
    ndarray, shape=[3]
        Unit vector from the centre towards the viewer; points ``x`` with
        ``x @ direction < 0`` are on the hidden side of the sphere.
    """
    point = as_float_array(point, "point")
    azim = np.degrees(np.arctan2(point[1], point[0]))
    elev = np.degrees(np.arcsin(np.clip(point[2] / np.linalg.norm(point), -1.0, 1.0)))
    elev = float(np.clip(elev + elev_offset, -90, 90))
    ax.view_init(elev=elev, azim=float(azim))
    e, a = np.radians(elev), np.radians(azim)
    return np.array([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)])


# ------------------------------------------------------------------- figures
def plot_tangent_and_sphere(sample, *, circles=(np.sqrt(np.pi), np.pi), circle_labels=None,
                            cmap: str = "viridis"):
    """Report Figure 1: tangent coordinates (left) and their images under Exp (right).

    Parameters
    ----------
    sample : land.SphereSample
        Uses ``tangent_coords`` (n, 2), ``points`` (n, 3) and ``mean`` (3,).
    circles : sequence of float
        Radii drawn as dashed circles in the tangent plane.
    circle_labels : sequence of str, optional
        Legend labels of the circles (default ``"|v| = <radius>"``).
    cmap : str
        Both panels colour each point by ``|v|``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    coords = as_float_array(sample.tangent_coords, "sample.tangent_coords")
    radius = np.linalg.norm(coords, axis=1)
    labels = circle_labels or [f"$|v| = {c:.2f}$" for c in circles]
    # A grid (not hand-placed axes), so that on a phone the two panels stack.
    fig = plt.figure(figsize=(7.0, 3.9))
    grid = fig.add_gridspec(1, 2, width_ratios=(1.0, 1.15), left=0.1, right=0.9, bottom=0.3,
                            top=0.97, wspace=0.15)
    ax = fig.add_subplot(grid[0, 0])
    sc = ax.scatter(coords[:, 0], coords[:, 1], c=radius, s=6, cmap=cmap, vmin=0.0)
    angle = np.linspace(0.0, 2.0 * np.pi, 200)
    for r, label, style in zip(circles, labels, ["--", ":", "-."]):
        ax.plot(r * np.cos(angle), r * np.sin(angle), style, color="k", lw=1.0, label=label)
    ax.set(aspect="equal", xlabel="$e_1$ coordinate (rad)", ylabel="$e_2$ coordinate (rad)")
    lim = 1.05 * max(max(circles), radius.max())
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1)
    ax3 = fig.add_subplot(grid[0, 1], projection="3d", computed_zorder=False)
    ax3.set_box_aspect((1.0, 1.0, 1.0), zoom=1.25)
    ax3.set_axis_off()
    draw_sphere(ax3)
    mean = np.asarray(sample.mean, dtype=float)
    towards_viewer = look_at(ax3, mean)
    front = sample.points @ towards_viewer >= 0
    # No hidden-surface removal in mplot3d: fade the points on the far side instead.
    scatter_on_sphere(ax3, sample.points[~front], c=radius[~front], cmap=cmap, vmin=0.0,
                      vmax=radius.max(), alpha=0.2, zorder=2)
    scatter_on_sphere(ax3, sample.points[front], c=radius[front], cmap=cmap, vmin=0.0,
                      vmax=radius.max())
    ax3.scatter(*mean, color="red", s=60, marker="*", zorder=4)
    # An inset of the sphere's axes: the colour bar moves with them when the panels stack.
    fig.colorbar(sc, cax=ax3.inset_axes((1.02, 0.2, 0.035, 0.6)), label="$|v|$ (rad)")
    return fig


def plot_radius_histograms(sample_radii: dict, radius_grid, densities: dict, *, bins: int = 40):
    """Histograms of geodesic radii against their theoretical densities.

    Parameters
    ----------
    sample_radii : dict of str to ndarray, shape=[n]
        Radii ``d(mean, x)`` of each sample, keyed by legend label.
    radius_grid : array-like, shape=[m]
        Where the densities are evaluated.
    densities : dict of str to ndarray, shape=[m]
        Theoretical density of each sample, same keys as ``sample_radii``.
    bins : int

    Returns
    -------
    matplotlib.figure.Figure
    """
    grid = as_float_array(radius_grid, "radius_grid")
    if set(sample_radii) != set(densities):
        raise ValueError("densities: expected the same labels as sample_radii")
    fig, ax = plt.subplots(figsize=(7.0, 3.6), layout="constrained")
    edges = np.linspace(0.0, np.pi, bins + 1)
    for (label, radii), color in zip(sample_radii.items(), ["tab:blue", "tab:orange", "tab:green"]):
        ax.hist(radii, bins=edges, density=True, histtype="stepfilled", alpha=0.3, color=color,
                label=f"{label}: sample")
        ax.plot(grid, densities[label], color=color, lw=1.8, label=f"{label}: density")
    ax.set(xlabel="geodesic radius $r = d(\\mu, x)$ (rad)", ylabel="density", xlim=(0.0, np.pi))
    legend_above(ax)
    return fig


def plot_exp_pairs(base_point, sphere_points, learned_points, *, data_points=None):
    """Report Figure 2: pairs of Exp end points on the sphere and on the learned manifold.

    Parameters
    ----------
    base_point : array-like, shape=[3]
        ``mu``, where every geodesic starts.
    sphere_points : array-like, shape=[n, 3]
        ``Exp_sphere(mu, v_i)``.
    learned_points : array-like, shape=[n, 3]
        ``Exp_learned(mu, u_i)`` for the same tangent vectors.
    data_points : array-like, shape=[N, 3], optional
        The data behind the learned metric, drawn faintly.

    Returns
    -------
    matplotlib.figure.Figure
    """
    sphere_points = check_points(sphere_points, "sphere_points", 3, allow_single=False)
    learned_points = check_points(learned_points, "learned_points", 3, allow_single=False)
    if sphere_points.shape != learned_points.shape:
        raise ValueError("learned_points: expected the same shape as sphere_points")
    fig = plt.figure(figsize=(6.0, 5.4))
    ax = fig.add_axes((0.0, 0.08, 1.0, 0.92), projection="3d", computed_zorder=False)
    ax.set_box_aspect((1.0, 1.0, 1.0), zoom=1.25)
    ax.set_axis_off()
    draw_sphere(ax)
    towards_viewer = look_at(ax, base_point)
    if data_points is not None:
        data_points = check_points(data_points, "data_points", 3, allow_single=False)
        front = data_points @ towards_viewer >= 0
        # No hidden-surface removal in mplot3d: data on the far side are drawn fainter.
        scatter_on_sphere(ax, data_points[front], s=2, color=_GREY, alpha=0.5, zorder=2)
        scatter_on_sphere(ax, data_points[~front], s=2, color=_GREY, alpha=0.12, zorder=2)
    for start, end in zip(sphere_points, learned_points):
        ax.plot(*np.column_stack([start, end]), color="k", lw=0.8, zorder=3)
    scatter_on_sphere(ax, sphere_points, s=18, color="tab:blue", label="sphere Exp", zorder=4)
    scatter_on_sphere(ax, learned_points, s=18, color="tab:orange", marker="^",
                      label="learned-manifold Exp", zorder=4)
    ax.scatter(*np.asarray(base_point, dtype=float), color="red", s=60, marker="*", zorder=5,
               label="mean $\\mu$")
    # Learned end points may lie well off the sphere: widen the box so that none is cut off.
    lim = 0.9 * max(1.0, float(np.max(np.abs(learned_points))))
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim), zlim=(-lim, lim))
    fig.legend(loc="lower center", ncol=3)
    return fig


_MEASURE_LABELS = {
    "max_radial": "max $||x(t)|-1|$",
    # Two lines: on one, these labels are taller than their panels and run into each other.
    "max_plane_angle": "max angle to\ngreat-circle plane (rad)",
    "endpoint_distance": "$|x(1) - \\mathrm{Exp}_\\mu(v)|$",
    "arc_progress": "arc progress\n(1 = great circle)",
}


def plot_deviation_study(study, *, measures=("max_radial", "max_plane_angle", "endpoint_distance",
                                             "arc_progress"), ncols: int = 2):
    """Median (markers) and quartiles (bars) of geodesic deviations against kernel width.

    Parameters
    ----------
    study : land.experiments.compare.DeviationStudy
        One line per data size ``N``.
    measures : sequence of str
        Measures of :meth:`~land.experiments.compare.DeviationStudy.values`, one panel each.
    ncols : int
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure
    """
    nrows = int(np.ceil(len(measures) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 2.7 * nrows),
                             layout="constrained", squeeze=False)
    widths = np.asarray(study.kernel_widths)
    for ax, measure in zip(axes.flat, measures):
        median, low, high = study.summary(measure)
        for i, n in enumerate(study.n_points):
            shift = widths * 1.05 ** (i - (len(study.n_points) - 1) / 2)  # keep bars apart
            ax.errorbar(shift, median[i], yerr=[median[i] - low[i], high[i] - median[i]],
                        marker="o", ms=4, capsize=2, lw=1.2, label=f"N = {n}")
        ax.set(xscale="log", xlabel="kernel width $\\sigma$", ylabel=_MEASURE_LABELS[measure])
        ax.set_xticks(widths, [f"{w:g}" for w in widths])
        ax.minorticks_off()
        if measure == "arc_progress":
            ax.axhline(1.0, color="k", lw=0.8, ls="--")
            ax.set_ylim(0.0, 1.1)
        else:
            ax.set_ylim(bottom=0.0)
    for ax in list(axes.flat)[len(measures):]:
        ax.set_visible(False)
    legend_above(axes[0, 0])
    return fig


def plot_deviation_by_length(deviations, *, labels=None):
    """End-point distance against geodesic length, one series per deviation result.

    Parameters
    ----------
    deviations : sequence of land.experiments.compare.GeodesicDeviation
    labels : sequence of str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    labels = labels or [f"series {i}" for i in range(len(deviations))]
    fig, ax = plt.subplots(figsize=(5.5, 3.6), layout="constrained")
    top = 0.0
    for dev, label in zip(deviations, labels):
        lengths = dev.lengths
        ax.scatter(lengths, dev.endpoint_distance, s=12, alpha=0.7, label=label)
        top = max(top, float(np.nanmax(lengths)))
    grid = np.linspace(0.0, top, 100)
    ax.plot(grid, 2.0 * np.sin(grid / 2.0), "k--", lw=1.0,
            label="chord $|\\mathrm{Exp}_\\mu(v) - \\mu|$ (scale)")
    ax.set(xlabel="great-circle length $|v|$ (rad)", ylabel="end-point distance")
    legend_above(ax)
    return fig
