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

from land import _kernels
from land._validation import as_float_array, check_points, check_positive

__all__ = ["GlobalDiagonalMetric", "LocalDiagonalMetric"]

# Query points are processed in chunks whose (chunk, N) weight matrix fits in
# the CPU's L2 cache (64 x 1000 doubles = 512 kB): the exponent, the exp and
# the product with the moments then run on cached data, which is about four
# times faster than one pass over a large matrix.
_CHUNK_ELEMENTS = 65_536


class _DiagonalMetric:
    """Evaluation shared by the diagonal metrics, through the compiled kernel.

    A subclass sets ``dim``, ``centre``, ``length_scale`` and ``_kernel_spec``
    (the standardised problem handed to :mod:`land._kernels`). In standardised
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
        """Diagonal of ``M(x)``.

        Parameters
        ----------
        points : array-like, shape=[D] or [n, D]

        Returns
        -------
        ndarray, shape like ``points``
        """
        return self._terms(points, 0)[0]

    def metric_jacobian(self, points) -> np.ndarray:
        """Jacobian of the diagonal, ``J[..., d, j] = dM_d / dx_j``, shape [D, D] or [n, D, D]."""
        return self._terms(points, 1)[1]

    def metric_and_jacobian(self, points, *, jacobian: bool = True):
        """Diagonal of ``M(x)`` and (unless ``jacobian=False``, then None) its Jacobian."""
        terms = self._terms(points, 1 if jacobian else 0)
        return terms[0], (terms[1] if jacobian else None)

    def metric_hessian(self, points) -> np.ndarray:
        """Second derivatives ``H[..., d, j, k] = d2M_d / dx_j dx_k``, shape [D, D, D] or [n, D, D, D]."""
        return self._terms(points, 2)[2]


class LocalDiagonalMetric(_DiagonalMetric):
    """Diagonal local-covariance metric of the LAND paper (report section 2).

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

    Notes
    -----
    Evaluation runs in a compiled kernel (:mod:`land._kernels`) by direct sums
    over the data in standardised coordinates; weights below ``exp(-40)``
    are dropped (their share of any local variance is below 1e-15 of
    ``rho``). :meth:`reference_metric_and_jacobian` is an independent numpy
    implementation that the tests compare against.
    """

    def __init__(self, data, kernel_width: float, rho: float):
        data = as_float_array(data, "data")
        if data.ndim != 2 or 0 in data.shape:
            raise ValueError(f"data: expected a non-empty array of shape (N, D), got {data.shape}")
        self.data = data
        self.kernel_width = check_positive(kernel_width, "kernel_width")
        self.rho = check_positive(rho, "rho")
        self.dim = self.data.shape[1]
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
