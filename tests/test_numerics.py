"""The Log solver cascade (land.numerics): each stage alone and together, early abandonment,
the graph bound that certifies shortest geodesics, and warm Logs."""

import numpy as np
import pytest

import land
from land.experiments.reference import fit_warm_starts
from land.numerics import (Collocation, Continuation, ExpIntegrator, LogCascade, NeighbourGraph,
                           NewtonShooting, StandardMetric)

NORTH = np.array([0.0, 0.0, 1.0])


@pytest.fixture(scope="module")
def learned(sphere_data_small):
    return land.LearnedManifold(land.LocalDiagonalMetric(sphere_data_small.points, 0.25, 1e-3))


def _ring(n_points=400, radius=1.0, width=0.05, seed=0):
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0.0, 2.0 * np.pi, n_points)
    radial = radius + width * rng.standard_normal(n_points)
    return np.column_stack([radial * np.cos(angle), radial * np.sin(angle)])


@pytest.mark.parametrize("stage", ["chord", "graph", "continuation", "collocation"])
def test_each_stage_alone_solves_logs(learned, sphere_data_small, stage):
    """Every stage on its own returns Logs whose Exp hits the target."""
    targets = sphere_data_small.points[20:24]
    result = learned.solve_log(NORTH, targets, stages=(stage,))
    assert result.converged.sum() >= 3, result.info["stage_counts"]
    assert set(result.info["stage"][result.converged]) == {stage}
    ok = result.converged
    np.testing.assert_allclose(learned.exp(NORTH, result.value[ok]), targets[ok], atol=1e-6)


def test_later_stages_run_only_on_what_earlier_stages_left(learned, sphere_data_small):
    targets = sphere_data_small.points[:40]
    result = learned.solve_log(NORTH, targets)
    counts = result.info["stage_counts"]
    stages = list(counts)
    assert stages[0] == "chord" and counts["chord"]["points"] == 40
    for first, second in zip(stages, stages[1:]):
        # The next stage sees only points the previous ones did not settle.
        assert counts[second]["points"] <= counts[first]["points"] - counts[first]["converged"] \
            + result.info["n_longer_than_bound"] + 1e-9 or second == "collocation"
    assert np.all(result.info["n_shots"] >= 1)
    assert result.converged.all()


def test_stagnating_shots_are_abandoned_early(learned, sphere_data_small):
    """A far target from a zero start: with max_slow=1 Newton gives up after one slow step."""
    integrator = learned.integrator
    standard = learned._standard
    base = learned._to_standard(NORTH)
    targets = learned._to_standard(sphere_data_small.points[:30])
    starts = np.zeros_like(targets) + 1e-3
    patient = NewtonShooting(tol=1e-6, max_newton=30, max_slow=30).shoot(
        standard, integrator, base, targets, starts)
    hasty = NewtonShooting(tol=1e-6, max_newton=30, max_slow=1).shoot(
        standard, integrator, base, targets, starts)
    stagnated = hasty.status == 5
    assert stagnated.any()
    # Abandoned shots spend fewer Newton steps and right-hand sides than patient ones.
    assert np.all(hasty.n_newton[stagnated] <= patient.n_newton[stagnated])
    assert hasty.n_rhs.sum() < patient.n_rhs.sum()
    # Converged shots still meet the tolerance.
    assert np.all(hasty.residual[hasty.converged] < 1e-6)


def test_graph_bound_is_an_upper_bound_on_the_distance(learned, sphere_data_small):
    targets = sphere_data_small.points[:30]
    result = learned.solve_log(NORTH, targets)
    length, bound = result.info["length"], result.info["bound"]
    ok = result.converged
    assert np.all(np.isfinite(bound))
    # Shortest geodesics are no longer than the graph path (up to Simpson's rule, 5 %).
    assert np.all(length[ok] <= 1.05 * bound[ok])
    assert result.info["n_longer_than_bound"] == 0
    # The bound is the metric length of a real curve: not far above the geodesic distance.
    assert np.median(bound[ok] / length[ok]) < 1.5


def test_ring_long_geodesic_exists_and_the_short_one_is_returned():
    """On a ring a point is reached both ways round. Warm-started on the long way, the cascade
    sees that it is longer than the graph bound and returns the short way."""
    ring = land.LearnedManifold(land.LocalDiagonalMetric(_ring(), kernel_width=0.25, rho=1e-3))
    base = np.array([1.0, 0.0])
    target = np.array([np.cos(2.3), np.sin(2.3)])
    short = ring.solve_log(base, target)
    assert short.converged and short.value[1] > 0                   # anticlockwise
    # Follow the long way clockwise by warm starts only.
    vel, previous = ring.solve_log(base, np.array([np.cos(-1.0), np.sin(-1.0)])).value, -1.0
    for angle in (-1.5, -2.0, -2.5, -3.0, -3.5, 2.3 - 2.0 * np.pi):
        long = ring.solve_log(base, np.array([np.cos(angle), np.sin(angle)]),
                              initial_velocities=vel * angle / previous, stages=("warm",))
        assert long.converged, angle
        vel, previous = long.value, angle
    assert long.value[1] < 0                                         # clockwise
    assert long.info["length"] > 1.3 * short.info["length"]
    assert long.info["length"] > long.info["bound"] or not np.isfinite(long.info["bound"])
    both = ring.solve_log(base, target, initial_velocities=long.value)
    assert both.converged and both.info["stage"] != "warm"
    np.testing.assert_allclose(both.value, short.value, atol=1e-6)
    assert both.info["length"] <= 1.05 * both.info["bound"]


