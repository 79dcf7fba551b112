"""Compiled (numba) kernels of the learned metric and its geodesics.

Everything here works in *standardised coordinates* ``z = (x - centre) / scale``
chosen by the metric (for the LAND metric: the data mean and the kernel
width). In those coordinates the kernel weights are ``exp(-|z_n - z|^2 / 2)``
and every tolerance is relative to the metric's own length scale, which is
what makes the solvers translation and scale equivariant: shifting or
scaling the data (with the kernel width and ``rho`` scaled alike) leaves the
standardised problem unchanged.

The kernels:

* :func:`metric_terms`: the diagonal ``m(z)`` of the LAND metric, its
  Jacobian ``dm_d/dz_j`` and second derivatives ``d2m_d/dz_j dz_k``, by
  direct sums over the data (no moment expansion, so no cancellation far
  from the origin).
* :func:`_rhs`: the geodesic ODE ``z'' = a(z, z')`` and, optionally, its
  variational equations ``X' = Y, Y' = (da/dz) X + (da/dv) Y``, which give
  the exact Jacobian ``X(1) = dExp(v)/dv``.
* :func:`_dop853`: the Dormand-Prince 8(5,3) pair with scipy's error norm and
  step control, for one trajectory; :func:`exp_batch` runs many in parallel
  (``prange``), each on its own thread-independent sequence of steps, so the
  results do not depend on the number of threads.
* :func:`shoot_batch`: damped Newton shooting for Log, with the exact
  Jacobian from the variational equations.

The numpy implementation in :mod:`land.geometry.metric` and :mod:`land.geometry._dopri` is the
reference these kernels are tested against (``tests/test_engine.py`` for the metric,
``tests/test_integrator.py`` for the geodesic end points).
"""

from __future__ import annotations

import os

# OpenMP's worker threads spin for a while after each parallel region by default. On a
# two-core laptop that is already busy, the spinning threads take the cores from the
# main thread between regions: a learned fit ran 3.4 times slower (72 s against 21 s,
# measured with the book's data beside another CPU-bound process). Threads that sleep
# cost microseconds per region instead. Set before numba starts its threading layer;
# a value the user set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numba as nb  # noqa: E402
import numpy as np
from scipy.integrate._ivp import dop853_coefficients as _dop853

__all__ = ["metric_terms_batch", "exp_batch", "shoot_batch", "TABLEAU", "STATUS"]

# DOP853 coefficients, taken from scipy (the numbers behind its own DOP853).
TABLEAU = (np.ascontiguousarray(_dop853.A[:12, :12]), np.ascontiguousarray(_dop853.B),
           np.ascontiguousarray(_dop853.E3), np.ascontiguousarray(_dop853.E5))

#: Outcome codes of :func:`shoot_batch`.
STATUS = {0: "converged", 1: "iteration limit", 2: "no descent", 3: "integration failed",
          4: "singular Jacobian", 5: "stagnated"}

# A weight exp(-r^2/2) below exp(-40) ~ 4e-18 is dropped. A dropped term adds
# w r^2 sigma^2 <= 80 exp(-40) sigma^2 ~ 3.4e-16 sigma^2 to a local variance (r^2 exp(-r^2/2)
# falls beyond r^2 = 80), so N dropped terms add at most N * 3.4e-16 * sigma^2.
_EXPONENT_FLOOR = -40.0

_JIT = dict(fastmath=True, cache=True, nogil=True)


@nb.njit(inline="always", **_JIT)
def _exp_neg(x):
    """``exp(x)`` for ``-40 < x <= 0`` (0 below), as ``(exp(x / 256))^256``.

    A degree-10 Taylor polynomial on ``|x / 256| <= 0.16`` followed by eight
    squarings: relative error below 1e-14, and (unlike ``math.exp``) it
    compiles to vector instructions inside the loops over the data.
    """
    y = x * (1.0 / 256.0)
    p = 1.0 / 3628800.0
    p = p * y + 1.0 / 362880.0
    p = p * y + 1.0 / 40320.0
    p = p * y + 1.0 / 5040.0
    p = p * y + 1.0 / 720.0
    p = p * y + 1.0 / 120.0
    p = p * y + 1.0 / 24.0
    p = p * y + 1.0 / 6.0
    p = p * y + 0.5
    p = p * y + 1.0
    p = p * y + 1.0
    p = p * p
    p = p * p
    p = p * p
    p = p * p
    p = p * p
    p = p * p
    p = p * p
    p = p * p
    return p if x > _EXPONENT_FLOOR else 0.0


