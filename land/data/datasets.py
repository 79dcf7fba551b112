"""Data sets beyond the sphere: curved synthetic data and a packaged real data set.

The sphere chapters could lean on closed-form Exp and Log maps; the data here
have none, so a LAND on them needs the learned metric. Every generator takes
a ``numpy.random.Generator`` and nothing is downloaded:

* :func:`noisy_arc` -- points near a circular arc in the plane (2-D);
* :func:`noisy_cylinder_patch` -- points near a bent sheet (a patch of a
  cylinder) in space (3-D);
* :func:`load_wine_pca` -- the 178 wines of scikit-learn's bundled wine data
  set, standardised and projected on their first two principal components,
  where the three cultivars lie along a curved band.
"""

from __future__ import annotations

import numpy as np

from land._validation import as_float_array, check_generator, check_nonnegative, check_positive, check_positive_int

__all__ = ["noisy_arc", "noisy_cylinder_patch", "load_wine_pca", "train_test_split"]


def _check_angle_range(angle_range) -> tuple[float, float]:
    try:
        low, high = (float(a) for a in angle_range)
    except (TypeError, ValueError) as error:
        raise TypeError("angle_range: expected a pair of numbers (low, high) in radians") from error
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"angle_range: expected finite low < high, got ({low}, {high})")
    return low, high


def noisy_arc(n: int, rng: np.random.Generator, *, radius: float = 1.0,
              angle_range=(0.0, np.pi), noise: float = 0.1) -> np.ndarray:
    """Points scattered around a circular arc in the plane.

    Angles are uniform on ``angle_range``; each point on the circle of radius
    ``radius`` is moved by isotropic Gaussian noise of standard deviation
    ``noise``.

    Parameters
    ----------
    n : int
        Number of points (>= 1).
    rng : numpy.random.Generator
    radius : float
        Radius of the arc (> 0).
    angle_range : pair of float
        ``(low, high)`` angles in radians, ``low < high``.
    noise : float
        Standard deviation of the isotropic noise (>= 0).

    Returns
    -------
    ndarray, shape=[n, 2]

    Raises
    ------
    TypeError
        If ``n`` is not an integer, ``rng`` not a ``numpy.random.Generator``,
        ``radius`` or ``noise`` not a real number, or ``angle_range`` not a
        pair of numbers.
    ValueError
        If ``n < 1``, ``radius`` is not a finite number > 0, ``noise`` is
        negative or not finite, or ``angle_range`` is not a finite ``low <
        high``.

    Examples
    --------
    >>> import numpy as np
    >>> from land.data.datasets import noisy_arc
    >>> noisy_arc(50, np.random.default_rng(0)).shape
    (50, 2)

    Without noise the points lie on the arc itself:

    >>> arc = noisy_arc(20, np.random.default_rng(0), radius=2.0, noise=0.0)
    >>> bool(np.allclose(np.linalg.norm(arc, axis=1), 2.0)), bool(np.all(arc[:, 1] >= 0))
    (True, True)
    """
    n = check_positive_int(n, "n")
    rng = check_generator(rng)
    radius = check_positive(radius, "radius")
    low, high = _check_angle_range(angle_range)
    noise = check_nonnegative(noise, "noise")
    angles = rng.uniform(low, high, n)
    arc = radius * np.column_stack([np.cos(angles), np.sin(angles)])
    return arc + noise * rng.standard_normal((n, 2))


def noisy_cylinder_patch(n: int, rng: np.random.Generator, *, radius: float = 1.0,
                         angle_range=(0.0, np.pi), height: float = 1.0,
                         noise: float = 0.1) -> np.ndarray:
    """Points scattered around a bent sheet: a patch of a cylinder in space.

    The patch is ``(radius cos t, radius sin t, z)`` with ``t`` uniform on
    ``angle_range`` and ``z`` uniform on ``[-height / 2, height / 2]``: the
    arc of :func:`noisy_arc` swept along the third axis. Isotropic Gaussian
    noise of standard deviation ``noise`` is added in all three directions.

    Parameters
    ----------
    n : int
        Number of points (>= 1).
    rng : numpy.random.Generator
    radius : float
        Radius of the cylinder (> 0).
    angle_range : pair of float
        ``(low, high)`` angles in radians, ``low < high``.
    height : float
        Extent of the sheet along the cylinder's axis (> 0).
    noise : float
        Standard deviation of the isotropic noise (>= 0).

    Returns
    -------
    ndarray, shape=[n, 3]

    Raises
    ------
    TypeError
        If ``n`` is not an integer, ``rng`` not a ``numpy.random.Generator``,
        ``radius``, ``height`` or ``noise`` not a real number, or
        ``angle_range`` not a pair of numbers.
    ValueError
        If ``n < 1``, ``radius`` or ``height`` is not a finite number > 0,
        ``noise`` is negative or not finite, or ``angle_range`` is not a
        finite ``low < high``.

    Examples
    --------
    >>> import numpy as np
    >>> from land.data.datasets import noisy_cylinder_patch
    >>> sheet = noisy_cylinder_patch(50, np.random.default_rng(0), height=1.0, noise=0.0)
    >>> sheet.shape
    (50, 3)
    >>> bool(np.allclose(np.linalg.norm(sheet[:, :2], axis=1), 1.0))
    True
    >>> bool(np.all(np.abs(sheet[:, 2]) <= 0.5))
    True
    """
    n = check_positive_int(n, "n")
    rng = check_generator(rng)
    radius = check_positive(radius, "radius")
    low, high = _check_angle_range(angle_range)
    height = check_positive(height, "height")
    noise = check_nonnegative(noise, "noise")
    angles = rng.uniform(low, high, n)
    along = rng.uniform(-0.5 * height, 0.5 * height, n)
    sheet = np.column_stack([radius * np.cos(angles), radius * np.sin(angles), along])
    return sheet + noise * rng.standard_normal((n, 3))


