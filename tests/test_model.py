"""The LAND model: Monte Carlo normalising constant, gradients, and the MLE."""

import numpy as np
import pytest

import land
from land.experiments.reference import (finite_difference_gradients, fixed_draws, fixed_sample_objective,
                            rotated_covariance as rotation_cov, sphere_normalising_constant)

MEAN = np.array([1.0, 2.0, 2.0]) / 3.0


@pytest.mark.parametrize("cov", [np.diag([0.5**2, 0.5**2]), rotation_cov(0.9, 0.3, 0.5)],
                         ids=["isotropic", "anisotropic"])
def test_monte_carlo_constant_matches_quadrature(sphere, rng, cov):
    exact = sphere_normalising_constant(cov)
    estimate = land.normalising_constant(sphere, MEAN, cov, 20000, rng)
    assert abs(estimate.value - exact) < 3 * estimate.std_error
    # The standard error itself is sensible: about 1% of C at 20000 draws.
    assert 1e-4 * exact < estimate.std_error < 0.02 * exact
    assert estimate.n_failed == 0


def test_gradients_match_finite_differences_with_fixed_samples(sphere, rng):
    """The analytic gradients are those of the Monte Carlo objective with the draws frozen
    on the sphere (see land.experiments.reference.fixed_sample_objective), to relative error 1e-6."""
    cov = rotation_cov(0.6, 0.25, 0.7)
    data = land.sample_sphere_land(300, MEAN, cov, rng).points
    mean = sphere.exp(MEAN, sphere.tangent_basis(MEAN) @ np.array([0.2, -0.1]))
    frame = sphere.frame(mean)
    fit_cov = rotation_cov(0.5, 0.3, -0.2)
    factor = land.precision_factor(fit_cov)
    draws = fixed_draws(sphere, mean, frame, fit_cov, 400, rng)

    data_coords = sphere.coordinates(mean, frame, sphere.log(mean, data))
    result = land.objective_and_gradients(sphere, mean, frame, factor, data_coords, draws.coords,
                                          draws.volume)
    objective = lambda m, f, a: fixed_sample_objective(sphere, draws, data, m, f, a)
    np.testing.assert_allclose(result.objective, objective(mean, frame, factor), rtol=1e-12)
    numeric_mean, numeric_factor = finite_difference_gradients(sphere, objective, mean, frame, factor)
    np.testing.assert_allclose(result.grad_mean, numeric_mean, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(result.grad_factor, numeric_factor, rtol=1e-6, atol=1e-9)
    # The check has teeth: the paper's approximate mean gradient (Log derivative -I) differs.
    paper = land.objective_and_gradients(
        land.LearnedManifold(land.GlobalDiagonalMetric([1.0, 1.0])), np.zeros(2), np.eye(2), factor,
        data_coords, draws.coords, draws.volume)
    assert np.linalg.norm(paper.grad_mean - numeric_mean) > 1e-3 * np.linalg.norm(numeric_mean)


def test_paper_direction_is_recovered_with_identity_log_jacobian():
    """With J = -I the mean gradient is the LAND paper's -P (mean L - sum_s w_s v_s)."""
    manifold = land.LearnedManifold(land.GlobalDiagonalMetric([1.0, 1.0]))
    rng = np.random.default_rng(1)
    factor = np.array([[2.0, 0.3], [0.0, 1.5]])
    data_coords, sample_coords = rng.standard_normal((20, 2)), rng.standard_normal((30, 2))
    volume = rng.random(30)
    result = land.objective_and_gradients(manifold, np.zeros(2), np.eye(2), factor, data_coords,
                                          sample_coords, volume)
    weights = volume / volume.sum()
    expected = -(factor.T @ factor) @ (data_coords.mean(axis=0) - weights @ sample_coords)
    np.testing.assert_allclose(result.grad_mean, expected, rtol=1e-12)


def test_fit_recovers_mean_and_covariance_of_exact_sphere_land(sphere):
    rng = np.random.default_rng(11)
    true_cov = rotation_cov(0.5, 0.25, 0.6)
    sample = land.sample_sphere_land(2000, MEAN, true_cov, rng)
    start = sphere.exp(MEAN, sample.frame @ np.array([0.25, -0.2]))  # 0.32 rad away
    fit = land.fit_land(sphere, sample.points, init_mean=start, algorithm="paper", init_cov=np.diag([0.1**2] * 2),
                        n_iter=60, step_mean=0.5, step_cov=1.0, n_samples=2000, rng=rng)
    assert sphere.dist(fit.mean, MEAN) < 0.02
    cov_error = np.linalg.norm(fit.cov_in_frame(sphere, MEAN, sample.frame) - true_cov) / np.linalg.norm(true_cov)
    assert cov_error < 0.15
    # The frame was carried along: still orthonormal and tangent at the final mean.
    np.testing.assert_allclose(fit.frame.T @ fit.frame, np.eye(2), atol=1e-10)
    np.testing.assert_allclose(fit.frame.T @ fit.mean, 0.0, atol=1e-10)
    history = fit.history
    assert history.objective.shape == (61,) and history.mean.shape == (61, 3)
    assert history.cov.shape == (61, 2, 2) and history.frame.shape == (61, 3, 2)
    assert history.n_failed_log.sum() == 0 and history.n_failed_exp.sum() == 0
    assert history.objective[-1] < history.objective[0] - 1.0


def test_fit_on_flat_learned_manifold_recovers_euclidean_mle():
    """With a constant metric the LAND is a Gaussian: the MLE is the sample mean and covariance."""
    rng = np.random.default_rng(5)
    scale = np.array([1.0, 4.0])
    manifold = land.LearnedManifold(land.GlobalDiagonalMetric(scale))
    data = rng.multivariate_normal([0.5, -0.2], [[0.3, 0.1], [0.1, 0.05]], size=60)
    fit = land.fit_land(manifold, data, init_mean=[0.0, 0.0], algorithm="paper", init_cov=np.eye(2) * 0.1,
                        n_iter=12, step_mean=0.7, step_cov=1.0, n_samples=300, rng=rng)
    # Monte Carlo noise enters the mean step through the sample average of v_s: sd ~ 0.06 here.
    np.testing.assert_allclose(fit.mean, data.mean(axis=0), atol=0.1)
    frame = manifold.frame(fit.mean)
    np.testing.assert_allclose(fit.frame, frame, atol=1e-9)  # flat: transport keeps the frame


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(data=np.empty((0, 3))), ValueError, "data: expected at least one point"),
        (dict(data=np.array([[0.0, 0.0, 1.0], [np.nan, 0.0, 1.0]])), ValueError, "data: expected finite values"),
        (dict(data=np.array([[0.0, 0.0, 1.5]])), ValueError, "data: expected points on the unit sphere"),
        (dict(init_cov=[[0.1, 0.0], [0.0, -0.1]]), ValueError, "init_cov: expected a positive definite"),
        (dict(init_cov=[[0.1, 0.02], [0.0, 0.1]]), ValueError, "init_cov: expected a symmetric"),
        (dict(init_mean=[1.0, 1.0, 0.0]), ValueError, "init_mean: expected points on the unit sphere"),
        (dict(n_samples=0), ValueError, "n_samples: expected an integer >= 1"),
        (dict(n_iter=0), ValueError, "n_iter: expected an integer >= 1"),
        (dict(step_mean=-0.1), ValueError, "step_mean: expected a finite number > 0"),
        (dict(step_cov=np.nan), ValueError, "step_cov: expected a finite number > 0"),
        (dict(rng=None), TypeError, "rng: expected a numpy.random.Generator"),
    ],
)
def test_fit_rejects_bad_input(sphere, kwargs, error, message):
    # Three points off any one great circle: fewer would be refused as degenerate data.
    points = np.array([[0.0, 0.0, 1.0], [0.0, 0.1, 0.995], [0.1, 0.0, 0.995]])
    args = dict(data=points / np.linalg.norm(points, axis=1, keepdims=True),
                init_mean=[0.0, 0.0, 1.0], init_cov=np.eye(2) * 0.01, n_iter=2, n_samples=10,
                rng=np.random.default_rng(0)) | kwargs
    data = args.pop("data")
    with pytest.raises(error, match=message):
        land.fit_land(sphere, data, **args)


def test_normalising_constant_rejects_bad_input(sphere, rng):
    with pytest.raises(ValueError, match="n_samples: expected an integer >= 1"):
        land.normalising_constant(sphere, MEAN, np.eye(2), 0, rng)
    with pytest.raises(ValueError, match=r"cov: expected shape \(2, 2\)"):
        land.normalising_constant(sphere, MEAN, np.eye(3), 10, rng)
    with pytest.raises(ValueError, match=r"mean: expected a single point"):
        land.normalising_constant(sphere, np.vstack([MEAN, MEAN]), np.eye(2), 10, rng)
