"""Figures for the theory chapters: learned metrics on the sphere, Monte Carlo and gradients.

Every ``plot_*`` function takes data already computed by the chapter and
returns a new :class:`matplotlib.figure.Figure`; none of them computes model
quantities itself, so what a figure shows is what the chapter asserts.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import Normalize
from matplotlib.patches import Ellipse

from land._validation import as_float_array, check_points, check_positive_int
from land.plotting._layout import legend_above
from land.plotting._responsive import plain_log_labels

__all__ = [
    "lat_lon_grid",
    "log10_volume_element",
    "to_lat_lon",
    "plot_volume_element_map",
    "plot_kernel_width_maps",
    "plot_learned_geodesics",
    "plot_monte_carlo_convergence",
    "plot_descent_directions",
]


# ------------------------------------------------------------------ helpers
def lat_lon_grid(n_lat: int, n_lon: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cell centres of a regular latitude/longitude grid on the unit sphere.

    Parameters
    ----------
    n_lat, n_lon : int
        Number of cells in latitude (-90..90 degrees) and longitude
        (-180..180 degrees).

    Returns
    -------
    lat : ndarray, shape=[n_lat]
        Latitudes of the cell centres, degrees.
    lon : ndarray, shape=[n_lon]
        Longitudes of the cell centres, degrees.
    points : ndarray, shape=[n_lat, n_lon, 3]
        The corresponding unit vectors.
    """
    n_lat = check_positive_int(n_lat, "n_lat")
    n_lon = check_positive_int(n_lon, "n_lon")
    lat = -90.0 + 180.0 * (np.arange(n_lat) + 0.5) / n_lat
    lon = -180.0 + 360.0 * (np.arange(n_lon) + 0.5) / n_lon
    phi, lam = np.meshgrid(np.radians(lat), np.radians(lon), indexing="ij")
    points = np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], axis=-1)
    return lat, lon, points


def log10_volume_element(metric, points) -> np.ndarray:
    """``log10 sqrt(det M(x))`` of a diagonal metric at a grid of points.

    Parameters
    ----------
    metric : LocalDiagonalMetric or GlobalDiagonalMetric
    points : array-like, shape=[..., D]

    Returns
    -------
    ndarray, shape=[...]
    """
    points = as_float_array(points, "points")
    diagonal = metric.metric_diagonal(points.reshape(-1, points.shape[-1]))
    return 0.5 * np.log10(diagonal).sum(axis=-1).reshape(points.shape[:-1])


