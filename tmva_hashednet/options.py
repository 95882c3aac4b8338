"""HashedDNN option strings, read by the one C++ parser (``hashednet/options.h``).

What it is: the Python face of ``parse_method_options``, ``describe_options``
and ``to_option_string``; the result is a plain :class:`MethodOptions`
dataclass, and every problem is a ``ValueError`` naming the bad key or value
(with a "did you mean" suggestion). docs/options.md is the user reference.

What it is not: a second parser. Nothing here interprets option text itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ._core import core
from ._errors import translate_errors
from .network import TrainingConfig

__all__ = [
    "MethodOptions",
    "parse_options",
    "describe_options",
    "canonical_option_string",
    "option_items",
    "validation_event_count",
]


def _bool(text: str) -> bool:
    return text == "True"


def _compression(text: str) -> float:
    return float(core().python_api.compression_value(text))


# MethodOptions field -> (its option, reader of the core's canonical text).
_FIELDS = {
    "help": ("H", _bool),
    "verbose": ("V", _bool),
    "verbosity_level": ("VerbosityLevel", str),
    "var_transform": ("VarTransform", str),
    "create_mva_pdfs": ("CreateMVAPdfs", _bool),
    "ignore_neg_weights": ("IgnoreNegWeightsInTraining", _bool),
    "error_strategy": ("ErrorStrategy", str),
    "weight_init": ("WeightInitialization", str),
    "input_layout": ("InputLayout", str),
    "batch_layout": ("BatchLayout", str),
    "layout": ("Layout", str),
    "architecture": ("Architecture", str),
    "gpu_product": ("GpuProduct", str),
    "gpu_deterministic": ("GpuDeterministic", _bool),
    "random_seed": ("RandomSeed", int),
    "num_threads": ("NumThreads", int),
    "compression": ("Compression", _compression),
    "hashed_bias": ("HashedBias", _bool),
    "hash_output_layer": ("HashOutputLayer", _bool),
    "hash_seed": ("HashSeed", int),
    "hash_mode": ("HashMode", str),
    "hash_block": ("HashBlock", int),
    "validation_size": ("ValidationSize", str),
}


@dataclass
class MethodOptions:
    """Every option of a HashedDNN option string, as the C++ parser read it.
    Made by :func:`parse_options` only, so no default is written here
    (``parse_options("")`` gives the defaults)."""

    help: bool
    verbose: bool
    verbosity_level: str
    var_transform: str
    create_mva_pdfs: bool
    ignore_neg_weights: bool
    error_strategy: str
    weight_init: str  # XAVIER or XAVIERUNIFORM
    input_layout: str  # MethodDL's InputLayout, depth|height|width ("0|0|0": none)
    batch_layout: str  # MethodDL's BatchLayout (checked against BatchSize and InputLayout only)
    layout: str  # as written; the source of truth
    architecture: str
    gpu_product: str  # Architecture=GPU: AUTO, FUSED or MATERIALIZE
    gpu_deterministic: bool  # Architecture=GPU: fixed-point bucket gradients
    random_seed: int
    num_threads: int
    compression: float
    hashed_bias: bool
    hash_output_layer: bool
    hash_seed: int
    hash_mode: str  # ELEMENT or BLOCK
    hash_block: int  # HashMode=BLOCK: virtual weights per hash
    validation_size: str  # MethodDL's ValidationSize
    training: list = field(default_factory=list)  # TrainingConfig per phase
    verbosity: int = 1  # 0: no per-epoch lines
    canonical: str = ""  # every option written out (to_option_string)
    warnings: list = field(default_factory=list)  # from the task check, to be printed


def parse_options(text: str, n_inputs: int = -1, task: str | None = None) -> MethodOptions:
    """Parses a HashedDNN option string; ``n_inputs`` resolves widths written with N.
    With ``task`` (classification, multiclass, regression) the options are also
    checked against it (ErrorStrategy, Architecture) and warnings are returned."""
    if not isinstance(text, str):
        raise TypeError(f"options must be a string like '!H:!V:Layout=TANH|64,LINEAR', got {type(text).__name__}")
    hn = core()
    api = hn.python_api
    with translate_errors():
        cpp = hn.parse_method_options(text, int(n_inputs))
        canonical = str(hn.to_option_string(cpp))
        warnings = [] if task is None else [str(w) for w in api.check_for_task(cpp, str(task))]
        items = {str(i.first): str(i.second) for i in api.option_items(cpp)}
        phases = [TrainingConfig._from_items(api.phase_items(cpp, i)) for i in range(int(api.phase_count(cpp)))]
        values = {name: read(items[key]) for name, (key, read) in _FIELDS.items()}
    return MethodOptions(**values, training=phases, verbosity=int(api.verbosity(cpp)), canonical=canonical,
                         warnings=warnings)  # fmt: skip


def validation_event_count(validation_size: str, n_events: int) -> int:
    """How many of n_events ValidationSize keeps for validation (the last ones)."""
    with translate_errors():
        return int(core().validation_event_count(str(validation_size), int(n_events)))


def describe_options() -> str:
    """The help text of the ``H`` option: every option, its default and allowed values."""
    return str(core().describe_options())


def canonical_option_string(text: str) -> str:
    """Every option written out, in the parser's fixed order."""
    return parse_options(text).canonical


def option_items(canonical: str) -> list:
    """(name, value) pairs of an option string as written (the C++ tokenizer); booleans as True/False."""
    with translate_errors():
        return [(str(i.first), str(i.second)) for i in core().python_api.written_items(str(canonical))]
