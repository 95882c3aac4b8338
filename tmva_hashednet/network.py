"""HashedNetwork: build, train, evaluate and save a hashed neural network.

What it is: the Pythonic face of the C++ core. Arrays go in as numpy
(float32 C-contiguous arrays pass without copies), responses come out as
numpy, errors come out as ``ValueError``/``TypeError`` naming the bad value.
A network made with ``device="cuda"`` also takes device arrays (CuPy, or
anything with ``__cuda_array_interface__``) without host copies and answers
with CuPy arrays (``_cuda.py``).

What it is not: a TMVA method (see ``tmva_hashednet.tmva``) or a plotting
tool (see ``tmva_hashednet.plotting``).
"""

from __future__ import annotations

import contextlib
import numbers
import os
import time
import warnings
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from ._arrays import as_matrix, as_vector, check_finite
from . import _cuda
from ._core import core, declare_once
from ._errors import translate_errors
from ._moments import Moments
from .memory import LayerMemory, MemoryReport

__all__ = ["HashedNetwork", "CostWarning",
           "TrainingConfig", "TrainingHistory", "EpochRecord", "ChunkRecord", "StreamHistory",
           "DEFAULT_LAYOUT", "CORE_DEFAULT"]

class CostWarning(UserWarning):
    """A network so large that one response may take seconds and an epoch hours
    (``HashedNetwork.cost_estimate``); construction warns with it."""


class _CoreDefault:
    """The default of a keyword left out: the C++ core's value (config.h,
    options.h), read when the object is made, so Python retypes none."""

    def __repr__(self) -> str:
        return "<core default>"


#: A keyword's default that means "the core's": ``TrainingConfig()`` and
#: ``describe_options()`` show the values.
CORE_DEFAULT = _CoreDefault()


def _default_layout() -> str:
    return str(core().python_api.default_layout())


def __getattr__(name: str):
    if name == "DEFAULT_LAYOUT":  # the core's kDefaultLayout, read on first use (keeps the import cheap)
        return _default_layout()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _option_text(keyword: str, value) -> str:
    """A keyword's value as option-string text, for the C++ parser to check:
    numbers exactly (repr of the double), booleans True/False, strings as written."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "True" if value else "False"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    raise TypeError(f"{keyword} must be a number or a string, got {type(value).__name__}")


@contextlib.contextmanager
def _keyword(name: str, value):
    """Errors of the C++ parser about one keyword, prefixed with it: "batch_size=1.5: bad value ..."."""
    try:
        with translate_errors():
            yield
    except ValueError as error:
        raise ValueError(f"{name}={value!r}: {error}") from None


def parse_compression(value) -> float:
    """A compression factor in (0, 1] from 0.125, '1/8' or Fraction(1, 8), read as the Compression option."""
    with _keyword("compression", value):
        return float(core().python_api.compression_value(_option_text("compression", value)))


def _dropout_text(dropout) -> str:
    if isinstance(dropout, str):
        return dropout
    try:
        return "+".join(_option_text("dropout", p) for p in dropout)
    except TypeError:
        raise TypeError(f"dropout must be a sequence of drop probabilities, got {type(dropout).__name__}") from None


def _dropout_from_text(text: str) -> tuple:
    return tuple(float(p) for p in text.split("+")) if text else ()


# TrainingConfig field -> (its key in a TrainingStrategy phase, reader of the
# core's canonical text). seed is the top-level RandomSeed.
_PHASE_FIELDS = {
    "learning_rate": ("LearningRate", float),
    "momentum": ("Momentum", float),
    "batch_size": ("BatchSize", int),
    "max_epochs": ("MaxEpochs", int),
    "convergence_steps": ("ConvergenceSteps", int),
    "optimizer": ("Optimizer", str),
    "weight_decay": ("WeightDecay", float),
    "dropout": ("DropConfig", _dropout_from_text),
    "seed": ("RandomSeed", int),
    "num_threads": ("NumThreads", int),
}
_phase_defaults_cache: dict = {}
_converted: dict = {}  # (repr of a TrainingConfig, layer count, model threads) -> its C++ TrainingConfig


def _phase_fields(cpp_items) -> dict:
    """TrainingConfig fields from the core's (key, text) items of one phase."""
    items = {str(i.first): str(i.second) for i in cpp_items}
    items.setdefault("DropConfig", "")  # no dropout: the core writes no DropConfig
    return {name: read(items[key]) for name, (key, read) in _PHASE_FIELDS.items()}


def _default_phase() -> "TrainingConfig":
    """One TrainingConfig() kept for partial_fit without ``training`` (converted once)."""
    if "instance" not in _phase_defaults_cache:
        _phase_defaults_cache["instance"] = TrainingConfig()
    return _phase_defaults_cache["instance"]


