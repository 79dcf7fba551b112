"""The unit 2-sphere in R^3 with closed-form geometry.

Conventions follow pymanopt: the base point always comes first, as in
``exp(base_point, tangent_vec)`` and ``log(base_point, point)``, and the
identity ``exp(x, log(x, y)) == y`` holds for every ``y`` that is not
antipodal to ``x``.
"""

from __future__ import annotations

import numpy as np

from land._validation import (as_float_array, check_base_point, check_frame, check_generator, check_points,
                              check_positive_int)
from land.geometry.base import GeodesicResult

__all__ = ["Sphere"]

# Points must have unit norm to this tolerance to count as on the sphere.
_ON_SPHERE_ATOL = 1e-6
# Log is undefined at the antipode and ill-conditioned next to it; within this
# angular distance of pi we refuse rather than return a meaningless direction.
_ANTIPODAL_ATOL = 1e-7


def _sinc(theta: np.ndarray) -> np.ndarray:
    """sin(theta) / theta, equal to 1 at 0."""
    return np.sinc(theta / np.pi)


def _norm(vecs: np.ndarray) -> np.ndarray:
    """Euclidean norm over the last axis without overflow (|v| up to the largest float).

    ``np.linalg.norm`` squares the entries, so a vector of norm 1e200 gets
    norm inf and Exp then returns NaN; scaling by the largest entry first
    keeps every finite vector's norm finite.
    """
    scale = np.max(np.abs(vecs), axis=-1, keepdims=True)
    safe = np.where(scale > 0, scale, 1.0)
    return np.linalg.norm(vecs / safe, axis=-1) * scale[..., 0]


