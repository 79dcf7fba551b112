"""A Riemannian manifold R^D whose metric is learned from data.

Exp integrates the geodesic ODE of a diagonal metric; Log solves the two-point
boundary value problem with a cascade of solvers. Both are handed to the
pluggable solvers of :mod:`land.numerics` (an ``land.numerics.ExpIntegrator``
and a ``land.numerics.LogCascade``), which run compiled kernels over
whole batches in the metric's standardised coordinates, so that shifting or
rescaling the problem does not change the answers. This module keeps only
the geometry. Every solve reports whether it converged and how far off it is.
"""

from __future__ import annotations

import copy

import numpy as np
from scipy.integrate import solve_ivp

from land.numerics import (STAGES, Collocation, ExpIntegrator, LogCascade, NeighbourGraph,
                           NewtonShooting, StandardMetric)
from land.numerics import _kernels
from land._validation import (check_base_point, check_frame, check_points, check_positive,
                              check_positive_int)
from land.geometry.base import GeodesicResult, GeodesicSolverError
from land.geometry.metric import GlobalDiagonalMetric, LocalDiagonalMetric

__all__ = ["LearnedManifold", "MEAN_GRADIENTS"]

#: How a fit differentiates Log with respect to the base point (see ``mean_gradient``).
MEAN_GRADIENTS = ("exact", "paper")


def _acceleration(diagonal, jac, velocities):
    """Geodesic acceleration of a diagonal metric ``m`` with Jacobian ``J = dm/dx``, batched."""
    jv = np.einsum("...dj,...j->...d", jac, velocities)
    half_grad = 0.5 * np.einsum("...kd,...k->...d", jac, velocities * velocities)
    return (half_grad - velocities * jv) / diagonal


def _christoffel(diagonal, jac, vec_u, vec_w):
    """``Gamma(u, w)`` of a diagonal metric ``m`` with Jacobian ``J = dm/dx``, batched."""
    ju = np.einsum("...dj,...j->...d", jac, vec_u)
    jw = np.einsum("...dj,...j->...d", jac, vec_w)
    cross = np.einsum("...kd,...k->...d", jac, vec_u * vec_w)
    return (vec_w * ju + vec_u * jw - cross) / (2.0 * diagonal)

