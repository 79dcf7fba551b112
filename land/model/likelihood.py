"""The LAND model: density, normalising constant, objective and gradients.

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

from land._validation import (as_float_array, check_base_point, check_finite_result, check_frame,
                              check_generator, check_positive_int, check_spd)
from land.geometry.base import check_geometry
from land.geometry.base import GeodesicResult, GeodesicSolverError

__all__ = [
    "NormalisingConstant",
    "LandEvaluation",
    "normalising_constant",
    "objective_and_gradients",
    "evaluate_land",
    "log_density",
    "precision_factor",
    "covariance_from_factor",
    "qmc_normals",
    "ALGORITHMS",
]

#: The fitting algorithms of :func:`fit_land`.
ALGORITHMS = ("natural", "paper")
#: The volume terms of the normalising constant (see :func:`normalising_constant`).
VOLUMES = ("paper", "exact")
_SAMPLINGS = ("qmc", "mc")


# ---------------------------------------------------------------- utilities
def precision_factor(cov) -> np.ndarray:
    """A precision factor ``A`` of a covariance: ``A^T A = Sigma^{-1}``.

    Parameters
    ----------
    cov : array-like, shape=[d, d]
        Symmetric positive definite.

    Returns
    -------
    ndarray, shape=[d, d]
        ``L^{-1}`` for the Cholesky factor ``Sigma = L L^T``.

    Raises
    ------
    TypeError, ValueError
        If ``cov`` is not a finite, real, symmetric positive definite matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from land import precision_factor
    >>> A = precision_factor(np.diag([4.0, 0.25]))
    >>> np.round(A.T @ A, 12)
    array([[0.25, 0.  ],
           [0.  , 4.  ]])
    """
    cov = as_float_array(cov, "cov")
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1]:
        raise ValueError(f"cov: expected a square matrix, got shape {cov.shape}")
    # Only positive definite: the fits call this on their own (possibly ill-conditioned)
    # iterates; the entry points check the user's cov against check_spd's singular floor.
    cov = check_spd(cov, "cov", cov.shape[0], min_ratio=0.0)
    return np.linalg.inv(np.linalg.cholesky(cov))


def covariance_from_factor(factor) -> np.ndarray:
    """The covariance ``(A^T A)^{-1}`` of a precision factor, symmetrised.

    Parameters
    ----------
    factor : array-like, shape=[d, d]
        Invertible.

    Returns
    -------
    ndarray, shape=[d, d]

    Raises
    ------
    TypeError, ValueError
        If ``factor`` is not a finite, real, square, invertible matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from land import covariance_from_factor, precision_factor
    >>> cov = np.array([[0.3, 0.1], [0.1, 0.2]])
    >>> np.allclose(covariance_from_factor(precision_factor(cov)), cov)
    True
    """
    factor = as_float_array(factor, "factor")
    if factor.ndim != 2 or factor.shape[0] != factor.shape[1]:
        raise ValueError(f"factor: expected a square matrix, got shape {factor.shape}")
    if not np.linalg.cond(factor) < 1.0 / np.finfo(float).eps:
        raise ValueError("factor: expected an invertible matrix (it is singular to working "
                         "precision)")
    return unchecked_covariance_from_factor(factor)


def unchecked_covariance_from_factor(factor) -> np.ndarray:
    """:func:`covariance_from_factor` without checks, for the fits' inner loops.

    Returns ``(A^T A)^{-1}``, symmetrised, for a ``(d, d)`` ndarray ``factor``.
    A fit whose factor degenerates is caught by its divergence checks, which
    say so in ``stop_reason``; a ValueError from deep inside would hide that.
    """
    cov = np.linalg.inv(factor.T @ factor)
    return 0.5 * (cov + cov.T)


def squared_mahalanobis(coords, factor) -> np.ndarray:
    """The tangent Mahalanobis form ``c^T Sigma^{-1} c = |A c|^2`` of each row of ``coords``.

    The one place the LAND's quadratic form is written out; every density,
    objective and comparison of the package goes through it.

    Parameters
    ----------
    coords : ndarray, shape=[..., d]
        Tangent coordinates ``c`` (e.g. ``Log_mu(x)`` in a frame at ``mu``).
    factor : ndarray, shape=[d, d]
        A precision factor ``A``, ``Sigma^{-1} = A^T A`` (see
        :func:`precision_factor`).

    Returns
    -------
    ndarray, shape=[...]
        ``sum((coords @ A^T)^2, axis=-1)``.

    Examples
    --------
    >>> import numpy as np
    >>> from land.model.likelihood import precision_factor, squared_mahalanobis
    >>> A = precision_factor(np.diag([4.0, 0.25]))
    >>> squared_mahalanobis(np.array([[2.0, 0.0], [0.0, 1.0]]), A)
    array([1., 4.])
    """
    return np.sum((coords @ factor.T) ** 2, axis=-1)


def log_density_from_logs(manifold, mean, frame, factor, log_constant, log_result):
    """LAND log densities ``-Log_mu(x)^T Sigma^{-1} Log_mu(x) / 2 - log C`` from solved Logs.

    The one implementation of the LAND log density (volume measure), with one
    failure policy: a point whose Log failed gets ``-inf`` (density 0) and is
    flagged in the returned mask, and its (meaningless) Log value is never
    read. Callers that promise something else for failed Logs (an error, a
    bound, NaN) apply it on top of the mask.

    Parameters
    ----------
    manifold : Sphere or LearnedManifold
        Supplies ``coordinates``.
    mean : ndarray, shape=[ambient_dim]
        The mean ``mu`` the Logs were taken at.
    frame : ndarray, shape=[ambient_dim, d]
        Orthonormal tangent frame at ``mean``.
    factor : ndarray, shape=[d, d]
        Precision factor ``A`` of the covariance in ``frame``.
    log_constant : float
        ``log C(mu, Sigma)``.
    log_result : GeodesicResult
        ``manifold.solve_log(mean, points)`` for one point (shape ``[]``) or
        ``n`` points (shape ``[n]``).

    Returns
    -------
    log_p : ndarray, shape=[] or [n]
        Log densities, ``-inf`` where the Log failed.
    failed : ndarray of bool, shape=[] or [n]
        Where the Log failed.

    Examples
    --------
    >>> import numpy as np
    >>> import land
    >>> from land.model.likelihood import log_density_from_logs
    >>> sphere, mean = land.Sphere(), np.array([0.0, 0.0, 1.0])
    >>> logs = sphere.solve_log(mean, [[0.0, 0.0, 1.0], [0.0, 0.0, -1.0]])   # mean, antipode
    >>> log_p, failed = log_density_from_logs(sphere, mean, sphere.frame(mean), np.eye(2), 0.5,
    ...                                       logs)
    >>> log_p.tolist(), failed.tolist()
    ([-0.5, -inf], [False, True])
    """
    ok = np.asarray(log_result.converged, dtype=bool)
    log_p = np.full(ok.shape, -np.inf)
    if ok.any():
        coords = manifold.coordinates(mean, frame, np.asarray(log_result.value)[ok])
        log_p[ok] = -0.5 * squared_mahalanobis(coords, factor) - log_constant
    return log_p, ~ok


def log_scatter(manifold, mean, frame, log_result, weights=None, *, jitter=0.0, ridge=0.0):
    """Weighted scatter of the converged Log coordinates at ``mean``, with a ridge.

    ``S = sum_n w_n L_n L_n^T / sum_n w_n`` over the points whose Log
    converged (``L_n`` the coordinates of ``Log_mu(x_n)`` in ``frame``),
    symmetrised; the initial covariance of every fit. Returns ``S + (jitter
    trace(S) + ridge) I`` and ``trace(S)``: each caller keeps its own
    documented ridge (:func:`~land.fit_land`: ``jitter = 1e-9``;
    :func:`~land.fit_land_mixture`: ``cov_jitter`` times the mean variance,
    plus ``1e-12``). The caller checks beforehand that some point with a
    positive weight converged.

    Parameters
    ----------
    manifold : Sphere or LearnedManifold
        Supplies ``coordinates``.
    mean : ndarray, shape=[ambient_dim]
    frame : ndarray, shape=[ambient_dim, d]
        Orthonormal tangent frame at ``mean``.
    log_result : GeodesicResult
        ``manifold.solve_log(mean, data)``, shape ``[N]``.
    weights : ndarray, shape=[N], optional
        Non-negative weights of the points (default: equal).
    jitter : float
        Ridge relative to the total variance ``trace(S)``.
    ridge : float
        Absolute ridge.

    Returns
    -------
    cov : ndarray, shape=[d, d]
        ``S + (jitter trace(S) + ridge) I``.
    total_variance : float
        ``trace(S)``, before the ridge.

    Examples
    --------
    >>> import numpy as np
    >>> import land
    >>> from land.model.likelihood import log_scatter
    >>> sphere, mean = land.Sphere(), np.array([0.0, 0.0, 1.0])
    >>> x = land.sample_sphere_land(2000, mean, np.diag([0.1, 0.05]),
    ...                             np.random.default_rng(0)).points
    >>> cov, total = log_scatter(sphere, mean, sphere.frame(mean), sphere.solve_log(mean, x))
    >>> np.round(np.diag(cov), 2).tolist(), bool(np.isclose(total, np.trace(cov)))
    ([0.1, 0.05], True)
    """
    ok = np.asarray(log_result.converged, dtype=bool)
    w = np.ones(ok.size) if weights is None else np.asarray(weights, dtype=float)
    coords = manifold.coordinates(mean, frame, log_result.value[ok])
    scatter = (coords * w[ok, None]).T @ coords / w[ok].sum()
    total = np.trace(scatter)
    cov = 0.5 * (scatter + scatter.T) + (jitter * total + ridge) * np.eye(coords.shape[1])
    return cov, float(total)


def check_mean(manifold, mean, name="mean"):
    """``mean`` checked as one point of ``manifold`` (a TypeError or ValueError naming ``name``).

    Also checks that ``manifold`` is a geometry; returns the point as a float
    ndarray of shape ``[ambient_dim]``.
    """
    return check_base_point(check_geometry(manifold), mean, name)


def check_data(manifold, data, name="data"):
    """``data`` checked as an ``(N, ambient_dim)`` array of points of ``manifold``.

    Also checks that ``manifold`` is a geometry; raises a TypeError or
    ValueError naming ``name`` otherwise, and returns the points as a float
    ndarray.
    """
    check_geometry(manifold)
    data = manifold.check_points(data, name)
    if data.ndim != 2:
        raise ValueError(f"{name}: expected shape (N, {manifold.ambient_dim}), got {data.shape}")
    return data


def check_not_degenerate(data, manifold, name: str = "data") -> None:
    """Refuse data on which the LAND likelihood has no maximum, naming ``name`` and the reason.

    One point, identical points, and (on the sphere) points on one great
    circle; on a learned manifold also a constant feature, at most
    ``n_features`` points, or points on an affine subspace. On such data the
    likelihood grows without bound as the covariance shrinks onto them.

    Parameters
    ----------
    data : ndarray, shape=[N, ambient_dim]
        Checked points (see :func:`check_data`).
    manifold : Geometry or {"sphere", "learned"}
        The geometry, or an estimator's name of one (the estimators check
        before they build a learned metric, whose ``rho="auto"`` needs spread
        data).
    name : str
        The argument's name in the error message (``"data"``, ``"X"``).

    Raises
    ------
    ValueError
        Naming ``name``, for degenerate data.

    Examples
    --------
    >>> import numpy as np
    >>> import land
    >>> from land.model.likelihood import check_not_degenerate
    >>> equator = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]])
    >>> try:
    ...     check_not_degenerate(equator, land.Sphere())
    ... except ValueError as error:
    ...     print(str(error)[:48])
    data: the 3 points lie on one great circle (a LA
    """
    from land.geometry.sphere import Sphere

    if isinstance(manifold, str):
        sphere, learned = manifold == "sphere", manifold == "learned"
    else:
        sphere, learned = isinstance(manifold, Sphere), hasattr(manifold, "metric")
    if sphere and data.shape[1] == 3:
        data = Sphere().check_points(data, name)
    n_points, n_features = data.shape
    dim = 2 if sphere else (n_features if learned else getattr(manifold, "dim", n_features))
    unbounded = ("the likelihood grows without bound as the covariance shrinks onto them, so no "
                 "maximum-likelihood LAND exists")
    if n_points == 1:
        raise ValueError(f"{name}: n_samples = 1, but a LAND needs at least d + 1 = {dim + 1} "
                         f"points in general position (d = {dim}): {unbounded}")
    if np.all(data == data[0]):
        raise ValueError(f"{name}: all {n_points} points are identical: {unbounded}")
    if sphere and n_features == 3:
        moments = np.linalg.eigvalsh(data.T @ data)     # all three, even for n < 3
        if n_points < 3 or moments[0] <= 1e-12 * moments[-1]:
            raise ValueError(f"{name}: the {n_points} points lie on one great circle (a LAND on "
                             f"the sphere needs points off it, hence at least 3): {unbounded}")
    elif learned:
        constant = np.flatnonzero(np.ptp(data, axis=0) == 0)
        if constant.size:
            raise ValueError(f"{name}: feature(s) {constant.tolist()} are constant: {unbounded}; "
                             "drop them or fit in fewer dimensions")
        if n_points <= n_features:
            raise ValueError(f"{name}: n_samples = {n_points} points in {n_features} dimensions; "
                             f"a LAND needs at least n_features + 1 = {n_features + 1}: "
                             f"{unbounded}")
        singular = np.linalg.svd(data - data.mean(axis=0), compute_uv=False)
        if singular[-1] <= 1e-10 * singular[0]:
            raise ValueError(f"{name}: the points lie on an affine subspace of fewer than "
                             f"{n_features} dimensions: {unbounded}")


# ------------------------------------------------------ normalising constant
@dataclass(frozen=True)
class NormalisingConstant:
    """Monte Carlo estimate of ``C(mu, Sigma)``.

    Attributes
    ----------
    value : float
        ``Z * mean(m_s)`` over the converged samples.
    std_error : float
        Its standard error, ``Z * std(m_s) / sqrt(S)``; ``inf`` when a single
        draw converged (``n_samples=1``), since one draw has no spread to
        estimate the error from.
    tangent_coords : ndarray, shape=[S, d]
        The draws ``v_s ~ N(0, Sigma)`` in frame coordinates (or from a fit's
        importance-sampling proposal ``q``).
    volume : ndarray, shape=[S]
        ``m(mu, v_s)`` (0 for failed solves and beyond the injectivity
        radius), times ``N(v_s; 0, Sigma) / q(v_s)`` for draws from ``q``.
    converged : ndarray of bool, shape=[S]
        Whether the Exp behind each ``m(mu, v_s)`` converged; failed draws are
        left out of ``value`` and counted in ``n_failed``.
    log_z : float
        ``log Z`` of the Euclidean Gaussian.
    mean_gradient : ndarray, shape=[S, d], or None
        ``d log m(mu, v_s) / d mu`` with the draws held fixed in the
        transported frame, where the geometry computes it exactly (learned
        manifolds with ``mean_gradient="exact"``); None elsewhere.

    Examples
    --------
    :func:`normalising_constant` returns one; its fields and properties
    describe the estimate:

    >>> import numpy as np
    >>> import land
    >>> c = land.normalising_constant(land.Sphere(), [0.0, 0.0, 1.0], np.diag([0.1, 0.05]),
    ...                               256, np.random.default_rng(0))
    >>> c.tangent_coords.shape, c.volume.shape, c.n_failed
    ((256, 2), (256,), 0)
    >>> bool(c.std_error < 0.01 * c.value)
    True
    """

    value: float
    std_error: float
    tangent_coords: np.ndarray
    volume: np.ndarray
    converged: np.ndarray
    log_z: float
    mean_gradient: np.ndarray | None = field(default=None, repr=False)

    @property
    def log_value(self) -> float:
        """``log C``, the logarithm of :attr:`value`."""
        return float(np.log(self.value))

    @property
    def n_failed(self) -> int:
        """Number of draws whose Exp did not converge (left out of :attr:`value`)."""
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
        Least number of draws (>= 1); the result has ``n_blocks * 2^m >= n_samples`` rows.
    dim : int
        Dimension of each draw (>= 1).
    rng : numpy.random.Generator
        Seeds the scrambling of every block.
    n_blocks : int
        Number of independently scrambled blocks (>= 1).

    Returns
    -------
    ndarray, shape=[n_blocks * 2^m, dim]
        Block ``b`` is rows ``b * 2^m`` to ``(b + 1) * 2^m``.

    Raises
    ------
    TypeError
        If ``n_samples``, ``dim`` or ``n_blocks`` is not an integer, or
        ``rng`` is not a ``numpy.random.Generator``.
    ValueError
        If ``n_samples``, ``dim`` or ``n_blocks`` is below 1.

    Examples
    --------
    100 draws in 8 blocks need blocks of ``2^4 = 16`` points, so 128 rows:

    >>> import numpy as np
    >>> from land import qmc_normals
    >>> z = qmc_normals(100, 2, np.random.default_rng(0))
    >>> z.shape
    (128, 2)
    >>> bool(abs(z.mean()) < 0.05), bool(abs(z.std() - 1.0) < 0.05)
    (True, True)
    """
    n_samples = check_positive_int(n_samples, "n_samples")
    dim = check_positive_int(dim, "dim")
    n_blocks = check_positive_int(n_blocks, "n_blocks")
    rng = check_generator(rng)
    power = max(0, int(np.ceil(np.log2(n_samples / n_blocks))))
    blocks = [qmc.Sobol(d=dim, scramble=True, seed=rng).random_base2(power) for _ in range(n_blocks)]
    uniform = np.clip(np.concatenate(blocks), 1e-12, 1.0 - 1e-12)
    return norm.ppf(uniform)


def estimate_constant(manifold, mean, frame, cov, n_samples, rng, *, normals=None,
                      volume="paper", mean_gradient=True, proposal=None) -> NormalisingConstant:
    """``C`` from draws of ``N(0, cov)``, or of ``proposal`` by importance sampling (unchecked).

    :func:`normalising_constant` without argument checks, for the fits: the
    draws are ``normals`` (standard normal, shape ``(S, d)``) if given, else
    ``n_samples`` fresh ones from ``rng``; ``mean_gradient`` asks the
    geometry for ``d log m / d mu`` where it computes it exactly.

    ``proposal = (shift, proposal_cov)`` is a Gaussian in whitened
    coordinates (``cov = L L^T``): the draws are ``v = L w`` with ``w =
    shift + L_q z``, and each volume term is multiplied by the importance
    ratio ``N(w; 0, I) / N(w; shift, proposal_cov)``, so ``Z mean(volume)``
    still estimates ``C`` and every formula that uses the self-normalised
    weights ``volume / sum(volume)`` (gradients, effective draws, noise)
    holds unchanged. Defined relative to ``cov``, the proposal moves with
    it, like plain draws do, and the ratios do not depend on ``cov``.
    """
    dim = manifold.dim
    if normals is None:
        normals = rng.standard_normal((n_samples, dim))
    chol = np.linalg.cholesky(cov)
    if proposal is None:
        coords = normals @ chol.T
    else:
        shift, proposal_cov = proposal
        proposal_chol = np.linalg.cholesky(proposal_cov)
        white = shift + normals @ proposal_chol.T
        coords = white @ chol.T
    options = ({"mean_gradient": True}
               if mean_gradient and getattr(manifold, "exact_mean_gradient", False) else {})
    density = manifold.solve_volume_density(mean, frame, coords, exp_jacobian=volume == "exact",
                                            **options)
    values = density.value
    if proposal is not None:
        log_ratio = (0.5 * np.sum(normals**2, axis=1) - 0.5 * np.sum(white**2, axis=1)
                     + np.sum(np.log(np.diag(proposal_chol))))
        values = values * np.exp(log_ratio)
    good = values[density.converged]
    if good.size == 0:
        raise GeodesicSolverError("normalising_constant: every Monte Carlo Exp failed")
    log_z = 0.5 * (dim * np.log(2 * np.pi) + np.linalg.slogdet(cov)[1])
    z = np.exp(log_z)
    spread = np.std(good, ddof=1) if good.size > 1 else np.inf
    return NormalisingConstant(float(z * good.mean()), float(z * spread / np.sqrt(good.size)),
                               coords, values, density.converged, float(log_z),
                               density.info.get("mean_gradient") if density.info else None)


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
        A point of ``manifold``.
    cov : array-like, shape=[dim, dim]
        Covariance in ``frame`` (default ``manifold.frame(mean)``); symmetric
        positive definite.
    n_samples : int
        Number of tangent draws ``S`` (>= 1); with ``sampling="qmc"`` it is
        rounded up to 8 blocks of a power of two.
    rng : numpy.random.Generator
    frame : array-like, shape=[ambient_dim, dim], optional
        Orthonormal tangent frame at ``mean``; default ``manifold.frame(mean)``.
    sampling : {"mc", "qmc"}
        Plain Monte Carlo (default) or randomised quasi-Monte Carlo draws.
    volume : {"paper", "exact"}
        The paper's volume term (default) or the exact one with the Jacobian
        of Exp (the two agree on the sphere).

    Returns
    -------
    NormalisingConstant
        The estimate with its standard error and the draws behind it.

    Raises
    ------
    TypeError
        If ``manifold`` is not a geometry, ``n_samples`` not an integer,
        ``rng`` not a ``numpy.random.Generator``, or ``mean``, ``cov`` or
        ``frame`` not numeric.
    ValueError
        If ``mean`` is not a single point of ``manifold``, ``cov`` is not a
        symmetric positive definite ``(dim, dim)`` matrix, ``n_samples < 1``,
        ``sampling`` or ``volume`` is not one of its choices, or ``frame`` is
        not an orthonormal tangent frame at ``mean``.
    GeodesicSolverError
        If every Monte Carlo Exp fails (learned manifolds).

    Examples
    --------
    On the sphere the volume density ``sin r / r`` is below one, so ``C`` is
    a little below the Euclidean ``Z = 2 pi sqrt(det Sigma)``; a 200 000-draw
    estimate gives ``C = 0.4333``:

    >>> import numpy as np
    >>> import land
    >>> sphere, cov = land.Sphere(), np.diag([0.1, 0.05])
    >>> c = land.normalising_constant(sphere, [0.0, 0.0, 1.0], cov, 256,
    ...                               np.random.default_rng(0))
    >>> bool(c.value < np.exp(c.log_z))
    True
    >>> bool(abs(c.log_value - np.log(0.4333)) < 0.01)
    True
    >>> q = land.normalising_constant(sphere, [0.0, 0.0, 1.0], cov, 200,
    ...                               np.random.default_rng(0), sampling="qmc")
    >>> q.tangent_coords.shape
    (256, 2)
    """
    mean = check_mean(manifold, mean)
    cov = check_spd(cov, "cov", manifold.dim)
    n_samples = check_positive_int(n_samples, "n_samples")
    rng = check_generator(rng)
    sampling = check_choice(sampling, "sampling", _SAMPLINGS)
    volume = check_choice(volume, "volume", VOLUMES)
    frame = frame_at(manifold, mean, frame)
    normals = qmc_normals(n_samples, manifold.dim, rng) if sampling == "qmc" else None
    return estimate_constant(manifold, mean, frame, cov, n_samples, rng, normals=normals,
                             volume=volume)


def frame_at(manifold, mean, frame, name="frame"):
    """``manifold.frame(mean)`` when ``frame`` is None, else ``frame`` checked at ``mean``.

    The check (a TypeError or ValueError naming ``name``) requires an
    orthonormal tangent frame at ``mean``, shape ``[ambient_dim, d]``.
    """
    return manifold.frame(mean) if frame is None else check_frame(manifold, mean, frame, name)


def check_choice(value, name, choices):
    """``value`` if it is one of the strings ``choices``, else a ValueError naming ``name``."""
    if not isinstance(value, str) or value not in choices:
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
    data_jacobian : ndarray, shape=[N_ok, d, d] or None
        ``d data_coords / d mu`` (``log_jacobian``) when the mean gradient
        was computed; a fit predicts the next iteration's Logs from it.

    Examples
    --------
    :func:`evaluate_land` returns one:

    >>> import numpy as np
    >>> import land
    >>> cov = np.diag([0.1, 0.05])
    >>> x = land.sample_sphere_land(100, [0.0, 0.0, 1.0], cov, np.random.default_rng(0)).points
    >>> ev = land.evaluate_land(land.Sphere(), x, [0.0, 0.0, 1.0], cov, n_samples=256,
    ...                         rng=np.random.default_rng(1))
    >>> ev.grad_mean.shape, ev.grad_factor.shape, ev.data_coords.shape
    ((2,), (2, 2), (100, 2))
    >>> ev.n_failed_log, ev.constant.tangent_coords.shape
    (0, (256, 2))
    """

    objective: float
    grad_mean: np.ndarray
    grad_factor: np.ndarray
    data_coords: np.ndarray
    constant: NormalisingConstant | None = None
    n_failed_log: int = 0
    data_logs: np.ndarray | None = field(default=None, repr=False)
    log_result: GeodesicResult | None = field(default=None, repr=False)
    data_jacobian: np.ndarray | None = field(default=None, repr=False)


def objective_and_gradients(manifold, mean, frame, factor, data_coords, sample_coords,
                            sample_volume, weights=None, sample_converged=None,
                            sample_mean_gradient=None, with_mean_gradient=True) -> LandEvaluation:
    """``phi`` and its gradients for given Log coordinates and Monte Carlo draws.

    This is deterministic: it differentiates the Monte Carlo objective with
    the draws held fixed on the manifold (importance weights ``w_s`` equal to
    ``m_s / sum m`` at the current parameters). Then

        grad_A    = A (1/N sum_n L_n L_n^T - sum_s w_s v_s v_s^T),
        grad_mean = 1/N sum_n J_n^T P L_n - sum_s w_s J_s^T P L_s,   P = A^T A,

    with ``J = manifold.log_jacobian``, the derivative of Log coordinates
    with respect to the mean. With ``J = -I`` (the LAND paper's
    approximation) the last line is the paper's ``-P (mean L - sum w v)``.
    The draws' part is the derivative of ``C`` written as an integral over
    the manifold; given ``sample_mean_gradient`` (``g_s = d log m_s / d mu``
    with the draws fixed), it is replaced by ``sum_s w_s g_s``, the exact
    derivative of the Monte Carlo ``log C`` itself, so ``grad_mean`` is then
    the gradient of the very objective that is returned.

    The arrays are checked for shape and finiteness only (this is the inner
    loop of the fits).

    Parameters
    ----------
    manifold : Sphere or LearnedManifold
        Supplies ``log_jacobian``.
    mean : ndarray, shape=[ambient_dim]
        The mean ``mu`` the coordinates are taken at.
    frame : ndarray, shape=[ambient_dim, d]
        The orthonormal tangent frame at ``mean`` of all coordinates.
    factor : array-like, shape=[d, d]
        ``A``, with ``Sigma^{-1} = A^T A``; the draws must come from
        ``N(0, Sigma)``.
    data_coords : array-like, shape=[N, d]
        ``Log_mu(x_n)`` in ``frame`` coordinates.
    sample_coords : array-like, shape=[S, d]
        The Monte Carlo draws ``v_s``.
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
    sample_mean_gradient : array-like, shape=[S, d], optional
        ``d log m(mu, v_s) / d mu`` of each draw (see
        ``NormalisingConstant.mean_gradient``).
    with_mean_gradient : bool
        Whether to compute ``grad_mean`` (NaN when False: a fit's line search
        needs only the objective and ``grad_factor`` at a trial mean).

    Returns
    -------
    LandEvaluation
        ``objective``, ``grad_mean``, ``grad_factor`` and ``data_coords``;
        the other fields keep their defaults.

    Raises
    ------
    TypeError
        If an array argument is not numeric.
    ValueError
        If ``factor`` is not a finite, invertible ``(d, d)`` matrix,
        ``data_coords`` or ``sample_coords`` not a finite ``(n, d)`` array,
        ``sample_volume`` not ``S`` finite values >= 0, or ``weights`` does
        not have shape ``(N,)``, or has a negative or non-finite entry or a
        sum that is not positive.
    GeodesicSolverError
        If no draw has a positive volume density ``sample_volume``.

    Examples
    --------
    Equal weights give the unweighted objective:

    >>> import numpy as np
    >>> import land
    >>> sphere, mean, cov = land.Sphere(), np.array([0.0, 0.0, 1.0]), np.diag([0.1, 0.05])
    >>> frame = sphere.frame(mean)
    >>> x = land.sample_sphere_land(100, mean, cov, np.random.default_rng(0)).points
    >>> coords = sphere.coordinates(mean, frame, sphere.log(mean, x))
    >>> c = land.normalising_constant(sphere, mean, cov, 256, np.random.default_rng(1))
    >>> args = (sphere, mean, frame, land.precision_factor(cov), coords, c.tangent_coords,
    ...         c.volume)
    >>> ev = land.objective_and_gradients(*args)
    >>> ev.grad_mean.shape, ev.grad_factor.shape
    ((2,), (2, 2))
    >>> bool(np.isclose(ev.objective,
    ...                 land.objective_and_gradients(*args, weights=np.ones(100)).objective))
    True
    """
    dim = check_geometry(manifold).dim
    # A degenerate factor raises LinAlgError: a ValueError, which the fits' divergence checks catch.
    if isinstance(factor, np.ndarray) and factor.dtype.kind == "f" and not np.all(np.isfinite(factor)):
        raise np.linalg.LinAlgError("factor: expected finite values, found NaN or inf")
    factor = as_float_array(factor, "factor")
    if factor.shape != (dim, dim):
        raise ValueError(f"factor: expected shape ({dim}, {dim}), got {factor.shape}")
    if not np.linalg.cond(factor) < 1.0 / np.finfo(float).eps:
        raise np.linalg.LinAlgError("factor: expected an invertible matrix (it is singular to "
                                    "working precision)")
    data_coords = as_float_array(data_coords, "data_coords")
    sample_coords = as_float_array(sample_coords, "sample_coords")
    for name, coords in (("data_coords", data_coords), ("sample_coords", sample_coords)):
        if coords.ndim != 2 or coords.shape[1] != dim or coords.shape[0] == 0:
            raise ValueError(f"{name}: expected shape (n, {dim}) with n >= 1, got {coords.shape}")
    sample_volume = as_float_array(sample_volume, "sample_volume")
    if sample_volume.shape != (sample_coords.shape[0],) or np.any(sample_volume < 0):
        raise ValueError(f"sample_volume: expected {sample_coords.shape[0]} values >= 0, got "
                         f"shape {sample_volume.shape}")
    data_weights = None
    if weights is not None:
        weights = np.asarray(weights, dtype=float)
        if weights.shape != (data_coords.shape[0],):
            raise ValueError(f"weights: expected shape ({data_coords.shape[0]},), got {weights.shape}")
        if not np.all(np.isfinite(weights)) or np.any(weights < 0) or not weights.sum() > 0:
            raise ValueError("weights: expected finite non-negative values with a positive sum")
        data_weights = weights / weights.sum()
    precision = factor.T @ factor
    total_volume = sample_volume.sum()
    if not total_volume > 0:
        raise GeodesicSolverError("objective: no Monte Carlo draw has positive volume density")
    weights = sample_volume / total_volume
    log_z = 0.5 * dim * np.log(2 * np.pi) - np.linalg.slogdet(factor)[1]
    n_used = sample_volume.size if sample_converged is None else int(np.count_nonzero(sample_converged))
    log_c = log_z + np.log(total_volume / n_used)
    if data_weights is None:
        data_term = 0.5 * np.mean(squared_mahalanobis(data_coords, factor))
        scatter_data = data_coords.T @ data_coords / data_coords.shape[0]
    else:
        data_term = 0.5 * data_weights @ squared_mahalanobis(data_coords, factor)
        scatter_data = (data_coords * data_weights[:, None]).T @ data_coords
    scatter_model = (sample_coords * weights[:, None]).T @ sample_coords
    grad_factor = factor @ (scatter_data - scatter_model)

    if not with_mean_gradient:
        return LandEvaluation(float(data_term + log_c), np.full(dim, np.nan), grad_factor,
                              data_coords)
    used = weights > 0
    jac_data = manifold.log_jacobian(mean, frame, data_coords)
    if data_weights is None:
        pull_data = (np.einsum("nji,jk,nk->i", jac_data, precision, data_coords)
                     / data_coords.shape[0])
    else:
        pull_data = np.einsum("n,nji,jk,nk->i", data_weights, jac_data, precision, data_coords)
    if sample_mean_gradient is not None:
        grad_log_c = weights[used] @ np.asarray(sample_mean_gradient, dtype=float)[used]
    else:
        jac_samples = manifold.log_jacobian(mean, frame, sample_coords[used])
        grad_log_c = -np.einsum("s,sji,jk,sk->i", weights[used], jac_samples, precision,
                                sample_coords[used])
    return LandEvaluation(float(data_term + log_c), pull_data + grad_log_c, grad_factor,
                          data_coords, data_jacobian=jac_data)


def evaluate_parameters(manifold, data, mean, frame, factor, n_samples, rng, initial_logs=None,
                        logs=None, normals=None, volume="paper", gradients=True, proposal=None,
                        weights=None):
    """:func:`evaluate_land` at a precision factor, unchecked, for the fits' inner loops.

    Solves the data Logs at ``mean`` (warm-started from ``initial_logs``)
    unless ``logs`` already holds them, estimates ``C`` with
    :func:`estimate_constant` (on ``normals`` and ``proposal`` if given) and
    returns :func:`objective_and_gradients` with the data ``weights``, as a
    :class:`LandEvaluation` with every field set; ``gradients=False`` skips
    the mean gradient. Raises GeodesicSolverError if no Log (of a point with
    positive weight) converges.
    """
    if logs is None:
        logs = manifold.solve_log(mean, data, initial_velocities=initial_logs)
    if not np.any(logs.converged):
        raise GeodesicSolverError("evaluate_land: no data point's Log converged")
    if weights is not None:
        weights = weights[logs.converged]
        if not weights.sum() > 0:
            raise GeodesicSolverError("evaluate_land: the Logs of every point with positive "
                                      "weight failed")
    coords = manifold.coordinates(mean, frame, logs.value[logs.converged])
    cov = unchecked_covariance_from_factor(factor)
    constant = estimate_constant(manifold, mean, frame, cov, n_samples, rng, normals=normals,
                                 volume=volume, mean_gradient=gradients, proposal=proposal)
    core = objective_and_gradients(manifold, mean, frame, factor, coords,
                                   constant.tangent_coords, constant.volume, weights=weights,
                                   sample_converged=constant.converged,
                                   sample_mean_gradient=constant.mean_gradient,
                                   with_mean_gradient=gradients)
    return LandEvaluation(core.objective, core.grad_mean, core.grad_factor, coords, constant,
                          logs.n_failed, logs.value, logs, core.data_jacobian)


def evaluate_land(manifold, data, mean, cov, *, n_samples: int, rng: np.random.Generator,
                  frame=None) -> LandEvaluation:
    """Objective and gradients of the LAND at ``(mean, cov)`` with fresh Monte Carlo draws.

    ``cov`` is in ``frame`` (default ``manifold.frame(mean)``); gradients are
    in the same frame. Data points whose Log fails are left out and counted.

    Parameters
    ----------
    manifold : Sphere or LearnedManifold
    data : array-like, shape=[N, ambient_dim]
        Points of ``manifold``.
    mean : array-like, shape=[ambient_dim]
        A point of ``manifold``.
    cov : array-like, shape=[dim, dim]
        Symmetric positive definite covariance in ``frame``.
    n_samples : int
        Monte Carlo draws for the normalising constant (>= 1).
    rng : numpy.random.Generator
    frame : array-like, shape=[ambient_dim, dim], optional
        Orthonormal tangent frame at ``mean``; default ``manifold.frame(mean)``.

    Returns
    -------
    LandEvaluation
        With ``constant``, ``n_failed_log``, ``data_logs`` and ``log_result`` set.

    Raises
    ------
    TypeError
        If ``manifold`` is not a geometry, ``n_samples`` not an integer,
        ``rng`` not a ``numpy.random.Generator``, or an array argument not
        numeric.
    ValueError
        If ``mean`` is not a single point or ``data`` not an ``(N,
        ambient_dim)`` array of points of ``manifold``, ``cov`` is not
        symmetric positive definite of shape ``(dim, dim)``, ``n_samples < 1``,
        or ``frame`` is not an orthonormal tangent frame at ``mean``. (A data
        point antipodal to ``mean`` on the sphere is a failed Log: left out
        and counted.)
    GeodesicSolverError
        If no data point's Log converges, every Monte Carlo Exp fails, or no
        draw has a positive volume density.

    Examples
    --------
    >>> import numpy as np
    >>> import land
    >>> cov = np.diag([0.1, 0.05])
    >>> x = land.sample_sphere_land(100, [0.0, 0.0, 1.0], cov, np.random.default_rng(0)).points
    >>> ev = land.evaluate_land(land.Sphere(), x, [0.0, 0.0, 1.0], cov, n_samples=256,
    ...                         rng=np.random.default_rng(1))
    >>> ev.grad_mean.shape, ev.grad_factor.shape, ev.n_failed_log
    ((2,), (2, 2), 0)
    >>> bool(np.isfinite(ev.objective))
    True
    """
    mean = check_mean(manifold, mean)
    data = check_data(manifold, data)
    cov = check_spd(cov, "cov", manifold.dim)
    n_samples = check_positive_int(n_samples, "n_samples")
    rng = check_generator(rng)
    frame = frame_at(manifold, mean, frame)
    return evaluate_parameters(manifold, data, mean, frame, precision_factor(cov), n_samples, rng)


def log_density(manifold, points, mean, cov, log_constant: float, *, frame=None) -> np.ndarray:
    """``log p(x) = -Log_mu(x)^T Sigma^{-1} Log_mu(x) / 2 - log C`` for each point.

    The density is with respect to the manifold's Riemannian volume measure.
    Points whose Log fails raise :class:`~land.GeodesicSolverError`.

    Parameters
    ----------
    manifold : Sphere or LearnedManifold
    points : array-like, shape=[ambient_dim] or [n, ambient_dim]
        Points of ``manifold``.
    mean : array-like, shape=[ambient_dim]
        A point of ``manifold``.
    cov : array-like, shape=[dim, dim]
        Symmetric positive definite covariance in ``frame``.
    log_constant : float
        ``log C(mu, Sigma)``, e.g. ``normalising_constant(...).log_value``.
    frame : array-like, shape=[ambient_dim, dim], optional
        Orthonormal tangent frame at ``mean``; default ``manifold.frame(mean)``.

    Returns
    -------
    ndarray, shape=[] or [n]
        ``log p`` of each point (a 0-d array for a single point).

    Raises
    ------
    TypeError
        If ``manifold`` is not a geometry or an array argument (including
        ``log_constant``) is not numeric.
    ValueError
        If ``mean`` is not a single point or ``points`` not points of
        ``manifold``, ``cov`` is not symmetric positive definite of shape
        ``(dim, dim)``, ``frame`` is not an orthonormal tangent frame at
        ``mean``, ``log_constant`` is not one finite number, or (on the
        sphere) a point is antipodal to ``mean``.
    GeodesicSolverError
        If a point's Log fails (learned manifolds).
    FloatingPointError
        If a result is not finite.

    Examples
    --------
    At the mean the quadratic term vanishes, so ``log p(mu) = -log C``:

    >>> import numpy as np
    >>> import land
    >>> sphere, mean, cov = land.Sphere(), [0.0, 0.0, 1.0], np.diag([0.1, 0.05])
    >>> c = land.normalising_constant(sphere, mean, cov, 256, np.random.default_rng(0))
    >>> bool(np.isclose(land.log_density(sphere, mean, mean, cov, c.log_value), -c.log_value))
    True
    >>> x = land.sample_sphere_land(5, mean, cov, np.random.default_rng(1)).points
    >>> land.log_density(sphere, x, mean, cov, c.log_value).shape
    (5,)
    """
    mean = check_mean(manifold, mean)
    cov = check_spd(cov, "cov", manifold.dim)
    frame = frame_at(manifold, mean, frame)
    log_constant = as_float_array(log_constant, "log_constant")
    if log_constant.ndim:
        raise ValueError(f"log_constant: expected a number, got shape {log_constant.shape}")
    log_p, failed = log_density_from_logs(manifold, mean, frame, precision_factor(cov),
                                          log_constant, manifold.solve_log(mean, points))
    if np.any(failed):
        manifold.log(mean, points)     # raises the geometry's own error for a failed Log
    return check_finite_result(log_p, "log_density")