class Sphere:
    """The unit sphere S^2 embedded in R^3, with closed-form Exp, Log and transport.

    Points are unit vectors in R^3 and tangent vectors at ``x`` are vectors of
    R^3 orthogonal to ``x``; the model's coordinates are taken in the
    orthonormal frame of :meth:`frame`. The class holds no state, so one
    instance serves everywhere.

    Attributes
    ----------
    dim : int
        Intrinsic dimension (2): tangent coordinates and covariances are 2-D.
    ambient_dim : int
        Dimension of the embedding space (3): points and tangent vectors.
    injectivity_radius : float
        pi: Exp is one-to-one on tangent vectors shorter than this.

    Examples
    --------
    >>> import numpy as np
    >>> import land
    >>> sphere = land.Sphere()
    >>> north = np.array([0.0, 0.0, 1.0])
    >>> point = sphere.exp(north, [np.pi / 2, 0.0, 0.0])     # a quarter turn towards +x
    >>> np.round(point, 12)
    array([1., 0., 0.])
    >>> float(np.round(sphere.dist(north, point), 12))
    1.570796326795
    """

    dim = 2
    ambient_dim = 3
    injectivity_radius = np.pi

    def __repr__(self) -> str:
        return "Sphere()"

    # ------------------------------------------------------------------ checks
    def check_points(self, points, name: str = "points") -> np.ndarray:
        """Return ``points`` as unit vectors, shape ``(3,)`` or ``(n, 3)``.

        Points within 1e-6 of unit norm are accepted and renormalised exactly.

        Parameters
        ----------
        points : array-like, shape=[3] or [n, 3]
        name : str
            The argument's name, used in error messages.

        Returns
        -------
        ndarray, shape like ``points``

        Raises
        ------
        TypeError
            If ``points`` is not a real numeric array.
        ValueError
            For NaN/inf, a wrong shape, or a point whose norm differs from 1 by
            more than 1e-6.

        Examples
        --------
        >>> import land
        >>> land.Sphere().check_points([0.0, 0.6, 0.8])
        array([0. , 0.6, 0.8])
        >>> try:
        ...     land.Sphere().check_points([0.0, 0.0, 2.0], "mean")
        ... except ValueError as error:
        ...     print(str(error)[:48])
        mean: expected points on the unit sphere (norm 1
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

    def _check_base(self, base_point, name: str = "base_point") -> np.ndarray:
        return check_base_point(self, base_point, name)

    def _check_coords(self, tangent_coords, name: str = "tangent_coords") -> np.ndarray:
        coords = as_float_array(tangent_coords, name)
        if coords.ndim == 0 or coords.shape[-1] != self.dim:
            raise ValueError(f"{name}: expected coordinates of shape (..., {self.dim}), "
                             f"got {coords.shape}")
        return coords

    def check_tangent(self, base_point, tangent_vecs, name: str = "tangent_vecs") -> np.ndarray:
        """Return ``tangent_vecs`` projected exactly onto the tangent plane at ``base_point``.

        Parameters
        ----------
        base_point : ndarray, shape=[3]
            A point already checked by :meth:`check_points`.
        tangent_vecs : array-like, shape=[3] or [n, 3]
        name : str
            The argument's name, used in error messages.

        Returns
        -------
        ndarray, shape like ``tangent_vecs``

        Raises
        ------
        TypeError, ValueError
            For a non-numeric or non-finite array or a wrong shape; ``ValueError``
            also if a vector has a normal component larger than 1e-6 (relative to
            its length), i.e. if it is not tangent.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> land.Sphere().check_tangent(np.array([0.0, 0.0, 1.0]), [0.3, 0.0, 1e-9])
        array([0.3, 0. , 0. ])
        """
        vecs = check_points(tangent_vecs, name, 3)
        normal = np.sum(vecs * base_point, axis=-1)  # row by row: batching cannot change a bit
        scale = np.maximum(1.0, _norm(vecs))
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

        Raises
        ------
        TypeError, ValueError
            If ``base_point`` is not on the sphere or a vector is not tangent there.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> sphere = land.Sphere()
        >>> north = np.array([0.0, 0.0, 1.0])
        >>> np.round(sphere.exp(north, [[0.0, np.pi, 0.0], [0.0, 0.0, 0.0]]), 12) + 0.0
        array([[ 0.,  0., -1.],
               [ 0.,  0.,  1.]])
        """
        base_point = self._check_base(base_point)
        vecs = self.check_tangent(base_point, tangent_vecs)
        theta = _norm(vecs)[..., None]   # finite for every finite vector (see _norm)
        points = np.cos(theta) * base_point + _sinc(theta) * vecs
        return points / np.linalg.norm(points, axis=-1, keepdims=True)

    def log(self, base_point, points) -> np.ndarray:
        """Logarithm map, the inverse of :meth:`exp` on the open ball of radius pi.

        Uses the angle ``arctan2(|x - (x.p)p|, x.p)``, which keeps full
        precision for nearby points (``arccos`` of the dot product loses half
        the digits there).

        Parameters
        ----------
        base_point : array-like, shape=[3]
        points : array-like, shape=[3] or [n, 3]

        Returns
        -------
        ndarray, shape like ``points``
            Tangent vectors at ``base_point`` with ``exp(base_point, v) == point``.

        Raises
        ------
        TypeError, ValueError
            For points off the sphere; ``ValueError`` also if a point is antipodal
            to ``base_point`` (Log is undefined there).

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> sphere = land.Sphere()
        >>> north = np.array([0.0, 0.0, 1.0])
        >>> point = np.array([0.0, np.sin(0.5), np.cos(0.5)])
        >>> np.round(sphere.log(north, point), 12) + 0.0
        array([0. , 0.5, 0. ])
        >>> bool(np.allclose(sphere.exp(north, sphere.log(north, point)), point))
        True
        """
        base_point = self._check_base(base_point)
        vecs, theta = self._log_and_angle(base_point, self.check_points(points, "points"))
        if np.any(theta > np.pi - _ANTIPODAL_ATOL):
            raise ValueError(
                "points: a point is antipodal to base_point, where Log is undefined "
                "(every great circle through base_point reaches it)"
            )
        return vecs

    @staticmethod
    def _log_and_angle(base_point, points):
        """Log vectors and the angle to each point, for checked input, without the antipode test."""
        cos_theta = np.sum(points * base_point, axis=-1)  # row by row, as above
        normal_part = points - cos_theta[..., None] * base_point
        sin_theta = np.linalg.norm(normal_part, axis=-1)
        theta = np.arctan2(sin_theta, cos_theta)
        scale = np.where(sin_theta > 0, theta / np.where(sin_theta > 0, sin_theta, 1.0), 1.0)
        return scale[..., None] * normal_part, theta

    def solve_exp(self, base_point, tangent_vecs) -> GeodesicResult:
        """:meth:`exp` wrapped in a :class:`~land.GeodesicResult` (always converged).

        Parameters
        ----------
        base_point : array-like, shape=[3]
        tangent_vecs : array-like, shape=[3] or [n, 3]

        Returns
        -------
        GeodesicResult

        Raises
        ------
        TypeError, ValueError
            As :meth:`exp`.

        Examples
        --------
        >>> import land
        >>> result = land.Sphere().solve_exp([0.0, 0.0, 1.0], [[0.1, 0.0, 0.0]])
        >>> result.converged, result.n_failed
        (array([ True]), 0)
        """
        points = self.exp(base_point, tangent_vecs)
        shape = points.shape[:-1]
        return GeodesicResult(points, np.ones(shape, bool), np.zeros(shape))

    def solve_log(self, base_point, points, *, initial_velocities=None) -> GeodesicResult:
        """:meth:`log` as a :class:`~land.GeodesicResult`.

        Points antipodal to ``base_point``, where Log is undefined, are flagged
        as not converged (value zero, residual 2, the chord to the antipode)
        instead of raising, so that the model code can count and leave them out
        as it does for a failed numerical solve.

        Parameters
        ----------
        base_point : array-like, shape=[3]
        points : array-like, shape=[3] or [n, 3]
        initial_velocities : ignored
            Accepted for interface parity with :class:`~land.LearnedManifold`
            (the closed form needs no start).

        Returns
        -------
        GeodesicResult

        Raises
        ------
        TypeError, ValueError
            For points off the sphere, or a ``base_point`` that is not a single point.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> sphere, north = land.Sphere(), np.array([0.0, 0.0, 1.0])
        >>> result = sphere.solve_log(north, [[1.0, 0.0, 0.0], [0.0, 0.0, -1.0]])
        >>> result.converged                                  # the south pole is antipodal
        array([ True, False])
        >>> bool(np.allclose(sphere.exp(north, result.value[0]), [1.0, 0.0, 0.0]))
        True
        """
        base_point = self._check_base(base_point)
        vecs, theta = self._log_and_angle(base_point, self.check_points(points, "points"))
        ok = theta <= np.pi - _ANTIPODAL_ATOL
        return GeodesicResult(np.where(ok[..., None], vecs, 0.0), ok, np.where(ok, 0.0, 2.0))

    def dist(self, point_a, point_b) -> np.ndarray:
        """Great-circle distance ``arctan2(|a x b|, a.b)``, broadcasting over batches.

        Parameters
        ----------
        point_a, point_b : array-like, shape=[3] or [n, 3]

        Returns
        -------
        ndarray, shape=[] or [n]
            Angles in [0, pi].

        Raises
        ------
        TypeError, ValueError
            For points off the sphere, or batches of different sizes.

        Examples
        --------
        >>> import land
        >>> round(float(land.Sphere().dist([1.0, 0.0, 0.0], [0.0, 1.0, 0.0])), 12)
        1.570796326795
        """
        point_a = self.check_points(point_a, "point_a")
        point_b = self.check_points(point_b, "point_b")
        if (point_a.ndim == point_b.ndim == 2 and point_a.shape[0] != point_b.shape[0]
                and 1 not in (point_a.shape[0], point_b.shape[0])):
            raise ValueError(f"point_b: expected {point_a.shape[0]} points to pair with the "
                             f"{point_a.shape[0]} of point_a (or one point), got "
                             f"{point_b.shape[0]}")
        cross = np.linalg.norm(np.cross(point_a, point_b), axis=-1)
        return np.arctan2(cross, np.sum(point_a * point_b, axis=-1))

    def tangent_basis(self, base_point) -> np.ndarray:
        """An orthonormal frame of the tangent plane by Gram-Schmidt.

        As in the report, the standard basis vectors are orthogonalised
        against ``base_point``; we start from the two least aligned with it
        so the frame is well conditioned everywhere, and orient it so that
        ``e1 x e2 = base_point``.

        Parameters
        ----------
        base_point : array-like, shape=[3]

        Returns
        -------
        frame : ndarray, shape=[3, 2]
            Columns ``e1, e2`` with ``frame.T @ frame = I`` and
            ``frame.T @ base_point = 0``.

        Raises
        ------
        TypeError, ValueError
            If ``base_point`` is not a single point on the sphere.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> frame = land.Sphere().tangent_basis([0.0, 0.0, 1.0])
        >>> frame.shape, bool(np.allclose(frame.T @ frame, np.eye(2)))
        ((3, 2), True)
        """
        base_point = self._check_base(base_point)
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
        """The orthonormal tangent frame the LAND model works in (see :meth:`tangent_basis`).

        Parameters
        ----------
        base_point : array-like, shape=[3]

        Returns
        -------
        ndarray, shape=[3, 2]

        Raises
        ------
        TypeError, ValueError
            If ``base_point`` is not a single point on the sphere.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> point = np.array([0.6, 0.0, 0.8])
        >>> np.round(point @ land.Sphere().frame(point), 12) + 0.0
        array([0., 0.])
        """
        return self.tangent_basis(base_point)

    def coordinates(self, base_point, frame, tangent_vecs) -> np.ndarray:
        """Coordinates of tangent vectors in an orthonormal ``frame``: ``v @ frame``.

        Parameters
        ----------
        base_point : array-like, shape=[3]
        frame : array-like, shape=[3, 2]
            Orthonormal and tangent at ``base_point``.
        tangent_vecs : array-like, shape=[3] or [n, 3]

        Returns
        -------
        ndarray, shape=[2] or [n, 2]

        Raises
        ------
        TypeError, ValueError
            Unless ``frame`` is an orthonormal tangent frame at ``base_point`` and
            the vectors are tangent there.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> sphere = land.Sphere()
        >>> north = np.array([0.0, 0.0, 1.0])
        >>> frame = sphere.frame(north)
        >>> coords = sphere.coordinates(north, frame, [[0.3, -0.4, 0.0]])
        >>> float(np.round(np.linalg.norm(coords), 12))       # lengths are kept
        0.5
        """
        base_point = self._check_base(base_point)
        frame = check_frame(self, base_point, frame)
        return self.check_tangent(base_point, tangent_vecs) @ frame

    def _coords(self, base_point, frame, tangent_vecs) -> np.ndarray:
        """:meth:`coordinates` without checks (for :func:`~land._validation.check_frame`)."""
        return np.asarray(tangent_vecs) @ frame

    def parallel_transport(self, base_point, tangent_vec, vectors) -> np.ndarray:
        """Parallel transport along the geodesic ``t -> exp(base_point, t tangent_vec)``.

        The geodesic runs for ``0 <= t <= 1``. Lengths and angles are kept; a
        vector along ``tangent_vec`` stays along the geodesic's velocity.

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

        Raises
        ------
        TypeError, ValueError
            If ``base_point`` is off the sphere or a vector is not tangent at it.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> sphere = land.Sphere()
        >>> north = np.array([0.0, 0.0, 1.0])
        >>> quarter = [np.pi / 2, 0.0, 0.0]                    # north pole to (1, 0, 0)
        >>> moved = sphere.parallel_transport(north, quarter, [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
        >>> np.round(moved, 12) + 0.0                          # the velocity now points south
        array([[ 0.,  0., -1.],
               [ 0.,  1.,  0.]])
        """
        base_point = self._check_base(base_point)
        tangent_vec = self.check_tangent(base_point, tangent_vec, "tangent_vec")
        if tangent_vec.ndim != 1:
            raise ValueError(f"tangent_vec: expected one vector of shape (3,), got {tangent_vec.shape}")
        vectors = self.check_tangent(base_point, vectors, "vectors")
        theta = float(_norm(tangent_vec))
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
        """Carry a frame ``(3, 2)`` to ``exp(base_point, tangent_vec)`` by parallel transport.

        Parameters
        ----------
        base_point : array-like, shape=[3]
        tangent_vec : array-like, shape=[3]
        frame : array-like, shape=[3, 2]
            Orthonormal and tangent at ``base_point``.

        Returns
        -------
        ndarray, shape=[3, 2]
            Orthonormal and tangent at the end point.

        Raises
        ------
        TypeError, ValueError
            For a bad base point, more than one vector, or a frame that is not an
            orthonormal tangent frame at ``base_point``.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> sphere = land.Sphere()
        >>> north = np.array([0.0, 0.0, 1.0])
        >>> vec = np.array([0.4, 0.3, 0.0])
        >>> moved = sphere.transport_frame(north, vec, sphere.frame(north))
        >>> bool(np.allclose(sphere.exp(north, vec) @ moved, 0.0))
        True
        """
        base_point = self._check_base(base_point)
        vec = as_float_array(tangent_vec, "tangent_vec")
        if vec.shape != (3,):
            raise ValueError(f"tangent_vec: expected one vector of shape (3,), got {vec.shape}")
        frame = check_frame(self, base_point, frame)
        return self.parallel_transport(base_point, vec, frame.T).T

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

        Returns
        -------
        ndarray, shape=[...]

        Raises
        ------
        TypeError, ValueError
            For non-numeric or non-finite input, or a last axis other than 2.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> np.round(land.Sphere().volume_density([[0.0, 0.0], [np.pi / 2, 0.0], [4.0, 0.0]]), 6)
        array([1.     , 0.63662, 0.     ])
        """
        coords = self._check_coords(tangent_coords)
        radius = np.linalg.norm(coords, axis=-1)
        return np.where(radius < np.pi, _sinc(radius), 0.0)

    def solve_volume_density(self, base_point, frame, tangent_coords, *,
                             exp_jacobian: bool = True) -> GeodesicResult:
        """Model-facing form of :meth:`volume_density` (closed form, always converged).

        ``sin r / r`` already is the exact change of variables through Exp, so
        ``exp_jacobian`` (which selects it on a learned manifold) changes nothing here.

        Parameters
        ----------
        base_point : array-like, shape=[3]
        frame : array-like, shape=[3, 2]
        tangent_coords : array-like, shape=[n, 2]
        exp_jacobian : bool
            Ignored on the sphere.

        Returns
        -------
        GeodesicResult

        Raises
        ------
        TypeError, ValueError
            For a bad base point or frame, or coordinates whose last axis is not 2.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> sphere = land.Sphere()
        >>> north = np.array([0.0, 0.0, 1.0])
        >>> sphere.solve_volume_density(north, sphere.frame(north), [[0.0, 0.0]]).value
        array([1.])
        """
        base_point = self._check_base(base_point)
        check_frame(self, base_point, frame)
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
        base_point : array-like, shape=[3]
            Unused (the derivative depends on the coordinates only).
        frame : array-like, shape=[3, 2]
            Unused.
        log_coords : array-like, shape=[n, 2]

        Returns
        -------
        ndarray, shape=[n, 2, 2]

        Raises
        ------
        TypeError, ValueError
            If ``log_coords`` is not a finite array with last axis 2.

        Examples
        --------
        >>> import land
        >>> land.Sphere().log_jacobian(None, None, [[0.0, 0.0]])[0] + 0.0     # -I at r = 0
        array([[-1.,  0.],
               [ 0., -1.]])
        """
        coords = np.atleast_2d(self._check_coords(log_coords, "log_coords"))
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
        """Uniformly distributed point(s) on the sphere, drawn with ``rng``.

        Parameters
        ----------
        rng : numpy.random.Generator
        n : int, optional
            Number of points; a single point of shape ``(3,)`` when omitted.

        Returns
        -------
        ndarray, shape=[3] or [n, 3]

        Raises
        ------
        TypeError, ValueError
            If ``rng`` is not a Generator or ``n`` is not a positive integer.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> points = land.Sphere().random_point(np.random.default_rng(0), 4)
        >>> points.shape, bool(np.allclose(np.linalg.norm(points, axis=1), 1.0))
        ((4, 3), True)
        """
        rng = check_generator(rng)
        size = (3,) if n is None else (check_positive_int(n, "n"), 3)
        points = rng.standard_normal(size)
        return points / np.linalg.norm(points, axis=-1, keepdims=True)

    def to_pymanopt(self):
        """The same manifold as a ``pymanopt.manifolds.Sphere`` (for its optimisers).

        Returns
        -------
        pymanopt.manifolds.Sphere

        Examples
        --------
        >>> import land
        >>> type(land.Sphere().to_pymanopt()).__name__
        'Sphere'
        """
        from pymanopt.manifolds import Sphere as PymanoptSphere

        return PymanoptSphere(3)
