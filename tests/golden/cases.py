"""The golden cases: small training runs with fixed seeds, written once.

What it is: the single definition of every run that ``record.py`` records from
main at 5673110 and that ``tests/test_golden.py`` re-runs and compares bit for
bit. Each case trains through the public Python API and returns the arrays to
compare (final parameters, responses on a fixed held-out sample, loss history).
The data are ROOT's bundled tutorial files; a digest of each case's inputs is
recorded too, so that a changed data file is told apart from changed code.

What it is not: a quality test (few epochs, tiny nets) or a timing test.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

from tmva_hashednet import HashedNetwork, TrainingConfig, datasets

#: The parallel threshold of the CPU backend (kParallelWork in cpp/src/cpu_backend.cpp):
#: a layer pass runs on several threads only from this many multiply-adds on.
PARALLEL_WORK = 1 << 21
N_HELD_OUT = 256  # events of each held-out sample

# ---------------------------------------------------------------------- data


@functools.lru_cache(maxsize=None)
def _data(name: str):
    """(x, y) of one bundled data set, in file order."""
    if name == "higgs":
        return datasets.load_two_class("Higgs_data.root", "sig_tree", "bkg_tree", datasets.HIGGS_VARIABLES)
    if name == "toy":
        return datasets.load_two_class("tmva_class_example.root", "TreeS", "TreeB", datasets.CLASS_EXAMPLE_VARIABLES)
    if name == "multiclass":
        path = datasets.tutorial_file("tmva_multiclass_example.root")
        trees = ("TreeS", "TreeB0", "TreeB1", "TreeB2")
        parts = [datasets.read_tree(path, t, datasets.CLASS_EXAMPLE_VARIABLES) for t in trees]
        y = np.concatenate([np.full(len(p), c, np.float32) for c, p in enumerate(parts)])
        return np.concatenate(parts), y
    if name == "regression":
        data = datasets.read_tree(datasets.tutorial_file("tmva_reg_example.root"), "TreeR", ["var1", "var2", "fvalue"])
        return np.ascontiguousarray(data[:, :2]), np.ascontiguousarray(data[:, 2])
    raise ValueError(f"data set {name!r} is not known; allowed: higgs, toy, multiclass, regression")


def sample(name: str, n_train: int, seed: int = 7):
    """A seeded subset: (x_train, y_train, x_held_out), held-out events disjoint from the training ones."""
    x, y = _data(name)
    order = np.random.default_rng(seed).permutation(len(x))
    train, held_out = order[:n_train], order[n_train:n_train + N_HELD_OUT]
    return (np.ascontiguousarray(x[train]), np.ascontiguousarray(y[train]), np.ascontiguousarray(x[held_out]))


def digest(*arrays) -> str:
    """sha256 of the arrays' bytes (what the run was fed)."""
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


# ---------------------------------------------------------------------- runs


def _fit_case(data, n_train, layout, phases, *, task="classification", n_outputs=None, num_threads=1,
              standardize_targets=False, **network):
    """Builds a network, fits it phase by phase, returns the arrays to compare and the network."""
    x, y, x_held_out = sample(data, n_train)
    if standardize_targets:
        y = ((y - y.mean()) / y.std()).astype(np.float32)
    net = HashedNetwork(x.shape[1], layout, task=task, n_outputs=n_outputs, num_threads=num_threads, **network)
    history = net.fit(x, y, training=phases, verbose=False)
    result = {
        "params": net.params,
        "responses": net.predict(x_held_out),
        "train_loss": np.array([e.train_loss for e in history.epochs], np.float64),
        "validation_loss": np.array([e.validation_loss for e in history.epochs], np.float64),
        "best_epoch": np.array(history.best_epoch, np.int64),
        "inputs": np.array(digest(x, y, x_held_out)),
    }
    return result, net, x_held_out


def higgs_dense_adam():
    return _fit_case("higgs", 4000, "TANH|32,TANH|32,LINEAR", TrainingConfig(max_epochs=3, batch_size=64, seed=3),
                     compression=1.0, seed=3)


def higgs_element_sgd_dropout():
    config = TrainingConfig(optimizer="SGD", learning_rate=1e-2, momentum=0.9, max_epochs=3, batch_size=32,
                            dropout=[0.1, 0.2, 0.0], seed=5)
    return _fit_case("higgs", 4000, "RELU|64,SIGMOID|32,LINEAR", config, compression=1 / 8, seed=5,
                     weight_init="XAVIERUNIFORM")


PARALLEL_LAYOUT, PARALLEL_BATCH = "RELU|256,TANH|256,LINEAR", 128  # of the 2-thread HIGGS case