def to_lat_lon(points) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude (degrees) of points in R^3 (their direction is used).

    Parameters
    ----------
    points : array-like, shape=[3] or [n, 3]

    Returns
    -------
    lat, lon : ndarray, shape=[] or [n]
    """
    points = check_points(points, "points", 3)
    radius = np.linalg.norm(points, axis=-1)
    lat = np.degrees(np.arcsin(np.clip(points[..., 2] / radius, -1.0, 1.0)))
    lon = np.degrees(np.arctan2(points[..., 1], points[..., 0]))
    return lat, lon


def _map_axes(ax):
    ax.set_xlim(-180, 180)
    ax.set_ylim(-90, 90)
    ax.set_xticks(np.arange(-180, 181, 90))
    ax.set_yticks(np.arange(-90, 91, 45))
    ax.set_xlabel("longitude (degrees)")
    ax.set_aspect("equal")
    ax.grid(False)


def _check_grid(lat, lon, values, name="values"):
    lat = as_float_array(lat, "lat")
    lon = as_float_array(lon, "lon")
    values = as_float_array(values, name)
    if values.shape != (lat.size, lon.size):
        raise ValueError(f"{name}: expected shape ({lat.size}, {lon.size}), got {values.shape}")
    return lat, lon, values


# --------------------------------------------------------------- chapter 2
def plot_volume_element_map(lat, lon, log_volume, data, *, mean=None, upper_bound=None,
                            label=r"$\log_{10}\sqrt{\det \mathbf{M}(\mathbf{x})}$"):
    """Map of a (log) volume element over the sphere with the data on top.

    Parameters
    ----------
    lat : array-like, shape=[n_lat]
        Degrees.
    lon : array-like, shape=[n_lon]
        Degrees.
    log_volume : array-like, shape=[n_lat, n_lon]
        The quantity to colour, e.g. ``log10 sqrt(det M(x))``.
    data : array-like, shape=[N, 3]
        Points drawn as dots.
    mean : array-like, shape=[3], optional
        A point to mark with a cross.
    upper_bound : float, optional
        If given, the top of the colour scale (e.g. ``log10 rho^{-3/2}``).
    label : str, optional
        Colour bar label.

    Returns
    -------
    matplotlib.figure.Figure
    """
    lat, lon, log_volume = _check_grid(lat, lon, log_volume, "log_volume")
    data_lat, data_lon = to_lat_lon(data)
    fig, ax = plt.subplots(figsize=(7.0, 3.3), constrained_layout=True)
    # Rasterised inside the SVG: a vector mesh of this size weighs megabytes and shows seams.
    mesh = ax.pcolormesh(lon, lat, log_volume, shading="nearest", cmap="viridis", rasterized=True,
                         vmax=upper_bound)
    ax.scatter(data_lon, data_lat, s=1.5, c="white", alpha=0.6, linewidths=0)
    if mean is not None:
        mean_lat, mean_lon = to_lat_lon(mean)
        ax.plot(mean_lon, mean_lat, "r+", ms=10, mew=1.8)
    _map_axes(ax)
    ax.set_ylabel("latitude (degrees)")
    fig.colorbar(mesh, ax=ax, label=label, shrink=0.9)
    return fig


def plot_kernel_width_maps(lat, lon, log_volumes: dict, data):
    """One volume-element map per kernel width, on a shared colour scale.

    Parameters
    ----------
    lat : array-like, shape=[n_lat]
    lon : array-like, shape=[n_lon]
    log_volumes : dict
        ``{kernel_width: array of shape [n_lat, n_lon]}``, e.g. the log10 of
        the volume element relative to its value at the mean.
    data : array-like, shape=[N, 3]

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not log_volumes:
        raise ValueError("log_volumes: expected at least one kernel width")
    grids = {width: _check_grid(lat, lon, values, "log_volumes")[2]
             for width, values in log_volumes.items()}
    lat, lon = np.asarray(lat, float), np.asarray(lon, float)
    low = min(values.min() for values in grids.values())
    high = max(values.max() for values in grids.values())
    norm = Normalize(vmin=low, vmax=high)
    data_lat, data_lon = to_lat_lon(data)
    # One map per row: a latitude-longitude map is twice as wide as high, so rows keep
    # each one as large as the column allows, on a laptop and on a phone.
    fig, axes = plt.subplots(len(grids), 1, figsize=(6.4, 2.0 * len(grids) + 0.5), squeeze=False,
                             sharex=True, layout="constrained")
    for ax, (width, values) in zip(axes[:, 0], grids.items()):
        mesh = ax.pcolormesh(lon, lat, values, shading="nearest", cmap="viridis", norm=norm,
                             rasterized=True)
        ax.scatter(data_lon, data_lat, s=0.8, c="white", alpha=0.4, linewidths=0)
        _map_axes(ax)
        ax.set_xticks([-180, -90, 0, 90, 180])
        ax.set_title(rf"$\sigma = {width:g}$", loc="left")
        ax.set_ylabel("latitude (deg)")
        if ax is not axes[-1, 0]:
            ax.set_xlabel("")
    fig.colorbar(mesh, ax=axes[:, 0].tolist(), shrink=0.9,
                 label=r"$\log_{10}\sqrt{\det\mathbf{M}(\mathbf{x}) / \det\mathbf{M}(\boldsymbol{\mu})}$")
    return fig


