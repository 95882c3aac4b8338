"""HashedDNN inside a real TMVA: Factory, Reader, MakeClass, bad options, cross-reading.

Runs only where a TMVA exists: the prefix in TMVA_HASHEDNET_TMVA_PREFIX (include/TMVA,
lib/libTMVA.so, e.g. TMVA 4.2.1 built outside ROOT) or ROOT's own libTMVA; otherwise
every test is skipped with the reason "ROOT has no TMVA". The method library
libTMVAHashedDNN.so is taken from the core's prefix (TMVA_HASHEDNET_PREFIX/lib).

Every TMVA job runs in its own Python process: TMVA's FATAL ends the process, and a
Reader "in a fresh process after loading the library" is one of the things checked.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from image_helpers import PIXEL_BRANCHES, PIXEL_VARIABLES, write_image_trees

from tmva_hashednet._core import library_path
from tmva_hashednet.tmva import locate_tmva

CXX = shutil.which("g++") or shutil.which("c++")


TMVA = locate_tmva()  # the package's own switch: tests and users see the same TMVA
METHOD_LIB = library_path().parent / "libTMVAHashedDNN.so"
DATA = None
if importlib.util.find_spec("ROOT") is not None:
    DATA = Path(importlib.util.find_spec("ROOT").submodule_search_locations[0]) / "tutorials/machine_learning/data"

pytestmark = [
    pytest.mark.tmva,
    pytest.mark.skipif(TMVA is None, reason="ROOT has no TMVA"),
    pytest.mark.skipif(TMVA is not None and not METHOD_LIB.exists(),
                       reason=f"{METHOD_LIB} was not built (configure CMake with a TMVA)"),  # fmt: skip
]

PRELUDE = """
import array, json, os, sys
import ROOT
ROOT.gROOT.SetBatch(True)
TMVA_LIB, TMVA_INC, METHOD_LIB, DATA = {tmva_lib!r}, {tmva_inc!r}, {method_lib!r}, {data!r}
if TMVA_INC:
    ROOT.gInterpreter.AddIncludePath(TMVA_INC)
assert ROOT.gSystem.Load(TMVA_LIB) >= 0, "cannot load " + TMVA_LIB
assert ROOT.gSystem.Load(METHOD_LIB) >= 0, "cannot load " + METHOD_LIB
TMVA = ROOT.TMVA
"""

# One Factory job: arguments are a JSON dict (data file, trees, variables, options).
FACTORY_JOB = """
job = json.loads(sys.argv[1])
fin = ROOT.TFile.Open(os.path.join(DATA, job["file"]))
out = ROOT.TFile.Open("TMVA.root", "RECREATE")
silent = "Silent" if job.get("silent", True) else "!Silent"
factory = TMVA.Factory(job["name"], out, "!V:" + silent + ":!Color:!DrawProgressBar:AnalysisType=" + job["analysis"])
loader = TMVA.DataLoader("dataset")
for v in job["variables"]:
    loader.AddVariable(v, "F")
for t in job.get("targets", []):
    loader.AddTarget(t)
trees = [fin.Get(name) for name, _ in job["trees"]]
for tree, (_, cls) in zip(trees, job["trees"]):
    if cls == "Regression":
        loader.AddRegressionTree(tree, 1.0)
    else:
        loader.AddTree(tree, cls, 1.0)
loader.PrepareTrainingAndTestTree(ROOT.TCut(""), job["split"])
method = factory.BookMethod(loader, "HashedDNN", "HashedDNN", job["options"])
print("BOOKED", method.GetMethodTypeName(), method.GetMethodName())
factory.TrainAllMethods()
factory.TestAllMethods()
factory.EvaluateAllMethods()
roc = factory.GetROCIntegral(loader, "HashedDNN") if job["analysis"] == "Classification" else None
out.Close()
print("RESULT " + json.dumps({"roc": roc}))
"""

# A Reader in a fresh process: evaluates the TestTree events, prints responses as JSON. The
# TestTree branch of a variable is its name unless job["leaves"] says otherwise (img[0]: img_0_).
READER_JOB = """
job = json.loads(sys.argv[1])
f = ROOT.TFile.Open(job["output"])
tree = f.Get("dataset/TestTree")
reader = TMVA.Reader("!Color:Silent")
buffers = {v: array.array("f", [0.0]) for v in job["variables"]}
for v in job["variables"]:
    reader.AddVariable(v, buffers[v])
