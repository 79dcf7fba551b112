"""Mixtures of LANDs fitted by expectation-maximisation.

Arvanitidis, Hansen and Hauberg (2016, section on mixtures) fit

    p(x) = sum_k pi_k p_k(x),   p_k = LAND(mu_k, Sigma_k),

by EM. With ``L_nk`` the coordinates of ``Log_{mu_k}(x_n)`` in component
``k``'s frame and ``C_k`` its Monte Carlo normalising constant,

* **E-step**: ``log p_k(x_n) = -L_nk^T Sigma_k^{-1} L_nk / 2 - log C_k`` and
  responsibilities ``r_nk = pi_k p_k(x_n) / sum_j pi_j p_j(x_n)``, computed
  with log-sum-exp;
* **M-step**: ``pi_k = mean_n r_nk``, and for each component a few
  iterations of :func:`~land.fit_land`'s natural algorithm on the objective
  with the data weighted by ``r_nk`` (``sample_weight``): line-searched
  steps on the mean along Exp and on the precision factor, each accepted
  only if the weighted objective does not rise on the component's fixed
  quasi-Monte Carlo draws. So no M-step lowers the expected complete-data
  log-likelihood (a generalised EM step), and a bad step cannot blow a
  component up, as the paper's fixed steps could.

The log-likelihood ``sum_n log sum_k pi_k p_k(x_n)`` is recorded at every
E-step. A point whose Log to component ``k`` fails gets ``p_k(x_n) = 0``
(it is counted, never replaced); a point whose Logs all fail keeps the
mixing weights as its responsibilities, is left out of the log-likelihood
and is counted too.

The chapter experiments built on this module are in
:mod:`land.experiments.mixtures`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.special import logsumexp

from land._progress import progress_bar, show_progress
from land._validation import (as_float_array, check_generator, check_nonnegative, check_positive,
                              check_positive_int)
from land.geometry.base import GeodesicSolverError
from land.model.fit import fit_with_state, floor_eigenvalues
from land.model.likelihood import (check_data, check_not_degenerate, estimate_constant,
                                   log_density_from_logs,
                                   log_scatter, precision_factor, qmc_normals,
                                   unchecked_covariance_from_factor)
from land.geometry.sphere import Sphere

__all__ = [
    "MixtureHistory",
    "LandMixtureFit",
    "fit_land_mixture",
    "mixture_log_density",
    "held_out_log_likelihood",
    "lebesgue_mass",
    "lebesgue_log_density",
]


def __getattr__(name):
    # The result was called LandMixture until 0.1, one letter case away from the
    # LANDMixture estimator; the old name works, with a FutureWarning, until 0.3.
    if name == "LandMixture":
        warnings.warn("land.LandMixture was renamed land.LandMixtureFit (the result of "
                      "fit_land_mixture, not the LANDMixture estimator); the old name will be "
                      "removed in 0.3", FutureWarning, stacklevel=2)
        return LandMixtureFit
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ------------------------------------------------------------------ results
@dataclass(frozen=True)
class MixtureHistory:
    """Per-iteration record of :func:`fit_land_mixture` (index 0: after initialisation).

    Attributes
    ----------
    loglik : ndarray, shape=[n_iter + 1]
        ``sum_n log sum_k pi_k p_k(x_n)`` at each E-step (densities with
        respect to the manifold's volume measure, Monte Carlo ``C_k``).
    mc_noise : ndarray, shape=[n_iter + 1]
        ``N * max_k se(C_k) / C_k``: the size of the log-likelihood's Monte
        Carlo error (one standard error of ``log C_k`` shifts every point's
        log density by about ``se / C``).
    n_failed_log : ndarray of int, shape=[n_iter + 1]
        (point, component) pairs whose Log failed at that E-step.
    n_unassigned : ndarray of int, shape=[n_iter + 1]
        Points whose Logs to every component failed.
    n_failed_exp : ndarray of int, shape=[n_iter + 1]
        Monte Carlo Exps that failed in the constants of that E-step.
    weights : ndarray, shape=[n_iter + 1, K]
        Mixing weights used at that E-step.

    Examples
    --------
    Every :class:`LandMixtureFit` carries one in ``history``:

    >>> import numpy as np
    >>> import land
    >>> sphere, cov, rng = land.Sphere(), np.diag([0.02, 0.02]), np.random.default_rng(0)
    >>> x = np.concatenate([land.sample_sphere_land(50, [0.0, 0.0, 1.0], cov, rng).points,
    ...                     land.sample_sphere_land(50, [1.0, 0.0, 0.0], cov, rng).points])
    >>> mix = land.fit_land_mixture(sphere, x, 2, rng=np.random.default_rng(1), n_iter=2,
    ...                             n_samples=256, init=np.repeat([0, 1], 50))
    >>> mix.history.loglik.shape, mix.history.weights.shape
    ((3,), (3, 2))
    >>> int(mix.history.n_unassigned[-1]), int(mix.history.n_failed_log[-1])
    (0, 0)
    """

    loglik: np.ndarray
    mc_noise: np.ndarray
    n_failed_log: np.ndarray
    n_unassigned: np.ndarray
    n_failed_exp: np.ndarray
    weights: np.ndarray


@dataclass(frozen=True)
class LandMixtureFit:
    """Result of :func:`fit_land_mixture` (the functional interface; the
    scikit-learn style estimator is :class:`~land.LANDMixture`).

    Called ``LandMixture`` before 0.2; that name still works, with a
    ``FutureWarning``.

    Attributes
    ----------
    weights : ndarray, shape=[K]
        Mixing weights ``pi_k`` (sum to one).
    means : ndarray, shape=[K, ambient_dim]
    covs : ndarray, shape=[K, d, d]
        Covariance of each component in its own frame.
    frames : ndarray, shape=[K, ambient_dim, d]
    log_constants : ndarray, shape=[K]
        Monte Carlo ``log C_k`` at the final parameters.
    responsibilities : ndarray, shape=[N, K]
        ``r_nk`` of the training data at the last E-step (rows sum to one).
    history : MixtureHistory
    converged : bool
        Whether the stopping rule fired before ``n_iter`` iterations.
    n_iter : int
        EM iterations run.
    settings : dict
        The arguments of :func:`fit_land_mixture` the fit ran with, and
        ``cov_floor``, the smallest covariance eigenvalue it allowed.
    floored : ndarray of bool, shape=[K]
        Components whose covariance ended with an eigenvalue held at
        ``cov_floor``: without the floor their likelihood would have grown
        without bound (a component collapsing onto a point or a line).

    Examples
    --------
    :func:`fit_land_mixture` returns one:

    >>> import numpy as np
    >>> import land
    >>> sphere, cov, rng = land.Sphere(), np.diag([0.02, 0.02]), np.random.default_rng(0)
    >>> x = np.concatenate([land.sample_sphere_land(50, [0.0, 0.0, 1.0], cov, rng).points,
    ...                     land.sample_sphere_land(50, [1.0, 0.0, 0.0], cov, rng).points])
    >>> mix = land.fit_land_mixture(sphere, x, 2, rng=np.random.default_rng(1), n_iter=2,
    ...                             n_samples=256, init=np.repeat([0, 1], 50))
    >>> mix.n_components, mix.n_iter, mix.means.shape, mix.covs.shape
    (2, 2, (2, 3), (2, 2, 2))
    >>> np.round(mix.weights, 1)
    array([0.5, 0.5])
    >>> np.bincount(mix.labels).tolist()
    [50, 50]
    """

    weights: np.ndarray
    means: np.ndarray
    covs: np.ndarray
    frames: np.ndarray
    log_constants: np.ndarray
    responsibilities: np.ndarray
    history: MixtureHistory
    converged: bool
    n_iter: int
    settings: dict = field(default_factory=dict)
    floored: np.ndarray | None = None

    @property
    def n_components(self) -> int:
        """Number of components ``K``."""
        return int(self.weights.size)

    @property
    def labels(self) -> np.ndarray:
        """Hard labels of the training data: ``argmax_k r_nk``, shape (N,)."""
        return np.argmax(self.responsibilities, axis=1)

    def component_log_densities(self, manifold, points) -> np.ndarray:
        """``log pi_k + log p_k(x)`` for each point and component, shape (n, K).

        ``-inf`` where the Log from ``mu_k`` to the point failed.

        Parameters
        ----------
        manifold : Sphere or LearnedManifold
            The manifold the mixture was fitted on.
        points : array-like, shape=[n, ambient_dim]
            Points of ``manifold``.

        Returns
        -------
        ndarray, shape=[n, K]
            Log joint densities (volume measure of ``manifold``).

        Raises
        ------
        TypeError
            If ``manifold`` is not a geometry or ``points`` is not numeric.
        ValueError
            If ``points`` is not an ``(n, ambient_dim)`` array of points of
            ``manifold``. (A point antipodal to a component's mean on the
            sphere is a failed Log there: density 0 for that component.)

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> sphere, cov, rng = land.Sphere(), np.diag([0.02, 0.02]), np.random.default_rng(0)
        >>> x = np.concatenate([land.sample_sphere_land(50, [0.0, 0.0, 1.0], cov, rng).points,
        ...                     land.sample_sphere_land(50, [1.0, 0.0, 0.0], cov, rng).points])
        >>> mix = land.fit_land_mixture(sphere, x, 2, rng=np.random.default_rng(1), n_iter=2,
        ...                             n_samples=256, init=np.repeat([0, 1], 50))
        >>> mix.component_log_densities(sphere, x[:4]).shape
        (4, 2)
        """
        points = check_data(manifold, points, "points")
        log_p, _, _ = _component_log_densities(manifold, points, self.means, self.covs,
                                               self.frames, self.log_constants)
        with np.errstate(divide="ignore"):
            return log_p + np.log(self.weights)

    def predict(self, manifold, points) -> np.ndarray:
        """Most responsible component of each point, shape (n,).

        Parameters
        ----------
        manifold : Sphere or LearnedManifold
            The manifold the mixture was fitted on.
        points : array-like, shape=[n, ambient_dim]
            Points of ``manifold``.

        Returns
        -------
        ndarray of int, shape=[n]
            ``argmax_k (log pi_k + log p_k(x))``.

        Raises
        ------
        TypeError, ValueError
            As :meth:`component_log_densities`.

        Examples
        --------
        On the training data it gives the hard labels of the last E-step:

        >>> import numpy as np
        >>> import land
        >>> sphere, cov, rng = land.Sphere(), np.diag([0.02, 0.02]), np.random.default_rng(0)
        >>> x = np.concatenate([land.sample_sphere_land(50, [0.0, 0.0, 1.0], cov, rng).points,
        ...                     land.sample_sphere_land(50, [1.0, 0.0, 0.0], cov, rng).points])
        >>> mix = land.fit_land_mixture(sphere, x, 2, rng=np.random.default_rng(1), n_iter=2,
        ...                             n_samples=256, init=np.repeat([0, 1], 50))
        >>> bool(np.array_equal(mix.predict(sphere, x), mix.labels))
        True
        """
        return np.argmax(self.component_log_densities(manifold, points), axis=1)


# --------------------------------------------------------------- validation
# ---------------------------------------------------------------- internals
def _component_log_densities(manifold, points, means, covs, frames, log_constants,
                             initial_logs=None):
    """Log densities ``(n, K)`` (-inf for failed Logs), the Log results and the failure count."""
    n_points, n_comp = points.shape[0], len(means)
    log_p = np.full((n_points, n_comp), -np.inf)
    logs = []
    for k in range(n_comp):
        start = None if initial_logs is None else initial_logs[k]
        result = manifold.solve_log(means[k], points, initial_velocities=start)
        log_p[:, k] = log_density_from_logs(manifold, means[k], frames[k],
                                            precision_factor(covs[k]), log_constants[k], result)[0]
        logs.append(result)
    n_failed = int(sum(res.n_failed for res in logs))
    return log_p, logs, n_failed


def _e_step(log_p, weights):
    """Responsibilities ``(N, K)``, per-point log-likelihood and the unassigned mask."""
    with np.errstate(divide="ignore"):
        joint = log_p + np.log(weights)
    point_ll = logsumexp(joint, axis=1)
    lost = ~np.isfinite(point_ll)
    resp = np.empty_like(joint)
    resp[~lost] = np.exp(joint[~lost] - point_ll[~lost, None])
    resp[lost] = weights
    return resp, point_ll, lost


def _snap(manifold, point, data, labels_k):
    """A starting mean for a k-means cluster: on the sphere its normalised centroid;
    on a learned manifold the cluster's data point nearest the centroid (any point
    of R^D is allowed, but there the metric is learned from nearby data)."""
    if isinstance(manifold, Sphere):
        norm = np.linalg.norm(point)
        if norm < 1e-12:
            raise ValueError("init: a k-means centroid sits at the sphere's centre")
        return point / norm
    members = data[labels_k]
    return members[np.argmin(np.linalg.norm(members - point, axis=1))]


#: Neighbours per point in the graph behind ``init="spectral"``.
SPECTRAL_NEIGHBOURS = 10


def _segment_lengths(manifold, starts, ends):
    """Geodesic lengths of short segments: exact on the sphere; on a learned metric the
    metric length of the straight segment by Simpson's rule (an upper bound on the
    geodesic distance, close to it for neighbours)."""
    if isinstance(manifold, Sphere):
        return np.arccos(np.clip(np.sum(starts * ends, axis=1), -1.0, 1.0))
    delta2 = (ends - starts) ** 2
    speeds = [np.sqrt(np.sum(manifold.metric.metric_diagonal(x) * delta2, axis=1))
              for x in (starts, 0.5 * (starts + ends), ends)]
    return (speeds[0] + 4.0 * speeds[1] + speeds[2]) / 6.0


def spectral_labels(manifold, data, n_components: int, rng: np.random.Generator,
                    n_neighbours: int = SPECTRAL_NEIGHBOURS) -> np.ndarray:
    """Clusters of ``data`` by spectral clustering of its neighbour graph in the manifold's metric.

    Each point is joined to its ``n_neighbours`` nearest neighbours (the
    graph is symmetrised); an edge of geodesic length ``l`` gets affinity
    ``exp(-(l / s)^2)`` with ``s`` the median edge length, and scikit-learn's
    :func:`~sklearn.cluster.spectral_clustering` splits the graph. Clusters
    that are far apart *in the metric* (a learned metric makes the gaps
    between data expensive to cross) end up in different groups, where
    k-means on the ambient coordinates would cut curved clusters across.
    With too few points for the eigensolver (``N <= n_components + 1``), or a
    graph it cannot split, the labels are k-means' on the coordinates instead.

    Parameters
    ----------
    manifold : Sphere or LearnedManifold
    data : ndarray, shape=[N, ambient_dim]
        Points of ``manifold``.
    n_components : int
        Number of clusters (<= N).
    rng : numpy.random.Generator
        Seeds the clustering's random steps.
    n_neighbours : int
        Neighbours per point (at most N - 1 are used).

    Returns
    -------
    ndarray of int, shape=[N]
        Labels in ``0..n_components - 1``.

    Examples
    --------
    Two arcs that interleave, as in scikit-learn's two moons: the graph keeps them apart.

    >>> import numpy as np
    >>> import land
    >>> from sklearn.datasets import make_moons
    >>> from land.model.mixture import spectral_labels
    >>> x, y = make_moons(200, noise=0.05, random_state=0)
    >>> manifold = land.LearnedManifold(land.LocalDiagonalMetric(x, kernel_width=0.15, rho=0.1))
    >>> labels = spectral_labels(manifold, x, 2, np.random.default_rng(0))
    >>> bool(np.all(labels == y) or np.all(labels != y))
    True
    """
    from scipy.sparse import csr_matrix
    from scipy.spatial import cKDTree
    from sklearn.cluster import spectral_clustering

    n_points = data.shape[0]
    k = min(n_neighbours, n_points - 1)
    if k < 1:
        return np.zeros(n_points, dtype=int)
    _, idx = cKDTree(data).query(data, k + 1)
    rows, cols = np.repeat(np.arange(n_points), k), idx[:, 1:].ravel()
    lengths = _segment_lengths(manifold, data[rows], data[cols])
    scale = np.median(lengths[lengths > 0]) if np.any(lengths > 0) else 1.0
    affinity = csr_matrix((np.exp(-(lengths / scale) ** 2), (rows, cols)), shape=(n_points,) * 2)
    affinity = affinity.maximum(affinity.T)
    seed = int(rng.integers(2**31 - 1))
    if n_points <= n_components + 1:
        # Too few points for the eigensolver (scipy refuses k >= N): k-means instead.
        return _kmeans_labels(data, n_components, seed)
    with warnings.catch_warnings():
        # A graph in several pieces is what well-separated clusters give; it is not an error.
        warnings.filterwarnings("ignore", message=".*not fully connected.*")
        try:
            labels = spectral_clustering(affinity, n_clusters=n_components, random_state=seed)
        except (TypeError, ValueError):   # a graph the eigensolver cannot split: k-means
            return _kmeans_labels(data, n_components, seed)
    return np.asarray(labels, dtype=int)


def _kmeans_labels(data, n_components, seed):
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=n_components, n_init=10, random_state=seed).fit(data).labels_


def _initial_labels(manifold, data, n_components, init, rng):
    n_points = data.shape[0]
    if isinstance(init, str):
        if init == "spectral":
            labels = spectral_labels(manifold, data, n_components, rng)
            if np.bincount(labels, minlength=n_components).min() > manifold.dim:
                return labels
            # A cluster with at most d points (an outlier the graph cut off on its own)
            # would start a degenerate component: fall back to k-means, as documented.
            init = "kmeans"
        if init == "kmeans":
            return _kmeans_labels(data, n_components, int(rng.integers(2**31 - 1)))
        if init == "random":
            return rng.permutation(np.arange(n_points) % n_components)
        raise ValueError(f"init: expected 'spectral', 'kmeans', 'random' or an array of labels, "
                         f"got {init!r}")
    try:
        labels = np.asarray(init)
    except (TypeError, ValueError) as error:     # ragged nested sequences
        raise ValueError(f"init: expected integer labels of shape ({n_points},), got "
                         f"{type(init).__name__} that numpy cannot read as an array "
                         f"({error})") from error
    if labels.shape != (n_points,) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"init: expected integer labels of shape ({n_points},), got "
                         f"{labels.dtype} array of shape {labels.shape}")
    if labels.min() < 0 or labels.max() >= n_components:
        raise ValueError(f"init: labels must lie in 0..{n_components - 1}")
    return labels


class _Component:
    """State of one component during EM: parameters, the Logs of the data at its mean, its
    Monte Carlo constant, and its own fixed quasi-Monte Carlo draws (common random numbers
    across EM iterations, so its log-likelihood term changes only when its parameters do)."""

    def __init__(self, manifold, data, mean, frame, cov, logs, floor, n_samples, rng):
        self.floor = floor
        cov, self.floored = floor_eigenvalues(cov, floor) if floor > 0 else (cov, False)
        self.mean, self.frame, self.factor = mean, frame, precision_factor(cov)
        self.logs = logs
        self.state = {"normals": qmc_normals(n_samples, manifold.dim, rng), "proposal": None,
                      "draw_set": 0}
        self.constant = estimate_constant(manifold, mean, frame, cov, n_samples, rng,
                                          normals=self.state["normals"], mean_gradient=False)
        self.stop_reason = ""

    @property
    def cov(self):
        return unchecked_covariance_from_factor(self.factor)

    def m_step(self, manifold, data, weights, n_inner, step_mean, step_cov, patience, rng):
        """Up to ``n_inner`` iterations of the natural algorithm on the weighted objective.

        Every accepted step lowers the weighted objective on the component's
        fixed draws, so the M-step never lowers the expected complete-data
        log-likelihood it is meant to raise (a generalised EM step).
        """
        ok = np.asarray(self.logs.converged, dtype=bool)
        if not weights[ok].sum() > 1e-12 * weights.sum():   # an empty component keeps its state
            return
        fit, evaluation, self.state = fit_with_state(
            manifold, data, rng, self.mean, self.cov, self.frame, n_inner, step_mean, step_cov,
            self.state["normals"].shape[0], False, "paper", patience, progress_bar(0, "", False),
            weights=weights, init_logs=self.logs, cov_floor=self.floor, state=self.state)
        self.mean, self.frame, self.factor = fit.mean, fit.frame, precision_factor(fit.cov)
        self.logs, self.constant = evaluation.log_result, evaluation.constant
        self.floored = self.floor > 0 and bool(np.linalg.eigvalsh(fit.cov).min()
                                               <= self.floor * (1 + 1e-9))
        self.stop_reason = fit.stop_reason

    def log_density(self, manifold, data):
        """Log densities of ``data`` (the points of ``self.logs``), ``-inf`` where a Log failed."""
        return log_density_from_logs(manifold, self.mean, self.frame, self.factor,
                                     self.constant.log_value, self.logs)[0]


# --------------------------------------------------------------------- EM
def fit_land_mixture(manifold, data, n_components: int, *, rng: np.random.Generator,
                     n_iter: int = 30, n_inner: int = 3, step_mean: float = 0.5,
                     step_cov: float = 0.5, n_samples: int = 500, init="spectral",
                     tol: float = 1e-3, patience: int = 2,
                     cov_jitter: float = 1e-3, reg_covar: float = 0.0,
                     progress: bool | None = None) -> LandMixtureFit:
    """Fit a mixture of LANDs by EM (Arvanitidis et al. 2016, section on mixtures).

    Initialisation: hard labels from ``init`` (default: spectral clustering
    of the data's neighbour graph in the manifold's metric,
    ``spectral_labels``; scikit-learn's random states drawn from
    ``rng``) give hard responsibilities; each
    component's mean is its cluster's centroid snapped to the manifold (see
    below), its covariance the scatter of the Logs of its cluster's points
    (plus ``cov_jitter`` times the mean variance on the diagonal), its
    weight the cluster's share.

    Each iteration: an M-step (``pi_k = mean_n r_nk``, then up to
    ``n_inner`` iterations of :func:`~land.fit_land`'s natural algorithm per
    component on the ``r_nk``-weighted objective, on draws that stay fixed
    for that component through EM), then an E-step with the Logs and
    Monte Carlo constants of the new parameters.

    Stopping rule: stop when the relative change of the log-likelihood,
    ``|l_t - l_{t-1}| / |l_{t-1}|``, has stayed below ``tol`` for
    ``patience`` consecutive iterations (``converged = True``), or after
    ``n_iter`` iterations. With Monte Carlo constants the log-likelihood
    fluctuates by about ``history.mc_noise``, so ``tol`` should not be set
    below ``mc_noise / |loglik|``.

    Parameters
    ----------
    manifold : Sphere or LearnedManifold
    data : array-like, shape=[N, ambient_dim]
    n_components : int
        ``K`` (1 <= K <= N).
    rng : numpy.random.Generator
    n_iter : int
        Most EM iterations.
    n_inner : int
        Most natural-algorithm iterations per component per M-step.
    step_mean, step_cov : float
        First trial step sizes of the mean and precision-factor line
        searches (> 0).
    n_samples : int
        Monte Carlo draws per normalising constant.
    init : {"spectral", "kmeans", "random"} or array of int, shape=[N]
        Initial hard labels: spectral clustering in the manifold's metric
        (k-means if it leaves a cluster with at most ``d`` points), k-means on the ambient
        coordinates, a random balanced assignment, or the labels given.
    tol : float
        Relative log-likelihood change of the stopping rule (>= 0).
    patience : int
        Consecutive small changes needed to stop.
    cov_jitter : float
        Relative ridge added to the initial covariances (>= 0).
    reg_covar : float
        Covariance floor, relative to the data's spread (>= 0; default 0, no
        floor): no covariance eigenvalue of a component goes below
        ``cov_floor = reg_covar * s``, with ``s`` the mean over the initial
        clusters (weighted by size) of ``trace(scatter of Log coordinates) / d``.
        Being relative, it scales with the data. The LAND likelihood is
        unbounded when a component collapses onto fewer than ``d + 1`` points;
        the floor keeps it bounded, and ``floored`` says which components it held.
    progress : bool, optional
        Draw a progress bar over the EM iterations. Default: as in
        :func:`~land.fit_land` (interactive sessions only, never when
        ``LAND_PROGRESS=0``).

    Returns
    -------
    LandMixtureFit
        Weights, means, covariances, frames and constants of the components,
        the responsibilities of ``data`` and the history.

    Raises
    ------
    TypeError
        If ``manifold`` is not a geometry, ``rng`` not a
        ``numpy.random.Generator``, a count not an integer, a step size,
        ``tol`` or ``cov_jitter`` not a real number, ``progress`` not a bool or
        None, or ``data`` not numeric.
    ValueError
        If ``data`` is not an ``(N, ambient_dim)`` array of points of
        ``manifold`` or is degenerate (as for :func:`~land.fit_land`),
        ``n_components`` is not in ``1..N / (d + 1)``, a count is below 1,
        a step size not > 0, ``tol`` or ``cov_jitter`` negative, ``init``
        neither ``"spectral"``, ``"kmeans"``, ``"random"`` nor integer labels of shape ``(N,)``
        in ``0..K-1``, a component gets no point at the start, or (on the
        sphere) a k-means centroid sits at the centre.
    GeodesicSolverError
        If no Log from a component's starting mean to its own cluster
        converges, or the Monte Carlo Exps of a normalising constant all fail
        or give no positive volume density.

    Examples
    --------
    Two clusters a quarter of a great circle apart, started from the true labels:

    >>> import numpy as np
    >>> import land
    >>> sphere, cov, rng = land.Sphere(), np.diag([0.02, 0.02]), np.random.default_rng(0)
    >>> x = np.concatenate([land.sample_sphere_land(50, [0.0, 0.0, 1.0], cov, rng).points,
    ...                     land.sample_sphere_land(50, [1.0, 0.0, 0.0], cov, rng).points])
    >>> mix = land.fit_land_mixture(sphere, x, 2, rng=np.random.default_rng(1), n_iter=2,
    ...                             n_samples=256, init=np.repeat([0, 1], 50))
    >>> mix.n_iter, mix.responsibilities.shape
    (2, (100, 2))
    >>> bool(np.allclose(mix.responsibilities.sum(axis=1), 1.0))
    True
    >>> np.bincount(mix.labels).tolist()
    [50, 50]
    """
    data = check_data(manifold, data)
    n_points = data.shape[0]
    n_components = check_positive_int(n_components, "n_components")
    if n_components > n_points:
        raise ValueError(f"n_components: expected at most the number of points ({n_points}), "
                         f"got {n_components}")
    check_not_degenerate(data, manifold, "data")
    if n_components * (manifold.dim + 1) > n_points:
        raise ValueError(f"n_components: expected at most N / (d + 1) = {n_points} / "
                         f"{manifold.dim + 1} components, got {n_components}: each component "
                         f"needs at least d + 1 = {manifold.dim + 1} points to start with a "
                         "likelihood maximum")
    rng = check_generator(rng)
    n_iter = check_positive_int(n_iter, "n_iter")
    n_inner = check_positive_int(n_inner, "n_inner")
    step_mean = check_positive(step_mean, "step_mean")
    step_cov = check_positive(step_cov, "step_cov")
    n_samples = check_positive_int(n_samples, "n_samples")
    tol = check_nonnegative(tol, "tol")
    progress = show_progress(progress)
    patience = check_positive_int(patience, "patience")
    cov_jitter = check_nonnegative(cov_jitter, "cov_jitter")
    reg_covar = check_nonnegative(reg_covar, "reg_covar")

    labels = _initial_labels(manifold, data, n_components, init, rng)
    resp = np.eye(n_components)[labels]
    if np.any(resp.sum(axis=0) == 0):
        raise ValueError("init: every component needs at least one point")

    starts = []
    for k in range(n_components):
        members = labels == k
        mean = _snap(manifold, data[members].mean(axis=0), data, members)
        frame = manifold.frame(mean)
        logs = manifold.solve_log(mean, data)
        ok = np.asarray(logs.converged, dtype=bool) & members
        if ok.sum() < 1:
            raise GeodesicSolverError(f"fit_land_mixture: no Log from component {k}'s start "
                                      "to its own cluster converged")
        # The cluster's Log scatter plus cov_jitter times its mean variance (and 1e-12).
        cov, total = log_scatter(manifold, mean, frame, logs, members.astype(float),
                                 jitter=cov_jitter / manifold.dim, ridge=1e-12)
        starts.append((mean, frame, logs, cov, total, ok.sum()))
    sizes = np.array([start[5] for start in starts], dtype=float)
    spread = sum(size * start[4] for size, start in zip(sizes, starts)) / sizes.sum()
    cov_floor = reg_covar * spread / manifold.dim
    components = [_Component(manifold, data, mean, frame, cov, logs, cov_floor, n_samples, rng)
                  for mean, frame, logs, cov, _, _ in starts]
    weights = resp.mean(axis=0)

    records = {key: [] for key in MixtureHistory.__dataclass_fields__}

    def e_step(weights):
        log_p = np.column_stack([c.log_density(manifold, data) for c in components])
        resp, point_ll, lost = _e_step(log_p, weights)
        noise = max(c.constant.std_error / c.constant.value for c in components)
        records["loglik"].append(float(point_ll[~lost].sum()))
        records["mc_noise"].append(float(n_points * noise))
        records["n_failed_log"].append(int(sum(c.logs.n_failed for c in components)))
        records["n_unassigned"].append(int(lost.sum()))
        records["n_failed_exp"].append(int(sum(c.constant.n_failed for c in components)))
        records["weights"].append(weights.copy())
        return resp

    resp = e_step(weights)
    converged, n_run, small = False, 0, 0
    with progress_bar(n_iter, f"LAND mixture EM (K = {n_components})", progress) as bar:
        for _ in range(n_iter):
            weights = resp.mean(axis=0)
            for k, comp in enumerate(components):
                comp.m_step(manifold, data, resp[:, k], n_inner, step_mean, step_cov, patience,
                            rng)
            resp = e_step(weights)
            n_run += 1
            bar.update()
            previous, current = records["loglik"][-2], records["loglik"][-1]
            small = small + 1 if abs(current - previous) <= tol * abs(previous) else 0
            if small >= patience:
                converged = True
                break

    history = MixtureHistory(**{key: np.asarray(value) for key, value in records.items()})
    settings = dict(n_components=n_components, n_iter=n_iter, n_inner=n_inner,
                    step_mean=step_mean, step_cov=step_cov, n_samples=n_samples,
                    init=init if isinstance(init, str) else "labels", tol=tol, patience=patience,
                    reg_covar=reg_covar, cov_floor=float(cov_floor))
    return LandMixtureFit(weights, np.array([c.mean for c in components]),
                       np.array([c.cov for c in components]),
                       np.array([c.frame for c in components]),
                       np.array([c.constant.log_value for c in components]), resp, history,
                       converged, n_run, settings, np.array([c.floored for c in components]))


# ------------------------------------------------------------- densities
def mixture_log_density(manifold, mixture: LandMixtureFit, points) -> np.ndarray:
    """``log sum_k pi_k p_k(x)`` for new points, shape (n,).

    With respect to the manifold's volume measure (area on the sphere,
    ``sqrt(det M(x)) dx`` on a learned manifold; see
    :func:`lebesgue_log_density`). A failed Log gives ``p_k(x) = 0``; a point
    whose Logs all fail gets ``-inf``.

    Parameters
    ----------
    manifold : Sphere or LearnedManifold
        The manifold the mixture was fitted on.
    mixture : LandMixtureFit
    points : array-like, shape=[n, ambient_dim]
        Points of ``manifold``.

    Returns
    -------
    ndarray, shape=[n]
        ``log p(x)`` of each point.

    Raises
    ------
    TypeError
        If ``mixture`` is not a :class:`LandMixtureFit`, ``manifold`` not a
        geometry or ``points`` not numeric.
    ValueError
        If ``points`` is not an ``(n, ambient_dim)`` array of points of
        ``manifold``.

    Examples
    --------
    A one-component mixture has the density of its LAND:

    >>> import numpy as np
    >>> import land
    >>> from land.model import log_density, mixture_log_density
    >>> sphere, mean, cov = land.Sphere(), [0.0, 0.0, 1.0], np.diag([0.1, 0.05])
    >>> x = land.sample_sphere_land(100, mean, cov, np.random.default_rng(0)).points
    >>> mix = land.fit_land_mixture(sphere, x, 1, rng=np.random.default_rng(1), n_iter=2,
    ...                             n_samples=256, init="random")
    >>> log_p = mixture_log_density(sphere, mix, x)
    >>> log_p.shape
    (100,)
    >>> bool(np.allclose(log_p, log_density(sphere, x, mix.means[0], mix.covs[0],
    ...                                     mix.log_constants[0], frame=mix.frames[0])))
    True
    """
    if not isinstance(mixture, LandMixtureFit):
        raise TypeError(f"mixture: expected a LandMixtureFit, got {type(mixture).__name__}")
    return logsumexp(mixture.component_log_densities(manifold, points), axis=1)


def lebesgue_log_density(manifold, points, log_density) -> np.ndarray:
    """Convert log densities on a learned manifold to Lebesgue measure on R^D.

    The Riemannian volume element of ``M(x)`` is ``sqrt(det M(x)) dx``, so a
    density ``p_M`` with respect to it is ``p_M(x) sqrt(det M(x))`` with
    respect to ``dx``: ``log p_Leb = log p_M + 0.5 log det M(x)``.

    Parameters
    ----------
    manifold : LearnedManifold
    points : array-like, shape=[n, D]
    log_density : array-like, shape=[n]
        Log densities at ``points`` with respect to the volume measure;
        ``-inf`` (density zero) is allowed.

    Returns
    -------
    ndarray, shape=[n]
        ``log_density + 0.5 log det M(points)``.

    Raises
    ------
    TypeError
        If ``manifold`` has no learned metric (e.g. the sphere), or
        ``points`` or ``log_density`` is not numeric.
    ValueError
        If ``points`` is not an ``(n, D)`` array, or ``log_density`` does not
        have shape ``(n,)`` or holds NaN or ``+inf``.

    Examples
    --------
    Under the constant metric ``diag(4, 1)`` the volume element is
    ``sqrt(4) dx``, so every log density grows by ``log 2``:

    >>> import numpy as np
    >>> import land
    >>> from land.model import lebesgue_log_density
    >>> manifold = land.LearnedManifold(land.GlobalDiagonalMetric([4.0, 1.0]))
    >>> points = np.array([[0.0, 0.0], [1.0, -1.0], [0.5, 2.0]])
    >>> np.round(lebesgue_log_density(manifold, points, np.zeros(3)), 2)
    array([0.69, 0.69, 0.69])
    """
    if not hasattr(manifold, "metric"):
        raise TypeError(f"manifold: expected a LearnedManifold, got {type(manifold).__name__}")
    points = check_data(manifold, points, "points")
    log_density = as_float_array(log_density, "log_density", allow_neginf=True)
    if log_density.shape != (points.shape[0],):
        raise ValueError(f"log_density: expected shape ({points.shape[0]},), got {log_density.shape}")
    return log_density + 0.5 * np.sum(np.log(manifold.metric.metric_diagonal(points)), axis=1)


def lebesgue_mass(manifold, mixture: LandMixtureFit, lower, upper, n_grid: int = 40):
    """Midpoint-rule integral of the mixture's Lebesgue density over a box in R^2.

    A check of the normalisation behind :func:`lebesgue_log_density` (the
    LAND's volume term leaves out the Jacobian of Exp, so the mass need not
    be exactly one). Grid points whose Logs all fail count as density 0.

    Parameters
    ----------
    manifold : LearnedManifold
        On R^2.
    mixture : LandMixtureFit
    lower, upper : array-like, shape=[2]
        Corners of the box.
    n_grid : int
        Grid points per axis.

    Returns
    -------
    mass : float
    n_lost : int
        Grid points whose Logs to every component failed.

    Raises
    ------
    TypeError
        If ``lower`` or ``upper`` is not numeric, ``n_grid`` not an integer,
        ``mixture`` not a :class:`LandMixtureFit`, or ``manifold`` not a geometry
        (or a two-dimensional one without a learned metric).
    ValueError
        If ``lower`` and ``upper`` are not two 2-vectors with ``upper >
        lower``, ``n_grid < 1``, or ``manifold`` is not two-dimensional (the
        grid is not made of its points).

    Examples
    --------
    Under a constant metric the LAND is a Gaussian, almost all of whose mass
    lies in a box six standard deviations wide:

    >>> import numpy as np
    >>> import land
    >>> from land.model import lebesgue_mass
    >>> manifold = land.LearnedManifold(land.GlobalDiagonalMetric([4.0, 1.0]))
    >>> x = 0.3 * np.random.default_rng(0).standard_normal((30, 2))
    >>> mix = land.fit_land_mixture(manifold, x, 1, rng=np.random.default_rng(1), n_iter=1,
    ...                             n_samples=256, init="random")
    >>> mass, n_lost = lebesgue_mass(manifold, mix, [-3.0, -3.0], [3.0, 3.0], n_grid=20)
    >>> round(mass, 2), n_lost
    (1.0, 0)
    """
    if not hasattr(manifold, "metric") or getattr(manifold, "dim", None) != 2:
        raise TypeError(f"manifold: expected a LearnedManifold on R^2, got {manifold!r}")
    lower, upper = as_float_array(lower, "lower"), as_float_array(upper, "upper")
    if lower.shape != (2,) or upper.shape != (2,) or np.any(upper <= lower):
        raise ValueError("lower, upper: expected two 2-vectors with upper > lower")
    n_grid = check_positive_int(n_grid, "n_grid")
    step = (upper - lower) / n_grid
    axes = [lower[d] + step[d] * (np.arange(n_grid) + 0.5) for d in range(2)]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 2)
    log_p = lebesgue_log_density(manifold, grid, mixture_log_density(manifold, mixture, grid))
    return float(np.exp(log_p).sum() * np.prod(step)), int(np.sum(~np.isfinite(log_p)))


def held_out_log_likelihood(manifold, mixture: LandMixtureFit, points, *,
                            measure: str = "volume") -> float:
    """Mean log density per point of new ``points``.

    ``measure="volume"``: with respect to the manifold's volume measure;
    ``"lebesgue"``: on a learned manifold, converted to Lebesgue measure of
    R^D (comparable with a Euclidean density). ``-inf`` if some point's
    Logs all fail.

    Parameters
    ----------
    manifold : Sphere or LearnedManifold
        The manifold the mixture was fitted on.
    mixture : LandMixtureFit
    points : array-like, shape=[n, ambient_dim]
        Held-out points of ``manifold``.
    measure : {"volume", "lebesgue"}
        The reference measure of the densities.

    Returns
    -------
    float
        ``mean_n log p(x_n)``.

    Raises
    ------
    TypeError
        If ``mixture`` is not a :class:`LandMixtureFit`, ``manifold`` not a
        geometry (with a learned metric, for ``"lebesgue"``) or ``points``
        not numeric.
    ValueError
        If ``measure`` is neither ``"volume"`` nor ``"lebesgue"``, ``points``
        is not an ``(n, ambient_dim)`` array of points of ``manifold``.

    Examples
    --------
    >>> import numpy as np
    >>> import land
    >>> from land.model import held_out_log_likelihood, mixture_log_density
    >>> sphere, mean, cov = land.Sphere(), [0.0, 0.0, 1.0], np.diag([0.1, 0.05])
    >>> x = land.sample_sphere_land(100, mean, cov, np.random.default_rng(0)).points
    >>> mix = land.fit_land_mixture(sphere, x, 1, rng=np.random.default_rng(1), n_iter=2,
    ...                             n_samples=256, init="random")
    >>> test = land.sample_sphere_land(20, mean, cov, np.random.default_rng(2)).points
    >>> score = held_out_log_likelihood(sphere, mix, test)
    >>> bool(np.isclose(score, mixture_log_density(sphere, mix, test).mean()))
    True
    """
    if measure not in ("volume", "lebesgue"):
        raise ValueError(f"measure: expected 'volume' or 'lebesgue', got {measure!r}")
    log_p = mixture_log_density(manifold, mixture, points)
    if measure == "lebesgue":
        log_p = lebesgue_log_density(manifold, points, log_p)
    return float(np.mean(log_p))
