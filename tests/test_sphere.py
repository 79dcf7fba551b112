"""Closed-form sphere geometry: identities, stability, and agreement with pymanopt."""

import numpy as np
import pytest
from pymanopt.manifolds import Sphere as PymanoptSphere


ATOL = 1e-12


def random_tangent(sphere, base, rng, n, max_norm):
    """Tangent vectors at ``base`` with norms uniform in [0, max_norm)."""
    coords = rng.standard_normal((n, 2))
    coords *= (rng.random(n) * max_norm / np.linalg.norm(coords, axis=1))[:, None]
    return coords @ sphere.tangent_basis(base).T


def test_exp_after_log_returns_point(sphere, rng):
    base = sphere.random_point(rng)
    points = sphere.random_point(rng, 500)
    np.testing.assert_allclose(sphere.exp(base, sphere.log(base, points)), points, atol=1e-12)


def test_log_after_exp_returns_vector_inside_injectivity_radius(sphere, rng):
    base = sphere.random_point(rng)
    vecs = random_tangent(sphere, base, rng, 500, np.pi - 1e-3)
    np.testing.assert_allclose(sphere.log(base, sphere.exp(base, vecs)), vecs, atol=1e-9)


def test_exp_stays_on_sphere_and_log_is_tangent(sphere, rng):
    base = sphere.random_point(rng)
    vecs = random_tangent(sphere, base, rng, 300, 10.0)  # wraps around several times
    np.testing.assert_allclose(np.linalg.norm(sphere.exp(base, vecs), axis=1), 1.0, atol=ATOL)
    logs = sphere.log(base, sphere.random_point(rng, 300))
    np.testing.assert_allclose(logs @ base, 0.0, atol=ATOL)
    assert np.all(np.linalg.norm(logs, axis=1) < np.pi)


def test_single_and_batched_calls_agree(sphere, rng):
    base = sphere.random_point(rng)
    points = sphere.random_point(rng, 5)
    batched = sphere.log(base, points)
    for point, vec in zip(points, batched):
        np.testing.assert_array_equal(sphere.log(base, point), vec)


def test_agrees_with_pymanopt(sphere, rng):
    reference = PymanoptSphere(3)
    base = sphere.random_point(rng)
    for point in sphere.random_point(rng, 50):
        np.testing.assert_allclose(sphere.log(base, point), reference.log(base, point), atol=1e-7)
        np.testing.assert_allclose(sphere.dist(base, point), reference.dist(base, point), atol=1e-7)
    for vec in random_tangent(sphere, base, rng, 50, 3.0):
        np.testing.assert_allclose(sphere.exp(base, vec), reference.exp(base, vec), atol=1e-12)


def test_log_keeps_precision_for_nearby_points(sphere):
    base = np.array([0.0, 0.0, 1.0])
    angle = 1e-9
    point = np.array([np.sin(angle), 0.0, np.cos(angle)])
    # arccos(cos 1e-9) = 0 in double precision; the arctan2 form keeps the angle.
    np.testing.assert_allclose(sphere.log(base, point), [angle, 0.0, 0.0], rtol=1e-12)
    np.testing.assert_allclose(sphere.dist(base, point), angle, rtol=1e-12)


def test_log_raises_for_antipodal_point(sphere):
    base = np.array([0.0, 1.0, 0.0])
    with pytest.raises(ValueError, match="antipodal"):
        sphere.log(base, -base)


def test_tangent_basis_is_orthonormal_tangent_and_right_handed(sphere, rng):
    for base in np.vstack([np.eye(3), -np.eye(3), sphere.random_point(rng, 20)]):
        frame = sphere.tangent_basis(base)
        assert frame.shape == (3, 2)
        np.testing.assert_allclose(frame.T @ frame, np.eye(2), atol=ATOL)
        np.testing.assert_allclose(frame.T @ base, 0.0, atol=ATOL)
        np.testing.assert_allclose(np.cross(frame[:, 0], frame[:, 1]), base, atol=ATOL)


def test_parallel_transport_carries_geodesic_velocity_and_keeps_inner_products(sphere, rng):
    base = sphere.random_point(rng)
    vec = random_tangent(sphere, base, rng, 1, 2.5)[0]
    end = sphere.exp(base, vec)
    # A geodesic's velocity is parallel along it: it must arrive as the end velocity.
    eps = 1e-6
    velocity_end = (sphere.exp(base, (1 + eps) * vec) - sphere.exp(base, (1 - eps) * vec)) / (2 * eps)
    np.testing.assert_allclose(sphere.parallel_transport(base, vec, vec), velocity_end, atol=1e-8)
    others = random_tangent(sphere, base, rng, 4, 1.0)
    moved = sphere.parallel_transport(base, vec, others)
    np.testing.assert_allclose(moved @ end, 0.0, atol=ATOL)
    np.testing.assert_allclose(moved @ moved.T, others @ others.T, atol=ATOL)


def test_volume_density_is_sin_r_over_r_and_zero_past_pi(sphere):
    radius = np.array([0.0, 0.5, 2.0, np.pi - 1e-9, np.pi, 4.0])
    coords = np.column_stack([radius * np.cos(0.3), radius * np.sin(0.3)])
    expected = np.where(radius < np.pi, np.sinc(radius / np.pi), 0.0)
    np.testing.assert_allclose(sphere.volume_density(coords), expected, atol=1e-15)


def test_log_jacobian_matches_finite_differences(sphere, rng):
    """d/dxi of the frame coordinates of Log_mu(x), with the frame parallel transported."""
    base = sphere.random_point(rng)
    frame = sphere.frame(base)
    points = sphere.exp(base, random_tangent(sphere, base, rng, 6, 2.5))
    coords = sphere.coordinates(base, frame, sphere.log(base, points))
    jacobian = sphere.log_jacobian(base, frame, coords)
    step = 1e-6
    for k in range(2):
        shifts = []
        for sign in (1, -1):
            move = sign * step * frame[:, k]
            moved_base = sphere.exp(base, move)
            moved_frame = sphere.transport_frame(base, move, frame)
            shifts.append(sphere.coordinates(moved_base, moved_frame, sphere.log(moved_base, points)))
        np.testing.assert_allclose((shifts[0] - shifts[1]) / (2 * step), jacobian[:, :, k], atol=1e-7)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda s: s.exp([0, 0, 2.0], [0.1, 0, 0]), "base_point: expected points on the unit sphere"),
        (lambda s: s.log([0, 0, 1.0], [[1.0, 0, 0], [0.5, 0.5, 0]]), "points: expected points on the unit sphere"),
        (lambda s: s.log([0, 0, 1.0], [np.nan, 0, 1.0]), "points: expected finite values"),
        (lambda s: s.exp([0, 0, 1.0], [0.1, np.inf, 0]), "tangent_vecs: expected finite values"),
        (lambda s: s.log([0, 0, 1.0], [[1.0, 0.0]]), r"points: expected shape \(3,\) or \(n, 3\)"),
        (lambda s: s.log([0, 0, 1.0], np.empty((0, 3))), "points: expected at least one point"),
        (lambda s: s.exp([0, 0, 1.0], [0.1, 0, 0.5]), "tangent_vecs: expected vectors tangent"),
    ],
)
def test_bad_input_raises_value_error_naming_argument(sphere, call, message):
    with pytest.raises(ValueError, match=message):
        call(sphere)


def test_random_point_requires_a_generator(sphere):
    with pytest.raises(TypeError, match="rng: expected a numpy.random.Generator"):
        sphere.random_point(0)
