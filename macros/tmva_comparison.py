"""HashedDNN against dense networks, at equal virtual and at equal real size.

On ROOT's HIGGS sample this books, with one Factory:
  HashedDNN        the hashed network (Layout at Compression)
  DenseVirtual     the same Layout dense (Compression=1): the network HashedDNN pretends to be
  DenseReal        a dense network whose hidden width gives about HashedDNN's real parameters
and, where ROOT has TMVA, also TMVA's MLP with the virtual layout (tanh neurons).
Prints parameters, bytes and ROC integral per method and writes
TMVA_Comparison.root. The same script runs on the PyPI wheel (compatible
workflow: HashedDNN variants only) and with the real TMVA.

Usage: python macros/tmva_comparison.py [--width 128] [--depth 3] [--compression 1/8] [--epochs 20]
"""

from __future__ import annotations

import argparse
from fractions import Fraction

import ROOT

from tmva_hashednet import TMVA, datasets
from tmva_hashednet.files import atomic_root_file
from tmva_hashednet.tmva import _real_tmva

VARIABLES = ["m_jj", "m_jjj", "m_lv", "m_jlv", "m_bb", "m_wbb", "m_wwbb"]


def dense_parameters(n_in: int, width: int, depth: int) -> int:
    """Weights and biases of n_in -> width x depth -> 1."""
    return (n_in + 1) * width + (depth - 1) * (width + 1) * width + width + 1


def hashed_parameters(n_in: int, width: int, depth: int, compression: float) -> int:
    """HashedDNN's real parameters: hashed hidden weights, dense biases and output layer."""
    hidden = max(1, round(compression * n_in * width)) + (depth - 1) * max(1, round(compression * width * width))
    return hidden + depth * width + width + 1


def equal_real_width(n_in: int, depth: int, target: int) -> int:
    """The hidden width whose dense network has about `target` parameters."""
    return min(range(1, 4096), key=lambda w: abs(dense_parameters(n_in, w, depth) - target))


def hashed_options(layout: str, compression: str, epochs: int) -> str:
    return (f"!H:!V:VarTransform=N:ErrorStrategy=CROSSENTROPY:Layout={layout}:Compression={compression}:"
            f"TrainingStrategy=LearningRate=1e-3,BatchSize=128,ConvergenceSteps=10,MaxEpochs={epochs}:RandomSeed=1")


def book(factory, loader, args) -> dict:
    """Books every method; returns {title: real parameters}."""
    n_in, width, depth = len(VARIABLES), args.width, args.depth
    compression = float(Fraction(args.compression))
    layout = ",".join([f"RELU|{width}"] * depth + ["LINEAR"])
    small = equal_real_width(n_in, depth, hashed_parameters(n_in, width, depth, compression))
    small_layout = ",".join([f"RELU|{small}"] * depth + ["LINEAR"])
    booked = {
        "HashedDNN": (hashed_options(layout, args.compression, args.epochs), hashed_parameters(n_in, width, depth, compression)),
        "DenseVirtual": (hashed_options(layout, "1", args.epochs), dense_parameters(n_in, width, depth)),
        "DenseReal": (hashed_options(small_layout, "1", args.epochs), dense_parameters(n_in, small, depth)),
    }  # fmt: skip
    for title, (options, _) in booked.items():
        factory.BookMethod(loader, "HashedDNN", title, options)
    parameters = {title: n for title, (_, n) in booked.items()}
    if _real_tmva() is not None:
        # TMVA's own MLP at the virtual layout, with TMVA's usual settings (tanh, as in TMVAClassification.C):
        # its ReLU neurons diverge to NaN responses (ROC 1.0) in TMVA 4.2.1 at these sizes.
        hidden = ",".join([str(width)] * depth)
        factory.BookMethod(loader, "MLP", "MLP", f"!H:!V:NeuronType=tanh:VarTransform=N:NCycles={args.epochs * 10}:"
                                                 f"HiddenLayers={hidden}:TestRate=5:!UseRegulator")  # fmt: skip
        parameters["MLP"] = dense_parameters(n_in, width, depth)
    return parameters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--compression", default="1/8")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--ntrain", type=int, default=5000, help="training events per class")
    args = parser.parse_args()

    TMVA.Tools.Instance()
    data = ROOT.TFile.Open(str(datasets.tutorial_file("Higgs_data.root")))
    with atomic_root_file("TMVA_Comparison.root") as output:
        factory = TMVA.Factory("TMVA_Comparison", output, "!V:!Silent:AnalysisType=Classification")
        loader = TMVA.DataLoader("dataset")
        for name in VARIABLES:
            loader.AddVariable(name, "F")
        loader.AddSignalTree(data.Get("sig_tree"), 1.0)
        loader.AddBackgroundTree(data.Get("bkg_tree"), 1.0)
        loader.PrepareTrainingAndTestTree(ROOT.TCut(""), ROOT.TCut(""),
                                          f"nTrain_Signal={args.ntrain}:nTrain_Background={args.ntrain}:"
                                          "SplitMode=Random:NormMode=NumEvents:!V")  # fmt: skip
        parameters = book(factory, loader, args)
        factory.TrainAllMethods()
        factory.TestAllMethods()
        factory.EvaluateAllMethods()
        rows = [(title, n, float(factory.GetROCIntegral(loader, title))) for title, n in parameters.items()]
    data.Close()
    print(f"\n{'method':<14} {'real params':>12} {'bytes':>10} {'ROC integral':>13}")
    for title, n, auc in rows:
        print(f"{title:<14} {n:>12} {4 * n:>10} {auc:>13.4f}")
    print(f"(virtual size of HashedDNN and DenseVirtual: {dense_parameters(len(VARIABLES), args.width, args.depth)}; "
          f"compression {args.compression}; {args.depth} hidden layers of {args.width})")


if __name__ == "__main__":
    main()
