"""Maximum-likelihood fitting of the LAND (report section 3.2).

The report fits the mean by a preconditioned step along Exp and the
precision factor ``A`` by a fixed Euclidean gradient step
(``algorithm="paper"``). The default ``algorithm="natural"`` takes a step on
``A`` whose rate does not depend on Sigma's scale, reuses one set of
quasi-Monte Carlo draws throughout, and stops when the gradient is within
its Monte Carlo noise. Both share :func:`land.model.likelihood.objective_and_gradients`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from land._progress import progress_bar, show_progress
from land._validation import (as_float_array, check_generator, check_positive, check_positive_int,
                              check_spd)
from land.geometry.base import GeodesicSolverError
from land.model.likelihood import (ALGORITHMS, VOLUMES, check_choice, check_data, check_mean,
                                   check_not_degenerate,
                                   evaluate_parameters, frame_at, log_scatter, precision_factor,
                                   qmc_normals, squared_mahalanobis,
                                   unchecked_covariance_from_factor)

__all__ = ["FitHistory", "LandFit", "fit_land", "MIN_EFFECTIVE_FRACTION", "MAX_VARIANCE_FACTOR"]

#: The natural algorithm judges convergence only with at least this fraction of its
#: draws effective (Kish); below it the draws are doubled (fresh draws).
MIN_EFFECTIVE_FRACTION = 0.05
#: Most factor by which one covariance step may multiply (or divide) a variance.
MAX_VARIANCE_FACTOR = 4.0
#: The draws may grow to this multiple of the initial count.
MAX_DRAW_GROWTH = 8
#: Most length of one mean step, in standard deviations of the current LAND (a trust region).
MAX_MEAN_STEP = 1.0
#: A trial step may lose at most this share of the data Logs that converged before it.
MAX_LOST_SHARE = 0.05
#: No iterate may fail on more than this share of the data beyond the start's failures.
MAX_NEW_FAILURES = 0.02
#: The gradient counts as calm when at most this many Monte Carlo standard errors.
CALM_FACTOR = 2.0
#: A fit whose line search stalls has converged when its gradient is within this many.
STALL_FACTOR = 3.0
#: Below this fraction of effective draws the natural algorithm refits its
#: importance-sampling proposal to the volume-weighted draws.
ADAPT_FRACTION = 0.5
#: The proposal's covariance: the weighted draws' covariance widened by this factor ...
PROPOSAL_WIDEN = 1.5
#: ... and at least this multiple of Sigma in every direction (bounded importance ratios).
PROPOSAL_FLOOR = 1.2
#: Steps (whitened mean length, largest log-variance change) below this, and below 1 %
#: of the whitened gradient, for ``patience`` iterations in a row end the fit like a
#: stalled line search.
MIN_STEP = 1e-3
#: Halvings of a step before the line search gives up on it for this iteration.
MAX_BACKTRACKS = 6
#: A step that succeeds grows the next one by this factor, up to the caps below.
GROWTH = 1.5
MAX_RATE_MEAN = 1.0
MAX_RATE_COV = 1.0

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
        Its Monte Carlo standard error, from the spread between blocks of
        draws (inf when a block has no usable draw; never counted as calm).
    n_draws : ndarray of int, shape=[n_iter + 1]
        Monte Carlo draws behind ``C`` at each iterate (the natural algorithm
        doubles them when too few are effective).
    mean_step, cov_step : ndarray, shape=[n_iter + 1]
        Size of the accepted mean step (its length in the whitened metric,
        times the step factor) and the largest log-variance change of the
        accepted covariance step; 0 where a step was rejected (and at 0).
    n_backtracks : ndarray of int, shape=[n_iter + 1]
        Step halvings of the line searches in each iteration.
    log_stages : ndarray of dict, shape=[n_iter + 1]
        The Log cascade's stage counts of each iterate's data Logs
        (``{stage: {"points": tried, "converged": solved}}``; empty for the
        sphere).
    draw_set : ndarray of int, shape=[n_iter + 1]
        Which set of draws estimated ``C`` at each iterate: it changes when
        the natural algorithm doubles its draws or refits its
        importance-sampling proposal. Objectives with the same ``draw_set``
        are comparable (the line search never lets them rise).

    Examples
    --------
    Every :class:`LandFit` carries one in ``history``:

    >>> import numpy as np
    >>> import land
    >>> x = land.sample_sphere_land(100, [0.0, 0.0, 1.0], np.diag([0.1, 0.05]),
    ...                             np.random.default_rng(0)).points
    >>> fit = land.fit_land(land.Sphere(), x, rng=np.random.default_rng(0), n_samples=256,
    ...                     algorithm="paper", n_iter=5)
    >>> fit.history.objective.shape, fit.history.cov.shape, fit.history.frame.shape
    ((6,), (6, 2, 2), (6, 3, 2))
    >>> fit.history.n_failed_log.tolist()
    [0, 0, 0, 0, 0, 0]
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
    n_draws: np.ndarray
    mean_step: np.ndarray
    cov_step: np.ndarray
    n_backtracks: np.ndarray
    log_stages: np.ndarray
    draw_set: np.ndarray


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

    Examples
    --------
    :func:`fit_land` returns one:

    >>> import numpy as np
    >>> import land
    >>> x = land.sample_sphere_land(100, [0.0, 0.0, 1.0], np.diag([0.1, 0.05]),
    ...                             np.random.default_rng(0)).points
    >>> fit = land.fit_land(land.Sphere(), x, rng=np.random.default_rng(0), n_samples=256)
    >>> bool(fit.converged), fit.stop_reason
    (True, 'gradient within Monte Carlo noise')
    >>> fit.mean.shape, fit.cov.shape, fit.frame.shape, fit.cov_ambient.shape
    ((3,), (2, 2), (3, 2), (3, 3))
    >>> fit.settings["algorithm"], fit.settings["n_samples"]
    ('natural', 256)
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

        Parameters
        ----------
        manifold : Sphere or LearnedManifold
            The manifold the fit was made on.
        base_point : array-like, shape=[ambient_dim]
            A point of ``manifold``, e.g. the true mean.
        frame : array-like, shape=[ambient_dim, d]
            An orthonormal tangent frame at ``base_point``.

        Returns
        -------
        ndarray, shape=[d, d]
            The covariance in ``frame`` coordinates.

        Raises
        ------
        TypeError
            If ``manifold`` is not a geometry or ``base_point`` or ``frame``
            is not numeric.
        ValueError
            If ``base_point`` is not a single point of ``manifold``, ``frame``
            is not an orthonormal tangent frame at it, or (on the sphere)
            ``base_point`` is antipodal to the fitted mean.
        GeodesicSolverError
            If the Log from the fitted mean to ``base_point`` fails (learned
            manifolds).

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> sphere, mean, cov = land.Sphere(), [0.0, 0.0, 1.0], np.diag([0.1, 0.05])
        >>> x = land.sample_sphere_land(100, mean, cov, np.random.default_rng(0)).points
        >>> fit = land.fit_land(sphere, x, rng=np.random.default_rng(0), n_samples=256)
        >>> fit.cov_in_frame(sphere, mean, sphere.frame(mean)).shape
        (2, 2)
        >>> bool(np.allclose(fit.cov_in_frame(sphere, fit.mean, fit.frame), fit.cov))
        True
        """
        base_point = check_mean(manifold, base_point, "base_point")
        moved = manifold.transport_frame(self.mean, manifold.log(self.mean, base_point), self.frame)
        change = manifold.coordinates(base_point, np.asarray(frame, dtype=float), moved.T).T
        return change @ self.cov @ change.T


