"""Comparisons behind the data and manifold chapters (report sections 4.1 and 4.2).

Two questions:

* **Which distribution does the report's data follow?** For an isotropic
  tangent Gaussian with standard deviation ``sd`` the geodesic radius
  ``r = |v|`` of the report's push-forward data has the truncated Rayleigh
  density ``r / sd^2 exp(-r^2 / (2 sd^2))`` on ``[0, pi)``, while the sphere
  LAND with the same parameters weighs it by the volume density
  ``sin r / r``: ``sin r / sd^2 exp(-r^2 / (2 sd^2))``, normalised.
  :func:`wrap_probability`, :func:`radius_density`, :func:`radius_tail` and
  :func:`radius_moment` give these laws in closed form or by quadrature, and
  :func:`matched_land_sd` the LAND that maximum likelihood fits to such data.
* **How close are learned geodesics to great circles?**
  :func:`hand_over_tangent` turns a sphere tangent vector into an initial
  velocity for a :class:`~land.LearnedManifold`, :func:`geodesic_deviation`
  measures how far the learned geodesic strays from the great circle, and
  :func:`deviation_study` repeats that over a grid of data sizes and kernel
  widths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import integrate, optimize

from land._validation import as_float_array, check_points, check_positive, check_positive_int
from land.geometry.learned import LearnedManifold
from land.geometry.metric import LocalDiagonalMetric
from land.geometry.sphere import Sphere

__all__ = [
    "DeviationStudy",
    "GeodesicDeviation",
    "deviation_study",
    "geodesic_deviation",
    "direction_costs",
    "format_studies",
    "full_local_metric",
    "hand_over_tangent",
    "matched_land_sd",
    "radius_density",
    "radius_moment",
    "radius_tail",
    "tangent_fan",
    "wrap_probability",
]

_SPHERE = Sphere()
_MODELS = ("pushforward", "land")
_MATCHES = ("ambient", "metric_length")
_MEASURES = ("max_radial", "max_plane_angle", "endpoint_distance", "arc_progress")
_MEASURE_HEADERS = {
    "max_radial": "max radial dev.",
    "max_plane_angle": "max angle to plane (rad)",
    "endpoint_distance": "end-point distance",
    "arc_progress": "arc progress",
}


# ------------------------------------------------------------ radius laws
def wrap_probability(sd: float, radius: float = np.pi) -> float:
    """``P(|v| >= radius)`` for ``v ~ N(0, sd^2 I_2)``: the Rayleigh tail.

    The tail is ``exp(-radius^2 / (2 sd^2))``.

    With the default ``radius = pi`` this is the chance that a tangent draw
    reaches the antipode of the unit sphere, i.e. wraps around it.

    Parameters
    ----------
    sd : float
        Standard deviation of each tangent coordinate (radians, > 0).
    radius : float
        Threshold on ``|v|`` (radians, > 0).
    """
    sd = check_positive(sd, "sd")
    radius = check_positive(radius, "radius")
    return float(np.exp(-0.5 * (radius / sd) ** 2))


def _check_model(model: str) -> str:
    if model not in _MODELS:
        raise ValueError(f"model: expected one of {_MODELS}, got {model!r}")
    return model


def _unnormalised_density(radius, sd, model):
    gauss = np.exp(-0.5 * (radius / sd) ** 2) / sd**2
    inside = (radius >= 0) & (radius < np.pi)
    shape = radius if model == "pushforward" else np.sin(radius)
    return np.where(inside, shape * gauss, 0.0)


def _mass(sd, model, lower=0.0):
    """Integral of the unnormalised radius density over ``[lower, pi)``."""
    if model == "pushforward":
        return float(np.exp(-0.5 * (lower / sd) ** 2) - np.exp(-0.5 * (np.pi / sd) ** 2))
    return _quad(lambda r: _unnormalised_density(r, sd, model), lower, sd)


def _quad(func, lower, sd):
    """Integral of ``func`` over ``[lower, pi)``, cut where ``exp(-r^2 / (2 sd^2))`` underflows."""
    upper = min(np.pi, 40.0 * sd)
    if lower >= upper:
        return 0.0
    value, _ = integrate.quad(func, lower, upper, epsabs=1e-14, epsrel=1e-11, limit=200)
    return float(value)


def radius_density(radius, sd: float, model: str) -> np.ndarray:
    """Density of the geodesic radius ``r = d(mean, x)`` of isotropic sphere data.

    Parameters
    ----------
    radius : array-like, shape=[...]
        Radii in radians; the density is 0 outside ``[0, pi)``.
    sd : float
        Standard deviation of each tangent coordinate (> 0).
    model : {"pushforward", "land"}
        ``"pushforward"``: the report's data (:func:`~land.sample_sphere_data`),
        density proportional to ``r exp(-r^2 / (2 sd^2))``. ``"land"``: the
        sphere LAND (:func:`~land.sample_sphere_land`), proportional to
        ``sin(r) exp(-r^2 / (2 sd^2))``.

    Returns
    -------
    ndarray, shape like ``radius``
        Normalised so that it integrates to 1 over ``[0, pi)``.
    """
    radius = as_float_array(radius, "radius")
    sd = check_positive(sd, "sd")
    model = _check_model(model)
    return _unnormalised_density(radius, sd, model) / _mass(sd, model)


def radius_tail(threshold: float, sd: float, model: str) -> float:
    """``P(r >= threshold)`` under :func:`radius_density` (same ``sd`` and ``model``)."""
    threshold = float(as_float_array(threshold, "threshold"))
    if not 0.0 <= threshold <= np.pi:
        raise ValueError(f"threshold: expected a radius in [0, pi], got {threshold}")
    sd = check_positive(sd, "sd")
    model = _check_model(model)
    return _mass(sd, model, threshold) / _mass(sd, model)


def radius_moment(sd: float, model: str, order: int = 1) -> float:
    """Moment ``E[r^order]`` of the geodesic radius under :func:`radius_density` (by quadrature).

    Parameters
    ----------
    sd : float
        Standard deviation of each tangent coordinate (> 0).
    model : {"pushforward", "land"}
    order : int
        The power (>= 1); ``E[r^2] / 2`` is the per-coordinate tangent variance.
    """
    sd = check_positive(sd, "sd")
    model = _check_model(model)
    order = check_positive_int(order, "order")
    value = _quad(lambda r: r**order * _unnormalised_density(r, sd, model), 0.0, sd)
    return value / _mass(sd, model)


def matched_land_sd(sd: float) -> float:
    """Standard deviation of the LAND that maximum likelihood fits to the report's data.

    This is the large-data limit for isotropic data on the unit sphere.

    In normal coordinates the LAND is an exponential family in ``v v^T``
    (base measure ``sin|v|/|v| dv``), so with the mean at its true value
    the likelihood is maximal where the model's ``E[v v^T]`` equals the
    data's. For isotropic data this is ``E_land[r^2] = E_pushforward[r^2]``,
    solved here for the LAND's standard deviation.

    Parameters
    ----------
    sd : float
        Standard deviation of the report's generator (``cov = sd^2 I``), > 0.

    Returns
    -------
    float
        Standard deviation ``s*`` of the matching LAND; ``s* > sd`` because
        the LAND's tails are lighter.
    """
    sd = check_positive(sd, "sd")
    target = radius_moment(sd, "pushforward", 2)
    if target >= radius_moment(50.0 * np.pi, "land", 2):
        raise ValueError(f"sd: {sd} is too wide for a LAND on the unit sphere to match")
    # At s = sd the LAND's lighter tail gives the smaller moment, so the root lies above sd.
    return float(optimize.brentq(lambda s: radius_moment(s, "land", 2) - target, sd,
                                 50.0 * np.pi, xtol=1e-12))


# ------------------------------------------------- learned vs sphere Exp
def tangent_fan(base_point, length: float, n_directions: int) -> np.ndarray:
    """Tangent vectors of one length in equally spaced directions at ``base_point``.

    Directions are at angles ``2 pi k / n_directions`` in the Gram-Schmidt
    frame :meth:`Sphere.tangent_basis` of ``base_point``.

    Parameters
    ----------
    base_point : array-like, shape=[3]
        A point on the unit sphere.
    length : float
        ``|v|`` in radians (> 0).
    n_directions : int
        Number of vectors (>= 1).

    Returns
    -------
    ndarray, shape=[n_directions, 3]
    """
    base_point = _check_base(base_point)
    length = check_positive(length, "length")
    n_directions = check_positive_int(n_directions, "n_directions")
    angles = 2.0 * np.pi * np.arange(n_directions) / n_directions
    coords = length * np.column_stack([np.cos(angles), np.sin(angles)])
    return coords @ _SPHERE.tangent_basis(base_point).T


def _check_base(base_point):
    base_point = _SPHERE.check_points(base_point, "base_point")
    if base_point.ndim != 1:
        raise ValueError(f"base_point: expected shape (3,), got {base_point.shape}")
    return base_point


def _check_learned(manifold):
    if not isinstance(manifold, LearnedManifold):
        raise TypeError(f"manifold: expected a LearnedManifold, got {type(manifold).__name__}")
    if manifold.dim != 3:
        raise ValueError(f"manifold: expected a metric on R^3, got dimension {manifold.dim}")
    return manifold


def hand_over_tangent(manifold, base_point, tangent_vecs, *, match: str = "ambient") -> np.ndarray:
    """Initial velocities for a learned manifold from sphere tangent vectors.

    A sphere tangent vector ``v`` at ``base_point`` is an ambient vector in
    R^3, and the learned manifold is R^3 with a metric ``M``, so ``v`` is
    already a valid initial velocity there. The only freedom is its length.

    Parameters
    ----------
    manifold : LearnedManifold
        A metric on R^3.
    base_point : array-like, shape=[3]
        A point on the unit sphere.
    tangent_vecs : array-like, shape=[3] or [n, 3]
        Tangent to the sphere at ``base_point``.
    match : {"ambient", "metric_length"}
        ``"ambient"`` (default): the same vector, so the learned geodesic
        leaves ``base_point`` with the great circle's position and Euclidean
        velocity. ``"metric_length"``: the same direction rescaled so that
        ``sqrt(u^T M(base_point) u) = |v|``, i.e. the learned geodesic has
        the great circle's length measured in the learned metric.

    Returns
    -------
    ndarray, shape like ``tangent_vecs``
        Both choices keep the direction of ``v``; as geodesics through a
        point in a given direction are one curve run at different speeds,
        ``match`` only decides how far along that curve Exp lands.
    """
    manifold = _check_learned(manifold)
    base_point = _check_base(base_point)
    vecs = _SPHERE.check_tangent(base_point, tangent_vecs)
    if match not in _MATCHES:
        raise ValueError(f"match: expected one of {_MATCHES}, got {match!r}")
    if match == "ambient":
        return vecs.copy()
    metric = manifold.metric.metric_diagonal(base_point)
    euclid = np.linalg.norm(vecs, axis=-1)
    metric_len = np.sqrt(np.sum(metric * vecs * vecs, axis=-1))
    scale = np.where(metric_len > 0, euclid / np.where(metric_len > 0, metric_len, 1.0), 1.0)
    return vecs * np.asarray(scale)[..., None]


@dataclass(frozen=True)
class GeodesicDeviation:
    """How far learned geodesics stray from the sphere's great circles.

    For each tangent vector ``v_i`` the learned geodesic
    ``x_i(t) = Exp_learned(mu, t u_i)`` (``u_i`` from :func:`hand_over_tangent`)
    is evaluated at the ``times`` and compared with the great circle
    ``Exp_sphere(mu, t v_i)``.

    Attributes
    ----------
    base_point : ndarray, shape=[3]
        ``mu``.
    times : ndarray, shape=[k]
        Curve parameters in ``(0, 1]``; the last one is 1 (the Exp end point).
    tangent_vecs : ndarray, shape=[n, 3]
        The sphere tangent vectors ``v_i``.
    learned_points : ndarray, shape=[n, k, 3]
        ``x_i(t_j)``; NaN where the Exp solve did not converge.
    sphere_points : ndarray, shape=[n, k, 3]
        ``Exp_sphere(mu, t_j v_i)``.
    radial : ndarray, shape=[n, k]
        Signed radial deviation ``|x_i(t_j)| - 1`` (positive: outside the sphere).
    plane_angle : ndarray, shape=[n, k]
        Angle in radians between ``x_i(t_j)`` and the plane of the great
        circle (spanned by ``mu`` and ``v_i``).
    endpoint_distance : ndarray, shape=[n]
        Euclidean distance ``|x_i(1) - Exp_sphere(mu, v_i)|``.
    n_failed : int
        Exp solves that did not converge (their entries are NaN).
    """

    base_point: np.ndarray
    times: np.ndarray
    tangent_vecs: np.ndarray
    learned_points: np.ndarray
    sphere_points: np.ndarray
    radial: np.ndarray
    plane_angle: np.ndarray
    endpoint_distance: np.ndarray
    n_failed: int

    @property
    def max_radial(self) -> np.ndarray:
        """Largest ``| |x(t)| - 1 |`` over the times, shape ``(n,)``."""
        return _nanmax_rows(np.abs(self.radial))

    @property
    def max_plane_angle(self) -> np.ndarray:
        """Largest angle to the great-circle plane over the times, shape ``(n,)``."""
        return _nanmax_rows(self.plane_angle)

    @property
    def arc_progress(self) -> np.ndarray:
        """Angle from ``mu`` to the learned end point (seen from the centre) over ``|v|``.

        Shape ``(n,)``.

        1 for the great circle; below 1 the learned geodesic falls short.
        """
        ends = self.learned_points[:, -1]
        cos = ends @ self.base_point
        sin = np.linalg.norm(np.cross(ends, self.base_point), axis=-1)
        return np.arctan2(sin, cos) / self.lengths

    @property
    def lengths(self) -> np.ndarray:
        """``|v_i|``, the great-circle arc lengths in radians, shape ``(n,)``."""
        return np.linalg.norm(self.tangent_vecs, axis=-1)


def _nanmax_rows(values):
    out = np.full(values.shape[0], np.nan)
    ok = ~np.all(np.isnan(values), axis=1)
    out[ok] = np.nanmax(values[ok], axis=1)
    return out


def _check_times(times):
    times = as_float_array(times, "times")
    if times.ndim != 1 or times.size == 0:
        raise ValueError(f"times: expected a non-empty 1-D array, got shape {times.shape}")
    if np.any(times <= 0) or np.any(times > 1) or np.any(np.diff(times) <= 0):
        raise ValueError("times: expected increasing values in (0, 1]")
    if times[-1] != 1.0:
        raise ValueError("times: the last time must be 1 (the Exp end point)")
    return times


def geodesic_deviation(manifold, base_point, tangent_vecs, times=(0.25, 0.5, 0.75, 1.0), *,
                       match: str = "ambient") -> GeodesicDeviation:
    """Compare learned-manifold Exp with the sphere's Exp along each geodesic.

    All ``n * k`` learned Exps go to ``manifold.solve_exp`` in one batch.

    Parameters
    ----------
    manifold : LearnedManifold
        A metric on R^3.
    base_point : array-like, shape=[3]
        ``mu``, a point on the unit sphere.
    tangent_vecs : array-like, shape=[n, 3]
        Sphere tangent vectors at ``mu``.
    times : array-like, shape=[k]
        Increasing values in ``(0, 1]`` ending at 1.
    match : {"ambient", "metric_length"}
        Hand-over rule, see :func:`hand_over_tangent`.

    Returns
    -------
    GeodesicDeviation
    """
    manifold = _check_learned(manifold)
    base_point = _check_base(base_point)
    vecs = check_points(tangent_vecs, "tangent_vecs", 3, allow_single=False)
    vecs = _SPHERE.check_tangent(base_point, vecs)
    if np.any(np.linalg.norm(vecs, axis=-1) == 0):
        raise ValueError("tangent_vecs: expected non-zero vectors (each defines a great circle)")
    times = _check_times(times)
    velocities = hand_over_tangent(manifold, base_point, vecs, match=match)
    n, k = vecs.shape[0], times.size
    scaled = times[None, :, None] * velocities[:, None, :]
    result = manifold.solve_exp(base_point, scaled.reshape(n * k, 3))
    learned = np.where(result.converged[:, None], result.value, np.nan).reshape(n, k, 3)
    on_sphere = _SPHERE.exp(base_point, (times[None, :, None] * vecs[:, None, :]).reshape(n * k, 3))
    on_sphere = on_sphere.reshape(n, k, 3)
    norms = np.linalg.norm(learned, axis=-1)
    normal = np.cross(base_point, vecs)
    normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
    out_of_plane = np.abs(np.einsum("nkd,nd->nk", learned, normal))
    plane_angle = np.arcsin(np.clip(out_of_plane / norms, 0.0, 1.0))
    endpoint = np.linalg.norm(learned[:, -1] - on_sphere[:, -1], axis=-1)
    return GeodesicDeviation(base_point, times, vecs, learned, on_sphere, norms - 1.0,
                             plane_angle, endpoint, result.n_failed)


@dataclass(frozen=True)
class DeviationStudy:
    """:func:`geodesic_deviation` over a grid of data sizes and kernel widths.

    Attributes
    ----------
    n_points : ndarray of int, shape=[a]
        Data sizes ``N`` (the first ``N`` points of one sample).
    kernel_widths : ndarray, shape=[b]
    rho : float
    results : tuple of tuple of GeodesicDeviation
        ``results[i][j]`` for ``n_points[i]`` and ``kernel_widths[j]``.
    match : str
        The hand-over rule used.
    """

    n_points: np.ndarray
    kernel_widths: np.ndarray
    rho: float
    results: tuple
    match: str

    def values(self, measure: str) -> np.ndarray:
        """One measure for every geodesic, shape ``(a, b, n)``.

        Parameters
        ----------
        measure : {"max_radial", "max_plane_angle", "endpoint_distance", "arc_progress"}
        """
        if measure not in _MEASURES:
            raise ValueError(f"measure: expected one of {_MEASURES}, got {measure!r}")
        return np.array([[getattr(res, measure) for res in row] for row in self.results])

    def summary(self, measure: str):
        """Median and quartiles over the geodesics of each grid cell.

        Returns
        -------
        median, lower_quartile, upper_quartile : ndarray, shape=[a, b]
            NaN-aware (failed solves are left out).
        """
        values = self.values(measure)
        return tuple(np.nanpercentile(values, q, axis=-1) for q in (50, 25, 75))

    def subset(self, n_points=None, kernel_widths=None) -> "DeviationStudy":
        """The part of the grid with the given data sizes and kernel widths (default: all).

        Raises ``ValueError`` for a size or width that is not in the grid.
        """
        rows = self._indices(self.n_points, n_points, "n_points")
        cols = self._indices(self.kernel_widths, kernel_widths, "kernel_widths")
        results = tuple(tuple(self.results[i][j] for j in cols) for i in rows)
        return DeviationStudy(self.n_points[rows], self.kernel_widths[cols], self.rho, results,
                              self.match)

    @staticmethod
    def _indices(grid, wanted, name):
        if wanted is None:
            return list(range(len(grid)))
        out = []
        for value in wanted:
            hits = np.flatnonzero(np.isclose(grid, value, rtol=1e-12, atol=0.0))
            if hits.size == 0:
                raise ValueError(f"{name}: {value} is not in the grid {np.asarray(grid).tolist()}")
            out.append(int(hits[0]))
        return out

    @property
    def n_failed(self) -> int:
        """Exp solves that did not converge, over the whole grid."""
        return int(sum(res.n_failed for row in self.results for res in row))

    def table(self, measures=_MEASURES) -> str:
        """A Markdown table: median [quartiles] of each measure per grid cell.

        Parameters
        ----------
        measures : sequence of str
            Columns, from those of :meth:`values`.
        """
        return format_studies({None: self}, measures)


def format_studies(studies: dict, measures=_MEASURES) -> str:
    """One Markdown table for several :class:`DeviationStudy` results.

    Parameters
    ----------
    studies : dict of str to DeviationStudy
        Keyed by a label for the first column ("data"); with the single key
        ``None`` that column is left out.
    measures : sequence of str
        Columns, from those of :meth:`DeviationStudy.values`.

    Returns
    -------
    str
        Cells read "median [lower quartile, upper quartile]" over the
        geodesics of each grid cell.
    """
    measures = list(measures)
    for measure in measures:
        if measure not in _MEASURES:
            raise ValueError(f"measures: expected entries of {_MEASURES}, got {measure!r}")
    labelled = not (len(studies) == 1 and None in studies)
    heads = (["data"] if labelled else []) + ["N", "kernel width"]
    heads += [_MEASURE_HEADERS[m] for m in measures]
    align = ([":---"] if labelled else []) + ["---:", "---:"] + [":---:"] * len(measures)
    lines = ["| " + " | ".join(heads) + " |", "|" + "|".join(align) + "|"]
    for label, study in studies.items():
        stats = [study.summary(m) for m in measures]
        for i, n in enumerate(study.n_points):
            for j, width in enumerate(study.kernel_widths):
                cells = ([label] if labelled else []) + [str(n), f"{width:g}"]
                cells += [f"{med[i, j]:.2f} [{low[i, j]:.2f}, {high[i, j]:.2f}]"
                          for med, low, high in stats]
                lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def full_local_metric(data, point, kernel_width: float, rho: float) -> np.ndarray:
    """The LAND metric at one point *without* the diagonal restriction.

    ``M(x) = (sum_n w_n(x) (x_n - x)(x_n - x)^T + rho I)^{-1}`` with the
    weights of :class:`~land.LocalDiagonalMetric`, whose diagonal metric
    keeps only the diagonal of the sum. For comparison only: geodesics of
    this metric are not implemented.

    Parameters
    ----------
    data : array-like, shape=[N, D]
    point : array-like, shape=[D]
    kernel_width, rho : float
        As in :class:`~land.LocalDiagonalMetric`.

    Returns
    -------
    ndarray, shape=[D, D]
        Symmetric positive definite.
    """
    data = as_float_array(data, "data")
    if data.ndim != 2 or 0 in data.shape:
        raise ValueError(f"data: expected a non-empty array of shape (N, D), got {data.shape}")
    point = check_points(point, "point", data.shape[1])
    if point.ndim != 1:
        raise ValueError(f"point: expected shape ({data.shape[1]},), got {point.shape}")
    kernel_width = check_positive(kernel_width, "kernel_width")
    rho = check_positive(rho, "rho")
    diff = data - point
    weights = np.exp(-0.5 * np.sum(diff * diff, axis=1) / kernel_width**2)
    second_moment = (weights[:, None] * diff).T @ diff + rho * np.eye(data.shape[1])
    return np.linalg.inv(second_moment)


def direction_costs(metric_matrix, directions) -> np.ndarray:
    """Squared metric length ``u^T M u`` of each unit direction ``u``.

    Parameters
    ----------
    metric_matrix : array-like, shape=[D, D] or [D]
        A metric at one point; a 1-D array is read as a diagonal.
    directions : array-like, shape=[k, D]
        Rescaled to unit Euclidean length first.

    Returns
    -------
    ndarray, shape=[k]
    """
    matrix = as_float_array(metric_matrix, "metric_matrix")
    if matrix.ndim == 1:
        matrix = np.diag(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"metric_matrix: expected shape (D, D) or (D,), got {matrix.shape}")
    dirs = check_points(directions, "directions", matrix.shape[0], allow_single=False)
    norms = np.linalg.norm(dirs, axis=1)
    if np.any(norms == 0):
        raise ValueError("directions: expected non-zero vectors")
    dirs = dirs / norms[:, None]
    return np.einsum("kd,de,ke->k", dirs, matrix, dirs)


def deviation_study(data, n_points, kernel_widths, base_point, tangent_vecs, *, rho: float = 1e-3,
                    times=(0.25, 0.5, 0.75, 1.0), match: str = "ambient") -> DeviationStudy:
    """Learn a metric for each data size and kernel width, and measure its geodesics.

    Parameters
    ----------
    data : array-like, shape=[N_max, 3]
        One data sample; the size-``N`` metric uses its first ``N`` rows, so
        the data sets are nested and differ only in size.
    n_points : sequence of int, length a
        Data sizes, each between 1 and ``N_max``.
    kernel_widths : sequence of float, length b
        ``kernel_width`` values of :class:`~land.LocalDiagonalMetric`.
    base_point : array-like, shape=[3]
        ``mu``, where every geodesic starts.
    tangent_vecs : array-like, shape=[n, 3]
        Sphere tangent vectors at ``mu``, the same for every grid cell.
    rho : float
        Metric regulariser.
    times, match
        As in :func:`geodesic_deviation`.

    Returns
    -------
    DeviationStudy
    """
    data = check_points(data, "data", 3, allow_single=False)
    sizes = np.asarray([check_positive_int(n, "n_points") for n in n_points], dtype=int)
    if sizes.size == 0 or sizes.max() > data.shape[0]:
        raise ValueError(f"n_points: expected 1 to {data.shape[0]} sizes up to the data size, "
                         f"got {sizes.tolist()}")
    widths = np.asarray([check_positive(w, "kernel_widths") for w in kernel_widths])
    if widths.size == 0:
        raise ValueError("kernel_widths: expected at least one width")
    rho = check_positive(rho, "rho")
    results = tuple(
        tuple(geodesic_deviation(LearnedManifold(LocalDiagonalMetric(data[:n], width, rho)),
                                 base_point, tangent_vecs, times, match=match)
              for width in widths)
        for n in sizes
    )
    return DeviationStudy(sizes, widths, rho, results, match)
