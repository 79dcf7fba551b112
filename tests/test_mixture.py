"""EM for mixtures of LANDs (land.model.mixture) and the weighted LAND objective."""

from pathlib import Path

import numpy as np
import pytest
from scipy.stats import multivariate_normal
from sklearn.metrics import adjusted_rand_score

import land
from land.model.mixture import LandMixtureFit, _e_step, held_out_log_likelihood, lebesgue_log_density, mixture_log_density
from land.experiments.mixtures import SPHERE_COVS, SPHERE_MEANS, sphere_experiment

CSV = land.data.result_path("mixtures.csv")


# ------------------------------------------------- weighted objective (model.py)
def _objective_inputs(rng, n=40, s=60):
    sphere = land.Sphere()
    mean = np.array([0.0, 0.0, 1.0])
    frame = sphere.frame(mean)
    factor = np.array([[2.0, 0.3], [0.0, 1.5]])
    return (sphere, mean, frame, factor, 0.4 * rng.standard_normal((n, 2)),
            0.5 * rng.standard_normal((s, 2)), rng.random(s))


def test_weights_none_equals_uniform_weights(rng):
    sphere, mean, frame, factor, data, samples, volume = _objective_inputs(rng)
    plain = land.objective_and_gradients(sphere, mean, frame, factor, data, samples, volume)
    for scale in (1.0, 3.7):  # weights are normalised: any constant is uniform
        weighted = land.objective_and_gradients(sphere, mean, frame, factor, data, samples,
                                                volume, weights=np.full(len(data), scale))
        np.testing.assert_allclose(weighted.objective, plain.objective, rtol=1e-12)
        np.testing.assert_allclose(weighted.grad_mean, plain.grad_mean, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(weighted.grad_factor, plain.grad_factor, rtol=1e-12, atol=1e-14)


def test_weight_two_equals_duplicated_point(rng):
    sphere, mean, frame, factor, data, samples, volume = _objective_inputs(rng)
    weights = np.ones(len(data))
    weights[:10] = 2.0
    weighted = land.objective_and_gradients(sphere, mean, frame, factor, data, samples, volume,
                                            weights=weights)
    doubled = land.objective_and_gradients(sphere, mean, frame, factor,
                                           np.concatenate([data, data[:10]]), samples, volume)
    np.testing.assert_allclose(weighted.objective, doubled.objective, rtol=1e-12)
    np.testing.assert_allclose(weighted.grad_mean, doubled.grad_mean, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(weighted.grad_factor, doubled.grad_factor, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("weights", [np.ones(5), -np.ones(40), np.zeros(40),
                                     np.full(40, np.nan)], ids=["shape", "negative", "zero", "nan"])
def test_bad_weights_raise(rng, weights):
    sphere, mean, frame, factor, data, samples, volume = _objective_inputs(rng)
    with pytest.raises(ValueError, match="weights"):
        land.objective_and_gradients(sphere, mean, frame, factor, data, samples, volume,
                                     weights=weights)


# ------------------------------------------------------------------- E-step
def test_e_step_handles_failed_logs_without_nan():
    weights = np.array([0.3, 0.7])
    log_p = np.array([[-1.0, -2.0], [-np.inf, -1.0], [-np.inf, -np.inf]])
    resp, point_ll, lost = _e_step(log_p, weights)
    assert np.all(np.isfinite(resp))
    np.testing.assert_allclose(resp.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(resp[1], [0.0, 1.0])  # failed Log: p_k = 0
    np.testing.assert_allclose(resp[2], weights)  # every Log failed: prior, flagged
    assert lost.tolist() == [False, False, True]
    np.testing.assert_allclose(point_ll[1], np.log(0.7) - 1.0, rtol=1e-12)


# ------------------------------------------------------ two clusters on the sphere
@pytest.fixture(scope="module")
def sphere_fit():
    rng = np.random.default_rng(11)
    points, labels = [], []
    for k, (mean, cov) in enumerate(zip(SPHERE_MEANS, SPHERE_COVS)):
        points.append(land.sample_sphere_land(60, mean, cov, rng).points)
        labels.append(np.full(60, k))
    data, labels = np.concatenate(points), np.concatenate(labels)
    fit = land.fit_land_mixture(land.Sphere(), data, 2, rng=rng, n_iter=12, n_samples=400)
    return data, labels, fit


def test_responsibilities_sum_to_one(sphere_fit):
    _, _, fit = sphere_fit
    assert fit.responsibilities.shape == (120, 2)
    np.testing.assert_allclose(fit.responsibilities.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(fit.weights.sum(), 1.0, rtol=1e-12)
    assert np.all(fit.history.n_failed_log == 0) and np.all(fit.history.n_unassigned == 0)


def test_log_likelihood_does_not_decrease_beyond_monte_carlo_noise(sphere_fit):
    """Generalised EM does not lower the exact log-likelihood; ours uses Monte Carlo
    constants, and one standard error of log C_k moves every point's log density by about
    se/C, i.e. the total by mc_noise = N max_k se_k / C_k. The difference of two iterations
    (independent draws) has a standard error of at most sqrt(2) max(mc_noise); we allow
    3 standard errors, 3 sqrt(2) ~ 4.3 times max(mc_noise) of the two iterations."""
    _, _, fit = sphere_fit
    loglik, noise = fit.history.loglik, fit.history.mc_noise
    bound = 3 * np.sqrt(2) * np.maximum(noise[1:], noise[:-1])
    assert np.all(np.diff(loglik) >= -bound)
    assert loglik[-1] > loglik[0]


def test_two_separated_clusters_are_recovered(sphere_fit):
    data, labels, fit = sphere_fit
    assert adjusted_rand_score(labels, fit.labels) > 0.95
    # Match components to the true means, then each mean is within 0.1 rad.
    sphere = land.Sphere()
    dist = np.array([[sphere.dist(m, t) for t in SPHERE_MEANS] for m in fit.means])
    order = [0, 1] if dist[0, 0] + dist[1, 1] < dist[0, 1] + dist[1, 0] else [1, 0]
    assert np.all(dist[[0, 1], order] < 0.1)
    np.testing.assert_allclose(fit.weights, [0.5, 0.5], atol=0.1)
    # predict() on the training data reproduces the last E-step's labels.
    np.testing.assert_array_equal(fit.predict(sphere, data), fit.labels)
    log_p = mixture_log_density(sphere, fit, data)
    np.testing.assert_allclose(log_p.sum(), fit.history.loglik[-1], rtol=1e-10)
    assert held_out_log_likelihood(sphere, fit, data) == pytest.approx(log_p.mean())


# ------------------------------------------------ measures on a learned manifold
def test_lebesgue_density_of_a_flat_metric_is_the_gaussian():
    """With a constant metric diag(m) the LAND is Gaussian: in orthonormal coordinates
    w = sqrt(m) * x it is N(0, Sigma), so on R^2 it is N(0, F Sigma F) with F = diag(m^-1/2),
    C = 2 pi sqrt(det Sigma) exactly (volume density 1)."""
    diag = np.array([4.0, 0.25])
    manifold = land.LearnedManifold(land.GlobalDiagonalMetric(diag))
    cov = np.array([[1.0, 0.3], [0.3, 0.5]])
    frame = manifold.frame(np.zeros(2))
    log_c = np.log(2 * np.pi) + 0.5 * np.linalg.slogdet(cov)[1]
    mixture = LandMixtureFit(np.array([1.0]), np.zeros((1, 2)), cov[None], frame[None],
                          np.array([log_c]), np.ones((1, 1)), None, True, 0)
    points = np.array([[0.3, -0.2], [-0.5, 1.0], [0.1, 0.4]])
    log_leb = lebesgue_log_density(manifold, points, mixture_log_density(manifold, mixture, points))
    expected = multivariate_normal(np.zeros(2), frame @ cov @ frame.T).logpdf(points)
    np.testing.assert_allclose(log_leb, expected, rtol=1e-6)


# --------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs, error, match", [
    (dict(n_components=0), ValueError, "n_components"),
    (dict(n_components=2.5), TypeError, "n_components"),
    (dict(n_components=50), ValueError, "n_components"),
    (dict(rng=None), TypeError, "rng"),
    (dict(init="spectrum"), ValueError, "init"),
    (dict(init=np.zeros(3, dtype=int)), ValueError, "init"),
    (dict(init=np.full(20, 5)), ValueError, "init"),
    (dict(tol=-1.0), ValueError, "tol"),
    (dict(step_mean=0.0), ValueError, "step_mean"),
    (dict(n_samples=1.5), TypeError, "n_samples"),
    (dict(data=np.ones((20, 2))), ValueError, "data"),
])
def test_bad_input_raises(kwargs, error, match):
    rng = np.random.default_rng(0)
    args = dict(data=land.Sphere().random_point(rng, 20), n_components=2, rng=rng)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        land.fit_land_mixture(land.Sphere(), args.pop("data"), args.pop("n_components"), **args)


def test_density_functions_validate():
    sphere = land.Sphere()
    with pytest.raises(TypeError, match="mixture"):
        mixture_log_density(sphere, "not a mixture", np.array([[0.0, 0.0, 1.0]]))
    with pytest.raises(TypeError, match="manifold"):
        lebesgue_log_density(sphere, np.array([[0.0, 0.0, 1.0]]), np.zeros(1))


# ------------------------------------------------- the study's committed numbers
def test_study_csv_sphere_row_reproduces():
    """Re-run the first sphere row of studies/mixtures.py at its settings (seed in the CSV).
    Same seed, same code: the numbers agree to 1e-6 (BLAS may reorder sums, nothing more)."""
    import csv

    with CSV.open() as handle:
        rows = [row for row in csv.DictReader(handle) if row["dataset"] == "sphere"]
    row = rows[0]
    result = sphere_experiment(np.random.default_rng(int(row["seed"]))).row()
    for key in ("land_ari", "gmm_ari", "land_ll", "true_ll", "em_iterations"):
        np.testing.assert_allclose(result[key], float(row[key]), rtol=1e-6, atol=1e-6)
