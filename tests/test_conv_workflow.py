"""A CNN through the TMVA-compatible workflow, as a MethodDL user writes it: images in a TTree as a
fixed-size array branch ``img[64]``, ``DataLoader.AddVariablesArray("img", 64)``,
``InputLayout=1|8|8`` and a MethodDL CNN Layout verbatim; Factory training, the output file,
the Reader, and the MakeClass class compiled with g++ alone equal to the Reader."""

from __future__ import annotations

import shutil
import subprocess
from array import array

import numpy as np
import pytest
from image_helpers import N_PIXELS, PIXEL_BRANCHES, write_image_trees
from tmva_helpers import tree_columns

from tmva_hashednet.tmva import compat_namespace

TMVA = compat_namespace()  # this file tests the compatible workflow, whatever ROOT has (test_tmva_real: the real one)

OPTIONS = ("!H:!V:VarTransform=N:InputLayout=1|8|8:BatchLayout=32|1|64:"
           "Layout=CONV|4|3|3|1|1|1|1|RELU,MAXPOOL|2|2|2|2,RESHAPE|FLAT,DENSE|16|TANH,DENSE|1|LINEAR:"
           "Compression=1/2:TrainingStrategy=LearningRate=1e-2,BatchSize=32,ConvergenceSteps=8,MaxEpochs=8:"
           "RandomSeed=7")  # fmt: skip


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory):
    import ROOT

    folder = tmp_path_factory.mktemp("cnn")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        write_image_trees(folder / "images.root")
        data = ROOT.TFile.Open(str(folder / "images.root"))
        output = ROOT.TFile.Open(str(folder / "TMVA_CNN.root"), "RECREATE")
        factory = TMVA.Factory("TMVA_CNN", output, "!V:Silent:!Color:!DrawProgressBar:AnalysisType=Classification")
        loader = TMVA.DataLoader("dataset")
        loader.AddVariablesArray("img", N_PIXELS)
        loader.AddSignalTree(data.Get("TreeS"), 1.0)
        loader.AddBackgroundTree(data.Get("TreeB"), 1.0)
        loader.PrepareTrainingAndTestTree(ROOT.TCut(""), ROOT.TCut(""),
                                          "nTrain_Signal=200:nTrain_Background=200:SplitMode=Random:"
                                          "NormMode=NumEvents:!V")  # fmt: skip
        factory.BookMethod(loader, "HashedDNN", "HashedCNN", OPTIONS)
        factory.TrainAllMethods()
        factory.TestAllMethods()
        factory.EvaluateAllMethods()
        auc = factory.GetROCIntegral(loader, "HashedCNN")
        output.Close()
        data.Close()
    return folder, auc


def _test_tree(folder):
    import ROOT

    handle = ROOT.TFile.Open(str(folder / "TMVA_CNN.root"))
    columns = tree_columns(handle.Get("dataset/TestTree"), PIXEL_BRANCHES + ["HashedCNN"])
    handle.Close()
    return np.stack([columns[name] for name in PIXEL_BRANCHES], axis=1), columns["HashedCNN"]


def test_cnn_trains_and_separates_the_bars(cnn_run):
    folder, auc = cnn_run
    assert auc > 0.9
    weights = (folder / "dataset/weights/TMVA_CNN_HashedCNN.weights.xml").read_text()
    assert "HASHEDNET 3" in weights and "CONV|4|3|3|1|1|1|1|RELU" in weights and ">1|8|8<" in weights


def test_reader_equals_test_tree_responses_of_the_cnn(cnn_run):
    folder, _ = cnn_run
    x, responses = _test_tree(folder)
    reader = TMVA.Reader("!Color:Silent")
    buffers = [array("f", [0.0]) for _ in range(N_PIXELS)]
    for j, buffer in enumerate(buffers):
        reader.AddVariable(f"img[{j}]", buffer)
    reader.BookMVA("HashedCNN", str(folder / "dataset/weights/TMVA_CNN_HashedCNN.weights.xml"))
    for i in range(0, len(x), 37):
        for j, buffer in enumerate(buffers):
            buffer[0] = x[i, j]
        assert reader.EvaluateMVA("HashedCNN") == pytest.approx(float(responses[i]), rel=1e-6, abs=1e-7)
    np.testing.assert_allclose(reader.evaluate_batch("HashedCNN", x), responses, rtol=1e-6, atol=1e-7)


DRIVER = r"""
#include "TMVA_CNN_HashedCNN.class.C"
#include <cstdio>
#include <fstream>
#include <string>
int main(int, char **argv)
{
   std::vector<std::string> names;
   for (int j = 0; j < %(n)d; ++j) names.push_back("img[" + std::to_string(j) + "]");
   ReadHashedCNN mva(names);
   if (!mva.IsStatusClean()) return 2;
   std::ifstream in(argv[1]);
   std::vector<double> x(%(n)d);
   while (true) {
      for (auto &v : x) in >> v;
      if (!in) break;
      std::printf("%%a\n", mva.GetMvaValue(x));
   }
   return 0;
}
"""


@pytest.mark.skipif(shutil.which("g++") is None, reason="no C++ compiler")
def test_make_class_of_the_cnn_equals_the_reader(cnn_run, tmp_path):
    """The class.C the Factory writes, compiled with g++ alone, gives the Reader's single-event responses."""
    folder, _ = cnn_run
    x, _ = _test_tree(folder)
    x = x[:60]
    class_file = folder / "dataset/weights/TMVA_CNN_HashedCNN.class.C"
    (tmp_path / class_file.name).write_text(class_file.read_text())
    (tmp_path / "main.cpp").write_text(DRIVER % {"n": N_PIXELS})
    subprocess.run(["g++", "-std=c++17", "-O2", "-o", str(tmp_path / "prog"), str(tmp_path / "main.cpp")], check=True,
                   capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    np.savetxt(tmp_path / "x.txt", x.astype(np.float64), fmt="%.9g")
    run = subprocess.run([str(tmp_path / "prog"), str(tmp_path / "x.txt")], capture_output=True, text=True, check=True)
    got = np.array([float.fromhex(v) for v in run.stdout.split()])
    reader = TMVA.Reader("!Color:Silent")
    for j in range(N_PIXELS):
        reader.AddVariable(f"img[{j}]", array("f", [0.0]))
    reader.BookMVA("HashedCNN", str(folder / "dataset/weights/TMVA_CNN_HashedCNN.weights.xml"))
    expected = np.array([reader.EvaluateMVA(list(map(float, row)), "HashedCNN") for row in x])
    np.testing.assert_allclose(got, expected, rtol=2e-5, atol=2e-6)


def test_add_variables_array_checks_its_arguments():
    loader = TMVA.DataLoader("dataset")
    loader.AddVariablesArray("img", 3)
    assert [v.expression for v in loader.variables] == ["img[0]", "img[1]", "img[2]"]
    with pytest.raises(ValueError, match="the size must be a positive integer"):
        loader.AddVariablesArray("px", 0)
    with pytest.raises(ValueError, match="not an array branch name"):
        loader.AddVariablesArray("img[2]", 4)
