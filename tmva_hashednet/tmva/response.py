"""A HashedDNN method recreated from its weight file: transform + network.

Used by the Factory for testing (TMVA tests the method recreated from the
weight file, in one batch) and by the Reader (one event at a time, through a
per-thread evaluator of one shared network and input transformation:
``tmva_hashednet.evaluator``).
:class:`WeightFileTransform` is the file's input transformation as TMVA's
Reader applies it; ``HashedNetwork.load("...weights.xml")`` and
``tmva_hashednet.rdf`` use it too.
"""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np

from ..network import HashedNetwork
from .weights_xml import WeightFile, read_weight_file

__all__ = ["MethodResponse", "WeightFileTransform"]


class WeightFileTransform:
    """The input transformation of a weight file (its VarTransform chain; none: identity): inputs before the
    network, the inverse on regression targets after it (docs/tmva_file_layout.md §4), in numpy for the batch
    path (:meth:`inputs`, :meth:`outputs`) and as the core's const InputTransform for the event evaluators
    (:meth:`input_transform`: every chain of N, D, P, G, U; the same bits)."""

    def __init__(self, content: WeightFile):
        self.n_variables = len(content.variables)
        self.analysis_type = content.analysis_type
        self.transform = content.transform
        self.inverse_targets = (self.transform is not None and self.analysis_type == "Regression"
                                and len(self.transform.inputs) > self.n_variables)  # fmt: skip
        self._core = None  # the core's InputTransform
        self._lock = threading.Lock()
        if self.transform is not None:  # made now: the core checks every step (a damaged one is named here)
            try:
                self.input_transform()
            except ValueError as error:
                raise ValueError(f"weight file of '{content.title}': {error}") from None

    def inputs(self, x: np.ndarray) -> np.ndarray:
        """x (n, n_variables) float32 as the network sees it."""
        if self.transform is None:
            return x
        return self.transform.apply(x, slice(0, self.n_variables))

    def outputs(self, out: np.ndarray) -> np.ndarray:
        """The network's (n, n_outputs) responses as the method returns them."""
        if not self.inverse_targets:
            return out
        return self.transform.inverse(out, slice(self.n_variables, len(self.transform.inputs)))

    def input_transform(self):
        """The chain as the core's ``std::shared_ptr<const InputTransform>`` (input_transform.h) for the
        evaluators, made once (at construction) and shared by all of them."""
        from .input_transform import core_input_transform

        with self._lock:
            if self._core is None:
                n_targets = len(self.transform.inputs) - self.n_variables if self.inverse_targets else 0
                self._core = core_input_transform(self.transform, self.n_variables, n_targets)
            return self._core


class MethodResponse:
    """Responses of a trained HashedDNN: P(signal), class probabilities or targets.

    The network is held once per process: every MethodResponse of one network text (the Readers of one
    weight file, in any number of threads) evaluates events on the same const snapshot
    (:func:`tmva_hashednet.evaluator.shared_network`), each thread with its own small evaluator; the
    batch path's trainable network (:attr:`network`, about 1 MB of backend buffers) is made only when
    :meth:`evaluate` first needs it."""

    def __init__(self, content: WeightFile, num_threads: int = 0):
        from ..evaluator import shared_network

        self.shared = shared_network(content.network_text)
        self.content = replace(content, network_text=self.shared.text)  # one copy of the text per network too
        self.n_variables = len(content.variables)
        if self.shared.n_inputs != self.n_variables:
            raise ValueError(f"weight file of '{content.title}' declares {self.n_variables} variables but its network "
                             f"has {self.shared.n_inputs} inputs; the file is damaged")
        self.transform = WeightFileTransform(content)
        self._num_threads = num_threads
        self._network = None  # the batch path's, made on first use
        self._lock = threading.Lock()
        self._local = threading.local()

    @classmethod
    def from_file(cls, path, num_threads: int = 0) -> "MethodResponse":
        return cls(read_weight_file(path), num_threads)

    @property
    def analysis_type(self) -> str:
        return self.content.analysis_type

    @property
    def n_outputs(self) -> int:
        return self.shared.n_outputs

    @property
    def network(self) -> HashedNetwork:
        """The batch path's network (made on first use, then kept)."""
        with self._lock:
            if self._network is None:
                self._network = HashedNetwork.from_text(self.shared.text, self._num_threads)
            return self._network

    def evaluate(self, x) -> np.ndarray:
        """(n,) for classification, (n, classes) for multiclass, (n, targets) for regression (batch path)."""
        x = np.ascontiguousarray(np.asarray(x, np.float32).reshape(-1, self.n_variables))
        out = self.network.predict(self.transform.inputs(x))
        if self.analysis_type != "Regression":
            return out
        return self.transform.outputs(out.reshape(len(x), -1))

    def evaluate_one(self, values: np.ndarray) -> np.ndarray:
        """The responses of one event (the event path, as TMVA's Reader: bit for bit the method's GetMvaValue),
        through this thread's evaluator of one network and one input transformation shared by all threads."""
        evaluator = getattr(self._local, "evaluator", None)
        if evaluator is None:
            evaluator = self._local.evaluator = self._thread_evaluator()
        return evaluator.one(values)

    def _thread_evaluator(self):
        from ..evaluator import Evaluator

        return Evaluator.over(self.shared, self.transform.input_transform())