def plot_learned_geodesics(log_coords, radius, arc, times):
    """Learned-metric geodesics from the mean compared with great circles.

    Parameters
    ----------
    log_coords : array-like, shape=[k, T, 2]
        For each of ``k`` geodesics sampled at ``T`` times, the sphere's
        ``Log_mu`` (frame coordinates) of the radial projection of the path
        onto the sphere. A great circle from ``mu`` is a straight ray here.
    radius : array-like, shape=[k, T]
        Euclidean norm of the path points (1 on the sphere).
    arc : array-like, shape=[k, T]
        Great-circle distance from the mean of the projected path points.
    times : array-like, shape=[T]
        Curve parameter ``t`` in ``[0, 1]`` (unused in the drawing; checks
        the shapes).

    Returns
    -------
    matplotlib.figure.Figure
    """
    log_coords = as_float_array(log_coords, "log_coords")
    radius = as_float_array(radius, "radius")
    arc = as_float_array(arc, "arc")
    times = as_float_array(times, "times")
    if log_coords.ndim != 3 or log_coords.shape[2] != 2 or log_coords.shape[1] != times.size:
        raise ValueError(f"log_coords: expected shape (k, {times.size}, 2), got {log_coords.shape}")
    if radius.shape != log_coords.shape[:2] or arc.shape != log_coords.shape[:2]:
        raise ValueError("radius, arc: expected shape (k, T) matching log_coords")
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.0, 3.4), constrained_layout=True)
    colours = [f"C{k % 10}" for k in range(log_coords.shape[0])]
    reach = 1.15 * np.abs(log_coords).max()
    for path, rad, dist, colour in zip(log_coords, radius, arc, colours):
        end = path[-1] / max(np.linalg.norm(path[-1]), 1e-12)
        left.plot([0, reach * end[0]], [0, reach * end[1]], color="0.75", lw=0.8, zorder=1)
        left.plot(path[:, 0], path[:, 1], color=colour, lw=1.6, zorder=2)
        right.plot(dist, rad - 1.0, color=colour, lw=1.4)
    left.plot(0, 0, "k+", ms=8)
    left.set_aspect("equal")
    left.set_xlabel(r"$\mathrm{Log}_{\boldsymbol{\mu}}$ coordinate 1 (rad)")
    left.set_ylabel(r"$\mathrm{Log}_{\boldsymbol{\mu}}$ coordinate 2 (rad)")
    theta = np.linspace(0.0, arc.max(), 100)
    right.plot(theta, 1.0 / np.cos(theta) - 1.0, "k--", lw=1.0, label="straight tangent line")
    right.axhline(0.0, color="0.5", lw=0.8)
    right.set_xlabel("great-circle distance from the mean (rad)")
    right.set_ylabel(r"$\|\mathbf{x}\| - 1$")
    legend_above(right)
    return fig


# --------------------------------------------------------------- chapter 3
def plot_monte_carlo_convergence(sizes, values, std_errors, exact, *, flat_value=None):
    """Monte Carlo estimates of ``C`` against the number of draws, with a +-2 SE band.

    Parameters
    ----------
    sizes : array-like, shape=[k]
        Numbers of draws ``S``.
    values, std_errors : array-like, shape=[k]
        Estimates and their standard errors.
    exact : float
        The quadrature value.
    flat_value : float, optional
        The Euclidean constant ``Z``, drawn for comparison.

    Returns
    -------
    matplotlib.figure.Figure
    """
    sizes = as_float_array(sizes, "sizes")
    values = as_float_array(values, "values")
    std_errors = as_float_array(std_errors, "std_errors")
    if not (sizes.shape == values.shape == std_errors.shape) or sizes.ndim != 1:
        raise ValueError("sizes, values, std_errors: expected 1-D arrays of the same length")
    fig, ax = plt.subplots(figsize=(6.5, 3.4), constrained_layout=True)
    ax.fill_between(sizes, values - 2 * std_errors, values + 2 * std_errors, color="C0",
                    alpha=0.25, linewidth=0, label=r"$\pm 2$ standard errors")
    ax.plot(sizes, values, "o-", color="C0", ms=3, label="Monte Carlo estimate")
    ax.axhline(exact, color="k", lw=1.2, label="quadrature")
    if flat_value is not None:
        ax.axhline(flat_value, color="C3", lw=1.0, ls="--",
                   label=r"flat value $Z = 2\pi\sqrt{|\Sigma|}$")
    ax.set_xscale("log")
    plain_log_labels(ax)
    ax.set_xlabel("number of draws $S$")
    ax.set_ylabel(r"$C(\boldsymbol{\mu}, \Sigma)$")
    legend_above(ax)
    return fig


