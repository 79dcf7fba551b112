"""Argument checks shared by the package.

Every public function validates its inputs here, so that bad input fails early
with a message that names the argument and says what was expected.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "as_float_array",
    "check_generator",
    "check_positive",
    "check_positive_int",
    "check_spd",
    "check_points",
]


def as_float_array(value, name: str) -> np.ndarray:
    """Convert ``value`` to a finite float array or raise.

    Raises
    ------
    TypeError
        If ``value`` cannot be read as a numeric array.
    ValueError
        If any entry is NaN or infinite.
    """
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name}: expected a numeric array, got {type(value).__name__}") from error
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name}: expected finite values, found NaN or inf")
    return array


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


def check_spd(value, name: str, dim: int) -> np.ndarray:
    """Return ``value`` as a symmetric positive definite ``(dim, dim)`` matrix."""
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
    return 0.5 * (matrix + matrix.T)


def check_generator(rng, name: str = "rng") -> np.random.Generator:
    """Require a ``numpy.random.Generator`` (never the global numpy state)."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{name}: expected a numpy.random.Generator (e.g. np.random.default_rng(0)), "
            f"got {type(rng).__name__}"
        )
    return rng