class LearnedManifold:
    """R^D with a diagonal metric, e.g. the LAND metric :class:`~land.LocalDiagonalMetric`.

    Exp integrates the geodesic equation with a compiled DOP853 integrator;
    Log runs a cascade of solvers, cheapest first (see :meth:`solve_log`).
    Both solvers can be swapped: pass ``integrator`` and ``log_solver``.

    Parameters
    ----------
    metric : LocalDiagonalMetric or GlobalDiagonalMetric
    integrator : land.numerics.ExpIntegrator, optional
        The Exp solver. Default: DOP853 at ``rtol`` and ``atol``.
    log_solver : land.numerics.LogCascade, optional
        The Log solver. Default: the cascade of ``land.numerics.STAGES``
        with Newton shooting at ``log_tol`` and ``max_newton``, and
        collocation at ``bvp_tol``.
    rtol, atol : float
        Tolerances of the default integrator (scipy's error norm), with
        ``atol`` in the tolerance unit below. The defaults keep end points
        within 1e-6 of a DOP853 solve at rtol 1e-12 on the report's data
        (see ``benchmarks/geodesics.py``).
    log_tol : float
        A Log counts as converged only if ``|Exp(base, Log(base, x)) - x|``
        is below ``log_tol`` tolerance units, measured with an integrator
        100 times tighter than ``rtol``/``atol``.
    max_newton : int
        Most Newton steps per shot (a shot that stagnates earlier is
        abandoned to the next stage).
    bvp_tol : float
        Tolerance of the collocation (``solve_bvp``) stage.
    max_steps : int
        Most integrator steps per geodesic; a solve that needs more fails.
    mean_gradient : {"exact", "paper"}
        How :meth:`log_jacobian` (and with it a fit's mean step)
        differentiates Log with respect to the base point: exactly, from the
        variational equations of the geodesic flow (default), or as ``-I``,
        the LAND paper's approximation (exact only for a constant metric).

    Attributes
    ----------
    dim, ambient_dim : int
        Both D: points, tangent vectors and coordinates are all D-vectors.
    tolerance_unit : float
        The length (in data units) that ``atol`` and ``log_tol`` are measured
        in: the metric's length scale (the kernel width), or the data's
        root-mean-square distance from their mean where that is smaller, so
        tolerances stay tight when the kernel width is much larger than the
        data.

    Raises
    ------
    TypeError
        If ``metric`` is not one of the two diagonal metrics, or a solver is
        not of its type.
    ValueError
        For a tolerance that is not positive, a count that is not >= 1, or an
        unknown ``mean_gradient``.

    Notes
    -----
    For a diagonal metric ``M = diag(m)`` the geodesic equation reads
    ``x'' = (J^T (x' * x') / 2 - x' * (J x')) / m`` with ``J = dm/dx``.
    Distances, tolerances and the integrator's step control are computed in
    coordinates ``z = (x - centre) / length_scale`` of the metric, which makes
    every answer equivariant under shifts and scalings of the data.

    Examples
    --------
    >>> import numpy as np
    >>> import land
    >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
    >>> manifold = land.LearnedManifold(land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2))
    >>> base = np.array([0.0, 1.0])                     # the top of the arc
    >>> vec = np.array([0.2, 0.0])                      # along the arc
    >>> end = manifold.exp(base, vec)
    >>> bool(np.allclose(manifold.log(base, end), vec, atol=1e-6))
    True
    """

    def __init__(self, metric, *, integrator: ExpIntegrator | None = None,
                 log_solver: LogCascade | None = None, rtol: float = 1e-6, atol: float = 1e-8,
                 log_tol: float = 1e-6, max_newton: int = 10, bvp_tol: float = 1e-6,
                 max_steps: int = 5000, mean_gradient: str = "exact"):
        if not isinstance(metric, (LocalDiagonalMetric, GlobalDiagonalMetric)):
            raise TypeError("metric: expected a LocalDiagonalMetric or GlobalDiagonalMetric, got "
                            f"{type(metric).__name__}")
        if integrator is not None and not isinstance(integrator, ExpIntegrator):
            raise TypeError(f"integrator: expected a land.numerics.ExpIntegrator, got "
                            f"{type(integrator).__name__}")
        if log_solver is not None and not isinstance(log_solver, LogCascade):
            raise TypeError(f"log_solver: expected a land.numerics.LogCascade, got "
                            f"{type(log_solver).__name__}")
        if mean_gradient not in MEAN_GRADIENTS:
            raise ValueError(f"mean_gradient: expected one of {MEAN_GRADIENTS}, got {mean_gradient!r}")
        self.metric = metric
        self.dim = self.ambient_dim = metric.dim
        self.rtol = check_positive(rtol, "rtol")
        self.atol = check_positive(atol, "atol")
        self.log_tol = check_positive(log_tol, "log_tol")
        self.bvp_tol = check_positive(bvp_tol, "bvp_tol")
        self.max_newton = check_positive_int(max_newton, "max_newton")
        self.max_steps = check_positive_int(max_steps, "max_steps")
        self.mean_gradient = mean_gradient
        self._centre = metric.centre
        self._scale = metric.length_scale
        zt, rho, kind, diag = metric._kernel_spec
        self._standard = StandardMetric(zt, rho, kind, diag)
        # Tolerances in standardised units: the kernel width, or the data's spread if smaller.
        spread = float(np.sqrt(np.mean(np.sum(zt**2, axis=0)))) if kind == 0 and zt.size else 1.0
        unit = min(1.0, spread) if spread > 0 else 1.0
        self.tolerance_unit = unit * self._scale
        self.integrator = integrator if integrator is not None else ExpIntegrator(
            self.rtol, self.atol * unit, self.max_steps)
        self.log_solver = log_solver if log_solver is not None else LogCascade(
            NewtonShooting(self.log_tol * unit, self.max_newton),
            collocation=Collocation(self.bvp_tol))
        self._neighbour_graph = None

    @property
    def exact_mean_gradient(self) -> bool:
        """Whether fits take the exact derivative of Log and of ``C`` with respect to the mean."""
        return self.mean_gradient == "exact"

    def __repr__(self) -> str:
        return f"LearnedManifold({self.metric!r})"

    # ------------------------------------------------------------------ checks
    def check_points(self, points, name: str = "points") -> np.ndarray:
        """Return ``points`` as a finite array of shape ``(D,)`` or ``(n, D)``.

        Parameters
        ----------
        points : array-like, shape=[D] or [n, D]
        name : str
            The argument's name, used in error messages.

        Returns
        -------
        ndarray

        Raises
        ------
        TypeError, ValueError
            For non-numeric, complex, boolean or non-finite input or a wrong shape.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> manifold = land.LearnedManifold(metric)
        >>> manifold.check_points([[0.0, 1.0]]).shape
        (1, 2)
        """
        return check_points(points, name, self.dim)

    def _check_base(self, base_point, name: str = "base_point") -> np.ndarray:
        return check_base_point(self, base_point, name)

    def _to_standard(self, points) -> np.ndarray:
        # A point near the float limit may overflow to inf here; the Log cascade
        # leaves such targets unshot (beyond its MAX_REACH) and reports them failed.
        with np.errstate(over="ignore"):
            return (np.asarray(points) - self._centre) / self._scale

    # -------------------------------------------------------------- the ODEs
    def geodesic_acceleration(self, points, velocities) -> np.ndarray:
        """``x''`` of the geodesics through ``points`` with ``velocities`` (numpy, batched).

        The compiled solvers use their own copy of this formula; this one serves
        collocation and the tests.

        Parameters
        ----------
        points, velocities : array-like, shape=[n, D]

        Returns
        -------
        ndarray, shape=[n, D]

        Raises
        ------
        TypeError, ValueError
            For bad ``points``.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> manifold = land.LearnedManifold(metric)
        >>> manifold.geodesic_acceleration(data[:3], np.zeros((3, 2)))   # at rest, no acceleration
        array([[0., 0.],
               [0., 0.],
               [0., 0.]])
        >>> v = np.array([[0.3, -0.1]])
        >>> acc = manifold.geodesic_acceleration(data[:1], v)             # quadratic in velocity
        >>> bool(np.allclose(manifold.geodesic_acceleration(data[:1], 2 * v), 4 * acc))
        True
        """
        return _acceleration(*self.metric.metric_and_jacobian(points), velocities)

    def christoffel(self, points, vec_u, vec_w) -> np.ndarray:
        """``Gamma(u, w)^d = (w_d (J u)_d + u_d (J w)_d - (J^T (u * w))_d) / (2 m_d)``, batched.

        Parameters
        ----------
        points, vec_u, vec_w : array-like, shape=[n, D]

        Returns
        -------
        ndarray, shape=[n, D]
            Symmetric in ``u`` and ``w``; ``-Gamma(v, v)`` is the geodesic
            acceleration.

        Raises
        ------
        TypeError, ValueError
            For bad ``points``.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> manifold = land.LearnedManifold(metric)
        >>> x, u, w = data[:1], np.array([[0.3, -0.1]]), np.array([[0.5, 1.0]])
        >>> bool(np.allclose(manifold.christoffel(x, u, w), manifold.christoffel(x, w, u)))
        True
        >>> acceleration = manifold.geodesic_acceleration(x, u)
        >>> bool(np.allclose(-manifold.christoffel(x, u, u), acceleration))
        True
        """
        return _christoffel(*self.metric.metric_and_jacobian(points), vec_u, vec_w)

    def _integrate(self, base_point, tangent_vec, frame=None):
        """Integrate one geodesic over t in [0, 1], optionally transporting ``frame`` (D, k).

        Runs in standardised coordinates (tangent vectors scale like
        velocities), with scipy's DOP853 at tight tolerances: one geodesic per
        mean step of a fit, so accuracy costs next to nothing.
        """
        dim, scale = self.dim, self._scale
        n_frame = 0 if frame is None else frame.shape[1]
        zt, rho, kind, diag = self.metric._kernel_spec

        def rhs(_, state):
            # The metric in standardised coordinates has the same geodesic equations.
            z, v = state[:dim], state[dim:2 * dim]
            m, jac, _ = _kernels.metric_terms_batch(zt, rho, kind, diag, z[None], 1)
            m, jac = m[0], jac[0]
            out = np.empty_like(state)
            out[:dim] = v
            out[dim:2 * dim] = _acceleration(m, jac, v)
            if n_frame:
                cols = state[2 * dim:].reshape(n_frame, dim)
                out[2 * dim:] = -_christoffel(m, jac, np.broadcast_to(v, cols.shape), cols).ravel()
            return out

        start = np.concatenate([self._to_standard(base_point), tangent_vec / scale]
                               + ([(frame.T / scale).ravel()] if n_frame else []))
        sol = solve_ivp(rhs, (0.0, 1.0), start, method="DOP853", rtol=1e-10, atol=1e-12)
        end = sol.y[:, -1]
        transported = end[2 * dim:].reshape(n_frame, dim).T * scale if n_frame else None
        return self._centre + scale * end[:dim], transported, bool(sol.success)

    # ---------------------------------------------------------------- geometry
    def _exp_states(self, base_points, vecs, *, variational=0):
        """Compiled batched Exp in standardised units: (states, success, n_rhs)."""
        return self.integrator.integrate(self._standard, self._to_standard(base_points),
                                         vecs / self._scale, int(variational))

    def solve_exp(self, base_point, tangent_vecs) -> GeodesicResult:
        """Exp of each tangent vector by integrating the geodesic ODE (all at once, in parallel).

        Parameters
        ----------
        base_point : array-like, shape=[D]
        tangent_vecs : array-like, shape=[D] or [n, D]

        Returns
        -------
        GeodesicResult
            ``residual`` is 0 for converged solves (the integrator's error
            control holds each end point to ``rtol``/``atol``) and inf for
            failed ones; ``info["n_rhs"]`` counts right-hand-side evaluations.

        Raises
        ------
        TypeError, ValueError
            For a bad base point (a batch included) or bad vectors.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> manifold = land.LearnedManifold(metric)
        >>> base = np.array([0.0, 1.0])
        >>> result = manifold.solve_exp(base, [[0.2, 0.0], [-0.2, 0.0]])
        >>> result.value.shape, bool(result.converged.all())
        ((2, 2), True)
        """
        base_point = self._check_base(base_point)
        vecs = self.check_points(tangent_vecs, "tangent_vecs")
        flat = np.atleast_2d(vecs)
        states, converged, n_rhs = self._exp_states(base_point, flat)
        ends = self._centre + self._scale * states[:, :self.dim]
        residual = np.where(converged, 0.0, np.inf)
        info = {"n_rhs": n_rhs}
        if vecs.ndim == 1:
            return GeodesicResult(ends[0], converged[0], residual[0], info)
        return GeodesicResult(ends, converged, residual, info)

    def exp(self, base_point, tangent_vecs) -> np.ndarray:
        """Exponential map: the end point of the geodesic with initial velocity ``tangent_vecs``.

        Parameters
        ----------
        base_point : array-like, shape=[D]
        tangent_vecs : array-like, shape=[D] or [n, D]

        Returns
        -------
        ndarray, shape like ``tangent_vecs``

        Raises
        ------
        TypeError, ValueError
            As :meth:`solve_exp`.
        GeodesicSolverError
            If a solve fails; its ``result`` holds the whole batch.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> manifold = land.LearnedManifold(metric)
        >>> base = np.array([0.0, 1.0])
        >>> bool(np.allclose(manifold.exp(base, np.zeros(2)), base))
        True
        """
        return self.solve_exp(base_point, tangent_vecs).unwrap("exp")

    def exp_jacobian(self, base_point, tangent_vecs):
        """End points and Jacobians ``dExp_base(v)/dv`` from the variational equations.

        Parameters
        ----------
        base_point : array-like, shape=[D]
        tangent_vecs : array-like, shape=[D] or [n, D]

        Returns
        -------
        ends : ndarray, shape=[n, D]
        jacobians : ndarray, shape=[n, D, D]
            ``J[i, a, b] = d Exp(v_i)_a / d v_b`` (ambient units; the
            standardisation cancels).
        converged : ndarray of bool, shape=[n]

        Raises
        ------
        TypeError, ValueError
            As :meth:`solve_exp`.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> manifold = land.LearnedManifold(metric)
        >>> base = np.array([0.0, 1.0])
        >>> ends, jac, ok = manifold.exp_jacobian(base, np.zeros((1, 2)))
        >>> np.round(jac[0], 12) + 0.0                     # dExp/dv at v = 0 is the identity
        array([[1., 0.],
               [0., 1.]])
        """
        base_point = self._check_base(base_point)
        flat = np.atleast_2d(self.check_points(tangent_vecs, "tangent_vecs"))
        states, converged, _ = self._exp_states(base_point, flat, variational=1)
        dim = self.dim
        ends = self._centre + self._scale * states[:, :dim]
        return ends, states[:, 2 * dim:2 * dim + dim * dim].reshape(-1, dim, dim), converged

    def _graph(self):
        """The metric-weighted neighbour graph of the data (built once; None without data)."""
        if self._neighbour_graph is None and self._standard.kind == 0 \
                and self._standard.data.shape[1] >= 2:
            self._neighbour_graph = NeighbourGraph(self._standard)
        return self._neighbour_graph

    def solve_log(self, base_point, points, *, initial_velocities=None,
                  stages=None) -> GeodesicResult:
        """Log of each point by the solver cascade (``land.numerics.LogCascade``).

        The stages run one after another, each only on the points the
        earlier ones left unsolved: Newton shooting from the warm start (when
        given), from the chord, along the shortest path of the data's
        neighbour graph, then continuation along that path and collocation.
        A converged geodesic is accepted as soon as its length is at most
        the metric length of the graph path (an upper bound on the
        distance); a longer one sends the point on to the next stages, and
        the shortest converged geodesic found is returned.

        Parameters
        ----------
        base_point : array-like, shape=[D]
        points : array-like, shape=[D] or [n, D]
        initial_velocities : array-like, shape like ``points``, optional
            Warm starts (e.g. the previous iteration's Logs).
        stages : sequence of str, optional
            Run only these stages of ``land.numerics.STAGES``, in this
            order (default: the cascade's own).

        Returns
        -------
        GeodesicResult
            ``value`` holds the initial velocities (the best iterate where
            nothing converged, with ``converged`` False), ``residual`` the
            end-point miss measured with an integrator 100 times tighter than
            ``rtol``, and ``info`` per point the ``stage`` that solved it,
            ``n_shots``, ``n_newton``, ``n_rhs``, the graph ``bound`` and
            the geodesic's ``length`` (both in the metric), plus the
            ``stage_counts`` of the call and ``n_longer_than_bound``.

        Raises
        ------
        TypeError, ValueError
            For bad points, warm starts of the wrong shape, or unknown ``stages``.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> manifold = land.LearnedManifold(metric)
        >>> base = np.array([0.0, 1.0])
        >>> targets = np.array([[0.2, 0.98], [-0.2, 0.98]])   # near the arc, either side
        >>> result = manifold.solve_log(base, targets)
        >>> result.converged, bool(result.residual.max() < 1e-6)
        (array([ True,  True]), True)
        >>> bool(np.allclose(manifold.exp(base, result.value), targets, atol=1e-6))
        True
        >>> result.info["stage"].tolist()
        ['chord', 'chord']
        """
        base_point = self._check_base(base_point)
        targets = self.check_points(points, "points")
        flat = np.atleast_2d(targets)
        cascade = self.log_solver
        if stages is not None:
            if isinstance(stages, str) or not len(stages) or not set(stages) <= set(STAGES):
                raise ValueError(f"stages: expected a non-empty sequence of names from {STAGES}, "
                                 f"got {stages!r}")
            cascade = copy.copy(cascade)
            cascade.stages = tuple(dict.fromkeys(stages))
        warm = None
        if initial_velocities is not None:
            warm = np.atleast_2d(self.check_points(initial_velocities, "initial_velocities"))
            if warm.shape != flat.shape:
                raise ValueError(f"initial_velocities: expected shape {flat.shape}, got {warm.shape}")
            warm = warm / self._scale
        solution = cascade.solve(self._standard, self.integrator, self._to_standard(base_point),
                                 self._to_standard(flat), warm=warm, graph=self._graph())
        scale = self._scale
        info = {"stage": solution.stage, "status": solution.status, "n_shots": solution.n_shots,
                "n_newton": solution.n_newton, "n_rhs": solution.n_rhs,
                "bound": solution.bound * scale, "length": solution.length * scale,
                "stage_counts": solution.stage_counts,
                "n_longer_than_bound": solution.n_longer_than_bound}
        velocities, residuals = scale * solution.velocity, scale * solution.residual
        if targets.ndim == 1:
            return GeodesicResult(velocities[0], solution.converged[0], residuals[0], info)
        return GeodesicResult(velocities, solution.converged, residuals, info)

    def log(self, base_point, points) -> np.ndarray:
        """Logarithm map: the initial velocity of the shortest geodesic to each point.

        Parameters
        ----------
        base_point : array-like, shape=[D]
        points : array-like, shape=[D] or [n, D]

        Returns
        -------
        ndarray, shape like ``points``

        Raises
        ------
        TypeError, ValueError
            As :meth:`solve_log`.
        GeodesicSolverError
            If a solve fails. The error's ``result`` attribute holds the whole
            batch's :class:`~land.GeodesicResult`, so the converged Logs can be
            used without solving them again.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> manifold = land.LearnedManifold(metric)
        >>> base = np.array([0.0, 1.0])
        >>> point = np.array([0.2, 0.98])
        >>> bool(np.allclose(manifold.exp(base, manifold.log(base, point)), point, atol=1e-6))
        True
        """
        return self.solve_log(base_point, points).unwrap("log")

    def dist(self, base_point, points) -> np.ndarray:
        """Geodesic distance ``sqrt(v^T M(base) v)`` with ``v = Log(base, x)``.

        Parameters
        ----------
        base_point : array-like, shape=[D]
        points : array-like, shape=[D] or [n, D]

        Returns
        -------
        ndarray, shape=[] or [n]

        Raises
        ------
        TypeError, ValueError, GeodesicSolverError
            As :meth:`log`.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> manifold = land.LearnedManifold(metric)
        >>> base = np.array([0.0, 1.0])
        >>> points = np.array([[0.2, 0.98], [-0.2, 0.98]])
        >>> d = manifold.dist(base, points)
        >>> d.shape, bool(np.all(d > 0))
        ((2,), True)
        >>> coords = manifold.coordinates(base, manifold.frame(base), manifold.log(base, points))
        >>> bool(np.allclose(d, np.linalg.norm(coords, axis=1)))   # the Log's metric length
        True
        """
        base_point = self._check_base(base_point)
        vecs = self.log(base_point, points)
        return np.sqrt(np.einsum("...d,d,...d->...", vecs, self.metric.metric_diagonal(base_point), vecs))

    def frame(self, base_point) -> np.ndarray:
        """Orthonormal frame of the metric at ``base_point``: ``diag(M^{-1/2})``.

        Parameters
        ----------
        base_point : array-like, shape=[D]

        Returns
        -------
        ndarray, shape=[D, D]

        Raises
        ------
        TypeError, ValueError
            If ``base_point`` is not a single finite point.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> manifold = land.LearnedManifold(metric)
        >>> base = np.array([0.0, 1.0])
        >>> frame = manifold.frame(base)
        >>> bool(np.allclose(manifold.coordinates(base, frame, frame.T), np.eye(2)))
        True
        """
        base_point = self._check_base(base_point)
        return np.diag(1.0 / np.sqrt(self.metric.metric_diagonal(base_point)))

    def coordinates(self, base_point, frame, tangent_vecs) -> np.ndarray:
        """Coordinates ``F^T M v`` of tangent vectors in an M-orthonormal ``frame`` F.

        Parameters
        ----------
        base_point : array-like, shape=[D]
        frame : array-like, shape=[D, D]
            Orthonormal in the metric at ``base_point``.
        tangent_vecs : array-like, shape=[D] or [n, D]

        Returns
        -------
        ndarray, shape like ``tangent_vecs``
            Their Euclidean norms are the metric lengths of the vectors.

        Raises
        ------
        TypeError, ValueError
            For a bad base point or vectors, or a frame that is not orthonormal
            in the metric at ``base_point``.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> manifold = land.LearnedManifold(metric)
        >>> base = np.array([0.0, 1.0])
        >>> vec = np.array([0.1, 0.0])
        >>> length = np.linalg.norm(manifold.coordinates(base, manifold.frame(base), vec))
        >>> bool(np.isclose(length, np.sqrt(manifold.metric.metric_diagonal(base)[0]) * 0.1))
        True
        """
        base_point = self._check_base(base_point)
        frame = check_frame(self, base_point, frame)
        return self._coords(base_point, frame, self.check_points(tangent_vecs, "tangent_vecs"))

    def _coords(self, base_point, frame, tangent_vecs) -> np.ndarray:
        """:meth:`coordinates` without checks (for :func:`~land._validation.check_frame`)."""
        diagonal = self.metric.metric_diagonal(base_point)
        return np.asarray(tangent_vecs) @ (diagonal[:, None] * frame)

    def transport_frame(self, base_point, tangent_vec, frame) -> np.ndarray:
        """Parallel transport of ``frame`` along the geodesic with initial velocity ``tangent_vec``.

        The transported frame is re-orthonormalised (Cholesky) in the metric at
        ``exp(base_point, tangent_vec)``, which removes the integrator's small
        drift and makes the frame orthonormal exactly where a fit moves its mean.

        Parameters
        ----------
        base_point : array-like, shape=[D]
        tangent_vec : array-like, shape=[D]
        frame : array-like, shape=[D, D]
            Orthonormal in the metric at ``base_point``.

        Returns
        -------
        ndarray, shape=[D, D]

        Raises
        ------
        TypeError, ValueError
            For a bad base point, more than one vector, or a bad frame.
        GeodesicSolverError
            If the geodesic ODE solve fails.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> manifold = land.LearnedManifold(metric)
        >>> base = np.array([0.0, 1.0])
        >>> vec = np.array([0.2, 0.0])
        >>> moved = manifold.transport_frame(base, vec, manifold.frame(base))
        >>> end = manifold.exp(base, vec)
        >>> bool(np.allclose(manifold.coordinates(end, moved, moved.T), np.eye(2)))
        True
        """
        base_point = self._check_base(base_point)
        vec = self.check_points(tangent_vec, "tangent_vec")
        if vec.ndim != 1:
            raise ValueError(f"tangent_vec: expected one vector of shape ({self.dim},), got {vec.shape}")
        frame = check_frame(self, base_point, frame)
        _, moved, ok = self._integrate(base_point, vec, frame)
        if not ok:
            raise GeodesicSolverError("transport_frame: the geodesic ODE solve failed")
        # Orthonormalise at the end point that exp() returns, the point callers move to.
        end = self.exp(base_point, vec)
        gram = moved.T @ (self.metric.metric_diagonal(end)[:, None] * moved)
        return moved @ np.linalg.inv(np.linalg.cholesky(gram)).T

    # ------------------------------------------------------------ the density
    def solve_volume_density(self, base_point, frame, tangent_coords, *,
                             exp_jacobian: bool = False,
                             mean_gradient: bool = False) -> GeodesicResult:
        """Volume term of the LAND constant at ``Exp_mu(F u)`` for each coordinate vector ``u``.

        With ``exp_jacobian=False`` (the LAND paper's choice, the default)
        ``m = sqrt(|M(Exp(v))| / |M(base)|)``: the Riemannian measure at the
        end point relative to orthonormal tangent coordinates, without the
        Jacobian of Exp. With ``exp_jacobian=True`` the change of variables
        is exact, ``m = sqrt(|M(Exp(v))| / |M(base)|) |det dExp(v)/dv|``,
        with ``dExp/dv`` from the variational equations; that is the density
        that makes ``C`` the integral of the unnormalised LAND over the
        manifold (as long as Exp is injective on the draws' support).

        Parameters
        ----------
        base_point : array-like, shape=[D]
        frame : array-like, shape=[D, D]
        tangent_coords : array-like, shape=[n, D]
        exp_jacobian : bool
        mean_gradient : bool
            Also return ``info["mean_gradient"]`` (shape ``(n, D)``): the
            derivative of ``log m`` with respect to the mean, in frame
            coordinates, with ``u`` held fixed and the frame carried along by
            parallel transport; the derivative of a fixed-draw Monte Carlo
            ``log C``. It needs the Jacobian of Exp with respect to its base
            point (variational equations over ``2D`` columns). With
            ``exp_jacobian`` it leaves out the change of ``log |det dExp/dv|``
            with the mean (a second-order variation).

        Returns
        -------
        GeodesicResult
            ``value`` is 0 where the Exp failed (``converged`` False there).

        Raises
        ------
        TypeError, ValueError
            For a bad base point, frame or coordinates.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> manifold = land.LearnedManifold(metric)
        >>> base = np.array([0.0, 1.0])
        >>> result = manifold.solve_volume_density(base, manifold.frame(base), np.zeros((1, 2)))
        >>> np.round(result.value, 12)
        array([1.])
        """
        base_point = self._check_base(base_point)
        frame = check_frame(self, base_point, frame)
        coords = np.atleast_2d(check_points(tangent_coords, "tangent_coords", self.dim))
        vecs = coords @ frame.T
        info = {}
        if mean_gradient:
            states, converged, _ = self._exp_states(base_point, vecs, variational=2)
            ends, _, dz, _ = ExpIntegrator.blocks(states, self.dim, 2)
            ends = self._centre + self._scale * ends
            dexp_dbase, jacobians = dz[:, :, :self.dim], dz[:, :, self.dim:]
            info["mean_gradient"] = self._volume_mean_gradient(
                base_point, frame, vecs, ends, dexp_dbase, jacobians, converged)
        elif exp_jacobian:
            ends, jacobians, converged = self.exp_jacobian(base_point, vecs)
        else:
            result = self.solve_exp(base_point, vecs)
            ends, converged = np.atleast_2d(result.value), np.atleast_1d(result.converged)
        safe = np.where(converged[:, None], ends, base_point)
        log_det = np.sum(np.log(self.metric.metric_diagonal(safe)), axis=-1)
        log_det_base = np.sum(np.log(self.metric.metric_diagonal(base_point)))
        values = np.exp(0.5 * (log_det - log_det_base))
        if exp_jacobian:
            values = values * np.abs(np.linalg.det(np.where(converged[:, None, None], jacobians, 0.0)))
        values = np.where(converged, values, 0.0)
        return GeodesicResult(values, converged, np.where(converged, 0.0, np.inf), info)

    def _volume_mean_gradient(self, base_point, frame, vecs, ends, dexp_dbase, dexp_dv, converged):
        """``d log m_s / d mu`` in frame coordinates for the paper's volume term (see above).

        With ``E_s = Exp_mu(F u_s)``, a mean step ``mu' = F e_j`` and the
        frame transported (``F' = -Gamma(mu', F)``):
        ``dE_s = Z_s mu' - X_s Gamma(mu', F u_s)`` with ``Z = dExp/dmu`` and
        ``X = dExp/dv``, and ``log m = (sum log m_d(E) - sum log m_d(mu)) / 2``.
        """
        dim, n = self.dim, vecs.shape[0]
        safe_ends = np.where(converged[:, None], ends, base_point)
        m_end, jac_end = self.metric.metric_and_jacobian(safe_ends)
        m_base, jac_base = self.metric.metric_and_jacobian(base_point[None])
        grad_end = np.einsum("nd,ndj->nj", 1.0 / m_end, jac_end)          # d sum log m / dx at E
        grad_base = (jac_base[0] / m_base[0][:, None]).sum(axis=0)
        out = np.zeros((n, dim))
        base_rep = np.broadcast_to(base_point, (n, dim))
        for j in range(frame.shape[1]):
            direction = np.broadcast_to(frame[:, j], (n, dim))
            turn = self.christoffel(base_rep, direction, vecs)                 # Gamma(mu', F u)
            moved = np.einsum("nab,b->na", dexp_dbase, frame[:, j]) - np.einsum(
                "nab,nb->na", dexp_dv, turn)
            out[:, j] = 0.5 * (np.sum(grad_end * moved, axis=1) - grad_base @ frame[:, j])
        return np.where(converged[:, None], out, 0.0)

    def log_jacobian(self, base_point, frame, log_coords) -> np.ndarray:
        """Derivative of Log coordinates with respect to the base point.

        For ``c = F^T M(mu) Log_mu(x)`` with the frame ``F`` carried along by
        parallel transport, a mean step ``mu' = F e_j`` changes ``c`` by
        ``J[:, j] = F^T M (dLog/dmu F e_j + Gamma(F e_j, v))``, and
        differentiating ``Exp_mu(Log_mu(x)) = x`` gives
        ``dLog/dmu = -(dExp/dv)^{-1} dExp/dmu``, both Jacobians from the
        variational equations of the geodesic flow. With
        ``mean_gradient="paper"`` this returns ``-I``, the LAND paper's
        approximation (exact for a constant metric).

        Parameters
        ----------
        base_point : array-like, shape=[D]
        frame : array-like, shape=[D, D]
            Orthonormal in the metric at ``base_point`` (unused with "paper").
        log_coords : array-like, shape=[n, D]
            Log coordinates in ``frame``.

        Returns
        -------
        ndarray, shape=[n, D, D]
            ``J[n, i, j] = d c_i / d mu_j``.

        Raises
        ------
        TypeError, ValueError
            For bad ``log_coords``, base point or frame.
        GeodesicSolverError
            If an Exp behind the exact derivative fails.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> flat = land.LearnedManifold(land.GlobalDiagonalMetric([1.0, 4.0]))
        >>> base = np.zeros(2)
        >>> np.round(flat.log_jacobian(base, flat.frame(base), np.ones((1, 2)))[0], 10) + 0.0
        array([[-1.,  0.],
               [ 0., -1.]])
        """
        coords = np.atleast_2d(check_points(log_coords, "log_coords", self.dim))
        n, dim = coords.shape
        if self.mean_gradient == "paper":
            return -np.broadcast_to(np.eye(dim), (n, dim, dim)).copy()
        base_point = self._check_base(base_point)
        frame = check_frame(self, base_point, frame)
        vecs = coords @ frame.T
        states, converged, _ = self._exp_states(base_point, vecs, variational=2)
        if not converged.all():
            raise GeodesicSolverError(f"log_jacobian: {np.count_nonzero(~converged)} of {n} Exps "
                                      "with variational equations failed")
        _, _, dz, _ = ExpIntegrator.blocks(states, dim, 2)
        dexp_dbase, dexp_dv = dz[:, :, :dim], dz[:, :, dim:]
        dlog_dbase = -np.linalg.solve(dexp_dv, dexp_dbase)                 # (n, D, D)
        m_base = self.metric.metric_diagonal(base_point)
        base_rep = np.broadcast_to(base_point, (n, dim))
        out = np.empty((n, dim, dim))
        for j in range(dim):
            direction = np.broadcast_to(frame[:, j], (n, dim))
            change = dlog_dbase @ frame[:, j] + self.christoffel(base_rep, direction, vecs)
            out[:, :, j] = (change * m_base) @ frame
        return out
