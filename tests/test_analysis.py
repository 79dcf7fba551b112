"""The book's analysis helpers: reference values, data-model comparisons, fit diagnostics."""

import numpy as np
import pytest
from scipy import integrate

import land
from land.experiments import compare, diagnostics, reference

NORTH = np.array([0.0, 0.0, 1.0])


# ------------------------------------------------------------------ reference
def test_sphere_constant_small_variance_limit():
    """For Sigma = s^2 I and small s, C = 2 pi (s^2 - s^4 / 3) + O(s^6)."""
    s = 0.05
    expected = 2 * np.pi * (s**2 - s**4 / 3)
    np.testing.assert_allclose(reference.sphere_normalising_constant(np.eye(2) * s**2), expected,
                               rtol=1e-5)


def test_sphere_land_covariance_matches_exact_samples():
    cov = reference.rotated_covariance(0.7, 0.4, 0.3)
    sample = land.sample_sphere_land(40000, NORTH, cov, np.random.default_rng(2))
    np.testing.assert_allclose(np.cov(sample.tangent_coords.T), reference.sphere_land_covariance(cov),
                               atol=0.006)


def test_rotated_covariance_has_requested_spread():
    cov = reference.rotated_covariance(0.5, 0.2, 1.1)
    np.testing.assert_allclose(np.sort(np.linalg.eigvalsh(cov)), [0.04, 0.25], rtol=1e-12)


# -------------------------------------------------------------------- compare
@pytest.mark.parametrize("model", ["pushforward", "land"])
def test_radius_densities_integrate_to_one(model):
    total = integrate.quad(lambda r: compare.radius_density(r, 0.9, model), 0.0, np.pi)[0]
    np.testing.assert_allclose(total, 1.0, rtol=1e-8)


def test_wrap_probability_is_rayleigh_tail():
    np.testing.assert_allclose(compare.wrap_probability(0.7), np.exp(-np.pi**2 / (2 * 0.49)), rtol=1e-12)


def test_matched_land_sd_matches_second_moment_and_exceeds_generator():
    matched = compare.matched_land_sd(0.7)
    assert matched > 0.7
    np.testing.assert_allclose(compare.radius_moment(matched, "land", 2),
                               compare.radius_moment(0.7, "pushforward", 2), rtol=1e-9)


def test_constant_metric_geodesics_deviate_as_straight_lines():
    """Straight lines x = mu + t v: radius sqrt(1 + t^2 |v|^2), no out-of-plane angle."""
    manifold = land.LearnedManifold(land.GlobalDiagonalMetric([1.0, 1.0, 1.0]))
    vecs = np.array([[0.4, 0.0, 0.0], [0.0, -0.9, 0.0]])
    result = compare.geodesic_deviation(manifold, NORTH, vecs, times=(0.5, 1.0))
    lengths = np.linalg.norm(vecs, axis=1)
    expected = np.sqrt(1 + np.outer(lengths**2, [0.25, 1.0])) - 1
    np.testing.assert_allclose(result.radial, expected, atol=1e-10)
    np.testing.assert_allclose(result.plane_angle, 0.0, atol=1e-10)
    assert result.n_failed == 0


def test_metric_length_hand_over_preserves_direction_and_sets_length():
    manifold = land.LearnedManifold(land.GlobalDiagonalMetric([4.0, 9.0, 1.0]))
    vec = np.array([0.3, 0.4, 0.0])
    moved = compare.hand_over_tangent(manifold, NORTH, vec, match="metric_length")
    np.testing.assert_allclose(np.cross(moved, vec), 0.0, atol=1e-15)
    np.testing.assert_allclose(np.sqrt(moved @ np.diag([4.0, 9.0, 1.0]) @ moved), 0.5, rtol=1e-12)
    with pytest.raises(ValueError, match="match: expected one of"):
        compare.hand_over_tangent(manifold, NORTH, vec, match="sideways")


# ---------------------------------------------------------------- diagnostics
def test_fit_errors_vanish_at_the_target_and_track_the_history(sphere):
    rng = np.random.default_rng(4)
    cov = np.diag([0.3**2, 0.2**2])
    sample = land.sample_sphere_land(1500, NORTH, cov, rng)
    fit = land.fit_land(sphere, sample.points, init_mean=sphere.exp(NORTH, [0.2, 0.0, 0.0]),
                        algorithm="paper", init_cov=cov, n_iter=30, step_mean=0.5, step_cov=1.0, n_samples=1000,
                        rng=rng)
    errors = diagnostics.fit_errors(sphere, fit.history, NORTH, cov, sample.frame)
    np.testing.assert_allclose(errors[0][0], 0.2, rtol=1e-12)  # the start is 0.2 rad away
    assert errors[0][-1] < 0.03 and errors[1][-1] < 0.15
    np.testing.assert_allclose(diagnostics.mean_errors(sphere, NORTH[None, :], NORTH), [0.0], atol=1e-15)


def test_iterations_to_tolerance_and_relative_error():
    assert diagnostics.iterations_to_tolerance([5.0, 0.5, 2.0, 0.4, 0.3], 1.0) == 3
    assert diagnostics.iterations_to_tolerance([5.0, 4.0], 1.0) is None
    np.testing.assert_allclose(diagnostics.relative_frobenius_error(2 * np.eye(2), np.eye(2)), 1.0)
