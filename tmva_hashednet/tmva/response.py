"""A HashedDNN method recreated from its weight file: transform + network.

Used by the Factory for testing (TMVA tests the method recreated from the
weight file) and by the Reader.
"""

from __future__ import annotations

import numpy as np

from ..network import HashedNetwork
from .weights_xml import WeightFile, read_weight_file

__all__ = ["MethodResponse"]


class MethodResponse:
    """Responses of a trained HashedDNN: P(signal), class probabilities or targets."""

    def __init__(self, content: WeightFile, num_threads: int = 0):
        self.content = content
        self.network = HashedNetwork.from_text(content.network_text, num_threads)
        self.n_variables = len(content.variables)
        if self.network.n_inputs != self.n_variables:
            raise ValueError(f"weight file of '{content.title}' declares {self.n_variables} variables but its network "
                             f"has {self.network.n_inputs} inputs; the file is damaged")

    @classmethod
    def from_file(cls, path, num_threads: int = 0) -> "MethodResponse":
        return cls(read_weight_file(path), num_threads)

    @property
    def analysis_type(self) -> str:
        return self.content.analysis_type

    def evaluate(self, x) -> np.ndarray:
        """(n,) for classification, (n, classes) for multiclass, (n, targets) for regression."""
        x = np.ascontiguousarray(np.asarray(x, np.float32).reshape(-1, self.n_variables))
        transform = self.content.transform
        if transform is not None:
            x = transform.apply(x, slice(0, self.n_variables))
        out = self.network.predict(x)
        if self.analysis_type != "Regression":
            return out
        out = out.reshape(len(x), -1)
        if transform is not None and len(transform.inputs) > self.n_variables:
            out = transform.inverse(out, slice(self.n_variables, len(transform.inputs)))
        return out
