"""Result types shared by the manifolds' numerical solvers."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["GeodesicResult", "GeodesicSolverError"]


class GeodesicSolverError(RuntimeError):
    """Raised by ``exp``/``log`` when some geodesic solves did not converge.

    The ``solve_exp``/``solve_log`` methods never raise for a failed solve;
    they return a :class:`GeodesicResult` whose ``converged`` flags say which
    solves failed, so that callers can count and handle them explicitly.

    Attributes
    ----------
    result : GeodesicResult or None
        The whole batch's outcome when the error comes from a batch solve:
        ``error.result.value[error.result.converged]`` are the solves that did
        converge, so a caller need not solve them again.
    """

    def __init__(self, message: str, result: "GeodesicResult | None" = None):
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class GeodesicResult:
    """Outcome of a batch of geodesic solves.

    Attributes
    ----------
    value : ndarray, shape=[n, dim] or [dim]
        End points (for Exp) or initial velocities (for Log). Entries whose
        solve failed hold the solver's last iterate; they are *not* valid
        results and must be filtered with ``converged``.
    converged : ndarray of bool, shape=[n] or []
        Whether each solve met its tolerance.
    residual : ndarray, shape=[n] or []
        For Log, the Euclidean distance ``|Exp(base, value) - point|``; for
        Exp, an estimate of the end point error (zero for closed forms).
    info : dict
        Solver statistics (for example right-hand-side evaluations, Newton
        iterations and why each failed solve stopped); empty for closed forms.
    """

    value: np.ndarray
    converged: np.ndarray
    residual: np.ndarray
    info: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_failed(self) -> int:
        """Number of solves that did not converge."""
        return int(np.size(self.converged) - np.count_nonzero(self.converged))

    def unwrap(self, what: str) -> np.ndarray:
        """Return ``value`` or raise :class:`GeodesicSolverError` on any failure."""
        if self.n_failed:
            raise GeodesicSolverError(
                f"{what}: {self.n_failed} of {np.size(self.converged)} geodesic solves did not "
                f"converge (largest residual {np.max(self.residual):.3g}); the error's "
                "`result` holds the whole batch, converged flags included",
                result=self,
            )
        return self.value
