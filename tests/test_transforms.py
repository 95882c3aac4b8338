"""VarTransform=D, P and chains in the compatible workflow (tmva/transforms.py) against float64
numpy references of TMVA's definitions, their weight-file XML, and the workflow end to end (also
for G and U, whose pieces test_transform_gauss.py checks): Reader equal to TestTree and the
standalone class equal to the Reader. Cross-reading with the real TMVA: tests/test_tmva_real.py."""

from __future__ import annotations

import re
import shutil
import subprocess
from array import array
from pathlib import Path

import numpy as np
import pytest
from tmva_helpers import tree_columns

from tmva_hashednet import datasets
from tmva_hashednet.tmva import compat_namespace
from tmva_hashednet.tmva.transforms import DecorrelateTransform, PCATransform, TransformChain, parse_var_transform
from tmva_hashednet.tmva.weights_xml import read_weight_file, render_weight_file

TMVA = compat_namespace()
CXX = shutil.which("g++") or shutil.which("c++")
COLUMNS = [("Variable", f"v{i}", f"v{i}") for i in range(3)]


def _events(n=4000, seed=1):
    """Correlated inputs with an offset, two classes of different covariance, positive weights."""
    rng = np.random.default_rng(seed)
    class_id = (rng.random(n) < 0.4).astype(np.int64)
    mixing = np.where(class_id[:, None, None] == 0, np.array([[1, 0.6, 0], [0, 1, 0.4], [0, 0, 2]]),
                      np.array([[2, 0, 0.5], [0.3, 1, 0], [0, 0.7, 1]]))  # fmt: skip
    x = np.einsum("nij,nj->ni", mixing, rng.normal(size=(n, 3))) + np.array([5.0, -3.0, 1.0])
    return x.astype(np.float32), class_id, rng.uniform(0.5, 2.0, n)


def _reference_inverse_sqrt(x, w):
    """C^-1/2 of the weighted covariance sum w x x^T / sum w - mean mean^T, through an SVD (not eigh)."""
    x = x.astype(np.float64)
    mean = (w[:, None] * x).sum(0) / w.sum()
    covariance = (w[:, None] * x).T @ x / w.sum() - np.outer(mean, mean)
    u, s, _ = np.linalg.svd(covariance)
    return u @ np.diag(s**-0.5) @ u.T, covariance


