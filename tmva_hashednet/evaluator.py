"""Evaluator: event-by-event responses of a trained network, one evaluator per thread.

What it is: the Python face of the core's ``evaluator.h``.
``network.evaluator()`` takes a snapshot of the network's parameters, shared
read-only, and returns an :class:`Evaluator` with buffers of its own;
``evaluator.copy()`` returns another over the same snapshot, for another
thread. Responses come from the event path (``event_forward.h``): equal bit for
bit to the TMVA method's ``GetMvaValue``, the MakeClass standalone class and
the Reader's ``EvaluateMVA``, whatever the thread and the number of events.
A network read from a TMVA weight file (``HashedNetwork.load("...weights.xml")``)
has the file's input transformation (any VarTransform chain of N, D, P, G, U;
``hashednet/input_transform.h``) applied first, as the Reader applies it, and
regression responses mapped back where the chain took the targets.
The C++ calls release the GIL, so Python threads evaluate in parallel.
:func:`shared_network` gives the one snapshot of a network text in this
process (the compatible Reader's, whatever the number of Readers booking it):
the only copy of the parameters, made without keeping a trainable network
(about 1 MB of backend buffers for HIGGS' 70 kB net) beside it.

What it is not: the batch path (:meth:`HashedNetwork.predict`, faster for many
events, equal within float rounding), and not to be shared: one Evaluator
belongs to one thread at a time. A snapshot does not follow later training;
call ``network.evaluator()`` again.
"""

from __future__ import annotations

import hashlib
import threading
import weakref

import numpy as np

from ._arrays import as_matrix, check_finite
from ._core import core
from ._errors import translate_errors

__all__ = ["Evaluator", "SharedNetwork", "shared_network"]

_shared_lock = threading.Lock()
_shared_networks: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # text digest -> SharedNetwork


def _release_gil(hn) -> None:
    """The evaluating calls run without the GIL (each Evaluator is one thread's). Then another thread may
    call into ROOT's interpreter meanwhile (book a Reader, make an evaluator, free one at its exit), which
    is safe only with ROOT's thread safety on (without it, 50 threads each booking and evaluating a Reader
    crashed inside libCling)."""
    import ROOT

    ROOT.ROOT.EnableThreadSafety()  # idempotent; EnableImplicitMT turns it on too
    hn.SlotEvaluators.evaluate_events.__release_gil__ = True


class SharedNetwork:
    """The const event snapshot of one network text (evaluator.h's EventNetwork), for any number of
    evaluators in any threads, and the text itself (for a batch network made on demand). Made by
    :func:`shared_network`; it lives as long as something holds it or an evaluator of it."""

    def __init__(self, text: str):
        hn = core()
        with translate_errors():  # the trainable network made from the text is freed as soon as it is copied
            self.snapshot = hn.share_network(hn.Model.from_text(text, 1))
        self.text = text
        self.n_inputs = int(self.snapshot.n_inputs())
        self.n_outputs = int(self.snapshot.n_outputs())

    def shared_bytes(self) -> int:
        """Bytes of the snapshot (parameters, input transform, layer table), held once for all its evaluators."""
        return int(self.snapshot.shared_bytes())


def shared_network(text: str) -> SharedNetwork:
    """This process's snapshot of the network ``text`` (HashedNetwork.to_text, a weight file's network):
    made on the first call, the same object while anything holds it."""
    if not isinstance(text, str):
        raise TypeError(f"text must be str, got {type(text).__name__}")
    key = hashlib.sha256(text.encode()).hexdigest()
    with _shared_lock:
        network = _shared_networks.get(key)
        if network is None:
            network = _shared_networks[key] = SharedNetwork(text)
        return network


class Evaluator:
    """One thread's evaluator of a shared network snapshot (``network.evaluator()``)."""

    def __init__(self, shared, transform=None, owner: SharedNetwork | None = None):
        hn = core()
        _release_gil(hn)
        self._owner = owner  # keeps shared_network's entry alive while this evaluator is
        with translate_errors():
            if transform is None:  # an empty chain: no transformation
                transform = hn.InputTransformBuilder(int(shared.n_inputs()), 0).build()
            self._shared, self._transform = shared, transform
            self._slots = hn.SlotEvaluators(shared, transform, 1)
        self.n_inputs = int(self._slots.n_inputs())
        self.n_outputs = int(self._slots.n_outputs())

    @classmethod
    def of(cls, model, transform=None) -> "Evaluator":
        """An evaluator over a new snapshot of a core Model (``HashedNetwork.evaluator`` calls this);
        ``transform``: the core's InputTransform of a weight file (None: none)."""
        hn = core()
        with translate_errors():
            shared = hn.share_network(model)
        return cls(shared, transform)

    @classmethod
    def over(cls, network: SharedNetwork, transform=None) -> "Evaluator":
        """An evaluator of a :class:`SharedNetwork` (no copy of its parameters)."""
        return cls(network.snapshot, transform, network)

    def copy(self) -> "Evaluator":
        """Another evaluator over the same snapshot and input transformation (no copy of either), for
        another thread."""
        return Evaluator(self._shared, self._transform, self._owner)

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
