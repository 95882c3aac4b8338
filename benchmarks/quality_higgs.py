"""HIGGS quality runs: test ROC AUC against compression, beside dense nets of equal real size.

What it is: for each architecture (default 3x64 and 3x256 TANH) and each
compression, trains the hashed net and a dense net of the same depth with
about as many real parameters, over several seeds, and aggregates the test
AUC as mean and spread. ROOT's Higgs_data.root: 20k events, half for training
(of which 20 % validate for early stopping), half for the test.

What it is not: a tuning loop; the settings come from the command line.
"""

from __future__ import annotations

from dataclasses import dataclass

from quality_common import NetSpec, equal_size_spec, real_params, summarize, train_one
from tmva_hashednet import TrainingConfig
from tmva_hashednet.evaluation import roc_auc

__all__ = ["HiggsSettings", "run_higgs", "higgs_rows"]

N_INPUTS = 28


@dataclass(frozen=True)
class HiggsSettings:
    """How every HIGGS net is trained (the same for all of them)."""

    widths: tuple = (64, 256)  # one architecture per width: 3 hidden layers of it
    depth: int = 3  # hidden layers
    compressions: tuple = ("1", "1/2", "1/8", "1/16", "1/64")
    epochs: int = 100  # upper bound; early stop after `convergence_steps` epochs without progress
    convergence_steps: int = 10  # TMVA's ConvergenceSteps
    optimizer: str = "ADAM"
    learning_rate: float = 3e-3  # hashed nets with dropout stall at 1e-3 within 100 epochs (README)
    batch_size: int = 128
    dropout: tuple = (0.0, 0.2, 0.2, 0.2)  # drop probability of each layer's input (none on the 28 inputs)
    weight_decay: float = 0.0  # L2 coefficient
    standardize: bool = True  # inputs to mean 0, std 1 from the training events
    hash_output: str = "no"  # no | yes | both: hash the 256x1 / 64x1 output layer too
    seeds: tuple = (1, 2, 3)
    threads: int = 1  # the nets are small: one thread each (0 = all cores)

    def training(self, seed: int) -> TrainingConfig:
        return TrainingConfig(learning_rate=self.learning_rate, batch_size=self.batch_size, max_epochs=self.epochs,
                              convergence_steps=self.convergence_steps, optimizer=self.optimizer,
                              dropout=self.dropout, weight_decay=self.weight_decay, seed=seed,
                              num_threads=self.threads)  # fmt: skip


def _output_choices(hash_output: str) -> tuple:
    choices = {"no": (False,), "yes": (True,), "both": (False, True)}
    if hash_output not in choices:
        raise ValueError(f"hash_output {hash_output!r} is not known; allowed: {', '.join(choices)}")
    return choices[hash_output]


def higgs_pairs(settings: HiggsSettings) -> list:
    """(hashed or dense spec, equal-size dense spec or None), one per table row."""
    pairs = []
    for width in settings.widths:
        for compression in settings.compressions:
            dense = compression in ("1", "1/1")
            for hashed_out in (False,) if dense else _output_choices(settings.hash_output):
                label = f"{settings.depth}x{width} {compression}" + (" all" if hashed_out else "")
                spec = NetSpec(label, (width,) * settings.depth, "TANH", compression, hashed_out)
                twin = None
                if not dense:
                    twin = equal_size_spec(spec, N_INPUTS, 1, real_params(spec, N_INPUTS, "classification", 1))
                pairs.append((spec, twin))
    return pairs


def _auc(net, x, y) -> float:
    return roc_auc(y, net.predict(x))


def _key(spec: NetSpec) -> tuple:
    return spec.layout, spec.compression, spec.hash_output


def run_higgs(data: dict, settings: HiggsSettings) -> list:
    """RunResults of every distinct net of :func:`higgs_pairs` for every seed
    (a dense net that is the twin of several rows is trained once per seed)."""
    distinct = {}
    for spec, twin in higgs_pairs(settings):
        for s in (spec, twin):
            if s is not None:
                distinct.setdefault(_key(s), s)
    results = []
    for seed in settings.seeds:
        for spec in distinct.values():
            results.append(train_one(spec, data, "classification", 1, settings.training(seed), _auc,
                                     standardize=settings.standardize))  # fmt: skip
    return results


def _aggregate(results: list, spec: NetSpec) -> dict:
    runs = [r for r in results if (r.layout, r.compression, r.hash_output) == _key(spec)]
    mean, spread = summarize([r.metric for r in runs])
    return {"auc": mean, "auc_spread": spread, "real_params": runs[0].real_params, "seeds": len(runs),
            "epochs": sum(r.epochs for r in runs) / len(runs),
            "seconds": sum(r.seconds for r in runs) / len(runs)}  # fmt: skip


def higgs_rows(results: list, settings: HiggsSettings) -> list:
    """One dict per table row: the net, its AUC, and its equal-size dense twin's AUC."""
    rows = []
    for spec, twin in higgs_pairs(settings):
        row = {"net": spec.label, "layout": spec.layout, "compression": spec.compression,
               "hash_output": spec.hash_output, **_aggregate(results, spec)}  # fmt: skip
        if twin is not None:
            other = _aggregate(results, twin)
            row.update(twin_width=twin.widths[0], twin_real_params=other["real_params"], twin_auc=other["auc"],
                       twin_auc_spread=other["auc_spread"])  # fmt: skip
        rows.append(row)
    return rows


# ---- HashMode=BLOCK beside ELEMENT (issue 3): one row per (width, compression) ----
def block_mode_rows(data: dict, settings: HiggsSettings, block: int = 16) -> list:
    """Test AUC of the hashed nets of ``settings`` in HashMode=ELEMENT and
    HashMode=BLOCK (``block`` virtual weights per hash), same seeds and training;
    one dict per (width, compression): mean and spread over the seeds of each mode."""
    from tmva_hashednet import HashedNetwork

    rows = []
    for width in settings.widths:
        for compression in settings.compressions:
            if compression in ("1", "1/1"):
                continue
            spec = NetSpec(f"{settings.depth}x{width} {compression}", (width,) * settings.depth, "TANH", compression)
            aucs = {"ELEMENT": [], "BLOCK": []}
            for seed in settings.seeds:
                for mode in aucs:
                    net = HashedNetwork(N_INPUTS, spec.layout, compression=compression, hash_seed=seed, seed=seed,
                                        hash_mode=mode, hash_block=block, num_threads=settings.threads)  # fmt: skip
                    net.fit(*data["train"], training=settings.training(seed), standardize=settings.standardize,
                            verbose=False)  # fmt: skip
                    aucs[mode].append(_auc(net, *data["test"]))
                    print(f"[quality] {spec.label} {mode}: seed {seed} test AUC {aucs[mode][-1]:.4f}", flush=True)
            element, element_spread = summarize(aucs["ELEMENT"])
            block_auc, block_spread = summarize(aucs["BLOCK"])
            rows.append({"net": spec.label, "block": block, "element_auc": element, "element_spread": element_spread,
                         "block_auc": block_auc, "block_spread": block_spread, "seeds": len(settings.seeds)})  # fmt: skip
    return rows
