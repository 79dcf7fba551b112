"""The Log cascade: cheap solvers first, each later stage only on what the earlier ones left.

Stages, in their default order:

``"warm"``
    Newton shooting from given initial velocities (a fit's previous Logs).
``"chord"``
    Newton shooting from the straight line ``x - mu``.
``"graph"``
    Newton shooting along the shortest path through the data's neighbour graph.
``"continuation"``
    Shooting to points along that path, one after another, then to the target.
``"collocation"``
    ``solve_bvp`` started on that path, polished by shooting.

A point leaves the cascade as soon as it has a converged geodesic that is
no longer than its graph bound (the metric length of its shortest graph
path, see :mod:`land.numerics.starts`): a geodesic at most that long is
accepted without trying other starts. A converged geodesic longer than the
bound is kept but not accepted, and the later stages run for that point
too; of all converged geodesics found, the shortest is returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from land._validation import check_nonnegative
from land.numerics.collocation import Collocation
from land.numerics.continuation import Continuation
from land.numerics.integrator import ExpIntegrator, StandardMetric
from land.numerics.shooting import NewtonShooting
from land.numerics.starts import NeighbourGraph, chord_starts, graph_starts

__all__ = ["LogCascade", "LogSolution", "STAGES"]

#: The stages a :class:`LogCascade` can run, in their default order.
STAGES = ("warm", "chord", "graph", "continuation", "collocation")
#: Targets farther than this from the base point (standardised units) are not shot at: the
#: integrator's squared velocities would overflow. They are returned failed, with status
#: ``"out of range"``.
MAX_REACH = 1e100


@dataclass(frozen=True)
class LogSolution:
    """What a :class:`LogCascade` found (standardised units).

    Attributes
    ----------
    velocity : ndarray, shape=[n, D]
        The shortest converged geodesic's initial velocity, else the best
        iterate (smallest residual).
    residual : ndarray, shape=[n]
    converged : ndarray of bool, shape=[n]
    stage : ndarray of str, shape=[n]
        The stage that found the returned velocity (``"failed"`` if none converged).
    status : ndarray of str, shape=[n]
        The returned shot's outcome (see ``land.numerics._kernels.STATUS``).
    n_shots, n_newton, n_rhs : ndarray of int, shape=[n]
        Shots, Newton steps and right-hand-side evaluations spent on each point.
    bound : ndarray, shape=[n]
        Graph bound on each distance (inf where none was computed).
    length : ndarray, shape=[n]
        Metric length of each returned velocity (inf where not converged).
    stage_counts : dict
        ``{stage: {"points": tried, "converged": solved}}`` for each stage run.

    Examples
    --------
    See :class:`LogCascade`.
    """

    velocity: np.ndarray
    residual: np.ndarray
    converged: np.ndarray
    stage: np.ndarray
    status: np.ndarray
    n_shots: np.ndarray
    n_newton: np.ndarray
    n_rhs: np.ndarray
    bound: np.ndarray
    length: np.ndarray
    stage_counts: dict = field(default_factory=dict)

    @property
    def n_longer_than_bound(self) -> int:
        """Converged Logs longer than their graph bound (with the cascade's slack)."""
        return int(np.count_nonzero(self.converged & (self.length > self.bound)))


class LogCascade:
    """Log maps by a chain of solvers, each stage run only on the points still unsolved.

    Parameters
    ----------
    shooting : NewtonShooting, optional
        The Newton solver of every shooting stage.
    stages : sequence of str
        Which of :data:`STAGES` to run, in order (``"warm"`` runs only when
        initial velocities are given).
    continuation : Continuation, optional
    collocation : Collocation, optional
    bound_slack : float
        A geodesic is accepted when its length is at most ``1 + bound_slack``
        times the graph bound (the bound is itself a quadrature).
    check_shortest : bool
        Compare converged geodesics with the graph bound (when the metric has
        data). Without it the first converged geodesic is accepted.
    warm_skip : sequence of str
        Stages skipped in a call with warm starts. A warm call is a fit's
        next iteration: a point that fails there is counted and left out of
        that iteration, and the slowest last resort (collocation, seconds a
        point) runs only in cold calls.

    Raises
    ------
    ValueError
        For an unknown or repeated stage, or a negative ``bound_slack``.

    Examples
    --------
    >>> import numpy as np
    >>> from land.numerics import ExpIntegrator, LogCascade, StandardMetric
    >>> flat = StandardMetric(np.zeros((2, 0)), 0.0, 1, np.array([1.0, 4.0]))
    >>> solution = LogCascade().solve(flat, ExpIntegrator(), np.zeros(2), np.array([[1.0, 2.0]]))
    >>> solution.stage.tolist(), np.round(solution.velocity, 8).tolist()
    (['chord'], [[1.0, 2.0]])
    >>> solution.stage_counts["chord"]
    {'points': 1, 'converged': 1}
    """

    def __init__(self, shooting: NewtonShooting | None = None, stages=STAGES, *,
                 continuation: Continuation | None = None,
                 collocation: Collocation | None = None, bound_slack: float = 0.05,
                 check_shortest: bool = True, warm_skip=("collocation",)):
        if isinstance(stages, str) or not len(stages) or len(set(stages)) != len(stages) \
                or not set(stages) <= set(STAGES):
            raise ValueError(f"stages: expected distinct names from {STAGES}, got {stages!r}")
        self.shooting = NewtonShooting() if shooting is None else shooting
        self.stages = tuple(stages)
        self.continuation = Continuation() if continuation is None else continuation
        self.collocation = Collocation() if collocation is None else collocation
        self.bound_slack = check_nonnegative(bound_slack, "bound_slack")
        self.check_shortest = bool(check_shortest)
        if isinstance(warm_skip, str) or not set(warm_skip) <= set(STAGES):
            raise ValueError(f"warm_skip: expected names from {STAGES}, got {warm_skip!r}")
        self.warm_skip = tuple(warm_skip)

    def __repr__(self) -> str:
        return f"LogCascade({self.shooting!r}, stages={self.stages})"

    def solve(self, metric: StandardMetric, integrator: ExpIntegrator, base_point, targets,
              warm=None, graph: NeighbourGraph | None = None) -> LogSolution:
        """Solve ``Log_base(target)`` for each target.

        Parameters
        ----------
        metric : StandardMetric
        integrator : ExpIntegrator
        base_point : ndarray, shape=[D]
        targets : ndarray, shape=[n, D]
        warm : ndarray, shape=[n, D], optional
            Warm-start velocities (rows with non-finite entries are skipped).
        graph : NeighbourGraph, optional
            Needed by the graph bound, the graph start, continuation and the
            path-started collocation; without it those use the chord.

        Returns
        -------
        LogSolution

        Examples
        --------
        See :class:`LogCascade`.
        """
        base_point = np.asarray(base_point, dtype=float)
        targets = np.atleast_2d(np.asarray(targets, dtype=float))
        with np.errstate(over="ignore", invalid="ignore"):
            reach = np.sqrt(np.sum((targets - base_point) ** 2, axis=1))
        far = ~(reach <= MAX_REACH)
        if far.any():
            return self._split_far(metric, integrator, base_point, targets, warm, graph, far)
        n, dim = targets.shape
        m_base = metric.diagonal(base_point[None])[0]
        velocity = np.zeros((n, dim))
        residual = np.full(n, np.inf)
        length = np.full(n, np.inf)
        converged = np.zeros(n, bool)
        stage = np.full(n, "failed", dtype=object)
        status = np.full(n, "not tried", dtype=object)
        n_shots = np.zeros(n, np.int64)
        n_newton = np.zeros(n, np.int64)
        n_rhs = np.zeros(n, np.int64)
        counts = {}
        check = self.check_shortest and graph is not None
        cache = {}

        def paths():
            if "paths" not in cache:
                cache["paths"] = graph.paths_from(base_point, targets) if graph is not None else None
            return cache["paths"]

        def bound():
            return paths().bound if check else np.full(n, np.inf)

        def accepted():
            if not check:
                return converged.copy()
            return converged & (length <= (1.0 + self.bound_slack) * bound())

        def keep(rows, vel, res, ok, name, shot_status=None, newton=None, rhs=None):
            counts[name] = {"points": int(rows.size), "converged": int(np.count_nonzero(ok))}
            if newton is not None:
                n_shots[rows] += 1
                n_newton[rows] += newton
                n_rhs[rows] += rhs
            new_len = np.where(ok, np.sqrt(np.sum(m_base * vel**2, axis=1)), np.inf)
            # Shortest converged wins; without any converged, the smallest residual.
            better = np.where(converged[rows], new_len < length[rows],
                              ok | (res < residual[rows]))
            take = rows[better]
            velocity[take] = vel[better]
            residual[take] = res[better]
            length[take] = new_len[better]
            converged[take] = ok[better]
            stage[take] = np.where(ok[better], name, "failed")
            if shot_status is not None:
                status[take] = [_status_name(s) for s in shot_status[better]]

        def shoot(rows, starts, name):
            good = np.isfinite(starts).all(axis=1)
            rows, starts = rows[good], starts[good]
            if not rows.size:
                return
            shots = self.shooting.shoot(metric, integrator, base_point, targets[rows], starts)
            keep(rows, shots.velocity, shots.residual, shots.converged, name, shots.status,
                 shots.n_newton, shots.n_rhs)

        for name in self.stages:
            if warm is not None and name in self.warm_skip:
                continue
            if name == "warm":
                if warm is None:
                    continue
                shoot(np.arange(n), np.asarray(warm, dtype=float), name)
                continue
            rows = np.flatnonzero(~accepted())
            if not rows.size:
                break
            if name == "chord":
                shoot(rows, chord_starts(base_point, targets[rows]), name)
            elif name == "graph":
                if graph is None:
                    continue
                shoot(rows, graph_starts(base_point, paths().paths(rows)), name)
            elif name == "continuation":
                if graph is None:
                    continue
                vel, res = self.continuation.solve(metric, integrator, self.shooting, base_point,
                                                   targets[rows], paths().paths(rows))
                ok = res < self.shooting.tol
                keep(rows, vel, np.where(ok, res, np.maximum(res, self.shooting.tol)), ok, name)
                status[rows[ok & (stage[rows] == name)]] = "converged"
            elif name == "collocation":
                rows = rows[~converged[rows]]
                if not rows.size:
                    continue
                meshes = paths().paths(rows) if graph is not None else [None] * rows.size
                starts = self.collocation.starts(metric, base_point, targets[rows], meshes)
                counts["collocation"] = {"points": int(rows.size)}
                shoot(rows, starts, "collocation")
                counts["collocation"]["points"] = int(rows.size)
        return LogSolution(velocity, np.where(converged, residual, np.maximum(residual,
                                                                               self.shooting.tol)),
                           converged, stage, status, n_shots, n_newton, n_rhs,
                           bound() if check and "paths" in cache else np.full(n, np.inf),
                           length, counts)


    def _split_far(self, metric, integrator, base_point, targets, warm, graph, far):
        """:meth:`solve` on the targets within ``MAX_REACH``; the others fail unshot."""
        n, dim = targets.shape
        near = np.flatnonzero(~far)
        velocity, residual = np.zeros((n, dim)), np.full(n, np.inf)
        converged = np.zeros(n, bool)
        stage = np.full(n, "failed", dtype=object)
        status = np.full(n, "out of range", dtype=object)
        counters = [np.zeros(n, np.int64) for _ in range(3)]
        bound, length = np.full(n, np.inf), np.full(n, np.inf)
        counts = {}
        if near.size:
            sub = self.solve(metric, integrator, base_point, targets[near],
                             None if warm is None else np.asarray(warm, dtype=float)[near], graph)
            velocity[near], residual[near], converged[near] = sub.velocity, sub.residual, sub.converged
            stage[near], status[near] = sub.stage, sub.status
            for counter, values in zip(counters, (sub.n_shots, sub.n_newton, sub.n_rhs)):
                counter[near] = values
            bound[near], length[near], counts = sub.bound, sub.length, sub.stage_counts
        return LogSolution(velocity, residual, converged, stage, status, *counters, bound, length,
                           counts)


def _status_name(code) -> str:
    from land.numerics._kernels import STATUS
    return STATUS[int(code)]
