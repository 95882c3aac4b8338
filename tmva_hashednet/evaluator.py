"""Evaluator: event-by-event responses of a trained network, one evaluator per thread.

What it is: the Python face of the core's ``evaluator.h``.
``network.evaluator()`` takes a snapshot of the network's parameters, shared
read-only, and returns an :class:`Evaluator` with buffers of its own;
``evaluator.copy()`` returns another over the same snapshot, for another
thread. Responses come from the event path (``event_forward.h``): equal bit for
bit to the TMVA method's ``GetMvaValue``, the MakeClass standalone class and
the Reader's ``EvaluateMVA``, whatever the thread and the number of events.
A network read from a TMVA weight file (``HashedNetwork.load("...weights.xml")``)
has the file's input transformation applied first, as the Reader applies it.
The C++ calls release the GIL, so Python threads evaluate in parallel.

What it is not: the batch path (:meth:`HashedNetwork.predict`, faster for many
events, equal within float rounding), and not to be shared: one Evaluator
belongs to one thread at a time. A snapshot does not follow later training;
call ``network.evaluator()`` again.
"""

from __future__ import annotations

import numpy as np

from ._arrays import as_matrix, check_finite
from ._core import core
from ._errors import translate_errors

__all__ = ["Evaluator"]


def _release_gil(hn) -> None:
    """The evaluating calls run without the GIL (each Evaluator is one thread's)."""
    hn.SlotEvaluators.evaluate_events.__release_gil__ = True


class Evaluator:
    """One thread's evaluator of a shared network snapshot (``network.evaluator()``)."""

    def __init__(self, shared, normalize, inverse_targets: bool):
        hn = core()
        _release_gil(hn)
        self._shared, self._normalize, self._inverse_targets = shared, normalize, bool(inverse_targets)
        with translate_errors():
            self._slots = hn.SlotEvaluators(shared, normalize, self._inverse_targets, 1)
        self.n_inputs = int(self._slots.n_inputs())
        self.n_outputs = int(self._slots.n_outputs())

    @classmethod
    def of(cls, model, normalize=None, inverse_targets: bool = False) -> "Evaluator":
        """An evaluator over a new snapshot of a core Model (``HashedNetwork.evaluator`` calls this)."""
        hn = core()
        with translate_errors():
            shared = hn.share_network(model)
        return cls(shared, hn.NormalizeInputs() if normalize is None else normalize, inverse_targets)

    def copy(self) -> "Evaluator":
        """Another evaluator over the same snapshot (no copy of the parameters), for another thread."""
        return Evaluator(self._shared, self._normalize, self._inverse_targets)

    def __call__(self, x) -> np.ndarray:
        """Responses of the events x (n, n_inputs), shaped as :meth:`HashedNetwork.predict`'s."""
        x = as_matrix("x", x, self.n_inputs)
        check_finite("x", x)
        out = np.empty((x.shape[0], self.n_outputs), dtype=np.float32)
        with translate_errors():
            self._slots.evaluate_events(0, x, x.shape[0], out)
        return out[:, 0] if self.n_outputs == 1 else out

    def one(self, values) -> np.ndarray:
        """The n_outputs responses of one event (n_inputs values), as a 1-D array."""
        x = np.ascontiguousarray(np.asarray(values, dtype=np.float32).reshape(-1))
        if x.size != self.n_inputs:
            raise ValueError(f"one event has {self.n_inputs} values, got {x.size}")
        check_finite("values", x)
        out = np.empty(self.n_outputs, dtype=np.float32)
        with translate_errors():
            self._slots.evaluate_events(0, x, 1, out)
        return out

    def __repr__(self) -> str:
        return f"Evaluator(n_inputs={self.n_inputs}, n_outputs={self.n_outputs})"
