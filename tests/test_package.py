"""The package's public face: exported names and lazily loaded submodules."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

import tmva_hashednet
from tmva_hashednet.tmva import locate_tmva

REAL_TMVA = locate_tmva()  # the package's own switch


def test_public_names_exist():
    for name in tmva_hashednet.__all__:
        assert hasattr(tmva_hashednet, name), name


def test_submodules_load_on_attribute_access():
    assert tmva_hashednet.evaluation.roc_auc([1, 0], [0.9, 0.1]) == 1.0
    assert tmva_hashednet.datasets.tutorial_file("Higgs_data.root").exists()


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        tmva_hashednet.nonexistent  # noqa: B018


# namespace() in a fresh process: one that already loaded a libTMVA cannot load another (next test).
_NAMESPACE_CHILD = """
from tmva_hashednet import tmva
try:
    tmva.namespace()
except ImportError as error:
    print("IMPORT ERROR", error)
"""


def test_tmva_prefix_is_the_one_switch(tmp_path, monkeypatch):
    """TMVA_HASHEDNET_TMVA_PREFIX decides for the package (and test_tmva_real, which calls
    the same locate_tmva): a prefix with lib/libTMVA.so is used; `from tmva_hashednet import
    TMVA` then loads that library, never falling back silently to the compatible workflow."""
    from tmva_hashednet import tmva

    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "libTMVA.so").write_bytes(b"not a library")
    monkeypatch.setenv("TMVA_HASHEDNET_TMVA_PREFIX", str(tmp_path))
    assert tmva.locate_tmva() == (tmp_path / "lib" / "libTMVA.so", tmp_path / "include")
    run = subprocess.run([sys.executable, "-c", _NAMESPACE_CHILD], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert re.search(r"IMPORT ERROR ROOT could not load TMVA from .*libTMVA.so", run.stdout), run.stdout[-3000:]


@pytest.mark.tmva
@pytest.mark.skipif(REAL_TMVA is None, reason="ROOT has no TMVA (and TMVA_HASHEDNET_TMVA_PREFIX is not set)")
def test_a_second_tmva_in_one_process_is_an_error(tmp_path, monkeypatch):
    """With a TMVA loaded, a prefix naming another libTMVA is an error: ROOT's gSystem.Load matches
    libraries by file name and would silently hand back the first TMVA."""
    from tmva_hashednet import tmva

    first = tmva.namespace()
    assert first is not None and hasattr(first, "Factory")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "libTMVA.so").write_bytes(b"not a library")
    monkeypatch.setenv("TMVA_HASHEDNET_TMVA_PREFIX", str(tmp_path))
    with pytest.raises(ImportError, match=r"already loaded TMVA from .*libTMVA.so, and ROOT cannot load a second"):
        tmva.namespace()
    monkeypatch.undo()
    assert tmva.namespace() is first  # the TMVA loaded first is still the one


def test_tmva_prefix_without_library_is_an_error(tmp_path, monkeypatch):
    from tmva_hashednet import tmva

    monkeypatch.setenv("TMVA_HASHEDNET_TMVA_PREFIX", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"TMVA_HASHEDNET_TMVA_PREFIX=.* has no lib/libTMVA.so"):
        tmva.namespace()


def test_without_tmva_the_namespace_is_the_compatible_one(monkeypatch):
    from tmva_hashednet import tmva

    monkeypatch.setattr(tmva, "locate_tmva", lambda: None)
    assert tmva.namespace().Factory is tmva.Factory


def test_tmva_without_the_method_library_says_how_to_build_it(tmp_path, monkeypatch):
    """A ROOT with TMVA but an install whose CMake found no TMVA: an error with the way out, not
    a Factory that later fails to book HashedDNN."""
    import ROOT

    from tmva_hashednet import tmva

    monkeypatch.setenv("TMVA_HASHEDNET_PREFIX", str(tmp_path))  # a core prefix without libTMVAHashedDNN.so
    with pytest.raises(ImportError, match="built without its TMVA method.*HASHEDNET_TMVA=ON"):
        tmva._load_method_library(ROOT)
