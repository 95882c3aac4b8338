"""TMVA's Normalize variable transformation (VarTransform=N), in float32.

Ranges are the per-class and all-classes min/max of the training events
(index n_classes = all classes when there is more than one class); the
all-classes range is applied: x' = (x - min) * float(1/(max - min)) * 2 - 1.
Regression targets are normalised too and the outputs mapped back
(docs/tmva_file_layout.md §4). The VarTransform chain and the other
transformations: transforms.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._moments import Moments

__all__ = ["NormalizeTransform"]

@dataclass
class NormalizeTransform:
    """inputs: (Type, Label, Expression) per normalised column; ranges: (min, max) float32 arrays per class index."""

    inputs: list
    ranges: list

    @classmethod
    def fit(cls, values: np.ndarray, class_id: np.ndarray, n_classes: int, inputs: list, weights=None,
            class_names=None) -> "NormalizeTransform":
        """TMVA's CalcNormalizationParams: the min and max of every column, per class and over all classes,
        through the package's one accumulation (``_moments.Moments``: finite values, a positive sum of
        weights per class; the weights do not change a range)."""
        values = np.asarray(values, np.float32)
        names = class_names or [str(c) for c in range(n_classes)]
        ranges = []
        if n_classes > 1:
            for c in range(n_classes):
                rows = class_id == c
                ranges.append(_ranges(f"the training events of class '{names[c]}'", values[rows],
                                      None if weights is None else weights[rows]))  # fmt: skip
        ranges.append(_ranges("the training events", values, weights))
        return cls(list(inputs), ranges)

    def offset_scale(self, columns: slice):
        low, high = (np.asarray(a, np.float32)[columns] for a in self.ranges[-1])
        width = (high - low).astype(np.float32)
        scale = (1.0 / np.where(width > 0, width, 1.0).astype(np.float64)).astype(np.float32)
        return low, scale

    def apply(self, values: np.ndarray, columns: slice = slice(None)) -> np.ndarray:
        low, scale = self.offset_scale(columns)
        values = np.asarray(values, np.float32)
        return np.ascontiguousarray((values - low) * scale * np.float32(2) - np.float32(1), dtype=np.float32)

    def inverse(self, values: np.ndarray, columns: slice) -> np.ndarray:
        low, scale = self.offset_scale(columns)
        values = np.asarray(values, np.float32)
        return (low + (values + np.float32(1)) / (np.float32(2) * scale)).astype(np.float32)


def _ranges(sample: str, values: np.ndarray, weights) -> tuple:
    moments = Moments(sample)
    if len(values):
        moments.add(values, weights, f"the values of {sample}", f"the weights of {sample}")
    return moments.ranges()