reader.BookMVA("HashedDNN", job["weights"])
got, stored = [], []
branch = tree.GetBranch("HashedDNN")
leaves = [branch.GetListOfLeaves().At(i) for i in range(branch.GetListOfLeaves().GetEntries())]
inputs = [(buffers[v], tree.GetLeaf(name)) for v, name in zip(job["variables"], job.get("leaves", job["variables"]))]
for i in range(min(tree.GetEntries(), job["n"])):
    tree.GetEntry(i)
    for buffer, leaf in inputs:
        buffer[0] = leaf.GetValue()
    if job["analysis"] == "Classification":
        got.append([reader.EvaluateMVA("HashedDNN")])
    elif job["analysis"] == "Multiclass":
        got.append(list(reader.EvaluateMulticlass("HashedDNN")))
    else:
        got.append(list(reader.EvaluateRegression("HashedDNN")))
    stored.append([leaf.GetValue() for leaf in leaves])
print("RESULT " + json.dumps({"got": got, "stored": stored}))
"""

CLASS_DRIVER = r"""
#include "TMVAClassification_HashedDNN.class.C"
#include <cstdio>
#include <fstream>
int main(int, char **argv)
{
   std::vector<std::string> names = {%(names)s};
   ReadHashedDNN mva(names);
   if (!mva.IsStatusClean()) return 2;
   std::ifstream in(argv[1]);
   std::vector<double> x(names.size());
   while (true) {
      for (auto &v : x) in >> v;
      if (!in) break;
      std::printf("%%.9g\n", mva.GetMvaValue(x));
   }
   return 0;
}
"""

CLASS_EXAMPLE = {
    "name": "TMVAClassification",
    "file": "tmva_class_example.root",
    "analysis": "Classification",
    "trees": [["TreeS", "Signal"], ["TreeB", "Background"]],
    "variables": ["var1", "var2", "var3", "var4"],
    "split": "nTrain_Signal=1000:nTrain_Background=1000:nTest_Signal=1000:nTest_Background=1000:"
    "SplitMode=Random:NormMode=NumEvents:!V",
    "options": "!H:!V:VarTransform=N:Layout=TANH|32,TANH|32,LINEAR:Compression=1/4:"
    "TrainingStrategy=LearningRate=1e-2,BatchSize=64,MaxEpochs=30,ConvergenceSteps=5:RandomSeed=1",
}


def _script(body: str) -> str:
    lib, inc = TMVA
    return PRELUDE.format(tmva_lib=str(lib), tmva_inc=str(inc) if inc else "", method_lib=str(METHOD_LIB),
                          data=str(DATA)) + body  # fmt: skip


def _run(body: str, arg: dict, cwd: Path, expect_ok: bool = True):
    run = subprocess.run([sys.executable, "-c", _script(body), json.dumps(arg)], cwd=cwd, capture_output=True,
                         text=True, timeout=900)  # fmt: skip
    if expect_ok:
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
        lines = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
        return json.loads(lines[-1][len("RESULT "):]), run
    return None, run


def _train(job: dict, cwd: Path) -> dict:
    result, run = _run(FACTORY_JOB, job, cwd)
    assert "BOOKED HashedDNN HashedDNN" in run.stdout
    return result


def _check_reader(job: dict, cwd: Path, weights: Path, n: int = 400, atol: float = 1e-6):
    arg = {"output": str(cwd / "TMVA.root"), "weights": str(weights), "variables": job["variables"],
           "leaves": job.get("leaves", job["variables"]), "analysis": job["analysis"], "n": n}  # fmt: skip
    result, _ = _run(READER_JOB, arg, cwd)
    got, stored = np.array(result["got"]), np.array(result["stored"])
    assert got.shape == stored.shape and len(got) == n
    np.testing.assert_allclose(got, stored, rtol=1e-6, atol=atol)
    return got


@pytest.fixture(scope="module")
def class_example_run(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("tmva_class_example")
    result = _train(CLASS_EXAMPLE, cwd)
    return cwd, result


def test_classification_layout_and_quality(class_example_run):
    import ROOT

    cwd, result = class_example_run
    assert result["roc"] > 0.9
    weights = cwd / "dataset/weights/TMVAClassification_HashedDNN.weights.xml"
    text = weights.read_text()
    assert '<MethodSetup Method="HashedDNN::HashedDNN">' in text
    assert '<Weights Format="hashednet-1" HashDefinition="xxh32-v1" TransformationsChecksum="' in text
    assert "HASHEDNET 2" in text
    f = ROOT.TFile.Open(str(cwd / "TMVA.root"))
    keys = {k.GetName() for k in f.Get("dataset/Method_HashedDNN/HashedDNN").GetListOfKeys()}
    for key in ("MVA_HashedDNN_S", "MVA_HashedDNN_B", "MVA_HashedDNN_Train_S", "MVA_HashedDNN_Train_B",
                "MVA_HashedDNN_effBvsS", "MVA_HashedDNN_rejBvsS", "MVA_HashedDNN_effS", "MVA_HashedDNN_effB",
                "TrainingHistory_HashedDNN_trainingError", "TrainingHistory_HashedDNN_valError"):  # fmt: skip
        assert key in keys, key
    history = f.Get("dataset/Method_HashedDNN/HashedDNN/TrainingHistory_HashedDNN_valError")
    assert history.GetNbinsX() >= 1 and history.GetBinContent(1) > 0
    f.Close()


def test_classification_reader_in_fresh_process(class_example_run):
    cwd, _ = class_example_run
    got = _check_reader(CLASS_EXAMPLE, cwd, cwd / "dataset/weights/TMVAClassification_HashedDNN.weights.xml")
    assert np.all((got > 0) & (got < 1))


def _test_tree_inputs(output: Path, leaves: list, n: int):
    """The first n TestTree events' inputs (columns `leaves`) and HashedDNN responses."""
    import ROOT

    f = ROOT.TFile.Open(str(output))
    tree = f.Get("dataset/TestTree")
    x, stored = [], []
    for i in range(min(n, tree.GetEntries())):
        tree.GetEntry(i)
        x.append([tree.GetLeaf(v).GetValue() for v in leaves])
        stored.append(tree.GetLeaf("HashedDNN").GetValue())
    f.Close()
    return np.array(x), np.array(stored)


