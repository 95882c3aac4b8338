"""Checks and conversions of user arrays before they reach C++.

Arrays that are already C-contiguous ``float32`` pass through without a copy;
anything else is converted once here. Every problem is a ``ValueError`` or
``TypeError`` that names the argument, the shape found and the shape needed.
"""

from __future__ import annotations

import numpy as np

__all__ = ["as_matrix", "as_vector", "check_finite"]


def _as_float32(name: str, values) -> np.ndarray:
    try:
        array = np.asarray(values)
    except Exception as error:  # e.g. ragged lists
        raise TypeError(f"{name} must be a numeric array, got {type(values).__name__}: {error}") from error
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
    return np.ascontiguousarray(array, dtype=np.float32)


def as_matrix(name: str, values, n_columns: int | None = None) -> np.ndarray:
    """A C-contiguous float32 (n, d) array; 1-D input is one column."""
    array = _as_float32(name, values)
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D (events x variables), got shape {array.shape}")
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty: at least one event is needed")
    if n_columns is not None and array.shape[1] != n_columns:
        raise ValueError(f"{name} has {array.shape[1]} columns per event, expected {n_columns}")
    return array


def as_vector(name: str, values, length: int) -> np.ndarray:
    """A C-contiguous float32 vector of the given length."""
    array = _as_float32(name, values).reshape(-1)
    if array.shape[0] != length:
        raise ValueError(f"{name} has {array.shape[0]} entries, expected {length} (one per event)")
    return array


def check_finite(name: str, array: np.ndarray) -> None:
    """Raises ValueError naming the first NaN/inf entry."""
    bad = ~np.isfinite(array)
    if bad.any():
        position = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name} holds {array[position]} at {position}; values must be finite (no NaN or inf)")