@nb.njit(**_JIT)
def _metric(zt, rho, kind, diag, z, order, tw, u, m, jac, hess):
    """Metric diagonal ``m`` (and derivatives up to ``order``) at one point ``z``.

    ``kind`` 0 is the LAND metric of the standardised data ``zt`` (shape
    ``(D, N)``) with regulariser ``rho``; kind 1 is the constant metric
    ``diag``. ``tw`` (``(D + 1, N)``) and ``u`` (``(D, N)``) are scratch.
    With ``t_n = z_n - z``, ``w_n = exp(-|t_n|^2 / 2)`` and
    ``S_d = sum_n w_n t_nd^2 + rho``, ``m_d = 1 / S_d`` and

        dS_d/dz_j      = sum w t_j t_d^2 - 2 delta_dj sum w t_d,
        d2S_d/dz_j dz_k = sum w t_j t_k t_d^2 - delta_jk sum w t_d^2
                         - 2 delta_dk sum w t_j t_d
                         - 2 delta_dj (sum w t_k t_d - delta_dk sum w),
        dm_d/dz_j      = -m_d^2 dS_d/dz_j,
        d2m_d/dz_j dz_k = 2 m_d^3 dS_d/dz_j dS_d/dz_k - m_d^2 d2S_d/dz_j dz_k.
    """
    dim = z.shape[0]
    if kind == 1:
        for d in range(dim):
            m[d] = diag[d]
            for j in range(dim):
                jac[d, j] = 0.0
                for k in range(dim):
                    hess[d, j, k] = 0.0
        return
    n_data = zt.shape[1]
    w = tw[dim]
    for n in range(n_data):
        w[n] = 0.0
    for d in range(dim):
        zd = z[d]
        row = tw[d]
        for n in range(n_data):
            t = zt[d, n] - zd
            row[n] = t
            w[n] += t * t
    for n in range(n_data):
        w[n] = _exp_neg(-0.5 * w[n])
    a1 = np.empty(dim)
    for d in range(dim):
        row = tw[d]
        urow = u[d]
        s1 = 0.0
        s2 = 0.0
        for n in range(n_data):
            wt = w[n] * row[n]
            ut = wt * row[n]
            urow[n] = ut
            s1 += wt
            s2 += ut
        a1[d] = s1
        m[d] = 1.0 / (s2 + rho)
    if order < 1:
        return
    for d in range(dim):
        urow = u[d]
        for j in range(dim):
            row = tw[j]
            s3 = 0.0
            for n in range(n_data):
                s3 += urow[n] * row[n]
            ds = s3 - 2.0 * a1[d] if j == d else s3
            jac[d, j] = ds                                 # dS_d/dz_j for now
    if order >= 2:
        a0 = 0.0
        for n in range(n_data):
            a0 += w[n]
        a2 = np.empty((dim, dim))
        for j in range(dim):
            rj = tw[j]
            for d in range(j, dim):
                rd = tw[d]
                s = 0.0
                for n in range(n_data):
                    s += w[n] * rj[n] * rd[n]
                a2[j, d] = s
                a2[d, j] = s
        for d in range(dim):
            urow = u[d]
            for j in range(dim):
                rj = tw[j]
                for k in range(j, dim):
                    rk = tw[k]
                    s = 0.0
                    for n in range(n_data):
                        s += urow[n] * rj[n] * rk[n]
                    if j == k:
                        s -= a2[d, d]
                    if d == k:
                        s -= 2.0 * a2[j, d]
                    if d == j:
                        s -= 2.0 * a2[k, d]
                        if d == k:
                            s += 2.0 * a0
                    md = m[d]
                    value = 2.0 * md * md * md * jac[d, j] * jac[d, k] - md * md * s
                    hess[d, j, k] = value
                    hess[d, k, j] = value
    for d in range(dim):
        md2 = m[d] * m[d]
        for j in range(dim):
            jac[d, j] = -md2 * jac[d, j]


