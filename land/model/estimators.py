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
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClusterMixin, DensityMixin
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from land._validation import check_data_matrix, check_finite_result, check_positive, check_positive_int
from land.geometry.base import Geometry, GeodesicSolverError
from land.geometry.learned import LearnedManifold
from land.geometry.metric import LocalDiagonalMetric, kernel_width_rule
from land.geometry.sphere import Sphere
from land.model.fit import fit_land
from land.model.likelihood import ALGORITHMS, log_density
from land.model.mixture import fit_land_mixture, lebesgue_log_density

__all__ = ["LAND", "LANDMixture"]

_GEOMETRIES = ("sphere", "learned")


def _make_geometry(geometry, X, kernel_width, rho):
    """The geometry an estimator fits on, and the kernel width it used (None if none)."""
    if isinstance(geometry, str):
        if geometry not in _GEOMETRIES:
            raise ValueError(f"geometry: expected 'sphere', 'learned' or a land.Geometry, "
                             f"got {geometry!r}")
        if geometry == "sphere":
            if X.shape[1] != 3:
                raise ValueError(f"X: expected 3 features for Sphere(), got {X.shape[1]}")
            return Sphere(), None
        if isinstance(kernel_width, str):
            if kernel_width != "auto":
                raise ValueError(f"kernel_width: expected a positive number or 'auto', "
                                 f"got {kernel_width!r}")
            if X.shape[0] < 3:
                raise ValueError(f"X: kernel_width='auto' needs at least 3 points, "
                                 f"got n_samples = {X.shape[0]}")
            width = kernel_width_rule(X, min(20, X.shape[0] - 1))
            if width <= 0:
                raise ValueError("X: kernel_width='auto' found repeated points only; "
                                 "give kernel_width explicitly")
        else:
            width = check_positive(kernel_width, "kernel_width")
        return LearnedManifold(LocalDiagonalMetric(X, width, check_positive(rho, "rho"))), width
    if not isinstance(geometry, Geometry):
        raise TypeError(f"geometry: expected 'sphere', 'learned' or a land.Geometry, "
                        f"got {type(geometry).__name__}")
    if geometry.ambient_dim != X.shape[1]:
        raise ValueError(f"X: expected {geometry.ambient_dim} features for {geometry!r}, "
                         f"got {X.shape[1]}")
    return geometry, None


def _check_measure(measure, geometry):
    if measure not in ("volume", "lebesgue"):
        raise ValueError(f"measure: expected 'volume' or 'lebesgue', got {measure!r}")
    if measure == "lebesgue" and not hasattr(geometry, "metric"):
        raise ValueError("measure: 'lebesgue' needs a learned geometry (a density on R^D); "
                         f"got {geometry!r}")


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


