"""The batched Runge-Kutta integrator behind the learned manifold's Exp."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from land.geometry._dopri import METHODS, integrate_batch


def oscillators(state):
    """Independent harmonic oscillators x'' = -omega^2 x, omega stored as a constant state."""
    x, v, omega = state[:, 0], state[:, 1], state[:, 2]
    return np.stack([v, -omega**2 * x, np.zeros_like(omega)], axis=1)


@pytest.mark.parametrize("method", sorted(METHODS))
def test_each_trajectory_meets_its_tolerance(method, rng):
    omega = rng.uniform(0.5, 8.0, 50)
    start = np.stack([np.ones(50), np.zeros(50), omega], axis=1)
    end, success, _ = integrate_batch(oscillators, start, rtol=1e-8, atol=1e-10, method=method)
    assert success.all()
    exact = np.stack([np.cos(omega), -omega * np.sin(omega)], axis=1)
    error = np.abs(end[:, :2] - exact) / (1.0 + omega[:, None])
    # Global error stays within a small multiple of the local tolerance.
    assert error.max() < 1e-6
    assert np.median(error) < 1e-7


@pytest.mark.parametrize("method", sorted(METHODS))
def test_matches_scipy_with_the_same_pair(method, rng):
    """Same pair, same error norm and step rule: same accuracy class as scipy's solver."""
    omega = rng.uniform(0.5, 8.0, 20)
    start = np.stack([np.ones(20), np.zeros(20), omega], axis=1)
    end, success, _ = integrate_batch(oscillators, start, rtol=1e-6, atol=1e-9, method=method)
    assert success.all()
    for row, state in zip(end, start):
        ref = solve_ivp(lambda _, y: oscillators(y[None, :])[0], (0.0, 1.0), state,
                        method=method, rtol=1e-6, atol=1e-9).y[:, -1]
        exact = np.array([np.cos(state[2]), -state[2] * np.sin(state[2])])
        # Ours is within a factor of a few of scipy's own error (both far below 1e-3).
        ours, theirs = np.abs(row[:2] - exact).max(), np.abs(ref[:2] - exact).max()
        assert ours < max(5 * theirs, 1e-9)


def test_diverging_trajectory_is_reported_failed_and_others_finish():
    def blow_up(state):
        # y' = y^2 reaches infinity at t = 1 / y0: y0 = 2 blows up before t = 1.
        return state**2

    start = np.array([[0.5], [2.0]])
    end, success, _ = integrate_batch(blow_up, start, rtol=1e-8, atol=1e-10, max_steps=500)
    assert success.tolist() == [True, False]
    np.testing.assert_allclose(end[0, 0], 1.0, rtol=1e-6)  # y = y0 / (1 - y0 t) = 1 at t = 1


def test_unknown_method_is_rejected():
    with pytest.raises(ValueError, match="method"):
        integrate_batch(oscillators, np.ones((1, 3)), rtol=1e-6, atol=1e-9, method="Euler")


# ------------------------------------------- the compiled integrator against this reference
def _reference_geodesic_rhs(metric):
    """``(x, v)' = (v, a)`` of a diagonal metric, from the numpy reference metric only.

    ``a_d = (sum_k J_kd v_k^2 / 2 - v_d sum_j J_dj v_j) / m_d`` with ``J = dm/dx``: written
    out here, independent of the compiled kernels and of ``LearnedManifold``.
    """
    def rhs(state):
        dim = state.shape[1] // 2
        x, v = state[:, :dim], state[:, dim:]
        m, jac = metric.reference_metric_and_jacobian(x)
        acc = (0.5 * np.einsum("nkd,nk->nd", jac, v**2) - v * np.einsum("ndj,nj->nd", jac, v)) / m
        return np.concatenate([v, acc], axis=1)

    return rhs


@pytest.mark.parametrize("kernel_width, rho", [(0.3, 1e-2), (0.15, 1e-3)])
def test_compiled_exp_matches_the_numpy_reference(kernel_width, rho):
    """The compiled DOP853 (``land.numerics``) and ``_dopri`` on the same metric and starts.

    At ``rtol = 1e-10`` both end points are within a few 1e-10 of the exact geodesic, so they
    agree to 1e-8 relative to the length of the step (the metric is the compiled one in one
    and the numpy reference in the other, which agree to about 1e-13).
    """
    import land

    rng = np.random.default_rng(3)
    data = land.data.datasets.noisy_arc(100, rng, noise=0.05)
    metric = land.LocalDiagonalMetric(data, kernel_width=kernel_width, rho=rho)
    manifold = land.LearnedManifold(metric, rtol=1e-10, atol=1e-12)
    base = data[7]
    vecs = 0.3 * rng.standard_normal((12, 2))
    compiled = manifold.solve_exp(base, vecs)
    start = np.concatenate([np.broadcast_to(base, vecs.shape), vecs], axis=1)
    end, success, _ = integrate_batch(_reference_geodesic_rhs(metric), start, rtol=1e-10,
                                      atol=1e-12, method="DOP853", max_steps=20000)
    assert compiled.converged.all() and success.all()
    step = np.linalg.norm(compiled.value - base, axis=1)
    assert np.all(step > 1e-3)     # the geodesics go somewhere
    gap = np.linalg.norm(compiled.value - end[:, :2], axis=1)
    assert np.all(gap <= 1e-8 * step), gap / step
    # ... and the metric bends them: a straight line would miss by far more.
    assert np.max(np.linalg.norm(base + vecs - end[:, :2], axis=1) / step) > 0.1
