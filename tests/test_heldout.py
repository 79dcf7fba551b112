"""Tests of land.experiments.heldout: the change of base measure, the Gaussian baseline, the comparison."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import multivariate_normal

import land
from land.data import result_path
from land.experiments import heldout

ROOT = Path(__file__).resolve().parent.parent


def _flat_manifold(diagonal=(4.0, 0.25)):
    return land.LearnedManifold(land.GlobalDiagonalMetric(np.array(diagonal)))


def test_lebesgue_density_on_a_flat_metric_is_the_rescaled_gaussian(rng):
    """M = diag(m) constant: Exp is x = mu + F v, F = diag(m^-1/2), so the LAND is
    N(mu, F Sigma F) in x, and the Monte Carlo constant is exact (every m_s = 1)."""
    diagonal = np.array([4.0, 0.25])
    manifold = _flat_manifold(diagonal)
    mean = np.array([0.3, -0.2])
    cov = np.array([[0.5, 0.1], [0.1, 0.3]])
    constant = land.normalising_constant(manifold, mean, cov, 50, rng)
    assert constant.std_error == pytest.approx(0.0, abs=1e-12)
    points = rng.normal(size=(40, 2))
    got = heldout.land_log_density_lebesgue(manifold, points, mean, cov, constant.log_value)
    scale = np.diag(1.0 / np.sqrt(diagonal))
    expected = multivariate_normal(mean, scale @ cov @ scale).logpdf(points)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-8)
    # Without the conversion it is off by 0.5 log det M = 0 here; use a metric where it is not.
    manifold = _flat_manifold([4.0, 1.0])
    got = heldout.land_log_density_lebesgue(manifold, points, mean, cov, constant.log_value)
    scale = np.diag([0.5, 1.0])
    expected = multivariate_normal(mean, scale @ cov @ scale).logpdf(points)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-8)
    plain = land.log_density(manifold, points, mean, cov, constant.log_value)
    np.testing.assert_allclose(got - plain, 0.5 * np.log(4.0), atol=1e-10)


def test_grid_mass_of_the_flat_land_is_one():
    manifold = _flat_manifold([4.0, 1.0])
    mean, cov = np.zeros(2), np.diag([0.5, 0.3])
    log_c = 0.5 * (2 * np.log(2 * np.pi) + np.linalg.slogdet(cov)[1])
    grid = heldout.grid_density(
        lambda p: heldout.land_log_density_lebesgue(manifold, p, mean, cov, log_c),
        (-3, 3, -3, 3), 60)
    assert grid.n_failed == 0
    np.testing.assert_allclose(grid.mass, 1.0, atol=2e-3)
    ratio, std_error, jac = heldout.exp_jacobian_ratio(manifold, mean, manifold.frame(mean), cov,
                                                       50, np.random.default_rng(0))
    np.testing.assert_allclose(jac, 1.0, atol=1e-6)
    assert ratio == pytest.approx(1.0, abs=1e-6) and std_error < 1e-6


def test_gaussian_baseline_matches_scipy(rng):
    points = rng.normal(size=(200, 3)) @ np.array([[1.0, 0.2, 0.0], [0.0, 0.5, 0.1], [0, 0, 2.0]])
    fit = heldout.fit_gaussian(points)
    np.testing.assert_allclose(fit.cov, np.cov(points.T, bias=True), rtol=1e-12)
    test = rng.normal(size=(20, 3))
    np.testing.assert_allclose(fit.log_density(test),
                               multivariate_normal(fit.mean, fit.cov).logpdf(test), rtol=1e-10)
    with pytest.raises(ValueError, match="points"):
        heldout.fit_gaussian(points[:3])
    with pytest.raises(ValueError, match="cov"):
        heldout.gaussian_log_density(test, fit.mean, -fit.cov)


def test_comparison_counts_failed_logs_and_uses_the_same_points():
    manifold = _flat_manifold([1.0, 1.0])
    train = np.random.default_rng(1).normal(size=(100, 2))
    gaussian = heldout.fit_gaussian(train)

    class FakeFit:
        mean = gaussian.mean
        cov = gaussian.cov
        frame = np.eye(2)
        log_constant = 0.5 * (2 * np.log(2 * np.pi) + np.linalg.slogdet(gaussian.cov)[1])

    test = np.random.default_rng(2).normal(size=(10, 2))
    comparison = heldout.heldout_comparison(manifold, FakeFit, gaussian, test)
    assert comparison.n_failed == 0 and comparison.n_test == 10
    assert comparison.difference == pytest.approx(0.0, abs=1e-10)

    class FailingManifold(land.LearnedManifold):
        def solve_log(self, base_point, points, *, initial_velocities=None):
            result = super().solve_log(base_point, points)
            converged = result.converged.copy()
            converged[:3] = False
            return land.GeodesicResult(result.value, converged, result.residual)

    failing = FailingManifold(land.GlobalDiagonalMetric(np.ones(2)))
    comparison = heldout.heldout_comparison(failing, FakeFit, gaussian, test)
    assert comparison.n_failed == 3
    assert np.all(np.isnan(comparison.land_log_density[:3]))
    np.testing.assert_allclose(comparison.gaussian_mean,
                               gaussian.log_density(test[3:]).mean(), rtol=1e-12)
    with pytest.raises(TypeError, match="manifold"):
        heldout.land_log_density_lebesgue(land.Sphere(), test, gaussian.mean, gaussian.cov, 0.0)
    with pytest.raises(TypeError, match="gaussian"):
        heldout.heldout_comparison(manifold, FakeFit, None, test)


def test_kernel_width_rule():
    grid = np.stack(np.meshgrid(np.arange(10.0), np.arange(10.0)), axis=-1).reshape(-1, 2)
    assert heldout.kernel_width_rule(grid, 4) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="train"):
        heldout.kernel_width_rule(grid[:3], 4)


def _load_study():
    spec = importlib.util.spec_from_file_location("beyond_study", ROOT / "studies" / "beyond.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_study_row_reproduces_the_committed_csv():
    """Re-run the cheapest row of studies/beyond.py and match the committed beyond.csv.

    The same seed gives the same draws, so the numbers agree to floating-point
    noise across machines; we allow 1e-3 (the CSV keeps 6 significant digits).
    """
    study = _load_study()
    with result_path("beyond.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    row = next(r for r in rows if r["dataset"] == "arc" and float(r["width_factor"]) == 1.6
               and int(r["seed"]) == 0)
    fresh = study.run_row("arc", 1.6, 0)
    for key in ("land_loglik", "land_loglik_corrected", "gaussian_loglik", "jacobian_ratio"):
        np.testing.assert_allclose(fresh[key], float(row[key]), atol=1e-3, err_msg=key)
    assert fresh["n_failed_test"] == int(row["n_failed_test"])


def test_initial_parameters_memory_is_linear():
    """The start of the held-out fit once built an N x N matrix (200 MB at N = 5000)."""
    import tracemalloc

    rng = np.random.default_rng(4)
    train = rng.standard_normal((5000, 2))
    flat = land.LearnedManifold(land.GlobalDiagonalMetric([1.0, 1.0]))
    tracemalloc.start()
    try:
        mean, cov = heldout.initial_parameters(flat, train)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20e6, f"peak {peak / 1e6:.0f} MB"
    # The medoid in squared distance is the point nearest the mean.
    np.testing.assert_array_equal(mean, train[np.argmin(np.sum((train - train.mean(0)) ** 2, 1))])
    sq = np.sum(train[:500] ** 2, axis=1)
    brute = sq[:, None] + sq[None, :] - 2.0 * train[:500] @ train[:500].T
    sub_mean, _ = heldout.initial_parameters(flat, train[:500])
    np.testing.assert_array_equal(sub_mean, train[:500][np.argmin(brute.sum(axis=1))])
    # Flat unit metric: Log(mean, x) = x - mean and the frame is I, so cov is the second moment.
    diff = train - mean
    moment = diff.T @ diff / len(train)
    np.testing.assert_allclose(cov, moment + 1e-6 * np.trace(moment) * np.eye(2), rtol=1e-6)