def _initial_parameters(manifold, data, init_mean, init_cov, init_frame, weights=None):
    """Defaults of :func:`fit_land`: the data point nearest the (weighted) Euclidean mean, and
    the (weighted) Log covariance."""
    w = np.ones(data.shape[0]) if weights is None else weights
    if init_mean is None:
        centre = w @ data / w.sum()
        init_mean = data[np.argmin(np.sum((data - centre) ** 2, axis=1))]
    mean = check_mean(manifold, init_mean, "init_mean")
    frame = frame_at(manifold, mean, init_frame, "init_frame")
    logs = None
    if init_cov is None:
        logs = manifold.solve_log(mean, data)
        ok = np.asarray(logs.converged, dtype=bool)
        if not np.any(ok) or not w[ok].sum() > 0:
            raise GeodesicSolverError("fit_land: no data point's Log converged at the initial mean")
        init_cov, _ = log_scatter(manifold, mean, frame, logs, weights, jitter=1e-9)
        try:
            np.linalg.cholesky(init_cov)
        except np.linalg.LinAlgError:
            raise ValueError("data: the covariance of the Logs of data at the initial mean is not "
                             "positive definite: the data have (almost) no spread in the "
                             "manifold's metric, or lie beyond its reach; rescale data to the "
                             "scale the manifold was built for, or pass init_cov") from None
    # The relative floor of check_spd is for the user's init_cov (checked in fit_land); an
    # internal start (the Log scatter, an EM component's covariance) is only required SPD.
    return mean, frame, check_spd(init_cov, "init_cov", manifold.dim, min_ratio=0.0), logs


