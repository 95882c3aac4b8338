"""The MakeClass generator: the standalone C++ class, compiled with g++ alone, gives Model.predict's outputs.

Needs no TMVA: the class comes from hashednet::standalone_class_source through PyROOT,
is compiled as a plain C++17 program (no ROOT headers or libraries) and run on random
inputs written to a text file; its outputs are compared with Model::predict.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

CXX = shutil.which("g++") or shutil.which("c++")

# (task, n_outputs, layout, compression, hashed_bias, hash_output_layer[, hash_block: BLOCK mode])
CASES = {
    "classification-hashed": ("Classification", 1, "TANH|32,RELU|16,LINEAR", 1 / 8, False, False),
    "classification-dense": ("Classification", 1, "SIGMOID|8,LINEAR", 1.0, False, False),
    "multiclass-hashed-bias": ("Multiclass", 4, "SOFTSIGN|24,GAUSS|12,LINEAR", 1 / 4, True, True),
    "regression-2-targets": ("Regression", 2, "SYMMRELU|20,TANH|10,LINEAR", 1 / 3, True, False),
    "block-mode-ragged": ("Classification", 1, "TANH|40,TANH|33,LINEAR", 1 / 8, False, True, 16),
    "block-mode-wraps": ("Multiclass", 3, "RELU|30,LINEAR", 0.01, True, False, 7),
}

DRIVER = r"""
#include "generated.h"
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

int main(int argc, char **argv)
{
   std::vector<std::string> names;
   for (int j = 0; j < %(n_inputs)d; ++j) names.push_back("x" + std::to_string(j));
   %(cls)s mva(names);
   if (!mva.IsStatusClean()) return 2;
   std::vector<std::string> wrong(names.rbegin(), names.rend());
   if (%(n_inputs)d > 1 && %(cls)s(wrong).IsStatusClean()) return 3;  // swapped names must be rejected
   std::ifstream in(argv[1]);
   std::vector<double> x(%(n_inputs)d);
   while (true) {
      for (auto &v : x) in >> v;
      if (!in) break;
      const std::vector<double> out = mva.GetResponse(x);
      for (double v : out) std::printf("%%.9g ", v);
      std::printf("\n");
   }
   return 0;
}
"""


def _network(hn, task, n_outputs, layout, compression, hashed_bias, hash_output_layer, hash_block=0, n_inputs=7,
             seed=5):  # fmt: skip
    spec = hn.NetworkSpec()
    if hash_block:
        spec.hash_mode = hn.HashMode.Block
        spec.hash_block = hash_block
    spec.n_inputs = n_inputs
    spec.n_outputs = n_outputs
    spec.task = getattr(hn.Task, task)
    spec.layers = hn.parse_layout(layout)
    spec.compression = compression
    spec.hashed_bias = hashed_bias
    spec.hash_output_layer = hash_output_layer
    spec.hash_seed = 12345
    model = hn.Model(spec, hn.WeightInit.XavierNormal, seed, 1)
    # Non-trivial input normalisation and biases, so every table of the class is exercised.
    rng = np.random.default_rng(seed)
    offset = rng.normal(size=n_inputs).astype(np.float32)
    scale = rng.uniform(0.5, 2.0, size=n_inputs).astype(np.float32)
    model.set_input_transform(offset, scale, n_inputs)
    params = np.empty(model.n_params(), dtype=np.float32)
    model.get_params(params, params.size)
    params += rng.normal(scale=0.05, size=params.size).astype(np.float32)
    model.set_params(params, params.size)
    return model


@pytest.fixture(scope="module")
def generator(hn):
    import ROOT

    assert ROOT.gInterpreter.Declare('#include "hashednet/standalone_class.h"')
    return hn


@pytest.mark.skipif(CXX is None, reason="no C++ compiler")
@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_standalone_class_matches_predict(generator, case, tmp_path):
    hn = generator
    model = _network(hn, *CASES[case])
    n_outputs = CASES[case][1]
    n_inputs = model.network().n_inputs()
    names = [f"x{j}" for j in range(n_inputs)]
    vec = __import__("ROOT").std.vector["std::string"](names)
    source = str(hn.standalone_class_source(model.network(), "ReadHashedDNN", vec))
    assert "hash definition xxh32-v1" in source
    assert str(hn.standalone_hash_source()).split("namespace hashednet {")[1][:200] in source  # hash.h verbatim
    (tmp_path / "generated.h").write_text(source)
    (tmp_path / "main.cpp").write_text(DRIVER % {"n_inputs": n_inputs, "cls": "ReadHashedDNN"})
    subprocess.run([CXX, "-std=c++17", "-O2", "-Wall", "-Werror", "-o", str(tmp_path / "prog"), str(tmp_path / "main.cpp")],
                   check=True, capture_output=True, text=True, cwd=tmp_path)  # fmt: skip

    x = np.random.default_rng(9).normal(scale=2.0, size=(500, n_inputs)).astype(np.float32)
    np.savetxt(tmp_path / "x.txt", x.astype(np.float64), fmt="%.9g")
    run = subprocess.run([str(tmp_path / "prog"), str(tmp_path / "x.txt")], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    lines = run.stdout.splitlines()
    assert any(line.startswith('Problem in class "ReadHashedDNN": mismatch in input variable names') for line in lines)
    got = np.loadtxt([line for line in lines if not line.startswith("Problem")], ndmin=2)

    expected = np.empty((len(x), n_outputs), dtype=np.float32)
    model.predict(x, len(x), n_inputs, expected)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=2e-5, atol=2e-6)


def test_standalone_class_rejects_bad_arguments(generator):
    import ROOT

    hn = generator
    model = _network(hn, "Classification", 1, "TANH|4,LINEAR", 1.0, False, False, n_inputs=2)
    names = ROOT.std.vector["std::string"](["a", "b"])
    with pytest.raises(Exception, match="not a C\\+\\+ identifier"):
        hn.standalone_class_source(model.network(), "Read HashedDNN", names)
    with pytest.raises(Exception, match="3 input names given, the network has 2"):
        hn.standalone_class_source(model.network(), "ReadHashedDNN", ROOT.std.vector["std::string"](["a", "b", "c"]))


def test_python_api_writes_the_same_class_and_checks_its_arguments(generator):
    from tmva_hashednet import HashedNetwork

    net = HashedNetwork(3, "TANH|8,LINEAR", compression=1 / 2, seed=3)
    source = net.standalone_class("ReadMine", ["a", "b", "c"])
    assert "class ReadMine" in source and '"a", "b", "c"' in source
    with pytest.raises(ValueError, match="2 input names given, the network has 3 inputs"):
        net.standalone_class("ReadMine", ["a", "b"])
    with pytest.raises(ValueError, match="not a C\\+\\+ identifier"):
        net.standalone_class("Read Mine", ["a", "b", "c"])