@nb.njit(parallel=True, **_JIT)
def _metric_terms_parallel(zt, rho, kind, diag, points, order):
    n_points, dim = points.shape
    n_data = zt.shape[1]
    m = np.empty((n_points, dim))
    jac = np.zeros((n_points, dim, dim))
    hess = np.zeros((n_points, dim, dim, dim))
    for i in nb.prange(n_points):
        tw = np.empty((dim + 1, n_data))
        u = np.empty((dim, n_data))
        _metric(zt, rho, kind, diag, points[i], order, tw, u, m[i], jac[i], hess[i])
    return m, jac, hess



@nb.njit(**_JIT)
def _metric_terms_serial(zt, rho, kind, diag, points, order):
    n_points, dim = points.shape
    n_data = zt.shape[1]
    m = np.empty((n_points, dim))
    jac = np.zeros((n_points, dim, dim))
    hess = np.zeros((n_points, dim, dim, dim))
    for i in range(n_points):
        tw = np.empty((dim + 1, n_data))
        u = np.empty((dim, n_data))
        _metric(zt, rho, kind, diag, points[i], order, tw, u, m[i], jac[i], hess[i])
    return m, jac, hess



#: Below this many points a serial loop beats waking the thread pool (which costs
#: milliseconds on a loaded machine).
_PARALLEL_FROM = 64


def metric_terms_batch(zt, rho, kind, diag, points, order):
    """``m``, ``dm/dz`` and ``d2m/dz2`` at each of ``points`` (``(n, D)``), in parallel for many."""
    run = _metric_terms_parallel if points.shape[0] >= _PARALLEL_FROM else _metric_terms_serial
    return run(zt, rho, kind, diag, points, order)


@nb.njit(**_JIT)
def _rhs(zt, rho, kind, diag, y, dy, dim, var, tw, u, m, jac, hess):
    """Geodesic ODE (and variational equations when ``var`` > 0) at state ``y``.

    State: ``[z, v]`` and, with ``var``, ``X`` and ``Y`` (row-major
    ``D x ncol`` each): with ``var == 1`` the ``ncol = D`` columns are
    ``X = dz/dv0``, ``Y = dv/dv0``; with ``var == 2`` the ``ncol = 2D`` columns
    are ``d(z, v)/dz0`` followed by ``d(z, v)/dv0``, the whole flow's
    Jacobian. For a diagonal metric the acceleration is
    ``a_d = (sum_k J_kd v_k^2 / 2 - v_d (J v)_d) / m_d`` with ``J = dm/dz``.
    """
    _metric(zt, rho, kind, diag, y[:dim], 2 if var else 1, tw, u, m, jac, hess)
    acc = np.empty(dim)
    jv = np.empty(dim)
    for d in range(dim):
        s = 0.0
        g = 0.0
        for j in range(dim):
            vj = y[dim + j]
            s += jac[d, j] * vj
            g += jac[j, d] * vj * vj
        jv[d] = s
        acc[d] = (0.5 * g - y[dim + d] * s) / m[d]
        dy[d] = y[dim + d]
        dy[dim + d] = acc[d]
    if not var:
        return
    ncol = dim * var
    off_x = 2 * dim
    off_y = off_x + dim * ncol
    a_z = np.empty((dim, dim))
    a_v = np.empty((dim, dim))
    for d in range(dim):
        vd = y[dim + d]
        for i in range(dim):
            vi = y[dim + i]
            value = jac[i, d] * vi - vd * jac[d, i]
            if i == d:
                value -= jv[d]
            a_v[d, i] = value / m[d]
            g = 0.0
            h = 0.0
            for k in range(dim):
                vk = y[dim + k]
                g += hess[k, d, i] * vk * vk
                h += hess[d, k, i] * vk
            a_z[d, i] = (0.5 * g - vd * h - acc[d] * jac[d, i]) / m[d]
    for d in range(dim):
        for b in range(ncol):
            dy[off_x + d * ncol + b] = y[off_y + d * ncol + b]
            s = 0.0
            for i in range(dim):
                s += a_z[d, i] * y[off_x + i * ncol + b] + a_v[d, i] * y[off_y + i * ncol + b]
            dy[off_y + d * ncol + b] = s


