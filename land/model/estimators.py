"""scikit-learn style estimators: :class:`LAND` and :class:`LANDMixture`.

They wrap :func:`~land.fit_land` and :func:`~land.fit_land_mixture` with the
conventions of scikit-learn's density estimators and ``GaussianMixture``:
every setting is a constructor parameter, ``fit(X)`` learns the geometry
(when asked to) and the parameters and returns ``self``, and what was
learned sits in attributes with a trailing underscore.

The geometry is a constructor parameter too: ``"sphere"`` (data on the unit
sphere in R^3), ``"learned"`` (a :class:`~land.LocalDiagonalMetric` learned
from the training data, with ``kernel_width`` and ``rho``) or any object
implementing :class:`~land.Geometry`, used as given.

What the estimators promise beyond the functional interface:

* **Honest outcomes.** A fit that stops at ``max_iter`` or diverges warns
  with :class:`~sklearn.exceptions.ConvergenceWarning` and the reason
  (``converged_`` stays False); data on which the likelihood has no maximum
  (one point, identical points, fewer points than dimensions plus one, a
  constant feature, sphere data on one great circle) are refused with a
  ``ValueError`` naming ``X``; a covariance that reaches the floor
  ``reg_covar`` warns with ``land.DegenerateLikelihoodWarning``.
* **Densities that are densities.** The constant ``log C`` behind every
  score is estimated once more after the fit, with the exact volume term
  (the Jacobian of Exp included) and ``max(n_mc_samples, 4096)`` randomised
  quasi-Monte Carlo draws, so the scored density integrates to one even
  when the fit itself used the paper's cheaper volume term.
* **Comparable scores.** By default (``measure="lebesgue"``) scores are log
  densities with respect to the measure the data live in: Lebesgue measure
  on R^D for a learned geometry, area on the sphere; so they can be set
  beside ``GaussianMixture.score`` or ``KernelDensity.score_samples`` on the
  same ``X``. ``measure="volume"`` gives the density on the manifold's
  Riemannian volume measure instead.
* **Every point scored.** A point whose Log fails gets the density at an
  upper bound of its distance (see :meth:`LAND.score_samples`), and a
  ``land.GeodesicSolverWarning`` counts such points.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClusterMixin, DensityMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from land._validation import (check_data_matrix, check_finite_result, check_nonnegative,
                              check_positive, check_positive_int)
from land.geometry.base import (DegenerateLikelihoodWarning, Geometry, GeodesicSolverError,
                                GeodesicSolverWarning, check_geometry)
from land.geometry.learned import LearnedManifold
from land.geometry.metric import LocalDiagonalMetric, kernel_width_rule
from land.geometry.sphere import Sphere
from land.model.fit import fit_land, floor_eigenvalues
from land.model.likelihood import (ALGORITHMS, check_not_degenerate, estimate_constant,
                                   log_density_from_logs, precision_factor, qmc_normals)
from land.model.mixture import fit_land_mixture, lebesgue_log_density
from land.numerics.cascade import MAX_REACH

__all__ = ["LAND", "LANDMixture"]

_GEOMETRIES = ("sphere", "learned")
_MEASURES = ("lebesgue", "volume")
#: ``rho="auto"`` of :class:`LAND` is this times the mean variance of the features of ``X``.
RHO_FACTOR = 1e-3
#: ``kernel_width="auto"`` of :class:`LAND`: the median distance to this neighbour.
WIDTH_NEIGHBOURS = 20
#: The same two rules for :class:`LANDMixture`, chosen by ``studies/defaults.py``: a mixture
#: separates clusters only where the metric sees the gaps between them, which takes a
#: width near the spacing of close neighbours and a ``rho`` large enough that geodesics
#: across a gap stay short enough to solve.
MIXTURE_WIDTH_NEIGHBOURS = 5
MIXTURE_RHO_FACTOR = 0.2
#: Least number of draws behind the constant that scores use.
SCORE_DRAWS = 4096
#: Share of the training data whose Logs may fail at the end of a fit before it warns.
FAILED_SHARE = 0.05
#: Feature variances a learned geometry accepts (see ``_check_scale``).
MAX_VARIANCE, MIN_VARIANCE = 1e200, 1e-200
# Gauss-Legendre nodes for the metric length of a straight segment (the bound for failed Logs).
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(32)


def _make_geometry(geometry, X, kernel_width, rho, neighbours=None, rho_factor=None):
    """The geometry an estimator fits on, and the kernel width and rho it used (None if none).

    ``neighbours`` and ``rho_factor`` set the ``"auto"`` rules (defaults: the
    LAND's, ``WIDTH_NEIGHBOURS`` and ``RHO_FACTOR``).
    """
    neighbours = WIDTH_NEIGHBOURS if neighbours is None else neighbours
    rho_factor = RHO_FACTOR if rho_factor is None else rho_factor
    if isinstance(geometry, str):
        if geometry not in _GEOMETRIES:
            raise ValueError(f"geometry: expected 'sphere', 'learned' or a land.Geometry, "
                             f"got {geometry!r}")
        if geometry == "sphere":
            if X.shape[1] != 3:
                raise ValueError(f"X: expected 3 features for Sphere(), got {X.shape[1]}")
            return Sphere(), None, None
        _check_scale(X)
        if isinstance(kernel_width, str):
            if kernel_width != "auto":
                raise ValueError(f"kernel_width: expected a positive number or 'auto', "
                                 f"got {kernel_width!r}")
            if X.shape[0] < 3:
                raise ValueError(f"X: kernel_width='auto' needs at least 3 points, "
                                 f"got n_samples = {X.shape[0]}")
            try:
                width = kernel_width_rule(X, min(neighbours, X.shape[0] - 1))
            except ValueError as error:   # repeated points: the rule names its own argument
                raise ValueError(f"X: kernel_width='auto' failed: {error}".replace("train: ", ""))
        else:
            width = check_positive(kernel_width, "kernel_width")
        if isinstance(rho, str):
            if rho != "auto":
                raise ValueError(f"rho: expected a positive number or 'auto', got {rho!r}")
            rho = rho_factor * float(np.mean(np.var(X, axis=0)))
        else:
            rho = check_positive(rho, "rho")
        return LearnedManifold(LocalDiagonalMetric(X, width, rho)), width, rho
    _check_geometry_param(geometry)
    if geometry.ambient_dim != X.shape[1]:
        raise ValueError(f"X: expected {geometry.ambient_dim} features for {geometry!r}, "
                         f"got {X.shape[1]}")
    return geometry, None, None


def _check_geometry_param(geometry):
    """Refuse a ``geometry`` that is neither a name nor a :class:`~land.Geometry` instance."""
    if isinstance(geometry, str):
        return
    if isinstance(geometry, type):      # land.Sphere for land.Sphere()
        check_geometry(geometry, "geometry")
    if not isinstance(geometry, Geometry):
        raise TypeError(f"geometry: expected 'sphere', 'learned' or a land.Geometry, "
                        f"got {type(geometry).__name__}")


def _check_scale(X):
    """Refuse, naming ``X``, data whose feature variances a learned metric cannot work with.

    The metric squares distances in kernel widths and takes ``1 / rho`` with
    ``rho`` a multiple of the variance, so variances that overflow, exceed
    ``MAX_VARIANCE`` or are positive but below ``MIN_VARIANCE`` are refused
    with the advice to rescale ``X`` (a zero variance is a constant feature,
    refused elsewhere).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        variance = np.var(X, axis=0)
    if not np.all(np.isfinite(variance)) or np.any(variance > MAX_VARIANCE):
        raise ValueError(f"X: expected feature variances below {MAX_VARIANCE:.0e}, got "
                         f"{float(np.max(variance)):.3g}; the learned metric's squared distances "
                         "would overflow: rescale X (e.g. with sklearn's StandardScaler)")
    tiny = (variance > 0) & (variance < MIN_VARIANCE)
    if tiny.any():
        raise ValueError(f"X: expected feature variances above {MIN_VARIANCE:.0e}, got "
                         f"{float(np.min(variance[tiny])):.3g}; the learned metric's 1 / rho would "
                         "overflow: rescale X (e.g. with sklearn's StandardScaler)")


def _check_not_degenerate(X, geometry):
    """:func:`land.model.likelihood.check_not_degenerate` naming ``X``.

    ``geometry`` is the estimator's parameter (a name or a Geometry); this runs
    before the learned metric is built, whose ``rho="auto"`` needs spread data.
    """
    check_not_degenerate(X, geometry, "X")


def _check_measure(measure, geometry):
    if not isinstance(measure, str) or measure not in _MEASURES:
        raise ValueError(f"measure: expected 'lebesgue' or 'volume', got {measure!r}")
    if measure == "lebesgue" and not (isinstance(geometry, Sphere) or hasattr(geometry, "metric")):
        raise ValueError(f"measure: 'lebesgue' is defined for the sphere and learned geometries, "
                         f"not {geometry!r}; use measure='volume'")


def _rng(random_state):
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or (isinstance(random_state, (int, np.integer))
                                and not isinstance(random_state, bool) and random_state >= 0):
        return np.random.default_rng(random_state)
    raise TypeError(f"random_state: expected None, a non-negative int or a numpy.random.Generator, "
                    f"got {random_state!r}")


def _check_X(estimator, X, *, reset: bool):
    X = check_data_matrix(X, "X")
    if reset:
        estimator.n_features_in_ = X.shape[1]
    elif X.shape[1] != estimator.n_features_in_:
        raise ValueError(f"X has {X.shape[1]} features, but {type(estimator).__name__} is "
                         f"expecting {estimator.n_features_in_} features as input")
    return X


def _n_mc_samples(estimator):
    """The Monte Carlo count, from ``n_mc_samples`` or the deprecated ``n_samples``."""
    if not (isinstance(estimator.n_samples, str) and estimator.n_samples == "deprecated"):
        warnings.warn(f"{type(estimator).__name__}: n_samples was renamed n_mc_samples (it counts "
                      "Monte Carlo draws, not data rows); n_samples will be removed in 0.3",
                      FutureWarning, stacklevel=3)
        return check_positive_int(estimator.n_samples, "n_samples")
    return check_positive_int(estimator.n_mc_samples, "n_mc_samples")


def _length_bound(geometry, base_point, points):
    """An upper bound of the geodesic distance from ``base_point`` to each of ``points``.

    On the sphere, pi (the distance to the antipode, where Log fails). On a
    learned geometry, the metric length of the straight segment (32-point
    Gauss-Legendre quadrature); a geodesic is no longer. Otherwise inf.
    """
    if isinstance(geometry, Sphere):
        return np.full(points.shape[0], np.pi)
    metric = getattr(geometry, "metric", None)
    if metric is None:
        return np.full(points.shape[0], np.inf)
    fractions, weights = 0.5 * (_GL_NODES + 1.0), 0.5 * _GL_WEIGHTS
    delta = points - base_point
    path = base_point + fractions[:, None, None] * delta[None]
    diagonal = metric.metric_diagonal(path.reshape(-1, points.shape[1])).reshape(path.shape)
    return weights @ np.sqrt(np.sum(diagonal * delta**2, axis=-1))


def _land_log_density(geometry, X, mean, cov, frame, log_constant):
    """Log densities (volume measure) of one LAND and the number of points whose Log failed.

    A point whose Log fails gets ``-L^2 / (2 lambda_min(Sigma)) - log C`` with
    ``L`` from :func:`_length_bound`: the smallest density any tangent vector
    of length ``L`` could have, a lower bound of the density it would have.

    A point so far from the data that this bound overflows (or beyond the
    Log solver's reach, ``land.numerics.cascade.MAX_REACH`` length scales of
    the metric) has no finite score: a ``ValueError`` naming ``X`` says so.
    """
    log_p, failed = log_density_from_logs(geometry, mean, frame, precision_factor(cov),
                                          log_constant, geometry.solve_log(mean, X))
    if failed.any():
        rows = np.flatnonzero(failed)
        bound = np.full(rows.size, np.inf)
        with np.errstate(over="ignore", invalid="ignore"):
            reach = np.linalg.norm(X[rows] - mean, axis=1) / getattr(geometry, "_scale", 1.0)
            near = reach <= MAX_REACH
            if near.any():
                bound[near] = _length_bound(geometry, mean, X[rows[near]])
            log_p[rows] = -0.5 * bound**2 / np.linalg.eigvalsh(cov)[0] - log_constant
    bad = ~np.isfinite(log_p)
    if bad.any():
        raise ValueError(f"X: {int(bad.sum())} of {X.shape[0]} point(s) are too far from the data "
                         f"to be scored (first: row {int(np.flatnonzero(bad)[0])}); their log "
                         "density underflows to -inf")
    return log_p, int(np.count_nonzero(failed))


def _to_measure(geometry, X, log_p, measure):
    if measure == "lebesgue" and not isinstance(geometry, Sphere):
        return lebesgue_log_density(geometry, X, log_p)
    return log_p     # on the sphere the volume measure is the area measure


def _warn_failed(what, n_failed, n_points):
    if n_failed:
        warnings.warn(f"{what}: the Logs of {n_failed} of {n_points} points failed; each was "
                      "scored at the upper bound of its distance (see LAND.score_samples)",
                      GeodesicSolverWarning, stacklevel=3)


def _warn_not_converged(name, converged, stop_reason, n_iter, max_iter):
    if stop_reason.startswith("diverged"):
        warnings.warn(f"{name} diverged after {n_iter} iterations ({stop_reason}); the last sound "
                      "iterate is kept, converged_ is False", ConvergenceWarning, stacklevel=3)
    elif not converged and stop_reason != "fixed number of iterations":
        warnings.warn(f"{name} did not converge in max_iter = {max_iter} iterations "
                      f"({stop_reason}); raise max_iter, or check the fit's history_",
                      ConvergenceWarning, stacklevel=3)


def _scoring_constant(geometry, mean, cov, frame, n_draws, rng):
    """``log C`` with the exact volume term and its relative standard error."""
    # normalising_constant without its argument checks: the fitted cov is only required SPD
    # (with reg_covar=0 it may be worse conditioned than a user's cov is allowed to be).
    n_draws = max(n_draws, SCORE_DRAWS)
    constant = estimate_constant(geometry, mean, frame, cov, n_draws, rng,
                                 normals=qmc_normals(n_draws, geometry.dim, rng), volume="exact")
    return constant.log_value, constant.std_error / constant.value





class LAND(DensityMixin, BaseEstimator):
    """The Locally Adaptive Normal Distribution as a scikit-learn density estimator.

    A LAND on a Riemannian manifold has the density
    ``p(x) = exp(-Log_mu(x)^T Sigma^{-1} Log_mu(x) / 2) / C(mu, Sigma)`` with
    respect to the manifold's volume measure, ``Sigma`` a ``d x d``
    covariance in an orthonormal tangent frame at the mean ``mu``. Here
    ``D = n_features`` is the dimension of the data and ``d`` the
    manifold's intrinsic dimension (``d = D`` on a learned geometry,
    ``d = 2`` on the sphere, where ``D = 3``).

    Parameters
    ----------
    geometry : {"learned", "sphere"} or Geometry, default="learned"
        ``"learned"``: R^D with a :class:`~land.LocalDiagonalMetric` learned
        from the training data with ``kernel_width`` and ``rho``;
        ``"sphere"``: data on the unit sphere in R^3 (``n_features = 3``);
        a :class:`~land.Geometry` instance is used as given
        (``kernel_width`` and ``rho`` are then ignored).
    kernel_width : float or "auto", default="auto"
        Width of the metric's Gaussian weights, in the units of ``X``
        (learned geometry). ``"auto"``: :func:`~land.kernel_width_rule`, the
        median distance to the 20th nearest training point, which scales
        with the data.
    rho : float or "auto", default="auto"
        Regulariser of the learned metric's local variances, in the units
        of ``X`` squared (the metric far from the data is ``1 / rho``).
        ``"auto"``: ``1e-3`` times the mean variance of the features of
        ``X`` (``RHO_FACTOR``), so that fitting ``c * X`` gives the same
        model scaled by ``c``; a number is used as given.
    n_mc_samples : int, default=1024
        Monte Carlo draws per estimate of the normalising constant during
        the fit (the constant behind scores uses at least ``SCORE_DRAWS =
        4096``).
    algorithm : {"natural", "paper"}, default="natural"
        See :func:`~land.fit_land`. ``"paper"`` runs exactly ``max_iter``
        fixed steps, so ``converged_`` is False without a warning.
    max_iter : int, default=100
        Most gradient iterations.
    reg_covar : float, default=1e-6
        Covariance floor relative to the data's spread: after the fit, no
        eigenvalue of ``covariance_`` is below ``cov_floor_ = reg_covar *
        trace(Sigma_0) / d``, where ``Sigma_0`` is the scatter of the Log
        coordinates of ``X`` at the initial mean. Being relative, it scales
        with the data. Reaching it warns with
        ``land.DegenerateLikelihoodWarning``. 0 turns it off.
    measure : {"lebesgue", "volume"}, default="lebesgue"
        Base measure of :meth:`score_samples`, :meth:`score`, ``bic``
        and ``aic``. ``"lebesgue"``: the measure the data live in,
        Lebesgue measure on R^D for a learned geometry (see
        :func:`~land.model.lebesgue_log_density`) and area on the sphere,
        comparable with scikit-learn's density estimators on the same
        ``X``. ``"volume"``: the manifold's Riemannian volume measure (the
        LAND's own; the same as area on the sphere).
    random_state : None, int or numpy.random.Generator, default=None
        Seed or generator of the Monte Carlo draws (the fit's and the
        scoring constant's).
    n_samples : int, optional
        Deprecated alias of ``n_mc_samples`` (a ``FutureWarning``; removed in 0.3).

    Attributes
    ----------
    geometry_ : Geometry
        The geometry the model was fitted on.
    kernel_width_ : float or None
        The kernel width used (learned geometry only).
    rho_ : float or None
        The ``rho`` used, in the units of ``X`` squared (learned geometry only).
    mean_ : ndarray, shape=[n_features]
        The fitted mean ``mu``, a point of the geometry.
    covariance_ : ndarray, shape=[d, d]
        ``Sigma`` in the coordinates of ``frame_``.
    frame_ : ndarray, shape=[n_features, d]
        Orthonormal tangent frame at ``mean_`` (orthonormal in the metric).
    cov_floor_ : float
        The covariance floor ``reg_covar * trace(Sigma_0) / d`` applied.
    log_constant_ : float
        ``log C(mu, Sigma)`` behind every score: exact volume term,
        ``max(n_mc_samples, 4096)`` randomised quasi-Monte Carlo draws.
    log_constant_error_ : float
        Relative standard error of ``C`` (about the error of ``log_constant_``).
    converged_ : bool
        Whether the fit's stopping rule was met.
    n_iter_ : int
        Iterations run.
    stop_reason_ : str
        Why the fit stopped (see :class:`~land.LandFit`).
    history_ : FitHistory
        Per-iteration record of the fit (objective, parameters, failed solves).
    n_features_in_ : int
        ``D``, the number of features seen in :meth:`fit`.

    Raises
    ------
    TypeError, ValueError
        From :meth:`fit`, for bad data or settings, naming the one at fault
        (the constructor only stores its arguments, as scikit-learn requires).

    See Also
    --------
    land.fit_land : the functional interface behind :meth:`fit`.
    LANDMixture : a mixture of LANDs.

    Examples
    --------
    >>> import numpy as np
    >>> import land
    >>> rng = np.random.default_rng(0)
    >>> X = land.sample_sphere_land(200, [0.0, 0.0, 1.0], np.diag([0.2, 0.05]), rng).points
    >>> model = land.LAND("sphere", n_mc_samples=512, random_state=0).fit(X)
    >>> model.converged_
    True
    >>> bool(land.Sphere().dist(model.mean_, [0.0, 0.0, 1.0]) < 0.1)
    True
    >>> model.score_samples(X[:3]).shape
    (3,)
    """

    def __init__(self, geometry="learned", *, kernel_width="auto", rho="auto", n_mc_samples=1024,
                 algorithm="natural", max_iter=100, reg_covar=1e-6, measure="lebesgue",
                 random_state=None, n_samples="deprecated"):
        self.geometry = geometry
        self.kernel_width = kernel_width
        self.rho = rho
        self.n_mc_samples = n_mc_samples
        self.algorithm = algorithm
        self.max_iter = max_iter
        self.reg_covar = reg_covar
        self.measure = measure
        self.random_state = random_state
        self.n_samples = n_samples

    def fit(self, X, y=None):
        """Learn the geometry (if asked to) and the maximum-likelihood mean and covariance.

        Parameters
        ----------
        X : array-like, shape=[n_samples, n_features]
            Training points (on the unit sphere for ``geometry="sphere"``).
        y : ignored
            Present for scikit-learn's API.

        Returns
        -------
        self : LAND
            The fitted estimator.

        Raises
        ------
        ValueError, TypeError
            For bad data or parameters, naming the one at fault; ``ValueError``
            naming ``X`` for data on which the likelihood has no maximum (one
            point, identical points, fewer than ``n_features + 1`` points, a
            constant feature, sphere points on one great circle), or, for a
            learned geometry, feature variances that are not finite, above
            ``MAX_VARIANCE = 1e200`` or positive and below ``MIN_VARIANCE =
            1e-200`` (rescale ``X``); ``TypeError`` naming ``geometry`` for a
            class (``land.Sphere``) where an instance (``land.Sphere()``) belongs.
        GeodesicSolverError
            If no data point's Log converges at the initial mean.

        Warns
        -----
        ConvergenceWarning
            If the fit stopped at ``max_iter`` or diverged (the reason is in
            the message and ``stop_reason_``).
        DegenerateLikelihoodWarning
            If the covariance reached the floor ``cov_floor_``.
        GeodesicSolverWarning
            If the Logs of more than ``FAILED_SHARE`` (5 %) of ``X`` failed at
            the final iterate (those points were left out of it).

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> X = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> model = land.LAND(n_mc_samples=256, random_state=0).fit(X)
        >>> type(model.geometry_).__name__, model.mean_.shape, model.covariance_.shape
        ('LearnedManifold', (2,), (2, 2))
        >>> model.converged_
        True
        """
        X = _check_X(self, X, reset=True)
        if not isinstance(self.algorithm, str) or self.algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm: expected one of {ALGORITHMS}, got {self.algorithm!r}")
        max_iter = check_positive_int(self.max_iter, "max_iter")
        n_mc = _n_mc_samples(self)
        reg_covar = check_nonnegative(self.reg_covar, "reg_covar")
        rng = _rng(self.random_state)
        _check_geometry_param(self.geometry)
        _check_not_degenerate(X, self.geometry)
        geometry, width, rho = _make_geometry(self.geometry, X, self.kernel_width, self.rho)
        _check_measure(self.measure, geometry)
        X = geometry.check_points(X, "X")
        fit = fit_land(geometry, X, rng=rng, n_iter=max_iter, n_samples=n_mc,
                       algorithm=self.algorithm, progress=False)
        _warn_not_converged("LAND fit", fit.converged, fit.stop_reason, fit.n_iter, max_iter)
        n_failed = int(fit.history.n_failed_log[-1])
        if n_failed > FAILED_SHARE * X.shape[0]:
            warnings.warn(f"LAND fit: the Logs of {n_failed} of {X.shape[0]} points of X failed at "
                          f"the final iterate (more than {FAILED_SHARE:.0%}), so the fit left them "
                          "out", GeodesicSolverWarning, stacklevel=2)
        dim = geometry.dim
        cov_floor = reg_covar * float(np.trace(fit.history.cov[0])) / dim
        cov, floored = (floor_eigenvalues(fit.cov, cov_floor) if cov_floor > 0
                        else (fit.cov, False))
        if floored:
            warnings.warn(f"LAND fit: a covariance eigenvalue reached the floor reg_covar * "
                          f"trace(Sigma_0) / d = {cov_floor:.3g}: the likelihood grows without "
                          "bound as it shrinks (the data have almost no spread along some "
                          "direction), so the fitted covariance depends on reg_covar",
                          DegenerateLikelihoodWarning, stacklevel=2)
        self.geometry_, self.kernel_width_, self.rho_ = geometry, width, rho
        self.mean_, self.covariance_, self.frame_ = fit.mean, cov, fit.frame
        self.cov_floor_ = cov_floor
        self.log_constant_, self.log_constant_error_ = _scoring_constant(
            geometry, fit.mean, cov, fit.frame, n_mc, rng)
        self.converged_, self.n_iter_, self.stop_reason_ = fit.converged, fit.n_iter, fit.stop_reason
        self.history_ = fit.history
        return self

    def _log_density(self, X, what):
        check_is_fitted(self)
        X = self.geometry_.check_points(_check_X(self, X, reset=False), "X")
        log_p, n_failed = _land_log_density(self.geometry_, X, self.mean_, self.covariance_,
                                            self.frame_, self.log_constant_)
        _warn_failed(what, n_failed, X.shape[0])
        return check_finite_result(_to_measure(self.geometry_, X, log_p, self.measure), what)

    def score_samples(self, X):
        """Log density of each point, on the base measure chosen by ``measure``.

        ``log p(x) = -Log_mu(x)^T Sigma^{-1} Log_mu(x) / 2 - log C`` with
        ``log_constant_`` (exact volume term), plus ``0.5 log det M(x)`` for
        ``measure="lebesgue"`` on a learned geometry.

        A point whose Log fails is not dropped: it gets the density at an
        upper bound ``L`` of its distance from the mean,
        ``-L^2 / (2 lambda_min(Sigma)) - log C`` (the least density any
        point at distance ``L`` can have), with ``L = pi`` on the sphere (Log
        fails only at the antipode) and, on a learned geometry, the metric
        length of the straight segment from the mean (no geodesic is
        longer). A ``land.GeodesicSolverWarning`` counts these points.

        Parameters
        ----------
        X : array-like, shape=[n_samples, n_features]
            Points of the geometry.

        Returns
        -------
        ndarray, shape=[n_samples]
            ``log p(x)`` of each point.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        TypeError, ValueError
            For bad ``X`` (including a feature count other than the fit's,
            points off the sphere, or points so far from the data that
            their log density underflows to ``-inf``), naming ``X``.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> X = land.sample_sphere_land(100, [0.0, 0.0, 1.0], np.diag([0.1, 0.05]),
        ...                             np.random.default_rng(0)).points
        >>> model = land.LAND("sphere", n_mc_samples=256, random_state=0).fit(X)
        >>> log_p = model.score_samples([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
        >>> bool(log_p[0] > log_p[1])    # denser at the mean than a quarter-turn away
        True
        """
        return self._log_density(X, "score_samples")

    def score(self, X, y=None):
        """Mean log density of ``X`` (see :meth:`score_samples`).

        Parameters
        ----------
        X : array-like, shape=[n_samples, n_features]
            Points of the geometry.
        y : ignored
            Present for scikit-learn's API.

        Returns
        -------
        float
            ``mean_n log p(x_n)``.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        TypeError, ValueError
            As :meth:`score_samples`.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> X = land.sample_sphere_land(200, [0.0, 0.0, 1.0], np.diag([0.1, 0.05]),
        ...                             np.random.default_rng(0)).points
        >>> model = land.LAND("sphere", n_mc_samples=256, random_state=0).fit(X[:100])
        >>> bool(np.isfinite(model.score(X[100:])))   # held-out mean log density
        True
        """
        return float(np.mean(self._log_density(X, "score")))

    def _n_parameters(self) -> int:
        dim = self.covariance_.shape[0]
        return int(dim + dim * (dim + 1) // 2)

    def bic(self, X):
        """Bayesian information criterion ``-2 log L + p log N`` on ``X`` (lower is better).

        ``log L`` is the sum of :meth:`score_samples` (so it follows
        ``measure``), ``p = d + d (d + 1) / 2`` (mean and covariance).

        Parameters
        ----------
        X : array-like, shape=[n_samples, n_features]
            Points of the geometry.

        Returns
        -------
        float
            The criterion.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        TypeError, ValueError
            As :meth:`score_samples`.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> X = land.sample_sphere_land(200, [0.0, 0.0, 1.0], np.diag([0.1, 0.05]),
        ...                             np.random.default_rng(0)).points
        >>> model = land.LAND("sphere", n_mc_samples=256, random_state=0).fit(X)
        >>> bool(np.isclose(model.bic(X), -2 * model.score(X) * 200 + 5 * np.log(200)))
        True
        """
        log_p = self._log_density(X, "bic")
        return float(-2.0 * np.sum(log_p) + self._n_parameters() * np.log(log_p.size))

    def aic(self, X):
        """Akaike information criterion ``-2 log L + 2 p`` on ``X`` (lower is better).

        ``log L`` and ``p`` as in ``bic``.

        Parameters
        ----------
        X : array-like, shape=[n_samples, n_features]
            Points of the geometry.

        Returns
        -------
        float
            The criterion.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        TypeError, ValueError
            As :meth:`score_samples`.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> X = land.sample_sphere_land(200, [0.0, 0.0, 1.0], np.diag([0.1, 0.05]),
        ...                             np.random.default_rng(0)).points
        >>> model = land.LAND("sphere", n_mc_samples=256, random_state=0).fit(X)
        >>> bool(np.isclose(model.aic(X), -2 * model.score(X) * 200 + 2 * 5))
        True
        """
        log_p = self._log_density(X, "aic")
        return float(-2.0 * np.sum(log_p) + 2 * self._n_parameters())

    def sample(self, n_samples=1, random_state=None):
        """Draw points from the fitted LAND.

        Tangent vectors ``v ~ N(0, Sigma)`` in ``frame_`` are mapped by Exp
        and resampled in proportion to the exact volume term ``m(v)`` of the
        normalising constant (sampling-importance-resampling from 16
        proposals per draw), so the draws follow the density ``p(x)`` up to
        the resampling's finite-pool error.

        Parameters
        ----------
        n_samples : int, default=1
            Number of points to draw (data rows, as in scikit-learn).
        random_state : None, int or numpy.random.Generator
            Seed or generator of the draws.

        Returns
        -------
        ndarray, shape=[n_samples, n_features]
            The draws.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        TypeError, ValueError
            For a bad ``n_samples`` or ``random_state``.
        GeodesicSolverError
            If every proposal's Exp failed, or a chosen one fails again.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> X = land.sample_sphere_land(200, [0.0, 0.0, 1.0], np.diag([0.1, 0.05]),
        ...                             np.random.default_rng(0)).points
        >>> model = land.LAND("sphere", n_mc_samples=256, random_state=0).fit(X)
        >>> draws = model.sample(5, random_state=1)
        >>> draws.shape, bool(np.allclose(np.linalg.norm(draws, axis=1), 1.0))
        ((5, 3), True)
        """
        check_is_fitted(self)
        n_samples = check_positive_int(n_samples, "n_samples")
        rng = _rng(random_state)
        pool = 16 * n_samples
        coords = rng.standard_normal((pool, self.covariance_.shape[0]))
        coords = coords @ np.linalg.cholesky(self.covariance_).T
        volume = self.geometry_.solve_volume_density(self.mean_, self.frame_, coords,
                                                     exp_jacobian=True)
        weights = np.where(volume.converged, volume.value, 0.0)
        if not weights.sum() > 0:
            raise GeodesicSolverError(f"sample: all {pool} proposal Exps failed")
        picked = rng.choice(pool, size=n_samples, p=weights / weights.sum())
        return self.geometry_.exp(self.mean_, coords[picked] @ self.frame_.T)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags


class LANDMixture(ClusterMixin, DensityMixin, BaseEstimator):
    """A mixture of LANDs fitted by EM, in the style of scikit-learn's ``GaussianMixture``.

    ``p(x) = sum_k pi_k p_k(x)`` with each ``p_k`` a LAND (see :class:`LAND`)
    on one shared geometry. ``K = n_components``, ``D = n_features`` and
    ``d`` is the manifold's intrinsic dimension (``d = D`` on a learned
    geometry, ``d = 2`` on the sphere).

    Parameters
    ----------
    n_components : int, default=2
        ``K``, the number of components (at most the number of points).
    geometry : {"learned", "sphere"} or Geometry, default="learned"
        ``"learned"``: R^D with a :class:`~land.LocalDiagonalMetric` learned
        from the training data with ``kernel_width`` and ``rho``;
        ``"sphere"``: data on the unit sphere in R^3 (``n_features = 3``);
        a :class:`~land.Geometry` instance is used as given
        (``kernel_width`` and ``rho`` are then ignored).
    kernel_width : float or "auto", default="auto"
        Width of the metric's Gaussian weights, in the units of ``X``
        (learned geometry). ``"auto"``: :func:`~land.kernel_width_rule`, the
        median distance to the 5th nearest training point
        (``MIXTURE_WIDTH_NEIGHBOURS``), which scales with the data. It is
        narrower than :class:`LAND`'s (20th): the metric has to see the gaps
        between clusters for the components to keep to them
        (``studies/defaults.py``).
    rho : float or "auto", default="auto"
        Regulariser of the learned metric's local variances, in the units
        of ``X`` squared (the metric far from the data is ``1 / rho``).
        ``"auto"``: ``0.2`` times the mean variance of the features of
        ``X`` (``MIXTURE_RHO_FACTOR``), so that fitting ``c * X`` gives the
        same model scaled by ``c``; a number is used as given.
    n_mc_samples : int, default=500
        Monte Carlo draws per component constant during EM (the constants
        behind scores use at least ``SCORE_DRAWS = 4096``).
    max_iter : int, default=30
        Most EM iterations.
    tol : float, default=1e-3
        Relative log-likelihood change of the stopping rule (see
        :func:`~land.fit_land_mixture`).
    init : {"spectral", "kmeans", "random"}, default="spectral"
        Initial hard labels: spectral clustering of the neighbour graph of
        ``X`` in the geometry's metric (``land.model.mixture.spectral_labels``;
        k-means if it leaves a cluster with at most ``d`` points), k-means on the coordinates
        of ``X``, or a random balanced assignment.
    n_init : int, default=1
        EM runs from different random starts; the one with the highest
        final log-likelihood is kept (as in ``GaussianMixture``).
    reg_covar : float, default=1e-6
        Covariance floor relative to the data's spread, applied in every
        M-step: no component covariance eigenvalue goes below ``cov_floor_ =
        reg_covar * s``, ``s`` the size-weighted mean of ``trace / d`` of the
        initial clusters' Log scatters. A component that collapses onto
        fewer than ``d + 1`` points would otherwise drive the likelihood to
        infinity; when the floor holds a component, the fit warns with
        ``land.DegenerateLikelihoodWarning``. 0 turns it off.
    measure : {"lebesgue", "volume"}, default="lebesgue"
        Base measure of :meth:`score_samples`, :meth:`score`, ``bic``
        and ``aic``, as for :class:`LAND`.
    random_state : None, int or numpy.random.Generator, default=None
        Seed or generator of the initialisation and the Monte Carlo draws.
    n_samples : int, optional
        Deprecated alias of ``n_mc_samples`` (a ``FutureWarning``; removed in 0.3).

    Attributes
    ----------
    geometry_ : Geometry
        The geometry the mixture was fitted on.
    kernel_width_ : float or None
        The kernel width used (learned geometry only).
    rho_ : float or None
        The ``rho`` used (learned geometry only).
    weights_ : ndarray, shape=[K]
        Mixing weights ``pi_k`` (sum to one).
    means_ : ndarray, shape=[K, n_features]
        Component means, points of the geometry.
    covariances_ : ndarray, shape=[K, d, d]
        Each component's covariance in its own frame.
    frames_ : ndarray, shape=[K, n_features, d]
        Orthonormal tangent frame at each mean.
    cov_floor_ : float
        The covariance floor applied.
    floored_ : ndarray of bool, shape=[K]
        Components whose covariance ended at the floor.
    log_constants_ : ndarray, shape=[K]
        ``log C_k`` behind every score: exact volume term, at least 4096
        randomised quasi-Monte Carlo draws.
    labels_ : ndarray of int, shape=[n_train]
        ``predict`` of the training data (with ``log_constants_``).
    converged_ : bool
        Whether EM's stopping rule was met.
    n_iter_ : int
        EM iterations run.
    history_ : MixtureHistory
        Per-iteration record of EM (log-likelihood, failed solves, weights).
    n_features_in_ : int
        ``D``, the number of features seen in :meth:`fit`.

    Raises
    ------
    TypeError, ValueError
        From :meth:`fit`, for bad data or settings, naming the one at fault.

    See Also
    --------
    land.fit_land_mixture : the functional interface behind :meth:`fit`.
    LAND : one component.

    Examples
    --------
    >>> import numpy as np
    >>> import land
    >>> rng = np.random.default_rng(1)
    >>> cov = np.diag([0.02, 0.02])
    >>> a = land.sample_sphere_land(60, [0.6, 0.0, 0.8], cov, rng).points
    >>> b = land.sample_sphere_land(60, [-0.6, 0.0, 0.8], cov, rng).points
    >>> model = land.LANDMixture(2, geometry="sphere", n_mc_samples=256, random_state=0)
    >>> labels = model.fit_predict(np.vstack([a, b]))
    >>> sorted(np.bincount(labels).tolist())
    [60, 60]
    """

    def __init__(self, n_components=2, *, geometry="learned", kernel_width="auto", rho="auto",
                 n_mc_samples=500, max_iter=30, tol=1e-3, init="spectral", n_init=1,
                 reg_covar=1e-6, measure="lebesgue", random_state=None, n_samples="deprecated"):
        self.n_components = n_components
        self.geometry = geometry
        self.kernel_width = kernel_width
        self.rho = rho
        self.n_mc_samples = n_mc_samples
        self.max_iter = max_iter
        self.tol = tol
        self.init = init
        self.n_init = n_init
        self.reg_covar = reg_covar
        self.measure = measure
        self.random_state = random_state
        self.n_samples = n_samples

    def fit(self, X, y=None):
        """Learn the geometry (if asked to) and the mixture by EM.

        Parameters
        ----------
        X : array-like, shape=[n_samples, n_features]
            Training points (on the unit sphere for ``geometry="sphere"``).
        y : ignored
            Present for scikit-learn's API.

        Returns
        -------
        self : LANDMixture
            The fitted estimator.

        Raises
        ------
        TypeError, ValueError
            For bad data or settings, naming the one at fault; ``ValueError``
            naming ``X`` for data on which no LAND has a likelihood maximum
            (as for :meth:`LAND.fit`).
        GeodesicSolverError
            If no Log from a component's start to its own cluster converges.

        Warns
        -----
        ConvergenceWarning
            If EM stopped at ``max_iter``.
        DegenerateLikelihoodWarning
            If a component's covariance ended at the floor ``cov_floor_``.
        GeodesicSolverWarning
            If more than ``FAILED_SHARE`` (5 %) of the (point, component)
            Logs failed at the last E-step.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> rng = np.random.default_rng(1)
        >>> cov = np.diag([0.02, 0.02])
        >>> X = np.vstack([land.sample_sphere_land(40, [0.6, 0.0, 0.8], cov, rng).points,
        ...                land.sample_sphere_land(40, [-0.6, 0.0, 0.8], cov, rng).points])
        >>> model = land.LANDMixture(2, geometry="sphere", n_mc_samples=128, random_state=0).fit(X)
        >>> model.weights_.shape, model.means_.shape, model.covariances_.shape
        ((2,), (2, 3), (2, 2, 2))
        """
        X = _check_X(self, X, reset=True)
        n_components = check_positive_int(self.n_components, "n_components")
        if n_components > X.shape[0]:
            raise ValueError(f"n_components: expected at most the {X.shape[0]} points of X, "
                             f"got {n_components}")
        if not isinstance(self.init, str) or self.init not in ("spectral", "kmeans", "random"):
            raise ValueError(f"init: expected 'spectral', 'kmeans' or 'random', got {self.init!r}")
        n_init = check_positive_int(self.n_init, "n_init")
        max_iter = check_positive_int(self.max_iter, "max_iter")
        tol = check_nonnegative(self.tol, "tol")
        n_mc = _n_mc_samples(self)
        reg_covar = check_nonnegative(self.reg_covar, "reg_covar")
        rng = _rng(self.random_state)
        _check_geometry_param(self.geometry)
        _check_not_degenerate(X, self.geometry)
        geometry, width, rho = _make_geometry(self.geometry, X, self.kernel_width, self.rho,
                                              MIXTURE_WIDTH_NEIGHBOURS, MIXTURE_RHO_FACTOR)
        _check_measure(self.measure, geometry)
        X = geometry.check_points(X, "X")
        mixture = None
        with threadpool_limits(1):
            for _ in range(n_init):
                run = fit_land_mixture(geometry, X, n_components, rng=rng, n_iter=max_iter,
                                       n_samples=n_mc, tol=tol, init=self.init,
                                       reg_covar=reg_covar, progress=False)
                if mixture is None or run.history.loglik[-1] > mixture.history.loglik[-1]:
                    mixture = run
        _warn_not_converged("LANDMixture EM", mixture.converged, "iteration limit",
                            mixture.n_iter, max_iter)
        n_failed = int(mixture.history.n_failed_log[-1])
        if n_failed > FAILED_SHARE * X.shape[0] * n_components:
            warnings.warn(f"LANDMixture fit: {n_failed} of the {X.shape[0] * n_components} "
                          f"(point, component) Logs failed at the last E-step (more than "
                          f"{FAILED_SHARE:.0%}); those pairs had density 0 in EM",
                          GeodesicSolverWarning, stacklevel=2)
        floored = np.asarray(mixture.floored, dtype=bool)
        if floored.any():
            warnings.warn(f"LANDMixture fit: component(s) {np.flatnonzero(floored).tolist()} "
                          f"collapsed (a covariance eigenvalue held at the floor "
                          f"{mixture.settings['cov_floor']:.3g} = reg_covar x the data's spread): "
                          "their likelihood grows without bound as the covariance shrinks, so "
                          "the fit depends on reg_covar; try fewer components",
                          DegenerateLikelihoodWarning, stacklevel=2)
        self.geometry_, self.kernel_width_, self.rho_ = geometry, width, rho
        self.weights_, self.means_ = mixture.weights, mixture.means
        self.covariances_, self.frames_ = mixture.covs, mixture.frames
        self.cov_floor_, self.floored_ = float(mixture.settings["cov_floor"]), floored
        self.log_constants_ = np.array([
            _scoring_constant(geometry, mean, cov, frame, n_mc, rng)[0]
            for mean, cov, frame in zip(self.means_, self.covariances_, self.frames_)])
        self.converged_, self.n_iter_, self.history_ = mixture.converged, mixture.n_iter, mixture.history
        self.labels_ = np.argmax(self._weighted_log_prob(X, "fit")[1], axis=1)
        return self

    def _weighted_log_prob(self, X, what):
        """Checked ``X`` and ``log pi_k + log p_k(x)`` (volume measure), shape (n, K)."""
        check_is_fitted(self)
        X = self.geometry_.check_points(_check_X(self, X, reset=False), "X")
        columns, n_failed = [], 0
        for mean, cov, frame, log_c in zip(self.means_, self.covariances_, self.frames_,
                                           self.log_constants_):
            log_p, failed = _land_log_density(self.geometry_, X, mean, cov, frame, log_c)
            columns.append(log_p)
            n_failed += failed
        _warn_failed(what, n_failed, X.shape[0] * len(columns))
        with np.errstate(divide="ignore"):
            return X, np.column_stack(columns) + np.log(self.weights_)

    def score_samples(self, X):
        """Log density of each point, on the base measure chosen by ``measure``.

        ``log sum_k pi_k p_k(x)``; a (point, component) pair whose Log fails
        gets the bound described in :meth:`LAND.score_samples`, with a
        ``land.GeodesicSolverWarning`` counting such pairs.

        Parameters
        ----------
        X : array-like, shape=[n_samples, n_features]
            Points of the geometry.

        Returns
        -------
        ndarray, shape=[n_samples]
            ``log p(x)`` of each point.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        TypeError, ValueError
            For bad ``X``, naming it (as for :meth:`LAND.score_samples`).

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> rng = np.random.default_rng(1)
        >>> cov = np.diag([0.02, 0.02])
        >>> X = np.vstack([land.sample_sphere_land(40, [0.6, 0.0, 0.8], cov, rng).points,
        ...                land.sample_sphere_land(40, [-0.6, 0.0, 0.8], cov, rng).points])
        >>> model = land.LANDMixture(2, geometry="sphere", n_mc_samples=128, random_state=0).fit(X)
        >>> model.score_samples(X[:4]).shape
        (4,)
        """
        X, log_p = self._weighted_log_prob(X, "score_samples")
        total = _to_measure(self.geometry_, X, logsumexp(log_p, axis=1), self.measure)
        return check_finite_result(total, "score_samples")

    def score(self, X, y=None):
        """Mean log density of ``X`` (see :meth:`score_samples`).

        Parameters
        ----------
        X : array-like, shape=[n_samples, n_features]
            Points of the geometry.
        y : ignored
            Present for scikit-learn's API.

        Returns
        -------
        float
            ``mean_n log p(x_n)``.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        TypeError, ValueError
            As :meth:`score_samples`.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> rng = np.random.default_rng(1)
        >>> cov = np.diag([0.02, 0.02])
        >>> X = np.vstack([land.sample_sphere_land(40, [0.6, 0.0, 0.8], cov, rng).points,
        ...                land.sample_sphere_land(40, [-0.6, 0.0, 0.8], cov, rng).points])
        >>> model = land.LANDMixture(2, geometry="sphere", n_mc_samples=128, random_state=0).fit(X)
        >>> bool(model.score(X) == np.mean(model.score_samples(X)))
        True
        """
        return float(np.mean(self.score_samples(X)))

    def predict_proba(self, X):
        """Responsibilities ``p(k | x)`` of each component for each point.

        Parameters
        ----------
        X : array-like, shape=[n_samples, n_features]
            Points of the geometry.

        Returns
        -------
        ndarray, shape=[n_samples, n_components]
            Rows sum to one.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        TypeError, ValueError
            As :meth:`score_samples`.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> rng = np.random.default_rng(1)
        >>> cov = np.diag([0.02, 0.02])
        >>> X = np.vstack([land.sample_sphere_land(40, [0.6, 0.0, 0.8], cov, rng).points,
        ...                land.sample_sphere_land(40, [-0.6, 0.0, 0.8], cov, rng).points])
        >>> model = land.LANDMixture(2, geometry="sphere", n_mc_samples=128, random_state=0).fit(X)
        >>> bool(np.allclose(model.predict_proba(X).sum(axis=1), 1.0))
        True
        """
        _, log_p = self._weighted_log_prob(X, "predict_proba")
        return np.exp(log_p - logsumexp(log_p, axis=1, keepdims=True))

    def predict(self, X):
        """The most responsible component of each point.

        Parameters
        ----------
        X : array-like, shape=[n_samples, n_features]
            Points of the geometry.

        Returns
        -------
        ndarray of int, shape=[n_samples]
            ``argmax_k (log pi_k + log p_k(x))``.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        TypeError, ValueError
            As :meth:`score_samples`.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> rng = np.random.default_rng(1)
        >>> cov = np.diag([0.02, 0.02])
        >>> X = np.vstack([land.sample_sphere_land(40, [0.6, 0.0, 0.8], cov, rng).points,
        ...                land.sample_sphere_land(40, [-0.6, 0.0, 0.8], cov, rng).points])
        >>> model = land.LANDMixture(2, geometry="sphere", n_mc_samples=128, random_state=0).fit(X)
        >>> labels = model.predict(X)
        >>> bool(len(set(labels[:40])) == 1 and len(set(labels[40:])) == 1)   # one per cluster
        True
        """
        return np.argmax(self._weighted_log_prob(X, "predict")[1], axis=1)

    def _n_parameters(self) -> int:
        dim = self.covariances_.shape[1]
        k = self.weights_.size
        return int(k * (dim + dim * (dim + 1) // 2) + k - 1)

    def bic(self, X):
        """Bayesian information criterion ``-2 log L + p log N`` on ``X`` (lower is better).

        ``log L`` is the sum of :meth:`score_samples` (so it follows
        ``measure``); ``p`` counts each component's mean (``d`` intrinsic
        coordinates), its covariance (``d (d + 1) / 2``) and the ``K - 1``
        free weights.

        Parameters
        ----------
        X : array-like, shape=[n_samples, n_features]
            Points of the geometry.

        Returns
        -------
        float
            The criterion.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        TypeError, ValueError
            As :meth:`score_samples`.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> rng = np.random.default_rng(1)
        >>> cov = np.diag([0.02, 0.02])
        >>> X = np.vstack([land.sample_sphere_land(40, [0.6, 0.0, 0.8], cov, rng).points,
        ...                land.sample_sphere_land(40, [-0.6, 0.0, 0.8], cov, rng).points])
        >>> model = land.LANDMixture(2, geometry="sphere", n_mc_samples=128, random_state=0).fit(X)
        >>> one = land.LANDMixture(1, geometry="sphere", n_mc_samples=128, tol=1e-2,
        ...                          random_state=0).fit(X)
        >>> bool(model.bic(X) < one.bic(X))     # two clusters beat one
        True
        """
        log_p = self.score_samples(X)
        return float(-2.0 * np.sum(log_p) + self._n_parameters() * np.log(log_p.size))

    def aic(self, X):
        """Akaike information criterion ``-2 log L + 2 p`` on ``X`` (lower is better).

        ``log L`` and ``p`` as in ``bic``.

        Parameters
        ----------
        X : array-like, shape=[n_samples, n_features]
            Points of the geometry.

        Returns
        -------
        float
            The criterion.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        TypeError, ValueError
            As :meth:`score_samples`.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> rng = np.random.default_rng(1)
        >>> cov = np.diag([0.02, 0.02])
        >>> X = np.vstack([land.sample_sphere_land(40, [0.6, 0.0, 0.8], cov, rng).points,
        ...                land.sample_sphere_land(40, [-0.6, 0.0, 0.8], cov, rng).points])
        >>> model = land.LANDMixture(2, geometry="sphere", n_mc_samples=128, random_state=0).fit(X)
        >>> bool(np.isclose(model.aic(X), -2 * 80 * model.score(X) + 2 * 11))
        True
        """
        log_p = self.score_samples(X)
        return float(-2.0 * np.sum(log_p) + 2 * self._n_parameters())
