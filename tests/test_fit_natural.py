"""The natural algorithm of fit_land: exact mean gradient, line search, bounded covariance
steps, and a stopping rule that cannot be fooled by noise estimates or lost draws."""

import numpy as np
import pytest

import land
import land.model.fit as fit_module
from land.experiments.reference import sphere_normalising_constant
from land.model.likelihood import (estimate_constant, evaluate_parameters, precision_factor,
                                   qmc_normals)

NORTH = np.array([0.0, 0.0, 1.0])


@pytest.fixture(scope="module")
def arc():
    return land.data.datasets.noisy_arc(120, np.random.default_rng(0), noise=0.05)


def _fixed_objective(manifold, data, mean, frame, factor, normals):
    return evaluate_parameters(manifold, data, mean, frame, factor, normals.shape[0], None,
                               normals=normals)


def test_exact_mean_gradient_matches_finite_differences_of_the_fixed_draw_objective(arc):
    """The mean gradient of a learned fit is the derivative of the objective it evaluates."""
    manifold = land.LearnedManifold(land.LocalDiagonalMetric(arc, 0.3, 1e-2), rtol=1e-10,
                                    atol=1e-12, log_tol=1e-10)
    mean = np.array([0.1, 0.95])
    frame = manifold.frame(mean)
    factor = precision_factor(np.diag([0.3, 0.05]))
    normals = qmc_normals(256, 2, np.random.default_rng(1))
    here = _fixed_objective(manifold, arc, mean, frame, factor, normals)
    eps = 1e-5
    numeric = []
    for j in range(2):
        values = []
        for sign in (1.0, -1.0):
            step = sign * eps * frame[:, j]
            moved = manifold.exp(mean, step)
            moved_frame = manifold.transport_frame(mean, step, frame)
            values.append(_fixed_objective(manifold, arc, moved, moved_frame, factor, normals).objective)
        numeric.append((values[0] - values[1]) / (2 * eps))
    np.testing.assert_allclose(here.grad_mean, numeric, rtol=1e-4, atol=1e-6)
    # The paper's -I approximation is visibly different on this curved metric.
    paper = land.LearnedManifold(manifold.metric, rtol=1e-10, atol=1e-12, log_tol=1e-10,
                                 mean_gradient="paper")
    approx = _fixed_objective(paper, arc, mean, frame, factor, normals).grad_mean
    assert np.linalg.norm(approx - numeric) > 10 * np.linalg.norm(here.grad_mean - numeric)


def test_line_search_descends_monotonically_on_fixed_draws(sphere_data_small):
    fit = land.fit_land(land.Sphere(), sphere_data_small.points, rng=np.random.default_rng(0))
    objective = fit.history.objective
    same_draws = np.concatenate([[True], fit.history.draw_set[1:] == fit.history.draw_set[:-1]])
    assert np.all(np.diff(objective)[same_draws[1:]] <= 1e-12)
    assert fit.converged


def test_covariance_step_is_bounded_even_from_a_poor_start():
    """Initial covariance 50x too small: no step multiplies a variance by more than 4, and the fit
    does not report convergence with a handful of effective draws."""
    data = land.sample_sphere_data(200, NORTH, np.diag([0.5**2] * 2), np.random.default_rng(3))
    fit = land.fit_land(land.Sphere(), data.points, rng=np.random.default_rng(0),
                        init_cov=np.diag([0.1**2] * 2))
    history = fit.history
    assert np.all(history.cov_step <= np.log(fit_module.MAX_VARIANCE_FACTOR) + 1e-12)
    eig = np.array([np.linalg.eigvalsh(c) for c in history.cov])
    ratio = eig[1:] / eig[:-1]
    assert np.all(ratio <= fit_module.MAX_VARIANCE_FACTOR * (1 + 1e-9))
    assert np.all(ratio >= 1 / fit_module.MAX_VARIANCE_FACTOR / (1 + 1e-9))
    if fit.converged:
        assert history.effective_draws[-1] >= fit_module.MIN_EFFECTIVE_FRACTION * history.n_draws[-1]
    assert np.linalg.eigvalsh(fit.cov).max() < 2.0          # nothing like 826 or 5989


def test_infinite_noise_never_counts_as_calm(monkeypatch, sphere_data_small):
    monkeypatch.setattr(fit_module, "_whitened_gradient", lambda *args: (0.0, np.inf))
    fit = land.fit_land(land.Sphere(), sphere_data_small.points, rng=np.random.default_rng(0),
                        n_iter=6)
    assert not fit.converged and fit.stop_reason == "iteration limit"


def test_too_few_effective_draws_grow_the_draws_then_stop_unconverged(monkeypatch, sphere_data_small):
    monkeypatch.setattr(fit_module, "MIN_EFFECTIVE_FRACTION", 1.01)   # never enough
    fit = land.fit_land(land.Sphere(), sphere_data_small.points, rng=np.random.default_rng(0),
                        n_samples=128)
    assert not fit.converged
    assert fit.stop_reason.startswith("too few effective draws")
    assert fit.history.n_draws.max() == fit_module.MAX_DRAW_GROWTH * 128