def _makeclass_responses(class_file: Path, variables: list, x: np.ndarray, folder: Path) -> np.ndarray:
    """GetMvaValue of the MakeClass class `class_file`, compiled with g++ alone, for the rows of x."""
    assert "class ReadHashedDNN : public IClassifierReader" in class_file.read_text()
    shutil.copy(class_file, folder)
    names = ", ".join(f'"{v}"' for v in variables)
    (folder / "main.cpp").write_text(CLASS_DRIVER % {"names": names})
    subprocess.run([CXX, "-std=c++17", "-O2", "-o", str(folder / "prog"), str(folder / "main.cpp")], check=True,
                   capture_output=True, text=True)  # fmt: skip
    np.savetxt(folder / "x.txt", x, fmt="%.9g")
    run = subprocess.run([str(folder / "prog"), str(folder / "x.txt")], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    return np.loadtxt(run.stdout.splitlines())


@pytest.mark.skipif(CXX is None, reason="no C++ compiler")
def test_makeclass_compiled_with_gxx_alone(class_example_run, tmp_path):
    cwd, _ = class_example_run
    x, stored = _test_tree_inputs(cwd / "TMVA.root", CLASS_EXAMPLE["variables"], 500)
    got = _makeclass_responses(cwd / "dataset/weights/TMVAClassification_HashedDNN.class.C",
                               CLASS_EXAMPLE["variables"], x, tmp_path)  # fmt: skip
    np.testing.assert_allclose(got, stored, rtol=1e-5, atol=1e-5)


@pytest.mark.slow
def test_higgs_classification(tmp_path):
    # The 28 HIGGS features minus the four "jetN_b-tag": TMVA's TTreeFormula cannot name a
    # branch with '-' in it (the compatible workflow reads branches directly and can).
    variables = ["lepton_pT", "lepton_eta", "lepton_phi", "missing_energy_magnitude", "missing_energy_phi",
                 "jet1_pt", "jet1_eta", "jet1_phi", "jet2_pt", "jet2_eta", "jet2_phi", "jet3_pt", "jet3_eta",
                 "jet3_phi", "jet4_pt", "jet4_eta", "jet4_phi", "m_jj", "m_jjj", "m_lv", "m_jlv", "m_bb", "m_wbb",
                 "m_wwbb"]  # fmt: skip
    job = {
        "name": "TMVA_Higgs", "file": "Higgs_data.root", "analysis": "Classification",
        "trees": [["sig_tree", "Signal"], ["bkg_tree", "Background"]], "variables": variables,
        "split": "nTrain_Signal=7000:nTrain_Background=7000:SplitMode=Random:NormMode=NumEvents:!V",
        "options": "!H:!V:Layout=TANH|128,TANH|128,TANH|128,LINEAR:Compression=1/8:"
        "TrainingStrategy=LearningRate=1e-3,BatchSize=128,MaxEpochs=15,ConvergenceSteps=5:RandomSeed=7",
    }  # fmt: skip
    result = _train(job, tmp_path)
    assert result["roc"] > 0.7
    _check_reader(job, tmp_path, tmp_path / "dataset/weights/TMVA_Higgs_HashedDNN.weights.xml", n=300)


def test_multiclass(tmp_path):
    job = {
        "name": "TMVAMulticlass", "file": "tmva_multiclass_example.root", "analysis": "Multiclass",
        "trees": [["TreeS", "Signal"], ["TreeB0", "bg0"], ["TreeB1", "bg1"], ["TreeB2", "bg2"]],
        "variables": ["var1", "var2", "var3", "var4"],
        "split": "nTrain_Signal=1000:nTrain_bg0=1000:nTrain_bg1=1000:nTrain_bg2=1000:nTest_Signal=500:"
        "nTest_bg0=500:nTest_bg1=500:nTest_bg2=500:SplitMode=Random:NormMode=NumEvents:!V",
        "options": "!H:!V:VarTransform=N:Layout=TANH|32,TANH|32,LINEAR:Compression=1/4:HashedBias:"
        "TrainingStrategy=LearningRate=1e-2,BatchSize=64,MaxEpochs=20:RandomSeed=3",
    }  # fmt: skip
    _train(job, tmp_path)
    got = _check_reader(job, tmp_path, tmp_path / "dataset/weights/TMVAMulticlass_HashedDNN.weights.xml")
    assert got.shape[1] == 4
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-5)


