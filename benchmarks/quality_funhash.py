"""Quality of FunHashNN against HashedNets at the same number of real parameters.

Usage (from the repository, with the package importable):

    python benchmarks/quality_funhash.py mnist|higgs|all [--quick] [--json out.json] [options]

What it is: for MNIST 784-1000-10 RELU at 1/8 and 1/64 and HIGGS 3x256 TANH
at 1/64, trains, all the same way (quality_mnist's and quality_higgs's
settings), a HashedNets net (ELEMENT), FunHashNN nets (each U and g given
with --funhash) and the dense net of equal real size; the compression of a
FUNHASH layer counts its buckets and g, so every net of a row has the same
real parameters (checked, printed). The paper (Shi et al. 2016) reports
FunHashNN ahead of HashedNets at high compression; the table says whether
that holds here.

What it is not: a tuning loop, or a speed benchmark (see speed_*.py).

Smaller runs for a busy machine: --mnist-events and --higgs-events take the
first events of the training samples, --epochs fewer epochs, --optimizer and
--learning-rate another training (the same for every net of the run; an MLP
g diverged under SGD at MNIST's settings in docs/funhash.md, so Adam is the
fair choice when MLP variants are compared). --without-funhash runs the
HashedNets and dense nets alone.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality_common import NetSpec, equal_size_width, summarize  # noqa: E402
from quality_data import DEFAULT_CACHE, load_higgs, load_mnist  # noqa: E402
from quality_higgs import HiggsSettings  # noqa: E402
from quality_mnist import MnistSettings, test_error_percent  # noqa: E402

from tmva_hashednet import HashedNetwork  # noqa: E402
from tmva_hashednet.evaluation import roc_auc  # noqa: E402

#: U and g of the FunHashNN nets compared by default: the proposed default (LINEAR, U = 4) and an MLP g.
DEFAULT_FUNHASH = ("4:LINEAR", "4:MLP|4|TANH")


@dataclass(frozen=True)
class Candidate:
    """One net of a row: a NetSpec plus how its hidden layers make V."""

    spec: NetSpec
    hash_mode: str = "ELEMENT"  # ELEMENT (HashedNets) or FUNHASH
    hash_functions: int = 1  # U
    reconstruction: str = "IDENTITY"  # g

    def build(self, n_in: int, task: str, n_outputs: int, seed: int, threads: int) -> HashedNetwork:
        extra = {}
        if self.hash_mode == "FUNHASH":
            extra = dict(hash_mode="FUNHASH", hash_functions=self.hash_functions, reconstruction=self.reconstruction)
        return HashedNetwork(n_in, self.spec.layout, task=task, n_outputs=n_outputs, compression=self.spec.compression,
                             hash_seed=seed, seed=seed, num_threads=threads, **extra)  # fmt: skip


def funhash_variants(texts) -> list:
    """(U, g) from 'U:G' texts such as '4:LINEAR' or '4:MLP|4|TANH'."""
    variants = []
    for text in texts:
        u, sep, g = text.partition(":")
        if not sep or not u.isdigit():
            raise ValueError(f"--funhash {text!r}: expected U:RECONSTRUCTION, e.g. 4:LINEAR or 4:MLP|4|TANH")
        variants.append((int(u), g))
    return variants


def row_candidates(label: str, widths: tuple, activation: str, compression: str, variants, n_in: int,
                   n_out: int, task: str, with_funhash: bool) -> list:  # fmt: skip
    """HashedNets, each FunHashNN variant, then the dense net with HashedNets' real size."""
    hashed = NetSpec(f"{label} HashedNets {compression}", widths, activation, compression)
    row = [Candidate(hashed)]
    if with_funhash:
        for u, g in variants:
            spec = replace(hashed, label=f"{label} FunHashNN U={u} {g} {compression}")
            row.append(Candidate(spec, "FUNHASH", u, g))
    size = Candidate(hashed).build(n_in, task, n_out, 0, 1).n_params
    width = equal_size_width(n_in, len(widths), n_out, size)
    row.append(Candidate(NetSpec(f"{label} dense {len(widths)}x{width} (same size)", (width,) * len(widths),
                                 activation)))  # fmt: skip
    return row


def train_and_score(candidate: Candidate, data: dict, task: str, n_out: int, phases, score, standardize: bool,
                    validation, threads: int) -> dict:  # fmt: skip
    x, y = data["train"]
    net = candidate.build(x.shape[1], task, n_out, phases[0].seed, threads)
    print(f"\n[funhash] {candidate.spec.label}: {net.n_params} real parameters", flush=True)
    history = net.fit(x, y, validation_data=validation, training=phases, standardize=standardize, verbose=True)
    metric = score(net, *data["test"])
    print(f"[funhash] {candidate.spec.label}: test {metric:.4f} (best epoch {history.best_epoch})", flush=True)
    return {"label": candidate.spec.label, "real_params": net.n_params, "metric": metric, **asdict(candidate)}


def check_equal_size(results: list) -> None:
    """HashedNets and FunHashNN nets of a row must have the same real parameters (g included)."""
    sizes = {r["real_params"] for r in results if r["spec"]["compression"] != "1"}
    if len(sizes) > 1:
        raise RuntimeError(f"hashed nets of one row differ in real parameters: {sorted(sizes)}")


