"""MNIST as a TTree and the CNN through the TMVA-compatible workflow (issue 9, item 4).

What it is: ``mnist_tree`` writes, once, the first training images of MNIST
into ``<cache>/mnist.root`` (tree ``mnist``: a fixed-size array branch
``img[784]/F``, pixels depth-major then rows then columns, and ``label/I``);
``run_tmva_cnn`` books ``HashedDNN`` with ``InputLayout=1|28|28`` and the
benchmark's CNN Layout through ``tmva_hashednet.tmva`` (Factory, DataLoader
with ``AddVariablesArray("img", 784)``, one class per digit cut on ``label``),
trains on a small subset, tests, and evaluates the MNIST test images with the
Reader (batch and single-event responses, which must agree).

What it is not: the quality comparison (quality_cnn.py) or ROOT's own TMVA
(tests/test_tmva_real.py covers the real method).
"""

from __future__ import annotations

import os
import time
from array import array
from pathlib import Path

import numpy as np

from quality_cnn import FIRST_CONV_COMPRESSION, N_CLASSES, N_PIXELS, cnn_layout

__all__ = ["TREE_EVENTS", "mnist_tree", "run_tmva_cnn"]

TREE_EVENTS = 12000  # training images written to the tree (enough for any subset the workflow trains on)


def mnist_tree(data: dict, cache: Path) -> Path:
    """``<cache>/mnist.root`` with the first TREE_EVENTS training images, written if absent."""
    import ROOT

    path = Path(cache) / "mnist.root"
    if path.exists():
        return path
    x, y = data["train"]
    partial = path.with_suffix(".root.part")
    handle = ROOT.TFile(str(partial), "RECREATE")
    tree = ROOT.TTree("mnist", f"MNIST, the first {TREE_EVENTS} training images")
    image = np.zeros(N_PIXELS, dtype=np.float32)
    label = array("i", [0])
    tree.Branch("img", image, f"img[{N_PIXELS}]/F")
    tree.Branch("label", label, "label/I")
    for row, digit in zip(x[:TREE_EVENTS], y[:TREE_EVENTS]):
        image[:] = row
        label[0] = int(digit)
        tree.Fill()
    tree.Write()
    handle.Close()
    os.replace(partial, path)  # a run killed half-way leaves no half-written tree behind
    print(f"[cnn tmva] wrote {path} ({TREE_EVENTS} images, img[{N_PIXELS}] and label)", flush=True)
    return path


def _options(settings) -> str:
    layout = cnn_layout(settings.filters, settings.hidden, "1/16")
    return (f"!H:!V:InputLayout=1|28|28:BatchLayout={settings.batch_size}|1|{N_PIXELS}:Layout={layout}:"
            f"Compression=1/16:HashMode=FRESH:RandomSeed={settings.seeds[0]}:"
            f"TrainingStrategy=LearningRate={settings.learning_rate},BatchSize={settings.batch_size},"
            f"Optimizer=ADAM,ConvergenceSteps={settings.epochs},MaxEpochs={settings.epochs}")  # fmt: skip


def _train(tree_path: Path, settings, per_class: int, folder: Path) -> Path:
    import ROOT

    from tmva_hashednet import TMVA

    data = ROOT.TFile.Open(str(tree_path))
    output = ROOT.TFile.Open(str(folder / "TMVA_MNIST_CNN.root"), "RECREATE")
    factory = TMVA.Factory("TMVA_MNIST_CNN", output, "!V:Silent:!Color:!DrawProgressBar:AnalysisType=Multiclass")
    loader = TMVA.DataLoader("dataset")
    loader.AddVariablesArray("img", N_PIXELS)
    for digit in range(N_CLASSES):
        loader.AddTree(data.Get("mnist"), f"digit{digit}", 1.0, f"label=={digit}")
    counts = ":".join(f"nTrain_digit{d}={per_class}:nTest_digit{d}={per_class}" for d in range(N_CLASSES))
    loader.PrepareTrainingAndTestTree(ROOT.TCut(""), f"{counts}:SplitMode=Random:NormMode=NumEvents:!V")
    factory.BookMethod(loader, "HashedDNN", "HashedCNN", _options(settings))
    factory.TrainAllMethods()
    factory.TestAllMethods()
    factory.EvaluateAllMethods()
    output.Close()
    data.Close()
    return folder / "dataset/weights/TMVA_MNIST_CNN_HashedCNN.weights.xml"


def _reader_error(weights: Path, x: np.ndarray, y: np.ndarray) -> tuple:
    """(test error % of the Reader's batch responses, largest batch - single-event difference)."""
    from tmva_hashednet import TMVA

    reader = TMVA.Reader("!Color:Silent")
    for j in range(N_PIXELS):
        reader.AddVariable(f"img[{j}]", array("f", [0.0]))
    reader.BookMVA("HashedCNN", str(weights))
    batch = np.asarray(reader.evaluate_batch("HashedCNN", x)).reshape(len(x), N_CLASSES)
    single = np.array([reader.EvaluateMulticlass(list(map(float, row)), "HashedCNN") for row in x[:20]])
    error = float(100.0 * np.mean(batch.argmax(axis=1) != y.astype(np.int64)))
    return error, float(np.max(np.abs(single - batch[:20])))


def run_tmva_cnn(data: dict, cache: Path, settings, quick: bool = False) -> dict:
    """Writes the tree (once), trains the FRESH 1/16 CNN on ``per_class`` images of each digit through the
    Factory, and scores the Reader on the MNIST test images."""
    per_class = 30 if quick else 100
    tree_path = mnist_tree(data, cache)
    folder = Path(cache) / "tmva_cnn"
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    cwd = os.getcwd()
    os.chdir(folder)  # the Factory writes dataset/weights/ below the working directory, as TMVA does
    try:
        weights = _train(tree_path, settings, per_class, folder)
    finally:
        os.chdir(cwd)
    x, y = data["test"]
    n_test = 500 if quick else settings.test_events
    error, difference = _reader_error(weights, x[:n_test], y[:n_test])
    seconds = time.perf_counter() - start
    print(f"[cnn tmva] FreshNets 1/16 (first CONV {FIRST_CONV_COMPRESSION}) via Factory/DataLoader/Reader: "
          f"{per_class} training images per digit, Reader test error {error:.2f} % on {n_test} test images, "
          f"batch vs single-event max |diff| {difference:.2e}, {seconds:.0f} s", flush=True)  # fmt: skip
    return {"tree": str(tree_path), "weights": str(weights), "train_per_class": per_class, "test_events": n_test,
            "reader_test_error": error, "batch_vs_single_max_diff": difference, "seconds": seconds}  # fmt: skip