@nb.njit(**_JIT)
def _dop853(zt, rho, kind, diag, y0, dim, var, rtol, atol, max_steps, tab_a, tab_b, tab_e3, tab_e5,
            out):
    """Integrate one geodesic over ``t in [0, 1]`` with DOP853; returns ``(success, n_rhs)``.

    Error norm and step control are scipy's (``solve_ivp(method="DOP853")``),
    taken over the geodesic components ``[z, v]`` only, so adding the
    variational equations does not change the steps or the end point.
    """
    n_state = y0.shape[0]
    n_err = 2 * dim
    n_data = zt.shape[1]
    tw = np.empty((dim + 1, n_data))
    u = np.empty((dim, n_data))
    m = np.empty(dim)
    jac = np.empty((dim, dim))
    hess = np.empty((dim, dim, dim))
    stages = np.zeros((13, n_state))
    y = y0.copy()
    y_new = np.empty(n_state)
    y_try = np.empty(n_state)
    _rhs(zt, rho, kind, diag, y, stages[0], dim, var, tw, u, m, jac, hess)
    n_rhs = 1
    # Initial step: Hairer's rule, as scipy's select_initial_step.
    d0 = 0.0
    d1 = 0.0
    for i in range(n_err):
        sc = atol + rtol * abs(y[i])
        d0 += (y[i] / sc) ** 2
        d1 += (stages[0, i] / sc) ** 2
    d0 = np.sqrt(d0 / n_err)
    d1 = np.sqrt(d1 / n_err)
    h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
    h0 = min(h0, 1.0)
    for i in range(n_state):
        y_try[i] = y[i] + h0 * stages[0, i]
    _rhs(zt, rho, kind, diag, y_try, stages[1], dim, var, tw, u, m, jac, hess)
    n_rhs += 1
    d2 = 0.0
    for i in range(n_err):
        sc = atol + rtol * abs(y[i])
        d2 += ((stages[1, i] - stages[0, i]) / sc) ** 2
    d2 = np.sqrt(d2 / n_err) / h0
    big = max(d1, d2)
    h1 = max(1e-6, 1e-3 * h0) if big <= 1e-15 else (0.01 / big) ** (1.0 / 8.0)
    h = min(100.0 * h0, h1, 1.0)
    t = 0.0
    rejected = False
    steps = 0
    while t < 1.0:
        if steps >= max_steps or h < 1e-14:
            for i in range(n_state):
                out[i] = y[i]
            return False, n_rhs
        steps += 1
        h = min(h, 1.0 - t)
        for s in range(1, 12):
            for i in range(n_state):
                acc = 0.0
                for r in range(s):
                    acc += stages[r, i] * tab_a[s, r]
                y_try[i] = y[i] + h * acc
            _rhs(zt, rho, kind, diag, y_try, stages[s], dim, var, tw, u, m, jac, hess)
        for i in range(n_state):
            acc = 0.0
            for r in range(12):
                acc += stages[r, i] * tab_b[r]
            y_new[i] = y[i] + h * acc
        _rhs(zt, rho, kind, diag, y_new, stages[12], dim, var, tw, u, m, jac, hess)
        n_rhs += 12
        err5 = 0.0
        err3 = 0.0
        finite = True
        for i in range(n_err):
            sc = atol + rtol * max(abs(y[i]), abs(y_new[i]))
            e5 = 0.0
            e3 = 0.0
            for r in range(13):
                e5 += stages[r, i] * tab_e5[r]
                e3 += stages[r, i] * tab_e3[r]
            err5 += (e5 / sc) ** 2
            err3 += (e3 / sc) ** 2
            if not np.isfinite(y_new[i]):
                finite = False
        if err5 == 0.0 and err3 == 0.0:
            err = 0.0
        else:
            err = h * err5 / np.sqrt((err5 + 0.01 * err3) * n_err)
        if finite and np.isfinite(err) and err < 1.0:
            factor = 10.0 if err == 0.0 else min(10.0, 0.9 * err ** (-1.0 / 8.0))
            if rejected:
                factor = min(1.0, factor)
            t = 1.0 if 1.0 - t - h <= 1e-15 else t + h
            for i in range(n_state):
                y[i] = y_new[i]
                stages[0, i] = stages[12, i]
            h *= factor
            rejected = False
        else:
            shrink = 0.2 if not (finite and np.isfinite(err)) else max(0.2, 0.9 * err ** (-1.0 / 8.0))
            h *= shrink
            rejected = True
    for i in range(n_state):
        out[i] = y[i]
    return True, n_rhs


