"""TMVAClassificationApplication with HashedDNN: the Reader on a weight file.

Runs unchanged with ROOT's TMVA and with the PyPI wheel. Evaluates the
events of tmva_class_example.root with the weight file written by
macros/tmva_classification.py and prints the mean response per class.
Usage: python macros/tmva_application.py [--weights dataset/weights/TMVAClassification_HashedDNN.weights.xml]
"""

from __future__ import annotations

import argparse
from array import array

import ROOT

from tmva_hashednet import TMVA, datasets

VARIABLES = ("var1", "var2", "var3", "var4")


def run(weight_file: str, max_events: int = 1000) -> dict:
    reader = TMVA.Reader("!Color:!Silent")
    buffers = {name: array("f", [0.0]) for name in VARIABLES}
    for name in VARIABLES:
        reader.AddVariable(name, buffers[name])
    reader.BookMVA("HashedDNN", weight_file)
    data_file = ROOT.TFile.Open(str(datasets.tutorial_file("tmva_class_example.root")))
    means = {}
    for tree_name in ("TreeS", "TreeB"):
        tree, total = data_file.Get(tree_name), 0.0
        n = min(max_events, tree.GetEntries())
        for i in range(n):
            tree.GetEntry(i)
            for name in VARIABLES:
                buffers[name][0] = getattr(tree, name)
            total += reader.EvaluateMVA("HashedDNN")
        means[tree_name] = total / n
    data_file.Close()
    return means


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="dataset/weights/TMVAClassification_HashedDNN.weights.xml")
    args = parser.parse_args()
    for tree, mean in run(args.weights).items():
        print(f"{tree}: mean HashedDNN response {mean:.4f}")


if __name__ == "__main__":
    main()
