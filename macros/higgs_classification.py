"""Train HashedDNN on ROOT's bundled HIGGS data and report quality and memory.

Usage: python macros/higgs_classification.py [--compression 1/8] [--epochs N]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from tmva_hashednet import HashedNetwork, TrainingConfig, datasets
from tmva_hashednet.evaluation import roc_auc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compression", default="1/8", help="real/virtual weights of the hidden layers (default 1/8)")
    parser.add_argument("--layout", default="TANH|256,TANH|256,TANH|256,LINEAR")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    x, y = datasets.load_two_class("Higgs_data.root", "sig_tree", "bkg_tree", datasets.HIGGS_VARIABLES)
    order = np.random.default_rng(args.seed).permutation(len(x))
    train, test = order[: len(x) // 2], order[len(x) // 2 :]
    net = HashedNetwork(x.shape[1], args.layout, compression=args.compression, seed=args.seed)
    config = TrainingConfig(learning_rate=1e-3, batch_size=128, max_epochs=args.epochs, convergence_steps=8,
                            seed=args.seed)  # fmt: skip
    start = time.perf_counter()
    net.fit(x[train], y[train], training=config)
    seconds = time.perf_counter() - start
    auc = roc_auc(y[test], net.predict(x[test]))
    print(f"\nHIGGS ({len(train)} training, {len(test)} test events), {args.layout}, compression {args.compression}")
    print(f"test ROC AUC: {auc:.4f}   training time: {seconds:.1f} s")
    print(net.memory_report())


if __name__ == "__main__":
    main()