@nb.njit(**_JIT)
def _n_state(dim, var):
    return 2 * dim + 2 * dim * dim * var


@nb.njit(**_JIT)
def _start_state(z0, v0, var):
    dim = z0.shape[0]
    ncol = dim * var
    y0 = np.zeros(_n_state(dim, var))
    off_y = 2 * dim + dim * ncol
    for d in range(dim):
        y0[d] = z0[d]
        y0[dim + d] = v0[d]
        if var == 1:
            y0[off_y + d * ncol + d] = 1.0            # Y(0) = dv/dv0 = I; X(0) = 0
        elif var == 2:
            y0[2 * dim + d * ncol + d] = 1.0          # dz/dz0 = I, dv/dz0 = 0
            y0[off_y + d * ncol + dim + d] = 1.0      # dz/dv0 = 0, dv/dv0 = I
    return y0


@nb.njit(parallel=True, **_JIT)
def _exp_parallel(zt, rho, kind, diag, base_points, vecs, var, rtol, atol, max_steps, tab_a, tab_b,
              tab_e3, tab_e5):
    """Integrate geodesics from ``base_points[i]`` with ``vecs[i]`` (both ``(B, D)``).

    Returns ``states`` (``(B, 2D)``, ``(B, 2D + 2D^2)`` with ``var == 1``: end
    point, end velocity, ``X = dExp/dv`` and ``Y``, or ``(B, 2D + 4D^2)`` with
    ``var == 2``: ``X = [dExp/dz0, dExp/dv0]`` and ``Y``), ``success`` and the
    number of right-hand-side evaluations of each trajectory.
    """
    n_batch, dim = vecs.shape
    n_state = _n_state(dim, var)
    states = np.empty((n_batch, n_state))
    success = np.zeros(n_batch, np.bool_)
    n_rhs = np.zeros(n_batch, np.int64)
    for i in nb.prange(n_batch):
        y0 = _start_state(base_points[i], vecs[i], var)
        ok, count = _dop853(zt, rho, kind, diag, y0, dim, var, rtol, atol, max_steps, tab_a, tab_b,
                            tab_e3, tab_e5, states[i])
        success[i] = ok
        n_rhs[i] = count
    return states, success, n_rhs


@nb.njit(**_JIT)
def _exp_serial(zt, rho, kind, diag, base_points, vecs, var, rtol, atol, max_steps, tab_a, tab_b,
              tab_e3, tab_e5):
    """Integrate geodesics from ``base_points[i]`` with ``vecs[i]`` (both ``(B, D)``).

    Returns ``states`` (``(B, 2D)``, ``(B, 2D + 2D^2)`` with ``var == 1``: end
    point, end velocity, ``X = dExp/dv`` and ``Y``, or ``(B, 2D + 4D^2)`` with
    ``var == 2``: ``X = [dExp/dz0, dExp/dv0]`` and ``Y``), ``success`` and the
    number of right-hand-side evaluations of each trajectory.
    """
    n_batch, dim = vecs.shape
    n_state = _n_state(dim, var)
    states = np.empty((n_batch, n_state))
    success = np.zeros(n_batch, np.bool_)
    n_rhs = np.zeros(n_batch, np.int64)
    for i in range(n_batch):
        y0 = _start_state(base_points[i], vecs[i], var)
        ok, count = _dop853(zt, rho, kind, diag, y0, dim, var, rtol, atol, max_steps, tab_a, tab_b,
                            tab_e3, tab_e5, states[i])
        success[i] = ok
        n_rhs[i] = count
    return states, success, n_rhs


