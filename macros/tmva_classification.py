"""TMVAClassification with HashedDNN, as a TMVA user writes it.

Runs unchanged with ROOT's real TMVA (HashedDNN registered by the C++
method) and with the PyPI wheel (the compatible workflow of tmva_hashednet).
Writes TMVA.root (atomically) and dataset/weights/TMVAClassification_HashedDNN.weights.xml.

Usage: python macros/tmva_classification.py [--data class|higgs] [--output TMVA.root] [--epochs N]
"""

from __future__ import annotations

import argparse

import ROOT

from tmva_hashednet import TMVA, datasets
from tmva_hashednet.files import atomic_root_file

SAMPLES = {  # file, signal tree, background tree, variables
    "class": ("tmva_class_example.root", "TreeS", "TreeB", ["var1", "var2", "var3", "var4"]),
    "higgs": ("Higgs_data.root", "sig_tree", "bkg_tree", ["m_jj", "m_jjj", "m_lv", "m_jlv", "m_bb", "m_wbb", "m_wwbb"]),
}


def method_options(epochs: int, learning_rate: float = 1e-3) -> str:
    return ("!H:!V:VarTransform=N:ErrorStrategy=CROSSENTROPY:WeightInitialization=XAVIER:"
            "Layout=TANH|64,TANH|64,LINEAR:Compression=1/8:"
            f"TrainingStrategy=LearningRate={learning_rate},BatchSize=128,ConvergenceSteps=5,MaxEpochs={epochs}:"
            "Architecture=CPU:RandomSeed=42")


def run(data: str, output_name: str, epochs: int, n_train: int, job: str = "TMVAClassification",
        learning_rate: float = 1e-3) -> float:
    file_name, signal_name, background_name, variables = SAMPLES[data]
    TMVA.Tools.Instance()
    data_file = ROOT.TFile.Open(str(datasets.tutorial_file(file_name)))
    with atomic_root_file(output_name) as output:
        factory = TMVA.Factory(job, output, "!V:!Silent:Color:DrawProgressBar:Transformations=I:"
                                            "AnalysisType=Classification")
        loader = TMVA.DataLoader("dataset")
        for name in variables:
            loader.AddVariable(name, "F")
        loader.AddSignalTree(data_file.Get(signal_name), 1.0)
        loader.AddBackgroundTree(data_file.Get(background_name), 1.0)
        loader.PrepareTrainingAndTestTree(ROOT.TCut(""), ROOT.TCut(""),
                                          f"nTrain_Signal={n_train}:nTrain_Background={n_train}:"
                                          "SplitMode=Random:NormMode=NumEvents:!V")
        factory.BookMethod(loader, "HashedDNN", "HashedDNN", method_options(epochs, learning_rate))
        factory.TrainAllMethods()
        factory.TestAllMethods()
        factory.EvaluateAllMethods()
        auc = factory.GetROCIntegral(loader, "HashedDNN")
    data_file.Close()
    print(f"ROC integral: {auc:.4f}")
    return auc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=sorted(SAMPLES), default="class")
    parser.add_argument("--output", default="TMVA.root")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--ntrain", type=int, default=2000, help="training events per class")
    args = parser.parse_args()
    run(args.data, args.output, args.epochs, args.ntrain)


if __name__ == "__main__":
    main()
