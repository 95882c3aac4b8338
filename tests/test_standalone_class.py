"""The MakeClass generator: the standalone C++ class, compiled with g++ (or clang++) alone, gives
Model::predict_one's responses bit for bit.

Needs no TMVA: the class comes from hashednet::standalone_class_source through PyROOT, is
compiled as a plain C++17 program (no ROOT headers or libraries) and run on random inputs
written to a text file; it prints each response as a hexadecimal float, compared with ==.
Both sides run event_forward.h, embedded in the class from the core's own headers at build
time; the pragmas around it keep the bits under -O3 -march=native and -Ofast (GCC).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from event_cases import CASES, events, make_network, predict_one

from tmva_hashednet._core import include_path

GXX = shutil.which("g++")
CLANG = shutil.which("clang++")

DRIVER = r"""
#include "generated.h"
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

int main(int, char **argv)
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
      if (mva.GetMvaValue(x) != out[0]) return 4;
      for (double v : out) std::printf("%%a ", v);
      std::printf("\n");
   }
   return 0;
}
"""

# compiler and flags: GCC's defaults, then what would contract a * b + c into an FMA or reorder the sums
# without the generated pragmas (each was seen to change bits with the pragmas taken out)
COMPILES = {
    "g++-O2": (GXX, ["-O2"]),
    "g++-O3-march-native": (GXX, ["-O3", "-march=native"]),
    "g++-Ofast-march-native": (GXX, ["-Ofast", "-march=native"]),
    "g++-O0": (GXX, ["-O0"]),
    "clang++-O3-march-native": (CLANG, ["-O3", "-march=native"]),
}


def _class_source(generator, net, class_name="ReadHashedDNN"):
    import ROOT

    names = ROOT.std.vector["std::string"]([f"x{j}" for j in range(net.n_inputs)])
    return str(generator.standalone_class_source(net._model.network(), class_name, names))


def _compile_and_run(source, net, x, tmp_path, compiler, flags):
    (tmp_path / "generated.h").write_text(source)
    (tmp_path / "main.cpp").write_text(DRIVER % {"n_inputs": net.n_inputs, "cls": "ReadHashedDNN"})
    build = subprocess.run([compiler, "-std=c++17", *flags, "-Wall", "-Wextra", "-pedantic", "-Werror", "-o",
                            str(tmp_path / "prog"), str(tmp_path / "main.cpp")],
                           capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert build.returncode == 0, build.stderr[-3000:]
    np.savetxt(tmp_path / "x.txt", x.astype(np.float64), fmt="%.9g")  # 9 digits: each float32 read back exactly
    run = subprocess.run([str(tmp_path / "prog"), str(tmp_path / "x.txt")], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    lines = run.stdout.splitlines()
    assert any(line.startswith('Problem in class "ReadHashedDNN": mismatch in input variable names') for line in lines)
    rows = [[float.fromhex(v) for v in line.split()] for line in lines if not line.startswith("Problem")]
    return np.array(rows, dtype=np.float64)


def _assert_bit_for_bit(got, expected):
    assert got.shape == expected.shape
    # the class returns each float response as a double: exact, so == on the float32 values
    assert np.array_equal(got.astype(np.float32), got)
    mismatched = np.flatnonzero((got != expected.astype(np.float64)).any(axis=1))
    assert mismatched.size == 0, (f"{mismatched.size} of {len(got)} events differ, e.g. event {mismatched[0]}: "
                                  f"{got[mismatched[0]]} != {expected[mismatched[0]]}")  # fmt: skip


@pytest.fixture(scope="module")
def generator(hn):
    import ROOT

    assert ROOT.gInterpreter.Declare('#include "hashednet/standalone_class.h"')
    return hn


@pytest.mark.skipif(GXX is None, reason="no g++")
@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_standalone_class_equals_predict_one_bit_for_bit(generator, case, tmp_path):
    net = make_network(case)
    x = events(net)
    source = _class_source(generator, net)
    assert "hash definition xxh32-v1" in source
    _assert_bit_for_bit(_compile_and_run(source, net, x, tmp_path, GXX, ["-O2"]), predict_one(net, x))


@pytest.mark.parametrize("compile_id", list(COMPILES), ids=list(COMPILES))
def test_bits_do_not_depend_on_the_compiler_flags(generator, compile_id, tmp_path):
    compiler, flags = COMPILES[compile_id]
    if compiler is None:
        pytest.skip(f"{compile_id.split('-')[0]} is not installed")
    for case in ("multiclass-hashed-bias-and-output", "block-runs-wrap-around-k", "funhash-mlp-two-tiles"):
        net = make_network(case)
        x = events(net, 200)
        got = _compile_and_run(_class_source(generator, net), net, x, tmp_path, compiler, flags)
        _assert_bit_for_bit(got, predict_one(net, x))


def _cpu_has_fma():
    try:
        return " fma " in Path("/proc/cpuinfo").read_text().replace("\n", " ")
    except OSError:
        return False


@pytest.mark.skipif(GXX is None or not _cpu_has_fma(), reason="needs g++ and a CPU with FMA")
def test_without_the_pragmas_fma_contraction_changes_the_bits(generator, tmp_path):
    """The flags test above can fail: with the generated pragmas taken out, g++ -O2 -mfma contracts
    a * b + c into fused multiply-adds and some responses change."""
    net = make_network("multiclass-hashed-bias-and-output")
    x = events(net, 200)
    source = "\n".join(line for line in _class_source(generator, net).splitlines()
                       if not line.startswith(("#pragma GCC optimize", "#pragma GCC push_options",
                                               "#pragma GCC pop_options")))  # fmt: skip
    got = _compile_and_run(source, net, x, tmp_path, GXX, ["-O2", "-mfma"])
    assert not np.array_equal(got, predict_one(net, x).astype(np.float64))


@pytest.mark.skipif(GXX is None, reason="no g++")
def test_vartransform_n_folded_into_the_input_transform(generator, tmp_path):
    """The compatible workflow's class for VarTransform=N: TMVA's normalisation folded into the network's
    (x - offset) * scale (tmva/method.py write_standalone_class); the class computes what predict_one
    computes for that network."""
    from tmva_hashednet.tmva.transform import NormalizeTransform

    net = make_network("element-tanh-relu")
    x = events(net)
    transform = NormalizeTransform.fit(x, np.zeros(len(x), dtype=int), 1, list(range(net.n_inputs)))
    low, scale = transform.offset_scale(slice(0, net.n_inputs))
    net.set_input_transform(low + np.float32(0.5) / scale, np.float32(2) * scale)
    _assert_bit_for_bit(_compile_and_run(_class_source(generator, net), net, x, tmp_path, GXX, ["-O2"]),
                        predict_one(net, x))  # fmt: skip


def test_the_class_carries_the_core_headers_verbatim(generator):
    """Each embedded header is the installed header's text, its include guard kept; only the lines
    including another embedded header are left out (the class is one self-contained file)."""
    net = make_network("dense-sigmoid")
    source = _class_source(generator, net)
    paths = [str(p) for p in generator.standalone_embedded_headers()]
    assert paths[-1] == "hashednet/event_forward.h" and "hashednet/hash.h" in paths
    for path in paths:
        text = (include_path() / path).read_text()
        kept = "".join(line + "\n" for line in text.splitlines() if not line.startswith('#include "hashednet/'))
        assert f"// ---- {path} ----\n" + kept in source
    assert '#include "hashednet/' not in source
    assert str(generator.standalone_hash_source()) == (include_path() / "hashednet/hash.h").read_text()


def test_standalone_class_rejects_bad_arguments(generator):
    import ROOT

    net = make_network("dense-sigmoid")
    with pytest.raises(Exception, match="not a C\\+\\+ identifier"):
        generator.standalone_class_source(net._model.network(), "Read HashedDNN",
                                          ROOT.std.vector["std::string"]([f"x{j}" for j in range(7)]))  # fmt: skip
    with pytest.raises(Exception, match="3 input names given, the network has 7"):
        generator.standalone_class_source(net._model.network(), "ReadHashedDNN",
                                          ROOT.std.vector["std::string"](["a", "b", "c"]))  # fmt: skip


def test_python_api_writes_the_same_class_and_checks_its_arguments(generator):
    from tmva_hashednet import HashedNetwork

    net = HashedNetwork(3, "TANH|8,LINEAR", compression=1 / 2, seed=3)
    source = net.standalone_class("ReadMine", ["a", "b", "c"])
    assert "class ReadMine" in source and '"a", "b", "c"' in source
    with pytest.raises(ValueError, match="2 input names given, the network has 3 inputs"):
        net.standalone_class("ReadMine", ["a", "b"])
    with pytest.raises(ValueError, match="not a C\\+\\+ identifier"):
        net.standalone_class("Read Mine", ["a", "b", "c"])
