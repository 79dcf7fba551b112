"""The compiled learned-metric engine: derivatives, variational Jacobian, equivariance, Log starts."""

import numba
import numpy as np
import pytest

import land
from land.experiments.reference import sphere_normalising_constant

NORTH = np.array([0.0, 0.0, 1.0])


@pytest.fixture(scope="module")
def metric(sphere_data_small):
    return land.LocalDiagonalMetric(sphere_data_small.points, kernel_width=0.25, rho=1e-3)


def test_compiled_metric_matches_numpy_reference(metric, rng):
    queries = np.vstack([metric.data[:6] + 0.05 * rng.standard_normal((6, 3)), rng.standard_normal((4, 3))])
    diag, jac = metric.metric_and_jacobian(queries)
    ref_diag, ref_jac = metric.reference_metric_and_jacobian(queries)
    np.testing.assert_allclose(diag, ref_diag, rtol=1e-11)
    np.testing.assert_allclose(jac, ref_jac, rtol=1e-9, atol=1e-10 * np.abs(ref_jac).max())


def test_second_derivatives_match_finite_differences(metric, rng):
    queries = metric.data[:5] + 0.05 * rng.standard_normal((5, 3))
    hess = metric.metric_hessian(queries)
    np.testing.assert_allclose(hess, np.swapaxes(hess, 2, 3), rtol=1e-12, atol=0)
    step = 1e-5
    for k in range(3):
        shift = np.zeros(3)
        shift[k] = step
        numeric = (metric.metric_jacobian(queries + shift) - metric.metric_jacobian(queries - shift)) / (2 * step)
        error = np.abs(hess[..., k] - numeric).max(axis=(1, 2))
        assert np.all(error < 1e-6 * np.abs(hess).max(axis=(1, 2, 3))), error


def test_exp_jacobian_from_variational_equations_matches_finite_differences(metric, rng):
    manifold = land.LearnedManifold(metric)
    vecs = 0.5 * rng.standard_normal((4, 3)) * np.array([1.0, 1.0, 0.2])
    ends, jacobians, ok = manifold.exp_jacobian(NORTH, vecs)
    assert ok.all()
    np.testing.assert_array_equal(ends, manifold.exp(NORTH, vecs))   # same steps with or without
    tight = land.LearnedManifold(metric, rtol=1e-12, atol=1e-13)
    step = 1e-6
    for b in range(3):
        shift = np.zeros(3)
        shift[b] = step
        numeric = (tight.exp(NORTH, vecs + shift) - tight.exp(NORTH, vecs - shift)) / (2 * step)
        error = np.abs(jacobians[:, :, b] - numeric).max(axis=1)
        assert np.all(error < 1e-5 * np.abs(jacobians).max()), error


def test_flat_metric_exp_jacobian_is_identity():
    manifold = land.LearnedManifold(land.GlobalDiagonalMetric([1.0, 4.0, 0.5]))
    _, jacobians, ok = manifold.exp_jacobian(np.zeros(3), np.eye(3))
    assert ok.all()
    np.testing.assert_allclose(jacobians, np.broadcast_to(np.eye(3), (3, 3, 3)), atol=1e-12)


@pytest.mark.parametrize("shift, scale", [(1e4, 1.0), (-3e2, 1.0), (0.0, 1e-3), (0.0, 1e4), (50.0, 7.0)])
def test_exp_and_log_are_translation_and_scale_equivariant(sphere_data_small, rng, shift, scale):
    """Shift data, base and targets by any vector, or scale them (kernel width by c, rho by c^2)."""
    data = sphere_data_small.points
    offset = shift * np.array([1.0, -0.5, 0.3])
    plain = land.LearnedManifold(land.LocalDiagonalMetric(data, 0.25, 1e-3))
    moved = land.LearnedManifold(land.LocalDiagonalMetric(scale * data + offset, 0.25 * scale,
                                                          1e-3 * scale**2))
    vecs = 0.4 * rng.standard_normal((6, 3)) * np.array([1.0, 1.0, 0.2])
    ends = plain.solve_exp(NORTH, vecs)
    ends_moved = moved.solve_exp(scale * NORTH + offset, scale * vecs)
    assert ends.converged.all() and ends_moved.converged.all()
    np.testing.assert_allclose((ends_moved.value - offset) / scale, ends.value, rtol=0, atol=1e-8)
    targets = data[:6]
    logs = plain.solve_log(NORTH, targets)
    logs_moved = moved.solve_log(scale * NORTH + offset, scale * targets + offset)
    assert logs.converged.all() and logs_moved.converged.all()
    np.testing.assert_allclose(logs_moved.value / scale, logs.value, rtol=0,
                               atol=1e-8 * np.abs(logs.value).max())
    np.testing.assert_allclose(moved.metric.metric_diagonal(scale * targets + offset) * scale**2,
                               plain.metric.metric_diagonal(targets), rtol=1e-10)