def test_regression(tmp_path):
    job = {
        "name": "TMVARegression", "file": "tmva_reg_example.root", "analysis": "Regression",
        "trees": [["TreeR", "Regression"]], "variables": ["var1", "var2"], "targets": ["fvalue"],
        "split": "nTrain_Regression=2000:nTest_Regression=1000:SplitMode=Random:NormMode=NumEvents:!V",
        "options": "!H:!V:VarTransform=N:Layout=TANH|32,TANH|32,LINEAR:Compression=1/2:"
        "TrainingStrategy=LearningRate=1e-2,BatchSize=64,MaxEpochs=30:RandomSeed=3",
    }  # fmt: skip
    _train(job, tmp_path)
    got = _check_reader(job, tmp_path, tmp_path / "dataset/weights/TMVARegression_HashedDNN.weights.xml", atol=1e-4)
    assert got.shape[1] == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("Layout=TANH|abc,LINEAR", "HashedDNN option error"),
        ("Compression=3", "HashedDNN option error"),
        ("TrainingStrategy=LearningRat=1e-3", "did you mean 'LearningRate'"),
        ("ValidationSize=150%", "ValidationSize='150%'"),
    ],
    ids=["layout", "compression", "strategy-key", "validation-size"],
)
def test_bad_option_is_fatal_with_the_parsers_message(tmp_path, options, message):
    job = dict(CLASS_EXAMPLE, options="!H:!V:" + options)
    _, run = _run(FACTORY_JOB, job, tmp_path, expect_ok=False)
    assert run.returncode != 0
    assert message in run.stdout + run.stderr, (run.stdout + run.stderr)[-3000:]


