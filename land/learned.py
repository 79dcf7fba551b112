"""A Riemannian manifold R^D whose metric is learned from data.

Exp integrates the geodesic ODE of a diagonal metric; Log solves the two-point
boundary value problem. Both work on whole batches: Exp with a vectorised
Dormand-Prince integrator that controls each geodesic's error separately, Log
by Newton shooting on the batch (Jacobians by finite differences of the
batched Exp). Logs that shooting cannot solve are retried one by one with
:func:`scipy.integrate.solve_bvp` followed by shooting. Every solve reports
whether it converged and how far off it is.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from land._dopri import METHODS, integrate_batch
from land._validation import check_points, check_positive, check_positive_int
from land.geodesic import GeodesicResult, GeodesicSolverError
from land.metric import LocalDiagonalMetric

__all__ = ["LearnedManifold"]


class LearnedManifold:
    """R^D with the metric ``metric`` (e.g. :class:`~land.LocalDiagonalMetric`).

    Parameters
    ----------
    metric : LocalDiagonalMetric
        Anything with ``dim`` and ``metric_and_jacobian(points)`` returning
        the metric diagonal ``(n, D)`` and its Jacobian ``(n, D, D)``.
    rtol, atol : float
        Tolerances of the batched Exp integrator. The defaults keep end
        points well within 1e-5 of a DOP853 solve at rtol 1e-12 (median error
        ~3e-8, max ~1e-6 on the report's data, N = 1000, kernel width 0.15;
        more accurate than the report's solve_ivp RK45 at rtol 1e-6; see
        ``benchmarks/geodesics.py``).
    method : {"DOP853", "RK45"}
        Runge-Kutta pair of the batched integrator. The 8th-order DOP853
        takes about 40 % fewer metric evaluations than RK45 at this accuracy.
    bvp_tol : float
        Tolerance handed to ``solve_bvp`` when a Log is retried with it.
    log_tol : float
        A Log counts as converged only if ``|Exp(base, Log(base, x)) - x|``
        is below this (Euclidean) tolerance, measured with the integrator
        above; Newton shooting runs until it is.
    max_newton : int
        Most Newton shooting steps per Log attempt.

    Notes
    -----
    For a diagonal metric ``M = diag(m)`` the geodesic equation reads
    ``x'' = (J^T (x' * x') / 2 - x' * (J x')) / m`` with ``J = dm/dx``.
    """

    def __init__(self, metric: LocalDiagonalMetric, *, rtol: float = 1e-6, atol: float = 1e-8,
                 bvp_tol: float = 1e-6, log_tol: float = 1e-7, max_newton: int = 20,
                 method: str = "DOP853"):
        if not hasattr(metric, "metric_and_jacobian"):
            raise TypeError(f"metric: expected a LocalDiagonalMetric, got {type(metric).__name__}")
        self.metric = metric
        self.dim = self.ambient_dim = metric.dim
        self.rtol = check_positive(rtol, "rtol")
        self.atol = check_positive(atol, "atol")
        self.bvp_tol = check_positive(bvp_tol, "bvp_tol")
        self.log_tol = check_positive(log_tol, "log_tol")
        self.max_newton = check_positive_int(max_newton, "max_newton")
        if method not in METHODS:
            raise ValueError(f"method: expected one of {sorted(METHODS)}, got {method!r}")
        self.method = method

    def __repr__(self) -> str:
        return f"LearnedManifold({self.metric!r})"

    # ------------------------------------------------------------------ checks
    def check_points(self, points, name: str = "points") -> np.ndarray:
        """Return ``points`` as a finite array of shape ``(D,)`` or ``(n, D)``."""
        return check_points(points, name, self.dim)

    # -------------------------------------------------------------- the ODEs
    def geodesic_acceleration(self, points, velocities) -> np.ndarray:
        """``x''`` of the geodesic through ``points`` with ``velocities``, batched ``(n, D)``."""
        diagonal, jac = self.metric.metric_and_jacobian(points)
        jv = np.einsum("...dj,...j->...d", jac, velocities)
        half_grad = 0.5 * np.einsum("...kd,...k->...d", jac, velocities * velocities)
        return (half_grad - velocities * jv) / diagonal

    def christoffel(self, points, vec_u, vec_w) -> np.ndarray:
        """``Gamma(u, w)^d = (w_d (J u)_d + u_d (J w)_d - (J^T (u * w))_d) / (2 m_d)``, batched."""
        diagonal, jac = self.metric.metric_and_jacobian(points)
        ju = np.einsum("...dj,...j->...d", jac, vec_u)
        jw = np.einsum("...dj,...j->...d", jac, vec_w)
        cross = np.einsum("...kd,...k->...d", jac, vec_u * vec_w)
        return (vec_w * ju + vec_u * jw - cross) / (2.0 * diagonal)

    def _integrate(self, base_point, tangent_vec, frame=None):
        """Integrate one geodesic over t in [0, 1], optionally transporting ``frame`` (D, k)."""
        dim = self.dim
        n_frame = 0 if frame is None else frame.shape[1]

        def rhs(_, state):
            x, v = state[:dim], state[dim:2 * dim]
            out = np.empty_like(state)
            out[:dim] = v
            out[dim:2 * dim] = self.geodesic_acceleration(x, v)
            if n_frame:
                cols = state[2 * dim:].reshape(n_frame, dim)
                out[2 * dim:] = -self.christoffel(np.broadcast_to(x, cols.shape),
                                                  np.broadcast_to(v, cols.shape), cols).ravel()
            return out

        start = np.concatenate([base_point, tangent_vec] + ([frame.T.ravel()] if n_frame else []))
        # One geodesic (a mean step of a fit): tight tolerances cost next to nothing.
        sol = solve_ivp(rhs, (0.0, 1.0), start, method="DOP853", rtol=1e-10, atol=1e-12)
        end = sol.y[:, -1]
        transported = end[2 * dim:].reshape(n_frame, dim).T if n_frame else None
        return end[:dim], transported, bool(sol.success)

    # ---------------------------------------------------------------- geometry
    def _exp_batch(self, base_points, vecs, loosen=1.0):
        """Batched Exp from per-geodesic base points ``(B, D)``; returns (ends, success).

        ``loosen`` (a number, or one per geodesic) scales both tolerances: Log takes its early Newton steps at
        100 times looser tolerances and verifies its answers at 10 times
        tighter ones, so that a converged Log's residual holds against an
        accurate reference too, not only against this integrator.
        """
        dim = self.dim

        def rhs(state):
            x, v = state[:, :dim], state[:, dim:]
            return np.concatenate([v, self.geodesic_acceleration(x, v)], axis=1)

        start = np.concatenate([np.broadcast_to(base_points, vecs.shape), vecs], axis=1)
        end, success, _ = integrate_batch(rhs, start, rtol=self.rtol * loosen,
                                          atol=self.atol * loosen, method=self.method)
        return end[:, :dim], success

    def solve_exp(self, base_point, tangent_vecs) -> GeodesicResult:
        """Exp for each tangent vector by integrating the geodesic ODE (all at once).

        ``residual`` is 0 for converged solves (the integrator's error control
        holds each end point to ``rtol``/``atol``) and inf for failed ones.
        """
        base_point = self.check_points(base_point, "base_point")
        vecs = self.check_points(tangent_vecs, "tangent_vecs")
        flat = np.atleast_2d(vecs)
        ends, converged = self._exp_batch(base_point, flat)
        residual = np.where(converged, 0.0, np.inf)
        if vecs.ndim == 1:
            return GeodesicResult(ends[0], converged[0], residual[0])
        return GeodesicResult(ends, converged, residual)

    def exp(self, base_point, tangent_vecs) -> np.ndarray:
        """Exponential map; raises :class:`~land.GeodesicSolverError` if a solve fails."""
        return self.solve_exp(base_point, tangent_vecs).unwrap("exp")

    def _shoot_batch(self, base_point, targets, velocities):
        """Damped Newton shooting on ``Exp(base, v) = target`` for a whole batch.

        Every geodesic advances by one action per round, and all of a round's
        integrations run in ONE batched Exp call (each geodesic with its own
        tolerance), so the number of sequential integrator calls is the
        number of rounds, not rounds times geodesics. A geodesic's actions:

        * evaluate its current velocity (at the start, and again at full
          accuracy once it reaches the coarse tolerance);
        * differentiate: ``D`` forward-difference probes give ``d Exp / d v``;
        * try a Newton step (halved up to six times while it does not reduce
          the residual).

        The Jacobian is reused while each step cuts the residual at least
        fourfold, and recomputed otherwise. Work starts at coarse tolerances
        (100 times looser) down to a residual of ``1e3 * log_tol``, then
        continues at 10 times tighter ones down to ``log_tol``, so a converged
        Log's residual also holds against an accurate reference. A geodesic
        stops when it converges, when a fresh Jacobian cannot reduce its
        residual, or after ``3 * max_newton`` rounds.
        Returns (velocities, residuals); residuals of converged geodesics are
        measured at full accuracy.
        """
        dim = self.dim
        n_batch = len(velocities)
        loosen_at = np.array([100.0, 0.1])          # level 0: coarse, level 1: fine
        tol_at = np.array([1e3 * self.log_tol, self.log_tol])
        fd_at = np.array([1e-4, 1e-6])
        vel = np.array(velocities, dtype=float, copy=True)
        level = np.zeros(n_batch, int)
        residual = np.full(n_batch, np.inf)
        end = np.zeros_like(vel)
        evaluated = np.zeros(n_batch, bool)
        jac = np.full((n_batch, dim, dim), np.nan)
        fresh = np.zeros(n_batch, bool)
        direction = np.zeros_like(vel)
        scale = np.ones(n_batch)
        active = np.ones(n_batch, bool)

        def aim(rows):
            """Newton direction from the stored Jacobians; geodesics without a usable one get none."""
            usable = np.isfinite(jac[rows]).all(axis=(1, 2))
            usable[usable] = np.abs(np.linalg.det(jac[rows[usable]])) > 1e-300
            good = rows[usable]
            direction[good] = np.linalg.solve(jac[good], (targets[good] - end[good])[..., None])[..., 0]
            scale[good] = 1.0
            return rows[~usable]

        for _ in range(3 * self.max_newton):
            rows = np.flatnonzero(active)
            if rows.size == 0:
                break
            to_eval = rows[~evaluated[rows]]
            ready = rows[evaluated[rows]]
            to_diff = ready[np.isnan(jac[ready]).any(axis=(1, 2))]
            to_try = np.setdiff1d(ready, to_diff, assume_unique=True)
            trial = vel[to_try] + scale[to_try, None] * direction[to_try]
            step_fd = fd_at[level[to_diff]] * np.maximum(1.0, np.linalg.norm(vel[to_diff], axis=1))
            probes = (vel[to_diff][:, None, :] + step_fd[:, None, None] * np.eye(dim)).reshape(-1, dim)
            loosen = np.concatenate([loosen_at[level[to_eval]], loosen_at[level[to_try]],
                                     np.repeat(loosen_at[level[to_diff]], dim)])
            ends, ok = self._exp_batch(base_point, np.concatenate([vel[to_eval], trial, probes]),
                                       loosen)
            n_eval, n_try = to_eval.size, to_try.size
            gaps = np.where(ok, np.linalg.norm(ends - np.concatenate(
                [targets[to_eval], targets[to_try], np.repeat(targets[to_diff], dim, axis=0)]), axis=1), np.inf)

            # Evaluations: record, and aim with the Jacobian we may already have.
            residual[to_eval], end[to_eval] = gaps[:n_eval], ends[:n_eval]
            evaluated[to_eval] = True
            active[to_eval[~np.isfinite(gaps[:n_eval])]] = False
            updated = [to_eval]
            aim(to_eval[np.isfinite(jac[to_eval]).all(axis=(1, 2))])

            # Probes: a fresh Jacobian, then a full Newton step next round.
            if to_diff.size:
                probe_ends = ends[n_eval + n_try:].reshape(-1, dim, dim)
                probe_ok = ok[n_eval + n_try:].reshape(-1, dim).all(axis=1)
                new_jac = np.swapaxes((probe_ends - end[to_diff][:, None, :]) / step_fd[:, None, None], 1, 2)
                new_jac[~probe_ok] = np.nan
                jac[to_diff], fresh[to_diff] = new_jac, True
                active[aim(to_diff)] = False

            # Trials: accept if the residual drops; keep the Jacobian if it dropped fourfold.
            if to_try.size:
                trial_gap = gaps[n_eval:n_eval + n_try]
                better = trial_gap < residual[to_try]
                taken = to_try[better]
                ratio = trial_gap[better] / residual[taken]
                vel[taken], residual[taken], end[taken] = trial[better], trial_gap[better], ends[n_eval:n_eval + n_try][better]
                fresh[taken] = False
                jac[taken[ratio > 0.25]] = np.nan
                aim(taken[ratio <= 0.25])
                updated.append(taken)
                missed = to_try[~better]
                scale[missed] *= 0.5
                exhausted = missed[scale[missed] < 1.0 / 64]
                active[exhausted[fresh[exhausted]]] = False     # a fresh Jacobian that cannot help
                jac[exhausted[~fresh[exhausted]]] = np.nan      # a stale one: refresh it

            # Level changes: coarse -> fine (re-evaluate there), fine -> done.
            changed = np.concatenate(updated)
            changed = changed[active[changed] & (residual[changed] < tol_at[level[changed]])]
            done = changed[level[changed] == 1]
            active[done] = False
            promote = changed[level[changed] == 0]
            level[promote], evaluated[promote] = 1, False
        # Anything that never reached the fine level has no full-accuracy residual below tol.
        return vel, np.where(level == 1, residual, np.maximum(residual, tol_at[0]))

    def _bvp_starts(self, base_point, targets, paths):
        """Initial velocities from ``solve_bvp``, one point at a time (NaN rows where it fails).

        Collocation starts from the point's graph path when there is one (a
        far better guess than the straight line when the data are curved).
        """
        from land.reference import scipy_log  # the report's solver, shared with the benchmark

        starts = np.full_like(targets, np.nan)
        for i, target in enumerate(targets):
            guess = None if paths is None or paths[i] is None else paths[i][None]
            velocities, success = scipy_log(self, base_point, target[None, :], tol=self.bvp_tol,
                                            initial_paths=guess)
            if success[0]:
                starts[i] = velocities[0]
        return starts

    def _graph_paths(self, base_point, targets, n_nodes: int = 11, n_neighbours: int = 10):
        """Shortest paths from ``base_point`` to each target through a k-NN graph of the data.

        Geodesics of the learned metric stay near the data, so the straight
        chord is a poor first guess when the data are curved (it cuts through
        empty space where the metric is ``1/rho``); an Isomap-style path
        through the data is a far better one. Each path is resampled at
        ``n_nodes`` points equally spaced in arc length, shape
        ``(n_nodes, D)``; None where the graph has no path, and None overall
        when the metric has no data (e.g. a global one).
        """
        data = getattr(self.metric, "data", None)
        if data is None or data.shape[0] < 2:
            return None
        k = min(n_neighbours, data.shape[0] - 1)
        if getattr(self, "_graph", None) is None:
            tree = cKDTree(data)
            dist, idx = tree.query(data, k + 1)
            rows = np.repeat(np.arange(data.shape[0]), k)
            graph = csr_matrix((dist[:, 1:].ravel(), (rows, idx[:, 1:].ravel())),
                               shape=(data.shape[0],) * 2)
            self._graph = (tree, graph.maximum(graph.T))
        tree, graph = self._graph
        n_data = data.shape[0]
        # Add the base point as node n_data, joined to its nearest data points.
        base_dist, base_idx = tree.query(base_point, k)
        extra = csr_matrix((base_dist, (np.full(k, n_data), base_idx)), shape=(n_data + 1,) * 2)
        full = csr_matrix((graph.data, graph.indices, graph.indptr), shape=(n_data, n_data))
        full.resize((n_data + 1, n_data + 1))
        full = full + extra + extra.T
        path_len, pred = dijkstra(full, indices=n_data, return_predecessors=True)
        tgt_dist, tgt_idx = tree.query(targets, k)
        total = path_len[tgt_idx] + tgt_dist
        best = np.argmin(total, axis=1)
        last = tgt_idx[np.arange(len(targets)), best]
        length = total[np.arange(len(targets)), best]
        paths = [None] * len(targets)
        for i in np.flatnonzero(np.isfinite(length)):
            nodes = [targets[i]]
            node = last[i]
            while node != n_data and node >= 0:
                nodes.append(data[node])
                node = pred[node]
            nodes.append(base_point)
            path = np.array(nodes[::-1])
            arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
            if arc[-1] <= 0:
                continue
            where = np.linspace(0.0, arc[-1], n_nodes)
            paths[i] = np.stack([np.interp(where, arc, path[:, d]) for d in range(path.shape[1])], axis=1)
        return paths

    def _graph_starts(self, base_point, targets, paths):
        """Initial velocities along the graph paths (the chord where there is none).

        We aim at the path point a third of the way along (past the first,
        noisiest hop) and give the velocity the path's length.
        """
        starts = targets - base_point
        for i, path in enumerate(paths):
            if path is None:
                continue
            arc = np.sum(np.linalg.norm(np.diff(path, axis=0), axis=1))
            direction = path[(len(path) - 1) // 3] - base_point
            norm = np.linalg.norm(direction)
            if norm > 0:
                starts[i] = direction / norm * arc
        return starts

    def solve_log(self, base_point, points, *, initial_velocities=None) -> GeodesicResult:
        """Log for each point by batched Newton shooting.

        Shooting starts from ``initial_velocities`` when given (a warm start,
        e.g. the previous iteration's Logs), else from a shortest path through
        a neighbour graph of the data (see :meth:`_graph_paths`). Points it
        does not solve are retried from the straight chord, then with
        ``solve_bvp`` started on the graph path, followed by shooting. A Log is reported converged only
        when ``|Exp(base, v) - x|`` is below ``log_tol``; otherwise ``value``
        holds the best iterate, ``converged`` is False and ``residual`` says
        how far off it is.
        """
        base_point = self.check_points(base_point, "base_point")
        targets = self.check_points(points, "points")
        flat = np.atleast_2d(targets)
        chords = flat - base_point
        paths = None
        if initial_velocities is not None:
            starts = np.atleast_2d(self.check_points(initial_velocities, "initial_velocities"))
            if starts.shape != flat.shape:
                raise ValueError(f"initial_velocities: expected shape {flat.shape}, got {starts.shape}")
        else:
            paths = self._graph_paths(base_point, flat)
            starts = chords if paths is None else self._graph_starts(base_point, flat, paths)
        velocities, residuals = self._shoot_batch(base_point, flat, starts)
        retry = np.flatnonzero(~(residuals < self.log_tol))
        if retry.size:
            if paths is None:
                paths = self._graph_paths(base_point, flat[retry])
            else:
                paths = [paths[i] for i in retry]
            starts = self._bvp_starts(base_point, flat[retry], paths)
            solved = np.isfinite(starts).all(axis=1)
            if solved.any():
                rows = retry[solved]
                vel, res = self._shoot_batch(base_point, flat[rows], starts[solved])
                better = res < residuals[rows]
                velocities[rows[better]], residuals[rows[better]] = vel[better], res[better]
        converged = residuals < self.log_tol
        if targets.ndim == 1:
            return GeodesicResult(velocities[0], converged[0], residuals[0])
        return GeodesicResult(velocities, converged, residuals)

    def log(self, base_point, points) -> np.ndarray:
        """Logarithm map; raises :class:`~land.GeodesicSolverError` if a solve fails."""
        return self.solve_log(base_point, points).unwrap("log")

    def dist(self, base_point, points) -> np.ndarray:
        """Geodesic distance ``sqrt(v^T M(base) v)`` with ``v = Log(base, x)``."""
        base_point = self.check_points(base_point, "base_point")
        vecs = self.log(base_point, points)
        return np.sqrt(np.einsum("...d,d,...d->...", vecs, self.metric.metric_diagonal(base_point), vecs))

    def frame(self, base_point) -> np.ndarray:
        """Orthonormal frame of the metric at ``base_point``: ``diag(M^{-1/2})``, shape (D, D)."""
        base_point = self.check_points(base_point, "base_point")
        return np.diag(1.0 / np.sqrt(self.metric.metric_diagonal(base_point)))

    def coordinates(self, base_point, frame, tangent_vecs) -> np.ndarray:
        """Coordinates ``F^T M v`` of tangent vectors in an M-orthonormal ``frame`` F."""
        diagonal = self.metric.metric_diagonal(base_point)
        return np.asarray(tangent_vecs) @ (diagonal[:, None] * frame)

    def transport_frame(self, base_point, tangent_vec, frame) -> np.ndarray:
        """Parallel transport of ``frame`` (D, k) along the geodesic with initial velocity ``tangent_vec``.

        The transported frame is re-orthonormalised (Cholesky) in the metric at
        ``exp(base_point, tangent_vec)``, which removes the integrator's small
        drift and makes the frame orthonormal exactly where a fit moves its mean.
        """
        base_point = self.check_points(base_point, "base_point")
        vec = self.check_points(tangent_vec, "tangent_vec")
        _, moved, ok = self._integrate(base_point, vec, np.asarray(frame, dtype=float))
        if not ok:
            raise GeodesicSolverError("transport_frame: the geodesic ODE solve failed")
        # Orthonormalise at the end point that exp() returns, the point callers move to.
        end = self.exp(base_point, vec)
        gram = moved.T @ (self.metric.metric_diagonal(end)[:, None] * moved)
        return moved @ np.linalg.inv(np.linalg.cholesky(gram)).T

    # ------------------------------------------------------------ the density
    def solve_volume_density(self, base_point, frame, tangent_coords) -> GeodesicResult:
        """The LAND paper's volume term ``m = sqrt(|M(Exp(v))| / |M(base)|)``.

        The paper takes the Riemannian measure at ``Exp_mu(v)`` relative to
        the tangent coordinates and leaves out the Jacobian of Exp; we follow
        it here (the division by ``|M(base)|`` converts from Euclidean to
        orthonormal tangent coordinates and makes ``m = 1`` at ``v = 0``).
        """
        coords = np.atleast_2d(np.asarray(tangent_coords, dtype=float))
        ends = self.solve_exp(base_point, coords @ np.asarray(frame).T)
        log_det = np.sum(np.log(self.metric.metric_diagonal(np.atleast_2d(ends.value))), axis=-1)
        log_det_base = np.sum(np.log(self.metric.metric_diagonal(base_point)))
        values = np.where(ends.converged, np.exp(0.5 * (log_det - log_det_base)), 0.0)
        return GeodesicResult(values, ends.converged, ends.residual)

    def log_jacobian(self, base_point, frame, log_coords) -> np.ndarray:
        """Derivative of Log coordinates with respect to the base point: ``-I``.

        This is the LAND paper's approximation (exact for a flat metric); the
        sphere implements the exact derivative.
        """
        n = np.atleast_2d(log_coords).shape[0]
        return -np.broadcast_to(np.eye(self.dim), (n, self.dim, self.dim)).copy()
