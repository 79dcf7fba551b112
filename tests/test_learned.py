"""Geodesics of a learned metric: Exp by ODE, Log by boundary value problem."""

import numpy as np
import pytest

import land

NORTH = np.array([0.0, 0.0, 1.0])


@pytest.fixture(scope="module")
def learned(sphere_data_small):
    metric = land.LocalDiagonalMetric(sphere_data_small.points, kernel_width=0.25, rho=1e-3)
    return land.LearnedManifold(metric)


def test_constant_metric_geodesics_are_straight_lines(rng):
    manifold = land.LearnedManifold(land.GlobalDiagonalMetric([1.0, 4.0, 0.5]))
    base = rng.standard_normal(3)
    vecs = rng.standard_normal((4, 3))
    np.testing.assert_allclose(manifold.exp(base, vecs), base + vecs, atol=1e-12)
    targets = rng.standard_normal((4, 3))
    np.testing.assert_allclose(manifold.log(base, targets), targets - base, atol=1e-9)
    # Distances use the metric: sqrt((x - y)^T M (x - y)).
    expected = np.sqrt(((targets - base) ** 2) @ np.array([1.0, 4.0, 0.5]))
    np.testing.assert_allclose(manifold.dist(base, targets), expected, rtol=1e-9)


def test_exp_after_log_returns_the_point(learned, sphere_data_small):
    targets = sphere_data_small.points[:4]
    result = learned.solve_log(NORTH, targets)
    assert result.converged.all()
    assert np.all(result.residual < learned.log_tol)
    np.testing.assert_allclose(learned.exp(NORTH, result.value), targets, atol=1e-6)


def test_log_after_exp_returns_the_vector(learned, rng):
    frame = learned.frame(NORTH)
    coords = 0.4 * rng.standard_normal((3, 3))
    vecs = coords @ frame.T
    ends = learned.exp(NORTH, vecs)
    np.testing.assert_allclose(learned.log(NORTH, ends), vecs, rtol=1e-5, atol=1e-7)


def test_geodesic_length_is_initial_speed(learned, sphere_data_small):
    """Geodesics have constant speed, so the metric length of Log equals the curve length."""
    target = sphere_data_small.points[5]
    vec = learned.log(NORTH, target)
    times = np.linspace(0.0, 1.0, 201)
    curve = learned.exp(NORTH, times[:, None] * vec)
    mid = 0.5 * (curve[1:] + curve[:-1])
    steps = np.diff(curve, axis=0)
    length = np.sum(np.sqrt(np.sum(learned.metric.metric_diagonal(mid) * steps**2, axis=1)))
    np.testing.assert_allclose(length, learned.dist(NORTH, target), rtol=1e-4)


def test_frame_is_orthonormal_and_transport_keeps_it_so(learned, sphere_data_small):
    frame = learned.frame(NORTH)
    metric_at = learned.metric.metric_diagonal
    np.testing.assert_allclose(frame.T @ np.diag(metric_at(NORTH)) @ frame, np.eye(3), atol=1e-12)
    vec = learned.log(NORTH, sphere_data_small.points[7])
    end = learned.exp(NORTH, vec)
    moved = learned.transport_frame(NORTH, vec, frame)
    np.testing.assert_allclose(moved.T @ np.diag(metric_at(end)) @ moved, np.eye(3), atol=1e-10)
    # Before re-orthonormalisation the ODE already preserves inner products: check the
    # correction is tiny, i.e. the transport equations are right.
    _, raw, _ = learned._integrate(NORTH, vec, frame)
    np.testing.assert_allclose(raw.T @ np.diag(metric_at(end)) @ raw, np.eye(3), atol=1e-6)


def test_failed_log_is_reported_not_replaced(sphere_data_small):
    metric = land.LocalDiagonalMetric(sphere_data_small.points, kernel_width=0.25, rho=1e-3)
    # A residual tolerance no double-precision solve can meet forces failure.
    strict = land.LearnedManifold(metric, log_tol=1e-30, max_newton=1)
    result = strict.solve_log(NORTH, sphere_data_small.points[:2])
    assert result.n_failed == 2 and not result.converged.any()
    assert np.all(result.residual > 0)
    assert np.all(np.isfinite(result.value))
    with pytest.raises(land.GeodesicSolverError, match="2 of 2 geodesic solves did not converge"):
        strict.log(NORTH, sphere_data_small.points[:2])


