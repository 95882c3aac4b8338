"""The route "build the TMVA method against an existing ROOT" (docs/DEVELOPING.md): the project's
CMake, configured with HASHEDNET_TMVA=ON against the TMVA the package finds (locate_tmva: ROOT's
own libTMVA, or the prefix in TMVA_HASHEDNET_TMVA_PREFIX), builds libTMVAHashedDNN, its rootmap
and its dictionary, and a fresh ROOT process that loads it can book HashedDNN by name.

Skipped, saying why, where there is no TMVA or no cmake. Builds the core too (minutes)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tmva_hashednet.tmva import locate_tmva

REPO = Path(__file__).resolve().parent.parent
TMVA = locate_tmva()
CMAKE = shutil.which("cmake")

pytestmark = [
    pytest.mark.tmva,
    pytest.mark.slow,
    pytest.mark.skipif(TMVA is None, reason="ROOT has no TMVA (and TMVA_HASHEDNET_TMVA_PREFIX is not set): "
                                            "nothing to build the method against"),  # fmt: skip
    pytest.mark.skipif(CMAKE is None, reason="no cmake on PATH"),
]

# In a fresh process: load TMVA and the built method; HashedDNN is then registered by name in
# TMVA's ClassifierFactory and as a "TMVA@@MethodBase" plugin (the routes of Factory::BookMethod
# and Reader::BookMVA), and cling knows its class. TMVA 4.2.1's dictionary has no
# ClassifierFactory (not in its LinkDef), so its header is declared to the interpreter first.
BOOK = """
import sys
import ROOT
ROOT.gROOT.SetBatch(True)
tmva_lib, include, method_lib = sys.argv[1:4]
if include:
    ROOT.gInterpreter.AddIncludePath(include)
assert ROOT.gSystem.Load(tmva_lib) >= 0 and ROOT.gSystem.Load(method_lib) >= 0
assert ROOT.gInterpreter.Declare('#include "TMVA/ClassifierFactory.h"')
names = [str(n) for n in ROOT.TMVA.ClassifierFactory.Instance().List()]
print("REGISTERED", "HashedDNN" in names)
handler = ROOT.gROOT.GetPluginManager().FindHandler("TMVA@@MethodBase", "HashedDNN")
print("PLUGIN", bool(handler) and handler.GetClass() == "TMVA::MethodHashedDNN")
print("CLASS", bool(ROOT.TClass.GetClass("TMVA::MethodHashedDNN")))
"""


def test_method_builds_with_cmake_against_the_found_tmva(tmp_path):
    library, include = TMVA
    build = tmp_path / "build"
    configure = [CMAKE, "-S", str(REPO), "-B", str(build), f"-DPython_EXECUTABLE={sys.executable}",
                 "-DCMAKE_BUILD_TYPE=Release", "-DHASHEDNET_TMVA=ON"]  # fmt: skip
    if include is not None:  # a TMVA outside ROOT: its prefix
        configure.append(f"-DHASHEDNET_TMVA_PREFIX={library.parent.parent}")
    run = subprocess.run(configure, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "hashednet: TMVA method TMVAHashedDNN will be built against" in run.stdout, run.stdout[-3000:]
    run = subprocess.run([CMAKE, "--build", str(build), "--target", "TMVAHashedDNN", "-j2"], capture_output=True,
                         text=True)  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    out = build / "tmva"
    for name in ("libTMVAHashedDNN.so", "libTMVAHashedDNN.rootmap", "libTMVAHashedDNN_rdict.pcm"):
        assert (out / name).exists(), name
    run = subprocess.run([sys.executable, "-c", BOOK, str(library), str(include or ""), str(out / "libTMVAHashedDNN.so")],
                         capture_output=True, text=True, timeout=600)  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    for line in ("REGISTERED True", "PLUGIN True", "CLASS True"):
        assert line in run.stdout, run.stdout[-3000:]