def _whitened_gradient(evaluation, factor, blocks):
    """Whitened gradient norm and its Monte Carlo standard error from ``blocks`` of draws.

    With ``Sigma = L L^T`` the whitened mean gradient is ``L^T grad_mean`` and
    the covariance one ``K = grad_A A^T = A (S_data - S_model) A^T``; both
    are dimensionless. Only the model part (the weighted draws) is random,
    so the error comes from recomputing it on each block of draws.
    """
    chol = np.linalg.cholesky(unchecked_covariance_from_factor(factor))
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
        if constant.mean_gradient is not None:
            pull = w @ constant.mean_gradient[rows]       # the exact model part
        else:
            pull = precision @ (w @ coords[rows])         # the -I approximation's model part
        parts.append(np.concatenate([chol.T @ pull, (factor @ scatter @ factor.T).ravel()]))
    parts = np.array(parts)
    noise = float(np.sqrt(np.sum(np.var(parts, axis=0, ddof=1)) / len(blocks)))
    return norm_now, noise


def _proposal(constant, cov):
    """An importance-sampling proposal ``(shift, covariance)``, whitened, fitted to weighted draws.

    On a learned metric the volume term grows away from the data, so the
    draws in the tails of ``N(0, Sigma)`` carry most of the weight and few
    are effective. The proposal is a Gaussian with the volume-weighted mean
    and covariance of the current draws, in whitened coordinates (so it
    moves with ``Sigma``), widened by :data:`PROPOSAL_WIDEN` and to at
    least :data:`PROPOSAL_FLOOR` times the identity in every direction; the
    floor keeps the importance ratio ``N(0, I) / q`` bounded, so no draw
    can take an unbounded weight.
    """
    weight = np.where(constant.converged, constant.volume, 0.0)
    weight = weight / weight.sum()
    white = np.linalg.solve(np.linalg.cholesky(cov), constant.tangent_coords.T).T
    shift = weight @ white
    centred = white - shift
    scatter = (centred * weight[:, None]).T @ centred
    values, vectors = np.linalg.eigh(0.5 * (scatter + scatter.T))
    values = np.maximum(PROPOSAL_WIDEN * values, PROPOSAL_FLOOR)
    proposal_cov = (vectors * values) @ vectors.T
    return shift, 0.5 * (proposal_cov + proposal_cov.T)


def _natural_factor_step(factor, grad_factor, step):
    """``A <- expm(-s K / 2) A`` with the symmetric ``K = grad_A A^T``; returns ``(A, s |K|)``.

    In whitened terms ``K = A S_data A^T - A S_model A^T``; for a Euclidean
    Gaussian (``S_model = Sigma``) the step at ``s = 1`` is, to first
    order, the exact update ``Sigma <- S_data``, whatever the eigenvalues of
    ``Sigma``. The result is invertible for any step, so ``Sigma`` stays SPD.
    The step is a trust region on the log-eigenvalues: ``s = min(step,
    log(MAX_VARIANCE_FACTOR) / max |eig K|)``, so no variance is multiplied
    or divided by more than :data:`MAX_VARIANCE_FACTOR` in one step (the
    whitened variances change by ``exp(s eig K)``).
    """
    k_mat = grad_factor @ factor.T
    k_mat = 0.5 * (k_mat + k_mat.T)
    values, vectors = np.linalg.eigh(k_mat)
    largest = float(np.max(np.abs(values)))
    size = step if largest == 0 else min(step, np.log(MAX_VARIANCE_FACTOR) / largest)
    return (vectors * np.exp(-0.5 * size * values)) @ vectors.T @ factor, size * largest