def test_a_failed_batch_keeps_its_converged_logs(metric, sphere_data_small):
    manifold = land.LearnedManifold(metric)
    far = np.array([40.0, -30.0, 25.0])             # nowhere near the data: cannot be reached cheaply
    strict = land.LearnedManifold(metric, max_newton=1)
    targets = np.vstack([sphere_data_small.points[:3], far])
    result = strict.solve_log(NORTH, targets)
    with pytest.raises(land.GeodesicSolverError) as caught:
        strict.log(NORTH, targets)
    partial = caught.value.result
    assert partial is not None and partial.n_failed == result.n_failed >= 1
    good = partial.converged
    np.testing.assert_allclose(manifold.exp(NORTH, partial.value[good]), targets[good], atol=1e-6)


def test_learned_fit_does_not_depend_on_the_thread_count(sphere_data_small):
    from threadpoolctl import threadpool_limits

    data = sphere_data_small.points[:80]
    manifold = land.LearnedManifold(land.LocalDiagonalMetric(data, 0.3, 1e-3))
    runs = []
    for threads in (1, 2):
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        with threadpool_limits(limits=threads, user_api="blas"):
            fit = land.fit_land(manifold, data, rng=np.random.default_rng(3), n_iter=3,
                                n_samples=64, step_mean=0.2, step_cov=0.3)
        runs.append(fit)
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    np.testing.assert_array_equal(runs[0].history.mean, runs[1].history.mean)
    np.testing.assert_array_equal(runs[0].history.objective, runs[1].history.objective)


def test_quasi_monte_carlo_constant_is_more_accurate(rng):
    sphere = land.Sphere()
    cov = np.diag([0.5**2, 0.3**2])
    exact = sphere_normalising_constant(cov)
    errors = {"mc": [], "qmc": []}
    for seed in range(6):
        for sampling in errors:
            estimate = land.normalising_constant(sphere, NORTH, cov, 512, np.random.default_rng(seed),
                                                 sampling=sampling)
            errors[sampling].append(abs(estimate.value / exact - 1))
    assert np.sqrt(np.mean(np.square(errors["qmc"]))) < 0.3 * np.sqrt(np.mean(np.square(errors["mc"])))
    assert land.qmc_normals(500, 2, rng).shape == (512, 2)


def test_failed_draws_count_alike_in_objective_and_constant():
    sphere = land.Sphere()
    coords = np.array([[0.1, 0.0], [0.0, 0.2], [0.3, 0.1], [0.2, -0.1]])
    volume = np.array([0.9, 0.8, 0.0, 0.7])
    converged = np.array([True, True, False, True])
    factor = np.eye(2) * 2.0
    with_mask = land.objective_and_gradients(sphere, NORTH, sphere.frame(NORTH), factor, coords[:2],
                                             coords, volume, sample_converged=converged)
    data_term = 0.5 * np.mean(np.sum((coords[:2] @ factor.T) ** 2, axis=1))
    log_z = np.log(2 * np.pi) - np.log(4.0)
    np.testing.assert_allclose(with_mask.objective - data_term, log_z + np.log(volume[converged].mean()),
                               rtol=1e-12)


def test_fit_stops_by_itself_and_reports_why(sphere_data_small):
    sphere = land.Sphere()
    data = land.sample_sphere_land(400, NORTH, np.diag([0.4**2, 0.2**2]), np.random.default_rng(5)).points
    fit = land.fit_land(sphere, data, rng=np.random.default_rng(0))
    assert fit.converged and fit.stop_reason == "gradient within Monte Carlo noise"
    assert fit.n_iter < 100 and len(fit.history.objective) == fit.n_iter + 1
    tail = fit.history.gradient[-fit.settings["patience"]:]
    assert np.all(tail <= land.model.fit.CALM_FACTOR * fit.history.gradient_noise[-fit.settings["patience"]:])
    assert np.all(fit.history.effective_draws > 500)
    paper = land.fit_land(sphere, data, rng=np.random.default_rng(0), algorithm="paper", n_iter=5)
    assert not paper.converged and paper.stop_reason == "fixed number of iterations"
    assert paper.n_iter == 5


def test_a_diverging_fit_stops_with_its_history():
    sphere = land.Sphere()
    data = land.sample_sphere_land(300, NORTH, np.diag([0.3**2, 0.1**2]), np.random.default_rng(2)).points
    fit = land.fit_land(sphere, data, rng=np.random.default_rng(0), algorithm="paper", n_iter=50,
                        step_cov=400.0)
    assert fit.stop_reason.startswith("diverged"), fit.stop_reason
    assert not fit.converged and fit.n_iter < 50
    assert len(fit.history.objective) == fit.n_iter + 1
    assert np.all(np.isfinite(fit.cov)) and np.all(np.linalg.eigvalsh(fit.cov) > 0)


@pytest.mark.parametrize("kwargs, message", [
    (dict(algorithm="adam"), "algorithm: expected one of"),
    (dict(volume="jacobian"), "volume: expected one of"),
    (dict(patience=0), "patience: expected an integer >= 1"),
])
def test_fit_rejects_bad_choices(kwargs, message):
    sphere = land.Sphere()
    with pytest.raises(ValueError, match=message):
        land.fit_land(sphere, np.array([NORTH, NORTH]), rng=np.random.default_rng(0), **kwargs)