@nb.njit(**_JIT)
def _solve_small(a, b, out):
    """Solve ``a x = b`` for a small dense ``a`` (partial pivoting); False if singular."""
    dim = b.shape[0]
    mat = a.copy()
    rhs = b.copy()
    scale = 0.0
    for i in range(dim):
        for j in range(dim):
            scale = max(scale, abs(mat[i, j]))
    if not scale > 0.0 or not np.isfinite(scale):
        return False
    for col in range(dim):
        piv = col
        for r in range(col + 1, dim):
            if abs(mat[r, col]) > abs(mat[piv, col]):
                piv = r
        if abs(mat[piv, col]) <= 1e-13 * scale:
            return False
        if piv != col:
            for c in range(dim):
                tmp = mat[col, c]
                mat[col, c] = mat[piv, c]
                mat[piv, c] = tmp
            tmp = rhs[col]
            rhs[col] = rhs[piv]
            rhs[piv] = tmp
        for r in range(col + 1, dim):
            f = mat[r, col] / mat[col, col]
            for c in range(col, dim):
                mat[r, c] -= f * mat[col, c]
            rhs[r] -= f * rhs[col]
    for r in range(dim - 1, -1, -1):
        s = rhs[r]
        for c in range(r + 1, dim):
            s -= mat[r, c] * out[c]
        out[r] = s / mat[r, r]
    return True


@nb.njit(**_JIT)
def _shoot_eval(zt, rho, kind, diag, z0, target, v, var, rtol, atol, max_steps, tab_a, tab_b,
                tab_e3, tab_e5, state, gap):
    """Exp at ``v`` (with ``dExp/dv`` when ``var``); writes ``gap = Exp(v) - target``.

    Returns ``(ok, |gap|, n_rhs)``.
    """
    dim = z0.shape[0]
    y0 = _start_state(z0, v, var)
    ok, count = _dop853(zt, rho, kind, diag, y0, dim, var, rtol, atol, max_steps, tab_a, tab_b,
                        tab_e3, tab_e5, state)
    if not ok:
        return False, np.inf, count
    norm = 0.0
    for d in range(dim):
        gap[d] = state[d] - target[d]
        norm += gap[d] * gap[d]
    return True, np.sqrt(norm), count


# Damping factors tried along a Newton step before the step counts as failed.
_DAMPING = (1.0, 0.5, 0.25, 0.1, 0.03)