def fit_land(manifold, data, *, rng: np.random.Generator, init_mean=None, init_cov=None,
             n_iter: int | None = None, step_mean: float | None = None,
             step_cov: float | None = None, n_samples: int | None = None, init_frame=None,
             algorithm: str = "natural", volume: str = "paper", patience: int = 3,
             sample_weight=None, progress: bool | None = None) -> LandFit:
    """Maximum likelihood LAND by preconditioned gradient steps.

    Each iteration moves the mean along ``Exp_mu(step_mean * F d)`` with
    ``d = -Sigma grad_mean`` (a descent direction whose size does not depend
    on the conditioning of ``Sigma``), carries the frame ``F`` along by
    parallel transport so ``Sigma`` does not spin, re-estimates ``C`` and the
    gradients at the new mean and updates the precision factor ``A``
    (``Sigma^{-1} = A^T A``). Two algorithms:

    ``"natural"`` (default)
        ``A <- expm(-s K / 2) A`` with the whitened gradient
        ``K = grad_A A^T``, whose rate does not depend on the eigenvalues of
        ``Sigma`` (see ``_natural_factor_step``), with ``s`` capped so that no
        variance changes by more than ``MAX_VARIANCE_FACTOR`` (4) in one
        step. One set of randomised quasi-Monte Carlo draws
        (:func:`qmc_normals`, common random numbers) serves every iteration,
        so the objective is a deterministic function of the parameters, and
        each mean step and each covariance step is accepted only if that
        objective does not rise (backtracking from ``step_mean`` and
        ``step_cov``, halving on a rise, growing 1.5x after a success; the
        mean step is at most one standard deviation long). The fit stops
        when the whitened gradient is within 2 of its Monte Carlo standard
        errors for ``patience`` iterations in a row, with at least
        ``MIN_EFFECTIVE_FRACTION`` (5 %) of the draws effective (below that it
        doubles its draws, up to 8x, then stops unconverged), and returns
        its last iterate with ``log_constant`` estimated there.
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
    sample_weight : array-like, shape=[N], optional
        Non-negative weights of the data points, with a positive sum (for
        example EM responsibilities): the data term of the objective becomes
        their weighted mean. Default: equal weights.
    progress : bool, optional
        Draw a progress bar over the iterations. Default: only when a person
        is likely watching (a Jupyter kernel or a terminal) and the
        environment variable ``LAND_PROGRESS`` is not ``0``, which the book
        build and the tests set.

    Returns
    -------
    LandFit
        The fitted mean, covariance and frame, with the history and the
        reason the fit stopped.

    Raises
    ------
    TypeError
        If ``manifold`` is not a geometry, ``rng`` not a
        ``numpy.random.Generator``, ``n_iter``, ``n_samples`` or ``patience``
        not an integer, a step size not a real number, or an array argument
        not numeric.
    ValueError
        If ``data`` is not an ``(N, ambient_dim)`` array of points of
        ``manifold`` or degenerate (one point, identical points, points on one
        great circle of the sphere, fewer than ``d + 1`` points or points on an
        affine subspace of a learned manifold: no likelihood maximum exists),
        ``init_mean`` not a single point of it, ``init_cov`` not
        symmetric positive definite of shape ``(d, d)`` (or numerically
        singular, smallest eigenvalue <= 1e-12 x largest), ``init_frame`` not
        an orthonormal tangent frame at the initial mean, ``algorithm`` or
        ``volume`` not one of its choices, ``n_iter``, ``n_samples`` or
        ``patience`` below 1, a step size not a finite number > 0, or
        ``sample_weight`` not ``N`` finite values >= 0 with at least ``d + 1``
        positive, or ``init_cov`` so large that every Monte Carlo draw of
        ``N(0, init_cov)`` has volume density 0 (beyond the injectivity
        radius). (A data
        point antipodal to the mean on the sphere is a failed Log: left out and
        counted.)
    GeodesicSolverError
        If no data point's Log converges at the initial mean, or every Monte
        Carlo Exp fails there. Failures after the start end the fit with a
        ``"diverged: ..."`` ``stop_reason`` instead.

    Examples
    --------
    >>> import numpy as np
    >>> import land
    >>> sphere = land.Sphere()
    >>> x = land.sample_sphere_land(100, [0.0, 0.0, 1.0], np.diag([0.1, 0.05]),
    ...                             np.random.default_rng(0)).points
    >>> fit = land.fit_land(sphere, x, rng=np.random.default_rng(0), n_samples=256)
    >>> bool(fit.converged), bool(np.linalg.norm(fit.mean - [0.0, 0.0, 1.0]) < 0.1)
    (True, True)
    >>> paper = land.fit_land(sphere, x, rng=np.random.default_rng(0), n_samples=256,
    ...                       algorithm="paper", n_iter=5)
    >>> paper.n_iter, bool(paper.converged), paper.stop_reason
    (5, False, 'fixed number of iterations')
    """
    data = check_data(manifold, data)
    rng = check_generator(rng)
    algorithm = check_choice(algorithm, "algorithm", ALGORITHMS)
    volume = check_choice(volume, "volume", VOLUMES)
    paper = algorithm == "paper"
    n_iter = check_positive_int(100 if n_iter is None else n_iter, "n_iter")
    step_mean = check_positive((0.1 if paper else 0.5) if step_mean is None else step_mean, "step_mean")
    step_cov = check_positive((0.1 if paper else 0.5) if step_cov is None else step_cov, "step_cov")
    n_samples = check_positive_int((1000 if paper else 1024) if n_samples is None else n_samples,
                                   "n_samples")
    patience = check_positive_int(patience, "patience")
    weights = None if sample_weight is None else check_sample_weight(sample_weight, data.shape[0])
    if weights is not None and np.count_nonzero(weights) <= manifold.dim:
        raise ValueError(f"sample_weight: expected at least d + 1 = {manifold.dim + 1} positive "
                         f"weights (d = {manifold.dim}), got {np.count_nonzero(weights)}: the "
                         "likelihood of fewer points has no maximum")
    check_not_degenerate(data, manifold, "data")
    if init_cov is not None:
        init_cov = check_spd(init_cov, "init_cov", manifold.dim)
    bar = progress_bar(n_iter, f"LAND fit ({algorithm})", show_progress(progress))
    with threadpool_limits(limits=1, user_api="blas"), bar:
        try:
            return fit_with_state(manifold, data, rng, init_mean, init_cov, init_frame, n_iter,
                                  step_mean, step_cov, n_samples, paper, volume, patience, bar,
                                  weights=weights)[0]
        except GeodesicSolverError as error:
            if init_cov is not None and "positive volume density" in str(error):
                # Every draw of N(0, init_cov) fell where the volume term is 0 (beyond the
                # injectivity radius): the user's covariance is the cause, so name it.
                raise ValueError("init_cov: expected a covariance whose Monte Carlo draws reach "
                                 "the manifold; every draw of N(0, init_cov) got volume density 0 "
                                 "(beyond the injectivity radius): use a smaller init_cov") from error
            raise


