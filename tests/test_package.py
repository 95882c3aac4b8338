"""The package's public face: exported names and lazily loaded submodules."""

from __future__ import annotations

import pytest

import tmva_hashednet


def test_public_names_exist():
    for name in tmva_hashednet.__all__:
        assert hasattr(tmva_hashednet, name), name


def test_submodules_load_on_attribute_access():
    assert tmva_hashednet.evaluation.roc_auc([1, 0], [0.9, 0.1]) == 1.0
    assert tmva_hashednet.datasets.tutorial_file("Higgs_data.root").exists()


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        tmva_hashednet.nonexistent  # noqa: B018


def test_tmva_prefix_is_the_one_switch(tmp_path, monkeypatch):
    """TMVA_HASHEDNET_TMVA_PREFIX decides for the package (and test_tmva_real, which calls
    the same locate_tmva): a prefix with lib/libTMVA.so is used; `from tmva_hashednet import
    TMVA` then loads that library, never falling back silently to the compatible workflow."""
    from tmva_hashednet import tmva

    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "libTMVA.so").write_bytes(b"not a library")
    monkeypatch.setenv("TMVA_HASHEDNET_TMVA_PREFIX", str(tmp_path))
    assert tmva.locate_tmva() == (tmp_path / "lib" / "libTMVA.so", tmp_path / "include")
    with pytest.raises(ImportError, match="could not load TMVA from .*libTMVA.so"):
        tmva.namespace()


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
