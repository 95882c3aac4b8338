"""A HashedDNN method recreated from its weight file: transform + network.

Used by the Factory for testing (TMVA tests the method recreated from the
weight file, in one batch) and by the Reader (one event at a time, through a
per-thread evaluator of one shared network: ``tmva_hashednet.evaluator``).
:class:`WeightFileTransform` is the file's input transformation as TMVA's
Reader applies it; ``HashedNetwork.load("...weights.xml")`` and
``tmva_hashednet.rdf`` use it too.
"""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np

from ..network import HashedNetwork
from .transform import NormalizeTransform
from .weights_xml import WeightFile, read_weight_file

__all__ = ["MethodResponse", "WeightFileTransform"]


class WeightFileTransform:
    """The input transformation of a weight file (its VarTransform chain; none: identity): inputs before the
    network, the inverse on regression targets after it (docs/tmva_file_layout.md §4). The event evaluators
    (evaluator.h) apply Normalize themselves; other chains (D, P, N,D ...) are applied here first."""

    def __init__(self, content: WeightFile):
        self.n_variables = len(content.variables)
        self.analysis_type = content.analysis_type
        self.transform = content.transform
        self.inverse_targets = (self.transform is not None and self.analysis_type == "Regression"
                                and len(self.transform.inputs) > self.n_variables)  # fmt: skip

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

    @property
    def in_evaluator(self) -> bool:
        """True when the core's evaluators can apply this transformation (none, or Normalize alone)."""
        steps = [] if self.transform is None else self.transform.steps
        return len(steps) == 0 or (len(steps) == 1 and isinstance(steps[0], NormalizeTransform))

    def normalize_inputs(self):
        """The same transformation as the core's ``NormalizeInputs`` (evaluator.h), for evaluators;
        ValueError for a chain the evaluators cannot apply (see :attr:`in_evaluator`)."""
        import ROOT

        from .._core import core

        if not self.in_evaluator:
            raise ValueError(f"the weight file's input transformation {self.transform.short_name} is applied by "
                             "the event evaluators (evaluator(), tmva_hashednet.rdf) only for VarTransform=N or "
                             "none; evaluate in batch with HashedNetwork.load(...).predict, or retrain with N")
        normalize = core().NormalizeInputs()
        if self.transform is None:
            return normalize
        (step,) = self.transform.steps
        low, scale = step.offset_scale(slice(None))
        normalize.low = ROOT.std.vector["float"]([float(v) for v in np.asarray(low, np.float32)])
        normalize.scale = ROOT.std.vector["float"]([float(v) for v in np.asarray(scale, np.float32)])
        normalize.n_inputs = self.n_variables
        return normalize


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
        self._normalize = None  # the evaluators' NormalizeInputs, made on the first event
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
        through this thread's evaluator of one network shared by all threads."""
        evaluator = getattr(self._local, "evaluator", None)
        if evaluator is None:
            evaluator = self._local.evaluator = self._thread_evaluator()
        if self.transform.in_evaluator:
            return evaluator.one(values)
        x = self.transform.inputs(np.asarray(values, np.float32).reshape(1, self.n_variables))
        out = np.asarray(evaluator.one(x[0]), np.float32)
        return self.transform.outputs(out.reshape(1, -1))[0]  # unchanged unless the targets were transformed

    def _thread_evaluator(self):
        from ..evaluator import Evaluator

        if not self.transform.in_evaluator:  # the chain is applied in evaluate_one
            return Evaluator.over(self.shared)
        with self._lock:
            if self._normalize is None:
                self._normalize = self.transform.normalize_inputs()
        return Evaluator.over(self.shared, self._normalize, self.transform.inverse_targets)