def higgs_block_two_threads():
    """The middle layer (256 x 256, batch 128) is 2^23 multiply-adds per pass: above
    PARALLEL_WORK, so forward, backward and the bucket reduction run on 2 threads."""
    config = TrainingConfig(max_epochs=2, batch_size=PARALLEL_BATCH, learning_rate=3e-3, seed=9)
    return _fit_case("higgs", 4000, PARALLEL_LAYOUT, config, compression=1 / 8, hash_mode="BLOCK",
                     hash_block=16, num_threads=2, seed=9, hash_seed=12)


def toy_hashed_bias_and_output_two_phases():
    """Two TrainingStrategy phases (Adam, then SGD with weight decay); biases and output layer hashed."""
    phases = [TrainingConfig(max_epochs=3, learning_rate=1e-2, batch_size=64, seed=21),
              TrainingConfig(optimizer="SGD", learning_rate=3e-3, momentum=0.5, weight_decay=1e-4, max_epochs=2,
                             batch_size=128, dropout=[0.0, 0.1], seed=22)]
    return _fit_case("toy", 2000, "TANH|64,SYMMRELU|32|1/4,LINEAR", phases, compression=1 / 8, hashed_bias=True,
                     hash_output_layer=True, seed=21)


def multiclass_element_two_threads():
    config = TrainingConfig(max_epochs=3, learning_rate=3e-3, batch_size=64, seed=31)
    return _fit_case("multiclass", 2000, "TANH|32,SOFTSIGN|32,LINEAR", config, task="multiclass", n_outputs=4,
                     compression=1 / 8, num_threads=2, seed=31)


def regression_block_sgd():
    config = TrainingConfig(optimizer="SGD", learning_rate=3e-3, momentum=0.9, max_epochs=3, batch_size=32, seed=41)
    return _fit_case("regression", 2000, "GAUSS|32,TANH|32,LINEAR", config, task="regression", compression=1 / 8,
                     hash_mode="BLOCK", hash_block=16, standardize_targets=True, seed=41)


def toy_partial_fit():
    """Streaming: partial_fit over four chunks, twice, continuing the Adam state."""
    x, y, x_held_out = sample("toy", 2000)
    net = HashedNetwork(4, "TANH|32,TANH|32,LINEAR", compression=1 / 8, seed=51, num_threads=1)
    net.standardize_inputs(x[:500])
    config = TrainingConfig(learning_rate=3e-3, batch_size=64, seed=51)
    chunks = [slice(i, i + 500) for i in range(0, 2000, 500)] * 2
    losses = [net.partial_fit(x[c], y[c], training=config) for c in chunks]
    result = {"params": net.params, "responses": net.predict(x_held_out),
              "train_loss": np.array(losses, np.float64), "inputs": np.array(digest(x, y, x_held_out))}
    return result, net, x_held_out


TMVA_VARIABLES = datasets.CLASS_EXAMPLE_VARIABLES
TMVA_WEIGHTS = "dataset/weights/TMVAGolden_HashedDNN.weights.xml"
TMVA_OPTIONS = ("!H:!V:VarTransform=N:ErrorStrategy=CROSSENTROPY:WeightInitialization=XAVIER:"
                "Layout=TANH|32,TANH|32,LINEAR:Compression=1/8:"
                "TrainingStrategy=LearningRate=1e-2,BatchSize=64,ConvergenceSteps=5,MaxEpochs=3:"
                "Architecture=CPU:NumThreads=1:RandomSeed=61")


def tmva_workflow():
    """The TMVA-compatible workflow (Factory, DataLoader, BookMethod) on the toy data,
    500 training events per class: the weight file's network text and TestTree's responses.
    Returns (arrays to compare, the weight file's text, TestTree's columns)."""
    with tempfile.TemporaryDirectory() as scratch:
        cwd = os.getcwd()
        os.chdir(scratch)
        try:
            _train_tmva_job()
            test_tree = test_tree_columns(Path(scratch) / "TMVA.root")
            weight_xml = (Path(scratch) / TMVA_WEIGHTS).read_text()
        finally:
            os.chdir(cwd)
    result = {"network_text": np.array(network_text_of(weight_xml)), "responses": test_tree["HashedDNN"],
              "inputs": np.array(digest(*(test_tree[v] for v in TMVA_VARIABLES)))}
    return result, weight_xml, test_tree


