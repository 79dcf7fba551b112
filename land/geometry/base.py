"""The geometry interface of the model code, and the result types of its solvers.

:class:`Geometry` names every attribute and method that :mod:`land.model`
calls on a manifold; :class:`~land.Sphere` and :class:`~land.LearnedManifold`
implement it, and ``tests/test_geometry.py`` runs one set of property tests
against both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["Geometry", "GeodesicResult", "GeodesicSolverError", "GeodesicSolverWarning",
           "DegenerateLikelihoodWarning", "check_geometry"]


@runtime_checkable
class Geometry(Protocol):
    """What the LAND needs of a Riemannian manifold.

    Points live in an ambient space R^``ambient_dim``; tangent vectors are
    ambient vectors too (tangent to the sphere at the base point, any vector
    in R^D for a learned manifold). A *frame* is a ``(ambient_dim, dim)``
    matrix whose columns are orthonormal in the metric at the base point;
    the model's covariance lives in the coordinates of such a frame.

    Shapes: ``base_point`` is ``(ambient_dim,)``; batched arguments are
    ``(n, ambient_dim)`` (or a single ``(ambient_dim,)`` row, which gives
    unbatched results).

    Attributes
    ----------
    dim : int
        Intrinsic dimension d (the size of the covariance).
    ambient_dim : int
        Dimension of the arrays that hold points.

    Examples
    --------
    >>> import land
    >>> isinstance(land.Sphere(), land.Geometry)
    True
    >>> isinstance("sphere", land.Geometry)
    False
    """

    dim: int
    ambient_dim: int

    def check_points(self, points, name: str = "points") -> np.ndarray:
        """Validated points, shape ``(ambient_dim,)`` or ``(n, ambient_dim)``."""

    def exp(self, base_point, tangent_vecs) -> np.ndarray:
        """Exp of ``(n, ambient_dim)`` tangent vectors; raises :class:`GeodesicSolverError`."""

    def log(self, base_point, points) -> np.ndarray:
        """Log of ``(n, ambient_dim)`` points; raises :class:`GeodesicSolverError`."""

    def solve_exp(self, base_point, tangent_vecs) -> "GeodesicResult":
        """Exp as a :class:`GeodesicResult` (failed solves flagged, not raised)."""

    def solve_log(self, base_point, points, *, initial_velocities=None) -> "GeodesicResult":
        """Log as a :class:`GeodesicResult`; ``initial_velocities`` are warm starts."""

    def dist(self, base_point, points) -> np.ndarray:
        """Geodesic distance from ``base_point``, shape ``(n,)``."""

    def frame(self, base_point) -> np.ndarray:
        """A frame at ``base_point``, shape ``(ambient_dim, dim)``."""

    def coordinates(self, base_point, frame, tangent_vecs) -> np.ndarray:
        """Coordinates ``(n, dim)`` of tangent vectors in ``frame``."""

    def transport_frame(self, base_point, tangent_vec, frame) -> np.ndarray:
        """``frame`` parallel-transported along the geodesic with velocity ``tangent_vec``."""

    def solve_volume_density(self, base_point, frame, tangent_coords, *,
                             exp_jacobian: bool = False) -> "GeodesicResult":
        """Volume density ``(n,)`` of the LAND constant at ``Exp(frame @ u)``."""

    def log_jacobian(self, base_point, frame, log_coords) -> np.ndarray:
        """``d(Log coordinates)/d(base point coordinates)``, shape ``(n, dim, dim)``."""


def check_geometry(manifold, name: str = "manifold") -> Geometry:
    """Return ``manifold`` if it implements :class:`Geometry`, else raise ``TypeError``.

    Parameters
    ----------
    manifold : object
    name : str
        The argument's name, used in the error message.

    Returns
    -------
    Geometry

    Raises
    ------
    TypeError
        If ``manifold`` lacks a method or attribute of :class:`Geometry`, or
        is a class (``land.Sphere`` for ``land.Sphere()``).

    Examples
    --------
    >>> import land
    >>> land.check_geometry(land.Sphere())
    Sphere()
    >>> try:
    ...     land.check_geometry(None)
    ... except TypeError as error:
    ...     print(str(error)[:40])
    manifold: expected a geometry (land.Sphe
    """
    if isinstance(manifold, type):
        hint = f"land.{manifold.__name__}()" if manifold.__module__.startswith("land.") else \
            "an instance"
        raise TypeError(f"{name}: expected a geometry instance such as {hint}, got the class "
                        f"{manifold.__name__} itself")
    if not isinstance(manifold, Geometry):
        raise TypeError(f"{name}: expected a geometry (land.Sphere, land.LearnedManifold or "
                        f"another land.Geometry), got {type(manifold).__name__}")
    return manifold


class GeodesicSolverError(RuntimeError):
    """Raised by ``exp``/``log`` when some geodesic solves did not converge.

    The ``solve_exp``/``solve_log`` methods never raise for a failed solve;
    they return a :class:`GeodesicResult` whose ``converged`` flags say which
    solves failed, so that callers can count and handle them explicitly.

    Parameters
    ----------
    message : str
    result : GeodesicResult, optional

    Attributes
    ----------
    result : GeodesicResult or None
        The whole batch's outcome when the error comes from a batch solve:
        ``error.result.value[error.result.converged]`` are the solves that did
        converge, so a caller need not solve them again.

    Examples
    --------
    >>> import numpy as np
    >>> import land
    >>> failed = land.GeodesicResult(value=np.zeros((2, 2)), converged=np.array([True, False]),
    ...                              residual=np.array([0.0, 1.0]))
    >>> try:
    ...     failed.unwrap("log")
    ... except land.GeodesicSolverError as error:
    ...     print(error.result.n_failed)
    1
    """

    def __init__(self, message: str, result: "GeodesicResult | None" = None):
        super().__init__(message)
        self.result = result


class GeodesicSolverWarning(RuntimeWarning):
    """Warned when some geodesic solves failed and the caller carried on without them.

    The estimators warn with it, counting the points, when a fit leaves out
    data whose Logs failed or when scoring falls back to the documented
    per-point answer for points whose Log failed (see
    :meth:`land.LAND.score_samples`).

    Examples
    --------
    >>> import warnings
    >>> import land
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warnings.warn("score_samples: 2 of 10 Logs failed", land.GeodesicSolverWarning)
    >>> caught[0].category.__name__
    'GeodesicSolverWarning'
    """


class DegenerateLikelihoodWarning(UserWarning):
    """Warned when a fit's likelihood is unbounded and a covariance floor was needed.

    The LAND likelihood grows without bound when a covariance eigenvalue goes
    to zero: a component that collapses onto fewer than ``d + 1`` points, or
    data with no spread along some direction. The estimators hold every
    covariance eigenvalue at or above their floor ``reg_covar`` (relative to
    the data's spread) and warn with this when the floor was reached, since
    the fitted model then depends on the floor rather than on the data.

    Examples
    --------
    >>> import land
    >>> issubclass(land.DegenerateLikelihoodWarning, UserWarning)
    True
    """


@dataclass(frozen=True)
class GeodesicResult:
    """Outcome of a batch of geodesic solves (Exp or Log).

    Attributes
    ----------
    value : ndarray, shape=[n, D] or [D]
        End points (Exp) or initial velocities (Log). Entries of failed solves
        hold the solver's last iterate: they are not meaningful results and
        must be filtered with ``converged``.
    converged : ndarray of bool, shape=[n] or []
        Whether each solve met its tolerance.
    residual : ndarray, shape=[n] or []
        For Log, the Euclidean distance ``|Exp(base, value) - point|``; for
        Exp, an estimate of the end point error (zero for closed forms).
    info : dict
        Solver statistics (for example right-hand-side evaluations, Newton
        iterations and why each failed solve stopped); empty for closed forms.

    Examples
    --------
    >>> import land
    >>> result = land.Sphere().solve_log([0.0, 0.0, 1.0], [[0.0, 1.0, 0.0], [0.0, 0.0, -1.0]])
    >>> result.converged, result.n_failed
    (array([ True, False]), 1)
    """

    value: np.ndarray
    converged: np.ndarray
    residual: np.ndarray
    info: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_failed(self) -> int:
        """Number of solves that did not converge.

        Examples
        --------
        >>> import land
        >>> land.Sphere().solve_exp([0.0, 0.0, 1.0], [[0.1, 0.0, 0.0]]).n_failed
        0
        """
        return int(np.size(self.converged) - np.count_nonzero(self.converged))

    def unwrap(self, what: str) -> np.ndarray:
        """Return ``value``, or raise :class:`GeodesicSolverError` if any solve failed.

        Parameters
        ----------
        what : str
            What was solved (``"exp"``, ``"log"``), for the error message.

        Returns
        -------
        ndarray
            ``value``, when every solve converged.

        Raises
        ------
        GeodesicSolverError
            Naming how many solves failed; its ``result`` is this object.

        Examples
        --------
        >>> import land
        >>> land.Sphere().solve_exp([0.0, 0.0, 1.0], [[0.1, 0.0, 0.0]]).unwrap("exp").shape
        (1, 3)
        """
        if self.n_failed:
            raise GeodesicSolverError(
                f"{what}: {self.n_failed} of {np.size(self.converged)} geodesic solves did not "
                f"converge (largest residual {np.max(self.residual):.3g}); the error's "
                "`result` holds the whole batch, converged flags included",
                result=self,
            )
        return self.value