def test_log_constant_is_at_the_returned_parameters_and_integrates_to_one(sphere_data_small):
    fit = land.fit_land(land.Sphere(), sphere_data_small.points, rng=np.random.default_rng(2))
    assert fit.converged
    np.testing.assert_array_equal(fit.mean, fit.history.mean[-1])
    np.testing.assert_array_equal(fit.cov, fit.history.cov[-1])
    assert fit.log_constant == fit.history.log_constant[-1]
    exact = sphere_normalising_constant(fit.cov)
    # Standard error of a plain Monte Carlo estimate with as many draws (QMC does better).
    plain = land.normalising_constant(land.Sphere(), fit.mean, fit.cov, int(fit.history.n_draws[-1]),
                                      np.random.default_rng(5), frame=fit.frame)
    assert abs(np.exp(fit.log_constant) - exact) <= 3 * plain.std_error


def test_paper_algorithm_keeps_the_paper_derivative(arc):
    """algorithm="paper" on a learned manifold uses -I for dLog/dmu, as the report did."""
    manifold = land.LearnedManifold(land.LocalDiagonalMetric(arc, 0.3, 1e-2))
    fit = land.fit_land(manifold, arc, rng=np.random.default_rng(0), algorithm="paper", n_iter=2,
                        n_samples=64)
    paper = land.LearnedManifold(manifold.metric, mean_gradient="paper")
    again = land.fit_land(paper, arc, rng=np.random.default_rng(0), algorithm="paper", n_iter=2,
                          n_samples=64)
    np.testing.assert_array_equal(fit.mean, again.mean)
    assert manifold.mean_gradient == "exact"                   # the caller's object is untouched


def test_learned_fit_records_log_stages(arc):
    manifold = land.LearnedManifold(land.LocalDiagonalMetric(arc, 0.3, 1e-2))
    fit = land.fit_land(manifold, arc, rng=np.random.default_rng(0), n_iter=3, n_samples=128)
    later = fit.history.log_stages[1:]
    assert all("warm" in stages for stages in later)
    assert all(stages["warm"]["points"] == arc.shape[0] for stages in later)


def test_importance_sampled_constant_is_unbiased():
    """Draws from a shifted, wider proposal with importance ratios estimate the same C."""
    sphere = land.Sphere()
    cov = np.diag([0.3, 0.1])
    exact = sphere_normalising_constant(cov)
    normals = qmc_normals(4096, 2, np.random.default_rng(0))
    frame = sphere.frame(NORTH)
    proposal = (np.array([0.6, -0.3]), np.diag([1.5, 1.3]))      # whitened coordinates
    estimate = estimate_constant(sphere, NORTH, frame, cov, 4096, None, normals=normals,
                                 proposal=proposal)
    assert abs(estimate.value - exact) <= 3 * estimate.std_error
    assert estimate.std_error < 0.02 * exact
    np.testing.assert_allclose(estimate.tangent_coords.mean(axis=0),
                               np.sqrt(np.diag(cov)) * proposal[0], atol=0.03)


def test_learned_fit_refits_its_proposal_and_caps_failed_logs(sphere_data_small):
    """Few effective draws make the fit refit its proposal (more effective draws after), and
    no iterate fails on more Logs than the start plus the cap."""
    manifold = land.LearnedManifold(land.LocalDiagonalMetric(sphere_data_small.points, 0.2, 1e-3))
    fit = land.fit_land(manifold, sphere_data_small.points, rng=np.random.default_rng(0), n_iter=15)
    history = fit.history
    fraction = history.effective_draws / history.n_draws
    assert fraction[0] < fit_module.ADAPT_FRACTION and history.draw_set[-1] >= 1
    assert fraction[-1] > 2 * fraction[0]
    cap = history.n_failed_log[0] + max(1.0, fit_module.MAX_NEW_FAILURES * 200)
    assert np.all(history.n_failed_log <= cap)


@pytest.mark.parametrize("weights, match", [
    (np.ones(3), "shape"), (-np.ones(200), ">= 0"), (np.zeros(200), "positive sum"),
    (np.full(200, np.nan), "finite"), ("heavy", "numeric"),
])
def test_bad_sample_weight_is_refused_naming_it(sphere_data_small, weights, match):
    with pytest.raises((TypeError, ValueError), match=rf"^sample_weight\b.*{match}"):
        land.fit_land(land.Sphere(), sphere_data_small.points, rng=np.random.default_rng(0), n_iter=1,
                      n_samples=64, sample_weight=weights)


def test_weighted_fit_equals_the_fit_of_repeated_points(sphere_data_small):
    """Integer weights are repeated points: same draws, same objective, same fit."""
    x = sphere_data_small.points[:40]
    weights = np.where(np.arange(40) < 20, 2.0, 1.0)
    repeated = np.concatenate([x[:20], x])
    kw = dict(n_iter=5, n_samples=128, init_mean=x[0])
    weighted = land.fit_land(land.Sphere(), x, rng=np.random.default_rng(3), sample_weight=weights, **kw)
    plain = land.fit_land(land.Sphere(), repeated, rng=np.random.default_rng(3), **kw)
    np.testing.assert_allclose(weighted.history.objective, plain.history.objective, rtol=1e-10)
    np.testing.assert_allclose(weighted.mean, plain.mean, atol=1e-10)
    np.testing.assert_allclose(weighted.cov, plain.cov, rtol=1e-8)


def test_an_init_cov_too_large_for_the_sphere_is_refused_naming_it(sphere_data_small):
    with pytest.raises(ValueError, match=r"^init_cov\b.*smaller init_cov"):
        land.fit_land(land.Sphere(), sphere_data_small.points, rng=np.random.default_rng(0),
                      n_iter=1, n_samples=64, init_cov=1e4 * np.eye(2))