def _train_tmva_job() -> None:
    """TMVAClassification in the current folder, as macros/tmva_classification.py writes it (smaller)."""
    import ROOT

    from tmva_hashednet.tmva import compat_namespace

    TMVA = compat_namespace()
    data_file = ROOT.TFile.Open(str(datasets.tutorial_file("tmva_class_example.root")))
    output = ROOT.TFile.Open("TMVA.root", "RECREATE")
    factory = TMVA.Factory("TMVAGolden", output, "!V:Silent:!DrawProgressBar:AnalysisType=Classification")
    loader = TMVA.DataLoader("dataset")
    for name in TMVA_VARIABLES:
        loader.AddVariable(name, "F")
    loader.AddSignalTree(data_file.Get("TreeS"), 1.0)
    loader.AddBackgroundTree(data_file.Get("TreeB"), 1.0)
    loader.PrepareTrainingAndTestTree(ROOT.TCut(""), ROOT.TCut(""), "nTrain_Signal=500:nTrain_Background=500:"
                                      "nTest_Signal=300:nTest_Background=300:SplitMode=Random:SplitSeed=100:"
                                      "NormMode=NumEvents:!V")  # fmt: skip
    factory.BookMethod(loader, "HashedDNN", "HashedDNN", TMVA_OPTIONS)
    factory.TrainAllMethods()
    factory.TestAllMethods()
    factory.EvaluateAllMethods()
    output.Close()
    data_file.Close()


def network_text_of(weight_xml: str) -> str:
    from tmva_hashednet.tmva.weights_xml import read_weight_file

    with tempfile.NamedTemporaryFile("w", suffix=".weights.xml", delete=False) as handle:
        handle.write(weight_xml)
    try:
        return read_weight_file(handle.name).network_text
    finally:
        os.unlink(handle.name)


def test_tree_columns(path) -> dict:
    """TestTree's responses and input variables of a TMVA output file."""
    import ROOT

    handle = ROOT.TFile.Open(str(path))
    columns = ROOT.RDataFrame(handle.Get("dataset/TestTree")).AsNumpy(["HashedDNN"] + list(TMVA_VARIABLES))
    handle.Close()
    return {k: np.ascontiguousarray(v) for k, v in columns.items()}


#: case name -> run; each run returns (arrays to compare, network, held-out inputs)
CASES = {
    "higgs-dense-adam": higgs_dense_adam,
    "higgs-element-eighth-sgd-dropout": higgs_element_sgd_dropout,
    "higgs-block16-eighth-threads2-parallel": higgs_block_two_threads,
    "toy-hashed-bias-output-two-phases": toy_hashed_bias_and_output_two_phases,
    "multiclass-element-eighth-threads2": multiclass_element_two_threads,
    "regression-block16-eighth-sgd": regression_block_sgd,
    "toy-partial-fit": toy_partial_fit,
}

#: case -> file name of its network saved in weight format 1
FORMAT1_FILES = {
    "higgs-dense-adam": "higgs_dense.hashednet",
    "higgs-block16-eighth-threads2-parallel": "higgs_block16.hashednet",
    "toy-hashed-bias-output-two-phases": "toy_hashed_bias_output.hashednet",
    "multiclass-element-eighth-threads2": "multiclass_element.hashednet",
    "regression-block16-eighth-sgd": "regression_block16.hashednet",
}
TMVA_FILE = "TMVAGolden_HashedDNN.weights.xml"


# ---------------------------------------------------------------------- the CPU kernel identity


def blas_identity() -> str:
    """What decides sgemm's summation order here: the core's BLAS, its version and
    the kernel OpenBLAS picked for this CPU (e.g. 'scipy-openblas32 0.3.34.481.3 Haswell')."""
    from tmva_hashednet._core import core

    name = str(core().blas_name())
    corename, config = _openblas_core(name)
    version = config.split()[1] if config.startswith("OpenBLAS ") else config
    return f"{name} {version} {corename}"


def _openblas_core(name: str):
    if name == "scipy-openblas32":
        import scipy_openblas32

        library = ctypes.CDLL(str(Path(scipy_openblas32.get_lib_dir()) / f"lib{scipy_openblas32.get_library()}.so"))
        prefix = "scipy_"
    else:
        library, prefix = ctypes.CDLL(None), ""
    try:
        get_corename = getattr(library, f"{prefix}openblas_get_corename")
        get_config = getattr(library, f"{prefix}openblas_get_config")
    except AttributeError:
        return "unknown-core", "unknown-version"
    get_corename.restype = get_config.restype = ctypes.c_char_p
    return get_corename().decode(), get_config().decode()


def identity_file_stem(identity: str) -> str:
    """The recording's file name (without .npz) for a BLAS identity."""
    return "".join(c if c.isalnum() or c in ".-" else "_" for c in identity)


def reader_responses(weight_file, inputs) -> np.ndarray:
    """Responses of a TMVA weight file through the compatible Reader (one batch, one thread)."""
    from array import array

    from tmva_hashednet.tmva import compat_namespace

    reader = compat_namespace().Reader("!Color:Silent")
    for name in TMVA_VARIABLES:
        reader.AddVariable(name, array("f", [0.0]))
    reader.BookMVA("HashedDNN", str(weight_file))
    return np.asarray(reader.evaluate_batch("HashedDNN", inputs))
