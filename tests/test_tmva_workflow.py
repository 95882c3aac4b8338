"""The TMVA-compatible workflow end to end: the macros run, the output file has
TMVA's layout key by key, the ROC integral equals one computed independently
from TestTree, and the Reader reproduces TestTree's responses. The macros run on
the compatible workflow here also where ROOT has a real TMVA (the same macros on
the real TMVA: tests/test_tmva_real.py, test_tmva_errors.py)."""

from __future__ import annotations

import shutil
import subprocess
from array import array

import numpy as np
import pytest
from tmva_helpers import keys, run_macro, tree_columns

from tmva_hashednet.evaluation import roc_auc
from tmva_hashednet.tmva import compat_namespace

TMVA = compat_namespace()

VARS = ["var1", "var2", "var3", "var4"]
HIGGS_VARS = ["m_jj", "m_jjj", "m_lv", "m_jlv", "m_bb", "m_wbb", "m_wwbb"]
WEIGHTS = "dataset/weights/TMVAClassification_HashedDNN.weights.xml"


def _run(tmp_path_factory, data: str, n_train: int, epochs: int, learning_rate: float = 1e-2):
    folder = tmp_path_factory.mktemp(data)
    return folder, run_macro(folder, "tmva_classification", data, "TMVA.root", epochs, n_train,
                             learning_rate=learning_rate, compat=True)


@pytest.fixture(scope="module")
def class_run(tmp_path_factory):
    return _run(tmp_path_factory, "class", n_train=1500, epochs=6)


@pytest.fixture(scope="module")
def higgs_run(tmp_path_factory):
    return _run(tmp_path_factory, "higgs", n_train=2000, epochs=10)


def _open(path):
    import ROOT

    handle = ROOT.TFile.Open(str(path))
    assert handle and not handle.IsZombie()
    return handle


def _expected_dataset_keys(variables):
    return [("CorrelationMatrixS", "TH2F"), ("CorrelationMatrixB", "TH2F"), ("InputVariables_Id", "TDirectoryFile"),
            ("Method_HashedDNN", "TDirectoryFile"), ("TestTree", "TTree"), ("TrainTree", "TTree")]


def _expected_method_keys(variables):
    t = "MVA_HashedDNN"
    names = ["TrainingPath", "WeightFileName", "TrainingHistory_HashedDNN_trainingError",
             "TrainingHistory_HashedDNN_valError", f"{t}_S", f"{t}_B", f"{t}_S_high", f"{t}_B_high", f"{t}_effS",
             f"{t}_effB", f"{t}_effBvsS", f"{t}_rejBvsS", f"{t}_invBeffvsSeff", f"{t}_Train_S", f"{t}_Train_B",
             f"{t}_trainingEffS", f"{t}_trainingEffB", f"{t}_trainingEffBvsS", f"{t}_trainingRejBvsS"]
    names += [f"{v}__{c}" for v in variables for c in ("Signal", "Background")]
    return names + (["CorrelationPlots"] if len(variables) <= 20 else [])


@pytest.mark.parametrize("run_name, variables", [("class_run", VARS), ("higgs_run", HIGGS_VARS)], ids=["class", "higgs"])
def test_output_file_layout_key_by_key(request, run_name, variables):
    folder, _ = request.getfixturevalue(run_name)
    handle = _open(folder / "TMVA.root")
    assert [k[0] for k in keys(handle)] == ["dataset"]
    dataset = handle.Get("dataset")
    assert [(n, c) for n, c, _ in keys(dataset)] == _expected_dataset_keys(variables)
    inputs = [k[0] for k in keys(dataset.Get("InputVariables_Id"))]
    assert inputs == [f"{v}__{c}_Id" for v in variables for c in ("Signal", "Background")] + ["CorrelationPlots"]
    scatter = [k[0] for k in keys(dataset.Get("InputVariables_Id/CorrelationPlots"))]
    assert f"scat_{variables[1]}_vs_{variables[0]}_Signal_Id" in scatter
    assert f"prof_{variables[1]}_vs_{variables[0]}_Background_Id" in scatter
    for kind in ("scat", "prof"):  # TransformationHandler::PlotVariables: x variable i, y variable j
        plot = dataset.Get(f"InputVariables_Id/CorrelationPlots/{kind}_{variables[1]}_vs_{variables[0]}_Signal_Id")
        assert (plot.GetXaxis().GetTitle(), plot.GetYaxis().GetTitle()) == (variables[0], variables[1])
    method = dataset.Get("Method_HashedDNN")
    assert method.GetTitle() == "Directory for all HashedDNN methods"
    assert [k[0] for k in keys(method)] == ["HashedDNN"]
    method_keys = keys(method.Get("HashedDNN"))
    assert [k[0] for k in method_keys] == _expected_method_keys(variables)
    assert all(cycle == 1 for _, _, cycle in method_keys)
    classes = {n: c for n, c, _ in method_keys}
    assert classes["MVA_HashedDNN_S"] == "TH1D" and classes["var1__Signal" if "var1" in variables else
                                                            f"{variables[0]}__Signal"] == "TH1F"
    assert str(method.Get("HashedDNN/WeightFileName").GetString()) == WEIGHTS
    effs = method.Get("HashedDNN/MVA_HashedDNN_effBvsS")
    assert effs.GetNbinsX() == 100 and effs.GetTitle() == "MVA_HashedDNN"
    assert method.Get("HashedDNN/MVA_HashedDNN_S_high").GetNbinsX() == 10000
    handle.Close()


