"""The two experiments of the chapter on mixtures, and their study summary.

Two moons in R^2 on a learned metric and two clusters on the sphere, each a
LAND mixture against scikit-learn's ``GaussianMixture``; the chapter, the
study script (``studies/mixtures.py``) and the tests run this same code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from land._validation import check_generator, check_positive, check_positive_int
from land.geometry.sphere import Sphere
from land.model.likelihood import normalising_constant
from land.model.mixture import LandMixtureFit, fit_land_mixture, held_out_log_likelihood

__all__ = ["MixtureExperiment", "moons_experiment", "sphere_experiment", "SPHERE_MEANS",
           "SPHERE_COVS", "read_study", "study_table"]

# ------------------------------------------------------------ experiments
@dataclass(frozen=True)
class MixtureExperiment:
    """One run of a chapter experiment: LAND mixture against ``GaussianMixture``.

    Attributes
    ----------
    dataset : str
    train, test : ndarray, shape=[n, D]
    train_labels, test_labels : ndarray of int
        True component of each point.
    land : LandMixtureFit
    land_test_labels, gmm_test_labels, gmm_train_labels : ndarray of int
    land_ari, gmm_ari : float
        Adjusted Rand index of the predicted test labels.
    land_ll, gmm_ll, true_ll : float
        Held-out mean log density per point (``nan`` where not comparable):
        Lebesgue measure for the moons, the sphere's area for the sphere
        (``true_ll``: the generating mixture, sphere only).
    land_seconds, gmm_seconds : float
        Wall time of the two fits.
    """

    dataset: str
    train: np.ndarray
    test: np.ndarray
    train_labels: np.ndarray
    test_labels: np.ndarray
    land: LandMixtureFit
    land_test_labels: np.ndarray
    gmm_train_labels: np.ndarray
    gmm_test_labels: np.ndarray
    land_ari: float
    gmm_ari: float
    land_ll: float
    gmm_ll: float
    true_ll: float
    land_seconds: float
    gmm_seconds: float

    def row(self) -> dict:
        """The summary numbers as a flat dict (one CSV row)."""
        return dict(dataset=self.dataset, land_ari=self.land_ari, gmm_ari=self.gmm_ari,
                    land_ll=self.land_ll, gmm_ll=self.gmm_ll, true_ll=self.true_ll,
                    land_seconds=self.land_seconds, gmm_seconds=self.gmm_seconds,
                    em_iterations=self.land.n_iter,
                    failed_logs=int(self.land.history.n_failed_log.sum()))


def _gmm(train, test, n_components, rng):
    from sklearn.mixture import GaussianMixture

    tic = time.perf_counter()
    gmm = GaussianMixture(n_components, covariance_type="full", n_init=5,
                          random_state=int(rng.integers(2**31 - 1))).fit(train)
    seconds = time.perf_counter() - tic
    return gmm, seconds


def _shuffled_split(points, labels, n_train, rng):
    """Shuffle ``points`` with their ``labels``; the first ``n_train`` train, the rest test."""
    order = rng.permutation(points.shape[0])
    return ((points[order[:n_train]], labels[order[:n_train]]),
            (points[order[n_train:]], labels[order[n_train:]]))


def moons_experiment(rng: np.random.Generator, *, n_train: int = 100, n_test: int = 100,
                     noise: float = 0.08, kernel_width: float = 0.15, rho: float = 0.1,
                     log_tol: float = 1e-4, **fit_options) -> MixtureExperiment:
    """Two moons in R^2: LAND mixture on a learned metric versus a full-covariance GMM.

    Data from ``sklearn.datasets.make_moons`` (``random_state`` drawn from
    ``rng``), split into train and test; the metric
    :class:`~land.LocalDiagonalMetric` is learned from the training points
    only. Held-out log-likelihoods are per point, Lebesgue measure. A Log
    counts as converged when its end point is within ``log_tol`` (data units,
    far below the noise) of the target.
    ``fit_options`` go to :func:`fit_land_mixture`.
    """
    from sklearn.datasets import make_moons
    from sklearn.metrics import adjusted_rand_score

    from land.geometry.learned import LearnedManifold
    from land.geometry.metric import LocalDiagonalMetric

    rng = check_generator(rng)
    n_train = check_positive_int(n_train, "n_train")
    n_test = check_positive_int(n_test, "n_test")
    noise = check_positive(noise, "noise")
    points, labels = make_moons(n_train + n_test, noise=noise,
                                random_state=int(rng.integers(2**31 - 1)))
    (train, train_labels), (test, test_labels) = _shuffled_split(points, labels, n_train, rng)
    manifold = LearnedManifold(LocalDiagonalMetric(train, kernel_width, rho), log_tol=log_tol)
    options = dict(n_iter=10, step_mean=0.5, step_cov=0.2, n_samples=300)
    options.update(fit_options)
    tic = time.perf_counter()
    mixture = fit_land_mixture(manifold, train, 2, rng=rng, **options)
    land_seconds = time.perf_counter() - tic
    land_test = mixture.predict(manifold, test)
    land_ll = held_out_log_likelihood(manifold, mixture, test, measure="lebesgue")
    gmm, gmm_seconds = _gmm(train, test, 2, rng)
    gmm_test = gmm.predict(test)
    return MixtureExperiment("moons", train, test, train_labels, test_labels, mixture, land_test,
                             gmm.predict(train), gmm_test,
                             float(adjusted_rand_score(test_labels, land_test)),
                             float(adjusted_rand_score(test_labels, gmm_test)), land_ll,
                             float(gmm.score(test)), float("nan"), land_seconds, gmm_seconds)


SPHERE_MEANS = np.array([[np.sin(0.75), 0.0, np.cos(0.75)], [-np.sin(0.75), 0.0, np.cos(0.75)]])
"""Means of the sphere experiment: 1.5 rad apart, symmetric about the north pole."""
SPHERE_COVS = np.array([np.diag([0.35**2, 0.15**2]), np.diag([0.15**2, 0.35**2])])
"""Covariances (in ``Sphere().tangent_basis(mean)``) of the sphere experiment."""


def sphere_experiment(rng: np.random.Generator, *, n_train: int = 200, n_test: int = 200,
                      true_samples: int = 200_000, **fit_options) -> MixtureExperiment:
    """Two LAND clusters on the sphere (equal weights): LAND mixture versus a GMM in R^3.

    Points come from :func:`~land.sample_sphere_land` around
    :data:`SPHERE_MEANS` with :data:`SPHERE_COVS`. Both methods are scored by
    the adjusted Rand index; the held-out log-likelihood (area measure) is
    reported for the LAND mixture and for the generating mixture
    (``true_ll``, constants from ``true_samples`` Monte Carlo draws), not for
    the GMM, whose density lives on R^3.
    """
    from sklearn.metrics import adjusted_rand_score

    from land.data import sample_sphere_land

    rng = check_generator(rng)
    n_train = check_positive_int(n_train, "n_train")
    n_test = check_positive_int(n_test, "n_test")
    sphere = Sphere()
    counts = rng.multinomial(n_train + n_test, [0.5, 0.5])
    draws = [sample_sphere_land(int(c), m, s, rng) for c, m, s in zip(counts, SPHERE_MEANS, SPHERE_COVS)]
    points = np.concatenate([d.points for d in draws])
    labels = np.repeat([0, 1], counts)
    (train, train_labels), (test, test_labels) = _shuffled_split(points, labels, n_train, rng)
    options = dict(n_iter=20, step_mean=0.5, step_cov=0.5, n_samples=500)
    options.update(fit_options)
    tic = time.perf_counter()
    mixture = fit_land_mixture(sphere, train, 2, rng=rng, **options)
    land_seconds = time.perf_counter() - tic
    land_test = mixture.predict(sphere, test)
    land_ll = held_out_log_likelihood(sphere, mixture, test)
    frames = np.array([sphere.frame(m) for m in SPHERE_MEANS])
    true_log_c = np.array([normalising_constant(sphere, m, s, true_samples, rng).log_value
                           for m, s in zip(SPHERE_MEANS, SPHERE_COVS)])
    truth = LandMixtureFit(np.array([0.5, 0.5]), SPHERE_MEANS, SPHERE_COVS, frames, true_log_c,
                        np.full((1, 2), 0.5), None, True, 0)
    true_ll = held_out_log_likelihood(sphere, truth, test)
    gmm, gmm_seconds = _gmm(train, test, 2, rng)
    gmm_test = gmm.predict(test)
    return MixtureExperiment("sphere", train, test, train_labels, test_labels, mixture, land_test,
                             gmm.predict(train), gmm_test,
                             float(adjusted_rand_score(test_labels, land_test)),
                             float(adjusted_rand_score(test_labels, gmm_test)), land_ll,
                             float("nan"), true_ll, land_seconds, gmm_seconds)


# ------------------------------------------------------------ study summary
_STUDY_COLUMNS = ("land_ari", "gmm_ari", "land_ll", "gmm_ll", "true_ll", "land_seconds",
                  "gmm_seconds", "em_iterations", "failed_logs")


def read_study(path) -> dict:
    """Read ``studies/mixtures.py``'s CSV into ``{dataset: {column: array over seeds}}``."""
    import csv

    table: dict = {}
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            columns = table.setdefault(row["dataset"], {key: [] for key in ("seed",) + _STUDY_COLUMNS})
            columns["seed"].append(int(row["seed"]))
            for key in _STUDY_COLUMNS:
                columns[key].append(float(row[key]))
    if not table:
        raise ValueError(f"path: no rows in {path}")
    return {name: {key: np.asarray(value) for key, value in columns.items()}
            for name, columns in table.items()}


def study_table(study: dict) -> str:
    """Markdown table of mean +- standard deviation over seeds, per dataset and method."""
    def cell(values):
        if np.all(np.isnan(values)):
            return "not comparable"
        return f"{np.mean(values):.3f} ± {np.std(values, ddof=1):.3f}"

    lines = ["| data | method | test ARI | held-out log-lik. / point | fit time (s) |",
             "| --- | --- | --- | --- | --- |"]
    for name, columns in study.items():
        lines.append(f"| {name} | LAND mixture | {cell(columns['land_ari'])} | "
                     f"{cell(columns['land_ll'])} | {cell(columns['land_seconds'])} |")
        lines.append(f"| {name} | Gaussian mixture | {cell(columns['gmm_ari'])} | "
                     f"{cell(columns['gmm_ll'])} | {cell(columns['gmm_seconds'])} |")
        if not np.all(np.isnan(columns["true_ll"])):
            lines.append(f"| {name} | true mixture | | {cell(columns['true_ll'])} | |")
    return "\n".join(lines)
