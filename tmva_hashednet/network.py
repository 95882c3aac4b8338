"""HashedNetwork: build, train, evaluate and save a hashed neural network.

What it is: the Pythonic face of the C++ core. Arrays go in as numpy
(float32 C-contiguous arrays pass without copies), responses come out as
numpy, errors come out as ``ValueError``/``TypeError`` naming the bad value.

What it is not: a TMVA method (see ``tmva_hashednet.tmva``) or a plotting
tool (see ``tmva_hashednet.plotting``).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterable, Sequence

import numpy as np

from ._arrays import as_matrix, as_vector, check_finite
from ._core import core, declare_once
from ._errors import translate_errors
from .memory import LayerMemory, MemoryReport

__all__ = ["HashedNetwork", "TrainingConfig", "TrainingHistory", "EpochRecord", "ChunkRecord", "StreamHistory",
           "DEFAULT_LAYOUT"]

#: Two tanh hidden layers of 64 and a linear output layer sized by the task.
DEFAULT_LAYOUT = "TANH|64,TANH|64,LINEAR"

_TASKS = {"classification": "Classification", "multiclass": "Multiclass", "regression": "Regression"}
_WEIGHT_INITS = {"XAVIER": "XavierNormal", "XAVIERUNIFORM": "XavierUniform"}
_HASH_MODES = {"ELEMENT": "Element", "BLOCK": "Block"}


def parse_compression(value) -> float:
    """A compression factor in (0, 1] from 0.125, '1/8' or Fraction(1, 8)."""
    try:
        number = float(Fraction(value.strip())) if isinstance(value, str) else float(value)
    except (ValueError, ZeroDivisionError, TypeError):
        raise ValueError(f"compression {value!r} is not a number; write a fraction like '1/8' or 0.125") from None
    if not 0.0 < number <= 1.0:
        raise ValueError(f"compression {value!r} must be in (0, 1] (1 = dense, 1/8 = 8x fewer real weights)")
    return number


@dataclass
class TrainingConfig:
    """One training phase (TMVA's TrainingStrategy entry); defaults as in the C++ core."""

    learning_rate: float = 1e-3  # step size
    momentum: float = 0.9  # SGD momentum
    batch_size: int = 128  # events per mini-batch
    max_epochs: int = 200  # upper bound on epochs
    convergence_steps: int = 10  # early stop after this many epochs without a better validation loss
    optimizer: str = "ADAM"  # ADAM or SGD
    weight_decay: float = 0.0  # L2 coefficient on the real parameters
    dropout: Sequence[float] = ()  # drop probability of each layer's input
    seed: int = 42  # shuffling and dropout
    num_threads: int | None = None  # threads of this phase: None = the network's, 0 = all cores

    def to_cpp(self, network_threads: int = 0):
        """The C++ TrainingConfig; num_threads None becomes ``network_threads`` (the network's own)."""
        hn = core()
        optimizers = [str(name) for name in hn.optimizer_names()]
        if str(self.optimizer).upper() not in optimizers:
            raise ValueError(f"optimizer {self.optimizer!r} is not known; allowed: {', '.join(optimizers)}")
        config = hn.TrainingConfig()
        config.learning_rate = float(self.learning_rate)
        config.momentum = float(self.momentum)
        config.batch_size = int(self.batch_size)
        config.max_epochs = int(self.max_epochs)
        config.convergence_steps = int(self.convergence_steps)
        config.optimizer = str(self.optimizer).upper()
        config.weight_decay = float(self.weight_decay)
        for p in self.dropout:
            config.dropout.push_back(float(p))
        config.seed = int(self.seed) & 0xFFFFFFFFFFFFFFFF
        config.num_threads = int(network_threads if self.num_threads is None else self.num_threads)
        return config

    @classmethod
    def from_cpp(cls, config) -> "TrainingConfig":
        """The inverse of :meth:`to_cpp`."""
        return cls(
            learning_rate=float(config.learning_rate),
            momentum=float(config.momentum),
            batch_size=int(config.batch_size),
            max_epochs=int(config.max_epochs),
            convergence_steps=int(config.convergence_steps),
            optimizer=str(config.optimizer),
            weight_decay=float(config.weight_decay),
            dropout=tuple(float(p) for p in config.dropout),
            seed=int(config.seed),
            num_threads=int(config.num_threads),
        )


def _option_name(table: dict, cpp_enum, value) -> str:
    """The option name (a key of ``table``) of a C++ enum value; ``table``
    maps option names to the enum's member names."""
    for name, member in table.items():
        if int(value) == int(getattr(cpp_enum, member)):
            return name
    raise ValueError(f"C++ enum value {int(value)} has no option name among {', '.join(table)}")


def weight_init_name(value) -> str:
    """XAVIER or XAVIERUNIFORM for a C++ hashednet::WeightInit value."""
    return _option_name(_WEIGHT_INITS, core().WeightInit, value)


@dataclass(frozen=True)
class EpochRecord:
    epoch: int
    train_loss: float
    validation_loss: float
    seconds: float


@dataclass
class TrainingHistory:
    """Per-epoch losses of every phase, and where the best weights came from."""

    epochs: list = field(default_factory=list)
    best_epoch: int = 0
    best_validation_loss: float = float("nan")
    stopped_early: bool = False

    def extend(self, cpp_history, epoch_offset: int) -> None:
        for r in cpp_history.epochs:
            self.epochs.append(EpochRecord(r.epoch + epoch_offset, r.train_loss, r.validation_loss, r.seconds))
        self.best_epoch = cpp_history.best_epoch + epoch_offset
        self.best_validation_loss = cpp_history.best_validation_loss
        self.stopped_early = bool(cpp_history.stopped_early)


@dataclass(frozen=True)
class ChunkRecord:
    epoch: int
    chunk: int  # 0-based within the epoch
    events: int
    loss: float  # the chunk's weighted mean training loss
    read_seconds: float  # waiting for the chunk (reading the tree)
    train_seconds: float


@dataclass
class StreamHistory:
    """What :meth:`HashedNetwork.fit_stream` did: one record per chunk and per
    epoch (train_loss: the event-weighted mean of its chunks' losses; no
    validation, so validation_loss is NaN)."""

    chunks: list = field(default_factory=list)
    epochs: list = field(default_factory=list)

    @property
    def events(self) -> int:
        """Events trained on, summed over epochs."""
        return sum(c.events for c in self.chunks)

    @property
    def read_seconds(self) -> float:
        return sum(c.read_seconds for c in self.chunks)

    @property
    def train_seconds(self) -> float:
        return sum(c.train_seconds for c in self.chunks)


_STANDARDIZE = ("first_pass", "first_chunk", None)


class HashedNetwork:
    """A fully connected network whose layers share weights through a hash.

    Parameters
    ----------
    n_inputs : number of input variables.
    layout : TMVA layout string, e.g. ``"TANH|64,TANH|64,LINEAR"``; a layer may
        carry its own compression (``"RELU|512|1/64"``) or bucket count (``K=4096``).
    task : ``"classification"`` (two classes, labels 0/1), ``"multiclass"``
        (labels 0..n_outputs-1) or ``"regression"``.
    n_outputs : classes (multiclass) or targets (regression); 1 for classification.
    compression : real/virtual weights of the hidden layers, in (0, 1]; 1 = dense.
    hash_output_layer : hash the (small) output layer too; by default it stays dense.
    hashed_bias : hash the biases as well (they are dense vectors by default).
    hash_seed : master seed of the bucket and sign hashes.
    hash_mode : ``"ELEMENT"`` (each virtual weight hashed on its own, the paper)
        or ``"BLOCK"`` (one hash per ``hash_block`` consecutive weights of a row,
        which take a run of consecutive buckets, circular modulo K; ROBE-style).
    hash_block : virtual weights per hash in BLOCK mode, in [1, 4096].
    weight_init : ``"XAVIER"`` (Glorot normal) or ``"XAVIERUNIFORM"``.
    seed : seed of the initial weights.
    num_threads : CPU threads (0 = all).
    """

    def __init__(
        self,
        n_inputs: int,
        layout: str = DEFAULT_LAYOUT,
        *,
        task: str = "classification",
        n_outputs: int | None = None,
        compression=1.0,
        hash_output_layer: bool = False,
        hashed_bias: bool = False,
        hash_seed: int = 0,
        hash_mode: str = "ELEMENT",
        hash_block: int = 16,
        weight_init: str = "XAVIER",
        seed: int = 42,
        num_threads: int = 0,
    ):
        spec = _network_spec(n_inputs, layout, task, n_outputs, compression, hash_output_layer, hashed_bias, hash_seed,
                             hash_mode, hash_block)  # fmt: skip
        if str(weight_init).upper() not in _WEIGHT_INITS:
            raise ValueError(f"weight_init {weight_init!r} is not known; allowed: {', '.join(_WEIGHT_INITS)}")
        hn = core()
        init = getattr(hn.WeightInit, _WEIGHT_INITS[str(weight_init).upper()])
        with translate_errors():
            self._model = hn.Model(spec, init, int(seed) & 0xFFFFFFFFFFFFFFFF, int(num_threads))

    # ------------------------------------------------------------------ construction
    @classmethod
    def _wrap(cls, model) -> "HashedNetwork":
        network = cls.__new__(cls)
        network._model = model
        return network

    @classmethod
    def from_text(cls, text: str, num_threads: int = 0) -> "HashedNetwork":
        """A network from the text of :meth:`to_text` (bit-identical outputs)."""
        if not isinstance(text, str):
            raise TypeError(f"text must be str, got {type(text).__name__}")
        with translate_errors():
            return cls._wrap(core().Model.from_text(text, int(num_threads)))

    @classmethod
    def load(cls, path, num_threads: int = 0) -> "HashedNetwork":
        """A network saved with :meth:`save`."""
        path = os.fspath(path)
        if not os.path.exists(path):
            raise FileNotFoundError(f"network file {path!r} does not exist")
        with translate_errors():
            return cls._wrap(core().Model.from_file(path, int(num_threads)))

    def to_text(self) -> str:
        return str(self._model.to_text())

    def save(self, path) -> None:
        """Writes the network atomically (no half-written file on interruption)."""
        with translate_errors():
            self._model.save(os.fspath(path))

    # ------------------------------------------------------------------ properties
    @property
    def task(self) -> str:
        name = str(core().task_name(self._model.network().spec().task))
        return name.lower()

    @property
    def hash_mode(self) -> str:
        """``"ELEMENT"`` or ``"BLOCK"`` (see the class docstring)."""
        return "BLOCK" if int(self._model.network().spec().hash_mode) == 1 else "ELEMENT"

    @property
    def hash_block(self) -> int:
        """Virtual weights per hash in BLOCK mode (1 in ELEMENT mode)."""
        return int(self._model.network().spec().hash_block) if self.hash_mode == "BLOCK" else 1

    @property
    def n_inputs(self) -> int:
        return int(self._model.network().n_inputs())

    @property
    def n_outputs(self) -> int:
        return int(self._model.network().n_outputs())

    @property
    def n_layers(self) -> int:
        return int(self._model.network().n_layers())

    @property
    def n_params(self) -> int:
        """Real parameters (buckets and biases): the model's memory."""
        return int(self._model.n_params())

    @property
    def params(self) -> np.ndarray:
        """A copy of the flat parameter buffer."""
        out = np.empty(self.n_params, dtype=np.float32)
        self._model.get_params(out, out.size)
        return out

    @params.setter
    def params(self, values) -> None:
        array = as_vector("params", values, self.n_params)
        check_finite("params", array)
        self._model.set_params(array, array.size)

    def layer_info(self, layer: int) -> dict:
        """Shape, hashing and seeds of one layer."""
        layout = self._layout(layer)
        return {
            "n_in": int(layout.n_in),
            "n_out": int(layout.n_out),
            "hashed": bool(layout.hashed),
            "n_buckets": int(layout.n_buckets),
            "hashed_bias": bool(layout.hashed_bias),
            "n_bias_buckets": int(layout.n_bias_buckets),
            "weight_seed": int(layout.weight_seed),
            "bias_seed": int(layout.bias_seed),
            "offset": int(layout.offset),
            "activation": str(core().activation_name(self._model.network().activation(layer))),
            "scheme": str(self._model.network().fully_connected(layer).scheme().name()),
        }

    def _layout(self, layer: int):
        if not 0 <= layer < self.n_layers:
            raise IndexError(f"layer {layer} does not exist; the network has layers 0..{self.n_layers - 1}")
        return self._model.network().layout(layer)

    def virtual_weights(self, layer: int) -> np.ndarray:
        """The dense n_out x n_in matrix V of a layer, built for inspection and tests only."""
        layout = self._layout(layer)
        values = np.asarray(self._model.network().materialize_weights(layer), dtype=np.float32)
        return values.reshape(int(layout.n_out), int(layout.n_in))

    def virtual_bias(self, layer: int) -> np.ndarray:
        self._layout(layer)
        return np.asarray(self._model.network().materialize_bias(layer), dtype=np.float32)

    def memory_report(self) -> MemoryReport:
        rows = [
            LayerMemory(
                layer=i,
                n_in=int(r.n_in),
                n_out=int(r.n_out),
                hashed=bool(r.hashed),
                virtual_weights=int(r.virtual_weights),
                real_params=int(r.real_params),
                bytes=int(r.bytes),
            )
            for i, r in enumerate(self._model.network().memory_report())
        ]
        return MemoryReport(rows)

    def input_importance(self) -> np.ndarray:
        """Sum over the first layer's rows of V[i][j]^2, per input variable."""
        return np.asarray(self._model.network().input_importance(), dtype=np.float64)

    def standalone_class(self, class_name: str, input_names: Sequence[str]) -> str:
        """C++17 source of a class ``class_name`` that evaluates this network
        without ROOT or this package (TMVA's MakeClass response): constructed
        from the input variable names, which it checks against ``input_names``;
        ``GetMvaValue(values)`` and ``GetResponse(values)`` take the raw inputs
        (the input transform is inside). Bit-exact hash, float arithmetic."""
        names = [str(n) for n in input_names]
        if len(names) != self.n_inputs:
            raise ValueError(f"{len(names)} input names given, the network has {self.n_inputs} inputs")
        ROOT = declare_once('#include "hashednet/standalone_class.h"', "standalone class generator")
        with translate_errors():
            return str(core().standalone_class_source(self._model.network(), str(class_name),
                                                      ROOT.std.vector["std::string"](names)))  # fmt: skip

    # ------------------------------------------------------------------ data
    def set_input_transform(self, offset, scale) -> None:
        """Inputs are used as (x - offset) * scale."""
        offset = as_vector("offset", offset, self.n_inputs)
        scale = as_vector("scale", scale, self.n_inputs)
        with translate_errors():
            self._model.set_input_transform(offset, scale, self.n_inputs)

    def standardize_inputs(self, x, weights=None) -> None:
        """Sets the input transform to the (weighted) mean and 1/std of x."""
        x = as_matrix("x", x, self.n_inputs)
        check_finite("x", x)
        w = None if weights is None else as_vector("weights", weights, x.shape[0]).astype(np.float64)
        mean = np.average(x, axis=0, weights=w)
        std = np.sqrt(np.average((x - mean) ** 2, axis=0, weights=w))
        self.set_input_transform(mean, 1.0 / np.where(std > 0, std, 1.0))

    def _targets(self, y, n: int) -> np.ndarray:
        width = self.n_outputs if self.task == "regression" else 1
        y = as_matrix("y", y, width)
        if y.shape[0] != n:
            raise ValueError(f"y has {y.shape[0]} events but x has {n}")
        check_finite("y", y)
        return y

    def _dataset(self, x, y, weights, name: str):
        x = as_matrix(f"{name} x", x, self.n_inputs)
        check_finite(f"{name} x", x)
        y = self._targets(y, x.shape[0])
        w = None
        if weights is not None:
            w = as_vector(f"{name} weights", weights, x.shape[0])
            check_finite(f"{name} weights", w)
        return x, y, w

    # ------------------------------------------------------------------ training
    def fit(
        self,
        x,
        y,
        weights=None,
        *,
        validation_data=None,
        validation_fraction: float = 0.2,
        training: TrainingConfig | Iterable[TrainingConfig] | None = None,
        standardize: bool = True,
        verbose: bool = True,
    ) -> TrainingHistory:
        """Trains on (x, y[, weights]) with early stopping on a validation set.

        ``validation_data`` is ``(x, y[, weights])``; without it a seeded
        ``validation_fraction`` of the events is held out. ``training`` is one
        TrainingConfig or a list of phases run in order. ``standardize`` sets
        the input transform from the training data first.
        """
        x, y, w = self._dataset(x, y, weights, "training")
        phases = _phases(training)
        if validation_data is None:
            x, y, w, validation_data = _split(x, y, w, validation_fraction, phases[0].seed)
        xv, yv, wv = self._validation(validation_data)
        if standardize:
            self.standardize_inputs(x, w)
        history = TrainingHistory()
        null = _nullptr()
        for phase in phases:
            config = phase.to_cpp(self._model.num_threads())
            with translate_errors():
                result = self._model.train(
                    x, y, null if w is None else w, x.shape[0],
                    null if xv is None else xv, null if yv is None else yv, null if wv is None else wv,
                    0 if xv is None else xv.shape[0], x.shape[1], y.shape[1], config, bool(verbose),
                )
            history.extend(result, len(history.epochs))
        return history

    def partial_fit(self, x, y, weights=None, *, training: TrainingConfig | None = None, restart: bool = False) -> float:
        """One pass of mini-batches over this chunk of events, continuing the
        optimizer state of earlier calls: a data set of any size (e.g. a TTree
        read in ranges) trains chunk by chunk in the memory of one chunk.

        No validation, early stopping or input standardisation happens here:
        set the input transform first (e.g. :meth:`standardize_inputs` on the
        first chunk). ``restart`` drops the optimizer state first. Returns the
        chunk's weighted mean training loss.
        """
        x, y, w = self._dataset(x, y, weights, "chunk")
        config = (training or TrainingConfig()).to_cpp(self._model.num_threads())
        if restart:
            self._model.reset_streaming()
        with translate_errors():
            return float(self._model.train_chunk(x, y, _nullptr() if w is None else w, x.shape[0], x.shape[1],
                                                 y.shape[1], config))  # fmt: skip

    def fit_stream(
        self,
        chunks,
        *,
        epochs: int = 1,
        training: TrainingConfig | None = None,
        standardize: str | None = "first_pass",
        restart: bool = False,
        verbose: bool = True,
    ) -> StreamHistory:
        """Trains on chunks of events, one :meth:`partial_fit` per chunk, in
        the memory of one chunk: a TTree of any size read with
        ``streaming.tree_chunks`` or ``streaming.two_class_chunks``, or any
        iterable of ``(x, y)`` / ``(x, y, weights)``.

        ``epochs`` passes over the chunks (more than one, or
        ``standardize="first_pass"``, needs chunks that can be iterated again,
        e.g. a TreeChunks or a list, not a generator). ``standardize``:
        ``"first_pass"`` sets the input transform from the mean and spread of
        all chunks (:func:`streaming.input_moments`, one extra read),
        ``"first_chunk"`` from the first chunk alone, ``None`` keeps the
        current transform (e.g. to continue training). ``training`` gives the
        optimizer, learning rate, batch size, seed, dropout and threads; its
        max_epochs and convergence_steps do not apply (no validation or early
        stopping here). The optimizer state continues from earlier
        partial_fit/fit_stream calls unless ``restart``. ``verbose`` prints
        progress (entries done, events/s) at most every 5 s.
        """
        from . import streaming

        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
        if standardize not in _STANDARDIZE:
            raise ValueError(f"standardize {standardize!r} is not known; allowed: "
                             f"{', '.join(map(repr, _STANDARDIZE))}")  # fmt: skip
        if training is not None and not isinstance(training, TrainingConfig):
            raise TypeError(f"training must be one TrainingConfig, got {type(training).__name__}")
        columns = getattr(chunks, "columns", None)
        if columns is not None and len(columns) != self.n_inputs:
            raise ValueError(f"the chunks have {len(columns)} columns per event ({', '.join(columns)}), the network "
                             f"{self.n_inputs} inputs")  # fmt: skip
        passes = epochs + (standardize == "first_pass")
        if passes > 1 and iter(chunks) is chunks:
            raise TypeError("chunks is a one-pass iterator (e.g. a generator), but epochs > 1 or "
                            "standardize='first_pass' read it more than once; pass a TreeChunks or a list")  # fmt: skip
        if standardize == "first_pass":
            start = time.perf_counter()
            mean, std = streaming.input_moments(chunks)
            if mean.size != self.n_inputs:
                raise ValueError(f"the chunks have {mean.size} columns per event, the network {self.n_inputs} inputs")
            self.set_input_transform(mean, 1.0 / np.where(std > 0, std, 1.0))
            if verbose:
                print(f"HashedDNN: input mean and spread from a first pass over the chunks in "
                      f"{time.perf_counter() - start:.1f} s", flush=True)  # fmt: skip
        if restart:
            self._model.reset_streaming()
        history = StreamHistory()
        progress = streaming._Progress(chunks, epochs) if verbose else None
        for epoch in range(1, epochs + 1):
            records = self._stream_epoch(chunks, epoch, training, standardize == "first_chunk" and epoch == 1, progress)
            if not records:
                raise ValueError(f"epoch {epoch}: the chunks hold no events")
            history.chunks.extend(records)
            events = sum(r.events for r in records)
            history.epochs.append(EpochRecord(epoch, sum(r.loss * r.events for r in records) / events, float("nan"),
                                              sum(r.read_seconds + r.train_seconds for r in records)))  # fmt: skip
            if progress:
                progress.epoch_done(history.epochs[-1], events, history.read_seconds, history.train_seconds)
        return history

    def _stream_epoch(self, chunks, epoch: int, training, standardize_first: bool, progress) -> list:
        """One pass of fit_stream: partial_fit per chunk; the ChunkRecords."""
        from .streaming import _unpack

        records, entries, source = [], 0, iter(chunks)
        while True:
            wait = time.perf_counter()
            chunk = next(source, None)
            start = time.perf_counter()
            if chunk is None:
                return records
            x, y, w = _unpack(chunk)
            if y is None:
                raise ValueError("the chunks carry no target (y is None): give tree_chunks a target, or use "
                                 "two_class_chunks")  # fmt: skip
            try:
                if standardize_first and not records:
                    self.standardize_inputs(x, w)
                loss = self.partial_fit(x, y, w, training=training)
            except ValueError as error:
                where = f" ({chunk.source})" if hasattr(chunk, "source") else ""
                raise ValueError(f"chunk {len(records)} of epoch {epoch}{where}: {error}") from None
            n = int(np.shape(x)[0])
            records.append(ChunkRecord(epoch, len(records), n, loss, start - wait, time.perf_counter() - start))
            entries += int(getattr(chunk, "entries", n))
            if progress:
                progress.chunk(epoch, records[-1], entries)

    def _validation(self, data):
        if data is None:
            return None, None, None
        if not isinstance(data, (tuple, list)) or len(data) not in (2, 3):
            raise TypeError("validation_data must be (x, y) or (x, y, weights)")
        return self._dataset(data[0], data[1], data[2] if len(data) == 3 else None, "validation")

    # ------------------------------------------------------------------ evaluation
    def predict(self, x) -> np.ndarray:
        """Responses: P(signal) (classification, shape (n,)), class probabilities
        (multiclass, (n, C)) or targets (regression, (n,) or (n, T))."""
        x = as_matrix("x", x, self.n_inputs)
        check_finite("x", x)
        out = np.empty((x.shape[0], self.n_outputs), dtype=np.float32)
        with translate_errors():
            self._model.predict(x, x.shape[0], x.shape[1], out)
        return out[:, 0] if self.n_outputs == 1 else out

    def loss(self, x, y, weights=None) -> float:
        """Weighted mean loss (no dropout)."""
        x, y, w = self._dataset(x, y, weights, "")
        with translate_errors():
            return float(self._model.loss(x, y, _nullptr() if w is None else w, x.shape[0], x.shape[1], y.shape[1]))

    def gradient(self, x, y, weights=None) -> tuple[float, np.ndarray]:
        """(weighted mean loss, dloss/dparams) of one batch, no dropout."""
        x, y, w = self._dataset(x, y, weights, "")
        grad = np.zeros(self.n_params, dtype=np.float32)
        with translate_errors():
            loss = self._model.gradient(x, y, _nullptr() if w is None else w, x.shape[0], x.shape[1], y.shape[1], grad)
        return float(loss), grad

    def __repr__(self) -> str:
        layers = ",".join(
            f"{info['activation']}|{info['n_out']}" + (f"|K={info['n_buckets']}" if info["hashed"] else "")
            for info in (self.layer_info(i) for i in range(self.n_layers))
        )
        return f"HashedNetwork(n_inputs={self.n_inputs}, layout='{layers}', task='{self.task}', n_params={self.n_params})"


def _nullptr():
    import ROOT

    return ROOT.nullptr


def _phases(training) -> list:
    if training is None:
        return [TrainingConfig()]
    if isinstance(training, TrainingConfig):
        return [training]
    phases = list(training)
    if not phases or not all(isinstance(p, TrainingConfig) for p in phases):
        raise TypeError("training must be a TrainingConfig or a non-empty list of TrainingConfig")
    return phases


def _split(x, y, w, fraction: float, seed: int):
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"validation_fraction must be in [0, 1), got {fraction}")
    n_validation = int(round(fraction * x.shape[0]))
    if n_validation == 0:
        return x, y, w, None
    if n_validation == x.shape[0]:
        raise ValueError("validation_fraction leaves no training events")
    order = np.asarray(core().shuffled_indices(x.shape[0], int(seed) & 0xFFFFFFFFFFFFFFFF), dtype=np.int64)
    train, valid = order[n_validation:], order[:n_validation]

    def take(a, idx):
        return None if a is None else np.ascontiguousarray(a[idx])

    return take(x, train), take(y, train), take(w, train), (take(x, valid), take(y, valid), take(w, valid))