def test_test_tree_branches_and_entries(class_run):
    folder, _ = class_run
    handle = _open(folder / "TMVA.root")
    for name, entries in (("TestTree", 2 * 4500), ("TrainTree", 2 * 1500)):
        tree = handle.Get(f"dataset/{name}")
        branches = [(b.GetName(), b.GetTitle()) for b in tree.GetListOfBranches()]
        assert branches == [("classID", "classID/I"), ("className", "className/C")] + [(v, f"{v}/F") for v in VARS] + [
            ("weight", "weight/F"), ("HashedDNN", "HashedDNN/F")]
        assert tree.GetEntries() == entries
        assert tree.GetTitle() == name
    tree, names = handle.Get("dataset/TestTree"), {}
    for i in range(200):
        tree.GetEntry(i)
        name = str(tree.GetLeaf("className").GetValueString())
        names.setdefault(int(tree.classID), set()).add(name)
    assert names == {0: {"Signal"}, 1: {"Background"}}
    handle.Close()


def _test_tree(folder, variables):
    handle = _open(folder / "TMVA.root")
    data = tree_columns(handle.Get("dataset/TestTree"), ["classID", "weight", "HashedDNN"] + variables)
    handle.Close()
    return data


@pytest.mark.parametrize("run_name, variables", [("class_run", VARS), ("higgs_run", HIGGS_VARS)], ids=["class", "higgs"])
def test_roc_integral_equals_independent_one_from_test_tree(request, run_name, variables):
    folder, auc = request.getfixturevalue(run_name)
    data = _test_tree(folder, variables)
    is_signal = data["classID"] == 0
    assert auc == pytest.approx(_tmva_roc_integral(data["HashedDNN"], data["weight"], is_signal), rel=1e-12)
    # TMVA counts the event at each threshold on both sides: an O(1/n) excess over the textbook area.
    textbook = roc_auc(is_signal.astype(int), data["HashedDNN"], data["weight"])
    assert textbook <= auc <= textbook + 2.0 / min(is_signal.sum(), (~is_signal).sum())
    assert auc > 0.6


def _tmva_roc_integral(values, weights, is_signal) -> float:
    """ROCCurve::GetROCIntegral written out as loops (docs/tmva_file_layout.md §2.1)."""
    events = sorted(zip(values.tolist(), weights.tolist(), is_signal.tolist()), key=lambda e: e[0])
    total_s = sum(w for _, w, s in events if s)
    total_b = sum(w for _, w, s in events if not s)
    sensitivity, specificity, passed_s, below_b = [1.0], [0.0], total_s, 0.0
    for _, w, s in events:
        below_b += 0.0 if s else w
        sensitivity.append(passed_s / total_s)
        specificity.append(below_b / total_b)
        passed_s -= w if s else 0.0
    sensitivity.append(0.0)
    specificity.append(1.0)
    return sum(0.5 * (sensitivity[k] - sensitivity[k + 1]) * (specificity[k] + specificity[k + 1])
               for k in range(len(sensitivity) - 1))


def test_reader_equals_test_tree_responses(class_run):
    folder, _ = class_run
    data = _test_tree(folder, VARS)
    reader = TMVA.Reader("!Color:Silent")
    buffers = [array("f", [0.0]) for _ in VARS]
    for name, buffer in zip(VARS, buffers):
        reader.AddVariable(name, buffer)
    reader.BookMVA("HashedDNN", str(folder / WEIGHTS))
    for i in range(0, len(data["weight"]), 97):
        for name, buffer in zip(VARS, buffers):
            buffer[0] = data[name][i]
        assert reader.EvaluateMVA("HashedDNN") == pytest.approx(float(data["HashedDNN"][i]), rel=1e-6, abs=1e-7)
    batch = reader.evaluate_batch("HashedDNN", np.stack([data[v] for v in VARS], axis=1))
    np.testing.assert_allclose(batch, data["HashedDNN"], rtol=1e-6, atol=1e-7)


