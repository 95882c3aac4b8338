"""Shared pieces of the RDataFrame tests (test_rdf.py, test_rdf_distributed.py):
a trained weight file, small TTrees with an event id. Not a test module."""

from __future__ import annotations

import numpy as np
import pytest
from tmva_helpers import macro

VARS = ["var1", "var2", "var3", "var4"]
WEIGHTS = "dataset/weights/TMVAClassification_HashedDNN.weights.xml"


def train_weights(folder):
    """The compatible Factory's weight file (VarTransform=N) of a briefly trained classifier, in `folder`."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        macro("tmva_classification", compat=True).run("class", "TMVA.root", 2, 400, learning_rate=1e-2)
    return folder / WEIGHTS


def write_tree(path, n_events: int, first_id: int = 0) -> None:
    """A TTree "events" of var1..var4 (float) and an id, in clusters of 200 events (so IMT splits it)."""
    import ROOT

    options = ROOT.RDF.RSnapshotOptions()
    options.fAutoFlush = 200
    df = ROOT.RDataFrame(n_events).Define("id", f"int(rdfentry_) + {first_id}")
    for k, name in enumerate(VARS):
        df = df.Define(name, f"float(2.0 * sin(0.37 * (id + 1) * {k + 1}) + 0.1 * {k})")
    df.Snapshot("events", str(path), ["id", *VARS], options)


def by_id(columns: dict) -> dict:
    """AsNumpy's columns in the order of the id column (IMT and distributed runs do not keep entry order)."""
    order = np.argsort(columns["id"])
    return {k: np.asarray(v)[order] for k, v in columns.items()}


TRANSFORMED_OPTIONS = ("!H:!V:Layout=TANH|16,LINEAR:TrainingStrategy=LearningRate=1e-2,BatchSize=64,MaxEpochs=2:"
                       "RandomSeed=1")  # fmt: skip


def train_transformed_weights(folder, transform: str):
    """The compatible Factory's weight file of a briefly trained classifier of var1..var4 with
    VarTransform=`transform` (D, G, N,D ...), in `folder`."""
    import ROOT

    from tmva_hashednet import datasets
    from tmva_hashednet.tmva import compat_namespace

    tmva = compat_namespace()
    data = ROOT.TFile.Open(str(datasets.tutorial_file("tmva_class_example.root")))
    output = ROOT.TFile.Open(str(folder / "TMVA.root"), "RECREATE")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        factory = tmva.Factory("TMVAClassification", output, "!V:Silent:!Color:!DrawProgressBar:Transformations=I")
        loader = tmva.DataLoader("dataset")
        for name in VARS:
            loader.AddVariable(name, "F")
        loader.AddSignalTree(data.Get("TreeS"))
        loader.AddBackgroundTree(data.Get("TreeB"))
        loader.PrepareTrainingAndTestTree("", "", "nTrain_Signal=600:nTrain_Background=600:nTest_Signal=200:"
                                                  "nTest_Background=200:SplitMode=Random:!V")  # fmt: skip
        factory.BookMethod(loader, "HashedDNN", "HashedDNN", f"VarTransform={transform}:{TRANSFORMED_OPTIONS}")
        factory.TrainAllMethods()
    output.Close()
    data.Close()
    return folder / WEIGHTS
