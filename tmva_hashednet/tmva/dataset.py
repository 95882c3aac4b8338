"""Builds TMVA's training and test samples from the DataLoader's trees.

Per class: read the events passing the cuts, split them into training and
test events (``nTrain_<Class>``, ``nTest_<Class>``, ``TrainTestSplit_<Class>``,
``SplitMode``), mix the classes (``MixMode``), and renormalise the training
weights (``NormMode``), following TMVA's DataSetFactory (docs/tmva_file_layout.md
§5). Randomness comes from ``numpy.random.default_rng(SplitSeed)``, so the
event *counts* equal TMVA's but the random order does not reproduce TMVA's
TRandom3 + std::shuffle sequence. SplitSeed=0 means "seeded from the clock".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._moments import check_weight_sum
from . import _optstring
from ._log import Logger
from .trees import read_tree_columns

__all__ = ["Sample", "DataSet", "prepare_schema", "build_dataset"]

_SPLIT_MODES = ("Random", "Alternate", "Block")
_MIX_MODES = ("SameAsSplitMode", "Random", "Alternate", "Block")
_NORM_MODES = ("None", "NumEvents", "EqualNumEvents")


@dataclass
class Sample:
    """Events of one tree type; ``weight`` is what TMVA's ev->GetWeight() returns."""

    x: np.ndarray  # (n, n_variables) float32
    targets: np.ndarray  # (n, n_targets) float32
    spectators: np.ndarray  # (n, n_spectators) float32
    class_id: np.ndarray  # (n,) int32
    weight: np.ndarray  # (n,) float64; training: renormalised
    original_weight: np.ndarray  # (n,) float64

    def __len__(self) -> int:
        return len(self.class_id)

    def take(self, index) -> "Sample":
        return Sample(*(np.ascontiguousarray(a[index]) for a in (self.x, self.targets, self.spectators,
                                                                   self.class_id, self.weight, self.original_weight)))


@dataclass
class DataSet:
    name: str
    class_names: list
    train: Sample
    test: Sample


def prepare_schema(class_names) -> tuple:
    schema = {"SplitMode": "Random", "MixMode": "SameAsSplitMode", "SplitSeed": 100, "NormMode": "EqualNumEvents",
              "ScaleWithPreselEff": False, "V": False, "VerboseLevel": "Info", "Correlations": True,
              "CalcCorrelations": True}
    for name in class_names:
        schema.update({f"nTrain_{name}": 0, f"nTest_{name}": 0, f"TrainTestSplit_{name}": 0.0})
    choices = {"SplitMode": _SPLIT_MODES, "MixMode": _MIX_MODES, "NormMode": _NORM_MODES}
    return schema, choices


def _read_class(loader, class_name: str, cut: str):
    parts = []
    columns = [(what, v.expression) for what, infos in (("variable", loader.variables), ("target", loader.targets),
                                                        ("spectator", loader.spectators)) for v in infos]
    for entry in loader.trees:
        if entry.class_name != class_name:
            continue
        cuts = [c for c in (cut, entry.cut) if c]
        full_cut = " && ".join(f"({c})" for c in cuts) if len(cuts) > 1 else "".join(cuts)
        values, weights = read_tree_columns(entry.tree, columns, full_cut, loader.weight_expression(class_name))
        parts.append((values, weights * entry.weight))
    values = np.concatenate([p[0] for p in parts])
    return values, np.concatenate([p[1] for p in parts])


def _requested(options: dict, class_name: str, n: int) -> tuple:
    n_train, n_test = options[f"nTrain_{class_name}"], options[f"nTest_{class_name}"]
    fraction = options[f"TrainTestSplit_{class_name}"]
    if fraction:
        if not 0.0 < fraction < 1.0:
            raise ValueError(f"TrainTestSplit_{class_name}={fraction} must be in (0, 1)")
        n_train, n_test = int(fraction * n), 0
    if n_train < 0 or n_test < 0:
        raise ValueError(f"nTrain_{class_name} and nTest_{class_name} must be >= 0, got {n_train} and {n_test}")
    if n_train + n_test > n:
        raise ValueError(f"More events requested for class '{class_name}' (nTrain={n_train} + nTest={n_test}) "
                         f"than available ({n} events pass the cuts)")
    if n_train == 0 and n_test == 0:
        return n // 2, n // 2
    if n_test == 0:
        return n_train, n - n_train
    if n_train == 0:
        return n - n_test, n_test
    return n_train, n_test


