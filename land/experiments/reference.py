"""Exact and deterministic reference computations for checking the LAND model.

The model code estimates the normalising constant by Monte Carlo and
differentiates that estimate analytically. This module holds what those
estimates are checked against:

* :func:`sphere_normalising_constant`: the sphere's constant ``C(Sigma)`` by
  2-D quadrature in polar coordinates (no Monte Carlo).
* :func:`sphere_land_covariance`: the covariance of ``Log_mu(x)`` under the
  sphere LAND, which differs from its parameter ``Sigma``.
* :func:`monte_carlo_prefix_estimates`: the Monte Carlo estimate and its
  standard error from the first ``S`` draws, for several ``S`` (convergence).
* :class:`FixedDraws`, :func:`fixed_draws` and :func:`fixed_sample_objective`:
  the LAND objective with the Monte Carlo points held fixed *on the manifold*,
  a deterministic function of ``(mean, frame, A)`` whose gradient is exactly
  what :func:`land.objective_and_gradients` returns.
* :func:`finite_difference_gradients`: central differences of such an
  objective, moving the mean along geodesics and the factor ``A`` entrywise.
* :func:`objective_along_geodesic`: such an objective as the mean moves
  along a geodesic (line searches, directional derivatives).
* :func:`geodesic_fan`: geodesics of a learned metric started tangent to the
  unit sphere, described relative to the sphere's great circles.
* :func:`scipy_exp` and :func:`scipy_log`: the report's per-geodesic scipy
  solvers (``solve_ivp``, ``solve_bvp``), the baseline and accuracy reference
  for the batched solvers of :class:`~land.LearnedManifold`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import integrate
from scipy.special import logsumexp

from land._validation import (
    as_float_array,
    check_generator,
    check_positive,
    check_positive_int,
    check_spd,
)
from land.experiments.compare import hand_over_tangent, tangent_fan
from land.geometry.base import GeodesicSolverError
from land.geometry.sphere import Sphere
from land.model.fit import moved_logs

__all__ = [
    "fit_warm_starts",
    "FixedDraws",
    "GeodesicFan",
    "finite_difference_gradients",
    "fixed_draws",
    "fixed_sample_objective",
    "geodesic_fan",
    "monte_carlo_prefix_estimates",
    "objective_along_geodesic",
    "rotated_covariance",
    "scipy_exp",
    "scipy_log",
    "sphere_land_covariance",
    "sphere_normalising_constant",
]


# ------------------------------------------------------ the sphere's constant
def sphere_normalising_constant(cov, *, epsrel: float = 1e-11) -> float:
    """The LAND normalising constant on the unit sphere by 2-D quadrature.

    With ``P = cov^{-1}`` and normal coordinates ``v = r u``
    (``u = (cos t, sin t)``), the constant

        C(Sigma) = int_{|v| < pi} exp(-v^T P v / 2) sin|v| / |v| dv
                 = int_0^{2 pi} int_0^pi exp(-r^2 u^T P u / 2) sin r dr dt,

    because the polar Jacobian ``r`` cancels the ``1/r`` of the volume
    density ``sin r / r``. It does not depend on the mean (the sphere looks
    the same from every point). The inner integral is done by
    :func:`scipy.integrate.quad` for each angle, the outer one by ``quad``
    over the angle.

    Parameters
    ----------
    cov : array-like, shape=[2, 2]
        Symmetric positive definite covariance in an orthonormal tangent frame.
    epsrel : float, optional
        Relative tolerance of the outer integral (> 0); the inner integrals
        use a tenth of it.

    Returns
    -------
    float
        ``C(Sigma)``, accurate to about ``epsrel`` relative error.

    Examples
    --------
    For a tiny covariance the sphere is flat on the scale of the density, so
    ``C`` tends to the Euclidean ``2 pi sqrt(det Sigma)``:

    >>> import numpy as np
    >>> c = sphere_normalising_constant(np.diag([1e-3, 1e-3]))
    >>> bool(abs(c / (2 * np.pi * 1e-3) - 1) < 1e-3)
    True
    """
    cov = check_spd(cov, "cov", 2)
    epsrel = check_positive(epsrel, "epsrel")
    precision = np.linalg.inv(cov)

    def radial(angle: float) -> float:
        direction = np.array([np.cos(angle), np.sin(angle)])
        quad_form = direction @ precision @ direction
        return integrate.quad(lambda r: np.exp(-0.5 * quad_form * r * r) * np.sin(r), 0.0, np.pi,
                              epsabs=0.0, epsrel=0.1 * epsrel, limit=200)[0]

    return float(integrate.quad(radial, 0.0, 2.0 * np.pi, epsabs=0.0, epsrel=epsrel,
                                limit=200)[0])


def monte_carlo_prefix_estimates(constant, sizes) -> tuple[np.ndarray, np.ndarray]:
    """Monte Carlo estimates of ``C`` from the first ``S`` draws, for each ``S`` in ``sizes``.

    Uses the draws stored in a :class:`~land.NormalisingConstant`: the
    estimate from the first ``S`` of them is ``Z * mean(m_1..m_S)`` with
    standard error ``Z * std(m_1..m_S) / sqrt(S)``. Nested prefixes of one
    long run show how one estimate settles as draws are added.

    Parameters
    ----------
    constant : NormalisingConstant
        A result of :func:`land.normalising_constant` whose draws all
        converged (true on the sphere).
    sizes : array-like of int, shape=[k]
        Prefix lengths, each between 2 and the number of draws.

    Returns
    -------
    values : ndarray, shape=[k]
    std_errors : ndarray, shape=[k]
    """
    volume = np.asarray(constant.volume, dtype=float)
    if constant.n_failed:
        raise ValueError("constant: expected every Monte Carlo draw to have converged, "
                         f"{constant.n_failed} did not")
    sizes = np.asarray(sizes)
    if sizes.ndim != 1 or sizes.size == 0 or not np.issubdtype(sizes.dtype, np.integer):
        raise TypeError("sizes: expected a non-empty 1-D array of integers")
    if sizes.min() < 2 or sizes.max() > volume.size:
        raise ValueError(f"sizes: expected values between 2 and {volume.size}, "
                         f"got {sizes.min()}..{sizes.max()}")
    z = np.exp(constant.log_z)
    values = np.array([z * volume[:s].mean() for s in sizes])
    std_errors = np.array([z * volume[:s].std(ddof=1) / np.sqrt(s) for s in sizes])
    return values, std_errors


# ------------------------------------------------- the fixed-sample objective
@dataclass(frozen=True)
class FixedDraws:
    """Monte Carlo draws frozen as points on the manifold, for deterministic objectives.

    Attributes
    ----------
    coords : ndarray, shape=[S, d]
        Tangent draws ``v_s ~ N(0, Sigma)`` in the frame at the draw's mean,
        keeping only those with positive volume density.
    volume : ndarray, shape=[S]
        ``m(mu, v_s) > 0``.
    points : ndarray, shape=[S, ambient_dim]
        ``Exp_mu(F v_s)``: where the draws sit on the manifold.
    log_weights : ndarray, shape=[S]
        ``log(m_s / q_s)`` with ``q_s = N(v_s; 0, Sigma)``: the importance
        weights of the draws, fixed once drawn.
    """

    coords: np.ndarray
    volume: np.ndarray
    points: np.ndarray
    log_weights: np.ndarray


def fixed_draws(manifold, mean, frame, cov, n_samples: int, rng: np.random.Generator) -> FixedDraws:
    """Draw ``v_s ~ N(0, cov)`` at ``mean`` and freeze them as manifold points.

    Draws whose volume density is zero (beyond the sphere's injectivity
    radius) or whose Exp failed are dropped, so ``S <= n_samples``.

    Parameters
    ----------
    manifold : Sphere or LearnedManifold
    mean : array-like, shape=[ambient_dim]
    frame : array-like, shape=[ambient_dim, d]
        Orthonormal tangent frame at ``mean`` (``manifold.frame(mean)``).
    cov : array-like, shape=[d, d]
        Covariance in ``frame``.
    n_samples : int
    rng : numpy.random.Generator

    Returns
    -------
    FixedDraws
    """
    mean = manifold.check_points(mean, "mean")
    frame = as_float_array(frame, "frame")
    cov = check_spd(cov, "cov", manifold.dim)
    n_samples = check_positive_int(n_samples, "n_samples")
    rng = check_generator(rng)
    if frame.shape != (manifold.ambient_dim, manifold.dim):
        raise ValueError(f"frame: expected shape ({manifold.ambient_dim}, {manifold.dim}), "
                         f"got {frame.shape}")
    coords = rng.standard_normal((n_samples, manifold.dim)) @ np.linalg.cholesky(cov).T
    density = manifold.solve_volume_density(mean, frame, coords)
    keep = density.converged & (density.value > 0)
    if not np.any(keep):
        raise GeodesicSolverError("fixed_draws: no draw has a positive volume density")
    coords, volume = coords[keep], density.value[keep]
    points = manifold.exp(mean, coords @ frame.T)
    log_q = (-0.5 * np.einsum("si,ij,sj->s", coords, np.linalg.inv(cov), coords)
             - 0.5 * (manifold.dim * np.log(2 * np.pi) + np.linalg.slogdet(cov)[1]))
    return FixedDraws(coords, volume, points, np.log(volume) - log_q)


def fixed_sample_objective(manifold, draws: FixedDraws, data, mean, frame, factor) -> float:
    """The LAND objective with the Monte Carlo points held fixed on the manifold.

    With ``L_n`` and ``L_s`` the frame coordinates of ``Log_mu(x_n)`` and of
    ``Log_mu`` of the frozen draw points, and ``P = A^T A``,

        phi(mu, A) = 1/(2N) sum_n L_n^T P L_n
                     + log( 1/S sum_s exp(-L_s^T P L_s / 2) m_s / q_s ).

    The second term is an importance-sampling estimate of ``log C`` that
    stays valid as ``(mu, A)`` move away from the parameters the points were
    drawn at; at those parameters it equals the library's estimate
    ``log(Z mean(m_s))`` exactly. Its derivatives are therefore what
    :func:`land.objective_and_gradients` computes, and central differences
    of this function check them.

    Parameters
    ----------
    manifold : Sphere or LearnedManifold
    draws : FixedDraws
    data : array-like, shape=[N, ambient_dim]
    mean : array-like, shape=[ambient_dim]
    frame : array-like, shape=[ambient_dim, d]
    factor : array-like, shape=[d, d]
        ``A`` with ``Sigma^{-1} = A^T A``.

    Returns
    -------
    float
    """
    if not isinstance(draws, FixedDraws):
        raise TypeError(f"draws: expected FixedDraws, got {type(draws).__name__}")
    mean = manifold.check_points(mean, "mean")
    factor = as_float_array(factor, "factor")
    if factor.shape != (manifold.dim, manifold.dim):
        raise ValueError(f"factor: expected shape ({manifold.dim}, {manifold.dim}), "
                         f"got {factor.shape}")
    # Written out, not land.model's squared_mahalanobis: the reference stays independent of it.
    precision = factor.T @ factor
    data_coords = manifold.coordinates(mean, frame, manifold.log(mean, data))
    draw_coords = manifold.coordinates(mean, frame, manifold.log(mean, draws.points))
    data_term = 0.5 * np.mean(np.einsum("ni,ij,nj->n", data_coords, precision, data_coords))
    exponent = -0.5 * np.einsum("si,ij,sj->s", draw_coords, precision, draw_coords)
    return float(data_term + logsumexp(exponent + draws.log_weights) - np.log(draws.volume.size))


def finite_difference_gradients(manifold, objective: Callable, mean, frame, factor, *,
                                step: float = 1e-5) -> tuple[np.ndarray, np.ndarray]:
    """Central-difference gradients of ``objective(mean, frame, factor)``.

    The mean moves along the geodesic ``Exp_mu(+-step F e_k)`` and the frame is
    carried along by parallel transport, so the mean derivative is in the
    coordinates of ``frame`` like the analytic gradient; ``A`` moves one
    entry at a time.

    Parameters
    ----------
    manifold : Sphere or LearnedManifold
    objective : callable
        ``objective(mean, frame, factor) -> float``.
    mean : array-like, shape=[ambient_dim]
    frame : array-like, shape=[ambient_dim, d]
    factor : array-like, shape=[d, d]
    step : float, optional
        Finite-difference step ``epsilon`` (> 0). The truncation error is
        ``O(epsilon^2)``, the rounding error ``O(machine_eps / epsilon)``.

    Returns
    -------
    grad_mean : ndarray, shape=[d]
    grad_factor : ndarray, shape=[d, d]
    """
    if not callable(objective):
        raise TypeError(f"objective: expected a callable, got {type(objective).__name__}")
    mean = manifold.check_points(mean, "mean")
    frame = as_float_array(frame, "frame")
    factor = as_float_array(factor, "factor")
    step = check_positive(step, "step")
    dim = factor.shape[0]
    if factor.shape != (dim, dim) or frame.ndim != 2 or frame.shape[1] != dim:
        raise ValueError(f"frame, factor: expected shapes (ambient_dim, d) and (d, d), "
                         f"got {frame.shape} and {factor.shape}")

    grad_mean = np.empty(dim)
    for k in range(dim):
        values = []
        for sign in (1.0, -1.0):
            move = sign * step * frame[:, k]
            values.append(objective(manifold.exp(mean, move),
                                    manifold.transport_frame(mean, move, frame), factor))
        grad_mean[k] = (values[0] - values[1]) / (2.0 * step)

    grad_factor = np.empty((dim, dim))
    for i in range(dim):
        for j in range(dim):
            bump = np.zeros((dim, dim))
            bump[i, j] = step
            grad_factor[i, j] = (objective(mean, frame, factor + bump)
                                 - objective(mean, frame, factor - bump)) / (2.0 * step)
    return grad_mean, grad_factor


def sphere_land_covariance(cov, *, epsrel: float = 1e-10) -> np.ndarray:
    """Covariance of ``Log_mu(x)`` when ``x`` follows the sphere LAND with parameter ``cov``.

    The LAND's ``Sigma`` is a parameter, not the covariance of the data in
    normal coordinates: the density of ``v = Log_mu(x)`` is proportional to
    ``N(v; 0, Sigma) sin|v| / |v|`` on ``|v| < pi``, and the factor
    ``sin r / r < 1`` pulls mass inwards. This returns

        E[v v^T] = (1 / C) int_0^{2 pi} int_0^pi r^2 u u^T exp(-r^2 u^T P u / 2) sin r dr dt

    by quadrature (``E[v] = 0`` by symmetry).

    Parameters
    ----------
    cov : array-like, shape=[2, 2]
        The LAND parameter ``Sigma`` (symmetric positive definite).
    epsrel : float, optional
        Relative tolerance of the quadratures (> 0).

    Returns
    -------
    ndarray, shape=[2, 2]
    """
    cov = check_spd(cov, "cov", 2)
    epsrel = check_positive(epsrel, "epsrel")
    precision = np.linalg.inv(cov)

    def integrands(angle: float) -> np.ndarray:
        direction = np.array([np.cos(angle), np.sin(angle)])
        quad_form = direction @ precision @ direction
        mass, second = (
            integrate.quad(lambda r, k=k: r**k * np.exp(-0.5 * quad_form * r * r) * np.sin(r),
                           0.0, np.pi, epsabs=0.0, epsrel=0.1 * epsrel, limit=200)[0]
            for k in (0, 2)
        )
        outer = np.outer(direction, direction)
        return np.array([mass, second * outer[0, 0], second * outer[0, 1], second * outer[1, 1]])

    total = integrate.quad_vec(integrands, 0.0, 2.0 * np.pi, epsabs=0.0, epsrel=epsrel)[0]
    moment = np.array([[total[1], total[2]], [total[2], total[3]]]) / total[0]
    return 0.5 * (moment + moment.T)


# --------------------------------------- learned geodesics versus great circles
@dataclass(frozen=True)
class GeodesicFan:
    """Geodesics of a metric on R^3 started tangent to the unit sphere, seen from the sphere.

    Attributes
    ----------
    times : ndarray, shape=[T]
        Curve parameter ``t`` in ``[0, 1]``.
    headings : ndarray, shape=[k]
        Initial direction of each geodesic, radians from the first frame axis.
    paths : ndarray, shape=[k, T, 3]
        ``Exp_mu(t v_k)`` of the learned metric.
    radius : ndarray, shape=[k, T]
        ``|path|``: 1 on the sphere.
    log_coords : ndarray, shape=[k, T, 2]
        The sphere's ``Log_mu`` (frame coordinates) of ``path / |path|``: a
        great circle from ``mu`` is a straight ray in these coordinates.
    arc : ndarray, shape=[k, T]
        Great-circle distance from ``mu`` of ``path / |path|``.
    heading_error : ndarray, shape=[k]
        Largest angle (degrees) between the heading of ``log_coords`` and the
        initial heading: how far the path turns away from its great circle.
    """

    times: np.ndarray
    headings: np.ndarray
    paths: np.ndarray
    radius: np.ndarray
    log_coords: np.ndarray
    arc: np.ndarray
    heading_error: np.ndarray


def geodesic_fan(manifold, mean, *, n_directions: int = 8, length: float = 0.8,
                 n_times: int = 21) -> GeodesicFan:
    """Learned-metric geodesics from a point of the unit sphere in evenly spaced tangent directions.

    Each geodesic starts at ``mean`` with a velocity tangent to the sphere,
    scaled so that its length in the learned metric at ``mean`` is
    ``length``; the paths are evaluated as ``Exp_mu(t v)`` for ``n_times``
    values of ``t``. The result describes each path relative to the great
    circle with the same initial direction (the sphere's geodesic).

    Parameters
    ----------
    manifold : LearnedManifold
        A metric on R^3 (e.g. learned from points on the sphere).
    mean : array-like, shape=[3]
        A unit vector.
    n_directions : int, optional
    length : float, optional
        Riemannian length of every geodesic (> 0).
    n_times : int, optional
        Number of points per path (>= 2).

    Returns
    -------
    GeodesicFan
    """
    sphere = Sphere()
    mean = sphere.check_points(mean, "mean")
    if mean.ndim != 1:
        raise ValueError(f"mean: expected shape (3,), got {mean.shape}")
    if getattr(manifold, "ambient_dim", None) != 3:
        raise ValueError("manifold: expected a manifold on R^3")
    n_directions = check_positive_int(n_directions, "n_directions")
    length = check_positive(length, "length")
    n_times = check_positive_int(n_times, "n_times")
    if n_times < 2:
        raise ValueError(f"n_times: expected at least 2, got {n_times}")
    frame = sphere.frame(mean)
    headings = np.linspace(0.0, 2.0 * np.pi, n_directions, endpoint=False)  # as in tangent_fan
    velocities = hand_over_tangent(manifold, mean, tangent_fan(mean, length, n_directions),
                                   match="metric_length")
    times = np.linspace(0.0, 1.0, n_times)
    vecs = (times[None, :, None] * velocities[:, None, :]).reshape(-1, 3)
    paths = manifold.exp(mean, vecs).reshape(n_directions, n_times, 3)
    radius = np.linalg.norm(paths, axis=-1)
    projected = (paths / radius[..., None]).reshape(-1, 3)
    log_coords = sphere.coordinates(mean, frame, sphere.log(mean, projected))
    log_coords = log_coords.reshape(n_directions, n_times, 2)
    arc = np.linalg.norm(log_coords, axis=-1)
    turned = np.arctan2(log_coords[:, 1:, 1], log_coords[:, 1:, 0]) - headings[:, None]
    turned = np.abs(np.angle(np.exp(1j * turned)))  # wrap to [0, pi]
    return GeodesicFan(times, headings, paths, radius, log_coords, arc,
                       np.degrees(turned.max(axis=1)))


def objective_along_geodesic(manifold, objective: Callable, mean, frame, factor, direction,
                             distances) -> np.ndarray:
    """Values of ``objective`` as the mean moves along a geodesic, ``A`` held fixed.

    The mean moves to ``Exp_mu(s F u)`` with ``u = direction / |direction|``
    and the frame is carried along by parallel transport, so ``s`` is the
    distance travelled (in the frame's metric).

    Parameters
    ----------
    manifold : Sphere or LearnedManifold
    objective : callable
        ``objective(mean, frame, factor) -> float``, e.g. a
        :func:`fixed_sample_objective` with its other arguments bound.
    mean : array-like, shape=[ambient_dim]
    frame : array-like, shape=[ambient_dim, d]
    factor : array-like, shape=[d, d]
    direction : array-like, shape=[d]
        Direction in frame coordinates (nonzero).
    distances : array-like, shape=[k]
        Signed distances ``s``.

    Returns
    -------
    ndarray, shape=[k]
    """
    if not callable(objective):
        raise TypeError(f"objective: expected a callable, got {type(objective).__name__}")
    mean = manifold.check_points(mean, "mean")
    frame = as_float_array(frame, "frame")
    direction = as_float_array(direction, "direction")
    distances = np.atleast_1d(as_float_array(distances, "distances"))
    norm = np.linalg.norm(direction)
    if direction.shape != (frame.shape[1],) or norm == 0:
        raise ValueError(f"direction: expected a nonzero vector of shape ({frame.shape[1]},)")
    unit = frame @ (direction / norm)
    values = []
    for distance in distances:
        move = distance * unit
        values.append(objective(manifold.exp(mean, move),
                                manifold.transport_frame(mean, move, frame), factor))
    return np.array(values)


def rotated_covariance(sd_major: float, sd_minor: float, angle: float) -> np.ndarray:
    """A 2x2 covariance with standard deviations ``sd_major``, ``sd_minor`` along axes rotated by ``angle``.

    Parameters
    ----------
    sd_major, sd_minor : float
        Standard deviations (> 0) along the first and second rotated axes.
    angle : float
        Rotation of the first axis from the first frame axis, radians.

    Returns
    -------
    ndarray, shape=[2, 2]
        ``R diag(sd_major^2, sd_minor^2) R^T``.
    """
    sd_major = check_positive(sd_major, "sd_major")
    sd_minor = check_positive(sd_minor, "sd_minor")
    angle = float(as_float_array(angle, "angle"))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    cov = rotation @ np.diag([sd_major**2, sd_minor**2]) @ rotation.T
    return 0.5 * (cov + cov.T)


# ------------------------------------- per-geodesic scipy solvers (the report's way)
def scipy_exp(manifold, base_point, tangent_vecs, *, method: str = "RK45", rtol: float = 1e-6,
              atol: float = 1e-9):
    """Exp of a learned manifold by one :func:`scipy.integrate.solve_ivp` call per vector.

    This is the report's approach (and, with ``method="DOP853"`` and tight
    tolerances, our accuracy reference for the batched solver).

    Parameters
    ----------
    manifold : LearnedManifold
    base_point : array-like, shape=[D]
    tangent_vecs : array-like, shape=[n, D]
    method : str
        Any ``solve_ivp`` method.
    rtol, atol : float

    Returns
    -------
    points : ndarray, shape=[n, D]
    success : ndarray of bool, shape=[n]
    """
    base_point = manifold.check_points(base_point, "base_point")
    vecs = np.atleast_2d(manifold.check_points(tangent_vecs, "tangent_vecs"))
    rtol, atol = check_positive(rtol, "rtol"), check_positive(atol, "atol")
    dim = manifold.dim

    def rhs(_, state):
        return np.concatenate([state[dim:], manifold.geodesic_acceleration(state[:dim], state[dim:])])

    points, success = np.empty_like(vecs), np.empty(len(vecs), bool)
    for i, vec in enumerate(vecs):
        sol = integrate.solve_ivp(rhs, (0.0, 1.0), np.concatenate([base_point, vec]), method=method,
                                  rtol=rtol, atol=atol)
        points[i], success[i] = sol.y[:dim, -1], sol.success
    return points, success


def scipy_log(manifold, base_point, points, *, tol: float = 1e-4, n_nodes: int = 11,
              initial_paths=None):
    """Log of a learned manifold by one :func:`scipy.integrate.solve_bvp` call per point.

    The report's approach (and the LAND authors' reference code): collocation
    started from the straight line, at a loose tolerance. Failures are
    returned, not replaced.

    Parameters
    ----------
    manifold : LearnedManifold
    base_point : array-like, shape=[D]
    points : array-like, shape=[n, D]
    tol : float
        ``solve_bvp`` tolerance.
    n_nodes : int
        Nodes of the initial mesh.
    initial_paths : array-like, shape=[n, n_nodes, D], optional
        Initial curves (equally spaced in arc length) instead of straight
        lines; their velocity guess is the curve's length along its tangent.

    Returns
    -------
    velocities : ndarray, shape=[n, D]
        Initial velocities (the solver's last iterate where it failed).
    success : ndarray of bool, shape=[n]
    """
    base_point = manifold.check_points(base_point, "base_point")
    targets = np.atleast_2d(manifold.check_points(points, "points"))
    tol = check_positive(tol, "tol")
    dim = manifold.dim
    mesh = np.linspace(0.0, 1.0, check_positive_int(n_nodes, "n_nodes"))

    def fun(_, y):
        return np.vstack([y[dim:], manifold.geodesic_acceleration(y[:dim].T, y[dim:].T).T])

    if initial_paths is not None:
        initial_paths = np.asarray(initial_paths, dtype=float)
        if initial_paths.shape != (len(targets), mesh.size, dim):
            raise ValueError(f"initial_paths: expected shape {(len(targets), mesh.size, dim)}, "
                             f"got {initial_paths.shape}")
    velocities, success = np.empty_like(targets), np.empty(len(targets), bool)
    for i, target in enumerate(targets):
        if initial_paths is None:
            chord = target - base_point
            guess = np.vstack([base_point[:, None] + mesh * chord[:, None],
                               np.repeat(chord[:, None], mesh.size, axis=1)])
        else:
            curve = initial_paths[i]
            guess = np.vstack([curve.T, np.gradient(curve, mesh, axis=0).T])
        sol = integrate.solve_bvp(
            fun, lambda ya, yb, target=target: np.concatenate([ya[:dim] - base_point, yb[:dim] - target]),
            mesh, guess, tol=tol)
        velocities[i] = sol.y[dim:, 0]
        success[i] = sol.success
    return velocities, success


def fit_warm_starts(manifold, mean, direction, cold, *, size: float = 0.02):
    """The warm starts a fit gives its Logs after a mean step of ``size`` along ``direction``.

    As :func:`land.fit_land` does: the mean moves by Exp, the frame by
    parallel transport, and each converged Log to first order in the step
    (:func:`land.model.fit.moved_logs`, with the Log Jacobian a fit has
    already computed for its gradient).

    Parameters
    ----------
    manifold : Sphere or LearnedManifold
    mean : array-like, shape=[ambient_dim]
    direction : array-like, shape=[ambient_dim]
        A unit tangent vector at ``mean``.
    cold : GeodesicResult
        ``manifold.solve_log(mean, targets)``.
    size : float
        Length of the step.

    Returns
    -------
    starts : ndarray, shape=[N, ambient_dim]
    moved : ndarray, shape=[ambient_dim]
        The new mean.
    step : ndarray, shape=[ambient_dim]

    Examples
    --------
    >>> import numpy as np
    >>> import land
    >>> from land.experiments.reference import fit_warm_starts
    >>> sphere, north = land.Sphere(), np.array([0.0, 0.0, 1.0])
    >>> targets = np.array([[0.0, np.sin(0.5), np.cos(0.5)]])
    >>> starts, moved, _ = fit_warm_starts(sphere, north, np.array([0.0, 1.0, 0.0]),
    ...                                   sphere.solve_log(north, targets))
    >>> bool(np.allclose(starts, sphere.log(moved, targets), atol=1e-10))
    True
    """
    frame = manifold.frame(mean)
    step = size * np.asarray(direction, dtype=float)
    moved = manifold.exp(mean, step)
    moved_frame = manifold.transport_frame(mean, step, frame)
    ok = cold.converged
    coords = manifold.coordinates(mean, frame, cold.value[ok])
    xi = manifold.coordinates(mean, frame, step[None])[0]
    starts = moved_logs(cold.value, ok, coords, manifold.log_jacobian(mean, frame, coords), step,
                        xi, moved_frame)
    return starts, moved, step
