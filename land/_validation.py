"""Argument checks shared by the package.

Every public function validates its inputs here, so that bad input fails early
with a message that names the argument and says what was expected.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "as_float_array",
    "check_base_point",
    "check_data_matrix",
    "check_finite_result",
    "check_frame",
    "check_generator",
    "check_positive",
    "check_positive_int",
    "check_spd",
    "check_points",
]


def as_float_array(value, name: str, *, allow_neginf: bool = False) -> np.ndarray:
    """Convert ``value`` to a finite float array or raise.

    Integers and floats are accepted; complex, boolean, string and object
    arrays are refused rather than cast (a complex array would silently lose
    its imaginary part, a boolean one would pass as 0/1).

    Raises
    ------
    TypeError
        If ``value`` is None, sparse, boolean, textual or not numeric.
    ValueError
        If it is complex or any entry is NaN or infinite.
    """
    if value is None:
        raise TypeError(f"{name}: expected a numeric array, got None")
    if hasattr(value, "tocsr") or hasattr(value, "todense"):
        raise TypeError(f"{name}: sparse input is not supported; pass a dense array "
                        f"({name}.toarray())")
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError) as error:  # ragged nested sequences
        raise TypeError(f"{name}: expected a numeric array, got {type(value).__name__} "
                        f"that numpy cannot read as one ({error})") from error
    kind = raw.dtype.kind
    if kind == "c":
        # ValueError, as scikit-learn raises for complex data.
        raise ValueError(f"{name}: Complex data not supported (expected real values)")
    if kind == "b":
        raise TypeError(f"{name}: expected real values, got a boolean array")
    if kind not in "iuf":
        raise TypeError(f"{name}: expected a numeric array, got dtype {raw.dtype} "
                        f"(from {type(value).__name__})")
    array = raw.astype(float, copy=False)
    bad = ~np.isfinite(array)
    if allow_neginf:   # log densities: -inf is a density of zero, not an error
        bad &= ~np.isneginf(array)
    if np.any(bad):
        raise ValueError(f"{name}: expected finite values, found NaN or inf")
    return array


def check_data_matrix(value, name: str = "X") -> np.ndarray:
    """Return ``value`` as a finite, non-empty float array of shape ``(n, D)``.

    Raises
    ------
    TypeError
        As :func:`as_float_array`.
    ValueError
        For NaN/inf, a shape other than ``(n, D)`` or an empty array.
    """
    array = as_float_array(value, name)
    if array.ndim != 2:
        hint = (f" Reshape your data with {name}.reshape(-1, 1) for one feature or "
                f"{name}.reshape(1, -1) for one sample." if array.ndim == 1 else "")
        raise ValueError(f"{name}: expected a 2-d array of shape (n_samples, n_features), "
                         f"got shape {array.shape}.{hint}")
    if array.shape[0] == 0:
        raise ValueError(f"{name}: found array with 0 sample(s) (shape={array.shape}) while a "
                         "minimum of 1 is required.")
    if array.shape[1] == 0:
        raise ValueError(f"{name}: found array with 0 feature(s) (shape={array.shape}) while a "
                         "minimum of 1 is required.")
    return array


def check_finite_result(values, name: str) -> np.ndarray:
    """Raise ``FloatingPointError`` naming ``name`` if a computed result is not finite.

    The last line of defence of the rule that NaN never leaves a public
    function without an error.
    """
    values = np.asarray(values)
    if not np.all(np.isfinite(values)):
        raise FloatingPointError(f"{name}: the computation gave NaN or inf "
                                 f"({int(np.count_nonzero(~np.isfinite(values)))} entries)")
    return values


def check_base_point(manifold, value, name: str = "base_point") -> np.ndarray:
    """Return ``value`` as one point of ``manifold``, shape ``(ambient_dim,)``; a batch is refused.

    Raises
    ------
    TypeError, ValueError
        As ``manifold.check_points``, and ``ValueError`` for a batch of points.
    """
    point = manifold.check_points(value, name)
    if point.ndim != 1:
        raise ValueError(f"{name}: expected a single point of shape ({manifold.ambient_dim},), "
                         f"got {point.shape}")
    return point


def check_frame(manifold, base_point, frame, name: str = "frame") -> np.ndarray:
    """Return ``frame`` if it is a tangent frame at ``base_point``, orthonormal in the metric.

    Parameters
    ----------
    manifold : Geometry
    base_point : ndarray, shape=[ambient_dim]
        Already validated.
    frame : array-like, shape=[ambient_dim, dim]
    name : str

    Raises
    ------
    TypeError, ValueError
        For a non-numeric or non-finite frame, a wrong shape, columns that
        are not tangent at ``base_point`` or not orthonormal in the metric
        there (within 1e-6).
    """
    frame = as_float_array(frame, name)
    shape = (manifold.ambient_dim, manifold.dim)
    if frame.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {frame.shape}")
    coords = getattr(manifold, "_coords", manifold.coordinates)   # the unchecked form, if any
    gram = coords(base_point, frame, frame.T)
    if not np.allclose(gram, np.eye(manifold.dim), rtol=0, atol=1e-6):
        raise ValueError(f"{name}: expected columns orthonormal in the metric at the base point "
                         f"(largest deviation of the Gram matrix from I: "
                         f"{float(np.abs(gram - np.eye(manifold.dim)).max()):.3g})")
    if manifold.ambient_dim > manifold.dim:
        # Embedded manifold (the sphere): the columns must be tangent, not just orthonormal.
        normal = np.abs(base_point @ frame)
        if np.any(normal > 1e-6):
            raise ValueError(f"{name}: expected columns tangent at the base point "
                             f"(largest normal component {float(normal.max()):.3g})")
    return frame


def check_points(value, name: str, dim: int, *, allow_single: bool = True) -> np.ndarray:
    """Return ``value`` as points of shape ``(dim,)`` or ``(n, dim)`` with ``n >= 1``."""
    array = as_float_array(value, name)
    if array.ndim == 1 and allow_single:
        if array.shape[0] != dim:
            raise ValueError(f"{name}: expected shape ({dim},), got {array.shape}")
        return array
    if array.ndim != 2 or array.shape[1] != dim:
        expected = f"({dim},) or (n, {dim})" if allow_single else f"(n, {dim})"
        raise ValueError(f"{name}: expected shape {expected}, got {array.shape}")
    if array.shape[0] == 0:
        raise ValueError(f"{name}: expected at least one point, got an empty array")
    return array


def check_positive(value, name: str) -> float:
    """Return ``value`` as a float, raising unless it is finite and > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a positive real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name}: expected a finite number > 0, got {value}")
    return value