def _training_overrides(args) -> dict:
    """MnistSettings / HiggsSettings fields given on the command line."""
    given = {"optimizer": args.optimizer, "learning_rate": args.learning_rate}
    return {name: value for name, value in given.items() if value is not None}


def _first(data: dict, name: str, n) -> dict:
    """data with only the first n events of split `name` (all of them for n None)."""
    if n is None:
        return data
    x, y = data[name]
    return {**data, name: (x[:n], y[:n])}


def run_mnist(args, variants) -> list:
    anneal = args.anneal_epochs if args.anneal_epochs is not None else (0 if args.quick else 5)
    settings = MnistSettings(epochs=args.epochs or (1 if args.quick else 20), anneal_epochs=anneal,
                             seed=args.seeds[0], **_training_overrides(args))  # fmt: skip
    data = load_mnist(args.cache)
    if args.quick:
        data = {name: (x[:5000], y[:5000]) for name, (x, y) in data.items()}
    data = _first(data, "train", args.mnist_events)
    print(f"[funhash] MNIST: {len(data['train'][0])} training events, {settings}", flush=True)
    rows = []
    for compression in ("1/8", "1/64"):
        row = row_candidates("MNIST 784-1000-10", (1000,), "RELU", compression, variants, 784, 10, "multiclass",
                             not args.without_funhash)  # fmt: skip
        results = [train_and_score(c, data, "multiclass", 10, settings.training(), test_error_percent, False,
                                   data["validation"], settings.threads) for c in row]  # fmt: skip
        check_equal_size(results)
        rows.append(results)
    return rows


def _auc(net, x, y) -> float:
    return float(roc_auc(y, net.predict(x)))


def run_higgs(args, variants) -> list:
    settings = HiggsSettings(epochs=args.epochs or (2 if args.quick else 100), seeds=tuple(args.seeds),
                             **_training_overrides(args))  # fmt: skip
    data = load_higgs()
    if args.quick:
        data = {name: (x[:3000], y[:3000]) for name, (x, y) in data.items()}
    data = _first(data, "train", args.higgs_events)
    print(f"[funhash] HIGGS: {len(data['train'][0])} training events, {settings}", flush=True)
    row = row_candidates("HIGGS 3x256", (256,) * 3, "TANH", "1/64", variants, 28, 1, "classification",
                         not args.without_funhash)  # fmt: skip
    per_seed = [[train_and_score(c, data, "classification", 1, [settings.training(seed)], _auc, True, None,
                                 settings.threads) for c in row] for seed in settings.seeds]  # fmt: skip
    for results in per_seed:
        check_equal_size(results)
    merged = []
    for i, first in enumerate(per_seed[0]):
        mean, spread = summarize([results[i]["metric"] for results in per_seed])
        merged.append({**first, "metric": mean, "spread": spread, "seeds": list(settings.seeds)})
    return [merged]


def print_rows(title: str, metric: str, rows: list) -> None:
    print(f"\n{title}")
    print(f"{'net':<52} {'real params':>11} {metric:>18}")
    for row in rows:
        for r in row:
            spread = f" +- {r['spread']:.4f}" if "spread" in r else ""
            print(f"{r['label']:<52} {r['real_params']:>11} {r['metric']:>10.4f}{spread}")


def funhash_available() -> bool:
    import inspect

    return "reconstruction" in inspect.signature(HashedNetwork.__init__).parameters


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("suite", choices=("mnist", "higgs", "all"))
    p.add_argument("--funhash", nargs="+", default=list(DEFAULT_FUNHASH),
                   help=f"FunHashNN variants as U:RECONSTRUCTION (default {' '.join(DEFAULT_FUNHASH)})")
    p.add_argument("--epochs", type=int, help="MNIST epochs (default 20, then 5 annealed); HIGGS max epochs (100)")
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3], help="HIGGS seeds; MNIST uses the first")
    p.add_argument("--quick", action="store_true", help="small subsets, 1 (MNIST) or 2 (HIGGS) epochs: checks that it runs")
    p.add_argument("--anneal-epochs", type=int, help="MNIST epochs at a tenth of the rate after --epochs (default 5)")
    p.add_argument("--optimizer", choices=("SGD", "ADAM"), help="every net's optimizer (default: the suite's)")
    p.add_argument("--learning-rate", type=float, help="every net's learning rate (default: the suite's)")
    p.add_argument("--mnist-events", type=int, help="MNIST training events (default all 50000)")
    p.add_argument("--higgs-events", type=int, help="HIGGS training events (default all 10000)")
    p.add_argument("--without-funhash", action="store_true", help="HashedNets and dense nets only")
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help=f"download cache (default {DEFAULT_CACHE})")
    p.add_argument("--json", type=Path, help="write the results to this file")
    return p


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if not args.without_funhash and not funhash_available():
        print("FUNHASH is not wired into HashedNetwork yet (no 'reconstruction' keyword); "
              "run with --without-funhash for the HashedNets and dense nets alone", file=sys.stderr)  # fmt: skip
        return 2
    variants = funhash_variants(args.funhash)
    out = {}
    if args.suite in ("mnist", "all"):
        out["mnist"] = run_mnist(args, variants)
        print_rows("MNIST 784-1000-10 RELU, test error %", "test error %", out["mnist"])
    if args.suite in ("higgs", "all"):
        out["higgs"] = run_higgs(args, variants)
        print_rows(f"HIGGS 3x256 TANH at 1/64, test ROC AUC, seeds {args.seeds}", "AUC", out["higgs"])
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