def _phase_defaults() -> dict:
    if "fields" not in _phase_defaults_cache:
        api = core().python_api
        _phase_defaults_cache["fields"] = _phase_fields(api.phase_items(core().MethodOptionsBuilder().build(), 0))
    return _phase_defaults_cache["fields"]


@dataclass
class TrainingConfig:
    """One training phase (TMVA's TrainingStrategy entry).

    A field left out takes the C++ core's default (config.h, the one
    definition), filled in when the config is made: ``TrainingConfig()``
    shows them. Every value is checked by the option parser, with the
    messages of the option string (``TrainingStrategy=BatchSize=...``), when
    the config is made and again when it trains.
    """

    learning_rate: float = CORE_DEFAULT  # step size
    momentum: float = CORE_DEFAULT  # SGD momentum
    batch_size: int = CORE_DEFAULT  # events per mini-batch
    max_epochs: int = CORE_DEFAULT  # upper bound on epochs
    convergence_steps: int = CORE_DEFAULT  # early stop after this many epochs without a better validation loss
    optimizer: str = CORE_DEFAULT  # ADAM or SGD
    weight_decay: float = CORE_DEFAULT  # L2 coefficient on the real parameters
    dropout: Sequence[float] = CORE_DEFAULT  # drop probability of each layer's input
    seed: int = CORE_DEFAULT  # shuffling and dropout
    num_threads: int | None = None  # threads of this phase: None = the network's own, 0 = all cores

    def __post_init__(self):
        for name in _PHASE_FIELDS:
            if getattr(self, name) is CORE_DEFAULT:
                setattr(self, name, _phase_defaults()[name])
        self._builder()

    def _builder(self):
        """A MethodOptionsBuilder holding this phase; each field checked as its option."""
        builder = core().MethodOptionsBuilder()
        for name, (key, _) in _PHASE_FIELDS.items():
            value = getattr(self, name)
            if value is None and name == "num_threads":
                continue  # the network's own thread count (python_api::training_phase)
            text = _dropout_text(value) if name == "dropout" else _option_text(name, value)
            if name == "dropout" and not text:
                continue  # no drop probabilities: the option's default
            with _keyword(name, value):
                if key == "RandomSeed":
                    builder.set(key, text)
                else:
                    builder.set_phase(0, key, text)
        return builder

    def to_cpp(self, model):
        """The C++ TrainingConfig to train ``model`` (a C++ Model): DropConfig
        is checked against its layers, NumThreads against this machine.
        Conversions are remembered by field values, layer count and the
        model's thread count (partial_fit converts once per chunk)."""
        key = (repr(self), int(model.network().n_layers()), int(model.num_threads()))
        if key not in _converted:
            builder = self._builder()
            with translate_errors():
                config = core().python_api.training_phase(builder, 0, model)
            if len(_converted) >= 64:
                _converted.clear()
            _converted[key] = config
        return _converted[key]

    @classmethod
    def _from_items(cls, cpp_items) -> "TrainingConfig":
        """A config from the core's (key, text) items of one phase (python_api::phase_items)."""
        return cls(**_phase_fields(cpp_items))


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

# hashednet::LayerKind's values, in order (layer.h), as the Layout names them.
_LAYER_KINDS = ("DENSE", "CONV", "MAXPOOL", "RESHAPE", "BNORM")
_WINDOW_FIELDS = ("depth", "height", "width", "fh", "fw", "stride_rows", "stride_cols", "pad_rows", "pad_cols")


def _repr_entry(info: dict) -> str:
    """A layer as HashedNetwork's repr shows it: ACTIVATION|width[|K=...], CONV|filters|..., MAXPOOL, RESHAPE, BNORM."""
    if info["kind"] in ("MAXPOOL", "RESHAPE", "BNORM"):
        return info["kind"]
    entry = f"{info['activation']}|{info['n_out']}" + (f"|K={info['n_buckets']}" if info["hashed"] else "")
    return f"CONV|{entry}" if info["kind"] == "CONV" else entry


def _window_dict(window) -> dict:
    """A CONV or MAXPOOL layer's image_window.h geometry as a dict of ints."""
    return {name: int(getattr(window, name)) for name in _WINDOW_FIELDS}

# HashedNetwork keyword -> the HashedDNN option that reads (and checks) it.
_NETWORK_KEYWORDS = {"layout": "Layout", "input_layout": "InputLayout", "compression": "Compression",
                     "hash_output_layer": "HashOutputLayer",
                     "hashed_bias": "HashedBias", "hash_seed": "HashSeed", "hash_mode": "HashMode",
                     "hash_block": "HashBlock", "hash_functions": "HashFunctions", "reconstruction": "Reconstruction",
                     "fresh_slice": "FreshSlice", "fresh_band_exponent": "FreshBandExponent",
                     "weight_init": "WeightInitialization", "seed": "RandomSeed", "num_threads": "NumThreads"}