def check_nonnegative(value, name: str) -> float:
    """Return ``value`` as a float, raising unless it is finite and >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a real number >= 0, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name}: expected a finite number >= 0, got {value}")
    return value


def check_positive_int(value, name: str) -> int:
    """Return ``value`` as an int, raising unless it is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected an integer >= 1, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name}: expected an integer >= 1, got {value}")
    return int(value)


#: :func:`check_spd` refuses a matrix whose smallest eigenvalue is at most this times its largest.
SINGULAR_RATIO = 1e-12


def check_spd(value, name: str, dim: int, *, min_ratio: float = SINGULAR_RATIO) -> np.ndarray:
    """Return ``value`` as a symmetric positive definite ``(dim, dim)`` matrix.

    A matrix whose smallest eigenvalue is at most ``min_ratio`` times its
    largest (``SINGULAR_RATIO = 1e-12`` by default) is refused as numerically
    singular: Cholesky may accept it, but its inverse is noise. Callers that
    check a matrix computed internally pass ``min_ratio=0``.

    Raises
    ------
    TypeError, ValueError
        As :func:`as_float_array`; ``ValueError`` naming ``name`` for a wrong
        shape, an asymmetric, indefinite or numerically singular matrix.
    """
    matrix = as_float_array(value, name)
    if matrix.shape != (dim, dim):
        raise ValueError(f"{name}: expected shape ({dim}, {dim}), got {matrix.shape}")
    scale = max(np.abs(matrix).max(), np.finfo(float).tiny)
    if not np.allclose(matrix, matrix.T, rtol=0, atol=1e-10 * scale):
        raise ValueError(f"{name}: expected a symmetric matrix")
    try:
        np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError as error:
        raise ValueError(f"{name}: expected a positive definite matrix") from error
    matrix = 0.5 * (matrix + matrix.T)
    if min_ratio > 0:
        eigenvalues = np.linalg.eigvalsh(matrix)
        if eigenvalues[0] <= min_ratio * eigenvalues[-1]:
            raise ValueError(f"{name}: expected a well-conditioned positive definite matrix, got "
                             f"a numerically singular one (smallest eigenvalue {eigenvalues[0]:.3g}"
                             f" <= {min_ratio:g} x largest {eigenvalues[-1]:.3g})")
    return matrix


def check_generator(rng, name: str = "rng") -> np.random.Generator:
    """Require a ``numpy.random.Generator`` (never the global numpy state)."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{name}: expected a numpy.random.Generator (e.g. np.random.default_rng(0)), "
            f"got {type(rng).__name__}"
        )
    return rng


def check_flag(value, name: str, *, allow_none: bool = False):
    """Return ``value`` as a bool (or None when allowed), raising unless it is one."""
    if value is None and allow_none:
        return None
    if not isinstance(value, (bool, np.bool_)):
        expected = "True, False or None" if allow_none else "True or False"
        raise TypeError(f"{name}: expected {expected}, got {type(value).__name__}")
    return bool(value)