# ---- cross-reading with the Python workflow (tmva_hashednet.tmva) ----------------------------------

COMPAT_JOB = """
import json, os, sys
import ROOT
from tmva_hashednet.tmva import compat_namespace
TMVA = compat_namespace()
job = json.loads(sys.argv[1])
DATA = job["data"]
fin = ROOT.TFile.Open(os.path.join(DATA, job["file"]))
out = ROOT.TFile.Open("TMVA.root", "RECREATE")
factory = TMVA.Factory(job["name"], out, "!V:Silent:!Color:!DrawProgressBar:AnalysisType=" + job["analysis"])
loader = TMVA.DataLoader("dataset")
for v in job["variables"]:
    loader.AddVariable(v, "F")
for name, cls in job["trees"]:
    loader.AddTree(fin.Get(name), cls, 1.0)
loader.PrepareTrainingAndTestTree(ROOT.TCut(""), job["split"])
factory.BookMethod(loader, "HashedDNN", "HashedDNN", job["options"])
factory.TrainAllMethods()
factory.TestAllMethods()
factory.EvaluateAllMethods()
out.Close()
print("RESULT {}")
"""

# The same Reader job with the compatible workflow's TMVA.
COMPAT_READER_JOB = """
import array, json, sys
import ROOT
from tmva_hashednet.tmva import compat_namespace
TMVA = compat_namespace()
""" + READER_JOB


def _run_plain(body: str, arg: dict, cwd: Path):
    run = subprocess.run([sys.executable, "-c", body, json.dumps(arg)], cwd=cwd, capture_output=True, text=True,
                         timeout=900)  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    return json.loads([line for line in run.stdout.splitlines() if line.startswith("RESULT ")][-1][7:])


TRANSFORMS = ["VarTransform=N", "VarTransform=None", "VarTransform=D", "VarTransform=P", "VarTransform=N,D",
              "VarTransform=G", "VarTransform=U", "VarTransform=G,D", "VarTransform=N,G"]
TRANSFORM_IDS = ["normalize", "none", "decorrelate", "pca", "normalize-decorrelate", "gauss", "uniform",
                 "gauss-decorrelate", "normalize-gauss"]


@pytest.mark.parametrize("transform", TRANSFORMS, ids=TRANSFORM_IDS)
def test_real_reader_reads_compat_weight_file(tmp_path, transform):
    job = dict(CLASS_EXAMPLE, data=str(DATA), options=CLASS_EXAMPLE["options"].replace("VarTransform=N", transform))
    _run_plain(COMPAT_JOB, job, tmp_path)
    weights = tmp_path / "dataset/weights/TMVAClassification_HashedDNN.weights.xml"
    assert weights.exists()
    _check_reader(CLASS_EXAMPLE, tmp_path, weights, atol=1e-6)