def test_warm_logs_solve_from_the_warm_start_only(learned, sphere_data_small):
    """After a 0.02 rad mean step, the previous Logs are the only start tried first."""
    targets = sphere_data_small.points[:40]
    cold = learned.solve_log(NORTH, targets)
    step = 0.02 * np.array([1.0, 0.0, 0.0])
    moved = land.Sphere().exp(NORTH, step)
    warm = learned.solve_log(moved, targets, initial_velocities=cold.value - step)
    counts = warm.info["stage_counts"]
    assert list(counts)[0] == "warm" and counts["warm"]["points"] == 40
    solved_warm = counts["warm"]["converged"]
    assert solved_warm >= 38
    assert counts.get("chord", {"points": 0})["points"] <= 40 - solved_warm + warm.info["n_longer_than_bound"]
    assert "collocation" not in counts                              # skipped on warm calls
    fresh = learned.solve_log(moved, targets)
    both = warm.converged & fresh.converged
    np.testing.assert_allclose(warm.value[both], fresh.value[both], atol=1e-5)
    assert warm.info["n_rhs"].sum() < fresh.info["n_rhs"].sum()


def test_reusing_the_jacobian_near_the_solution_keeps_the_answer(learned, sphere_data_small):
    """Jacobian reuse (cheaper steps: the benchmark times it) finds the same Logs to the tolerance."""
    base = learned._to_standard(NORTH)
    targets = learned._to_standard(sphere_data_small.points[:40])
    starts = 0.9 * (targets - base)                     # chord-like starts, some far off
    runs = {reuse: NewtonShooting(reuse_jacobian=reuse).shoot(
        learned._standard, learned.integrator, base, targets, starts) for reuse in (False, True)}
    plain, reuse = runs[False], runs[True]
    both = plain.converged & reuse.converged
    assert both.sum() >= 30 and reuse.converged.sum() >= plain.converged.sum() - 1
    assert np.all(reuse.residual[reuse.converged] < 1e-6)
    np.testing.assert_allclose(reuse.velocity[both], plain.velocity[both], atol=1e-5)
    with pytest.raises(TypeError, match="reuse_jacobian"):
        NewtonShooting(reuse_jacobian="yes")


def test_first_order_warm_starts_are_second_order_accurate():
    """Moving Logs by the Log Jacobian leaves an error of order step^2 (exact Logs on the sphere)."""
    sphere = land.Sphere()
    rng = np.random.default_rng(3)
    targets = land.sample_sphere_data(30, NORTH, np.diag([0.4**2] * 2), rng).points
    cold = sphere.solve_log(NORTH, targets)
    direction = np.array([1.0, 0.0, 0.0])
    errors = {}
    for size in (0.04, 0.02):
        starts, moved, step = fit_warm_starts(sphere, NORTH, direction, cold, size=size)
        exact = sphere.log(moved, targets)
        errors[size] = np.abs(starts - exact).max()
        shifted = np.abs(cold.value - step - exact).max()
        assert errors[size] < 0.2 * shifted               # far better than the shifted Logs
    np.testing.assert_allclose(errors[0.04] / errors[0.02], 4.0, rtol=0.25)


def test_solvers_are_pluggable(sphere_data_small):
    metric = land.LocalDiagonalMetric(sphere_data_small.points, 0.25, 1e-3)
    cascade = LogCascade(NewtonShooting(tol=1e-7, max_newton=5), stages=("chord", "graph"),
                         continuation=Continuation(3), collocation=Collocation(1e-5))
    manifold = land.LearnedManifold(metric, integrator=ExpIntegrator(1e-7, 1e-9), log_solver=cascade)
    result = manifold.solve_log(NORTH, sphere_data_small.points[:10])
    assert set(result.info["stage_counts"]) <= {"chord", "graph"}
    assert manifold.integrator.rtol == 1e-7
    with pytest.raises(TypeError, match="log_solver: expected a land.numerics.LogCascade"):
        land.LearnedManifold(metric, log_solver="cascade")
    with pytest.raises(ValueError, match="stages: expected distinct names"):
        LogCascade(stages=("chord", "straight"))
    with pytest.raises(ValueError, match="stages: expected a non-empty sequence"):
        manifold.solve_log(NORTH, NORTH, stages=("straight",))


def test_neighbour_graph_on_a_line_measures_metric_length():
    """Data on a line with a constant-ish metric: the graph bound is the line's metric length."""
    line = np.linspace(0.0, 6.0, 61)[None, :]
    metric = StandardMetric(line, 1e-3, 0, np.zeros(1))
    graph = NeighbourGraph(metric, n_neighbours=2)
    paths = graph.paths_from(np.array([2.0]), np.array([[4.0]]))
    # Exact metric length of the segment [2, 4] by fine quadrature.
    grid = np.linspace(2.0, 4.0, 4001)[:, None]
    speed = np.sqrt(metric.diagonal(grid)[:, 0])
    exact = np.trapezoid(speed, grid[:, 0])
    np.testing.assert_allclose(paths.bound[0], exact, rtol=1e-3)


def test_tolerances_follow_the_data_when_the_kernel_is_wide(sphere_data_small):
    """With a kernel width far above the data's spread, Logs still hit their targets closely."""
    data = sphere_data_small.points[:60]
    wide = land.LearnedManifold(land.LocalDiagonalMetric(data, kernel_width=1e6, rho=1e-3 * 1e12))
    assert wide.tolerance_unit < 1.0
    targets = data[:5]
    result = wide.solve_log(data[10], targets)
    ok = result.converged
    assert ok.all()
    miss = np.linalg.norm(wide.exp(data[10], result.value) - targets, axis=1)
    assert miss.max() < 1e-5
