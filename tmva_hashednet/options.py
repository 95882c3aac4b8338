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
from .network import _TASKS, TrainingConfig, weight_init_name

__all__ = [
    "MethodOptions",
    "parse_options",
    "describe_options",
    "canonical_option_string",
    "option_items",
    "validation_event_count",
]


@dataclass
class MethodOptions:
    """Every option of a HashedDNN option string (defaults from config.h)."""

    help: bool
    verbose: bool
    verbosity_level: str
    var_transform: str
    create_mva_pdfs: bool
    ignore_neg_weights: bool
    error_strategy: str
    weight_init: str  # XAVIER or XAVIERUNIFORM
    layout: str  # as written; the source of truth
    training: list = field(default_factory=list)  # TrainingConfig per phase
    verbosity: int = 1  # 0: no per-epoch lines
    architecture: str = "CPU"
    random_seed: int = 42
    num_threads: int = 0
    compression: float = 1.0
    hashed_bias: bool = False
    hash_output_layer: bool = False
    hash_seed: int = 0
    hash_mode: str = "ELEMENT"
    hash_block: int = 16  # HashMode=BLOCK: virtual weights per hash
    validation_size: str = "20%"  # MethodDL's ValidationSize
    canonical: str = ""  # every option written out (to_option_string)
    warnings: list = field(default_factory=list)  # from the task check, to be printed


def parse_options(text: str, n_inputs: int = -1, task: str | None = None) -> MethodOptions:
    """Parses a HashedDNN option string; ``n_inputs`` resolves widths written with N.
    With ``task`` (classification, multiclass, regression) the options are also
    checked against it (ErrorStrategy, Architecture) and warnings are returned."""
    if not isinstance(text, str):
        raise TypeError(f"options must be a string like '!H:!V:Layout=TANH|64,LINEAR', got {type(text).__name__}")
    if task is not None and task not in _TASKS:
        raise ValueError(f"task {task!r} is not known; allowed: {', '.join(_TASKS)}")
    hn = core()
    with translate_errors():
        cpp = hn.parse_method_options(text, int(n_inputs))
        canonical = str(hn.to_option_string(cpp))
        warnings = [] if task is None else [str(w) for w in hn.check_options_for_task(cpp, getattr(hn.Task, _TASKS[task]))]
    phases = list(cpp.training)
    return MethodOptions(
        help=bool(cpp.help),
        verbose=bool(cpp.verbose),
        verbosity_level=str(cpp.verbosity_level),
        var_transform=str(cpp.var_transform),
        create_mva_pdfs=bool(cpp.create_mva_pdfs),
        ignore_neg_weights=bool(cpp.ignore_neg_weights),
        error_strategy=str(cpp.error_strategy),
        weight_init=weight_init_name(cpp.weight_init),
        layout=str(cpp.layout_string),
        training=[TrainingConfig.from_cpp(p) for p in phases],
        verbosity=int(phases[0].verbosity) if phases else 1,
        architecture=str(cpp.architecture),
        random_seed=int(cpp.random_seed),
        num_threads=int(cpp.num_threads),
        compression=float(cpp.compression),
        hashed_bias=bool(cpp.hashed_bias),
        hash_output_layer=bool(cpp.hash_output_layer),
        hash_seed=int(cpp.hash_seed),
        hash_mode=str(cpp.hash_mode),
        hash_block=int(cpp.hash_block),
        validation_size=str(cpp.validation_size),
        canonical=canonical,
        warnings=warnings,
    )


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
    """(name, value) pairs of a canonical option string; booleans as True/False."""
    items = []
    for item in canonical.split(":"):
        if "=" in item:
            name, value = item.split("=", 1)
        elif item.startswith("!"):
            name, value = item[1:], "False"
        else:
            name, value = item, "True"
        items.append((name, value))
    return items
