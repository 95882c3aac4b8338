"""TMVA's Normalize variable transformation (VarTransform=N), in float32.

Ranges are the per-class and all-classes min/max of the training events
(index n_classes = all classes when there is more than one class); the
all-classes range is applied: x' = (x - min) * float(1/(max - min)) * 2 - 1.
Regression targets are normalised too and the outputs mapped back
(docs/tmva_file_layout.md §4).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["NormalizeTransform", "transform_kind"]

_NORMALIZE_NAMES = {"n", "norm", "normalise", "normalize"}
_NONE_NAMES = {"", "none"}


def transform_kind(var_transform: str) -> str:
    """'none' or 'normalize'; anything else is an error in the compat workflow."""
    text = var_transform.strip()
    if text.lower() in _NONE_NAMES:
        return "none"
    base = text.split("_", 1)[0]
    suffix = text.split("_", 1)[1] if "_" in text else "AllClasses"
    if base.lower() in _NORMALIZE_NAMES and suffix == "AllClasses" and "(" not in text:
        return "normalize"
    raise ValueError(f"VarTransform={var_transform} is not supported in the compat workflow (ROOT without TMVA); "
                     "use VarTransform=N (Normalize over all classes) or None")


@dataclass
class NormalizeTransform:
    """inputs: (Type, Label, Expression) per normalised column; ranges: (min, max) float32 arrays per class index."""

    inputs: list
    ranges: list

    @classmethod
    def fit(cls, values: np.ndarray, class_id: np.ndarray, n_classes: int, inputs: list) -> "NormalizeTransform":
        values = np.asarray(values, np.float32)
        ranges = []
        if n_classes > 1:
            for c in range(n_classes):
                rows = values[class_id == c]
                ranges.append((rows.min(axis=0), rows.max(axis=0)))
        ranges.append((values.min(axis=0), values.max(axis=0)))
        return cls(list(inputs), ranges)

    def _offset_scale(self, columns: slice):
        low, high = (np.asarray(a, np.float32)[columns] for a in self.ranges[-1])
        width = (high - low).astype(np.float32)
        scale = (1.0 / np.where(width > 0, width, 1.0).astype(np.float64)).astype(np.float32)
        return low, scale

    def apply(self, values: np.ndarray, columns: slice = slice(None)) -> np.ndarray:
        low, scale = self._offset_scale(columns)
        values = np.asarray(values, np.float32)
        return np.ascontiguousarray((values - low) * scale * np.float32(2) - np.float32(1), dtype=np.float32)

    def inverse(self, values: np.ndarray, columns: slice) -> np.ndarray:
        low, scale = self._offset_scale(columns)
        values = np.asarray(values, np.float32)
        return (low + (values + np.float32(1)) / (np.float32(2) * scale)).astype(np.float32)
