"""The LAND model: normalising constant, objective, gradients and the MLE.

Notation (report section 3; Arvanitidis, Hansen and Hauberg 2016). The
model works in coordinates of an orthonormal tangent frame ``F`` at the mean
``mu`` (``manifold.frame``); ``Sigma`` is the covariance in that frame and
``A`` any factor of the precision, ``Sigma^{-1} = A^T A``. With
``L_n`` the coordinates of ``Log_mu(x_n)``:

    phi(mu, A) = 1/(2N) sum_n L_n^T A^T A L_n + log C(mu, Sigma),
    C(mu, Sigma) = int m(mu, v) exp(-v^T Sigma^{-1} v / 2) dv
                 ~ Z / S sum_s m(mu, v_s),   v_s ~ N(0, Sigma),  Z = sqrt((2 pi)^d |Sigma|),

where ``m`` is the manifold's volume density in normal coordinates.

The same code serves :class:`~land.Sphere` and :class:`~land.LearnedManifold`;
it only calls the manifold methods ``frame``, ``coordinates``, ``solve_log``,
``exp``, ``transport_frame``, ``solve_volume_density`` and ``log_jacobian``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from land._validation import check_generator, check_positive, check_positive_int, check_spd
from land.geodesic import GeodesicResult, GeodesicSolverError

__all__ = [
    "NormalisingConstant",
    "LandEvaluation",
    "FitHistory",
    "LandFit",
    "normalising_constant",
    "objective_and_gradients",
    "evaluate_land",
    "fit_land",
    "log_density",
    "precision_factor",
    "covariance_from_factor",
]


# ---------------------------------------------------------------- utilities
def precision_factor(cov) -> np.ndarray:
    """A factor ``A`` with ``A^T A = cov^{-1}``: the inverse Cholesky factor of ``cov``."""
    cov = np.asarray(cov, dtype=float)
    return np.linalg.inv(np.linalg.cholesky(cov))


def covariance_from_factor(factor) -> np.ndarray:
    """``(A^T A)^{-1}``, symmetrised."""
    factor = np.asarray(factor, dtype=float)
    cov = np.linalg.inv(factor.T @ factor)
    return 0.5 * (cov + cov.T)


def _check_mean(manifold, mean, name="mean"):
    mean = manifold.check_points(mean, name)
    if mean.ndim != 1:
        raise ValueError(f"{name}: expected a single point of shape ({manifold.ambient_dim},), "
                         f"got {mean.shape}")
    return mean


def _check_data(manifold, data, name="data"):
    data = manifold.check_points(data, name)
    if data.ndim != 2:
        raise ValueError(f"{name}: expected shape (N, {manifold.ambient_dim}), got {data.shape}")
    return data


# ------------------------------------------------------ normalising constant
@dataclass(frozen=True)
class NormalisingConstant:
    """Monte Carlo estimate of ``C(mu, Sigma)``.

    Attributes
    ----------
    value : float
        ``Z * mean(m_s)`` over the converged samples.
    std_error : float
        Its standard error, ``Z * std(m_s) / sqrt(S)``.
    tangent_coords : ndarray, shape=[S, d]
        The draws ``v_s ~ N(0, Sigma)`` in frame coordinates.
    volume : ndarray, shape=[S]
        ``m(mu, v_s)`` (0 for failed solves and beyond the injectivity radius).
    converged : ndarray of bool, shape=[S]
        Whether the Exp behind each ``m(mu, v_s)`` converged; failed draws are
        left out of ``value`` and counted in ``n_failed``.
    log_z : float
        ``log Z`` of the Euclidean Gaussian.
    """

    value: float
    std_error: float
    tangent_coords: np.ndarray
    volume: np.ndarray
    converged: np.ndarray
    log_z: float

    @property
    def log_value(self) -> float:
        return float(np.log(self.value))

    @property
    def n_failed(self) -> int:
        return int(self.converged.size - np.count_nonzero(self.converged))


def _estimate_constant(manifold, mean, frame, cov, n_samples, rng) -> NormalisingConstant:
    dim = manifold.dim
    coords = rng.standard_normal((n_samples, dim)) @ np.linalg.cholesky(cov).T
    density = manifold.solve_volume_density(mean, frame, coords)
    good = density.value[density.converged]
    if good.size == 0:
        raise GeodesicSolverError("normalising_constant: every Monte Carlo Exp failed")
    log_z = 0.5 * (dim * np.log(2 * np.pi) + np.linalg.slogdet(cov)[1])
    z = np.exp(log_z)
    spread = np.std(good, ddof=1) if good.size > 1 else np.inf
    return NormalisingConstant(float(z * good.mean()), float(z * spread / np.sqrt(good.size)),
                               coords, density.value, density.converged, float(log_z))


def normalising_constant(manifold, mean, cov, n_samples: int, rng: np.random.Generator, *,
                         frame=None) -> NormalisingConstant:
    """Monte Carlo estimate of the LAND normalising constant.

    Parameters
    ----------
    manifold : Sphere or LearnedManifold
    mean : array-like, shape=[ambient_dim]
    cov : array-like, shape=[dim, dim]
        Covariance in ``frame`` (default ``manifold.frame(mean)``).
    n_samples : int
        Number of tangent draws ``S`` (>= 1).
    rng : numpy.random.Generator
    """
    mean = _check_mean(manifold, mean)
    cov = check_spd(cov, "cov", manifold.dim)
    n_samples = check_positive_int(n_samples, "n_samples")
    rng = check_generator(rng)
    frame = manifold.frame(mean) if frame is None else np.asarray(frame, dtype=float)
    return _estimate_constant(manifold, mean, frame, cov, n_samples, rng)


# --------------------------------------------------- objective and gradients
@dataclass(frozen=True)
class LandEvaluation:
    """Objective and gradients at one ``(mu, A)``.

    Attributes
    ----------
    objective : float
        ``phi(mu, A)`` with the Monte Carlo ``log C``.
    grad_mean : ndarray, shape=[d]
        Riemannian gradient with respect to the mean, in frame coordinates.
    grad_factor : ndarray, shape=[d, d]
        Gradient with respect to ``A``.
    data_coords : ndarray, shape=[N_ok, d]
        ``Log_mu(x_n)`` in frame coordinates for the converged Logs.
    constant : NormalisingConstant or None
    n_failed_log : int
        Data points whose Log did not converge; they are left out of the
        data term of this evaluation.
    data_logs : ndarray, shape=[N, ambient_dim]
        All Log vectors (ambient), converged or not; the next evaluation of a
        fit warm-starts its Log solves from them.
    log_result : GeodesicResult or None
        The Log solve behind ``data_coords`` (reused when only ``A`` changes).
    """

    objective: float
    grad_mean: np.ndarray
    grad_factor: np.ndarray
    data_coords: np.ndarray
    constant: NormalisingConstant | None = None
    n_failed_log: int = 0
    data_logs: np.ndarray | None = field(default=None, repr=False)
    log_result: GeodesicResult | None = field(default=None, repr=False)


def objective_and_gradients(manifold, mean, frame, factor, data_coords, sample_coords,
                            sample_volume, weights=None) -> LandEvaluation:
    """``phi`` and its gradients for given Log coordinates and Monte Carlo draws.

    This is deterministic: it differentiates the Monte Carlo objective with
    the draws held fixed on the manifold (importance weights ``w_s`` equal to
    ``m_s / sum m`` at the current parameters). Then

        grad_A    = A (1/N sum_n L_n L_n^T - sum_s w_s v_s v_s^T),
        grad_mean = 1/N sum_n J_n^T P L_n - sum_s w_s J_s^T P L_s,   P = A^T A,

    with ``J = manifold.log_jacobian``, the derivative of Log coordinates
    with respect to the mean. With ``J = -I`` (the LAND paper's
    approximation) the last line is the paper's ``-P (mean L - sum w v)``.

    Parameters
    ----------
    factor : array-like, shape=[d, d]
        ``A``, with ``Sigma^{-1} = A^T A``; the draws must come from
        ``N(0, Sigma)``.
    data_coords : array-like, shape=[N, d]
    sample_coords : array-like, shape=[S, d]
    sample_volume : array-like, shape=[S]
        ``m(mu, v_s)``, 0 for draws to leave out.
    weights : array-like, shape=[N], optional
        Non-negative weights ``r_n`` of the data points (e.g. EM
        responsibilities), normalised here to sum to one; every ``1/N sum_n``
        above becomes ``sum_n r_n / sum r``. ``None`` (default) gives equal
        weights, computed exactly as without the argument.
    """
    factor = np.asarray(factor, dtype=float)
    data_coords = np.asarray(data_coords, dtype=float)
    sample_coords = np.asarray(sample_coords, dtype=float)
    sample_volume = np.asarray(sample_volume, dtype=float)
    data_weights = None
    if weights is not None:
        weights = np.asarray(weights, dtype=float)
        if weights.shape != (data_coords.shape[0],):
            raise ValueError(f"weights: expected shape ({data_coords.shape[0]},), got {weights.shape}")
        if not np.all(np.isfinite(weights)) or np.any(weights < 0) or not weights.sum() > 0:
            raise ValueError("weights: expected finite non-negative values with a positive sum")
        data_weights = weights / weights.sum()
    dim = factor.shape[0]
    precision = factor.T @ factor
    total_volume = sample_volume.sum()
    if not total_volume > 0:
        raise GeodesicSolverError("objective: no Monte Carlo draw has positive volume density")
    weights = sample_volume / total_volume
    log_z = 0.5 * dim * np.log(2 * np.pi) - np.linalg.slogdet(factor)[1]
    log_c = log_z + np.log(total_volume / sample_volume.size)
    if data_weights is None:
        data_term = 0.5 * np.mean(np.einsum("ni,ij,nj->n", data_coords, precision, data_coords))
        scatter_data = data_coords.T @ data_coords / data_coords.shape[0]
    else:
        data_term = 0.5 * data_weights @ np.einsum("ni,ij,nj->n", data_coords, precision,
                                                   data_coords)
        scatter_data = (data_coords * data_weights[:, None]).T @ data_coords
    scatter_model = (sample_coords * weights[:, None]).T @ sample_coords
    grad_factor = factor @ (scatter_data - scatter_model)

    used = weights > 0
    jac_data = manifold.log_jacobian(mean, frame, data_coords)
    jac_samples = manifold.log_jacobian(mean, frame, sample_coords[used])
    if data_weights is None:
        pull_data = (np.einsum("nji,jk,nk->i", jac_data, precision, data_coords)
                     / data_coords.shape[0])
    else:
        pull_data = np.einsum("n,nji,jk,nk->i", data_weights, jac_data, precision, data_coords)
    pull_samples = np.einsum("s,sji,jk,sk->i", weights[used], jac_samples, precision,
                             sample_coords[used])
    return LandEvaluation(float(data_term + log_c), pull_data - pull_samples, grad_factor,
                          data_coords)


def _evaluate(manifold, data, mean, frame, factor, n_samples, rng, initial_logs=None, logs=None):
    if logs is None:
        logs = manifold.solve_log(mean, data, initial_velocities=initial_logs)
    if not np.any(logs.converged):
        raise GeodesicSolverError("evaluate_land: no data point's Log converged")
    coords = manifold.coordinates(mean, frame, logs.value[logs.converged])
    cov = covariance_from_factor(factor)
    constant = _estimate_constant(manifold, mean, frame, cov, n_samples, rng)
    core = objective_and_gradients(manifold, mean, frame, factor, coords,
                                   constant.tangent_coords, constant.volume)
    return LandEvaluation(core.objective, core.grad_mean, core.grad_factor, coords, constant,
                          logs.n_failed, logs.value, logs)


def evaluate_land(manifold, data, mean, cov, *, n_samples: int, rng: np.random.Generator,
                  frame=None) -> LandEvaluation:
    """Objective and gradients of the LAND at ``(mean, cov)`` with fresh Monte Carlo draws.

    ``cov`` is in ``frame`` (default ``manifold.frame(mean)``); gradients are
    in the same frame. Data points whose Log fails are left out and counted.
    """
    mean = _check_mean(manifold, mean)
    data = _check_data(manifold, data)
    cov = check_spd(cov, "cov", manifold.dim)
    n_samples = check_positive_int(n_samples, "n_samples")
    rng = check_generator(rng)
    frame = manifold.frame(mean) if frame is None else np.asarray(frame, dtype=float)
    return _evaluate(manifold, data, mean, frame, precision_factor(cov), n_samples, rng)


def log_density(manifold, points, mean, cov, log_constant: float, *, frame=None) -> np.ndarray:
    """``log p(x) = -Log_mu(x)^T Sigma^{-1} Log_mu(x) / 2 - log C`` for each point.

    The density is with respect to the manifold's Riemannian volume measure.
    Points whose Log fails raise :class:`~land.GeodesicSolverError`.
    """
    mean = _check_mean(manifold, mean)
    cov = check_spd(cov, "cov", manifold.dim)
    frame = manifold.frame(mean) if frame is None else np.asarray(frame, dtype=float)
    coords = manifold.coordinates(mean, frame, manifold.log(mean, points))
    return -0.5 * np.einsum("...i,ij,...j->...", coords, np.linalg.inv(cov), coords) - log_constant


# ------------------------------------------------------------------ the MLE
@dataclass(frozen=True)
class FitHistory:
    """Per-iteration record of :func:`fit_land` (index 0 is the start).

    Attributes
    ----------
    objective : ndarray, shape=[n_iter + 1]
        ``phi`` at the parameters of each iterate (fresh Monte Carlo draws).
    mean : ndarray, shape=[n_iter + 1, ambient_dim]
    cov : ndarray, shape=[n_iter + 1, d, d]
        Covariance in the frame of the same iterate.
    frame : ndarray, shape=[n_iter + 1, ambient_dim, d]
    log_constant : ndarray, shape=[n_iter + 1]
    grad_mean_norm : ndarray, shape=[n_iter + 1]
    n_failed_log : ndarray of int, shape=[n_iter + 1]
        Data Logs that failed at each iterate (left out of that iterate).
    n_failed_exp : ndarray of int, shape=[n_iter + 1]
        Monte Carlo Exps that failed at each iterate (left out of ``C``).
    """

    objective: np.ndarray
    mean: np.ndarray
    cov: np.ndarray
    frame: np.ndarray
    log_constant: np.ndarray
    grad_mean_norm: np.ndarray
    n_failed_log: np.ndarray
    n_failed_exp: np.ndarray


@dataclass(frozen=True)
class LandFit:
    """Result of :func:`fit_land`.

    Attributes
    ----------
    mean : ndarray, shape=[ambient_dim]
    cov : ndarray, shape=[d, d]
        Covariance in ``frame``.
    frame : ndarray, shape=[ambient_dim, d]
        Orthonormal tangent frame at ``mean``, carried from the initial frame
        by parallel transport along the mean's path.
    log_constant : float
        Monte Carlo ``log C`` at the final parameters.
    history : FitHistory
    settings : dict
        The step sizes, iteration and sample counts used.
    """

    mean: np.ndarray
    cov: np.ndarray
    frame: np.ndarray
    log_constant: float
    history: FitHistory
    settings: dict = field(default_factory=dict)

    @property
    def cov_ambient(self) -> np.ndarray:
        """The covariance as an ambient matrix ``F Sigma F^T``."""
        return self.frame @ self.cov @ self.frame.T

    def cov_in_frame(self, manifold, base_point, frame) -> np.ndarray:
        """The fitted covariance carried to ``base_point`` and written in ``frame``.

        The fitted frame is parallel transported along the geodesic from the
        fitted mean to ``base_point``; use this to compare with a covariance
        given in another frame (e.g. the true one in a simulation).
        """
        base_point = _check_mean(manifold, base_point, "base_point")
        moved = manifold.transport_frame(self.mean, manifold.log(self.mean, base_point), self.frame)
        change = manifold.coordinates(base_point, np.asarray(frame, dtype=float), moved.T).T
        return change @ self.cov @ change.T


def fit_land(manifold, data, *, init_mean, init_cov, n_iter: int = 100, step_mean: float = 0.1,
             step_cov: float = 0.1, n_samples: int = 1000, rng: np.random.Generator,
             init_frame=None) -> LandFit:
    """Maximum likelihood LAND by the LAND paper's fixed-step gradient algorithm.

    Each iteration (as in Algorithm 1 of the paper):

    1. estimate ``C`` and the gradient at ``(mu, A)``; move the mean along
       ``Exp_mu(step_mean * F d)`` with ``d = -Sigma grad_mean`` (the
       gradient preconditioned by ``Sigma``, which is a descent direction
       whose size does not depend on the conditioning of ``Sigma``), and carry
       the frame ``F`` along by parallel transport so ``Sigma`` does not spin;
    2. estimate ``C`` and the gradient again at the new mean and take
       ``A <- A - step_cov * grad_A``; ``Sigma = (A^T A)^{-1}`` stays
       positive definite whatever the step.

    Failed geodesic solves are never replaced: a data point whose Log fails
    is left out of that evaluation, a failed Monte Carlo Exp is left out of
    ``C``, and both are counted in ``history``. A failed mean step raises.

    Parameters
    ----------
    manifold : Sphere or LearnedManifold
    data : array-like, shape=[N, ambient_dim]
    init_mean : array-like, shape=[ambient_dim]
    init_cov : array-like, shape=[d, d]
        Initial covariance in ``init_frame`` (default ``manifold.frame(init_mean)``).
    n_iter : int
    step_mean, step_cov : float
        Fixed step sizes (> 0).
    n_samples : int
        Monte Carlo draws per estimate of ``C``.
    rng : numpy.random.Generator
    """
    data = _check_data(manifold, data)
    mean = _check_mean(manifold, init_mean, "init_mean")
    cov = check_spd(init_cov, "init_cov", manifold.dim)
    n_iter = check_positive_int(n_iter, "n_iter")
    step_mean = check_positive(step_mean, "step_mean")
    step_cov = check_positive(step_cov, "step_cov")
    n_samples = check_positive_int(n_samples, "n_samples")
    rng = check_generator(rng)
    frame = manifold.frame(mean) if init_frame is None else np.asarray(init_frame, dtype=float)
    factor = precision_factor(cov)

    records = {key: [] for key in FitHistory.__dataclass_fields__}

    def record(evaluation):
        records["objective"].append(evaluation.objective)
        records["mean"].append(mean)
        records["cov"].append(covariance_from_factor(factor))
        records["frame"].append(frame)
        records["log_constant"].append(evaluation.constant.log_value)
        records["grad_mean_norm"].append(np.linalg.norm(evaluation.grad_mean))
        records["n_failed_log"].append(evaluation.n_failed_log)
        records["n_failed_exp"].append(evaluation.constant.n_failed)

    evaluation = _evaluate(manifold, data, mean, frame, factor, n_samples, rng)
    record(evaluation)
    for _ in range(n_iter):
        direction = -covariance_from_factor(factor) @ evaluation.grad_mean
        step = step_mean * (frame @ direction)
        mean, frame = manifold.exp(mean, step), manifold.transport_frame(mean, step, frame)
        # Warm start: to first order, Log_{mu + step}(x) = Log_mu(x) - step.
        evaluation = _evaluate(manifold, data, mean, frame, factor, n_samples, rng,
                               evaluation.data_logs - step)
        factor = factor - step_cov * evaluation.grad_factor
        # Same mean, so the same Logs: only C and the gradients change with A.
        evaluation = _evaluate(manifold, data, mean, frame, factor, n_samples, rng,
                               logs=evaluation.log_result)
        record(evaluation)

    history = FitHistory(**{key: np.asarray(value) for key, value in records.items()})
    settings = dict(n_iter=n_iter, step_mean=step_mean, step_cov=step_cov, n_samples=n_samples)
    return LandFit(mean, covariance_from_factor(factor), frame, float(history.log_constant[-1]),
                   history, settings)