def _split_indices(n: int, n_train: int, n_test: int, mode: str, rng) -> tuple:
    if mode == "Random":
        order = rng.permutation(n)
        return order[:n_train], order[n_train:n_train + n_test]
    if mode == "Block":
        return np.arange(n_train), np.arange(n_train, n_train + n_test)
    alternate = np.arange(n)  # Alternate: train, test, train, ... until nTrain, then test
    train = alternate[0::2][:n_train]
    rest = np.setdiff1d(alternate, train, assume_unique=True)
    return train, rest[:n_test]


def _mix(pieces: list, mode: str, rng) -> np.ndarray:
    """Row order of the concatenated classes (``pieces``: index arrays per class, already offset)."""
    if mode == "Alternate":
        longest = max(len(p) for p in pieces)
        return np.array([p[i] for i in range(longest) for p in pieces if i < len(p)], dtype=np.int64)
    joined = np.concatenate(pieces).astype(np.int64)
    return rng.permutation(joined) if mode == "Random" else joined


def _renormalise(sample: Sample, class_names: list, mode: str, log: Logger, name: str) -> None:
    if mode == "None":
        log.info(f"Dataset[{name}] : No weight renormalisation applied: use original global and event weights")
        return
    reference = np.count_nonzero(sample.class_id == 0)
    for c in range(len(class_names)):
        mask = sample.class_id == c
        total = sample.original_weight[mask].sum()
        target = np.count_nonzero(mask) if mode == "NumEvents" else reference
        check_weight_sum(f"the training events of class '{class_names[c]}'", total, int(np.count_nonzero(mask)))
        sample.weight[mask] = sample.original_weight[mask] * (target / total)


def _sample(values, weights, class_id, n_var, n_tgt) -> Sample:
    x = np.ascontiguousarray(values[:, :n_var])
    targets = np.ascontiguousarray(values[:, n_var:n_var + n_tgt])
    spectators = np.ascontiguousarray(values[:, n_var + n_tgt:])
    return Sample(x, targets, spectators, class_id.astype(np.int32), weights.copy(), weights.copy())


def build_dataset(loader, log: Logger) -> DataSet:
    """The training and test samples, as TMVA's DataSetFactory::CreateDataSet."""
    options = loader.prepare_options
    rng = np.random.default_rng(None if options["SplitSeed"] == 0 else options["SplitSeed"])
    mix_mode = options["SplitMode"] if options["MixMode"] == "SameAsSplitMode" else options["MixMode"]
    n_var, n_tgt = len(loader.variables), len(loader.targets)
    values, weights, classes, train_rows, test_rows, offset = [], [], [], [], [], 0
    log.header(f"[{loader.name}] : Number of events in input trees")
    for c, class_name in enumerate(loader.class_names):
        v, w = _read_class(loader, class_name, loader.cut(class_name))
        if len(v) == 0:
            raise ValueError(f"Dataset {loader.name} does not have any events of class '{class_name}' "
                             f"passing the cut '{loader.cut(class_name)}'")
        n_train, n_test = _requested(options, class_name, len(v))
        train, test = _split_indices(len(v), n_train, n_test, options["SplitMode"], rng)
        values.append(v), weights.append(w), classes.append(np.full(len(v), c))
        train_rows.append(train + offset), test_rows.append(test + offset)
        offset += len(v)
    values, weights, classes = np.concatenate(values), np.concatenate(weights), np.concatenate(classes)
    everything = _sample(values, weights, classes, n_var, n_tgt)
    train = everything.take(_mix(train_rows, mix_mode, rng))
    test = everything.take(_mix(test_rows, mix_mode, rng))
    _renormalise(train, loader.class_names, options["NormMode"], log, loader.name)
    _print_counts(loader, train, test, options["NormMode"], log)
    return DataSet(loader.name, list(loader.class_names), train, test)


def _print_counts(loader, train: Sample, test: Sample, norm_mode: str, log: Logger) -> None:
    if norm_mode == "None":
        return
    width = max(len(c) for c in loader.class_names)
    log.info("Number of training and testing events")
    log.info("-" * 75)
    for c, name in enumerate(loader.class_names):
        n_train, n_test = np.count_nonzero(train.class_id == c), np.count_nonzero(test.class_id == c)
        log.info(f"{name:<{width}} -- training events            : {n_train}")
        log.info(f"{name:<{width}} -- testing events             : {n_test}")
        log.info(f"{name:<{width}} -- training and testing events: {n_train + n_test}")
    log.info("")


def parse_prepare_options(options, class_names) -> dict:
    schema, choices = prepare_schema(class_names)
    return _optstring.parse(options, schema, "PrepareTrainingAndTestTree", choices)
