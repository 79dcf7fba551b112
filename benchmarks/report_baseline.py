"""The report's approach to learned-metric geodesics, written as the report would write it.

This is the speed baseline of the benchmarks: one :func:`scipy.integrate.solve_ivp`
call (RK45, rtol 1e-6, scipy's default atol) per Exp and one
:func:`scipy.integrate.solve_bvp` call (tol 1e-4, straight-line start, 11
nodes) per Log, with the LAND metric evaluated by direct numpy sums over the
data and the geodesic equation written with Christoffel symbols, as report
section 2 describes it. Nothing here is tuned; it is what a straightforward
implementation looks like.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_bvp, solve_ivp

__all__ = ["ReportMetric", "report_exp", "report_log"]


class ReportMetric:
    """The diagonal LAND metric by direct sums: ``M_dd(x) = 1 / (sum_n w_n (x_nd - x_d)^2 + rho)``."""

    def __init__(self, data, kernel_width: float, rho: float):
        self.data = np.asarray(data, dtype=float)
        self.sigma = float(kernel_width)
        self.rho = float(rho)

    def diagonal_and_derivative(self, x):
        """``M_dd(x)`` and ``dM_dd/dx_j`` (shape ``(D, D)``)."""
        diff = self.data - x
        w = np.exp(-np.sum(diff**2, axis=1) / (2 * self.sigma**2))
        local_var = np.sum(w[:, None] * diff**2, axis=0) + self.rho
        diagonal = 1.0 / local_var
        d_var = (np.einsum("n,nj,nd->dj", w, diff, diff**2) / self.sigma**2
                 - 2.0 * np.diag(np.sum(w[:, None] * diff, axis=0)))
        return diagonal, -(diagonal**2)[:, None] * d_var

    def christoffel(self, x):
        """``Gamma[k, i, j] = 1/2 M^kk (d_i M_kj + d_j M_ki - d_k M_ij)`` for the diagonal metric."""
        diagonal, deriv = self.diagonal_and_derivative(x)
        dim = diagonal.size
        d_metric = np.zeros((dim, dim, dim))              # d_metric[a, b, c] = d M_ab / d x_c
        d_metric[np.arange(dim), np.arange(dim), :] = deriv
        gamma = 0.5 * (np.einsum("kji->kij", d_metric) + d_metric - np.einsum("ijk->kij", d_metric))
        return gamma / diagonal[:, None, None]

    def acceleration(self, x, v):
        """``x'' = -Gamma(x)(v, v)``."""
        return -np.einsum("kij,i,j->k", self.christoffel(x), v, v)


def report_exp(metric: ReportMetric, base_point, tangent_vecs):
    """Exp by one ``solve_ivp(method="RK45", rtol=1e-6)`` per vector; returns (points, success)."""
    dim = len(base_point)

    def rhs(_, y):
        return np.concatenate([y[dim:], metric.acceleration(y[:dim], y[dim:])])

    points, success = [], []
    for vec in np.atleast_2d(tangent_vecs):
        sol = solve_ivp(rhs, (0.0, 1.0), np.concatenate([base_point, vec]), rtol=1e-6)
        points.append(sol.y[:dim, -1])
        success.append(sol.success)
    return np.array(points), np.array(success)


def report_log(metric: ReportMetric, base_point, points):
    """Log by one ``solve_bvp(tol=1e-4)`` per point from the straight line; returns (velocities, success)."""
    dim = len(base_point)
    mesh = np.linspace(0.0, 1.0, 11)

    def fun(_, y):
        acc = np.stack([metric.acceleration(y[:dim, i], y[dim:, i]) for i in range(y.shape[1])], axis=1)
        return np.vstack([y[dim:], acc])

    velocities, success = [], []
    for target in np.atleast_2d(points):
        chord = target - base_point
        guess = np.vstack([base_point[:, None] + mesh * chord[:, None],
                           np.repeat(chord[:, None], mesh.size, axis=1)])
        sol = solve_bvp(fun, lambda ya, yb, target=target: np.concatenate(
            [ya[:dim] - base_point, yb[:dim] - target]), mesh, guess, tol=1e-4)
        velocities.append(sol.y[dim:, 0])
        success.append(sol.success)
    return np.array(velocities), np.array(success)
