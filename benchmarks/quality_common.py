"""Pieces shared by the MNIST and HIGGS quality runs.

What it is: the description of one network to train (``NetSpec``), the record
of one finished run (``RunResult``), training with wall-clock timing, and the
width of a dense network with a given number of real parameters.

What it is not: a training loop (the C++ core trains) or a metric library
(``tmva_hashednet.evaluation``).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from tmva_hashednet import HashedNetwork, TrainingConfig

__all__ = [
    "NetSpec", "RunResult", "dense_params", "equal_size_width", "equal_size_spec", "real_params", "train_one",
    "summarize",
]  # fmt: skip


@dataclass(frozen=True)
class NetSpec:
    """One network of a comparison: label, hidden widths, activation, hashing."""

    label: str
    widths: tuple
    activation: str
    compression: str = "1"  # hidden layers; "1" = dense
    hash_output: bool = False  # hash the output layer at the same compression

    @property
    def layout(self) -> str:
        return ",".join(f"{self.activation}|{w}" for w in self.widths) + ",LINEAR"


@dataclass
class RunResult:
    """What one training run gave; ``metric`` is test error % (MNIST) or test ROC AUC (HIGGS)."""

    label: str
    layout: str
    compression: str
    hash_output: bool
    real_params: int
    virtual_weights: int
    seed: int
    epochs: int
    best_epoch: int
    seconds: float
    metric: float
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def dense_params(n_in: int, widths, n_out: int) -> int:
    """Real parameters (weights and biases) of a dense net n_in-widths-n_out."""
    sizes = [n_in, *widths, n_out]
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))


def equal_size_width(n_in: int, depth: int, n_out: int, real_params: int) -> int:
    """The hidden width h whose dense net n_in-(h x depth)-n_out has the
    number of real parameters closest to ``real_params``."""
    h = 1
    while dense_params(n_in, [h + 1] * depth, n_out) <= real_params:
        h += 1
    return min((h, h + 1), key=lambda w: abs(dense_params(n_in, [w] * depth, n_out) - real_params))


def equal_size_spec(spec: NetSpec, n_in: int, n_out: int, real_params: int) -> NetSpec:
    """A dense net of the same depth and activation with about ``real_params`` real parameters."""
    width = equal_size_width(n_in, len(spec.widths), n_out, real_params)
    return replace(spec, label=f"dense {width} (size of {spec.label})", widths=(width,) * len(spec.widths),
                   compression="1", hash_output=False)  # fmt: skip


def real_params(spec: NetSpec, n_in: int, task: str, n_outputs: int) -> int:
    """Real parameters of ``spec`` (buckets and biases), read from a freshly built network."""
    return build(spec, n_in, task, n_outputs, seed=0).n_params


def build(spec: NetSpec, n_in: int, task: str, n_outputs: int, seed: int, threads: int = 0) -> HashedNetwork:
    return HashedNetwork(n_in, spec.layout, task=task, n_outputs=n_outputs, compression=spec.compression,
                         hash_output_layer=spec.hash_output, hash_seed=seed, seed=seed,
                         num_threads=threads)  # fmt: skip


def train_one(spec: NetSpec, data: dict, task: str, n_outputs: int, phases, score,
              standardize: bool, validation=None) -> RunResult:  # fmt: skip
    """Builds, trains (one TrainingConfig or a list of phases) and scores one network;
    ``score(net, x, y)`` gives the metric on the test split."""
    phases = [phases] if isinstance(phases, TrainingConfig) else list(phases)
    config = phases[0]
    x, y = data["train"]
    net = build(spec, x.shape[1], task, n_outputs, config.seed, config.num_threads)
    report = net.memory_report()
    print(f"\n[quality] {spec.label}: {spec.layout}, compression {spec.compression}, "
          f"output layer {'hashed' if spec.hash_output else 'dense'}, {report.real_params} real parameters, "
          f"seed {config.seed}", flush=True)  # fmt: skip
    start = time.perf_counter()
    history = net.fit(x, y, validation_data=validation, training=phases, standardize=standardize, verbose=True)
    seconds = time.perf_counter() - start
    metric = score(net, *data["test"])
    print(f"[quality] {spec.label}: test {metric:.4f} after {len(history.epochs)} epochs "
          f"(best epoch {history.best_epoch}), {seconds:.1f} s", flush=True)  # fmt: skip
    return RunResult(spec.label, spec.layout, spec.compression, spec.hash_output, report.real_params,
                     report.virtual_weights, config.seed, len(history.epochs), history.best_epoch, seconds,
                     metric)  # fmt: skip


def summarize(values) -> tuple:
    """(mean, standard deviation with ddof=1 or 0.0 for one value)."""
    values = np.asarray(values, dtype=np.float64)
    spread = float(values.std(ddof=1)) if values.size > 1 else 0.0
    return float(values.mean()), spread