def _network_spec(n_inputs, layout, task, n_outputs, compression, hash_output_layer, hashed_bias, hash_seed,
                  hash_mode="ELEMENT", hash_block=16):  # fmt: skip
    hn = core()
    if str(hash_mode).upper() not in _HASH_MODES:
        raise ValueError(f"hash_mode {hash_mode!r} is not known; allowed: {', '.join(_HASH_MODES)}")
    if isinstance(hash_block, bool) or not isinstance(hash_block, (int, np.integer)) or not 1 <= hash_block <= 4096:
        raise ValueError(f"hash_block (virtual weights per hash in BLOCK mode) must be an integer in [1, 4096], "
                         f"got {hash_block!r}")  # fmt: skip
    if isinstance(n_inputs, bool) or not isinstance(n_inputs, (int, np.integer)) or n_inputs <= 0:
        raise ValueError(f"n_inputs must be a positive integer, got {n_inputs!r}")
    if str(task).lower() not in _TASKS:
        raise ValueError(f"task {task!r} is not known; allowed: {', '.join(_TASKS)}")
    task = str(task).lower()
    if n_outputs is None:
        n_outputs = 1
    if task == "multiclass" and n_outputs < 2:
        raise ValueError(f"multiclass needs n_outputs >= 2 (the number of classes), got {n_outputs}")
    if task == "classification" and n_outputs != 1:
        raise ValueError(f"classification has one output (P(signal)), got n_outputs={n_outputs}; use task='multiclass'")
    if not isinstance(layout, str):
        raise TypeError(f"layout must be a string like '{DEFAULT_LAYOUT}', got {type(layout).__name__}")
    spec = hn.NetworkSpec()
    spec.n_inputs = int(n_inputs)
    spec.n_outputs = int(n_outputs)
    spec.task = getattr(hn.Task, _TASKS[task])
    spec.compression = parse_compression(compression)
    spec.hash_output_layer = bool(hash_output_layer)
    spec.hashed_bias = bool(hashed_bias)
    spec.hash_seed = int(hash_seed) & 0xFFFFFFFF
    spec.hash_mode = getattr(hn.HashMode, _HASH_MODES[str(hash_mode).upper()])
    spec.hash_block = int(hash_block)
    with translate_errors():
        spec.layers = hn.parse_layout(layout, int(n_inputs))
    return spec
