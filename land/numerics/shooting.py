"""Newton shooting for Log: the inner solver every stage of the cascade calls."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from land._validation import check_positive, check_positive_int
from land.numerics import _kernels
from land.numerics.integrator import ExpIntegrator, StandardMetric

__all__ = ["NewtonShooting", "Shots"]


@dataclass(frozen=True)
class Shots:
    """Outcome of one batch of Newton shots (standardised units).

    Attributes
    ----------
    velocity : ndarray, shape=[n, D]
        The last iterate of each shot.
    residual : ndarray, shape=[n]
        End-point miss ``|Exp(v) - target|``, measured at the fine tolerances
        for converged shots and at least ``tol`` for the others.
    status : ndarray of int, shape=[n]
        Codes of :data:`land.numerics._kernels.STATUS` (0: converged).
    n_newton, n_rhs : ndarray of int, shape=[n]
        Newton steps and right-hand-side evaluations per shot.

    Examples
    --------
    >>> import numpy as np
    >>> from land.numerics import Shots
    >>> shots = Shots(np.zeros((1, 2)), np.zeros(1), np.zeros(1, int), np.ones(1, int), np.ones(1, int))
    >>> shots.converged
    array([ True])
    """

    velocity: np.ndarray
    residual: np.ndarray
    status: np.ndarray
    n_newton: np.ndarray
    n_rhs: np.ndarray

    @property
    def converged(self) -> np.ndarray:
        """Which shots converged (status 0)."""
        return self.status == 0


class NewtonShooting:
    """Damped Newton shooting with the exact Jacobian of Exp (compiled, batched).

    Each shot integrates ``Exp(v)`` with its variational equations, steps
    ``v <- v - lam X^{-1} (Exp(v) - target)`` with ``X = dExp/dv`` and the
    damping ``lam`` the largest of 1, 1/2, 1/4, 1/10, 1/33 that lowers the
    residual, and stops when the residual measured at the fine tolerances
    (``fine`` times tighter than the integrator's) is below ``tol``. A shot
    is abandoned after ``max_newton`` steps, or as soon as its residual has
    fallen by less than half in ``max_slow`` accepted steps in a row: the
    next stage of a cascade is cheaper than a crawl.

    Parameters
    ----------
    tol : float
        End-point tolerance in standardised units.
    max_newton : int
        Most Newton steps per shot.
    max_slow : int
        Accepted steps in a row with less than halving before a shot is
        abandoned (status ``"stagnated"``).
    fine : float
        How much tighter than the integrator the convergence check integrates.
    reuse_jacobian : bool
        Near the solution (after a full step that cut the residual 10-fold)
        keep the last Jacobian and integrate the geodesic alone; a step that
        does not cut the residual 4-fold recomputes it.

    Raises
    ------
    TypeError, ValueError
        For a tolerance that is not a finite number > 0 or a count below 1.

    Examples
    --------
    On a constant metric one Newton step solves any Log:

    >>> import numpy as np
    >>> from land.numerics import ExpIntegrator, NewtonShooting, StandardMetric
    >>> flat = StandardMetric(np.zeros((2, 0)), 0.0, 1, np.array([1.0, 4.0]))
    >>> shots = NewtonShooting().shoot(flat, ExpIntegrator(), np.zeros(2), np.array([[1.0, 2.0]]),
    ...                                np.zeros((1, 2)))
    >>> np.round(shots.velocity, 10).tolist(), shots.n_newton.tolist(), bool(shots.converged[0])
    ([[1.0, 2.0]], [1], True)
    """

    def __init__(self, tol: float = 1e-6, max_newton: int = 10, max_slow: int = 3,
                 fine: float = 100.0, reuse_jacobian: bool = True):
        self.tol = check_positive(tol, "tol")
        self.max_newton = check_positive_int(max_newton, "max_newton")
        self.max_slow = check_positive_int(max_slow, "max_slow")
        self.fine = check_positive(fine, "fine")
        if not isinstance(reuse_jacobian, (bool, np.bool_)):
            raise TypeError(f"reuse_jacobian: expected a bool, got {type(reuse_jacobian).__name__}")
        self.reuse_jacobian = bool(reuse_jacobian)

    def __repr__(self) -> str:
        return (f"NewtonShooting(tol={self.tol:g}, max_newton={self.max_newton}, "
                f"max_slow={self.max_slow})")

    def shoot(self, metric: StandardMetric, integrator: ExpIntegrator, base_point, targets,
              starts, *, max_newton: int | None = None) -> Shots:
        """Shoot from ``base_point`` to each of ``targets`` from the initial velocities ``starts``.

        Parameters
        ----------
        metric : StandardMetric
        integrator : ExpIntegrator
        base_point : ndarray, shape=[D]
        targets, starts : ndarray, shape=[n, D]
        max_newton : int, optional
            This call's Newton budget (default ``self.max_newton``).

        Returns
        -------
        Shots

        Examples
        --------
        >>> import numpy as np
        >>> from land.numerics import ExpIntegrator, NewtonShooting, StandardMetric
        >>> flat = StandardMetric(np.zeros((1, 0)), 0.0, 1, np.array([1.0]))
        >>> NewtonShooting().shoot(flat, ExpIntegrator(), np.zeros(1), np.ones((2, 1)),
        ...                        np.zeros((2, 1))).status.tolist()
        [0, 0]
        """
        targets = np.ascontiguousarray(np.atleast_2d(targets), dtype=float)
        starts = np.ascontiguousarray(np.atleast_2d(starts), dtype=float)
        if not targets.shape[0]:
            empty = np.zeros(0, np.int64)
            return Shots(np.zeros_like(targets), np.zeros(0), empty, empty, empty)
        budget = self.max_newton if max_newton is None else max_newton
        rtol, atol = integrator.rtol, integrator.atol
        out = _kernels.shoot_batch(*metric.spec, np.ascontiguousarray(base_point, dtype=float),
                                   targets, starts, self.tol, rtol, atol, rtol / self.fine,
                                   atol / self.fine, budget, self.max_slow, self.reuse_jacobian,
                                   integrator.max_steps,
                                   *_kernels.TABLEAU)
        return Shots(*out)