def test_bad_input(learned):
    with pytest.raises(ValueError, match=r"tangent_vecs: expected shape \(3,\)"):
        learned.exp(NORTH, np.ones(2))
    with pytest.raises(ValueError, match="points: expected finite values"):
        learned.log(NORTH, [np.inf, 0.0, 1.0])
    with pytest.raises(TypeError, match="metric: expected a LocalDiagonalMetric"):
        land.LearnedManifold(np.eye(3))
    with pytest.raises(ValueError, match="log_tol: expected a finite number > 0"):
        land.LearnedManifold(learned.metric, log_tol=0.0)
    with pytest.raises(ValueError, match=r"base_point: expected a single point of shape \(3,\)"):
        learned.exp(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="stages: expected a non-empty sequence"):
        learned.solve_log(NORTH, NORTH, stages=("straight",))


def test_batched_exp_matches_tight_scipy_reference(learned, rng):
    """The compiled DOP853 Exp (rtol 1e-6) agrees with DOP853 at rtol 1e-12 to 5e-7."""
    from land.experiments.reference import scipy_exp

    vecs = (0.6 * rng.standard_normal((12, 3))) * np.array([1.0, 1.0, 0.2])
    ours = learned.solve_exp(NORTH, vecs)
    reference, ok = scipy_exp(learned, NORTH, vecs, method="DOP853", rtol=1e-12, atol=1e-14)
    assert ok.all() and ours.converged.all()
    assert np.max(np.linalg.norm(ours.value - reference, axis=1)) < 5e-7


def test_batched_log_agrees_with_solve_bvp_where_both_converge(learned, sphere_data_small):
    """Same geodesics as the report's solve_bvp approach; residuals checked with a tight Exp."""
    from land.experiments.reference import scipy_exp, scipy_log

    targets = sphere_data_small.points[10:16]
    ours = learned.solve_log(NORTH, targets)
    theirs, ok = scipy_log(learned, NORTH, targets, tol=1e-6)
    both = ours.converged & ok
    assert both.sum() >= 4
    np.testing.assert_allclose(ours.value[both], theirs[both], atol=1e-4)
    ends, _ = scipy_exp(learned, NORTH, ours.value[ours.converged], method="DOP853", rtol=1e-12, atol=1e-14)
    assert np.all(np.linalg.norm(ends - targets[ours.converged], axis=1) < 1e-6)
    assert np.all(ours.residual[ours.converged] < learned.log_tol)


def test_warm_started_log_reaches_the_same_answer(learned, sphere_data_small):
    targets = sphere_data_small.points[:5]
    cold = learned.solve_log(NORTH, targets)
    step = np.array([0.01, -0.005, 0.0])
    moved = NORTH + step
    warm = learned.solve_log(moved, targets, initial_velocities=cold.value - step)
    fresh = learned.solve_log(moved, targets)
    both = warm.converged & fresh.converged
    assert both.sum() >= 4
    np.testing.assert_allclose(warm.value[both], fresh.value[both], atol=1e-5)
    with pytest.raises(ValueError, match=r"initial_velocities: expected shape \(5, 3\)"):
        learned.solve_log(moved, targets, initial_velocities=np.zeros((4, 3)))


def test_fit_history_counts_failed_solves(sphere_data_small):
    """With an unmeetable Log tolerance every data Log fails: the fit says so and stops."""
    metric = land.LocalDiagonalMetric(sphere_data_small.points, kernel_width=0.25, rho=1e-3)
    strict = land.LearnedManifold(metric, log_tol=1e-30, max_newton=1)
    with pytest.raises(land.GeodesicSolverError, match="no data point's Log converged"):
        land.fit_land(strict, sphere_data_small.points[:4], init_mean=NORTH, algorithm="paper", init_cov=np.eye(3) * 0.01,
                      n_iter=1, n_samples=5, rng=np.random.default_rng(0))