def plot_descent_directions(data_coords, cov, directions: dict, target, distances, profiles: dict):
    """Candidate mean steps in the tangent plane, and the objective along each.

    Left panel: the data in the tangent plane at the current mean, the
    current covariance (1 and 2 standard deviation ellipses), the candidate
    directions as arrows and the true mean. Right panel: the objective
    along the geodesic in each direction against the distance moved.

    Parameters
    ----------
    data_coords : array-like, shape=[N, 2]
        ``Log_mu(x_n)`` in frame coordinates.
    cov : array-like, shape=[2, 2]
        Current covariance.
    directions : dict
        ``{label: vector of shape [2]}``, drawn as arrows from the origin.
    target : array-like, shape=[2]
        Frame coordinates of the true mean. The left panel shows a square
        window around the current mean just large enough for the target
        and the arrows.
    distances : array-like, shape=[k]
        Distances moved along each direction.
    profiles : dict
        ``{label: objective change of shape [k]}``, same labels as ``directions``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    data_coords = check_points(data_coords, "data_coords", 2, allow_single=False)
    cov = as_float_array(cov, "cov")
    target = as_float_array(target, "target")
    distances = as_float_array(distances, "distances")
    if set(profiles) != set(directions):
        raise ValueError("profiles: expected the same labels as directions")
    eigval, eigvec = np.linalg.eigh(cov)
    angle = np.degrees(np.arctan2(eigvec[1, 1], eigvec[0, 1]))
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.0, 3.5), constrained_layout=True)
    left.scatter(data_coords[:, 0], data_coords[:, 1], s=3, c="0.65", linewidths=0)
    for k in (1, 2):
        left.add_patch(Ellipse((0, 0), 2 * k * np.sqrt(eigval[1]), 2 * k * np.sqrt(eigval[0]),
                               angle=angle, fill=False, color="k", lw=0.8,
                               ls="-" if k == 1 else ":"))
    for index, (label, vec) in enumerate(directions.items()):
        vec = as_float_array(vec, "directions")
        left.annotate("", xy=tuple(vec), xytext=(0, 0),
                      arrowprops=dict(arrowstyle="->", color=f"C{index}", lw=1.8))
        values = as_float_array(profiles[label], "profiles")
        right.plot(distances, values, color=f"C{index}", lw=1.6, label=label)
    left.plot(*target, "k*", ms=10, label="true mean")
    left.plot(0, 0, "k+", ms=9)
    # Zoom on the steps: the data may be far wider than the arrows.
    reach = 1.4 * max(np.linalg.norm(target),
                      max(np.linalg.norm(as_float_array(v, "directions")) for v in directions.values()))
    left.set_xlim(-reach, reach)
    left.set_ylim(-reach, reach)
    left.set_aspect("equal")
    left.set_xlabel("frame coordinate 1 (rad)")
    left.set_ylabel("frame coordinate 2 (rad)")
    legend_above(left)
    right.axhline(0.0, color="0.5", lw=0.8)
    lowest = min(float(np.min(values)) for values in profiles.values())
    if lowest < 0:
        right.set_ylim(1.3 * lowest, -1.0 * lowest)
    right.set_xlabel("distance moved along the direction (rad)")
    right.set_ylabel(r"change in $\phi$")
    legend_above(right)
    return fig
