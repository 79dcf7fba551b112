"""The LAND metric learned from data: a diagonal local-covariance metric.

Arvanitidis, Hansen and Hauberg (2016) make the metric at ``x`` the inverse
of a diagonal, kernel-weighted local covariance of the data around ``x``:

    M(x) = diag(1 / (s_d(x) + rho)),   s_d(x) = sum_n w_n(x) (x_nd - x_d)^2,
    w_n(x) = exp(-|x_n - x|^2 / (2 kernel_width^2)).

Distances are short where the data are dense and spread along a direction,
and long (up to ``1/rho`` per unit) far from the data.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from land.numerics import _kernels
from land._validation import as_float_array, check_points, check_positive, check_positive_int

__all__ = ["GlobalDiagonalMetric", "LocalDiagonalMetric", "kernel_width_rule"]

# Query points are processed in chunks whose (chunk, N) weight matrix fits in
# the CPU's L2 cache (64 x 1000 doubles = 512 kB): the exponent, the exp and
# the product with the moments then run on cached data, which is about four
# times faster than one pass over a large matrix.
_CHUNK_ELEMENTS = 65_536


def _check_scales(data, kernel_width, rho):
    """Refuse a kernel width and rho whose metric would overflow in floating point."""
    if not rho > 1e-300:
        raise ValueError(f"rho: 1 / rho overflows (rho = {rho:g}); the metric far from the data "
                         "is 1 / rho, so rho must be at least about 1e-300")
    with np.errstate(all="ignore"):
        scaled = np.float64(rho) / np.float64(kernel_width) ** 2
        inverse = 1.0 / scaled
    if not (np.isfinite(scaled) and scaled > 0 and np.isfinite(inverse)):
        raise ValueError(f"kernel_width, rho: rho / kernel_width**2 = {scaled:g} overflows or "
                         f"underflows (kernel_width = {kernel_width:g}, rho = {rho:g}); the metric "
                         "is evaluated in units of the kernel width, where its floor is that ratio")
    spread = float(np.max(np.abs(data - data.mean(axis=0)))) / kernel_width
    if not spread**2 < 1e300:
        raise ValueError(f"kernel_width: {kernel_width:g} is too small for data spread over "
                         f"{spread * kernel_width:g}: squared distances in kernel widths overflow")


class _DiagonalMetric:
    """Evaluation shared by the diagonal metrics, through the compiled kernel.

    A subclass sets ``dim``, ``centre``, ``length_scale`` and ``_kernel_spec``
    (the standardised problem handed to ``land.numerics._kernels``). In standardised
    coordinates ``z = (x - centre) / length_scale`` the metric is
    ``m_z = length_scale^2 m_x``, so ``dm_x/dx = length_scale^-3 dm_z/dz``
    and ``d2m_x/dx2 = length_scale^-4 d2m_z/dz2``.
    """

    def _terms(self, points, order: int):
        query = check_points(points, "points", self.dim)
        single = query.ndim == 1
        standard = (np.atleast_2d(query) - self.centre) / self.length_scale
        zt, rho, kind, diag = self._kernel_spec
        m, jac, hess = _kernels.metric_terms_batch(zt, rho, kind, diag, standard, order)
        scale = self.length_scale
        terms = (m / scale**2, jac / scale**3, hess / scale**4)[:order + 1]
        return tuple(t[0] for t in terms) if single else terms

    def metric_diagonal(self, points) -> np.ndarray:
        """Diagonal of the metric ``M(x)`` at each point.

        Parameters
        ----------
        points : array-like, shape=[D] or [n, D]

        Returns
        -------
        ndarray, shape like ``points``
            Positive entries, at most ``1 / rho`` for the local metric.

        Raises
        ------
        TypeError
            If ``points`` is not a real numeric array.
        ValueError
            For NaN/inf, an empty batch or a last axis other than D.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> metric.metric_diagonal(data[:4]).shape
        (4, 2)
        >>> np.round(metric.metric_diagonal([50.0, -50.0]), 6)     # far from the data: 1 / rho
        array([100., 100.])
        """
        return self._terms(points, 0)[0]

    def metric_jacobian(self, points) -> np.ndarray:
        """Jacobian of the metric's diagonal, ``J[..., d, j] = dM_d / dx_j``.

        Parameters
        ----------
        points : array-like, shape=[D] or [n, D]

        Returns
        -------
        ndarray, shape=[D, D] or [n, D, D]

        Raises
        ------
        TypeError
            If ``points`` is not a real numeric array.
        ValueError
            For NaN/inf, an empty batch or a last axis other than D.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> x, step = data[0], np.array([1e-6, 0.0])
        >>> change = (metric.metric_diagonal(x + step) - metric.metric_diagonal(x - step)) / 2e-6
        >>> bool(np.allclose(metric.metric_jacobian(x)[:, 0], change, rtol=1e-5))
        True
        """
        return self._terms(points, 1)[1]

    def metric_and_jacobian(self, points, *, jacobian: bool = True):
        """Diagonal of ``M(x)`` and its Jacobian in one pass over the data.

        Parameters
        ----------
        points : array-like, shape=[D] or [n, D]
        jacobian : bool
            If False, skip the Jacobian and return None in its place.

        Returns
        -------
        diagonal : ndarray, shape like ``points``
            As :meth:`metric_diagonal`.
        jacobian : ndarray or None
            As :meth:`metric_jacobian`.

        Raises
        ------
        TypeError
            If ``points`` is not a real numeric array.
        ValueError
            For NaN/inf, an empty batch or a last axis other than D.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> m, jac = metric.metric_and_jacobian(data[:3])
        >>> m.shape, jac.shape
        ((3, 2), (3, 2, 2))
        >>> metric.metric_and_jacobian(data[:3], jacobian=False)[1] is None
        True
        """
        terms = self._terms(points, 1 if jacobian else 0)
        return terms[0], (terms[1] if jacobian else None)

    def metric_hessian(self, points) -> np.ndarray:
        """Second derivatives of the metric's diagonal, ``H[..., d, j, k] = d2M_d / dx_j dx_k``.

        Parameters
        ----------
        points : array-like, shape=[D] or [n, D]

        Returns
        -------
        ndarray, shape=[D, D, D] or [n, D, D, D]
            Symmetric in ``j`` and ``k``.

        Raises
        ------
        TypeError
            If ``points`` is not a real numeric array.
        ValueError
            For NaN/inf, an empty batch or a last axis other than D.

        Examples
        --------
        >>> import numpy as np
        >>> import land
        >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
        >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
        >>> hess = metric.metric_hessian(data[:2])
        >>> hess.shape, bool(np.allclose(hess, np.swapaxes(hess, 2, 3)))
        ((2, 2, 2, 2), True)
        """
        return self._terms(points, 2)[2]


class LocalDiagonalMetric(_DiagonalMetric):
    """Diagonal local-covariance metric of the LAND paper (report section 2).

    ``M(x) = diag(1 / (sum_n w_n(x) (x_n - x)^2 + rho))`` with Gaussian weights
    ``w_n(x) = exp(-|x_n - x|^2 / (2 kernel_width^2))``: small where the data
    spread widely around ``x``, large (up to ``1 / rho``) across the data and
    far from it, so geodesics follow the data.

    Parameters
    ----------
    data : array-like, shape=[N, D]
        The points that shape the metric.
    kernel_width : float
        Width ``sigma`` of the Gaussian weights, in data units (> 0).
    rho : float
        Regulariser added to every local variance (> 0); bounds the metric
        by ``1 / rho`` far from the data. It is a variance: scaling the data
        by ``c`` leaves the geometry unchanged when ``kernel_width`` is
        scaled by ``c`` and ``rho`` by ``c**2``.

    Raises
    ------
    TypeError
        For non-numeric data or parameters.
    ValueError
        For data that are not a finite (N, D) array, a kernel width or rho
        that is not positive, or a combination whose metric would overflow in
        floating point (``1 / rho``, ``rho / kernel_width**2``, or squared
        distances in kernel widths), with the reason.

    Notes
    -----
    Evaluation runs in a compiled kernel (``land.numerics._kernels``) by direct sums
    over the data in standardised coordinates; weights below ``exp(-40)``
    are dropped (each adds at most ``80 exp(-40) kernel_width**2``, about
    ``3.4e-16 kernel_width**2``, to a local variance). :meth:`reference_metric_and_jacobian` is an independent numpy
    implementation that the tests compare against.

    Examples
    --------
    >>> import numpy as np
    >>> import land
    >>> data = land.data.datasets.noisy_arc(100, np.random.default_rng(0), noise=0.05)
    >>> metric = land.LocalDiagonalMetric(data, kernel_width=0.3, rho=1e-2)
    >>> np.round(metric.metric_diagonal([10.0, 10.0]), 6)     # far from the data: 1 / rho
    array([100., 100.])
    >>> bool(np.all(metric.metric_diagonal(data[:5]) < 100.0))
    True
    """

    def __init__(self, data, kernel_width: float, rho: float):
        data = as_float_array(data, "data")
        if data.ndim != 2 or 0 in data.shape:
            raise ValueError(f"data: expected a non-empty array of shape (N, D), got {data.shape}")
        self.data = data
        self.kernel_width = check_positive(kernel_width, "kernel_width")
        self.rho = check_positive(rho, "rho")
        self.dim = self.data.shape[1]
        _check_scales(data, self.kernel_width, self.rho)
        # Standardised coordinates z = (x - centre) / scale: the kernel weights become
        # exp(-|z_n - z|^2 / 2) and every solver tolerance is relative to the kernel
        # width, so shifting or scaling the problem does not change the answers.
        self.centre = data.mean(axis=0)
        self.length_scale = self.kernel_width
        standard = (data - self.centre) / self.kernel_width
        self._kernel_spec = (np.ascontiguousarray(standard.T), self.rho / self.kernel_width**2, 0,
                             np.ones(self.dim))

    def __repr__(self) -> str:
        return (f"LocalDiagonalMetric(N={self.data.shape[0]}, D={self.dim}, "
                f"kernel_width={self.kernel_width:g}, rho={self.rho:g})")

    def _chunks(self, n_points: int):
        size = max(1, _CHUNK_ELEMENTS // self.data.shape[0])
        for start in range(0, n_points, size):
            yield slice(start, min(start + size, n_points))

    def _moments(self):
        """Cached data matrices that turn every kernel sum into one matrix product.

        ``lift`` maps a query ``q``, augmented to ``[q, 1, |q|^2]``, to the
        exponent ``-|x_n - q|^2 / (2 sigma^2)`` in one product. ``moments`` holds, per data point,
        ``[1, x_d, x_d^2, x_j x_d, x_j x_d^2]`` so that ``W @ moments`` yields
        every weighted sum the metric and its Jacobian need at once.
        """
        if getattr(self, "_cached_moments", None) is None:
            data = self.data - self.centre          # centred, so the expansion stays accurate
            inv_var = 1.0 / self.kernel_width**2
            # [q, 1, |q|^2] @ lift = q.x_n / s^2 - |x_n|^2 / (2 s^2) - |q|^2 / (2 s^2)
            lift = np.hstack([data * inv_var, -0.5 * inv_var * np.sum(data * data, axis=1)[:, None],
                              np.full((data.shape[0], 1), -0.5 * inv_var)])
            outer = data[:, :, None] * data[:, None, :]                      # x_nj x_nd
            moments = np.hstack([np.ones((data.shape[0], 1)), data, data * data,
                                 outer.reshape(data.shape[0], -1),
                                 (outer * data[:, None, :]).reshape(data.shape[0], -1)])
            self._cached_moments = (np.ascontiguousarray(lift.T), np.ascontiguousarray(moments))
        return self._cached_moments

    def reference_metric_and_jacobian(self, points, *, jacobian: bool = True):
        """Diagonal of ``M(x)`` and its Jacobian by numpy (the reference for the compiled kernel).

        With ``diff_n = x_n - x`` and ``s_d = sum_n w_n diff_nd^2``:
        ``ds_d/dx_j = sum_n w_n diff_nj diff_nd^2 / sigma^2 - 2 delta_dj sum_n w_n diff_nd``
        and ``dM_d/dx_j = -M_d^2 ds_d/dx_j``.

        Expanding the powers of ``diff`` turns each kernel sum into a product
        of the weight matrix ``W`` (queries x data) with precomputed moments
        of the data, so the work is two BLAS products and one ``exp`` pass
        instead of (queries x data x D) temporaries. The expansion cancels
        terms of size ``|x|^2`` to leave ones of size ``sigma^2``; in double
        precision that costs a few digits (relative error ~1e-13 for data of
        unit scale), checked against the direct sums in the tests.

        Parameters
        ----------
        points : array-like, shape=[D] or [n, D]
        jacobian : bool
            Whether to compute the Jacobian too.

        Returns
        -------
        diagonal : ndarray, shape like ``points``
        jacobian : ndarray, shape=[..., D, D] or None

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
        >>> m, jac = metric.reference_metric_and_jacobian(data[:3])
        >>> bool(np.allclose(m, metric.metric_diagonal(data[:3]), rtol=1e-10))
        True
        """
        query = check_points(points, "points", self.dim)
        single = query.ndim == 1
        query = np.atleast_2d(query) - self.centre
        dim = self.dim
        lift, moments = self._moments()
        n_cols = 1 + 2 * dim if not jacobian else moments.shape[1]
        augmented = np.hstack([query, np.ones((query.shape[0], 1)), np.sum(query * query, axis=1)[:, None]])
        sums = np.empty((query.shape[0], n_cols))
        moments = moments[:, :n_cols]
        for part in self._chunks(query.shape[0]):
            weights = augmented[part] @ lift                                  # (b, N) exponents
            np.exp(weights, out=weights)
            np.matmul(weights, moments, out=sums[part])
        q = query
        s0 = sums[:, :1]
        s1 = sums[:, 1:1 + dim]                                               # sum w x_d
        s2 = sums[:, 1 + dim:1 + 2 * dim]                                     # sum w x_d^2
        local_var = s2 - 2.0 * q * s1 + q * q * s0
        diagonal = 1.0 / (np.maximum(local_var, 0.0) + self.rho)
        jac = None
        if jacobian:
            half_inv_var = 0.5 / self.kernel_width**2
            start = 1 + 2 * dim
            p1 = sums[:, start:start + dim * dim].reshape(-1, dim, dim)       # [b, j, d]
            p2 = sums[:, start + dim * dim:].reshape(-1, dim, dim)
            qj, qd = q[:, :, None], q[:, None, :]
            cubic = (p2 - 2.0 * qd * p1 + qd**2 * s1[:, :, None] - qj * s2[:, None, :]
                     + 2.0 * qj * qd * s1[:, None, :] - qj * qd**2 * s0[:, :, None])
            d_var = 2.0 * half_inv_var * np.swapaxes(cubic, 1, 2)             # [b, d, j]
            d_var -= 2.0 * (s1 - q * s0)[:, :, None] * np.eye(dim)
            jac = -(diagonal**2)[:, :, None] * d_var
        if single:
            diagonal = diagonal[0]
            jac = jac[0] if jacobian else None
        return diagonal, jac


class GlobalDiagonalMetric(_DiagonalMetric):
    """One constant diagonal metric ``M(x) = diag(diagonal)`` for the whole space.

    The "global metric" of report section 2: geodesics are straight lines and
    the LAND reduces to a Euclidean Gaussian in rescaled coordinates. Useful
    as a baseline and as a check of the geodesic solvers.

    Parameters
    ----------
    diagonal : array-like, shape=[D]
        Positive entries of the metric.

    Raises
    ------
    TypeError, ValueError
        If ``diagonal`` is not a finite 1-D array of positive numbers.

    Examples
    --------
    >>> import numpy as np
    >>> import land
    >>> flat = land.LearnedManifold(land.GlobalDiagonalMetric([4.0, 1.0]))
    >>> np.round(flat.exp(np.zeros(2), [0.5, 0.5]), 9)         # a straight line
    array([0.5, 0.5])
    """

    def __init__(self, diagonal):
        diagonal = as_float_array(diagonal, "diagonal")
        if diagonal.ndim != 1 or diagonal.size == 0 or np.any(diagonal <= 0):
            raise ValueError(f"diagonal: expected a 1-D array of positive numbers, got {diagonal!r}")
        self.diagonal = diagonal
        self.dim = diagonal.size
        self.centre = np.zeros(self.dim)
        self.length_scale = 1.0
        self._kernel_spec = (np.zeros((self.dim, 1)), 1.0, 1, diagonal.copy())

    def __repr__(self) -> str:
        return f"GlobalDiagonalMetric({self.diagonal.tolist()})"


def kernel_width_rule(train, n_neighbours: int = 20) -> float:
    """A data-driven kernel width: the median distance to the ``n_neighbours``-th neighbour.

    With this width each training point has about ``n_neighbours`` others
    within one kernel width, so the local covariances behind the metric
    average over enough points not to be noise, in whatever units the data
    come in. It is chosen from the training points alone.

    Parameters
    ----------
    train : array-like, shape=[N, D]
        The data the metric is learned from (N > ``n_neighbours``).
    n_neighbours : int
        Which neighbour's distance to take the median of.

    Returns
    -------
    float
        The kernel width, in the units of the data.

    Raises
    ------
    TypeError
        If ``train`` is not numeric or ``n_neighbours`` is not an integer.
    ValueError
        If ``train`` is not a finite (N, D) array with N > ``n_neighbours``
        and D >= 1,
        ``n_neighbours`` < 1, or the rule gives 0 (most points repeated more
        than ``n_neighbours`` times).

    Examples
    --------
    >>> import numpy as np
    >>> from land.geometry.metric import kernel_width_rule
    >>> grid = np.stack(np.meshgrid(np.arange(10.0), np.arange(10.0)), -1).reshape(-1, 2)
    >>> kernel_width_rule(grid, n_neighbours=4)
    1.0
    >>> kernel_width_rule(2.0 * grid, n_neighbours=4)
    2.0
    """
    train = as_float_array(train, "train")
    n_neighbours = check_positive_int(n_neighbours, "n_neighbours")
    if train.ndim != 2 or train.shape[0] <= n_neighbours:
        raise ValueError(f"train: expected shape (N, D) with N > n_neighbours = {n_neighbours}, "
                         f"got {train.shape}")
    if train.shape[1] == 0:
        raise ValueError(f"train: expected at least one feature, got shape {train.shape}")
    dist, _ = cKDTree(train).query(train, [n_neighbours + 1])  # the first hit is the point itself
    width = float(np.median(dist))
    if not width > 0:
        raise ValueError(f"train: most points have {n_neighbours} or more exact duplicates, so the "
                         f"median distance to the {n_neighbours}-th neighbour is 0 and gives no "
                         "kernel width; remove the duplicates or give the kernel width explicitly")
    return width
