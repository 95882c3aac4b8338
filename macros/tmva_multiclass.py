"""TMVAMulticlass with HashedDNN (four classes of tmva_multiclass_example.root).

Runs unchanged with ROOT's TMVA and with the PyPI wheel.
Usage: python macros/tmva_multiclass.py [--output TMVAMulticlass.root] [--epochs N]
"""

from __future__ import annotations

import argparse

import ROOT

from tmva_hashednet import TMVA, datasets
from tmva_hashednet.files import atomic_root_file

CLASSES = {"Signal": "TreeS", "bg0": "TreeB0", "bg1": "TreeB1", "bg2": "TreeB2"}


def run(output_name: str, epochs: int, n_train: int, job: str = "TMVAMulticlass") -> list:
    TMVA.Tools.Instance()
    data_file = ROOT.TFile.Open(str(datasets.tutorial_file("tmva_multiclass_example.root")))
    with atomic_root_file(output_name) as output:
        factory = TMVA.Factory(job, output, "!V:!Silent:Color:DrawProgressBar:Transformations=I:"
                                            "AnalysisType=Multiclass")
        loader = TMVA.DataLoader("dataset")
        for name in ("var1", "var2", "var3", "var4"):
            loader.AddVariable(name, "F")
        for class_name, tree_name in CLASSES.items():
            loader.AddTree(data_file.Get(tree_name), class_name, 1.0)
        counts = ":".join(f"nTrain_{c}={n_train}:nTest_{c}={n_train}" for c in CLASSES)
        loader.PrepareTrainingAndTestTree(ROOT.TCut(""), f"{counts}:SplitMode=Random:NormMode=NumEvents:!V")
        factory.BookMethod(loader, "HashedDNN", "HashedDNN",
                           "!H:!V:VarTransform=N:ErrorStrategy=MUTUALEXCLUSIVE:Layout=TANH|32,TANH|32,LINEAR:"
                           f"Compression=1/4:TrainingStrategy=LearningRate=1e-2,BatchSize=64,MaxEpochs={epochs}")
        factory.TrainAllMethods()
        factory.TestAllMethods()
        factory.EvaluateAllMethods()
        aucs = [factory.GetROCIntegral(loader, "HashedDNN", k) for k in range(len(CLASSES))]
    data_file.Close()
    return aucs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="TMVAMulticlass.root")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--ntrain", type=int, default=1000)
    args = parser.parse_args()
    print("ROC integrals (1 vs rest):", run(args.output, args.epochs, args.ntrain))


if __name__ == "__main__":
    main()
