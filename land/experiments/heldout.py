"""Held-out log-likelihood of a LAND on a learned manifold against a Euclidean Gaussian.

A LAND density is a density with respect to the Riemannian volume measure of
its metric, ``dvol(x) = sqrt(det M(x)) dx``; a Gaussian's is with respect to
Lebesgue measure ``dx``. To compare likelihoods both must use the same base
measure, so the LAND's is converted:

    p_Leb(x) = p_M(x) * sqrt(det M(x)),
    log p_Leb(x) = log p_M(x) + 0.5 * sum_d log m_d(x)   for M = diag(m).

Held-out points whose Log map does not converge have no LAND density; they
are never dropped silently: :func:`heldout_comparison` counts them and leaves
them out of *both* models' averages, so the two averages are over the same
points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from land._validation import (as_float_array, check_base_point, check_frame, check_generator, check_positive,
                              check_positive_int, check_spd)
from land.geometry.metric import kernel_width_rule  # noqa: F401  (re-exported for the chapters)
from land.model import normalising_constant, precision_factor
from land.model.likelihood import log_density_from_logs, log_scatter

__all__ = [
    "GaussianFit",
    "GridDensity",
    "HeldoutComparison",
    "fit_gaussian",
    "gaussian_log_density",
    "land_log_density_lebesgue",
    "heldout_comparison",
    "grid_density",
    "exp_jacobian_ratio",
    "refine_log_constant",
    "HeldoutExperiment",
    "initial_parameters",
    "heldout_experiment",
    "kernel_width_rule",
    "save_grids",
    "load_grids",
    "study_differences",
    "study_table",
]


def _check_learned(manifold):
    if not hasattr(manifold, "metric") or not hasattr(manifold, "solve_log"):
        raise TypeError("manifold: expected a LearnedManifold (R^D with a metric), got "
                        f"{type(manifold).__name__}; on the sphere the LAND density is with "
                        "respect to the sphere's area, which has no Lebesgue density in R^3")
    return manifold


def _check_points(points, name, dim):
    points = as_float_array(points, name)
    if points.ndim != 2 or points.shape[1] != dim or points.shape[0] == 0:
        raise ValueError(f"{name}: expected shape (n, {dim}) with n >= 1, got {points.shape}")
    return points


# ------------------------------------------------------------ the baseline
@dataclass(frozen=True)
class GaussianFit:
    """Maximum likelihood Gaussian: ``mean`` (D,) and ``cov`` (D, D), divisor N."""

    mean: np.ndarray
    cov: np.ndarray

    def log_density(self, points) -> np.ndarray:
        """Log density (Lebesgue) at ``points`` (n, D); see :func:`gaussian_log_density`."""
        return gaussian_log_density(points, self.mean, self.cov)


def fit_gaussian(points) -> GaussianFit:
    """Maximum likelihood Gaussian of ``points`` (n, D): sample mean, covariance with divisor n."""
    points = as_float_array(points, "points")
    if points.ndim != 2 or points.shape[0] <= points.shape[1]:
        raise ValueError(f"points: expected shape (n, D) with n > D, got {points.shape}")
    mean = points.mean(axis=0)
    centred = points - mean
    return GaussianFit(mean, centred.T @ centred / points.shape[0])


def gaussian_log_density(points, mean, cov) -> np.ndarray:
    """``log N(x; mean, cov)`` for each row of ``points``.

    Parameters
    ----------
    points : array-like, shape=[n, D]
    mean : array-like, shape=[D]
    cov : array-like, shape=[D, D]
        Symmetric positive definite.

    Returns
    -------
    ndarray, shape=[n]
    """
    mean = as_float_array(mean, "mean")
    if mean.ndim != 1:
        raise ValueError(f"mean: expected shape (D,), got {mean.shape}")
    dim = mean.size
    cov = check_spd(cov, "cov", dim)
    points = _check_points(points, "points", dim)
    chol = np.linalg.cholesky(cov)
    white = np.linalg.solve(chol, (points - mean).T)
    log_det = 2.0 * np.sum(np.log(np.diag(chol)))
    return -0.5 * (np.sum(white**2, axis=0) + dim * np.log(2 * np.pi) + log_det)


# ------------------------------------------------------- the LAND, in dx
def land_log_density_lebesgue(manifold, points, mean, cov, log_constant: float,
                              frame=None) -> np.ndarray:
    """LAND log density with respect to Lebesgue measure on R^D.

    ``log p_Leb(x) = -L(x)^T Sigma^{-1} L(x) / 2 - log C + 0.5 log det M(x)``,
    with ``L(x)`` the coordinates of ``Log_mu(x)`` in the M-orthonormal
    ``frame``: the LAND density (with respect to ``dvol = sqrt(det M) dx``)
    times ``sqrt(det M(x))``.

    Parameters
    ----------
    manifold : LearnedManifold
    points : array-like, shape=[n, D]
    mean : array-like, shape=[D]
    cov : array-like, shape=[D, D]
        Covariance in ``frame``.
    log_constant : float
        ``log C(mu, Sigma)``, e.g. from :func:`refine_log_constant`.
    frame : array-like, shape=[D, D], optional
        Default ``manifold.frame(mean)``.

    Returns
    -------
    ndarray, shape=[n]
        NaN where the Log solve did not converge (no density can be given).
    """
    manifold = _check_learned(manifold)
    dim = manifold.dim
    mean = manifold.check_points(mean, "mean")
    if mean.ndim != 1:
        raise ValueError(f"mean: expected shape ({dim},), got {mean.shape}")
    cov = check_spd(cov, "cov", dim)
    points = _check_points(points, "points", dim)
    log_constant = float(log_constant)
    if not np.isfinite(log_constant):
        raise ValueError(f"log_constant: expected a finite number, got {log_constant}")
    frame = manifold.frame(mean) if frame is None else as_float_array(frame, "frame")
    # Failed Logs (whose values, the solver's last iterates, are never read) give NaN here.
    log_p, failed = log_density_from_logs(manifold, mean, frame, precision_factor(cov),
                                          log_constant, manifold.solve_log(mean, points))
    log_vol = 0.5 * np.sum(np.log(manifold.metric.metric_diagonal(points)), axis=1)
    return np.where(failed, np.nan, log_p + log_vol)


def refine_log_constant(manifold, fit, n_samples: int, rng: np.random.Generator):
    """A fresh, larger Monte Carlo estimate of ``C`` at a fit's final parameters.

    A fit's own ``log_constant`` comes from its last ``n_samples`` draws; for
    evaluating densities a separate estimate with more draws has less noise.

    Returns
    -------
    NormalisingConstant
        Its ``log_value`` is ``log C``; ``std_error / value`` is the standard
        error of ``log C`` (to first order), which shifts every log density.
    """
    return normalising_constant(manifold, fit.mean, fit.cov, n_samples, rng, frame=fit.frame)


# -------------------------------------------------------- the comparison
@dataclass(frozen=True)
class HeldoutComparison:
    """Held-out log-likelihood per point of a LAND and a Gaussian.

    Attributes
    ----------
    land_log_density, gaussian_log_density : ndarray, shape=[n_test]
        Both with respect to Lebesgue measure; the LAND's is NaN where its
        Log failed.
    land_mean, gaussian_mean : float
        Averages over the ``n_test - n_failed`` points where both exist.
    n_test, n_failed : int
    """

    land_log_density: np.ndarray
    gaussian_log_density: np.ndarray
    land_mean: float
    gaussian_mean: float
    n_test: int
    n_failed: int

    @property
    def difference(self) -> float:
        """``land_mean - gaussian_mean``: positive when the LAND predicts better."""
        return self.land_mean - self.gaussian_mean


def heldout_comparison(manifold, land_fit, gaussian: GaussianFit, test_points,
                       log_constant: float | None = None) -> HeldoutComparison:
    """Mean held-out log-likelihood (Lebesgue) of a fitted LAND and a fitted Gaussian.

    Held-out points whose LAND Log fails are counted in ``n_failed`` and
    left out of both averages, so both are over the same points.

    Parameters
    ----------
    manifold : LearnedManifold
        The manifold the LAND was fitted on (its metric comes from the
        training points only).
    land_fit : LandFit
    gaussian : GaussianFit
    test_points : array-like, shape=[n_test, D]
    log_constant : float, optional
        ``log C`` to use (default: the fit's own, ``land_fit.log_constant``).
    """
    if not isinstance(gaussian, GaussianFit):
        raise TypeError(f"gaussian: expected a GaussianFit, got {type(gaussian).__name__}")
    log_c = land_fit.log_constant if log_constant is None else log_constant
    land_ld = land_log_density_lebesgue(manifold, test_points, land_fit.mean, land_fit.cov,
                                        log_c, land_fit.frame)
    gauss_ld = gaussian.log_density(test_points)
    ok = np.isfinite(land_ld)
    if not np.any(ok):
        raise ValueError("test_points: the LAND's Log failed at every held-out point")
    return HeldoutComparison(land_ld, gauss_ld, float(land_ld[ok].mean()),
                             float(gauss_ld[ok].mean()), int(ok.size), int(ok.size - ok.sum()))


# ------------------------------------------------- densities on a grid
@dataclass(frozen=True)
class GridDensity:
    """A 2-D density on a regular grid and its integral.

    Attributes
    ----------
    x, y : ndarray, shape=[n_grid]
        Grid coordinates (cell centres).
    log_density : ndarray, shape=[n_grid, n_grid]
        ``log_density[i, j]`` at ``(x[j], y[i])`` (NaN where the Log failed).
    mass : float
        Midpoint-rule integral of the density over the box, failed cells
        counted as 0.
    n_failed : int
        Grid cells whose Log failed.
    """

    x: np.ndarray
    y: np.ndarray
    log_density: np.ndarray
    mass: float
    n_failed: int


def grid_density(log_density_fn, box, n_grid: int) -> GridDensity:
    """Evaluate a 2-D log density on an ``n_grid x n_grid`` grid and integrate it.

    Parameters
    ----------
    log_density_fn : callable
        Maps points (n, 2) to log densities (n,), NaN where unavailable.
    box : tuple of float
        ``(x_low, x_high, y_low, y_high)``.
    n_grid : int
        Cells per side (>= 2).
    """
    n_grid = check_positive_int(n_grid, "n_grid")
    box = as_float_array(box, "box")
    if box.shape != (4,) or not (box[0] < box[1] and box[2] < box[3]):
        raise ValueError(f"box: expected (x_low, x_high, y_low, y_high) with low < high, got {box}")
    step_x, step_y = (box[1] - box[0]) / n_grid, (box[3] - box[2]) / n_grid
    x = box[0] + step_x * (np.arange(n_grid) + 0.5)
    y = box[2] + step_y * (np.arange(n_grid) + 0.5)
    grid_x, grid_y = np.meshgrid(x, y)
    values = np.asarray(log_density_fn(np.column_stack([grid_x.ravel(), grid_y.ravel()])),
                        dtype=float).reshape(n_grid, n_grid)
    failed = ~np.isfinite(values)
    mass = float(np.sum(np.exp(values[~failed])) * step_x * step_y)
    return GridDensity(x, y, values, mass, int(failed.sum()))


def exp_jacobian_ratio(manifold, mean, frame, cov, n_samples: int, rng: np.random.Generator,
                       step: float = 1e-5):
    """How much mass the LAND paper's volume term leaves out: ``E[m J] / E[m]``.

    With ``x = Exp_mu(F v)`` the exact volume element is
    ``dvol(x) = m(v) J(v) dv``, ``J = |det d Exp_mu|`` (Exp's Jacobian in
    ambient coordinates); the paper's constant keeps ``m`` and drops ``J``.
    A LAND normalised the paper's way therefore integrates to
    ``E[m J] / E[m]`` under ``v ~ N(0, Sigma)`` (for an injective Exp), not
    1. ``J`` is found by central differences of the batched Exp.

    Returns
    -------
    ratio : float
        Monte Carlo estimate of ``E[m J] / E[m]`` over converged draws.
    std_error : float
        Its standard error (delta method).
    jacobian : ndarray, shape=[n_ok]
        ``J`` at the converged draws.
    """
    manifold = _check_learned(manifold)
    mean = check_base_point(manifold, mean, "mean")
    n_samples = check_positive_int(n_samples, "n_samples")
    rng = check_generator(rng)
    step = check_positive(step, "step")
    dim = manifold.dim
    cov = check_spd(cov, "cov", dim)
    frame = check_frame(manifold, mean, frame)
    coords = rng.standard_normal((n_samples, dim)) @ np.linalg.cholesky(cov).T
    vecs = coords @ frame.T
    probes = np.concatenate([vecs[:, None, :] + s * step * np.eye(dim) for s in (1, -1)], axis=1)
    ends = manifold.solve_exp(mean, probes.reshape(-1, dim))
    ok = ends.converged.reshape(n_samples, 2 * dim).all(axis=1)
    moved = ends.value.reshape(n_samples, 2, dim, dim)
    derivative = (moved[:, 0] - moved[:, 1]) / (2 * step)   # [s, k, :] = d Exp / d w_k
    jacobian = np.abs(np.linalg.det(derivative[ok]))
    volume = manifold.solve_volume_density(mean, frame, coords[ok])
    good = volume.converged
    m, mj = volume.value[good], volume.value[good] * jacobian[good]
    ratio = mj.mean() / m.mean()
    # Delta method for a ratio of means.
    resid = mj - ratio * m
    std_error = float(np.std(resid, ddof=1) / (np.sqrt(m.size) * m.mean()))
    return float(ratio), std_error, jacobian[good]


# ---------------------------------------------- one experiment, end to end
@dataclass(frozen=True)
class HeldoutExperiment:
    """Everything :func:`heldout_experiment` computed for one train/test split.

    Attributes
    ----------
    manifold : LearnedManifold
        Metric learned from the training points.
    fit : LandFit
    gaussian : GaussianFit
    constant : NormalisingConstant
        Fresh estimate of ``C`` at the fitted parameters (the paper's
        constant, without Exp's Jacobian), used for all densities.
    comparison : HeldoutComparison
        With the paper's constant.
    jacobian_ratio, jacobian_ratio_se : float
        ``E[m J] / E[m]`` (see :func:`exp_jacobian_ratio`) and its standard
        error: the mass of the LAND normalised the paper's way.
    fit_seconds : float
        Wall time of the LAND fit.
    """

    manifold: object
    fit: object
    gaussian: GaussianFit
    constant: object
    comparison: HeldoutComparison
    jacobian_ratio: float
    jacobian_ratio_se: float
    fit_seconds: float

    @property
    def land_mean_corrected(self) -> float:
        """Held-out mean log-likelihood of the LAND renormalised to mass 1 (``- log ratio``)."""
        return self.comparison.land_mean - float(np.log(self.jacobian_ratio))

    def summary(self) -> dict:
        """Scalars of the experiment, one CSV row."""
        comp = self.comparison
        return {
            "land_loglik": comp.land_mean,
            "land_loglik_corrected": self.land_mean_corrected,
            "gaussian_loglik": comp.gaussian_mean,
            "n_test": comp.n_test,
            "n_failed_test": comp.n_failed,
            "log_constant_se": self.constant.std_error / self.constant.value,
            "jacobian_ratio": self.jacobian_ratio,
            "jacobian_ratio_se": self.jacobian_ratio_se,
            "n_failed_fit_log": int(self.fit.history.n_failed_log.max()),
            "n_failed_fit_exp": int(self.fit.history.n_failed_exp.max()),
            "fit_seconds": self.fit_seconds,
        }


def initial_parameters(manifold, train):
    """A start for the LAND fit: the training medoid and the covariance of its Logs.

    The Euclidean mean of curved data can lie off the data (in the hollow of
    an arc); the medoid (the training
    point with the least summed squared distance to the others) lies on it.
    The initial covariance is the second moment of the training points' Log
    coordinates at the medoid (points whose Log fails are left out), plus
    a small ridge.

    Returns
    -------
    mean : ndarray, shape=[D]
    cov : ndarray, shape=[D, D]
    """
    train = _check_points(train, "train", manifold.dim)
    # sum_j |x_i - x_j|^2 = N |x_i - xbar|^2 + const, so the medoid in squared
    # distance is the point nearest the mean: found in linear memory, not N x N.
    mean = train[np.argmin(np.sum((train - train.mean(axis=0)) ** 2, axis=1))]
    cov, _ = log_scatter(manifold, mean, manifold.frame(mean), manifold.solve_log(mean, train),
                         jitter=1e-6)
    return mean, cov


def heldout_experiment(train, test, *, kernel_width: float, rho: float, n_iter: int,
                       step_mean: float, step_cov: float, n_samples: int, n_constant: int,
                       rng: np.random.Generator) -> HeldoutExperiment:
    """Fit a LAND (learned metric) and a Gaussian on ``train``; score both on ``test``.

    Steps: learn ``LocalDiagonalMetric(train, kernel_width, rho)``; start at
    :func:`initial_parameters`; run :func:`land.fit_land`; re-estimate ``C``
    with ``n_constant`` draws (:func:`refine_log_constant`); compare held-out
    log-likelihoods in Lebesgue measure (:func:`heldout_comparison`); and
    estimate how much mass the paper's constant misses
    (:func:`exp_jacobian_ratio`, ``n_constant`` draws).

    Parameters
    ----------
    train : array-like, shape=[N, D]
    test : array-like, shape=[n_test, D]
    kernel_width, rho : float
        Of the learned metric.
    n_iter, step_mean, step_cov, n_samples : see :func:`land.fit_land`
    n_constant : int
        Monte Carlo draws for the final constant and the Jacobian ratio.
    rng : numpy.random.Generator
    """
    import time

    from land.geometry.learned import LearnedManifold
    from land.geometry.metric import LocalDiagonalMetric
    from land.model import fit_land

    train = as_float_array(train, "train")
    if train.ndim != 2:
        raise ValueError(f"train: expected shape (N, D), got {train.shape}")
    test = _check_points(test, "test", train.shape[1])
    n_constant = check_positive_int(n_constant, "n_constant")
    rng = check_generator(rng)
    manifold = LearnedManifold(LocalDiagonalMetric(train, kernel_width, rho))
    start = time.perf_counter()
    init_mean, init_cov = initial_parameters(manifold, train)
    fit = fit_land(manifold, train, init_mean=init_mean, algorithm="paper", init_cov=init_cov, n_iter=n_iter,
                   step_mean=step_mean, step_cov=step_cov, n_samples=n_samples, rng=rng)
    seconds = time.perf_counter() - start
    gaussian = fit_gaussian(train)
    constant = refine_log_constant(manifold, fit, n_constant, rng)
    comparison = heldout_comparison(manifold, fit, gaussian, test, constant.log_value)
    ratio, ratio_se, _ = exp_jacobian_ratio(manifold, fit.mean, fit.frame, fit.cov, n_constant, rng)
    return HeldoutExperiment(manifold, fit, gaussian, constant, comparison, ratio, ratio_se,
                             seconds)


def save_grids(path, grids: dict) -> None:
    """Write grid densities on one common grid to a CSV (columns x, y, then one per name).

    Parameters
    ----------
    path : str or Path
    grids : dict of str to GridDensity
        All on the same grid.
    """
    names = list(grids)
    first = grids[names[0]]
    grid_x, grid_y = np.meshgrid(first.x, first.y)
    columns = [grid_x.ravel(), grid_y.ravel()] + [grids[k].log_density.ravel() for k in names]
    np.savetxt(path, np.column_stack(columns), delimiter=",", fmt="%.8g",
               header=",".join(["x", "y"] + names), comments="")


def load_grids(path) -> dict:
    """Read :func:`save_grids` output back into a dict of :class:`GridDensity`."""
    with open(path) as handle:
        names = handle.readline().strip().split(",")[2:]
    table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    x, y = np.unique(table[:, 0]), np.unique(table[:, 1])
    cell = (x[1] - x[0]) * (y[1] - y[0])
    out = {}
    for k, name in enumerate(names):
        values = table[:, 2 + k].reshape(y.size, x.size)
        finite = np.isfinite(values)
        out[name] = GridDensity(x, y, values, float(np.sum(np.exp(values[finite])) * cell),
                                int((~finite).sum()))
    return out


# ------------------------------------------- summaries of the study's CSV
def _select(study, dataset: str, width_factor: float):
    rows = study[(study["dataset"] == dataset) & np.isclose(study["width_factor"], width_factor)]
    if rows.size == 0:
        raise ValueError(f"study: no rows for dataset {dataset!r}, width factor {width_factor}")
    return rows


def study_differences(study, settings):
    """Per-seed held-out differences (LAND minus Gaussian) for each setting.

    Parameters
    ----------
    study : numpy structured array
        ``beyond.csv`` (``land.data.result_path("beyond.csv")``) read with ``np.genfromtxt(..., names=True)``.
    settings : sequence of (str, float)
        ``(dataset, width_factor)`` pairs.

    Returns
    -------
    names : list of str
    paper, corrected : list of ndarray
        Differences with the paper's constant and after renormalising the
        LAND to mass one; failed fits (NaN rows) are left out.
    """
    names, paper, corrected = [], [], []
    for dataset, factor in settings:
        rows = _select(study, dataset, factor)
        ok = rows["status"] == "ok"
        names.append(f"{dataset}, width x{factor:g}")
        paper.append(rows["land_loglik"][ok] - rows["gaussian_loglik"][ok])
        corrected.append(rows["land_loglik_corrected"][ok] - rows["gaussian_loglik"][ok])
    return names, paper, corrected


def study_table(study, settings) -> str:
    """Markdown table of the study: mean +- standard deviation over seeds per setting."""
    def cell(values, digits=2):
        values = np.asarray(values, dtype=float)
        if values.size == 0:
            return "-"
        if values.size == 1:
            return f"{values[0]:.{digits}f}"
        return f"{values.mean():.{digits}f} ± {values.std(ddof=1):.{digits}f}"

    # Plain text headers: math in a Markdown table emitted from code is not typeset.
    lines = ["| data | width factor (width) | LAND, paper's C | LAND, mass 1 | Gaussian "
             "| LAND − Gaussian (mass 1) | κ | failed Logs: held out / fit | fits ok |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for dataset, factor in settings:
        rows = _select(study, dataset, factor)
        ok = rows["status"] == "ok"
        good = rows[ok]
        width = cell(rows["kernel_width"])
        lines.append(
            f"| {dataset} | {factor:g} ({width}) | {cell(good['land_loglik'])} "
            f"| {cell(good['land_loglik_corrected'])} | {cell(good['gaussian_loglik'])} "
            f"| {cell(good['land_loglik_corrected'] - good['gaussian_loglik'])} "
            f"| {cell(good['jacobian_ratio'])} "
            f"| {int(np.sum(good['n_failed_test']))} / {int(np.sum(good['n_failed_fit_log']))} "
            f"| {int(ok.sum())} of {rows.size} |")
    return "\n".join(lines)