@nb.njit(**_JIT)
def _shoot_one(zt, rho, kind, diag, z0, target, v_start, tol, rtol, atol, fine_rtol, fine_atol,
               max_iter, max_slow, reuse_jacobian, max_steps, tab_a, tab_b, tab_e3, tab_e5, v_out):
    """Damped Newton shooting for one Log; returns ``(residual, n_iter, status, n_rhs)``.

    Newton steps use the exact Jacobian ``X = dExp/dv`` from the variational
    equations. The integrator's tolerance follows the residual: each step is
    integrated at ``rtol = clip(1e-3 * residual, fine_rtol, 1e-3)`` (``atol``
    in the same ratio), since a step needs to be accurate only to a fraction
    of what it corrects. A solve converges when its residual is below
    ``tol`` as measured at the fine tolerances; that measurement integrates
    the geodesic alone (no variational equations: the Jacobian of the same
    velocity is already known). A step that does not lower the residual is
    damped (:data:`_DAMPING`); if no damping helps, the residual is measured
    again at the fine tolerances (it may have been integration error) and,
    if that does not help either, the solve stops with status 2. A solve
    whose residual falls by less than half in ``max_slow`` accepted steps in
    a row is abandoned (status 5): far from a solution Newton crawls, and
    another start or stage is cheaper than the remaining iterations. With
    ``reuse_jacobian``, once a full step has cut the residual 10-fold the
    solve is in Newton's fast region and keeps that Jacobian: the next steps
    integrate the geodesic alone (about half the cost of one with its
    variational equations) and must each cut the residual 4-fold, else the
    Jacobian is recomputed and full Newton steps resume.
    """
    dim = z0.shape[0]
    n_state = _n_state(dim, 1)
    state = np.empty(n_state)
    trial_state = np.empty(n_state)
    fine_state = np.empty(2 * dim)
    gap = np.empty(dim)
    trial_gap = np.empty(dim)
    step = np.empty(dim)
    trial = np.empty(dim)
    jac = np.empty((dim, dim))
    v = v_start.copy()
    ratio = atol / rtol
    ok, res, n_rhs = _shoot_eval(zt, rho, kind, diag, z0, target, v, 1, rtol, atol, max_steps,
                                 tab_a, tab_b, tab_e3, tab_e5, state, gap)
    status = 3
    n_iter = 0
    fine = False
    slow = 0
    reuse = False
    if ok:
        status = 1
        refine = False
        while True:
            if refine or (res < tol and not fine):
                # Measure at the fine tolerances: to confirm convergence, or because a
                # residual measured at a loose tolerance may be integration error.
                refine = False
                ok, res, count = _shoot_eval(zt, rho, kind, diag, z0, target, v, 0, fine_rtol,
                                             fine_atol, max_steps, tab_a, tab_b, tab_e3, tab_e5,
                                             fine_state, gap)
                n_rhs += count
                fine = True
                if not ok:
                    status = 3
                    break
                continue
            if res < tol:
                status = 0
                break
            if n_iter >= max_iter:
                break
            if slow >= max_slow:
                status = 5
                break
            n_iter += 1
            if not reuse:
                for d in range(dim):
                    for b in range(dim):
                        jac[d, b] = state[2 * dim + d * dim + b]
            for d in range(dim):
                gap[d] = -gap[d]
            if not _solve_small(jac, gap, step):
                status = 4
                break
            r_tol = min(1e-3, max(fine_rtol, 1e-3 * res))
            fine = r_tol <= fine_rtol
            a_tol = fine_atol if fine else r_tol * ratio
            if reuse:
                # Near the solution: a full step with the last Jacobian, integrating the
                # geodesic alone. It must cut the residual at least 4-fold; otherwise
                # the Jacobian is recomputed here and full Newton steps resume.
                for d in range(dim):
                    trial[d] = v[d] + step[d]
                ok_t, res_t, count = _shoot_eval(zt, rho, kind, diag, z0, target, trial, 0, r_tol,
                                                 a_tol, max_steps, tab_a, tab_b, tab_e3, tab_e5,
                                                 trial_state, trial_gap)
                n_rhs += count
                if not (ok_t and res_t < 0.25 * res):
                    reuse = False
                    n_iter -= 1
                    ok, res, count = _shoot_eval(zt, rho, kind, diag, z0, target, v, 1, r_tol,
                                                 a_tol, max_steps, tab_a, tab_b, tab_e3, tab_e5,
                                                 state, gap)
                    n_rhs += count
                    fine = False
                    if not ok:
                        status = 3
                        break
                    continue
                res = res_t
                for d in range(dim):
                    v[d] = trial[d]
                    gap[d] = trial_gap[d]
                continue
            taken = False
            lam = 1.0
            for lam in _DAMPING:
                for d in range(dim):
                    trial[d] = v[d] + lam * step[d]
                ok_t, res_t, count = _shoot_eval(zt, rho, kind, diag, z0, target, trial, 1, r_tol,
                                                 a_tol, max_steps, tab_a, tab_b, tab_e3, tab_e5,
                                                 trial_state, trial_gap)
                n_rhs += count
                if ok_t and res_t < res:
                    taken = True
                    break
            if not taken:
                for d in range(dim):
                    gap[d] = -gap[d]
                if fine:
                    status = 2
                    break
                refine = True
                continue
            slow = slow + 1 if res_t > 0.5 * res else 0
            # A full step that cut the residual 10-fold is in Newton's fast region: from
            # here on the Jacobian is reused (see above).
            reuse = reuse_jacobian and lam == 1.0 and res_t < 0.1 * res
            res = res_t
            for d in range(dim):
                v[d] = trial[d]
                gap[d] = trial_gap[d]
            for i in range(n_state):
                state[i] = trial_state[i]
    for d in range(dim):
        v_out[d] = v[d]
    if status != 0:
        # Not converged: the residual is reported at least at tol, so no caller mistakes it.
        return max(res, tol), n_iter, status, n_rhs
    return res, n_iter, 0, n_rhs