def check_sample_weight(sample_weight, n_points: int) -> np.ndarray:
    """``sample_weight`` as ``n_points`` finite values >= 0 with a positive sum, or a ValueError."""
    weights = as_float_array(sample_weight, "sample_weight")
    if weights.shape != (n_points,):
        raise ValueError(f"sample_weight: expected shape ({n_points},), got {weights.shape}")
    if np.any(weights < 0) or not weights.sum() > 0:
        raise ValueError("sample_weight: expected values >= 0 with a positive sum")
    return weights


def fit_with_state(manifold, data, rng, init_mean, init_cov, init_frame, n_iter, step_mean,
                   step_cov, n_samples, paper, volume, patience, bar, *, weights=None,
                   init_logs=None, cov_floor=0.0, state=None):
    """:func:`fit_land` unchecked, returning ``(LandFit, last evaluation, draw state)``.

    The fit itself, shared by :func:`fit_land` (after its argument checks)
    and the mixtures' M-steps, which carry its evaluation and draws on.

    ``weights``: data weights (EM responsibilities); ``init_logs``: the Logs at
    ``init_mean`` if already solved; ``cov_floor``: least covariance eigenvalue
    (the natural algorithm's covariance steps are projected onto it);
    ``state``: the Monte Carlo draws (and proposal) of an earlier call to carry
    on with, so that successive calls (EM's M-steps) share common random numbers.
    """
    if paper and getattr(manifold, "mean_gradient", "paper") != "paper":
        # The paper's algorithm takes the paper's -I derivative of Log, as the report did.
        manifold = copy.copy(manifold)
        manifold.mean_gradient = "paper"
    mean, frame, cov, first_logs = _initial_parameters(manifold, data, init_mean, init_cov,
                                                       init_frame, weights)
    if init_logs is not None:
        first_logs = init_logs
    if cov_floor > 0:
        cov = floor_eigenvalues(cov, cov_floor)[0]
    factor = precision_factor(cov)
    if state is None:
        normals = None if paper else qmc_normals(n_samples, manifold.dim, rng)
        state = {"normals": normals, "proposal": None, "draw_set": 0}
    normals = state["normals"]
    n_draws = n_samples if paper else normals.shape[0]
    settings = dict(algorithm="paper" if paper else "natural", n_iter=n_iter, step_mean=step_mean,
                    step_cov=step_cov, n_samples=n_draws, volume=volume)
    if not paper:
        settings.update(patience=patience, min_effective_fraction=MIN_EFFECTIVE_FRACTION,
                        adapt_fraction=ADAPT_FRACTION,
                        max_variance_factor=MAX_VARIANCE_FACTOR, max_draws=MAX_DRAW_GROWTH * n_draws)
    records = {key: [] for key in FitHistory.__dataclass_fields__}
    start_scale = np.linalg.eigvalsh(cov).max()

    def blocks():
        size = n_samples if paper else state["normals"].shape[0]
        return np.array_split(np.arange(size), 8)       # natural: the 8 Sobol' blocks exactly

    def record(evaluation, mean_step=0.0, cov_step=0.0, backtracks=0):
        gradient, noise = _whitened_gradient(evaluation, factor, blocks())
        stages = getattr(evaluation.log_result, "info", None) or {}
        values = dict(objective=evaluation.objective, mean=mean,
                      cov=unchecked_covariance_from_factor(factor),
                      frame=frame, log_constant=evaluation.constant.log_value,
                      grad_mean_norm=np.linalg.norm(evaluation.grad_mean),
                      n_failed_log=evaluation.n_failed_log, n_failed_exp=evaluation.constant.n_failed,
                      effective_draws=evaluation.constant.effective_draws, gradient=gradient,
                      gradient_noise=noise, n_draws=evaluation.constant.volume.size,
                      mean_step=mean_step, cov_step=cov_step, n_backtracks=backtracks,
                      log_stages=dict(stages.get("stage_counts", {})), draw_set=state["draw_set"])
        for key, value in values.items():
            records[key].append(value)
        return gradient, noise

    def unsound(evaluation, factor):
        eig = np.linalg.eigvalsh(unchecked_covariance_from_factor(factor))
        if not (np.isfinite(evaluation.objective) and np.all(np.isfinite(evaluation.grad_mean))
                and np.all(np.isfinite(evaluation.grad_factor)) and np.all(np.isfinite(eig))):
            return "diverged: non-finite objective or gradient"
        if eig.max() > 1e6 * start_scale or eig.min() < 1e-12 * start_scale:
            return (f"diverged: covariance eigenvalues {eig.min():.3g}..{eig.max():.3g} left "
                    f"[1e-12, 1e6] x the initial largest {start_scale:.3g}")
        return ""

    def evaluate(mean, frame, factor, gradients=True, **logs):
        return evaluate_parameters(manifold, data, mean, frame, factor, n_samples, rng,
                                   normals=state["normals"], volume=volume, gradients=gradients,
                                   proposal=state["proposal"], weights=weights, **logs)

    evaluation = evaluate(mean, frame, factor, logs=first_logs)
    record(evaluation)
    if paper:
        stop_reason = "fixed number of iterations"
        for _ in range(n_iter):
            saved = (mean, frame, factor, evaluation)
            try:
                direction = -unchecked_covariance_from_factor(factor) @ evaluation.grad_mean
                step = step_mean * (frame @ direction)
                mean, frame = manifold.exp(mean, step), manifold.transport_frame(mean, step, frame)
                # Warm start: to first order, Log_{mu + step}(x) = Log_mu(x) - step.
                evaluation = evaluate(mean, frame, factor, initial_logs=evaluation.data_logs - step)
                factor = factor - step_cov * evaluation.grad_factor
                # Same mean, so the same Logs: only C and the gradients change with A.
                evaluation = evaluate(mean, frame, factor, logs=evaluation.log_result)
                problem = unsound(evaluation, factor)
            except (np.linalg.LinAlgError, GeodesicSolverError) as error:
                problem = f"diverged: {type(error).__name__}: {error}"
            if problem:
                mean, frame, factor, evaluation = saved
                stop_reason = problem
                break
            record(evaluation)
            bar.update()
        history = FitHistory(**{key: _as_array(key, value) for key, value in records.items()})
        return (LandFit(mean, unchecked_covariance_from_factor(factor), frame,
                        float(history.log_constant[-1]),
                        history, settings, False, stop_reason, len(history.objective) - 1),
                evaluation, state)

    stop_reason, converged, calm = "iteration limit", False, 0
    rate_mean, rate_cov = step_mean, step_cov
    # Failed Logs leave their points out, so a fit could lower its objective by walking to
    # where the solver fails on the hardest points; cap the failures over the whole fit.
    allowed = evaluation.n_failed_log + max(1.0, MAX_NEW_FAILURES * data.shape[0])

    def compare(new, old, new_factor, old_factor):
        return _compare(new, old, new_factor, old_factor, allowed, weights)

    crawl = 0
    max_draws = MAX_DRAW_GROWTH * n_draws
    for _ in range(n_iter):
        try:
            constant = evaluation.constant
            if constant.effective_draws < ADAPT_FRACTION * constant.volume.size:
                # Most of the weight sits on few draws: refit the proposal to the
                # volume-weighted draws and re-estimate C here (same Logs) before stepping.
                state["proposal"] = _proposal(constant, unchecked_covariance_from_factor(factor))
                state["draw_set"] += 1
                evaluation = evaluate(mean, frame, factor, logs=evaluation.log_result)
            # --- the mean: backtracking along the preconditioned gradient on fixed draws
            direction = -unchecked_covariance_from_factor(factor) @ evaluation.grad_mean
            backtracks, taken_mean = 0, 0.0
            moved = None
            whitened = float(np.sqrt(squared_mahalanobis(direction, factor)))
            for _ in range(MAX_BACKTRACKS):
                scale = min(rate_mean, MAX_MEAN_STEP / whitened) if whitened > 0 else rate_mean
                step = scale * (frame @ direction)
                trial_mean = manifold.exp(mean, step)
                trial_frame = manifold.transport_frame(mean, step, frame)
                trial = evaluate(trial_mean, trial_frame, factor, gradients=False,
                                 initial_logs=_predicted_logs(evaluation, step,
                                                              scale * direction, trial_frame))
                if compare(trial, evaluation, factor, factor) <= 0.0:
                    moved = (trial_mean, trial_frame, trial)
                    taken_mean = scale * whitened
                    rate_mean = min(GROWTH * rate_mean, MAX_RATE_MEAN)
                    break
                rate_mean *= 0.5
                backtracks += 1
            logs_now = evaluation.log_result
            if moved is not None:
                mean, frame, mid = moved
                logs_now = mid.log_result
            else:
                mid = evaluation
            # --- the covariance: a bounded natural step, backtracking on the same draws
            taken_cov, accepted = 0.0, None
            for _ in range(MAX_BACKTRACKS):
                trial_factor, size = _natural_factor_step(factor, mid.grad_factor, rate_cov)
                if cov_floor > 0:
                    trial_factor = precision_factor(
                        floor_eigenvalues(unchecked_covariance_from_factor(trial_factor),
                                          cov_floor)[0])
                trial = evaluate(mean, frame, trial_factor, logs=logs_now)
                if compare(trial, mid, trial_factor, factor) <= 0.0:
                    accepted = (trial_factor, trial)
                    taken_cov = size
                    rate_cov = min(GROWTH * rate_cov, MAX_RATE_COV)
                    break
                rate_cov *= 0.5
                backtracks += 1
            if accepted is not None:
                factor, evaluation = accepted
            else:
                evaluation = evaluate(mean, frame, factor, logs=logs_now)
            problem = unsound(evaluation, factor)
        except (np.linalg.LinAlgError, GeodesicSolverError) as error:
            problem = f"diverged: {type(error).__name__}: {error}"
        if problem:
            stop_reason = problem
            break
        gradient, noise = record(evaluation, taken_mean, taken_cov, backtracks)
        bar.update()
        enough = evaluation.constant.effective_draws >= MIN_EFFECTIVE_FRACTION * \
            evaluation.constant.volume.size
        if not enough:
            # Too few effective draws: the noise estimate cannot be trusted. Draw twice as
            # many (fresh) points, re-evaluate, and judge again from the next iteration.
            calm = 0
            size = state["normals"].shape[0]
            if 2 * size > max_draws:
                stop_reason = (f"too few effective draws: {evaluation.constant.effective_draws:.0f} "
                               f"of {size} at the largest draw count allowed ({max_draws})")
                break
            state["normals"] = qmc_normals(2 * size, manifold.dim, rng)
            state["draw_set"] += 1
            evaluation = evaluate(mean, frame, factor, logs=evaluation.log_result)
            continue
        stalled = moved is None and accepted is None
        calm = calm + 1 if np.isfinite(noise) and gradient <= CALM_FACTOR * noise else 0
        if calm >= patience:
            converged, stop_reason = True, "gradient within Monte Carlo noise"
            break
        # Crawling: steps far shorter than the gradient calls for (the line search keeps
        # cutting them), for several iterations.
        taken = max(taken_mean, taken_cov)
        crawl = crawl + 1 if taken < MIN_STEP and taken < 0.01 * gradient else 0
        if (stalled and rate_mean < step_mean * 2.0**-MAX_BACKTRACKS
                and rate_cov < step_cov * 2.0**-MAX_BACKTRACKS) or crawl >= patience:
            if np.isfinite(noise) and gradient <= STALL_FACTOR * noise:
                # At the minimum of the fixed-draw objective, to the line search's resolution,
                # with a gradient that Monte Carlo noise explains.
                converged, stop_reason = True, "no further descent, gradient within Monte Carlo noise"
            else:
                blocked = (f"; Logs fail on {evaluation.n_failed_log} of {data.shape[0]} points, "
                           "near the most a step may lose" if evaluation.n_failed_log > allowed - 1
                           else "")
                stop_reason = ("no descent: the line search finds no real decrease of the "
                               f"objective on the fixed draws (whitened gradient {gradient:.3g}, "
                               f"noise {noise:.3g}{blocked})")
            break

    history = FitHistory(**{key: _as_array(key, value) for key, value in records.items()})
    return (LandFit(mean, unchecked_covariance_from_factor(factor), frame,
                    evaluation.constant.log_value, history,
                    settings, converged, stop_reason, len(history.objective) - 1),
            evaluation, state)


