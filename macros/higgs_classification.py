"""The main job: TMVA-style classification of ROOT's bundled HIGGS data with HashedDNN.

Runs the TMVA workflow (Factory, DataLoader, BookMethod, Train/Test/Evaluate)
with the real TMVA where ROOT has it and with tmva_hashednet's compatible
workflow otherwise, then writes into the output folder:

    TMVA_Higgs.root                                   TMVA's output-file layout (TMVAGui opens it)
    dataset/weights/TMVA_Higgs_HashedDNN.weights.xml  the weight file (TMVA::Reader reads it)
    plots/roc.png, overtrain_HashedDNN.png, history_HashedDNN.png

and prints a summary: ROC integral, compression and model bytes.

Usage: python macros/higgs_classification.py [--output output] [--epochs N] [--compression 1/8] [--var-transform N]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import ROOT

from tmva_hashednet import TMVA, HashedNetwork, datasets, plotting
from tmva_hashednet.files import atomic_root_file
from tmva_hashednet.tmva.weights_xml import read_weight_file

JOB = "TMVA_Higgs"
TITLE = "HashedDNN"
# The seven high-level variables of ROOT's TMVA_Higgs_Classification tutorial.
VARIABLES = ["m_jj", "m_jjj", "m_lv", "m_jlv", "m_bb", "m_wbb", "m_wwbb"]


# What a user can judge the ROC integral by: the same 7 variables and split
# (7000 training events per class, SplitSeed=42) with scikit-learn's
# HistGradientBoostingClassifier, as measured for issue 12 (not recomputed
# here: scikit-learn is no dependency of this package).
REFERENCE = (0.769, "gradient boosting (scikit-learn HistGradientBoosting), issue 12")


def method_options(args) -> str:
    transform = [f"VarTransform={args.var_transform}"] if args.var_transform else []
    return ":".join([
        "!H", "!V", *transform, "ErrorStrategy=CROSSENTROPY", "WeightInitialization=XAVIER",
        f"Layout={args.layout}", f"Compression={args.compression}",
        f"TrainingStrategy=LearningRate={args.learning_rate},Momentum=0.9,BatchSize=128,ConvergenceSteps=10,"
        f"MaxEpochs={args.epochs},Optimizer=ADAM,DropConfig={args.dropout}",
        "Architecture=CPU", f"RandomSeed={args.seed}",
    ])  # fmt: skip


def train_and_evaluate(args) -> float:
    TMVA.Tools.Instance()
    data = ROOT.TFile.Open(str(datasets.tutorial_file("Higgs_data.root")))
    with atomic_root_file(f"{JOB}.root") as output:
        factory = TMVA.Factory(JOB, output, "!V:!Silent:Color:DrawProgressBar:AnalysisType=Classification")
        loader = TMVA.DataLoader("dataset")
        for name in VARIABLES:
            loader.AddVariable(name, "F")
        loader.AddSignalTree(data.Get("sig_tree"), 1.0)
        loader.AddBackgroundTree(data.Get("bkg_tree"), 1.0)
        loader.PrepareTrainingAndTestTree(
            ROOT.TCut(""), ROOT.TCut(""),
            f"nTrain_Signal={args.ntrain}:nTrain_Background={args.ntrain}:SplitMode=Random:SplitSeed={args.seed}:"
            "NormMode=NumEvents:!V",
        )  # fmt: skip
        factory.BookMethod(loader, TITLE, TITLE, method_options(args))
        factory.TrainAllMethods()
        factory.TestAllMethods()
        factory.EvaluateAllMethods()
        auc = float(factory.GetROCIntegral(loader, TITLE))
    data.Close()
    return auc


def summary(auc: float, seconds: float, plots) -> str:
    weight_path = Path("dataset/weights") / f"{JOB}_{TITLE}.weights.xml"
    network = HashedNetwork.from_text(read_weight_file(weight_path).network_text)
    report = network.memory_report()
    lines = [
        "",
        f"HashedDNN on HIGGS ({len(VARIABLES)} variables), {seconds:.0f} s",
        f"  ROC integral (test sample):  {auc:.4f}   (reference: {REFERENCE[0]:.3f}, {REFERENCE[1]})",
        f"  network:                     {network!r}",
        f"  compression (real/virtual):  {report.compression:.4f}  ({report.real_params} real parameters for "
        f"{report.virtual_weights} virtual weights)",
        f"  model bytes:                 {report.bytes}  (dense would need {report.dense_bytes})",
        f"  output file:                 {os.path.abspath(JOB + '.root')}",
        f"  weight file:                 {weight_path.resolve()}  ({weight_path.stat().st_size} bytes)",
        f"  plots:                       {', '.join(str(p) for p in plots)}",
        "",
        str(report),
    ]
    return "\n".join(lines)


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="output", help="folder for the output file, weights and plots")
    # Defaults from benchmarks/README.md ("Quality", HIGGS): hashed nets want
    # dropout on the hidden layers and a larger Adam step than dense ones.
    # Issue 12: MaxEpochs=60 stopped while the validation loss still fell
    # (ROC 0.749); up to 300 epochs with early stopping (ConvergenceSteps=10)
    # converge near epoch 90, and standardised inputs (no VarTransform: the
    # network standardises them itself) beat VarTransform=N (0.765 vs 0.757).
    parser.add_argument("--layout", default="TANH|256,TANH|256,TANH|256,LINEAR")
    parser.add_argument("--compression", default="1/8", help="real/virtual weights of the hidden layers")
    parser.add_argument("--epochs", type=int, default=300, help="MaxEpochs; early stopping usually ends sooner")
    parser.add_argument("--var-transform", default="",
                        help="TMVA VarTransform, e.g. N; empty: the network standardises its inputs")
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--dropout", default="0.0+0.2+0.2+0.2", help="DropConfig: drop probability per layer input")
    parser.add_argument("--ntrain", type=int, default=7000, help="training events per class (of 10000)")
    parser.add_argument("--seed", type=int, default=42)
    return parser


def main() -> None:
    args = argument_parser().parse_args()

    os.makedirs(args.output, exist_ok=True)
    os.chdir(args.output)  # TMVA writes dataset/weights/ under the working directory
    start = time.perf_counter()
    auc = train_and_evaluate(args)
    plots = plotting.save_standard_plots(f"{JOB}.root", "plots", title=TITLE, kind=TITLE)
    print(summary(auc, time.perf_counter() - start, plots))


if __name__ == "__main__":
    main()