@nb.njit(parallel=True, **_JIT)
def _shoot_parallel(zt, rho, kind, diag, base_point, targets, starts, tol, rtol, atol, fine_rtol,
                fine_atol, max_iter, max_slow, reuse_jacobian, max_steps, tab_a, tab_b, tab_e3, tab_e5):
    """Newton shooting from ``base_point`` to each ``targets[i]`` from ``starts[i]``, in parallel.

    Returns ``velocities`` (``(B, D)``), ``residuals`` (measured at the fine
    tolerances for converged solves), ``status`` codes (see :data:`STATUS`),
    Newton iteration counts and right-hand-side evaluation counts.
    """
    n_batch, dim = targets.shape
    velocities = np.empty((n_batch, dim))
    residuals = np.empty(n_batch)
    status = np.empty(n_batch, np.int64)
    n_iter = np.empty(n_batch, np.int64)
    n_rhs = np.empty(n_batch, np.int64)
    for i in nb.prange(n_batch):
        res, its, code, count = _shoot_one(zt, rho, kind, diag, base_point, targets[i], starts[i],
                                           tol, rtol, atol, fine_rtol, fine_atol, max_iter,
                                           max_slow, reuse_jacobian, max_steps, tab_a, tab_b, tab_e3, tab_e5, velocities[i])
        residuals[i] = res
        status[i] = code
        n_iter[i] = its
        n_rhs[i] = count
    return velocities, residuals, status, n_iter, n_rhs


@nb.njit(**_JIT)
def _shoot_serial(zt, rho, kind, diag, base_point, targets, starts, tol, rtol, atol, fine_rtol,
                fine_atol, max_iter, max_slow, reuse_jacobian, max_steps, tab_a, tab_b, tab_e3, tab_e5):
    """Newton shooting from ``base_point`` to each ``targets[i]`` from ``starts[i]``, in parallel.

    Returns ``velocities`` (``(B, D)``), ``residuals`` (measured at the fine
    tolerances for converged solves), ``status`` codes (see :data:`STATUS`),
    Newton iteration counts and right-hand-side evaluation counts.
    """
    n_batch, dim = targets.shape
    velocities = np.empty((n_batch, dim))
    residuals = np.empty(n_batch)
    status = np.empty(n_batch, np.int64)
    n_iter = np.empty(n_batch, np.int64)
    n_rhs = np.empty(n_batch, np.int64)
    for i in range(n_batch):
        res, its, code, count = _shoot_one(zt, rho, kind, diag, base_point, targets[i], starts[i],
                                           tol, rtol, atol, fine_rtol, fine_atol, max_iter,
                                           max_slow, reuse_jacobian, max_steps, tab_a, tab_b, tab_e3, tab_e5, velocities[i])
        residuals[i] = res
        status[i] = code
        n_iter[i] = its
        n_rhs[i] = count
    return velocities, residuals, status, n_iter, n_rhs




def exp_batch(zt, rho, kind, diag, base_points, vecs, *args):
    """Geodesics from ``base_points[i]`` with ``vecs[i]``; see ``_exp_parallel`` (serial for one)."""
    run = _exp_parallel if vecs.shape[0] > 1 else _exp_serial
    return run(zt, rho, kind, diag, base_points, vecs, *args)


def shoot_batch(zt, rho, kind, diag, base_point, targets, *args):
    """Newton shooting to each of ``targets``; see ``_shoot_parallel`` (serial for one)."""
    run = _shoot_parallel if targets.shape[0] > 1 else _shoot_serial
    return run(zt, rho, kind, diag, base_point, targets, *args)
