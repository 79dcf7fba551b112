"""The Exp integrator: geodesics of a diagonal metric by compiled DOP853.

Everything in :mod:`land.numerics` works in the metric's standardised
coordinates ``z = (x - centre) / length_scale`` (see
:mod:`land.numerics._kernels`); :class:`~land.LearnedManifold` converts to and
from them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from land._validation import check_positive, check_positive_int
from land.numerics import _kernels

__all__ = ["StandardMetric", "ExpIntegrator"]


@dataclass(frozen=True)
class StandardMetric:
    """A diagonal metric in standardised coordinates, as the compiled kernels take it.

    Attributes
    ----------
    data : ndarray, shape=[D, N]
        The standardised data of a LAND metric (empty for a constant metric).
    rho : float
        The regulariser in standardised units.
    kind : int
        0 for the LAND metric of ``data``, 1 for the constant metric ``diag``.
    diag : ndarray, shape=[D]
        The constant metric's diagonal (unused by the LAND metric).

    Examples
    --------
    >>> import numpy as np
    >>> from land.numerics import StandardMetric
    >>> flat = StandardMetric(np.zeros((2, 0)), 0.0, 1, np.array([1.0, 4.0]))
    >>> flat.dim, flat.diagonal(np.zeros((1, 2))).tolist()
    (2, [[1.0, 4.0]])
    """

    data: np.ndarray
    rho: float
    kind: int
    diag: np.ndarray

    @property
    def dim(self) -> int:
        """The dimension ``D``."""
        return int(self.data.shape[0])

    @property
    def spec(self) -> tuple:
        """The arguments the compiled kernels take first."""
        return self.data, self.rho, self.kind, self.diag

    def diagonal(self, points) -> np.ndarray:
        """Metric diagonal at standardised ``points`` (shape ``(n, D)``).

        Parameters
        ----------
        points : ndarray, shape=[n, D]

        Returns
        -------
        ndarray, shape=[n, D]

        Examples
        --------
        >>> import numpy as np
        >>> from land.numerics import StandardMetric
        >>> StandardMetric(np.zeros((1, 0)), 0.0, 1, np.array([2.0])).diagonal(np.ones((3, 1))).ravel()
        array([2., 2., 2.])
        """
        points = np.ascontiguousarray(np.atleast_2d(points), dtype=float)
        return _kernels.metric_terms_batch(*self.spec, points, 0)[0]

    def terms(self, points, order: int = 1):
        """Metric diagonal and its first (and second) derivatives at standardised ``points``.

        Parameters
        ----------
        points : ndarray, shape=[n, D]
        order : {0, 1, 2}

        Returns
        -------
        diagonal : ndarray, shape=[n, D]
        jacobian : ndarray, shape=[n, D, D]
            ``dm_d/dz_j``.
        hessian : ndarray, shape=[n, D, D, D]

        Examples
        --------
        >>> import numpy as np
        >>> from land.numerics import StandardMetric
        >>> m, jac, _ = StandardMetric(np.zeros((1, 0)), 0.0, 1, np.array([2.0])).terms(np.ones((1, 1)))
        >>> jac.ravel()
        array([0.])
        """
        points = np.ascontiguousarray(np.atleast_2d(points), dtype=float)
        return _kernels.metric_terms_batch(*self.spec, points, order)


class ExpIntegrator:
    """Batched geodesic integration (compiled DOP853 with scipy's error control).

    Parameters
    ----------
    rtol, atol : float
        Tolerances of the integrator; ``atol`` in standardised units (kernel
        widths for the LAND metric).
    max_steps : int
        Most steps per geodesic; a geodesic that needs more fails.

    Raises
    ------
    TypeError, ValueError
        For a tolerance that is not a finite number > 0 or a step count below 1.

    Examples
    --------
    A constant metric has straight geodesics:

    >>> import numpy as np
    >>> from land.numerics import ExpIntegrator, StandardMetric
    >>> flat = StandardMetric(np.zeros((2, 0)), 0.0, 1, np.array([1.0, 4.0]))
    >>> states, ok, n_rhs = ExpIntegrator().integrate(flat, np.zeros((1, 2)), np.array([[0.5, 1.0]]))
    >>> np.round(states[0, :2], 12).tolist(), bool(ok[0])
    ([0.5, 1.0], True)
    """

    def __init__(self, rtol: float = 1e-6, atol: float = 1e-8, max_steps: int = 5000):
        self.rtol = check_positive(rtol, "rtol")
        self.atol = check_positive(atol, "atol")
        self.max_steps = check_positive_int(max_steps, "max_steps")

    def __repr__(self) -> str:
        return f"ExpIntegrator(rtol={self.rtol:g}, atol={self.atol:g}, max_steps={self.max_steps})"

    def integrate(self, metric: StandardMetric, base_points, vecs, variational: int = 0, *,
                  rtol: float | None = None, atol: float | None = None):
        """Integrate the geodesics ``z(0) = base_points[i]``, ``z'(0) = vecs[i]`` over ``[0, 1]``.

        Parameters
        ----------
        metric : StandardMetric
        base_points : ndarray, shape=[D] or [n, D]
        vecs : ndarray, shape=[n, D]
        variational : {0, 1, 2}
            0: the geodesics alone; 1: also ``dExp/dv`` (``D`` columns);
            2: also ``dExp/dz0`` and ``dExp/dv`` (``2D`` columns).
        rtol, atol : float, optional
            Override the integrator's tolerances for this call.

        Returns
        -------
        states : ndarray, shape=[n, 2D + 2 D^2 variational]
            End point, end velocity, then (with ``variational``) the row-major
            ``D x ncol`` blocks ``dz/d(.)`` and ``dv/d(.)``.
        converged : ndarray of bool, shape=[n]
        n_rhs : ndarray of int, shape=[n]
            Right-hand-side evaluations per geodesic.

        Examples
        --------
        >>> import numpy as np
        >>> from land.numerics import ExpIntegrator, StandardMetric
        >>> flat = StandardMetric(np.zeros((1, 0)), 0.0, 1, np.array([1.0]))
        >>> states, ok, _ = ExpIntegrator().integrate(flat, np.zeros(1), np.ones((1, 1)), 2)
        >>> states.shape                       # 2D + 4D^2 with D = 1
        (1, 6)
        """
        vecs = np.ascontiguousarray(np.atleast_2d(vecs), dtype=float)
        base = np.ascontiguousarray(np.broadcast_to(base_points, vecs.shape), dtype=float)
        rtol = self.rtol if rtol is None else rtol
        atol = self.atol if atol is None else atol
        return _kernels.exp_batch(*metric.spec, base, vecs, int(variational), rtol, atol,
                                  self.max_steps, *_kernels.TABLEAU)

    @staticmethod
    def blocks(states, dim: int, variational: int):
        """Split integrated ``states`` into ``(end, velocity, dz, dv)`` blocks.

        Parameters
        ----------
        states : ndarray, shape=[n, 2D + 2 D^2 variational]
        dim : int
        variational : {1, 2}

        Returns
        -------
        end, velocity : ndarray, shape=[n, D]
        dz, dv : ndarray, shape=[n, D, D variational]

        Examples
        --------
        >>> import numpy as np
        >>> from land.numerics import ExpIntegrator
        >>> end, vel, dz, dv = ExpIntegrator.blocks(np.zeros((1, 6)), 1, 2)
        >>> dz.shape
        (1, 1, 2)
        """
        ncol = dim * variational
        off = 2 * dim
        dz = states[:, off:off + dim * ncol].reshape(-1, dim, ncol)
        dv = states[:, off + dim * ncol:off + 2 * dim * ncol].reshape(-1, dim, ncol)
        return states[:, :dim], states[:, dim:off], dz, dv