def floor_eigenvalues(cov, floor):
    """``cov`` with its eigenvalues raised to at least ``floor``, and whether any was.

    The covariance floor of the fits (``cov_floor`` of the natural
    algorithm, ``reg_covar`` of the mixtures and estimators): ``cov``
    (``(d, d)``, symmetric) is returned unchanged if its smallest eigenvalue
    is at least ``floor``, else rebuilt from its eigenvectors with the
    eigenvalues clipped at ``floor`` and symmetrised; the flag says which.
    """
    values, vectors = np.linalg.eigh(0.5 * (cov + cov.T))
    if values.min() >= floor:
        return cov, False
    clipped = (vectors * np.maximum(values, floor)) @ vectors.T
    return 0.5 * (clipped + clipped.T), True


def _predicted_logs(evaluation, step, step_coords, new_frame):
    """Warm starts for a fit's Logs at ``Exp_mu(step)`` from its evaluation at ``mu``."""
    return moved_logs(evaluation.data_logs, evaluation.log_result.converged,
                      evaluation.data_coords, evaluation.data_jacobian, step, step_coords,
                      new_frame)


def moved_logs(logs, converged, coords, jacobian, step, step_coords, new_frame) -> np.ndarray:
    """Log vectors at ``Exp_mu(step)`` to first order in the step, from those at ``mu``.

    The Log coordinates move by ``J xi`` (``J = d coords / d mu``, see
    ``log_jacobian``; ``xi`` the step in frame coordinates), and a tangent
    vector is ``F c`` in the transported frame ``F``. Without a Jacobian, and
    for Logs that did not converge, the zeroth-order guess ``Log_mu(x) -
    step`` is returned.

    Parameters
    ----------
    logs : ndarray, shape=[N, ambient_dim]
        All Log vectors at ``mu``.
    converged : ndarray of bool, shape=[N]
    coords : ndarray, shape=[N_ok, d]
        Frame coordinates of the converged Logs.
    jacobian : ndarray, shape=[N_ok, d, d] or None
    step : ndarray, shape=[ambient_dim]
    step_coords : ndarray, shape=[d]
    new_frame : ndarray, shape=[ambient_dim, d]
        The frame transported to the new mean.

    Returns
    -------
    ndarray, shape=[N, ambient_dim]
        Warm starts for the Logs at the new mean.

    Examples
    --------
    In flat space (``J = -I``) the prediction is exact:

    >>> import numpy as np
    >>> from land.model.fit import moved_logs
    >>> logs = np.array([[1.0, 2.0]])
    >>> moved_logs(logs, np.array([True]), logs, -np.eye(2)[None], np.array([0.5, 0.0]),
    ...            np.array([0.5, 0.0]), np.eye(2)).tolist()
    [[0.5, 2.0]]
    """
    moved = logs - step
    if jacobian is not None:
        moved[converged] = (coords + jacobian @ step_coords) @ new_frame.T
    return moved