def _compat_reader_reads_real_weight_file(cwd: Path) -> None:
    arg = {"output": str(cwd / "TMVA.root"), "variables": CLASS_EXAMPLE["variables"], "n": 400,
           "analysis": "Classification",
           "weights": str(cwd / "dataset/weights/TMVAClassification_HashedDNN.weights.xml")}  # fmt: skip
    result = _run_plain(COMPAT_READER_JOB, arg, cwd)
    np.testing.assert_allclose(np.array(result["got"]), np.array(result["stored"]), rtol=1e-6, atol=1e-6)


def test_compat_reader_reads_real_weight_file(class_example_run):
    _compat_reader_reads_real_weight_file(class_example_run[0])


@pytest.mark.parametrize("transform", TRANSFORMS[2:], ids=TRANSFORM_IDS[2:])
def test_compat_reader_reads_real_weight_file_with_transform(tmp_path, transform):
    """The real method trained with D, P or N,D: TMVA's <Transformations> read by the compatible
    Reader (tmva/transforms_xml.py) give TMVA's TestTree responses."""
    _train(dict(CLASS_EXAMPLE, options=CLASS_EXAMPLE["options"].replace("VarTransform=N", transform)), tmp_path)
    text = (tmp_path / "dataset/weights/TMVAClassification_HashedDNN.weights.xml").read_text()
    assert text.count("<Transform Name=") == len(transform.split("=")[1].split(","))
    _compat_reader_reads_real_weight_file(tmp_path)
    if transform in ("VarTransform=G", "VarTransform=U"):
        _check_gauss_fit_equals_tmvas(tmp_path)


def _check_gauss_fit_equals_tmvas(cwd: Path) -> None:
    """Our fit (tmva/transform_gauss.py) on the real TMVA's training events (its TrainTree) gives the
    cumulative histograms that TMVA wrote into the weight file: every edge and content, per class."""
    import ROOT
    from tmva_helpers import tree_columns

    from tmva_hashednet.tmva.transform_gauss import GaussTransform
    from tmva_hashednet.tmva.weights_xml import read_weight_file

    (written,) = read_weight_file(cwd / "dataset/weights/TMVAClassification_HashedDNN.weights.xml").transform.steps
    handle = ROOT.TFile.Open(str(cwd / "TMVA.root"))
    train = tree_columns(handle.Get("dataset/TrainTree"), CLASS_EXAMPLE["variables"] + ["classID", "weight"])
    handle.Close()
    x = np.stack([train[v] for v in CLASS_EXAMPLE["variables"]], axis=1)
    ours = GaussTransform.fit(x, train["classID"].astype(np.int64), 2, written.inputs, train["weight"],
                              flat=written.flat)  # fmt: skip
    for mine, theirs in zip(ours.pdfs, written.pdfs):
        assert len(mine) == len(theirs) == 3
        for a, b in zip(mine, theirs):
            np.testing.assert_array_equal(a.edges, b.edges)
            np.testing.assert_array_equal(a.contents, b.contents)


# GetProba / GetRarity of the MVA PDFs (CreateMVAPdfs), against TestTree's prob_HashedDNN.
PROBA_READER_JOB = """
job = json.loads(sys.argv[1])
f = ROOT.TFile.Open(job["output"])
tree = f.Get("dataset/TestTree")
reader = TMVA.Reader("!Color:Silent")
buffers = {v: array.array("f", [0.0]) for v in job["variables"]}
for v in job["variables"]:
    reader.AddVariable(v, buffers[v])
reader.BookMVA("HashedDNN", job["weights"])
got, stored = [], []
for i in range(job["n"]):
    tree.GetEntry(i)
    for v in job["variables"]:
        buffers[v][0] = tree.GetLeaf(v).GetValue()
    got.append([reader.GetProba("HashedDNN"), reader.GetRarity("HashedDNN")])
    stored.append(tree.GetLeaf("prob_HashedDNN").GetValue())
print("RESULT " + json.dumps({"got": got, "stored": stored}))
"""
PDF_JOB = dict(CLASS_EXAMPLE, options=CLASS_EXAMPLE["options"] + ":CreateMVAPdfs")


