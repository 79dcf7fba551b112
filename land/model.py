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
from scipy.stats import norm, qmc
from threadpoolctl import threadpool_limits

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
    "qmc_normals",
    "ALGORITHMS",
]

#: The fitting algorithms of :func:`fit_land`.
ALGORITHMS = ("natural", "paper")
_VOLUMES = ("paper", "exact")
_SAMPLINGS = ("qmc", "mc")


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

    @property
    def effective_draws(self) -> float:
        """Kish's effective sample size ``(sum m)^2 / sum m^2`` of the converged draws."""
        good = self.volume[self.converged]
        total = float(np.sum(good**2))
        return float(np.sum(good) ** 2 / total) if total > 0 else 0.0


def qmc_normals(n_samples: int, dim: int, rng: np.random.Generator, *, n_blocks: int = 8) -> np.ndarray:
    """Randomised quasi-Monte Carlo standard normal draws: ``n_blocks`` scrambled Sobol' sets.

    Each block is an independently scrambled (seeded from ``rng``) Sobol'
    sequence of ``2^m`` points, ``m`` the smallest with ``n_blocks 2^m >=
    n_samples``, mapped through the normal quantile function. Over smooth
    integrands its error falls nearly as ``1/S`` instead of ``1/sqrt(S)``,
    and the spread between the independent blocks gives an honest standard
    error.

    Parameters
    ----------
    n_samples : int
        Least number of draws; the result has ``n_blocks * 2^m >= n_samples`` rows.
    dim : int
    rng : numpy.random.Generator
    n_blocks : int

    Returns
    -------
    ndarray, shape=[n_blocks * 2^m, dim]
        Block ``b`` is rows ``b * 2^m`` to ``(b + 1) * 2^m``.
    """
    n_samples = check_positive_int(n_samples, "n_samples")
    n_blocks = check_positive_int(n_blocks, "n_blocks")
    rng = check_generator(rng)
    power = max(0, int(np.ceil(np.log2(n_samples / n_blocks))))
    blocks = [qmc.Sobol(d=dim, scramble=True, seed=rng).random_base2(power) for _ in range(n_blocks)]
    uniform = np.clip(np.concatenate(blocks), 1e-12, 1.0 - 1e-12)
    return norm.ppf(uniform)


def _estimate_constant(manifold, mean, frame, cov, n_samples, rng, *, normals=None,
                       volume="paper") -> NormalisingConstant:
    dim = manifold.dim
    if normals is None:
        normals = rng.standard_normal((n_samples, dim))
    coords = normals @ np.linalg.cholesky(cov).T
    density = manifold.solve_volume_density(mean, frame, coords, exp_jacobian=volume == "exact")
    good = density.value[density.converged]
    if good.size == 0:
        raise GeodesicSolverError("normalising_constant: every Monte Carlo Exp failed")
    log_z = 0.5 * (dim * np.log(2 * np.pi) + np.linalg.slogdet(cov)[1])
    z = np.exp(log_z)
    spread = np.std(good, ddof=1) if good.size > 1 else np.inf
    return NormalisingConstant(float(z * good.mean()), float(z * spread / np.sqrt(good.size)),
                               coords, density.value, density.converged, float(log_z))


