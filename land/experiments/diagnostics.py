"""Convergence diagnostics for LAND fits (book chapter on inferring parameters).

The MLE of :func:`land.fit_land` is an iterative, noisy (Monte Carlo)
procedure; these helpers turn a :class:`~land.FitHistory` into per-iteration
errors against a reference ``(mean, cov, frame)``: the simulation's target,
or a converged estimate.

* :func:`mean_errors`: geodesic distance of every iterate's mean to a point.
* :func:`covariance_errors`: relative Frobenius error of every iterate's
  covariance, after carrying it to the reference point and frame by
  parallel transport (:meth:`land.LandFit.cov_in_frame`).
* :func:`fit_errors`: both of the above at once; :func:`estimate_errors`
  the same for a single estimate.
* :func:`suggested_step_cov`: a covariance step size scaled to the data.
* :func:`iterations_to_tolerance`: the first iteration after which an error
  stays within a tolerance.
* :func:`tail_average`: a low-noise estimate from the last iterates of a fit.

The large-sample limit of a LAND fitted to the report's tangent-Gaussian data
is :func:`land.experiments.compare.matched_land_sd`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from land._validation import as_float_array, check_positive, check_positive_int, check_spd
from land.model.fit import FitHistory, LandFit

__all__ = [
    "FitErrors",
    "fit_errors",
    "estimate_errors",
    "suggested_step_cov",
    "mean_errors",
    "euclidean_mean_errors",
    "relative_frobenius_error",
    "covariance_errors",
    "iterations_to_tolerance",
    "tail_average",
]


def _check_history(history) -> FitHistory:
    if not isinstance(history, FitHistory):
        raise TypeError(f"history: expected a land.FitHistory (fit.history), got {type(history).__name__}")
    return history


def mean_errors(manifold, means, target_mean) -> np.ndarray:
    """Geodesic distance from each mean to ``target_mean``.

    Parameters
    ----------
    manifold : Sphere or LearnedManifold
        Anything with ``dist(point, points)`` over a batch (closed form on
        the sphere; one Log per mean on a learned manifold, which raises
        :class:`~land.GeodesicSolverError` if one fails).
    means : array-like, shape=[n, ambient_dim]
        E.g. ``fit.history.mean``.
    target_mean : array-like, shape=[ambient_dim]

    Returns
    -------
    ndarray, shape=[n]
        Distances in the manifold's units (radians on the unit sphere).
    """
    means = manifold.check_points(means, "means")
    target_mean = manifold.check_points(target_mean, "target_mean")
    if means.ndim != 2:
        raise ValueError(f"means: expected shape (n, {manifold.ambient_dim}), got {means.shape}")
    if target_mean.ndim != 1:
        raise ValueError(f"target_mean: expected a single point, got shape {target_mean.shape}")
    # Both geometries take (one point, a batch): the sphere in closed form, a
    # learned manifold by one Log per mean from the target.
    return np.asarray(manifold.dist(target_mean, means), dtype=float)


def euclidean_mean_errors(means, target_mean) -> np.ndarray:
    """Euclidean (chord) distance ``|mu_k - target_mean|`` of each mean, in ambient units.

    Unlike :func:`mean_errors` this needs no geodesic solve, and it measures
    the means of a learned manifold and of the sphere on the same scale.

    Parameters
    ----------
    means : array-like, shape=[n, D]
    target_mean : array-like, shape=[D]

    Returns
    -------
    ndarray, shape=[n]
    """
    means = as_float_array(means, "means")
    target_mean = as_float_array(target_mean, "target_mean")
    if means.ndim != 2 or target_mean.shape != (means.shape[1],):
        raise ValueError(f"means, target_mean: expected shapes (n, D) and (D,), got {means.shape} "
                         f"and {target_mean.shape}")
    return np.linalg.norm(means - target_mean, axis=1)


def relative_frobenius_error(cov, target_cov) -> float:
    """``|cov - target_cov|_F / |target_cov|_F`` for two covariances in the same frame.

    Parameters
    ----------
    cov, target_cov : array-like, shape=[d, d]
    """
    target_cov = check_spd(target_cov, "target_cov", np.shape(target_cov)[0])
    cov = as_float_array(cov, "cov")
    if cov.shape != target_cov.shape:
        raise ValueError(f"cov: expected shape {target_cov.shape}, got {cov.shape}")
    return float(np.linalg.norm(cov - target_cov) / np.linalg.norm(target_cov))


def covariance_errors(manifold, history, target_mean, target_cov, target_frame) -> np.ndarray:
    """Relative Frobenius error of every iterate's covariance against a target.

    Iterate ``k`` holds ``Sigma_k`` in the frame ``F_k`` at ``mu_k``. The
    frame is carried to ``target_mean`` by parallel transport along the
    geodesic from ``mu_k`` (:meth:`land.LandFit.cov_in_frame`) and ``Sigma_k``
    is rewritten in ``target_frame`` before it is compared.

    Parameters
    ----------
    manifold : Sphere or LearnedManifold
    history : FitHistory
        ``fit.history``.
    target_mean : array-like, shape=[ambient_dim]
    target_cov : array-like, shape=[d, d]
        Covariance in ``target_frame``.
    target_frame : array-like, shape=[ambient_dim, d]
        Orthonormal frame at ``target_mean`` (for the sphere data,
        ``sample.frame``).

    Returns
    -------
    ndarray, shape=[n_iter + 1]
    """
    history = _check_history(history)
    target_cov = check_spd(target_cov, "target_cov", manifold.dim)
    target_frame = as_float_array(target_frame, "target_frame")
    if target_frame.shape != (manifold.ambient_dim, manifold.dim):
        raise ValueError(f"target_frame: expected shape ({manifold.ambient_dim}, {manifold.dim}), "
                         f"got {target_frame.shape}")
    errors = np.empty(history.mean.shape[0])
    for k, (mean, cov, frame) in enumerate(zip(history.mean, history.cov, history.frame)):
        iterate = LandFit(mean, cov, frame, float(history.log_constant[k]), history)
        carried = iterate.cov_in_frame(manifold, target_mean, target_frame)
        errors[k] = relative_frobenius_error(carried, target_cov)
    return errors


class FitErrors(NamedTuple):
    """Per-iteration errors of a fit against a reference (see :func:`fit_errors`).

    Attributes
    ----------
    mean : ndarray, shape=[n_iter + 1]
        Geodesic distance of each iterate's mean to the reference mean.
    cov : ndarray, shape=[n_iter + 1]
        Relative Frobenius error of each iterate's covariance.
    """

    mean: np.ndarray
    cov: np.ndarray


def fit_errors(manifold, history, target_mean, target_cov, target_frame) -> FitErrors:
    """:func:`mean_errors` and :func:`covariance_errors` of ``history`` against one reference.

    Parameters are those of :func:`covariance_errors`.
    """
    history = _check_history(history)
    return FitErrors(mean_errors(manifold, history.mean, target_mean),
                     covariance_errors(manifold, history, target_mean, target_cov, target_frame))


def estimate_errors(manifold, estimate, target_mean, target_cov, target_frame) -> tuple[float, float]:
    """Geodesic mean error and relative Frobenius covariance error of one estimate.

    Parameters
    ----------
    manifold : Sphere or LearnedManifold
    estimate : LandFit
        E.g. a fit, or :func:`tail_average` of one.
    target_mean, target_cov, target_frame
        As in :func:`covariance_errors`.

    Returns
    -------
    mean_error : float
        ``dist(estimate.mean, target_mean)``.
    cov_error : float
        Relative Frobenius error of ``estimate.cov`` carried to
        ``target_mean`` and written in ``target_frame``.
    """
    if not isinstance(estimate, LandFit):
        raise TypeError(f"estimate: expected a land.LandFit, got {type(estimate).__name__}")
    target_cov = check_spd(target_cov, "target_cov", manifold.dim)
    carried = estimate.cov_in_frame(manifold, target_mean, target_frame)
    mean_error = float(mean_errors(manifold, estimate.mean[None, :], target_mean)[0])
    return mean_error, relative_frobenius_error(carried, target_cov)


def suggested_step_cov(manifold, data, init_mean, *, fraction: float = 0.5) -> float:
    """A step size for the covariance factor that suits the scale of the data.

    Near the optimum the update ``A <- A - step_cov A (Q_data - Q_model)``
    (``Q``: second moments of the Log coordinates) shrinks the error of an
    isotropic ``A`` by the factor ``1 - 2 step_cov s^2`` per iteration, where
    ``s^2`` is the data's variance per axis. A fixed ``step_cov`` is
    therefore fast for wide data and nearly frozen for tight data. This
    returns ``fraction / s_hat^2`` with
    ``s_hat^2 = mean_n |Log_{init_mean}(x_n)|^2 / d``, the variance about the
    initial mean; that overestimates ``s^2`` (it includes the initial
    offset), so the factor stays in ``[1 - 2 fraction, 1)`` and the iteration
    stable for ``fraction <= 1``.

    Parameters
    ----------
    manifold : Sphere or LearnedManifold
    data : array-like, shape=[N, ambient_dim]
    init_mean : array-like, shape=[ambient_dim]
    fraction : float
        ``step_cov * s_hat^2`` (> 0, at most 1); 0.5 makes the linearised
        factor 0 when the initial mean is right.

    Returns
    -------
    float
    """
    fraction = check_positive(fraction, "fraction")
    if fraction > 1.0:
        raise ValueError(f"fraction: expected at most 1 (larger steps can diverge), got {fraction}")
    data = manifold.check_points(data, "data")
    init_mean = manifold.check_points(init_mean, "init_mean")
    frame = manifold.frame(init_mean)
    coords = manifold.coordinates(init_mean, frame, manifold.log(init_mean, np.atleast_2d(data)))
    spread = float(np.mean(np.sum(coords**2, axis=-1))) / manifold.dim
    if not spread > 0:
        raise ValueError("data: every point equals init_mean; the spread is zero")
    return fraction / spread


def iterations_to_tolerance(errors, tol: float) -> int | None:
    """First iteration ``k`` with ``errors[j] <= tol`` for every ``j >= k``.

    Parameters
    ----------
    errors : array-like, shape=[n]
        One error per iterate (index 0 is the start).
    tol : float
        Tolerance (> 0), in the units of ``errors``.

    Returns
    -------
    int or None
        ``None`` when the last error is still above ``tol`` (not converged
        within the run).
    """
    errors = as_float_array(errors, "errors")
    if errors.ndim != 1 or errors.size == 0:
        raise ValueError(f"errors: expected a non-empty 1-D array, got shape {errors.shape}")
    tol = check_positive(tol, "tol")
    above = np.flatnonzero(errors > tol)
    if above.size == 0:
        return 0
    if above[-1] == errors.size - 1:
        return None
    return int(above[-1] + 1)


def tail_average(manifold, fit, n_last: int) -> LandFit:
    """Average of the last ``n_last`` iterates of a fit: a low-noise estimate of its limit.

    With fresh Monte Carlo draws at every step, the iterates of a converged
    fit jitter around the MLE; averaging them removes most of that jitter.
    The means are averaged in the tangent space of the last mean (one
    Karcher step), the covariances after carrying each to the averaged mean.

    Parameters
    ----------
    manifold : Sphere or LearnedManifold
    fit : LandFit
    n_last : int
        Number of final iterates to average (1 to ``n_iter + 1``).

    Returns
    -------
    LandFit
        The averaged ``mean``, ``cov`` (in ``frame = manifold.frame(mean)``)
        and ``log_constant``; ``history`` and ``settings`` are those of
        ``fit``, so :meth:`~land.LandFit.cov_in_frame` works as usual.
    """
    if not isinstance(fit, LandFit):
        raise TypeError(f"fit: expected a land.LandFit, got {type(fit).__name__}")
    history = fit.history
    n_last = check_positive_int(n_last, "n_last")
    if n_last > history.mean.shape[0]:
        raise ValueError(f"n_last: expected at most {history.mean.shape[0]} iterates, got {n_last}")
    tail = range(history.mean.shape[0] - n_last, history.mean.shape[0])
    anchor = history.mean[-1]
    mean = manifold.exp(anchor, np.mean(manifold.log(anchor, history.mean[tail.start:]), axis=0))
    frame = manifold.frame(mean)
    covs = [LandFit(history.mean[k], history.cov[k], history.frame[k], 0.0, history)
            .cov_in_frame(manifold, mean, frame) for k in tail]
    cov = np.mean(covs, axis=0)
    log_constant = float(np.mean(history.log_constant[tail.start:]))
    return LandFit(mean, 0.5 * (cov + cov.T), frame, log_constant, history, dict(fit.settings))