def test_decorrelation_matrices_per_class_and_all_classes():
    x, class_id, w = _events()
    step = DecorrelateTransform.fit(x, class_id, 2, COLUMNS, w)
    assert len(step.matrices) == 3  # signal, background, all classes (TMVA's order)
    for matrix, rows in zip(step.matrices, [class_id == 0, class_id == 1, np.ones(len(x), bool)]):
        reference, covariance = _reference_inverse_sqrt(x[rows], w[rows])
        np.testing.assert_allclose(matrix, reference, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(matrix @ covariance @ matrix.T, np.eye(3), atol=1e-12)
    # the all-classes matrix is applied, without centring, in float64 and then rounded to float
    expected = (x.astype(np.float64) @ step.matrices[-1].T).astype(np.float32)
    np.testing.assert_allclose(step.apply(x, slice(0, 3)), expected, rtol=1e-6, atol=1e-6)


def test_decorrelation_of_one_class_has_one_matrix():
    x, _, w = _events()
    step = DecorrelateTransform.fit(x, np.zeros(len(x), np.int64), 1, COLUMNS, w)
    assert len(step.matrices) == 1
    np.testing.assert_allclose(step.matrices[0], _reference_inverse_sqrt(x, w)[0], rtol=1e-12, atol=1e-13)


def test_decorrelation_refuses_a_degenerate_covariance():
    x, class_id, w = _events()
    x[:, 2] = 2 * x[:, 0]
    with pytest.raises(ValueError, match="VarTransform=D: the covariance matrix .* is not positive definite"):
        DecorrelateTransform.fit(x, class_id, 2, COLUMNS, w)


def test_pca_unweighted_means_and_eigenvectors_by_decreasing_variance():
    x, class_id, w = _events()
    step = PCATransform.fit(x, class_id, 2, COLUMNS, w)  # TPrincipal ignores the weights
    assert len(step.means) == len(step.eigenvectors) == 3
    for mean, vectors, rows in zip(step.means, step.eigenvectors, [class_id == 0, class_id == 1, slice(None)]):
        centred = x[rows].astype(np.float64) - x[rows].astype(np.float64).mean(0)
        np.testing.assert_allclose(mean, x[rows].astype(np.float64).mean(0), rtol=1e-8)
        _, s, vt = np.linalg.svd(centred, full_matrices=False)  # principal axes by decreasing singular value
        for i in range(3):
            assert abs(abs(vectors[:, i] @ vt[i]) - 1) < 1e-7  # the same axis, up to sign
            assert vectors[np.argmax(np.abs(vectors[:, i])), i] > 0  # our sign convention
    p = step.apply(x, slice(0, 3)).astype(np.float64)
    variances = p.var(0)
    assert np.all(np.diff(variances) < 0)
    np.testing.assert_allclose(np.cov(p, rowvar=False, bias=True), np.diag(variances), atol=1e-4 * variances[0])


def test_chain_fits_each_step_on_the_output_of_the_previous_one():
    x, class_id, w = _events()
    chain = TransformChain.fit(parse_var_transform("N,D"), x, class_id, 2, COLUMNS, 3, w)
    assert chain.short_name == "Norm_Deco"
    normalized = chain.steps[0].apply(x, slice(0, 3))
    decorrelated = DecorrelateTransform.fit(normalized, class_id, 2, COLUMNS, w)
    np.testing.assert_array_equal(chain.steps[1].matrices[-1], decorrelated.matrices[-1])
    np.testing.assert_array_equal(chain.apply(x, slice(0, 3)), decorrelated.apply(normalized, slice(0, 3)))


@pytest.mark.parametrize(("text", "steps"), [("None", []), ("I", []), ("D", ["D"]), ("Deco", ["D"]),
                                             ("N+PCA", ["N", "P"]), ("D_AllClasses,N", ["D", "N"])],
                         ids=["none", "identity", "d", "deco", "plus", "allclasses"])  # fmt: skip
def test_parse_var_transform(text, steps):
    assert parse_var_transform(text) == steps


def _content(chain):
    from tmva_hashednet.tmva.variables import VariableInfo
    from tmva_hashednet.tmva.weights_xml import WeightFile

    variables = [VariableInfo(e, e, e, "", "F", 0.0, 1.0) for _, _, e in COLUMNS]
    return WeightFile(method_type="HashedDNN", title="t", analysis_type="Classification", variables=variables,
                      classes=["Signal", "Background"], network_text="", transform=chain)  # fmt: skip


@pytest.mark.parametrize("text", ["D", "P", "N,D,P"])
def test_weight_file_xml_round_trip(tmp_path, text):
    import xml.etree.ElementTree as ElementTree

    from tmva_hashednet.tmva.transforms_xml import read_transformations

    x, class_id, w = _events()
    chain = TransformChain.fit(parse_var_transform(text), x, class_id, 2, COLUMNS, 3, w)
    root = ElementTree.fromstring(render_weight_file(_content(chain)))
    node = root.find("Transformations")
    assert node.get("NTransformations") == str(len(chain.steps))
    assert [t.get("Name") for t in node.findall("Transform")] == [
        {"N": "Normalize", "D": "Decorrelation", "P": "PCA"}[s] for s in parse_var_transform(text)]
    back = read_transformations(node, "w.xml")
    np.testing.assert_array_equal(back.apply(x, slice(0, 3)), chain.apply(x, slice(0, 3)))


def test_damaged_decorrelation_matrix_is_named(tmp_path):
    x, class_id, w = _events()
    text = render_weight_file(_content(TransformChain.fit(["D"], x, class_id, 2, COLUMNS, 3, w)))
    start = text.index("<Matrix")
    text = re.sub(r' TransformationsChecksum="[^"]*"', "", text)  # as written before the checksum, which would name
    damaged = text[:start] + text[start:].replace('Rows="3"', 'Rows="2"', 1)  # the section, not the matrix
    path = tmp_path / "w.xml"
    path.write_text(damaged)
    with pytest.raises(ValueError, match=r"the decorrelation <Matrix> is 2 x 3 but the transformation has 3 inputs"):
        read_weight_file(path)
    path.write_text(text.replace("e+00 ", "e+00x ", 1))
    with pytest.raises(ValueError, match="holds a value that is not a number"):
        read_weight_file(path)


# ---- end to end: the compatible Factory, Reader and standalone class -------------------------------------------
VARS = ["var1", "var2", "var3", "var4"]
OPTIONS = "!H:!V:Layout=TANH|16,LINEAR:TrainingStrategy=LearningRate=1e-2,BatchSize=64,MaxEpochs=3:RandomSeed=1"


def _train(folder: Path, transform: str, plots: str = "I") -> Path:
    import ROOT

    data = ROOT.TFile.Open(str(datasets.tutorial_file("tmva_class_example.root")))
    output = ROOT.TFile.Open(str(folder / "TMVA.root"), "RECREATE")
    factory = TMVA.Factory("TMVAClassification", output, f"!V:Silent:!Color:!DrawProgressBar:Transformations={plots}")
    loader = TMVA.DataLoader("dataset")
    for name in VARS:
        loader.AddVariable(name, "F")
    loader.AddSignalTree(data.Get("TreeS"))
    loader.AddBackgroundTree(data.Get("TreeB"))
    loader.PrepareTrainingAndTestTree("", "", "nTrain_Signal=800:nTrain_Background=800:nTest_Signal=400:"
                                              "nTest_Background=400:SplitMode=Random:!V")  # fmt: skip
    factory.BookMethod(loader, "HashedDNN", "HashedDNN", f"VarTransform={transform}:{OPTIONS}")
    factory.TrainAllMethods()
    factory.TestAllMethods()
    factory.EvaluateAllMethods()
    output.Close()
    data.Close()
    return folder / "dataset/weights/TMVAClassification_HashedDNN.weights.xml"


@pytest.mark.parametrize("transform", ["D", "P", "N,D", "D,P", "G", "U", "G,D", "N,G"],
                         ids=["d", "p", "n-d", "d-p", "g", "u", "g-d", "n-g"])  # fmt: skip
def test_reader_and_standalone_class_equal_test_tree(tmp_path, monkeypatch, transform):
    import ROOT

    monkeypatch.chdir(tmp_path)
    weights = _train(tmp_path, transform)
    handle = ROOT.TFile.Open(str(tmp_path / "TMVA.root"))
    data = tree_columns(handle.Get("dataset/TestTree"), VARS + ["HashedDNN"])
    handle.Close()
    reader = TMVA.Reader("!Color:Silent")
    buffers = [array("f", [0.0]) for _ in VARS]
    for name, buffer in zip(VARS, buffers):
        reader.AddVariable(name, buffer)
    reader.BookMVA("HashedDNN", str(weights))
    got = []
    for i in range(0, len(data["HashedDNN"]), 7):
        for name, buffer in zip(VARS, buffers):
            buffer[0] = data[name][i]
        got.append(reader.EvaluateMVA("HashedDNN"))
    # The Reader evaluates one event on the event path (the chain, then evaluator.h), the TestTree was filled
    # in batch through sgemm: equal to float rounding (tests/test_mva_pdfs.py says the same of N).
    np.testing.assert_allclose(np.array(got, np.float32), data["HashedDNN"][::7], rtol=1e-5, atol=1e-6)
    _check_event_evaluator(weights, data, np.array(got, np.float32))
    if CXX is not None:
        _check_standalone_class(tmp_path, weights, data)
        _check_standalone_transform(tmp_path, weights, data)


def _bits(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


def _check_event_evaluator(weights: Path, data: dict, reader: np.ndarray) -> None:
    """HashedNetwork.load(...).evaluator() applies the chain in C++ (input_transform.h): bit for bit the
    numpy chain followed by the event path (predict_one), inside and outside the training range, and the
    Reader's EvaluateMVA."""
    from event_cases import predict_one

    from tmva_hashednet import HashedNetwork

    net = HashedNetwork.load(weights)
    chain = read_weight_file(weights).transform
    x = np.stack([data[v] for v in VARS], axis=1)
    x = np.concatenate([x, x[:50] * np.float32(3) - np.float32(10), x[:50] * np.float32(-4)]).astype(np.float32)
    got = net.evaluator()(x)
    assert np.array_equal(_bits(got), _bits(predict_one(net, chain.apply(x, slice(0, len(VARS))))[:, 0]))
    assert np.array_equal(_bits(got[: len(data["HashedDNN"])][::7]), _bits(reader))


def _check_standalone_class(folder: Path, weights: Path, data: dict) -> None:
    class_file = weights.with_name("TMVAClassification_HashedDNN.class.C")
    names = ", ".join(f'"{v}"' for v in VARS)
    (folder / "main.cpp").write_text(f"""
#include "{class_file}"
#include <cstdio>
#include <iostream>
int main() {{
   ReadHashedDNN mva({{{names}}});
   std::vector<double> x({len(VARS)});
   while (true) {{
      for (auto &v : x) std::cin >> v;
      if (!std::cin) return 0;
      std::printf("%.9g\\n", mva.GetMvaValue(x));
   }}
}}
""")
    subprocess.run([CXX, "-std=c++17", "-O2", "-o", str(folder / "prog"), str(folder / "main.cpp")], check=True)
    x = np.stack([data[v] for v in VARS], axis=1)[:300]
    run = subprocess.run([str(folder / "prog")], input="\n".join(" ".join(f"{v:.9g}" for v in row) for row in x),
                         capture_output=True, text=True, check=True)  # fmt: skip
    np.testing.assert_allclose(np.array(run.stdout.split(), np.float64), data["HashedDNN"][:300], rtol=1e-5,
                               atol=1e-6)  # fmt: skip


def _check_standalone_transform(folder: Path, weights: Path, data: dict) -> None:
    """The class's VarTransform function alone gives the Reader's transformed inputs bit for bit
    (inside and outside the training range)."""
    class_file = weights.with_name("TMVAClassification_HashedDNN.class.C")
    (folder / "chain.cpp").write_text(f"""
#include "{class_file}"
#include <cstdio>
#include <iostream>
int main() {{
   std::vector<double> x({len(VARS)});
   while (true) {{
      for (auto &v : x) std::cin >> v;
      if (!std::cin) return 0;
      for (double v : ReadHashedDNN_var_transform(x)) std::printf("%.9g\\n", v);
   }}
}}
""")
    subprocess.run([CXX, "-std=c++17", "-O2", "-o", str(folder / "chain"), str(folder / "chain.cpp")], check=True)
    x = np.stack([data[v] for v in VARS], axis=1)[:300]
    x = np.concatenate([x, x[:5] * np.float32(3) - np.float32(10), x[:5] * np.float32(-4)]).astype(np.float32)
    run = subprocess.run([str(folder / "chain")], input="\n".join(" ".join(f"{v:.9g}" for v in row) for row in x),
                         capture_output=True, text=True, check=True)  # fmt: skip
    expected = read_weight_file(weights).transform.apply(x, slice(0, len(VARS)))
    np.testing.assert_array_equal(np.array(run.stdout.split(), np.float32).reshape(x.shape), expected)


def test_factory_transformations_give_one_input_variables_folder_each(tmp_path, monkeypatch):
    """Transformations=I;D;N,D;G: InputVariables_Id, _Deco, _Norm_Deco, _Gauss (TMVA's handler names),
    each histogram filled with the training events after that chain, fitted on them; an entry the
    compat workflow cannot build (a reference class) is left out with a warning."""
    import ROOT

    monkeypatch.chdir(tmp_path)
    _train(tmp_path, "N", plots="I;D;N,D;G;U_Signal")
    handle = ROOT.TFile.Open(str(tmp_path / "TMVA.root"))
    dataset = handle.Get("dataset")
    folders = [k.GetName() for k in dataset.GetListOfKeys() if k.GetName().startswith("InputVariables_")]
    assert folders == ["InputVariables_Id", "InputVariables_Deco", "InputVariables_Norm_Deco", "InputVariables_Gauss"]
    train = tree_columns(dataset.Get("TrainTree"), VARS + ["classID", "weight"])
    x = np.stack([train[v] for v in VARS], axis=1)
    chain = TransformChain.fit(["D"], x, train["classID"].astype(np.int64), 2,
                               [("Variable", v, v) for v in VARS], 4, train["weight"])  # fmt: skip
    expected = chain.apply(x, slice(0, 4))[:, 0][train["classID"] == 0]
    hist = dataset.Get("InputVariables_Deco/var1__Signal_Deco")
    assert hist.GetXaxis().GetTitle() == "var1 (Deco)"
    assert hist.GetEntries() == len(expected)
    assert hist.GetMean() == pytest.approx(float(np.mean(expected)), rel=1e-3, abs=1e-3)
    gauss = TransformChain.fit(["G"], x, train["classID"].astype(np.int64), 2,
                               [("Variable", v, v) for v in VARS], 4, train["weight"])  # fmt: skip
    expected = gauss.apply(x, slice(0, 4))[:, 2][train["classID"] == 1]
    hist = dataset.Get("InputVariables_Gauss/var3__Background_Gauss")
    assert hist.GetXaxis().GetTitle() == "var3 (Gauss)"
    assert hist.GetEntries() == len(expected)
    assert hist.GetMean() == pytest.approx(float(np.mean(expected)), rel=1e-3, abs=1e-3)
    handle.Close()


def test_regression_with_uniform_maps_the_targets_back(tmp_path, monkeypatch):
    """VarTransform=U in a regression takes the target too (TMVA's "_V_,_T_"): the network learns the
    target's cumulant and the responses are mapped back (InverseTransform), in the TestTree and by the
    Reader alike."""
    import ROOT

    monkeypatch.chdir(tmp_path)
    data = ROOT.TFile.Open(str(datasets.tutorial_file("tmva_reg_example.root")))
    output = ROOT.TFile.Open(str(tmp_path / "TMVA.root"), "RECREATE")
    factory = TMVA.Factory("TMVARegression", output, "!V:Silent:!Color:!DrawProgressBar:AnalysisType=Regression")
    loader = TMVA.DataLoader("dataset")
    for name in ("var1", "var2"):
        loader.AddVariable(name, "F")
    loader.AddTarget("fvalue")
    loader.AddRegressionTree(data.Get("TreeR"), 1.0)
    loader.PrepareTrainingAndTestTree("", "nTrain_Regression=1000:nTest_Regression=400:SplitMode=Random:!V")
    factory.BookMethod(loader, "HashedDNN", "HashedDNN", f"VarTransform=U:{OPTIONS}")
    factory.TrainAllMethods()
    factory.TestAllMethods()
    factory.EvaluateAllMethods()
    output.Close()
    data.Close()
    weights = tmp_path / "dataset/weights/TMVARegression_HashedDNN.weights.xml"
    (step,) = read_weight_file(weights).transform.steps
    assert step.flat and [kind for kind, _, _ in step.inputs] == ["Variable", "Variable", "Target"]
    handle = ROOT.TFile.Open(str(tmp_path / "TMVA.root"))
    test = tree_columns(handle.Get("dataset/TestTree"), ["var1", "var2", "fvalue", "HashedDNN.fvalue"])
    handle.Close()
    response = test["HashedDNN.fvalue"]
    low, high = step.pdfs[2][-1].xmin, step.pdfs[2][-1].xmax
    assert np.all((response >= low - 1) & (response <= high + 1)) and response.std() > 0.1 * test["fvalue"].std()
    reader = TMVA.Reader("!Color:Silent")
    reader.AddVariable("var1")
    reader.AddVariable("var2")
    reader.BookMVA("HashedDNN", str(weights))
    got = [reader.EvaluateRegression([float(test["var1"][i]), float(test["var2"][i])], "HashedDNN")[0]
           for i in range(0, 400, 9)]  # fmt: skip
    np.testing.assert_allclose(np.array(got, np.float32), response[::9], rtol=1e-5, atol=1e-4)
    # the event evaluator maps the targets back in C++ (input_transform.h) as numpy does, bit for bit
    from event_cases import predict_one

    from tmva_hashednet import HashedNetwork

    net = HashedNetwork.load(weights)
    x = np.stack([test["var1"], test["var2"]], axis=1).astype(np.float32)
    chain = read_weight_file(weights).transform
    expected = chain.inverse(predict_one(net, chain.apply(x, slice(0, 2))), slice(2, 3))[:, 0]
    assert np.array_equal(_bits(net.evaluator()(x)), _bits(expected))
    assert np.array_equal(_bits(net.evaluator()(x[::9])), _bits(got))
