"""The LAND diagonal metric and its analytic Jacobian."""

import numpy as np
import pytest

import land


@pytest.fixture(scope="module")
def metric(sphere_data_small):
    return land.LocalDiagonalMetric(sphere_data_small.points, kernel_width=0.3, rho=1e-2)


def test_diagonal_matches_definition(metric, rng):
    query = rng.standard_normal(3)
    weights = np.exp(-np.sum((metric.data - query) ** 2, axis=1) / (2 * 0.3**2))
    diff = metric.data - query
    expected = 1.0 / (weights @ diff**2 + 1e-2)
    np.testing.assert_allclose(metric.metric_diagonal(query), expected, rtol=1e-12)
    # The Jacobian from the direct sums (no moment expansion), dM_d/dx_j = -M_d^2 ds_d/dx_j.
    d_var = np.einsum("n,nd,nj->dj", weights, diff**2, diff) / 0.3**2 - 2 * np.diag(weights @ diff)
    np.testing.assert_allclose(metric.metric_jacobian(query), -(expected**2)[:, None] * d_var,
                               rtol=1e-10, atol=1e-10 * np.abs(d_var).max() * expected.max() ** 2)


def test_jacobian_matches_central_differences(metric, rng):
    queries = np.vstack([metric.data[:5] + 0.05 * rng.standard_normal((5, 3)),
                         0.8 * rng.standard_normal((5, 3))])
    jacobian = metric.metric_jacobian(queries)
    step = 1e-6
    for j in range(3):
        shift = np.zeros(3)
        shift[j] = step
        numeric = (metric.metric_diagonal(queries + shift) - metric.metric_diagonal(queries - shift)) / (2 * step)
        error = np.linalg.norm(jacobian[:, :, j] - numeric, axis=1)
        scale = np.linalg.norm(jacobian, axis=(1, 2))
        assert np.all(error < 1e-6 * scale), error / scale


def test_batch_and_chunking_agree_with_single_points(metric, rng, monkeypatch):
    queries = rng.standard_normal((7, 3))
    full_diag, full_jac = metric.metric_and_jacobian(queries)
    monkeypatch.setattr(land.geometry.metric, "_CHUNK_ELEMENTS", 1)  # one query per chunk
    chunked_diag, chunked_jac = metric.metric_and_jacobian(queries)
    # Different batch sizes take different BLAS paths: equal to rounding, not bit for bit.
    np.testing.assert_allclose(chunked_diag, full_diag, rtol=1e-12)
    np.testing.assert_allclose(chunked_jac, full_jac, rtol=1e-12, atol=1e-12 * np.abs(full_jac).max())
    np.testing.assert_allclose(metric.metric_diagonal(queries[3]), full_diag[3], rtol=1e-12)


def test_metric_is_bounded_by_one_over_rho(metric):
    far = np.array([[50.0, 0.0, 0.0], [0.0, -40.0, 3.0]])
    np.testing.assert_allclose(metric.metric_diagonal(far), 1.0 / 1e-2, rtol=1e-12)
    assert np.all(metric.metric_diagonal(metric.data) < 1.0 / 1e-2)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(kernel_width=0.0), ValueError, "kernel_width: expected a finite number > 0"),
        (dict(kernel_width=-1.0), ValueError, "kernel_width: expected a finite number > 0"),
        (dict(rho=0.0), ValueError, "rho: expected a finite number > 0"),
        (dict(rho=np.inf), ValueError, "rho: expected a finite number > 0"),
        (dict(rho="small"), TypeError, "rho: expected a positive real number"),
        (dict(data=np.empty((0, 3))), ValueError, "data: expected a non-empty array"),
        (dict(data=np.ones(3)), ValueError, r"data: expected a non-empty array of shape \(N, D\)"),
        (dict(data=[[0.0, np.nan, 1.0]]), ValueError, "data: expected finite values"),
    ],
)
def test_bad_input(kwargs, error, message):
    args = dict(data=np.eye(3), kernel_width=0.2, rho=1e-3) | kwargs
    with pytest.raises(error, match=message):
        land.LocalDiagonalMetric(**args)


def test_query_points_are_checked(metric):
    with pytest.raises(ValueError, match=r"points: expected shape \(3,\) or \(n, 3\)"):
        metric.metric_diagonal(np.ones((4, 2)))