def normalising_constant(manifold, mean, cov, n_samples: int, rng: np.random.Generator, *,
                         frame=None, sampling: str = "mc", volume: str = "paper") -> NormalisingConstant:
    """Monte Carlo estimate of the LAND normalising constant.

    ``sampling="qmc"`` uses :func:`qmc_normals` (at least ``n_samples``
    randomised quasi-Monte Carlo draws) instead of plain draws, and
    ``volume="exact"`` includes the Jacobian of Exp in the volume term
    (see ``solve_volume_density``); the defaults are the paper's.

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
    sampling, volume = _check_choice(sampling, "sampling", _SAMPLINGS), _check_choice(volume, "volume", _VOLUMES)
    frame = manifold.frame(mean) if frame is None else np.asarray(frame, dtype=float)
    normals = qmc_normals(n_samples, manifold.dim, rng) if sampling == "qmc" else None
    return _estimate_constant(manifold, mean, frame, cov, n_samples, rng, normals=normals,
                              volume=volume)


def _check_choice(value, name, choices):
    if value not in choices:
        raise ValueError(f"{name}: expected one of {choices}, got {value!r}")
    return value


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
                            sample_volume, weights=None, sample_converged=None) -> LandEvaluation:
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
    sample_converged : array-like of bool, shape=[S], optional
        Which draws' Exps converged. Failed draws are left out of ``log C``
        (its Monte Carlo mean runs over the converged draws), exactly as in
        :class:`NormalisingConstant`; by default every draw counts.
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
    n_used = sample_volume.size if sample_converged is None else int(np.count_nonzero(sample_converged))
    log_c = log_z + np.log(total_volume / n_used)
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


def _evaluate(manifold, data, mean, frame, factor, n_samples, rng, initial_logs=None, logs=None,
              normals=None, volume="paper"):
    if logs is None:
        logs = manifold.solve_log(mean, data, initial_velocities=initial_logs)
    if not np.any(logs.converged):
        raise GeodesicSolverError("evaluate_land: no data point's Log converged")
    coords = manifold.coordinates(mean, frame, logs.value[logs.converged])
    cov = covariance_from_factor(factor)
    constant = _estimate_constant(manifold, mean, frame, cov, n_samples, rng, normals=normals,
                                  volume=volume)
    core = objective_and_gradients(manifold, mean, frame, factor, coords,
                                   constant.tangent_coords, constant.volume,
                                   sample_converged=constant.converged)
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
    effective_draws : ndarray, shape=[n_iter + 1]
        Kish's effective number of Monte Carlo draws behind ``C``.
    gradient : ndarray, shape=[n_iter + 1]
        Norm of the whitened gradient ``(L^T grad_mean, grad_A A^T)``
        (``Sigma = L L^T``): dimensionless, 0 at a stationary point.
    gradient_noise : ndarray, shape=[n_iter + 1]
        Its Monte Carlo standard error, from the spread between blocks of draws.
    """

    objective: np.ndarray
    mean: np.ndarray
    cov: np.ndarray
    frame: np.ndarray
    log_constant: np.ndarray
    grad_mean_norm: np.ndarray
    n_failed_log: np.ndarray
    n_failed_exp: np.ndarray
    effective_draws: np.ndarray
    gradient: np.ndarray
    gradient_noise: np.ndarray


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
        The algorithm, step sizes, iteration and sample counts used.
    converged : bool
        Whether the stopping rule was met (always False for the paper's
        fixed-step algorithm, which has none).
    stop_reason : str
        Why the fit stopped: ``"gradient within Monte Carlo noise"``,
        ``"iteration limit"``, ``"fixed number of iterations"`` (paper) or
        ``"diverged: ..."`` with the cause; a diverged fit returns its last
        sound iterate and its history up to there.
    n_iter : int
        Iterations taken.
    """

    mean: np.ndarray
    cov: np.ndarray
    frame: np.ndarray
    log_constant: float
    history: FitHistory
    settings: dict = field(default_factory=dict)
    converged: bool = False
    stop_reason: str = ""
    n_iter: int = 0

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


def _initial_parameters(manifold, data, init_mean, init_cov, init_frame):
    """Defaults of :func:`fit_land`: the data point nearest the Euclidean mean, and the Log covariance."""
    if init_mean is None:
        init_mean = data[np.argmin(np.sum((data - data.mean(axis=0)) ** 2, axis=1))]
    mean = _check_mean(manifold, init_mean, "init_mean")
    frame = manifold.frame(mean) if init_frame is None else np.asarray(init_frame, dtype=float)
    logs = None
    if init_cov is None:
        logs = manifold.solve_log(mean, data)
        if not np.any(logs.converged):
            raise GeodesicSolverError("fit_land: no data point's Log converged at the initial mean")
        coords = manifold.coordinates(mean, frame, logs.value[logs.converged])
        scatter = coords.T @ coords / coords.shape[0]
        init_cov = 0.5 * (scatter + scatter.T) + 1e-9 * np.trace(scatter) * np.eye(manifold.dim)
    return mean, frame, check_spd(init_cov, "init_cov", manifold.dim), logs


def _whitened_gradient(evaluation, factor, blocks):
    """Whitened gradient norm and its Monte Carlo standard error from ``blocks`` of draws.

    With ``Sigma = L L^T`` the whitened mean gradient is ``L^T grad_mean`` and
    the covariance one ``K = grad_A A^T = A (S_data - S_model) A^T``; both
    are dimensionless. Only the model part (the weighted draws) is random,
    so the error comes from recomputing it on each block of draws.
    """
    chol = np.linalg.cholesky(covariance_from_factor(factor))
    g_mean = chol.T @ evaluation.grad_mean
    k_mat = evaluation.grad_factor @ factor.T
    norm_now = float(np.sqrt(g_mean @ g_mean + np.sum(k_mat**2)))
    constant = evaluation.constant
    coords, volume = constant.tangent_coords, np.where(constant.converged, constant.volume, 0.0)
    precision = factor.T @ factor
    parts = []
    for rows in blocks:
        vol = volume[rows]
        if not vol.sum() > 0:
            return norm_now, np.inf
        w = vol / vol.sum()
        scatter = (coords[rows] * w[:, None]).T @ coords[rows]
        pull = precision @ (w @ coords[rows])             # the -I approximation's model part
        parts.append(np.concatenate([chol.T @ pull, (factor @ scatter @ factor.T).ravel()]))
    parts = np.array(parts)
    noise = float(np.sqrt(np.sum(np.var(parts, axis=0, ddof=1)) / len(blocks)))
    return norm_now, noise


def _natural_factor_step(factor, grad_factor, step):
    """``A <- expm(-step K / 2) A`` with the symmetric ``K = grad_A A^T``.

    In whitened terms ``K = A S_data A^T - A S_model A^T``; for a Euclidean
    Gaussian (``S_model = Sigma``) the step at ``step = 1`` is, to first
    order, the exact update ``Sigma <- S_data``, whatever the eigenvalues of
    ``Sigma``. The result is invertible for any step, so ``Sigma`` stays SPD.
    """
    k_mat = grad_factor @ factor.T
    k_mat = 0.5 * (k_mat + k_mat.T)
    values, vectors = np.linalg.eigh(k_mat)
    return (vectors * np.exp(-0.5 * step * values)) @ vectors.T @ factor


def fit_land(manifold, data, *, rng: np.random.Generator, init_mean=None, init_cov=None,
             n_iter: int | None = None, step_mean: float | None = None,
             step_cov: float | None = None, n_samples: int | None = None, init_frame=None,
             algorithm: str = "natural", volume: str = "paper", patience: int = 3) -> LandFit:
    """Maximum likelihood LAND by preconditioned gradient steps.

    Each iteration moves the mean along ``Exp_mu(step_mean * F d)`` with
    ``d = -Sigma grad_mean`` (a descent direction whose size does not depend
    on the conditioning of ``Sigma``), carries the frame ``F`` along by
    parallel transport so ``Sigma`` does not spin, re-estimates ``C`` and the
    gradients at the new mean and updates the precision factor ``A``
    (``Sigma^{-1} = A^T A``). Two algorithms:

    ``"natural"`` (default)
        ``A <- expm(-step_cov K / 2) A`` with the whitened gradient
        ``K = grad_A A^T``, whose rate does not depend on the eigenvalues of
        ``Sigma`` (see :func:`_natural_factor_step`); one set of randomised
        quasi-Monte Carlo draws (:func:`qmc_normals`, common random numbers)
        serves every iteration, so the objective is a smooth deterministic
        function of the parameters; the fit stops when the whitened gradient
        is below its Monte Carlo standard error for ``patience`` iterations
        in a row, and returns the average of those iterates.
    ``"paper"``
        The LAND paper's fixed-step algorithm as the report ran it:
        ``A <- A - step_cov grad_A``, fresh plain Monte Carlo draws for every
        estimate, exactly ``n_iter`` iterations, no stopping rule.

    Failed geodesic solves are never replaced: a data point whose Log fails
    is left out of that evaluation, a failed Monte Carlo Exp is left out of
    ``C`` and its objective alike, and both are counted in ``history``. A fit
    that diverges (non-finite values, a covariance that blows up or collapses,
    a failed mean step) stops with ``stop_reason`` saying why and returns its
    last sound iterate with the history up to there.

    Parameters
    ----------
    manifold : Sphere or LearnedManifold
    data : array-like, shape=[N, ambient_dim]
    rng : numpy.random.Generator
    init_mean : array-like, shape=[ambient_dim], optional
        Default: the data point nearest the Euclidean mean of the data.
    init_cov : array-like, shape=[d, d], optional
        Initial covariance in ``init_frame``. Default: the covariance of the
        Log coordinates of the data at the initial mean.
    n_iter : int, optional
        Most iterations (natural, default 100) or the number of iterations
        (paper, default 100).
    step_mean, step_cov : float, optional
        Step sizes (> 0); defaults 0.5 and 0.5 (natural) or 0.1 and 0.1 (paper).
    n_samples : int, optional
        Monte Carlo draws per estimate of ``C``: default 1024 (natural,
        rounded up to 8 blocks of a power of two) or 1000 (paper).
    init_frame : array-like, shape=[ambient_dim, d], optional
    algorithm : {"natural", "paper"}
    volume : {"paper", "exact"}
        Volume term of ``C``: the paper's approximation (default, as the
        report) or the exact one with the Jacobian of Exp (learned manifolds;
        the sphere's is exact either way).
    patience : int
        Consecutive iterations the stopping rule must hold (natural).

    Returns
    -------
    LandFit
    """
    data = _check_data(manifold, data)
    rng = check_generator(rng)
    algorithm = _check_choice(algorithm, "algorithm", ALGORITHMS)
    volume = _check_choice(volume, "volume", _VOLUMES)
    paper = algorithm == "paper"
    n_iter = check_positive_int(100 if n_iter is None else n_iter, "n_iter")
    step_mean = check_positive((0.1 if paper else 0.5) if step_mean is None else step_mean, "step_mean")
    step_cov = check_positive((0.1 if paper else 0.5) if step_cov is None else step_cov, "step_cov")
    n_samples = check_positive_int((1000 if paper else 1024) if n_samples is None else n_samples,
                                   "n_samples")
    patience = check_positive_int(patience, "patience")
    with threadpool_limits(limits=1, user_api="blas"):
        return _fit(manifold, data, rng, init_mean, init_cov, init_frame, n_iter, step_mean,
                    step_cov, n_samples, paper, volume, patience)


def _fit(manifold, data, rng, init_mean, init_cov, init_frame, n_iter, step_mean, step_cov,
         n_samples, paper, volume, patience):
    mean, frame, cov, first_logs = _initial_parameters(manifold, data, init_mean, init_cov, init_frame)
    factor = precision_factor(cov)
    normals = None if paper else qmc_normals(n_samples, manifold.dim, rng)
    n_draws = n_samples if paper else normals.shape[0]
    blocks = np.array_split(np.arange(n_draws), 8)       # natural: the 8 Sobol' blocks exactly
    settings = dict(algorithm="paper" if paper else "natural", n_iter=n_iter, step_mean=step_mean,
                    step_cov=step_cov, n_samples=n_draws, volume=volume)
    if not paper:
        settings["patience"] = patience
    records = {key: [] for key in FitHistory.__dataclass_fields__}
    start_scale = np.linalg.eigvalsh(cov).max()

    def record(evaluation):
        gradient, noise = _whitened_gradient(evaluation, factor, blocks)
        values = dict(objective=evaluation.objective, mean=mean, cov=covariance_from_factor(factor),
                      frame=frame, log_constant=evaluation.constant.log_value,
                      grad_mean_norm=np.linalg.norm(evaluation.grad_mean),
                      n_failed_log=evaluation.n_failed_log, n_failed_exp=evaluation.constant.n_failed,
                      effective_draws=evaluation.constant.effective_draws, gradient=gradient,
                      gradient_noise=noise)
        for key, value in values.items():
            records[key].append(value)
        return gradient, noise

    def unsound(evaluation):
        eig = np.linalg.eigvalsh(covariance_from_factor(factor))
        if not (np.isfinite(evaluation.objective) and np.all(np.isfinite(evaluation.grad_mean))
                and np.all(np.isfinite(evaluation.grad_factor)) and np.all(np.isfinite(eig))):
            return "diverged: non-finite objective or gradient"
        if eig.max() > 1e6 * start_scale or eig.min() < 1e-12 * start_scale:
            return (f"diverged: covariance eigenvalues {eig.min():.3g}..{eig.max():.3g} left "
                    f"[1e-12, 1e6] x the initial largest {start_scale:.3g}")
        return ""

    def evaluate(**logs):
        return _evaluate(manifold, data, mean, frame, factor, n_samples, rng, normals=normals,
                         volume=volume, **logs)

    evaluation = evaluate(logs=first_logs)
    record(evaluation)
    stop_reason, converged, calm = "fixed number of iterations" if paper else "iteration limit", False, 0
    for _ in range(n_iter):
        saved = (mean, frame, factor, evaluation)
        try:
            direction = -covariance_from_factor(factor) @ evaluation.grad_mean
            step = step_mean * (frame @ direction)
            mean, frame = manifold.exp(mean, step), manifold.transport_frame(mean, step, frame)
            # Warm start: to first order, Log_{mu + step}(x) = Log_mu(x) - step.
            evaluation = evaluate(initial_logs=evaluation.data_logs - step)
            if paper:
                factor = factor - step_cov * evaluation.grad_factor
            else:
                factor = _natural_factor_step(factor, evaluation.grad_factor, step_cov)
            # Same mean, so the same Logs: only C and the gradients change with A.
            evaluation = evaluate(logs=evaluation.log_result)
            problem = unsound(evaluation)
        except (np.linalg.LinAlgError, GeodesicSolverError) as error:
            problem = f"diverged: {type(error).__name__}: {error}"
        if problem:
            mean, frame, factor, evaluation = saved
            stop_reason = problem
            break
        gradient, noise = record(evaluation)
        if paper:
            continue
        calm = calm + 1 if gradient <= noise else 0
        if calm >= patience:
            converged, stop_reason = True, "gradient within Monte Carlo noise"
            break

    history = FitHistory(**{key: np.asarray(value) for key, value in records.items()})
    final_cov, log_constant = covariance_from_factor(factor), float(history.log_constant[-1])
    if converged and patience > 1:
        # Average the calm iterates: covariances in their (nearly equal) transported
        # frames, means through the tangent space at the last one.
        tail = slice(len(history.mean) - patience, None)
        offset = manifold.log(mean, history.mean[tail]).mean(axis=0)
        final_cov = history.cov[tail].mean(axis=0)
        mean, frame = manifold.exp(mean, offset), manifold.transport_frame(mean, offset, frame)
    return LandFit(mean, final_cov, frame, log_constant, history, settings, converged,
                   stop_reason, len(history.objective) - 1)