def load_wine_pca(n_components: int = 2, *, return_labels: bool = False):
    """The wine data set bundled with scikit-learn, standardised and projected by PCA.

    The 13 chemical measurements of 178 wines are standardised (zero mean,
    unit variance per feature), projected on their first ``n_components``
    principal components, and each component is scaled to unit variance.
    In the first two components the three cultivars lie along a curved band
    (a horseshoe), which a single Gaussian describes poorly. The file ships
    inside scikit-learn; nothing is downloaded.

    Parameters
    ----------
    n_components : int
        Number of principal components kept (1 to 13).
    return_labels : bool
        Also return the cultivar of each wine (0, 1 or 2).

    Returns
    -------
    points : ndarray, shape=[178, n_components]
    labels : ndarray of int, shape=[178]
        Only if ``return_labels``.

    Raises
    ------
    TypeError
        If ``n_components`` is not an integer.
    ValueError
        If ``n_components`` is not from 1 to 13.

    Examples
    --------
    >>> import numpy as np
    >>> from land.data.datasets import load_wine_pca
    >>> points, labels = load_wine_pca(return_labels=True)
    >>> points.shape, np.bincount(labels).tolist()
    ((178, 2), [59, 71, 48])
    >>> np.round(points.std(axis=0), 6)
    array([1., 1.])
    """
    n_components = check_positive_int(n_components, "n_components")
    if n_components > 13:
        raise ValueError(f"n_components: expected an integer from 1 to 13, got {n_components}")
    from sklearn.datasets import load_wine  # optional dependency, imported where used

    bunch = load_wine()
    features = (bunch.data - bunch.data.mean(axis=0)) / bunch.data.std(axis=0)
    _, _, components = np.linalg.svd(features, full_matrices=False)
    # Fix each component's sign (largest loading positive) so the result does not
    # depend on the LAPACK build.
    signs = np.sign(components[np.arange(n_components), np.argmax(np.abs(components[:n_components]),
                                                                  axis=1)])
    scores = features @ (components[:n_components].T * signs)
    points = scores / scores.std(axis=0)
    if return_labels:
        return points, bunch.target.copy()
    return points


def train_test_split(points, test_fraction: float, rng: np.random.Generator):
    """Random split of ``points`` into a training and a held-out part.

    Parameters
    ----------
    points : array-like, shape=[N, D]
    test_fraction : float
        Share of the points held out, strictly between 0 and 1; at least one
        point goes to each part.
    rng : numpy.random.Generator

    Returns
    -------
    train : ndarray, shape=[N - N_test, D]
    test : ndarray, shape=[N_test, D]
        ``N_test`` is ``round(test_fraction * N)``, kept between 1 and ``N - 1``.

    Raises
    ------
    TypeError
        If ``test_fraction`` is not a real number, ``rng`` not a
        ``numpy.random.Generator``, or ``points`` an object numpy cannot
        convert to floats.
    ValueError
        If ``points`` holds text that is not a number or is not an ``(N, D)``
        array with ``N >= 2``, or ``test_fraction`` is not in ``(0, 1)``.

    Examples
    --------
    >>> import numpy as np
    >>> from land.data.datasets import noisy_arc, train_test_split
    >>> points = noisy_arc(100, np.random.default_rng(0))
    >>> train, test = train_test_split(points, 0.2, np.random.default_rng(1))
    >>> train.shape, test.shape
    ((80, 2), (20, 2))
    """
    points = as_float_array(points, "points")
    if points.ndim != 2 or points.shape[0] < 2:
        raise ValueError(f"points: expected shape (N, D) with N >= 2, got {points.shape}")
    test_fraction = check_positive(test_fraction, "test_fraction")
    if test_fraction >= 1:
        raise ValueError(f"test_fraction: expected a number in (0, 1), got {test_fraction}")
    rng = check_generator(rng)
    n_test = min(max(1, int(round(test_fraction * points.shape[0]))), points.shape[0] - 1)
    order = rng.permutation(points.shape[0])
    return points[order[n_test:]], points[order[:n_test]]
