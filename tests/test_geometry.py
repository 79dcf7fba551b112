"""One set of property tests, run against every geometry that implements ``land.Geometry``.

Each geometry comes with base points and tangent vectors inside the region
where its Exp is one-to-one (shorter than the sphere's injectivity radius;
within the data for a learned metric). The properties:

* Log after Exp returns the tangent vector, Exp after Log returns the point;
* Exp of the zero vector is the base point, and the distance is the length of Log;
* the frame is orthonormal in the metric (and tangent, on the sphere);
* coordinates in the frame preserve the metric's inner product;
* parallel transport of the frame gives an orthonormal frame at the end point,
  and transporting forward and back returns the frame;
* a batch of one agrees with the unbatched call.
"""

from __future__ import annotations

import numpy as np
import pytest

import land
from land.data import datasets


def _sphere_case():
    rng = np.random.default_rng(11)
    sphere = land.Sphere()
    base = np.array([0.3, -0.2, 0.9])
    base /= np.linalg.norm(base)
    coords = rng.uniform(-1.2, 1.2, (6, 2))
    return sphere, base, coords @ sphere.frame(base).T, 1e-10


def _learned_case():
    rng = np.random.default_rng(12)
    data = datasets.noisy_arc(300, rng, noise=0.05)
    manifold = land.LearnedManifold(land.LocalDiagonalMetric(data, kernel_width=0.2, rho=1e-2))
    base = data[np.argmin(np.abs(np.arctan2(data[:, 1], data[:, 0]) - np.pi / 2))]
    # Short geodesics along the data, where shooting is well posed: 0.05-0.3 in metric length.
    frame = manifold.frame(base)
    coords = np.c_[rng.uniform(-0.3, 0.3, 6), rng.uniform(-0.05, 0.05, 6)]
    return manifold, base, coords @ frame.T, 1e-6


def _flat_case():
    manifold = land.LearnedManifold(land.GlobalDiagonalMetric([1.0, 4.0, 0.25]))
    rng = np.random.default_rng(13)
    return manifold, np.array([0.5, -1.0, 2.0]), rng.standard_normal((6, 3)), 1e-6


CASES = {"sphere": _sphere_case, "learned": _learned_case, "flat": _flat_case}


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
    return CASES[request.param]()


def _inner(manifold, base, u, v):
    """Metric inner product at ``base``, through coordinates in the (orthonormal) frame."""
    frame = manifold.frame(base)
    return manifold.coordinates(base, frame, u) @ manifold.coordinates(base, frame, v).T


def test_implements_the_protocol(case):
    manifold = case[0]
    assert isinstance(manifold, land.Geometry)
    assert land.check_geometry(manifold) is manifold


def test_log_after_exp(case):
    manifold, base, vecs, tol = case
    points = manifold.exp(base, vecs)
    back = manifold.log(base, points)
    scale = np.max(np.linalg.norm(vecs, axis=1))
    np.testing.assert_allclose(back, vecs, atol=100 * tol * scale)


def test_exp_after_log(case):
    manifold, base, vecs, tol = case
    points = manifold.exp(base, vecs)
    again = manifold.exp(base, manifold.log(base, points))
    np.testing.assert_allclose(again, points, atol=100 * tol)


def test_exp_of_zero_and_distance(case):
    manifold, base, vecs, tol = case
    np.testing.assert_allclose(manifold.exp(base, np.zeros_like(base)), base, atol=tol)
    points = manifold.exp(base, vecs)
    lengths = np.sqrt(np.diag(_inner(manifold, base, vecs, vecs)))
    np.testing.assert_allclose(manifold.dist(base, points), lengths, rtol=100 * tol, atol=tol)


def test_frame_is_orthonormal_and_tangent(case):
    manifold, base, _, _ = case
    frame = manifold.frame(base)
    assert frame.shape == (manifold.ambient_dim, manifold.dim)
    gram = manifold.coordinates(base, frame, frame.T)
    np.testing.assert_allclose(gram, np.eye(manifold.dim), atol=1e-12)
    if manifold.ambient_dim > manifold.dim:
        np.testing.assert_allclose(base @ frame, 0.0, atol=1e-12)


def test_coordinates_preserve_lengths(case):
    manifold, base, vecs, _ = case
    frame = manifold.frame(base)
    coords = manifold.coordinates(base, frame, vecs)
    # Written back in the frame, the coordinates give the same vectors.
    np.testing.assert_allclose(coords @ frame.T, vecs, atol=1e-12)


def test_transport_is_an_isometry_and_reversible(case):
    manifold, base, vecs, tol = case
    frame = manifold.frame(base)
    vec = vecs[0]
    end = manifold.exp(base, vec)
    moved = manifold.transport_frame(base, vec, frame)
    # Orthonormal at the end point, in its metric.
    gram = manifold.coordinates(end, moved, moved.T)
    np.testing.assert_allclose(gram, np.eye(manifold.dim), atol=1e-9)
    # The geodesic's velocity is transported to itself: back along -velocity returns the frame.
    velocity_end = -manifold.log(end, base)
    back = manifold.transport_frame(end, -velocity_end, moved)
    np.testing.assert_allclose(back, frame, atol=10 * tol)


def test_single_and_batch_agree(case):
    manifold, base, vecs, tol = case
    single = manifold.exp(base, vecs[0])
    batch = manifold.exp(base, vecs[:1])
    assert single.shape == (manifold.ambient_dim,) and batch.shape == (1, manifold.ambient_dim)
    np.testing.assert_allclose(single, batch[0], atol=tol)


def test_volume_density_at_the_base_point_is_one(case):
    manifold, base, _, _ = case
    result = manifold.solve_volume_density(base, manifold.frame(base), np.zeros((1, manifold.dim)))
    np.testing.assert_allclose(result.value, 1.0, atol=1e-12)
    assert result.converged.all()
