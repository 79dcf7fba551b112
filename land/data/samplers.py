"""Synthetic data on the sphere (report section 4.1).

Two samplers:

* :func:`sample_sphere_data` follows the report: tangent coordinates from
  ``N(0, cov)`` in the Gram-Schmidt frame at the mean, pushed to the sphere
  by Exp. Draws with ``|v| >= pi`` are rejected (the report wrote
  ``|v|^2 > pi``; the injectivity radius of the unit sphere is pi, so the
  right condition is on ``|v|``).
* :func:`sample_sphere_land` draws from the sphere LAND itself, whose density
  in normal coordinates is ``N(v; 0, cov) sin|v|/|v|`` on ``|v| < pi``: it
  accepts each tangent draw with probability ``sin|v|/|v|``.

The two differ: the push-forward of a tangent Gaussian is not LAND-distributed,
so fitting a LAND to the first kind of data mixes model mismatch into the
estimator's error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from land._validation import check_generator, check_positive_int, check_spd
from land.geometry.sphere import Sphere

__all__ = ["SphereSample", "sample_sphere_data", "sample_sphere_land"]

_SPHERE = Sphere()
# Give up when fewer than one draw in this many is accepted.
_MAX_DRAWS_PER_POINT = 1000


@dataclass(frozen=True)
class SphereSample:
    """Points on the sphere with the tangent vectors they came from.

    Attributes
    ----------
    points : ndarray, shape=[n, 3]
    tangent_coords : ndarray, shape=[n, 2]
        Coordinates of ``Log_mean(points)`` in ``frame``.
    tangent_vecs : ndarray, shape=[n, 3]
        The same tangent vectors in R^3 (``tangent_coords @ frame.T``).
    mean : ndarray, shape=[3]
    frame : ndarray, shape=[3, 2]
        ``Sphere().tangent_basis(mean)``: the frame ``cov`` is expressed in.
    cov : ndarray, shape=[2, 2]
    n_rejected : int
        Tangent draws thrown away (wrap-around guard, or acceptance test).

    Examples
    --------
    Both samplers return one:

    >>> import numpy as np
    >>> import land
    >>> sample = land.sample_sphere_data(5, [0.0, 0.0, 1.0], np.diag([0.1, 0.05]),
    ...                                  np.random.default_rng(0))
    >>> sample.points.shape, sample.tangent_coords.shape, sample.frame.shape
    ((5, 3), (5, 2), (3, 2))
    >>> bool(np.allclose(sample.tangent_vecs, sample.tangent_coords @ sample.frame.T))
    True
    """

    points: np.ndarray
    tangent_coords: np.ndarray
    tangent_vecs: np.ndarray
    mean: np.ndarray
    frame: np.ndarray
    cov: np.ndarray
    n_rejected: int


def _rejection_sample(n, mean, cov, rng, accept_probability) -> SphereSample:
    n = check_positive_int(n, "n")
    mean = _SPHERE.check_points(mean, "mean")
    if mean.ndim != 1:
        raise ValueError(f"mean: expected shape (3,), got {mean.shape}")
    cov = check_spd(cov, "cov", 2)
    rng = check_generator(rng)
    chol = np.linalg.cholesky(cov)
    accepted, n_accepted, n_drawn, n_rejected = [], 0, 0, 0
    while n_accepted < n:
        if n_drawn > _MAX_DRAWS_PER_POINT * n:
            raise ValueError(
                f"cov: fewer than 1 in {_MAX_DRAWS_PER_POINT} tangent draws are accepted; "
                "the covariance is far too wide for the unit sphere"
            )
        batch = max(2 * (n - n_accepted), 64)
        coords = rng.standard_normal((batch, 2)) @ chol.T
        kept = np.flatnonzero(rng.random(batch) < accept_probability(coords))
        need = n - n_accepted
        if kept.size >= need:
            # Draws after the one that completes the sample are never looked at.
            kept = kept[:need]
            n_used = kept[-1] + 1
        else:
            n_used = batch
        accepted.append(coords[kept])
        n_accepted += kept.size
        n_drawn += n_used
        n_rejected += n_used - kept.size
    coords = np.concatenate(accepted)
    frame = _SPHERE.tangent_basis(mean)
    vecs = coords @ frame.T
    return SphereSample(_SPHERE.exp(mean, vecs), coords, vecs, mean, frame, cov, int(n_rejected))


def sample_sphere_data(n: int, mean, cov, rng: np.random.Generator) -> SphereSample:
    """The report's data: Exp of tangent Gaussian draws, rejecting ``|v| >= pi``.

    Parameters
    ----------
    n : int
        Number of points (>= 1).
    mean : array-like, shape=[3]
        Unit vector, the target mean.
    cov : array-like, shape=[2, 2]
        Target covariance in ``Sphere().tangent_basis(mean)`` (radians^2).
    rng : numpy.random.Generator

    Returns
    -------
    SphereSample
        ``n_rejected`` counts draws that would have wrapped around the sphere.

    Raises
    ------
    TypeError
        If ``n`` is not an integer, ``rng`` not a ``numpy.random.Generator``,
        or ``mean`` or ``cov`` not numeric.
    ValueError
        If ``n < 1``, ``mean`` is not a single unit vector of shape ``(3,)``,
        ``cov`` is not a symmetric positive definite ``(2, 2)`` matrix, or it
        is so wide that fewer than one tangent draw in 1000 is accepted.

    Examples
    --------
    A wide covariance sends some draws past the antipode; they are redrawn:

    >>> import numpy as np
    >>> import land
    >>> sample = land.sample_sphere_data(100, [0.0, 0.0, 1.0], np.diag([4.0, 4.0]),
    ...                                  np.random.default_rng(0))
    >>> sample.points.shape, bool(sample.n_rejected > 0)
    ((100, 3), True)
    >>> bool(np.all(np.linalg.norm(sample.tangent_coords, axis=1) < np.pi))
    True
    """
    return _rejection_sample(n, mean, cov, rng, lambda coords: (np.linalg.norm(coords, axis=1) < np.pi).astype(float))


def sample_sphere_land(n: int, mean, cov, rng: np.random.Generator) -> SphereSample:
    """Exact draws from the sphere LAND with parameters ``mean`` and ``cov``.

    A tangent draw ``v ~ N(0, cov)`` is kept with probability ``sin|v|/|v|``
    (0 for ``|v| >= pi``), so kept draws have density proportional to the
    LAND's density in normal coordinates; Exp maps them to the sphere.
    Arguments and return value are as in :func:`sample_sphere_data`.

    Parameters
    ----------
    n : int
        Number of points (>= 1).
    mean : array-like, shape=[3]
        Unit vector, the LAND's mean.
    cov : array-like, shape=[2, 2]
        The LAND's covariance in ``Sphere().tangent_basis(mean)`` (radians^2).
    rng : numpy.random.Generator

    Returns
    -------
    SphereSample
        ``n_rejected`` counts draws refused by the acceptance test.

    Raises
    ------
    TypeError
        If ``n`` is not an integer, ``rng`` not a ``numpy.random.Generator``,
        or ``mean`` or ``cov`` not numeric.
    ValueError
        If ``n < 1``, ``mean`` is not a single unit vector of shape ``(3,)``,
        ``cov`` is not a symmetric positive definite ``(2, 2)`` matrix, or it
        is so wide that fewer than one tangent draw in 1000 is accepted.

    Examples
    --------
    >>> import numpy as np
    >>> import land
    >>> sample = land.sample_sphere_land(100, [0.0, 0.0, 1.0], np.diag([0.1, 0.05]),
    ...                                  np.random.default_rng(0))
    >>> sample.points.shape
    (100, 3)
    >>> bool(np.allclose(np.linalg.norm(sample.points, axis=1), 1.0))
    True
    >>> bool(np.allclose(land.Sphere().log(sample.mean, sample.points), sample.tangent_vecs))
    True
    """
    return _rejection_sample(n, mean, cov, rng, _SPHERE.volume_density)