# The keywords of where and how a network runs (also of from_text and load).
_PLACEMENT_KEYWORDS = {"device": "Architecture", "gpu_product": "GpuProduct", "gpu_deterministic": "GpuDeterministic"}


class HashedNetwork:
    """A fully connected network whose layers share weights through a hash.

    Parameters
    ----------
    n_inputs : number of input variables.
    layout : TMVA layout string, e.g. ``"TANH|64,TANH|64,LINEAR"``; a layer may
        carry its own compression (``"RELU|512|1/64"``) or bucket count (``K=4096``).
        MethodDL's CNN entries are accepted as written: ``"CONV|8|3|3|1|1|1|1|RELU,
        MAXPOOL|2|2|2|2,RESHAPE|FLAT,DENSE|64|TANH,DENSE|1|LINEAR"`` (a CONV
        entry may end in its own compression, ``...|RELU|1/8``), and so is
        MethodDL's batch normalisation ``BNORM[|momentum[|epsilon]]`` (per
        channel after a CONV or MAXPOOL, per value otherwise; docs/options.md).
    input_layout : the events as images, ``"depth|height|width"`` (MethodDL's
        InputLayout, e.g. ``"1|28|28"`` for 784 pixel variables, depth-major,
        then rows, then columns); the product must be ``n_inputs``. Left out:
        ``1|1|n_inputs``. A tuple ``(depth, height, width)`` is accepted too.
    task : ``"classification"`` (two classes, labels 0/1), ``"multiclass"``
        (labels 0..n_outputs-1) or ``"regression"``.
    n_outputs : classes (multiclass) or targets (regression); 1 for classification.
    compression : real/virtual weights of the hidden layers, in (0, 1]; 1 = dense.
    hash_output_layer : hash the (small) output layer too; by default it stays dense.
    hashed_bias : hash the biases as well (they are dense vectors by default).
    hash_seed : master seed of the bucket and sign hashes.
    hash_mode : ``"ELEMENT"`` (each virtual weight hashed on its own, the paper)
        or ``"BLOCK"`` (one hash per ``hash_block`` consecutive weights of a row,
        which take a run of consecutive buckets, circular modulo K; ROBE-style),
        or ``"FUNHASH"`` (FunHashNN: each virtual weight is a small network g,
        shared by the layer and trained with it, of ``hash_functions`` hashed
        buckets; a layer's compression counts its buckets and g).
    hash_block : virtual weights per hash in BLOCK mode, in [1, 4096].
    hash_functions : FUNHASH: hashes U per virtual weight, in [1, 16].
    reconstruction : FUNHASH: g, ``"LINEAR"``, ``"IDENTITY"`` (U = 1: HashedNets)
        or ``"MLP|H|ACTIVATION"`` (e.g. ``"MLP|4|TANH"``).
    fresh_slice : FRESH (``hash_mode="FRESH"``, FreshNets): ``"<height>x<width>"``
        (e.g. ``"3x3"``), the slices of each hashed layer's rows; each slice is
        the inverse 2-D DCT of hashed coefficients (docs/freshnets.md). A
        layer's inputs must be a multiple of height * width.
    fresh_band_exponent : FRESH: e in [0, 16]; frequency band b = u + v gets
        (b + 1)^-e times the DC band's buckets per coefficient (0: all alike).
    weight_init : ``"XAVIER"`` (Glorot normal) or ``"XAVIERUNIFORM"``.
    seed : seed of the initial weights.
    num_threads : CPU threads (0 = all), at most the machine's hardware threads.
    device : ``"cpu"`` (the core's default) or ``"cuda"`` (the CUDA backend on GPU 0, in builds with
        ``HASHEDNET_CUDA``: ``Architecture=GPU``; without a usable GPU it is an
        error saying why). A ``"cuda"`` network takes numpy or device arrays.
    gpu_product : ``device="cuda"`` only (option ``GpuProduct``): how hashed layers
        multiply, ``"FUSED"`` (V generated in shared memory), ``"MATERIALIZE"``
        (a tile of V in device memory, then cuBLAS) or ``"AUTO"`` (the default:
        the backend's choice, today FUSED).
    gpu_deterministic : ``device="cuda"`` only (option ``GpuDeterministic``):
        sum bucket gradients in 64-bit fixed point, the same bits every run (not
        with ``hash_mode="FUNHASH"``). On the CPU both must stay at their defaults.

    Each keyword left out takes the core's default (the HashedDNN option's;
    ``tmva_hashednet.options.describe_options()`` lists them). Each value is
    read and checked by the HashedDNN option parser as the option of the same
    meaning (``layout`` as ``Layout``, ``compression`` as ``Compression``,
    ``hash_seed`` as ``HashSeed``, ``seed`` as ``RandomSeed``, ...), so a
    keyword accepts what the option string accepts, with the same message.
    """

    def __init__(
        self,
        n_inputs: int,
        layout: str = CORE_DEFAULT,
        *,
        input_layout: str = CORE_DEFAULT,
        task: str = "classification",
        n_outputs: int | None = None,
        compression=CORE_DEFAULT,
        hash_output_layer: bool = CORE_DEFAULT,
        hashed_bias: bool = CORE_DEFAULT,
        hash_seed: int = CORE_DEFAULT,
        hash_mode: str = CORE_DEFAULT,
        hash_block: int = CORE_DEFAULT,
        hash_functions: int = CORE_DEFAULT,
        reconstruction: str = CORE_DEFAULT,
        fresh_slice: str = CORE_DEFAULT,
        fresh_band_exponent: float = CORE_DEFAULT,
        weight_init: str = CORE_DEFAULT,
        seed: int = CORE_DEFAULT,
        num_threads: int = CORE_DEFAULT,
        device: str = CORE_DEFAULT,
        gpu_product: str = CORE_DEFAULT,
        gpu_deterministic: bool = CORE_DEFAULT,
    ):
        if isinstance(n_inputs, bool) or not isinstance(n_inputs, numbers.Integral):
            raise TypeError(f"n_inputs must be a positive integer, got {n_inputs!r}")
        if n_outputs is not None and (isinstance(n_outputs, bool) or not isinstance(n_outputs, numbers.Integral)):
            raise TypeError(f"n_outputs must be an integer, got {n_outputs!r}")
        if not isinstance(task, str):
            raise TypeError(f"task must be a string such as 'classification', got {type(task).__name__}")
        if layout is not CORE_DEFAULT and not isinstance(layout, str):
            raise TypeError(f"layout must be a string like '{_default_layout()}', got {type(layout).__name__}")
        if isinstance(input_layout, (tuple, list)):
            input_layout = "|".join(_option_text("input_layout", side) for side in input_layout)
        given = dict(layout=layout, input_layout=input_layout, compression=compression,
                     hash_output_layer=hash_output_layer,
                     hashed_bias=hashed_bias, hash_seed=hash_seed, hash_mode=hash_mode, hash_block=hash_block,
                     hash_functions=hash_functions, reconstruction=reconstruction, fresh_slice=fresh_slice,
                     fresh_band_exponent=fresh_band_exponent, weight_init=weight_init, seed=seed,
                     num_threads=num_threads)  # fmt: skip
        hn = core()
        # The GPU settings are checked with the device and hash mode (GpuDeterministic refuses FUNHASH).
        placement = dict(device=device, gpu_product=gpu_product, gpu_deterministic=gpu_deterministic,
                         hash_mode=given.pop("hash_mode"))  # fmt: skip
        builder = _placement_builder(placement)
        for name, value in given.items():
            if value is not CORE_DEFAULT:
                with _keyword(name, value):
                    builder.set(_NETWORK_KEYWORDS[name], _option_text(name, value))
        with _keyword("layout", layout) if layout is not CORE_DEFAULT else translate_errors():
            options = builder.build(int(n_inputs))
        with translate_errors():
            outputs = 1 if n_outputs is None else int(n_outputs)
            self._model = hn.python_api.make_model(options, int(n_inputs), task, outputs)
        warning = self.cost_warning()
        if warning:
            warnings.warn(CostWarning(warning), stacklevel=2)

    _tmva = None  # a TMVA weight file's input transformation (load), else None

    # ------------------------------------------------------------------ construction
    @classmethod
    def _wrap(cls, model) -> "HashedNetwork":
        network = cls.__new__(cls)
        network._model = model
        return network

    @classmethod
    def from_text(cls, text: str, num_threads: int = 0, device: str = CORE_DEFAULT, *, gpu_product: str = CORE_DEFAULT,
                  gpu_deterministic: bool = CORE_DEFAULT) -> "HashedNetwork":
        """A network from the text of :meth:`to_text` (bit-identical outputs on the same device);
        ``device``, ``gpu_product`` and ``gpu_deterministic`` as in the constructor."""
        if not isinstance(text, str):
            raise TypeError(f"text must be str, got {type(text).__name__}")
        where = _placement(dict(device=device, gpu_product=gpu_product, gpu_deterministic=gpu_deterministic))
        with translate_errors():
            return cls._wrap(core().Model.from_text(text, int(num_threads), *where))

    @classmethod
    def load(cls, path, num_threads: int = 0, device: str = CORE_DEFAULT, *, gpu_product: str = CORE_DEFAULT,
             gpu_deterministic: bool = CORE_DEFAULT) -> "HashedNetwork":
        """A network saved with :meth:`save`, or the network of a TMVA weight file
        (``<dataset>/weights/<job>_<title>.weights.xml`` of HashedDNN, written by ROOT's TMVA or the
        compatible Factory): then :meth:`predict` and :meth:`evaluator` apply the file's input
        transformation first (and, for regression, its inverse on the targets), as the Reader does.
        ``device``, ``gpu_product`` and ``gpu_deterministic`` as in the constructor."""
        path = os.fspath(path)
        if not os.path.exists(path):
            raise FileNotFoundError(f"network file {path!r} does not exist")
        placement = dict(device=device, gpu_product=gpu_product, gpu_deterministic=gpu_deterministic)
        where = _placement(placement)
        if _is_tmva_weight_file(path):
            from .tmva.response import WeightFileTransform
            from .tmva.weights_xml import read_weight_file

            content = read_weight_file(path)
            network = cls.from_text(content.network_text, num_threads, **placement)
            network._tmva = WeightFileTransform(content)
            return network
        with translate_errors():
            return cls._wrap(core().Model.from_file(path, int(num_threads), *where))

    def to_text(self) -> str:
        return str(self._model.to_text())

    def save(self, path) -> None:
        """Writes the network atomically (no half-written file on interruption)."""
        with translate_errors():
            self._model.save(os.fspath(path))

    # ------------------------------------------------------------------ properties
    @property
    def device(self) -> str:
        """``"cpu"`` or ``"cuda"``: where the parameters live and the kernels run."""
        return str(core().device_name(self._model.architecture()))

    def parameters_device(self):
        """The flat parameter buffer of a ``device="cuda"`` network as a CuPy
        array viewing device memory (no copy; writes change the network).
        Valid while the network lives; the CPU's equivalent is :attr:`params` (a copy)."""
        with translate_errors():
            address = int(core().python_api.params_address(self._model))
        cupy = _cuda.cupy_module()
        memory = cupy.cuda.UnownedMemory(address, self.n_params * 4, self)
        return cupy.ndarray((self.n_params,), dtype=cupy.float32, memptr=cupy.cuda.MemoryPointer(memory, 0))

    @property
    def task(self) -> str:
        name = str(core().task_name(self._model.network().spec().task))
        return name.lower()

    @property
    def hash_mode(self) -> str:
        """``"ELEMENT"``, ``"BLOCK"``, ``"FUNHASH"`` or ``"FRESH"`` (see the class docstring)."""
        return ("ELEMENT", "BLOCK", "FUNHASH", "FRESH")[int(self._model.network().spec().hash_mode)]

    @property
    def hash_functions(self) -> int:
        """U of the FUNHASH layers (1 in the other modes: one hash per virtual weight)."""
        return int(self._model.network().spec().funhash.n_hashes) if self.hash_mode == "FUNHASH" else 1

    @property
    def reconstruction(self) -> str:
        """g of the FUNHASH layers as the option writes it (``"IDENTITY"`` in the other modes)."""
        if self.hash_mode != "FUNHASH":
            return "IDENTITY"
        return str(core().format_reconstruction(self._model.network().spec().funhash))

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
        """Shape, hashing and seeds of one layer. ``n_buckets`` is K; a FUNHASH
        layer's g follows its buckets (``n_reconstruction_params`` of them),
        then comes the bias. ``kind`` is the Layout entry's type: ``"DENSE"``,
        ``"CONV"`` (its n_in x n_out are the filter matrix's, filters x
        depth*fh*fw, and ``window`` its geometry), ``"MAXPOOL"`` or ``"RESHAPE"``
        (no weights: only kind, n_in and n_out, the values per event), or
        ``"BNORM"`` (kind, n_in, n_out, ``features`` normalised, ``momentum``,
        ``epsilon`` and ``offset``: its parameters are gamma, beta, the running
        means and the running variances, ``features`` each, from there)."""
        if not 0 <= layer < self.n_layers:
            raise IndexError(f"layer {layer} does not exist; the network has layers 0..{self.n_layers - 1}")
        network = self._model.network()
        kind = _LAYER_KINDS[int(network.layer(layer).kind())]
        if kind in ("MAXPOOL", "RESHAPE"):
            info = {"kind": kind, "n_in": int(network.layer(layer).n_in()), "n_out": int(network.layer(layer).n_out())}
            if kind == "MAXPOOL":
                info["window"] = _window_dict(network.layer(layer).window())
            return info
        if kind == "BNORM":
            core_layer = network.layer(layer)
            shape = core_layer.shape()
            return {"kind": kind, "n_in": int(core_layer.n_in()), "n_out": int(core_layer.n_out()),
                    "features": int(shape.features), "momentum": float(shape.momentum),
                    "epsilon": float(shape.epsilon), "offset": int(core_layer.offset())}
        layout = self._layout(layer)
        fc = network.weight_layer(layer)
        scheme = str(fc.scheme().name())
        n_alpha = int(core().funhash_layout(fc).n_alpha()) if scheme == "FUNHASH" else 0
        info = {
            "kind": kind,
            "n_in": int(layout.n_in),
            "n_out": int(layout.n_out),
            "hashed": bool(layout.hashed),
            "n_buckets": int(layout.n_buckets) - n_alpha,
            "n_reconstruction_params": n_alpha,
            "hashed_bias": bool(layout.hashed_bias),
            "n_bias_buckets": int(layout.n_bias_buckets),
            "weight_seed": int(layout.weight_seed),
            "bias_seed": int(layout.bias_seed),
            "offset": int(layout.offset),
            "activation": str(core().activation_name(network.activation(layer))),
            "scheme": scheme,
            **(self._fresh_info(fc) if scheme == "FRESH" else {}),
        }
        if kind == "CONV":
            info["window"] = _window_dict(network.layer(layer).window())
        return info

    @staticmethod
    def _fresh_info(fc) -> dict:
        """A FRESH layer's slice, band exponent and buckets per frequency band (docs/freshnets.md)."""
        scheme = core().fresh_scheme(fc)
        layer = scheme.layer()
        begin = [int(layer.band_begin[b]) for b in range(int(layer.n_bands) + 1)]
        return {"fresh_slice": (int(layer.fh), int(layer.fw)), "fresh_band_exponent": float(scheme.band_exponent()),
                "fresh_band_buckets": [b - a for a, b in zip(begin, begin[1:])]}

    def _layout(self, layer: int):
        if not 0 <= layer < self.n_layers:
            raise IndexError(f"layer {layer} does not exist; the network has layers 0..{self.n_layers - 1}")
        with translate_errors():
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
                scheme=str(r.scheme),
                reconstruction_params=int(r.reconstruction_params),
                kind=str(r.kind),
            )
            for i, r in enumerate(self._model.network().memory_report())
        ]
        return MemoryReport(rows)

    def cost_estimate(self) -> dict:
        """What one event costs, counted from the layer shapes (C++ ``hashednet/cost.h``):
        ``forward_multiply_adds`` (one response), ``training_multiply_adds``
        (per event and epoch: forward, dx and dV), ``virtual_weights`` and
        ``real_bytes``; ``expensive`` above ``threshold`` multiply-adds per
        event, where construction warns (:class:`CostWarning`). A time is
        not estimated: it depends on the CPU, threads and scheme."""
        hn = core()
        cost = hn.estimate_cost(self._model.network())
        return {"virtual_weights": int(cost.virtual_weights), "forward_multiply_adds": int(cost.forward_multiply_adds),
                "training_multiply_adds": int(cost.training_multiply_adds), "real_bytes": int(cost.real_bytes),
                "expensive": bool(cost.expensive()), "threshold": int(hn.kExpensiveMultiplyAdds),
                "text": str(hn.describe_cost(cost))}  # fmt: skip

    def cost_warning(self) -> str:
        """The core's warning about an expensive network (see :meth:`cost_estimate`), or ``""``."""
        hn = core()
        return str(hn.cost_warning(hn.estimate_cost(self._model.network())))

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
        """Sets the input transform to the (weighted) mean and 1/std of x
        (float64, the rules of :func:`streaming.input_moments`; a column
        without spread keeps scale 1)."""
        sample = "the events whose inputs are standardised"
        if _cuda.check_placement(lambda: self.device, {"x": x, "weights": weights}):  # device arrays: sums there
            cupy = _cuda.cupy_module()
            views = [_cuda.device_view("x", x, n_columns=self.n_inputs)]
            if weights is not None:
                views.append(_cuda.device_view("weights", weights, n_columns=1))
            if views[-1].rows != views[0].rows:
                raise ValueError(f"weights has {views[-1].rows} entries, expected {views[0].rows} (one per event)")
            for view in views:
                _cuda.wait_for_producer(view)
            arrays = [_cuda.as_device(cupy, name, view, n)
                      for name, view, n in zip(("x", "weights"), views, (self.n_inputs, None))]  # fmt: skip
            mean, std = _cuda.device_moments(cupy, arrays[0], arrays[1] if weights is not None else None, sample)
        else:
            moments = Moments(sample)
            moments.add(as_matrix("x", x, self.n_inputs), weights)
            mean, std = moments.mean_std()
        self.set_input_transform(mean, 1.0 / np.where(std > 0, std, 1.0))

    def _targets(self, y, n: int) -> np.ndarray:
        width = self.n_outputs if self.task == "regression" else 1
        y = as_matrix("y", y, width)
        if y.shape[0] != n:
            raise ValueError(f"y has {y.shape[0]} events but x has {n}")
        check_finite("y", y)
        return y

    def _dataset(self, x, y, weights, name: str):
        if _cuda.check_placement(lambda: self.device, {"x": x, "y": y, "weights": weights}):
            raise TypeError("device arrays are taken by fit, partial_fit, fit_stream, standardize_inputs and predict; "
                            "pass numpy arrays here")
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
        the input transform from the training data first. On a ``device="cuda"``
        network x, y, weights (and validation_data) may all be device arrays.
        """
        validation = validation_data if isinstance(validation_data, (tuple, list)) else (None,) * 3
        placed = dict(x=x, y=y, weights=weights, **{f"validation_data[{i}]": a for i, a in enumerate(validation)})
        if _cuda.check_placement(lambda: self.device, placed):
            return self._fit_device(x, y, weights, validation_data, validation_fraction, training, standardize,
                                    verbose)
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
            config = phase.to_cpp(self._model)
            with translate_errors():
                result = self._model.train(
                    x, y, null if w is None else w, x.shape[0],
                    null if xv is None else xv, null if yv is None else yv, null if wv is None else wv,
                    0 if xv is None else xv.shape[0], x.shape[1], y.shape[1], config, bool(verbose),
                )
            history.extend(result, len(history.epochs))
        return history

    def _device_dataset(self, cupy, x, y, weights, name: str):
        """Checked CuPy arrays (x, y, w or None) of device inputs, as _dataset checks host ones."""
        x_view = _cuda.device_view(f"{name} x", x, n_columns=self.n_inputs)
        width = self.n_outputs if self.task == "regression" else 1
        views = [x_view, _cuda.device_view(f"{name} y", y, n_columns=width)]
        if weights is not None:
            views.append(_cuda.device_view(f"{name} weights", weights, n_columns=1))
        for view in views:
            if view.rows != x_view.rows:
                raise ValueError(f"{name}: x has {x_view.rows} events but another array has {view.rows}")
            _cuda.wait_for_producer(view)
        columns = (self.n_inputs, width, None)
        arrays = [_cuda.as_device(cupy, f"{name} {label}", v, n) for label, v, n in zip(("x", "y", "weights"), views, columns)]
        _cuda.check_labels(cupy, arrays[1], self.task, self.n_outputs)
        return arrays[0], arrays[1], (arrays[2] if weights is not None else None)

    def _fit_device(self, x, y, weights, validation_data, validation_fraction, training, standardize, verbose):
        cupy = _cuda.cupy_module()
        x, y, w = self._device_dataset(cupy, x, y, weights, "training")
        phases = _phases(training)
        if validation_data is None:
            x, y, w, validation_data = _split(x, y, w, validation_fraction, phases[0].seed, cupy)
        xv = yv = wv = None
        if validation_data is not None:
            if len(validation_data) not in (2, 3):
                raise TypeError("validation_data must be (x, y) or (x, y, weights)")
            xv, yv, wv = self._device_dataset(cupy, *validation_data[:2],
                                              validation_data[2] if len(validation_data) == 3 else None,
                                              "validation")  # fmt: skip
        if standardize:
            mean, std = _cuda.device_moments(cupy, x, w, "the events whose inputs are standardised")
            self.set_input_transform(mean, 1.0 / np.where(std > 0, std, 1.0))

        def address(a):
            return 0 if a is None else int(a.data.ptr)

        history = TrainingHistory()
        for phase in phases:
            config = phase.to_cpp(self._model)
            with translate_errors():
                result = core().python_api.train_resident(
                    self._model, address(x), address(y), address(w), x.shape[0], address(xv), address(yv),
                    address(wv), 0 if xv is None else xv.shape[0], x.shape[1], y.shape[1], config, bool(verbose),
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
        chunk's weighted mean training loss. On a ``device="cuda"`` network x,
        y and weights may be device arrays (read where they are, no host copy).
        """
        if _cuda.check_placement(lambda: self.device, {"x": x, "y": y, "weights": weights}):
            return self._partial_fit_device(x, y, weights, training, restart)
        x, y, w = self._dataset(x, y, weights, "chunk")
        config = (training or _default_phase()).to_cpp(self._model)
        if restart:
            self._model.reset_streaming()
        with translate_errors():
            return float(self._model.train_chunk(x, y, _nullptr() if w is None else w, x.shape[0], x.shape[1],
                                                 y.shape[1], config))  # fmt: skip

    def _partial_fit_device(self, x, y, weights, training, restart: bool) -> float:
        x, y, w = self._device_dataset(_cuda.cupy_module(), x, y, weights, "chunk")
        config = (training or _default_phase()).to_cpp(self._model)
        if restart:
            self._model.reset_streaming()
        address = [0 if a is None else int(a.data.ptr) for a in (x, y, w)]
        with translate_errors():
            return float(core().python_api.train_chunk_resident(self._model, *address, x.shape[0], x.shape[1],
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
        progress (entries done, events/s) at most every 5 s. On a
        ``device="cuda"`` network the chunks may be device arrays, with
        ``standardize="first_chunk"`` or ``None`` (``"first_pass"`` reads the
        chunks on the host: a TypeError for device chunks).
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
        (multiclass, (n, C)) or targets (regression, (n,) or (n, T)); CuPy
        arrays on the device for device input x (``device="cuda"``).

        Each event costs ``cost_estimate()["forward_multiply_adds"]``: seconds
        per event above the CostWarning threshold, and a call cannot be
        interrupted (Ctrl-C takes effect when it returns); predict such a
        network in slices."""
        if _cuda.check_placement(lambda: self.device, {"x": x}):
            return self._predict_device(x)
        x = as_matrix("x", x, self.n_inputs)
        check_finite("x", x)
        if self._tmva is not None:
            x = self._tmva.inputs(x)
        out = np.empty((x.shape[0], self.n_outputs), dtype=np.float32)
        with translate_errors():
            self._model.predict(x, x.shape[0], x.shape[1], out)
        if self._tmva is not None:
            out = self._tmva.outputs(out)
        return out[:, 0] if self.n_outputs == 1 else out

    def evaluator(self):
        """A :class:`tmva_hashednet.evaluator.Evaluator` over a snapshot of this network: the event path
        (bit for bit the TMVA method's GetMvaValue), one evaluator per thread (``evaluator.copy()``)."""
        from .evaluator import Evaluator

        if self._tmva is None:
            return Evaluator.of(self._model)
        return Evaluator.of(self._model, self._tmva.input_transform())

    def _predict_device(self, x):
        view = _cuda.device_view("x", x, n_columns=self.n_inputs)
        cupy = _cuda.cupy_module()
        _cuda.wait_for_producer(view)
        _cuda.as_device(cupy, "x", view, self.n_inputs)
        out = cupy.empty((view.rows, self.n_outputs), dtype=cupy.float32)
        out_view = _cuda.device_view("out", out, writable=True)
        with translate_errors():
            core().python_api.predict_resident(self._model, view.pointer, view.rows, view.columns, out_view.pointer)
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
        layers = ",".join(_repr_entry(self.layer_info(i)) for i in range(self.n_layers))
        return f"HashedNetwork(n_inputs={self.n_inputs}, layout='{layers}', task='{self.task}', n_params={self.n_params})"


def _is_tmva_weight_file(path: str) -> bool:
    """A TMVA weight file (XML, <MethodSetup>) rather than the core's network text ("HASHEDNET ...")."""
    with open(path, "rb") as stream:
        head = stream.read(256).lstrip()
    return head.startswith(b"<?xml") or head.startswith(b"<MethodSetup")


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


def _architecture_option(device) -> str:
    """The Architecture option text of a ``device`` keyword, checked by the core (allowed: cpu, cuda)."""
    return str(core().architecture_name(_architecture(device)))


def _placement_builder(placement: dict):
    """A MethodOptionsBuilder holding the given placement keywords (device, gpu_product,
    gpu_deterministic, and hash_mode if there), checked together by the core's option parser
    (GpuProduct and GpuDeterministic other than their defaults need Architecture=GPU)."""
    builder = core().MethodOptionsBuilder()
    for name, value in placement.items():
        if value is not CORE_DEFAULT:
            text = _architecture_option(value) if name == "device" else _option_text(name, value)
            with _keyword(name, value):
                builder.set({**_NETWORK_KEYWORDS, **_PLACEMENT_KEYWORDS}[name], text)
    given = ", ".join(f"{name}={value!r}" for name, value in placement.items() if value is not CORE_DEFAULT)
    try:
        with translate_errors():
            builder.build()
    except ValueError as error:
        raise ValueError(f"{given}: {error}") from None
    return builder


def _placement(placement: dict) -> tuple:
    """Model.from_text's trailing (Architecture, GpuSettings) of the placement keywords; () for the defaults."""
    if all(value is CORE_DEFAULT for value in placement.values()):
        return ()
    hn = core()
    with translate_errors():
        options = _placement_builder(placement).build()
        return hn.architecture_from_string(options.architecture), hn.gpu_settings(options)


def _architecture(device):
    if not isinstance(device, str):
        raise TypeError(f"device must be 'cpu' or 'cuda', got {type(device).__name__}")
    with translate_errors():
        return core().architecture_from_device(device)


def _split(x, y, w, fraction: float, seed: int, xp=np):
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"validation_fraction must be in [0, 1), got {fraction}")
    n_validation = int(round(fraction * x.shape[0]))
    if n_validation == 0:
        return x, y, w, None
    if n_validation == x.shape[0]:
        raise ValueError("validation_fraction leaves no training events")
    order = np.asarray(core().shuffled_indices(x.shape[0], int(seed) & 0xFFFFFFFFFFFFFFFF), dtype=np.int64)
    train, valid = xp.asarray(order[n_validation:]), xp.asarray(order[:n_validation])

    def take(a, idx):
        return None if a is None else xp.ascontiguousarray(a[idx])

    return take(x, train), take(y, train), take(w, train), (take(x, valid), take(y, valid), take(w, valid))