def _check_probabilities(result: dict) -> None:
    got, stored = np.array(result["got"]), np.array(result["stored"])
    np.testing.assert_allclose(got[:, 0], stored, rtol=1e-5, atol=1e-6)
    assert np.all((got[:, 1] >= 0) & (got[:, 1] <= 1.01))


def test_real_reader_reads_compat_mva_pdfs(tmp_path):
    _run_plain(COMPAT_JOB, dict(PDF_JOB, data=str(DATA)), tmp_path)
    arg = {"output": str(tmp_path / "TMVA.root"), "variables": PDF_JOB["variables"], "n": 400,
           "weights": str(tmp_path / "dataset/weights/TMVAClassification_HashedDNN.weights.xml")}  # fmt: skip
    _check_probabilities(_run(PROBA_READER_JOB, arg, tmp_path)[0])


def test_compat_reader_reads_real_mva_pdfs(tmp_path):
    _train(PDF_JOB, tmp_path)
    arg = {"output": str(tmp_path / "TMVA.root"), "variables": PDF_JOB["variables"], "n": 400,
           "weights": str(tmp_path / "dataset/weights/TMVAClassification_HashedDNN.weights.xml")}  # fmt: skip
    _check_probabilities(_run_plain(COMPAT_READER_JOB.replace(READER_JOB, PROBA_READER_JOB), arg, tmp_path))


def test_help_text_lists_every_option(tmp_path):
    job = dict(CLASS_EXAMPLE, silent=False, options="H:!V:" + CLASS_EXAMPLE["options"].split(":", 2)[2])
    job["options"] = job["options"].replace("MaxEpochs=30", "MaxEpochs=1")
    _, run = _run(FACTORY_JOB, job, tmp_path, expect_ok=False)
    output = run.stdout + run.stderr
    for key in ("Layout", "Compression", "HashedBias", "HashSeed", "TrainingStrategy", "ValidationSize"):
        assert key in output, key



# ---- a CNN (MethodDL's InputLayout, BatchLayout and CNN Layout) through the real method -----------

CNN_LAYOUT = ("InputLayout=1|8|8:BatchLayout=32|1|64:"
              "Layout=CONV|4|3|3|1|1|1|1|RELU,MAXPOOL|2|2|2|2,RESHAPE|FLAT,DENSE|16|TANH,DENSE|1|LINEAR")  # fmt: skip
# Dense filters; BLOCK-hashed filters and dense layers; FreshNets filters (DCT coefficients hashed by band).
CNN_MODES = {"dense": ("Compression=1", "hash_mode ELEMENT"),
             "block": ("Compression=1/2:HashMode=BLOCK:HashBlock=4", "hash_mode BLOCK 4"),
             "fresh": ("Compression=1/2:HashMode=FRESH", "hash_mode FRESH")}  # fmt: skip
CNN_WEIGHTS = "dataset/weights/TMVAClassification_HashedDNN.weights.xml"


@pytest.fixture(scope="module")
def image_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("images") / "images.root"
    write_image_trees(path)
    return path


def _cnn_job(image_file: Path, mode: str) -> dict:
    """TMVA's job for the images: one variable per pixel img[j] of the array branch img[64]
    (what AddVariablesArray("img", 64) adds; TMVA 4.2.1 has no AddVariablesArray)."""
    return {
        "name": "TMVAClassification", "file": str(image_file), "analysis": "Classification",
        "trees": [["TreeS", "Signal"], ["TreeB", "Background"]], "variables": PIXEL_VARIABLES,
        "leaves": PIXEL_BRANCHES,
        "split": "nTrain_Signal=200:nTrain_Background=200:SplitMode=Random:NormMode=NumEvents:!V",
        "options": f"!H:!V:VarTransform=N:{CNN_LAYOUT}:{CNN_MODES[mode][0]}:"
        "TrainingStrategy=LearningRate=1e-2,BatchSize=32,ConvergenceSteps=8,MaxEpochs=8:RandomSeed=7",
    }  # fmt: skip