def _compare(new, old, new_factor, old_factor, allowed_failures=np.inf, weights=None) -> float:
    """Objective change from ``old`` to ``new`` over the data points whose Logs converged in both.

    The data term averages over the converged Logs, so when a trial loses or
    gains a point its raw objective is not comparable; restricted to the
    common points (and the same fixed draws) it is. A trial that loses more
    than :data:`MAX_LOST_SHARE` of the points that converged before, or
    fails on more than ``allowed_failures`` points in all, counts as a rise
    (inf): otherwise a step, or a chain of steps, into a region where Logs
    fail would look like progress.
    """
    if new.n_failed_log > allowed_failures:
        return np.inf
    mask_new, mask_old = new.log_result.converged, old.log_result.converged
    if np.array_equal(mask_new, mask_old):
        return new.objective - old.objective
    lost = np.count_nonzero(mask_old & ~mask_new)
    if lost > MAX_LOST_SHARE * np.count_nonzero(mask_old):
        return np.inf
    both = mask_new & mask_old
    share = np.ones(both.size) if weights is None else weights
    share = share[both] / share[both].sum()

    def data_term(evaluation, factor, mask):
        coords = evaluation.data_coords[both[mask]]
        return 0.5 * share @ squared_mahalanobis(coords, factor)

    return (data_term(new, new_factor, mask_new) + new.constant.log_value
            - data_term(old, old_factor, mask_old) - old.constant.log_value)


def _as_array(key, values):
    if key == "log_stages":
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out
    return np.asarray(values)