class LAND(DensityMixin, BaseEstimator):
    """The Locally Adaptive Normal Distribution as a scikit-learn density estimator.

    Parameters
    ----------
    geometry : {"learned", "sphere"} or Geometry, default="learned"
        ``"learned"``: a :class:`~land.LocalDiagonalMetric` learned from the
        training data with ``kernel_width`` and ``rho``; ``"sphere"``: data
        on the unit sphere in R^3; a :class:`~land.Geometry` instance is used
        as given (``kernel_width`` and ``rho`` are then ignored).
    kernel_width : float or "auto", default="auto"
        Width of the metric's Gaussian weights (learned geometry). ``"auto"``:
        :func:`~land.kernel_width_rule`, the median distance to the 20th
        nearest training point.
    rho : float, default=1e-3
        Regulariser of the learned metric's local variances.
    n_samples : int, default=1024
        Monte Carlo draws per estimate of the normalising constant.
    algorithm : {"natural", "paper"}, default="natural"
        See :func:`~land.fit_land`.
    max_iter : int, default=100
        Most gradient iterations.
    measure : {"volume", "lebesgue"}, default="volume"
        Base measure of :meth:`score_samples`: the manifold's volume measure
        (the LAND's own), or, on a learned geometry, Lebesgue measure on
        R^D, which puts the LAND beside Euclidean density estimators such as
        ``GaussianMixture`` (see :func:`~land.lebesgue_log_density`).
    random_state : None, int or numpy.random.Generator, default=None
        Seed or generator of the Monte Carlo draws.

    Attributes
    ----------
    geometry_ : Geometry
        The geometry the model was fitted on.
    kernel_width_ : float or None
        The kernel width used (learned geometry only).
    mean_ : ndarray, shape=[n_features]
    covariance_ : ndarray, shape=[d, d]
        Covariance in the coordinates of ``frame_``.
    frame_ : ndarray, shape=[n_features, d]
        Orthonormal tangent frame at ``mean_``.
    log_constant_ : float
        Monte Carlo ``log C`` at the fitted parameters.
    converged_ : bool
    n_iter_ : int
    stop_reason_ : str
    history_ : FitHistory
    n_features_in_ : int

    Raises
    ------
    TypeError, ValueError
        From :meth:`fit`, for bad data or settings, naming the one at fault
        (the constructor only stores its arguments, as scikit-learn requires).

    See Also
    --------
    land.fit_land : the functional interface behind :meth:`fit`.

    Examples
    --------
    >>> import numpy as np
    >>> import land
    >>> rng = np.random.default_rng(0)
    >>> X = land.sample_sphere_land(200, [0.0, 0.0, 1.0], np.diag([0.2, 0.05]), rng).points
    >>> model = land.LAND("sphere", n_samples=512, random_state=0).fit(X)
    >>> model.converged_
    True
    >>> bool(land.Sphere().dist(model.mean_, [0.0, 0.0, 1.0]) < 0.1)
    True
    >>> model.score_samples(X[:3]).shape
    (3,)
    """

    def __init__(self, geometry="learned", *, kernel_width="auto", rho=1e-3, n_samples=1024,
                 algorithm="natural", max_iter=100, measure="volume", random_state=None):
        self.geometry = geometry
        self.kernel_width = kernel_width
        self.rho = rho
        self.n_samples = n_samples
        self.algorithm = algorithm
        self.max_iter = max_iter
        self.measure = measure
        self.random_state = random_state

    def fit(self, X, y=None):
        """Learn the geometry (if asked to) and the maximum-likelihood mean and covariance.

        Parameters
        ----------
        X : array-like, shape=[n_samples, n_features]
        y : ignored

        Returns
        -------
        self : LAND

        Raises
        ------
        ValueError, TypeError
            For bad data or parameters, naming the one at fault.
        GeodesicSolverError
            If no data point's Log converges at the initial mean.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> X = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> model = land.LAND(n_samples=128, max_iter=3, random_state=0).fit(X)
        >>> type(model.geometry_).__name__, model.mean_.shape, model.covariance_.shape
        ('LearnedManifold', (2,), (2, 2))
        """
        X = _check_X(self, X, reset=True)
        if self.algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm: expected one of {ALGORITHMS}, got {self.algorithm!r}")
        max_iter = check_positive_int(self.max_iter, "max_iter")
        n_samples = check_positive_int(self.n_samples, "n_samples")
        rng = _rng(self.random_state)
        geometry, width = _make_geometry(self.geometry, X, self.kernel_width, self.rho)
        _check_measure(self.measure, geometry)
        fit = fit_land(geometry, X, rng=rng, n_iter=max_iter, n_samples=n_samples,
                       algorithm=self.algorithm)
        self.geometry_, self.kernel_width_ = geometry, width
        self.mean_, self.covariance_, self.frame_ = fit.mean, fit.cov, fit.frame
        self.log_constant_ = float(fit.log_constant)
        self.converged_, self.n_iter_, self.stop_reason_ = fit.converged, fit.n_iter, fit.stop_reason
        self.history_ = fit.history
        return self

    def score_samples(self, X):
        """Log density of each point with respect to the manifold's volume measure.

        Parameters
        ----------
        X : array-like, shape=[n_samples, n_features]

        Returns
        -------
        ndarray, shape=[n_samples]

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        TypeError, ValueError
            For bad ``X`` (including a feature count other than the fit's).
        GeodesicSolverError
            If the Log of some point could not be solved (its density is
            unknown; the error's ``result`` holds the solves that did converge).

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> X = land.sample_sphere_land(100, [0.0, 0.0, 1.0], np.diag([0.1, 0.05]),
        ...                             np.random.default_rng(0)).points
        >>> model = land.LAND("sphere", n_samples=256, random_state=0).fit(X)
        >>> log_p = model.score_samples([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
        >>> bool(log_p[0] > log_p[1])    # denser at the mean than a quarter-turn away
        True
        """
        check_is_fitted(self)
        X = _check_X(self, X, reset=False)
        log_p = log_density(self.geometry_, X, self.mean_, self.covariance_, self.log_constant_,
                            frame=self.frame_)
        if self.measure == "lebesgue":
            log_p = lebesgue_log_density(self.geometry_, X, log_p)
        return check_finite_result(log_p, "score_samples")

    def score(self, X, y=None):
        """Mean log density of ``X`` (see :meth:`score_samples`).

        Parameters
        ----------
        X : array-like, shape=[n_samples, n_features]
        y : ignored

        Returns
        -------
        float

        Raises
        ------
        TypeError, ValueError, GeodesicSolverError
            As :meth:`score_samples`.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> X = land.sample_sphere_land(200, [0.0, 0.0, 1.0], np.diag([0.1, 0.05]),
        ...                             np.random.default_rng(0)).points
        >>> model = land.LAND("sphere", n_samples=256, random_state=0).fit(X[:100])
        >>> bool(np.isfinite(model.score(X[100:])))   # held-out mean log density
        True
        """
        return float(np.mean(self.score_samples(X)))

    def sample(self, n_samples=1, random_state=None):
        """Draw points from the fitted LAND.

        Tangent vectors ``v ~ N(0, Sigma)`` in ``frame_`` are mapped by Exp
        and resampled in proportion to the volume term ``m(v)`` of the
        normalising constant (sampling-importance-resampling from 16
        proposals per draw), so the draws follow the density ``p(x)`` up to
        the resampling's finite-pool error.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : None, int or numpy.random.Generator

        Returns
        -------
        ndarray, shape=[n_samples, n_features]

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
        >>> model = land.LAND("sphere", n_samples=256, random_state=0).fit(X)
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
        volume = self.geometry_.solve_volume_density(self.mean_, self.frame_, coords)
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

    Parameters
    ----------
    n_components : int, default=2
    geometry : {"learned", "sphere"} or Geometry, default="learned"
        As for :class:`LAND`.
    kernel_width : float or "auto", default="auto"
    rho : float, default=1e-3
    n_samples : int, default=500
        Monte Carlo draws per component constant.
    max_iter : int, default=30
        Most EM iterations.
    tol : float, default=1e-3
        Relative log-likelihood change of the stopping rule.
    init : {"kmeans", "random"}, default="kmeans"
    measure : {"volume", "lebesgue"}, default="volume"
        Base measure of :meth:`score_samples`, as for :class:`LAND`.
    random_state : None, int or numpy.random.Generator, default=None

    Attributes
    ----------
    geometry_ : Geometry
    kernel_width_ : float or None
    weights_ : ndarray, shape=[n_components]
    means_ : ndarray, shape=[n_components, n_features]
    covariances_ : ndarray, shape=[n_components, d, d]
        Each in its component's frame.
    frames_ : ndarray, shape=[n_components, n_features, d]
    log_constants_ : ndarray, shape=[n_components]
    labels_ : ndarray of int, shape=[n_train]
    converged_ : bool
    n_iter_ : int
    history_ : MixtureHistory
    n_features_in_ : int

    Raises
    ------
    TypeError, ValueError
        From :meth:`fit`, for bad data or settings, naming the one at fault.

    See Also
    --------
    land.fit_land_mixture : the functional interface behind :meth:`fit`.

    Examples
    --------
    >>> import numpy as np
    >>> import land
    >>> rng = np.random.default_rng(1)
    >>> cov = np.diag([0.02, 0.02])
    >>> a = land.sample_sphere_land(60, [0.6, 0.0, 0.8], cov, rng).points
    >>> b = land.sample_sphere_land(60, [-0.6, 0.0, 0.8], cov, rng).points
    >>> model = land.LANDMixture(2, geometry="sphere", n_samples=256, random_state=0)
    >>> labels = model.fit_predict(np.vstack([a, b]))
    >>> sorted(np.bincount(labels).tolist())
    [60, 60]
    """

    def __init__(self, n_components=2, *, geometry="learned", kernel_width="auto", rho=1e-3,
                 n_samples=500, max_iter=30, tol=1e-3, init="kmeans", measure="volume",
                 random_state=None):
        self.n_components = n_components
        self.geometry = geometry
        self.kernel_width = kernel_width
        self.rho = rho
        self.n_samples = n_samples
        self.max_iter = max_iter
        self.tol = tol
        self.init = init
        self.measure = measure
        self.random_state = random_state

    def fit(self, X, y=None):
        """Learn the geometry (if asked to) and the mixture by EM.

        Parameters
        ----------
        X : array-like, shape=[n_samples, n_features]
        y : ignored

        Returns
        -------
        self : LANDMixture

        Raises
        ------
        TypeError, ValueError
            For bad data or settings, naming the one at fault.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> rng = np.random.default_rng(1)
        >>> cov = np.diag([0.02, 0.02])
        >>> X = np.vstack([land.sample_sphere_land(40, [0.6, 0.0, 0.8], cov, rng).points,
        ...                land.sample_sphere_land(40, [-0.6, 0.0, 0.8], cov, rng).points])
        >>> model = land.LANDMixture(2, geometry="sphere", n_samples=128, random_state=0).fit(X)
        >>> model.weights_.shape, model.means_.shape, model.covariances_.shape
        ((2,), (2, 3), (2, 2, 2))
        """
        X = _check_X(self, X, reset=True)
        n_components = check_positive_int(self.n_components, "n_components")
        if n_components > X.shape[0]:
            raise ValueError(f"n_components: expected at most the {X.shape[0]} points of X, "
                             f"got {n_components}")
        if isinstance(self.init, str) and self.init not in ("kmeans", "random"):
            raise ValueError(f"init: expected 'kmeans' or 'random', got {self.init!r}")
        rng = _rng(self.random_state)
        geometry, width = _make_geometry(self.geometry, X, self.kernel_width, self.rho)
        _check_measure(self.measure, geometry)
        with threadpool_limits(1):
            mixture = fit_land_mixture(geometry, X, n_components, rng=rng,
                                       n_iter=check_positive_int(self.max_iter, "max_iter"),
                                       n_samples=check_positive_int(self.n_samples, "n_samples"),
                                       tol=self.tol, init=self.init)
        self.geometry_, self.kernel_width_ = geometry, width
        self.weights_, self.means_ = mixture.weights, mixture.means
        self.covariances_, self.frames_ = mixture.covs, mixture.frames
        self.log_constants_ = mixture.log_constants
        self.labels_ = mixture.labels
        self.converged_, self.n_iter_, self.history_ = mixture.converged, mixture.n_iter, mixture.history
        self._mixture = mixture
        return self

    def _weighted_log_prob(self, X):
        """Checked ``X`` and ``log pi_k + log p_k(x)``, shape (n, K); raises where all Logs fail."""
        check_is_fitted(self)
        X = _check_X(self, X, reset=False)
        log_p = self._mixture.component_log_densities(self.geometry_, X)
        lost = ~np.isfinite(log_p).any(axis=1)
        if lost.any():
            raise GeodesicSolverError(f"X: the Logs of {int(lost.sum())} points to every "
                                      "component failed, so their density is unknown")
        return X, log_p

    def score_samples(self, X):
        """Log density of each point (volume measure of the manifold).

        Parameters
        ----------
        X : array-like, shape=[n_samples, n_features]

        Returns
        -------
        ndarray, shape=[n_samples]

        Raises
        ------
        TypeError, ValueError
            For bad ``X``.
        GeodesicSolverError
            If a point's Logs to every component failed.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> rng = np.random.default_rng(1)
        >>> cov = np.diag([0.02, 0.02])
        >>> X = np.vstack([land.sample_sphere_land(40, [0.6, 0.0, 0.8], cov, rng).points,
        ...                land.sample_sphere_land(40, [-0.6, 0.0, 0.8], cov, rng).points])
        >>> model = land.LANDMixture(2, geometry="sphere", n_samples=128, random_state=0).fit(X)
        >>> model.score_samples(X[:4]).shape
        (4,)
        """
        X, log_p = self._weighted_log_prob(X)
        total = logsumexp(log_p, axis=1)
        if self.measure == "lebesgue":
            total = lebesgue_log_density(self.geometry_, X, total)
        return check_finite_result(total, "score_samples")

    def score(self, X, y=None):
        """Mean log density of ``X``.

        Parameters
        ----------
        X : array-like, shape=[n_samples, n_features]
        y : ignored

        Returns
        -------
        float

        Raises
        ------
        TypeError, ValueError, GeodesicSolverError
            As :meth:`score_samples`.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> rng = np.random.default_rng(1)
        >>> cov = np.diag([0.02, 0.02])
        >>> X = np.vstack([land.sample_sphere_land(40, [0.6, 0.0, 0.8], cov, rng).points,
        ...                land.sample_sphere_land(40, [-0.6, 0.0, 0.8], cov, rng).points])
        >>> model = land.LANDMixture(2, geometry="sphere", n_samples=128, random_state=0).fit(X)
        >>> bool(model.score(X) == np.mean(model.score_samples(X)))
        True
        """
        return float(np.mean(self.score_samples(X)))

    def predict_proba(self, X):
        """Responsibilities ``p(k | x)`` of each component for each point.

        Parameters
        ----------
        X : array-like, shape=[n_samples, n_features]

        Returns
        -------
        ndarray, shape=[n_samples, n_components]
            Rows sum to one.

        Raises
        ------
        TypeError, ValueError, GeodesicSolverError
            As :meth:`score_samples`.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> rng = np.random.default_rng(1)
        >>> cov = np.diag([0.02, 0.02])
        >>> X = np.vstack([land.sample_sphere_land(40, [0.6, 0.0, 0.8], cov, rng).points,
        ...                land.sample_sphere_land(40, [-0.6, 0.0, 0.8], cov, rng).points])
        >>> model = land.LANDMixture(2, geometry="sphere", n_samples=128, random_state=0).fit(X)
        >>> bool(np.allclose(model.predict_proba(X).sum(axis=1), 1.0))
        True
        """
        _, log_p = self._weighted_log_prob(X)
        return np.exp(log_p - logsumexp(log_p, axis=1, keepdims=True))

    def predict(self, X):
        """The most responsible component of each point.

        Parameters
        ----------
        X : array-like, shape=[n_samples, n_features]

        Returns
        -------
        ndarray of int, shape=[n_samples]

        Raises
        ------
        TypeError, ValueError, GeodesicSolverError
            As :meth:`score_samples`.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> rng = np.random.default_rng(1)
        >>> cov = np.diag([0.02, 0.02])
        >>> X = np.vstack([land.sample_sphere_land(40, [0.6, 0.0, 0.8], cov, rng).points,
        ...                land.sample_sphere_land(40, [-0.6, 0.0, 0.8], cov, rng).points])
        >>> model = land.LANDMixture(2, geometry="sphere", n_samples=128, random_state=0).fit(X)
        >>> labels = model.predict(X)
        >>> bool(len(set(labels[:40])) == 1 and len(set(labels[40:])) == 1)   # one per cluster
        True
        """
        return np.argmax(self._weighted_log_prob(X)[1], axis=1)

    def _n_parameters(self) -> int:
        d = self.covariances_.shape[1]
        k = self.weights_.size
        return int(k * (self.geometry_.dim + d * (d + 1) // 2) + k - 1)

    def bic(self, X):
        """Bayesian information criterion ``-2 log L + p log N`` on ``X`` (lower is better).

        ``p`` counts each component's mean (``d`` intrinsic coordinates), its
        covariance (``d (d + 1) / 2``) and the ``K - 1`` free weights.

        Parameters
        ----------
        X : array-like, shape=[n_samples, n_features]

        Returns
        -------
        float

        Raises
        ------
        TypeError, ValueError, GeodesicSolverError
            As :meth:`score_samples`.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> rng = np.random.default_rng(1)
        >>> cov = np.diag([0.02, 0.02])
        >>> X = np.vstack([land.sample_sphere_land(40, [0.6, 0.0, 0.8], cov, rng).points,
        ...                land.sample_sphere_land(40, [-0.6, 0.0, 0.8], cov, rng).points])
        >>> model = land.LANDMixture(2, geometry="sphere", n_samples=128, random_state=0).fit(X)
        >>> one = land.LANDMixture(1, geometry="sphere", n_samples=128, random_state=0).fit(X)
        >>> bool(model.bic(X) < one.bic(X))     # two clusters beat one
        True
        """
        X = _check_X(self, X, reset=False)
        return float(-2.0 * np.sum(self.score_samples(X)) + self._n_parameters() * np.log(X.shape[0]))