@pytest.fixture(scope="module", params=list(CNN_MODES), ids=list(CNN_MODES))
def cnn_real_run(request, image_file, tmp_path_factory):
    """The real Factory's CNN job in one mode, then the real Reader in a fresh process on the
    first 200 TestTree events: (folder, job, mode, ROC integral, Reader responses, TestTree responses)."""
    cwd = tmp_path_factory.mktemp(f"cnn_{request.param}")
    job = _cnn_job(image_file, request.param)
    result = _train(job, cwd)
    arg = {"output": str(cwd / "TMVA.root"), "weights": str(cwd / CNN_WEIGHTS), "variables": PIXEL_VARIABLES,
           "leaves": PIXEL_BRANCHES, "analysis": "Classification", "n": 200}  # fmt: skip
    responses, _ = _run(READER_JOB, arg, cwd)
    return cwd, job, request.param, result["roc"], np.array(responses["got"]), np.array(responses["stored"])


def test_cnn_trains_and_writes_tmva_output(cnn_real_run):
    import ROOT

    cwd, _, mode, roc, _, _ = cnn_real_run
    assert roc > 0.9
    text = (cwd / CNN_WEIGHTS).read_text()
    assert "HASHEDNET 3" in text and CNN_MODES[mode][1] in text, text[:3000]
    assert "CONV|4|3|3|1|1|1|1|RELU" in text and "1|8|8" in text
    f = ROOT.TFile.Open(str(cwd / "TMVA.root"))
    keys = {k.GetName() for k in f.Get("dataset/Method_HashedDNN/HashedDNN").GetListOfKeys()}
    assert {"MVA_HashedDNN_S", "MVA_HashedDNN_B", "MVA_HashedDNN_rejBvsS"} <= keys, keys
    tree = f.Get("dataset/TestTree")
    assert tree.GetEntries() == 200 and tree.GetBranch(PIXEL_BRANCHES[63]) and tree.GetBranch("HashedDNN")
    f.Close()


def test_cnn_reader_in_fresh_process_equals_test_tree(cnn_real_run):
    *_, got, stored = cnn_real_run
    assert got.shape == stored.shape == (200, 1)
    np.testing.assert_allclose(got, stored, rtol=1e-6, atol=1e-6)
    assert np.all((got > 0) & (got < 1)) and np.ptp(got) > 0.5


@pytest.mark.skipif(CXX is None, reason="no C++ compiler")
def test_cnn_makeclass_compiled_with_gxx_alone_equals_the_reader(cnn_real_run, tmp_path):
    cwd, _, _, _, reader, _ = cnn_real_run
    x, _ = _test_tree_inputs(cwd / "TMVA.root", PIXEL_BRANCHES, len(reader))
    got = _makeclass_responses(cwd / "dataset/weights/TMVAClassification_HashedDNN.class.C", PIXEL_VARIABLES, x,
                               tmp_path)  # fmt: skip
    np.testing.assert_allclose(got, reader[:, 0], rtol=2e-5, atol=2e-6)


def test_cnn_compat_reader_reads_real_weight_file(cnn_real_run):
    cwd, *_ = cnn_real_run
    arg = {"output": str(cwd / "TMVA.root"), "variables": PIXEL_VARIABLES, "leaves": PIXEL_BRANCHES, "n": 200,
           "analysis": "Classification", "weights": str(cwd / CNN_WEIGHTS)}  # fmt: skip
    result = _run_plain(COMPAT_READER_JOB, arg, cwd)
    np.testing.assert_allclose(np.array(result["got"]), np.array(result["stored"]), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("mode", list(CNN_MODES))
def test_cnn_real_reader_reads_compat_weight_file(image_file, tmp_path, mode):
    job = dict(_cnn_job(image_file, mode), data=str(DATA))
    _run_plain(COMPAT_JOB, job, tmp_path)
    assert CNN_MODES[mode][1] in (tmp_path / CNN_WEIGHTS).read_text()
    _check_reader(job, tmp_path, tmp_path / CNN_WEIGHTS, n=200)
