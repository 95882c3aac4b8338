"""TMVARegression with HashedDNN (tmva_reg_example.root: var1, var2 -> fvalue).

Runs unchanged with ROOT's TMVA and with the PyPI wheel.
Usage: python macros/tmva_regression.py [--output TMVAReg.root] [--epochs N]
"""

from __future__ import annotations

import argparse

import ROOT

from tmva_hashednet import TMVA, datasets
from tmva_hashednet.files import atomic_root_file


def run(output_name: str, epochs: int, n_train: int, job: str = "TMVARegression") -> None:
    TMVA.Tools.Instance()
    data_file = ROOT.TFile.Open(str(datasets.tutorial_file("tmva_reg_example.root")))
    with atomic_root_file(output_name) as output:
        factory = TMVA.Factory(job, output, "!V:!Silent:Color:DrawProgressBar:AnalysisType=Regression")
        loader = TMVA.DataLoader("dataset")
        loader.AddVariable("var1", "Variable 1", "units", "F")
        loader.AddVariable("var2", "Variable 2", "units", "F")
        loader.AddTarget("fvalue")
        loader.AddRegressionTree(data_file.Get("TreeR"), 1.0)
        loader.PrepareTrainingAndTestTree(ROOT.TCut(""), f"nTrain_Regression={n_train}:nTest_Regression={n_train}:"
                                                         "SplitMode=Random:NormMode=NumEvents:!V")
        factory.BookMethod(loader, "HashedDNN", "HashedDNN",
                           "!H:!V:VarTransform=N:ErrorStrategy=SUMOFSQUARES:Layout=TANH|32,TANH|32,LINEAR:"
                           f"Compression=1/2:TrainingStrategy=LearningRate=1e-2,BatchSize=32,MaxEpochs={epochs}")
        factory.TrainAllMethods()
        factory.TestAllMethods()
        factory.EvaluateAllMethods()
    data_file.Close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="TMVAReg.root")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--ntrain", type=int, default=2000)
    args = parser.parse_args()
    run(args.output, args.epochs, args.ntrain)


if __name__ == "__main__":
    main()