CLASS_DRIVER = r"""
#include "TMVAClassification_HashedDNN.class.C"
#include <cstdio>
#include <fstream>
int main(int, char **argv)
{
   ReadHashedDNN mva({"var1", "var2", "var3", "var4"});
   if (!mva.IsStatusClean()) return 2;
   std::ifstream in(argv[1]);
   std::vector<double> x(4);
   while (in >> x[0] >> x[1] >> x[2] >> x[3]) std::printf("%.9g\n", mva.GetMvaValue(x));
   return 0;
}
"""


@pytest.mark.skipif(shutil.which("g++") is None, reason="no C++ compiler")
def test_standalone_class_equals_test_tree_responses(class_run, tmp_path):
    """Factory training writes <dataset>/weights/<job>_<title>.class.C, as TMVA's MakeClass does; compiled with g++
    alone (VarTransform=N folded into it) it gives TestTree's responses from the raw variables."""
    folder, _ = class_run
    class_file = folder / "dataset/weights/TMVAClassification_HashedDNN.class.C"
    assert class_file.is_file()
    (tmp_path / class_file.name).write_text(class_file.read_text())
    (tmp_path / "main.cpp").write_text(CLASS_DRIVER)
    subprocess.run(["g++", "-std=c++17", "-O2", "-o", str(tmp_path / "prog"), str(tmp_path / "main.cpp")], check=True,
                   capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    data = _test_tree(folder, VARS)
    x = np.stack([data[v] for v in VARS], axis=1).astype(np.float64)
    np.savetxt(tmp_path / "x.txt", x, fmt="%.9g")
    run = subprocess.run([str(tmp_path / "prog"), str(tmp_path / "x.txt")], capture_output=True, text=True, check=True)
    got = np.array(run.stdout.split(), dtype=np.float64)
    np.testing.assert_allclose(got, data["HashedDNN"], rtol=2e-5, atol=2e-6)


def test_train_tree_weights_renormalised_test_tree_original(class_run):
    folder, _ = class_run
    handle = _open(folder / "TMVA.root")
    train = tree_columns(handle.Get("dataset/TrainTree"), ["classID", "weight"])
    test = tree_columns(handle.Get("dataset/TestTree"), ["weight"])
    handle.Close()
    for c in (0, 1):  # NormMode=NumEvents: each class sums to its number of training events
        mask = train["classID"] == c
        assert train["weight"][mask].sum() == pytest.approx(mask.sum(), rel=1e-5)
    np.testing.assert_array_equal(test["weight"], 1.0)


def test_weight_file_layout(class_run):
    import xml.etree.ElementTree as ElementTree

    folder, _ = class_run
    text = (folder / WEIGHTS).read_text()
    assert text.startswith('<?xml version="1.0"?>\n<MethodSetup Method="HashedDNN::HashedDNN">')
    root = ElementTree.fromstring(text)
    assert [c.tag for c in root] == ["GeneralInfo", "Options", "Variables", "Spectators", "Classes",
                                     "Transformations", "MVAPdfs", "Weights"]
    assert [o.get("name") for o in root.find("Options")][:6] == [
        "V", "VerbosityLevel", "VarTransform", "H", "CreateMVAPdfs", "IgnoreNegWeightsInTraining"]
    weights = root.find("Weights")
    assert weights.get("Format") == "hashednet-1" and weights.get("HashDefinition") == "xxh32-v1"
    assert weights.text.strip().startswith("HASHEDNET 2") and weights.text.strip().endswith("end")
    ranges = root.find("Transformations/Transform").findall("Class")
    assert [r.get("ClassIndex") for r in ranges] == ["0", "1", "2"]


def test_training_history_bins_are_centred_on_epochs(class_run):
    """MethodDL records stage = epoch number (1-based): N epochs give bins centred on 1..N."""
    folder, _ = class_run
    handle = _open(folder / "TMVA.root")
    for prop in ("trainingError", "valError"):
        hist = handle.Get(f"dataset/Method_HashedDNN/HashedDNN/TrainingHistory_HashedDNN_{prop}")
        n = hist.GetNbinsX()
        assert n >= 2
        centres = [hist.GetXaxis().GetBinCenter(b) for b in range(1, n + 1)]
        np.testing.assert_allclose(centres, np.arange(1, n + 1), atol=1e-9)
        assert all(hist.GetBinContent(b) > 0 for b in range(1, n + 1))


def test_roc_curve_graph(class_run):
    import ROOT

    from tmva_hashednet.tmva.performance import roc

    sens, spec, auc = roc(np.array([0.1, 0.4, 0.35, 0.8]), np.ones(4), np.array([False, False, True, True]))
    assert auc == pytest.approx(0.875)  # TMVA's definition; the textbook area is 0.75
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert sens[0] == 1 and sens[-1] == 0 and spec[0] == 0 and spec[-1] == 1
    assert isinstance(ROOT.TGraph(len(sens), sens, spec), ROOT.TGraph)


@pytest.mark.slow
def test_multiclass_end_to_end(tmp_path, monkeypatch):
    import ROOT

    monkeypatch.chdir(tmp_path)
    aucs = run_macro(tmp_path, "tmva_multiclass", "TMVAMulticlass.root", epochs=4, n_train=400, compat=True)
    assert len(aucs) == 4 and min(aucs) > 0.6
    handle = _open(tmp_path / "TMVAMulticlass.root")
    tree = handle.Get("dataset/TestTree")
    branch = tree.GetBranch("HashedDNN")
    assert branch.GetTitle() == "Signal/F:bg0/F:bg1/F:bg2/F" and tree.GetEntries() == 1600
    method = handle.Get("dataset/Method_HashedDNN/HashedDNN")
    assert isinstance(method.Get("MVA_HashedDNN_Test_bg1_prob_for_Signal"), ROOT.TH1F)
    assert isinstance(method.Get("MVA_HashedDNN_Test_rejBvsS_bg2"), ROOT.TGraph)
    assert handle.Get("dataset/CorrelationMatrixbg0")
    handle.Close()
    reader = TMVA.Reader("Silent")
    for name in VARS:
        reader.AddVariable(name, array("f", [0.0]))
    reader.BookMVA("HashedDNN", "dataset/weights/TMVAMulticlass_HashedDNN.weights.xml")
    probabilities = reader.EvaluateMulticlass([0.1, 0.2, 0.3, 0.4], "HashedDNN")
    assert len(probabilities) == 4 and sum(probabilities) == pytest.approx(1.0, abs=1e-5)
    missing = reader.EvaluateMulticlass([0.1, float("inf"), 0.3, 0.4], "HashedDNN")  # one NaN per class
    assert len(missing) == 4 and all(np.isnan(missing))


@pytest.mark.slow
def test_regression_end_to_end(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_macro(tmp_path, "tmva_regression", "TMVAReg.root", epochs=8, n_train=1000, compat=True)
    handle = _open(tmp_path / "TMVAReg.root")
    dataset = handle.Get("dataset")
    assert dataset.Get("CorrelationMatrix") and dataset.Get("InputVariables_Id/fvalue__Regression_target_Id")
    method = dataset.Get("Method_HashedDNN/HashedDNN")
    assert method.Get("MVA_HashedDNNtest_reg_var0_rtgt0") and method.Get("MVA_HashedDNNtest_Quadr_Deviation_target_0_")
    titles = {name: (method.Get(name).GetXaxis().GetTitle(), method.Get(name).GetYaxis().GetTitle())
              for name in ("MVA_HashedDNNtest_reg_var1_rtgt0", "MVA_HashedDNNtrain_reg_tgt0_rtgt0",
                           "MVA_HashedDNNtest_Quadr_Deviation_target_0_")}
    assert titles == {"MVA_HashedDNNtest_reg_var1_rtgt0": ("Variable 2", "fvalue_{regression} - fvalue_{true}"),
                      "MVA_HashedDNNtrain_reg_tgt0_rtgt0": ("fvalue", "fvalue_{regression} - fvalue_{true}"),
                      "MVA_HashedDNNtest_Quadr_Deviation_target_0_": ("Quadratic Deviation", "Weighted Entries")}
    data = tree_columns(dataset.Get("TestTree"), ["var1", "var2", "fvalue", "HashedDNN.fvalue"])
    handle.Close()
    response = data["HashedDNN.fvalue"]
    baseline = np.mean((data["fvalue"] - data["fvalue"].mean()) ** 2)
    assert np.mean((response - data["fvalue"]) ** 2) < 0.5 * baseline  # learns something
    reader = TMVA.Reader("Silent")
    reader.AddVariable("var1")
    reader.AddVariable("var2")
    reader.BookMVA("HashedDNN", "dataset/weights/TMVARegression_HashedDNN.weights.xml")
    value = reader.EvaluateRegression([float(data["var1"][0]), float(data["var2"][0])], "HashedDNN")[0]
    missing = reader.EvaluateRegression([float("nan"), float(data["var2"][0])], "HashedDNN")
    assert len(missing) == 1 and np.isnan(missing[0])
    assert value == pytest.approx(float(response[0]), rel=1e-5, abs=1e-5)
