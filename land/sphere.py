"""The unit 2-sphere in R^3 with closed-form geometry.

Conventions follow pymanopt: the base point always comes first, as in
``exp(base_point, tangent_vec)`` and ``log(base_point, point)``, and the
identity ``exp(x, log(x, y)) == y`` holds for every ``y`` that is not
antipodal to ``x``.
"""

from __future__ import annotations

import numpy as np

from land._validation import as_float_array, check_generator, check_points
from land.geodesic import GeodesicResult

__all__ = ["Sphere"]

# Points must have unit norm to this tolerance to count as on the sphere.
_ON_SPHERE_ATOL = 1e-6
# Log is undefined at the antipode and ill-conditioned next to it; within this
# angular distance of pi we refuse rather than return a meaningless direction.
_ANTIPODAL_ATOL = 1e-7


def _sinc(theta: np.ndarray) -> np.ndarray:
    """sin(theta) / theta, equal to 1 at 0."""
    return np.sinc(theta / np.pi)


class Sphere:
    """The unit sphere S^2 embedded in R^3.

    Attributes
    ----------
    dim : int
        Intrinsic dimension (2): tangent coordinates and covariances are 2-D.
    ambient_dim : int
        Dimension of the embedding space (3): points and tangent vectors.
    injectivity_radius : float
        pi: Exp is one-to-one on tangent vectors shorter than this.
    """

    dim = 2
    ambient_dim = 3
    injectivity_radius = np.pi

    def __repr__(self) -> str:
        return "Sphere()"

    # ------------------------------------------------------------------ checks
    def check_points(self, points, name: str = "points") -> np.ndarray:
        """Return ``points`` as an array of unit vectors, shape ``(3,)`` or ``(n, 3)``.

        Raises ``ValueError`` naming ``name`` for NaN/inf, a wrong shape, or a
        point whose norm differs from 1 by more than 1e-6.
        """
        array = check_points(points, name, 3)
        norms = np.linalg.norm(array, axis=-1)
        off = np.abs(norms - 1.0) > _ON_SPHERE_ATOL
        if np.any(off):
            worst = float(np.max(np.abs(norms - 1.0)))
            raise ValueError(
                f"{name}: expected points on the unit sphere (norm 1 within {_ON_SPHERE_ATOL}), "
                f"found {int(np.count_nonzero(off))} off it (largest |norm - 1| = {worst:.3g})"
            )
        return array / norms[..., None]

    def check_tangent(self, base_point, tangent_vecs, name: str = "tangent_vecs") -> np.ndarray:
        """Return ``tangent_vecs`` projected onto the tangent plane at ``base_point``.

        Raises ``ValueError`` if a vector has a normal component larger than
        1e-6 (relative to its length), i.e. if it is not tangent.
        """
        vecs = check_points(tangent_vecs, name, 3)
        normal = vecs @ base_point
        scale = np.maximum(1.0, np.linalg.norm(vecs, axis=-1))
        if np.any(np.abs(normal) > _ON_SPHERE_ATOL * scale):
            raise ValueError(f"{name}: expected vectors tangent at base_point (orthogonal to it)")
        return vecs - normal[..., None] * base_point

    # ---------------------------------------------------------------- geometry
    def exp(self, base_point, tangent_vecs) -> np.ndarray:
        """Exponential map: follow the great circle from ``base_point``.

        Parameters
        ----------
        base_point : array-like, shape=[3]
        tangent_vecs : array-like, shape=[3] or [n, 3]
            Tangent at ``base_point``.

        Returns
        -------
        points : ndarray, shape like ``tangent_vecs``
            ``cos|v| x + sin|v| v / |v|``, renormalised to unit length.
        """
        base_point = self.check_points(base_point, "base_point")
        vecs = self.check_tangent(base_point, tangent_vecs)
        theta = np.linalg.norm(vecs, axis=-1)[..., None]
        points = np.cos(theta) * base_point + _sinc(theta) * vecs
        return points / np.linalg.norm(points, axis=-1, keepdims=True)

    def log(self, base_point, points) -> np.ndarray:
        """Logarithm map, the inverse of :meth:`exp` on the open ball of radius pi.

        Uses the angle ``arctan2(|x - (x.p)p|, x.p)``, which keeps full
        precision for nearby points (``arccos`` of the dot product loses half
        the digits there).

        Raises
        ------
        ValueError
            If a point is antipodal to ``base_point`` (Log is undefined there).
        """
        base_point = self.check_points(base_point, "base_point")
        points = self.check_points(points, "points")
        cos_theta = points @ base_point
        normal_part = points - cos_theta[..., None] * base_point
        sin_theta = np.linalg.norm(normal_part, axis=-1)
        theta = np.arctan2(sin_theta, cos_theta)
        if np.any(theta > np.pi - _ANTIPODAL_ATOL):
            raise ValueError(
                "points: a point is antipodal to base_point, where Log is undefined "
                "(every great circle through base_point reaches it)"
            )
        scale = np.where(sin_theta > 0, theta / np.where(sin_theta > 0, sin_theta, 1.0), 1.0)
        return scale[..., None] * normal_part

    def solve_exp(self, base_point, tangent_vecs) -> GeodesicResult:
        """:meth:`exp` wrapped in a :class:`GeodesicResult` (always converged)."""
        points = self.exp(base_point, tangent_vecs)
        shape = points.shape[:-1]
        return GeodesicResult(points, np.ones(shape, bool), np.zeros(shape))

    def solve_log(self, base_point, points, *, initial_velocities=None) -> GeodesicResult:
        """:meth:`log` wrapped in a :class:`GeodesicResult` (always converged).

        ``initial_velocities`` is accepted for interface parity with
        :class:`~land.LearnedManifold` and ignored (the closed form needs no start).
        """
        vecs = self.log(base_point, points)
        shape = vecs.shape[:-1]
        return GeodesicResult(vecs, np.ones(shape, bool), np.zeros(shape))

    def dist(self, point_a, point_b) -> np.ndarray:
        """Great-circle distance, ``arctan2(|a x b|, a.b)``, broadcasting over batches."""
        point_a = self.check_points(point_a, "point_a")
        point_b = self.check_points(point_b, "point_b")
        cross = np.linalg.norm(np.cross(point_a, point_b), axis=-1)
        return np.arctan2(cross, np.sum(point_a * point_b, axis=-1))

    def tangent_basis(self, base_point) -> np.ndarray:
        """An orthonormal frame of the tangent plane by Gram-Schmidt.

        As in the report, the standard basis vectors are orthogonalised
        against ``base_point``; we start from the two least aligned with it
        so the frame is well conditioned everywhere, and orient it so that
        ``e1 x e2 = base_point``.

        Returns
        -------
        frame : ndarray, shape=[3, 2]
            Columns ``e1, e2`` with ``frame.T @ frame = I`` and
            ``frame.T @ base_point = 0``.
        """
        base_point = self.check_points(base_point, "base_point")
        if base_point.ndim != 1:
            raise ValueError(f"base_point: expected shape (3,), got {base_point.shape}")
        order = np.argsort(np.abs(base_point))
        columns = []
        for axis in order[:2]:
            vec = np.eye(3)[axis] - base_point[axis] * base_point
            for done in columns:
                vec -= (done @ vec) * done
            columns.append(vec / np.linalg.norm(vec))
        if np.cross(columns[0], columns[1]) @ base_point < 0:
            columns[1] = -columns[1]
        return np.column_stack(columns)

    def frame(self, base_point) -> np.ndarray:
        """The orthonormal tangent frame the LAND model works in (see :meth:`tangent_basis`)."""
        return self.tangent_basis(base_point)

    def coordinates(self, base_point, frame, tangent_vecs) -> np.ndarray:
        """Coordinates of tangent vectors in an orthonormal ``frame``: ``v @ frame``."""
        return np.asarray(tangent_vecs) @ frame

    def parallel_transport(self, base_point, tangent_vec, vectors) -> np.ndarray:
        """Parallel transport along the geodesic ``t -> exp(base_point, t tangent_vec)``, t in [0, 1].

        Parameters
        ----------
        base_point : array-like, shape=[3]
        tangent_vec : array-like, shape=[3]
            Direction and length of the geodesic.
        vectors : array-like, shape=[3] or [k, 3]
            Tangent vectors at ``base_point`` to transport.

        Returns
        -------
        ndarray, shape like ``vectors``
            Tangent vectors at ``exp(base_point, tangent_vec)`` with the same
            inner products among themselves as before.
        """
        base_point = self.check_points(base_point, "base_point")
        tangent_vec = self.check_tangent(base_point, tangent_vec, "tangent_vec")
        vectors = self.check_tangent(base_point, vectors, "vectors")
        theta = np.linalg.norm(tangent_vec)
        if theta == 0.0:
            return vectors.copy()
        direction = tangent_vec / theta
        along = vectors @ direction
        return (
            vectors
            + (np.cos(theta) - 1.0) * along[..., None] * direction
            - np.sin(theta) * along[..., None] * base_point
        )

    def transport_frame(self, base_point, tangent_vec, frame) -> np.ndarray:
        """Carry a frame ``(3, k)`` to ``exp(base_point, tangent_vec)`` by parallel transport."""
        return self.parallel_transport(base_point, tangent_vec, np.asarray(frame).T).T

    # ------------------------------------------------------------ the density
    def volume_density(self, tangent_coords) -> np.ndarray:
        """Riemannian volume density of normal coordinates, ``sin r / r``.

        The area of the sphere near ``exp(base, v)`` is ``sin|v|/|v|`` times
        the area near ``v`` in the tangent plane. Outside the injectivity
        radius (``|v| >= pi``) the density is set to 0 so that integrals over
        the tangent plane cover the sphere exactly once.

        Parameters
        ----------
        tangent_coords : array-like, shape=[..., 2]
            Coordinates in an orthonormal frame (any frame: only the length
            matters).
        """
        coords = as_float_array(tangent_coords, "tangent_coords")
        radius = np.linalg.norm(coords, axis=-1)
        return np.where(radius < np.pi, _sinc(radius), 0.0)

    def solve_volume_density(self, base_point, frame, tangent_coords, *,
                             exp_jacobian: bool = True) -> GeodesicResult:
        """Model-facing form of :meth:`volume_density` (closed form, always converged).

        ``sin r / r`` already is the exact change of variables through Exp, so
        ``exp_jacobian`` (which selects it on a learned manifold) changes nothing here.
        """
        values = self.volume_density(tangent_coords)
        return GeodesicResult(values, np.ones(values.shape, bool), np.zeros(values.shape))

    def log_jacobian(self, base_point, frame, log_coords) -> np.ndarray:
        """Derivative of Log coordinates with respect to the base point.

        With the frame carried by parallel transport, moving the base point by
        ``xi`` (frame coordinates) changes the coordinates of ``Log_mu(x)`` by
        ``J xi`` with ``J = -H``, where ``H`` is the Riemannian Hessian of
        ``d(., x)^2 / 2``. On the unit sphere ``H`` has eigenvalue 1 along
        ``Log_mu(x)`` and ``r cot r`` across it (``r = d(mu, x)``).

        Parameters
        ----------
        log_coords : array-like, shape=[n, 2]

        Returns
        -------
        ndarray, shape=[n, 2, 2]
        """
        coords = np.atleast_2d(np.asarray(log_coords, dtype=float))
        radius = np.linalg.norm(coords, axis=-1)
        safe = np.where(radius > 0, radius, 1.0)
        unit = coords / safe[:, None]
        # r cot r = r cos r / sin r -> 1 as r -> 0; series below 1e-4 avoids 0/0.
        small = radius < 1e-4
        across = np.where(small, 1.0 - radius**2 / 3.0, safe * np.cos(safe) / np.sin(safe))
        outer = unit[:, :, None] * unit[:, None, :]
        eye = np.eye(self.dim)
        hessian = outer + across[:, None, None] * (eye - outer)
        return -hessian

    # ------------------------------------------------------------------ misc
    def random_point(self, rng: np.random.Generator, n: int | None = None) -> np.ndarray:
        """Uniformly distributed point(s) on the sphere, drawn with ``rng``."""
        rng = check_generator(rng)
        size = (3,) if n is None else (n, 3)
        points = rng.standard_normal(size)
        return points / np.linalg.norm(points, axis=-1, keepdims=True)

    def to_pymanopt(self):
        """The same manifold as a ``pymanopt.manifolds.Sphere`` (for its optimisers)."""
        from pymanopt.manifolds import Sphere as PymanoptSphere

        return PymanoptSphere(3)
